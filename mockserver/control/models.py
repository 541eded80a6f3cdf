"""Bodies of the control plane (``/__mock/...``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mockserver.domain.status import STATUSES
from mockserver.models.common import Body

Status = Literal[STATUSES]  # type: ignore[valid-type]


class Strict(Body):
    # A typo in a control body is a mistake the test author wants to hear about.
    model_config = ConfigDict(extra="forbid", strict=True)


class Ok(BaseModel):
    status: Literal["ok"]


class Storage(BaseModel):
    kind: Literal["file", "memory"]
    path: str | None


class Health(BaseModel):
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


class ClockState(BaseModel):
    now: str
    epoch_seconds: float
    offset_seconds: float


class ForcedStatus(Strict):
    status: Status
    trace: str | None = Field(default=None, description="Task trace shown while the status lasts")
    then: Status | None = Field(default=None, description="Status it moves to after `after` seconds")
    after: float = Field(default=0.0, ge=0, le=10 * 365 * 24 * 3600, allow_inf_nan=False)


class ConnectorStatus(BaseModel):
    id: str
    entity_type: Literal["sources", "destinations"]
    connector_status: str
    task_statuses: dict[str, Any]


class SeedResult(BaseModel):
    created: dict[str, int]
