"""Every knob of the server in one place.

The CLI fills these from flags or ``STREAMKAP_MOCK_*`` environment variables;
tests build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def shipped(name: str) -> Path:
    """A data directory that ships with the package (``fixtures``, ``contracts``).

    An installed wheel carries it inside the package (pyproject.toml maps it
    there); a checkout (editable install, tests) keeps it at the top of the
    repository.
    """
    package = Path(__file__).resolve().parent  # a wheel unpacks into a folder; importlib.resources costs ~10 ms
    return package / name if (package / name).is_dir() else package.parent / name


DEFAULT_FIXTURES = shipped("fixtures")
DEFAULT_DB = "data/streamkap-mock.json"
MEMORY = ":memory:"
# Ten times the largest real connector config (a 12,000-table include list is ~0.4 MB),
# small enough that parsing a body at the limit takes milliseconds.
DEFAULT_MAX_BODY = 4 << 20
# What the control plane's request journal may hold: well inside a CI container's memory.
DEFAULT_JOURNAL_BYTES = 64 << 20


# Delays of the --timing profiles, in seconds; docs/backend-behaviours.md says where the realistic ones come from.
TIMING_PROFILES: dict[str, dict[str, float | None]] = {
    "instant": {"status_delay": 0.0, "delete_delay": 0.0, "deploy_delay": None},
    "realistic": {"status_delay": 10.0, "delete_delay": 10.0, "deploy_delay": 20.0},
}


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
    # Largest request body accepted, in bytes; larger ones get 413.
    max_body: int = DEFAULT_MAX_BODY
    # The control plane under /__mock: on by default, behind this bearer token when one is set.
    admin: bool = True
    admin_token: str | None = None
    # Entities with fixed ids, loaded at start-up and again on every reset.
    seed: Path | None = None
    # Requests the control plane's journal keeps (the oldest go first).
    journal_size: int = 10_000
    # Bytes the journal may hold (bodies, paths, headers); the oldest entries go first.
    journal_bytes: int = DEFAULT_JOURNAL_BYTES
    # Origins a browser may call from (CORS); "*" for any, empty for none.
    cors: tuple[str, ...] = ()
    # Seconds a deployed transform job stays DEPLOYING; None: the status delay.
    deploy_delay: float | None = None
    # Ids, secrets, request ids and the clock follow this seed and the request sequence (reproducible runs).
    id_seed: int | None = None

    @property
    def in_memory(self) -> bool:
        return self.db == MEMORY


SEEDS = DEFAULT_FIXTURES / "seeds"


def shipped_seeds() -> dict[str, Path]:
    """The seeds that ship with the package, by name (the file name without ``.json``)."""
    return {path.stem: path for path in sorted(SEEDS.glob("*.json"))}


def seed_path(value: str | Path) -> Path:
    """A seed given by name (``provider-acceptance``: one of ``shipped_seeds()``) or by path.

    A value with no path separator and no ``.json`` suffix is a name, so a shipped seed
    loads from a wheel or an image as well as from a checkout.
    """
    text = str(value)
    if "/" in text or "\\" in text or text.endswith(".json") or not text:
        return Path(value)
    seeds = shipped_seeds()
    if text not in seeds:
        raise ValueError(f"no shipped seed named '{text}' (shipped: {', '.join(seeds) or 'none'}); "
                         "give a seed file's path to load your own")
    return seeds[text]
