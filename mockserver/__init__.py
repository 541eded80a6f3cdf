"""streamkap-mock: a local, stateful emulator of the Streamkap REST API."""

# The one place the version is written (pyproject.toml reads it): asking the installed
# metadata for it cost the server's start-up the import of importlib.metadata.
__version__ = "0.2.0"
