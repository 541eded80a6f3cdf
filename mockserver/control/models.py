"""Bodies of the control plane (``/__mock/...``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator

from mockserver.domain.status import STATUSES
from mockserver.models.base import Model
from mockserver.models.common import Body, JsonInt, PositiveJsonInt, _integral

# Integers of a JSON body (60.0 counts), the bounds first so the schema shows them.
Count = Annotated[int, Field(ge=0), BeforeValidator(_integral)]
HttpStatus = Annotated[int, Field(ge=200, le=599), BeforeValidator(_integral)]

# What an HTTP header may carry: a token for the name, visible Latin-1 text for the value.
HEADER_NAME = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"
HeaderValue = Annotated[str, Field(pattern=r"^[\t\x20-\x7e\xa0-\xff]*$")]
# Headers that describe the message's framing or the connection, not the answer (RFC 9110 7.6.1).
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te",
                             "trailer"})

Status = Literal[STATUSES]  # type: ignore[valid-type]


class Strict(Body):
    # A typo in a control body is a mistake the test author wants to hear about.
    model_config = ConfigDict(extra="forbid", strict=True)


class Ok(Model):
    status: Literal["ok"]


class Storage(Model):
    kind: Literal["file", "memory"]
    path: str | None


class Health(Model):
    status: Literal["ok"]
    version: str
    uptime_seconds: float
    storage: Storage
    entities: dict[str, int] = Field(description="Live (not deleted) records per table")
    now: str = Field(description="The virtual clock's time")
    clock_offset_seconds: float


class ResetRequest(Strict):
    tenant: str | None = Field(default=None, description="Reset only this tenant's entities")
    revoke_tokens: bool = Field(default=False, description="Also invalidate the access tokens issued so far")


class ClockAdvance(Strict):
    seconds: float = Field(ge=0, le=10 * 365 * 24 * 3600, allow_inf_nan=False)


class ClockState(Model):
    now: str
    epoch_seconds: float
    offset_seconds: float


class ForcedStatus(Strict):
    status: Status
    trace: str | None = Field(default=None, description="Task trace shown while the status lasts")
    then: Status | None = Field(default=None, description="Status it moves to after `after` seconds")
    after: float = Field(default=0.0, ge=0, le=10 * 365 * 24 * 3600, allow_inf_nan=False)


class ConnectorStatus(Model):
    id: str
    entity_type: Literal["sources", "destinations"]
    connector_status: str
    task_statuses: dict[str, Any]


class SeedRequest(Strict):
    """A seed document: each entity is the API's create body plus ``id`` (and optional tenant, timestamps)."""

    model_config = ConfigDict(extra="forbid", strict=False)
    tenant_id: str | None = None
    tags: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    destinations: list[dict[str, Any]] = []
    transforms: list[dict[str, Any]] = []
    pipelines: list[dict[str, Any]] = []
    topics: list[dict[str, Any]] = []
    kafka_users: list[dict[str, Any]] = []


class SeedResult(Model):
    created: dict[str, int] = Field(description="Entities created, per section")


class ShippedSeedList(Model):
    result: list[str] = Field(description="Names of the seeds shipped with the package")


# ---- faults -------------------------------------------------------------------

class FaultMatch(Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    path: str | None = Field(default=None, description="Path template, matched whole: /sources/{id}")
    path_regex: str | None = Field(default=None, description="Regular expression searched in the path")
    tenant: str | None = None
    client_id: str | None = None
    body_contains: str | None = Field(default=None, description="Text the raw request body must contain")


class FaultAnswer(Strict):
    status: HttpStatus | None = None
    detail: str | None = Field(default=None, description="The error body's detail (default: the status's phrase)")
    headers: dict[str, HeaderValue] = Field(default_factory=dict, description="e.g. {\"Retry-After\": \"1\"}",
                                            json_schema_extra={"propertyNames": {"pattern": HEADER_NAME}})
    delay: float | None = Field(default=None, ge=0, le=300, allow_inf_nan=False,
                                description="Seconds to wait first; alone, the request then goes through")
    drop: bool | None = Field(default=None, description="Close the connection instead of answering")


    @field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, str]) -> dict[str, str]:
        bad = next((name for name in headers if not re.fullmatch(HEADER_NAME, name)), None)
        if bad is not None:
            raise ValueError(f"{bad!r} is not an HTTP header name")
        framing = next((name for name in headers if name.lower() in FRAMING_HEADERS
                        or name.lower().startswith("proxy-")), None)
        if framing is not None:  # the server frames the answer and owns the connection
            raise ValueError(f"{framing!r} is a hop-by-hop or framing header; a fault cannot set it")
        return headers


