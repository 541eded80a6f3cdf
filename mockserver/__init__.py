"""streamkap-mock: a local, stateful emulator of the Streamkap REST API."""
