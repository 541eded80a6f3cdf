"""Every knob of the server in one place.

The CLI fills these from flags or ``STREAMKAP_MOCK_*`` environment variables;
tests build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The repository's fixtures, used when the package runs from a checkout
# (editable install, Docker image).
DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT_DB = "data/streamkap-mock.json"
MEMORY = ":memory:"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    # A JSON file path, or ":memory:" for a store that dies with the process.
    db: str = DEFAULT_DB
    fixtures: Path = field(default=DEFAULT_FIXTURES)
    # Lifetime of an access token, in seconds.
    token_ttl: float = 3600.0
    # Seconds a new, resumed or restarted connector stays "Starting".
    status_delay: float = 0.0
    # Seconds a deleted entity stays visible after DELETE ?wait=false.
    delete_delay: float = 0.0
    # Fernet key for secrets at rest; by default one is kept beside the db file.
    secret_key: str | None = None
    # The control plane under /__mock: on by default, behind this bearer token when one is set.
    admin: bool = True
    admin_token: str | None = None
    # Entities with fixed ids, loaded at start-up and again on every reset.
    seed: Path | None = None
    # Requests the control plane's journal keeps (the oldest go first).
    journal_size: int = 10_000

    @property
    def in_memory(self) -> bool:
        return self.db == MEMORY