class FaultRequest(Strict):
    match: FaultMatch = Field(default_factory=FaultMatch)
    respond: FaultAnswer = Field(default_factory=FaultAnswer)
    preset: str | None = Field(default=None, description="A named error (GET /__mock/faults/presets)")
    times: PositiveJsonInt | None = Field(default=None, description="Fire this many times, then stop")
    after: Count = Field(default=0, description="Let this many matching requests through first")
    probability: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    seed: JsonInt | None = Field(default=None, description="Seed of the probability's random draws")


class FaultRule(Model):
    id: str
    preset: str | None
    match: FaultMatch
    respond: FaultAnswer
    times: int | None
    after: int
    probability: float | None
    seed: int | None
    matched: int = Field(description="Requests that matched")
    hits: int = Field(description="Requests the fault answered")
    active: bool


class FaultList(Model):
    total: int
    result: list[FaultRule]


class Preset(Model):
    name: str
    status: int
    detail: str
    headers: dict[str, str]
    drop: bool
    retryable: bool = Field(description="Whether the Terraform provider (3.x) retries on it")
    description: str


class PresetList(Model):
    result: list[Preset]


class Removed(Model):
    removed: int


# ---- journal ------------------------------------------------------------------

class JournalEntry(Model):
    seq: int
    time: str
    request_id: str | None
    method: str
    path: str
    query: str
    tenant_id: str | None
    client_id: str | None
    status: int | None = Field(description="null: the connection was dropped")
    duration_ms: float
    fault: str | None = Field(description="Id of the fault rule that answered")
    request_headers: dict[str, str]
    request_body: Any = Field(description="JSON parsed and secrets masked; a long body, a masked excerpt (text)")
    request_body_truncated: bool = Field(description="request_body is the first 64 KiB of a longer body")
    request_body_size: int = Field(description="Bytes of the whole body as received")
    response_headers: dict[str, str]
    response_body: Any
    response_body_truncated: bool
    response_body_size: int


class JournalPage(Model):
    total: int
    result: list[JournalEntry]


# ---- snapshots ----------------------------------------------------------------

class Snapshot(Model):
    name: str
    created: str
    entities: dict[str, int] = Field(description="Live records per table")


class ListedSnapshot(Model):
    name: str
    created: str | None = Field(description="null: the file is damaged")
    entities: dict[str, int] = Field(description="Live records per table")
    damaged: str | None = Field(description="Why the file cannot be restored (null: it can)")


class SnapshotList(Model):
    total: int
    result: list[ListedSnapshot]


# ---- coverage -----------------------------------------------------------------

class OperationCoverage(Model):
    operation_id: str = Field(description="The operation's id in contracts/openapi.json")
    method: str
    path: str = Field(description="The contract's path template, e.g. /sources/{id}")
    calls: int = Field(description="Requests to it in the journal")
    statuses: dict[str, int] = Field(description="Requests by status code answered, e.g. {\"200\": 3, \"404\": 1}; "
                                                 "\"dropped\": the connection was closed without an answer")


class ConnectorCoverage(Model):
    entity_type: Literal["sources", "destinations", "transforms"]
    connector: str = Field(description="The connector code (sources, destinations) or the transform type")
    creates: int = Field(description="Creates answered 2xx")
    updates: int = Field(description="Updates answered 2xx")
    deletes: int = Field(description="Deletes answered 2xx")


class Coverage(Model):
    """What the journal's requests reached of the contract (any client's: the provider's, a test's, curl's)."""

    operations_total: int = Field(description="Operations in the contract")
    operations_called: int = Field(description="Operations called at least once")
    requests: int = Field(description="Journal entries counted (the journal keeps the latest journal_size)")
    unmatched: int = Field(description="Requests no operation serves (unknown path or method)")
    never_called: list[str] = Field(description="Ids of the operations never called, as `operations` lists them")
    operations: list[OperationCoverage] = Field(
        description="Every operation of the contract: the never-called first, then the called; each group by path")
    connectors: list[ConnectorCoverage] = Field(description="Per connector type written, sorted by type")


# ---- tenants --------------------------------------------------------------------

class TenantCreate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200,
                             description="Display name (default: the new tenant's id)")


class TenantCredential(Model):
    client_id: str
    roles: list[str] = Field(description="Role keys: admin, read_only")
    description: str
    secret: str | None = Field(default=None, description="Only in the answer that created the tenant")


class TenantInfo(Model):
    tenant_id: str
    name: str
    sub_id: str
    service_id: str = Field(description="The service its credentials work in")
    service_ids: list[str]
    fixture: bool = Field(description="Defined by fixtures/tenants.json (cannot be deleted)")
    credentials: list[TenantCredential] = Field(description="The credentials it comes with")


class TenantList(Model):
    total: int
    result: list[TenantInfo]
