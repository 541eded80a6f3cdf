"""Models shared by every endpoint: the body base class, error bodies, the list envelope."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Body(BaseModel):
    # Unknown top-level keys are ignored, as the real backend (FastAPI) does.
    model_config = ConfigDict(extra="ignore", strict=True)


# ---- errors -----------------------------------------------------------------

class ErrorBody(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    detail: list[ValidationIssue]


class Envelope(BaseModel, Generic[T]):
    total: int
    page_size: int
    page: int
    result: list[T]
