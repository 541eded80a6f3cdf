"""The shapes of stored records, checked once at start-up.

Services read records by key (``record["name"]``); a hand-edited or foreign
database whose records lack such a key would start and then answer 500 on the
first list. These models state what every service relies on (extra keys are
allowed), and ``check_records`` stops start-up with one line naming the first
record that does not fit.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from mockserver.domain.secrets import SEALED, SecretBox
from mockserver.errors import StartupError
from mockserver.jsoncodec import dumps
from mockserver.models.base import Model
from mockserver.store import Repository


class _Stored(Model):
    model_config = ConfigDict(extra="allow", strict=True)

    id: str
    deleted: bool = False


class _Owned(_Stored):
    tenant_id: str
    service_id: str


class _Status(Model):
    model_config = ConfigDict(extra="allow")

    status: str
    settles_at: float


class StoredConnector(_Owned):
    name: str
    connector: str
    created_timestamp: str
    sub_id: str
    status: _Status
    config: dict[str, Any]
    tags: list[str] = []
    topic_ids: list[str] = []
    topics: list[str] = []
    secret_keys: list[str] = []


class StoredTransform(_Owned):
    name: str
    transform_type: str
    sub_id: str
    created_at: str
    updated_at: str
    config: dict[str, Any]
    tags: list[str]
    implementation: dict[str, Any] | None
    version: int
    versions: dict[str, dict[str, Any]]
    job: dict[str, Any] | None = None
    secret_keys: list[str] = []


class _Ref(Model):
    model_config = ConfigDict(extra="allow")

    id: str


class StoredPipeline(_Owned):
    name: str
    sub_id: str
    snapshot_new_tables: bool
    source: _Ref
    destination: _Ref
    transforms: list[_Ref]
    topic_auto_discovery_transforms: list[dict[str, Any]]
    status: _Status
    created_timestamp: str
    tags: list[str] = []


class StoredTopic(_Owned):
    name: str
    prefix: str
    entity_type: str
    entity_id: str
    partitions: int
    created_timestamp: str
    tags: list[str] = []


class StoredTag(_Stored):
    name: str
    type: list[str]
    system: bool
    custom: bool
    tenant_id: str | None
    service_id: str | None


class StoredKafkaUser(_Owned):
    username: str
    password_hash: str
    whitelist_ips: Any = None
    kafka_acls: list[dict[str, Any]]
    is_create_schema_registry: bool


class StoredCredential(_Owned):
    client_id: str
    secret_hash: str
    description: str
    role_ids: list[str]
    created_at: str


class _BuiltinCredential(Model):
    model_config = ConfigDict(extra="allow")

    client_id: str
    secret_hash: str
    roles: list[str]
    description: str


class StoredTenant(_Stored):
    name: str
    sub_id: str
    service_id: str
    created_at: str
    credentials: list[_BuiltinCredential]


MODELS: dict[str, type[BaseModel]] = {
    "sources": StoredConnector,
    "destinations": StoredConnector,
    "transforms": StoredTransform,
    "pipelines": StoredPipeline,
    "topics": StoredTopic,
    "tags": StoredTag,
    "kafka_users": StoredKafkaUser,
    "client_credentials": StoredCredential,
    "tenants": StoredTenant,
}


def _model_of(table: str, record: Any) -> type[BaseModel]:
    # A deleted record may have lost its payload (records.tombstone): only its identity must hold.
    return _Stored if isinstance(record, dict) and record.get("deleted") is True else MODELS[table]


def record_problem(table: str, record: Any) -> str | None:
    """What keeps a record of ``table`` from fitting its model, naming table, id and key; None if it fits."""
    try:
        _model_of(table, record).model_validate(record)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(map(str, error["loc"])) or "<record>"
        record_id = record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), str) else "<no id>"
        return f"table {table}, record {record_id}: {key}: {error['msg']}"
    return None


def check_records(repo: Repository, where: str) -> None:
    """Stop start-up at the first stored record that does not fit its table's model, naming table, id and key.

    Only the records the store cannot vouch for are checked (a snapshot it wrote
    itself holds only records the domain made), so a large store starts in a blink.
    """
    for table in MODELS:
        for record in repo.unvouched(table):
            problem = record_problem(table, record)
            if problem is not None:
                raise StartupError(f"{where}: {problem}; fix the record or move the file away")
    repo.vouch()


def state_problem(state: Any, box: SecretBox) -> str | None:
    """Why this store would break once it held ``state`` (``export_state``'s form); None if it would not.

    What start-up checks of a database, on every record: tables of records with
    unique ids, each fitting its model, secrets that ``box`` opens (not another
    database's); and what a live pipeline uses is there.
    """
    try:
        Repository.check_state(state)
    except ValueError as exc:
        return str(exc)
    for table in [table for table in MODELS if table in state]:
        for record in state[table]:
            problem = record_problem(table, record) or _secret_problem(table, record, box)
            if problem is not None:
                return problem
    ids = {table: {record["id"] for record in records} for table, records in state.items()}
    for pipeline in state.get("pipelines", ()):
        if pipeline.get("deleted") is True:
            continue
        uses = [("sources", pipeline["source"]["id"]), ("destinations", pipeline["destination"]["id"]),
                *(("transforms", transform["id"]) for transform in pipeline["transforms"])]
        for table, used in uses:
            if used not in ids.get(table, ()):
                return f"table pipelines, record {pipeline['id']}: uses {table} record {used}, which is not there"
    return None


def _secret_problem(table: str, record: dict, box: SecretBox) -> str | None:
    for sealed in SEALED.finditer(dumps(record)):
        try:
            box.open(sealed.group(1).decode())
        except RuntimeError:
            return (f"table {table}, record {record['id']}: its secrets were sealed with another key than "
                    "this database's (a snapshot of another database?)")
    return None
