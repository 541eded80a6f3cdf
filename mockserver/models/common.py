"""Models shared by every endpoint: the body base class, error bodies, the list envelope."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from mockserver.models.base import Model

# What records.new_id makes: the one spelling of an id's shape, for bodies, paths and queries.
OBJECT_ID_PATTERN = r"^[0-9a-f]{24}$"


# The backend's EntityOriginEnum: where an entity was created from.
EntityOrigin = Literal["terraform", "ui", "api"]


class Body(Model):
    # Unknown top-level keys are ignored, as the real backend (FastAPI) does.
    model_config = ConfigDict(extra="ignore", strict=True)


def _integral(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer field of a strict body. JSON Schema counts 60.0 as an integer (and
# so do schema-driven clients and fuzzers), where strict pydantic would not.
JsonInt = Annotated[int, BeforeValidator(_integral)]
# The bound must come before the validator for the schema to show it as ``minimum``.
PositiveJsonInt = Annotated[int, Field(ge=1), BeforeValidator(_integral)]


# ---- errors -----------------------------------------------------------------

class ErrorBody(Model):
    detail: str


class ValidationIssue(Model):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(Model):
    detail: list[ValidationIssue]


class Envelope(Model):
    """A page of entities, the shape of every list and read by id; each entity type's subclass types ``result``.

    Subclasses rather than ``Envelope[T]``: parametrising a generic model builds
    it at import, and with it pydantic's plugin machinery (a scan of every
    installed package), which cost the server's start-up tens of milliseconds.
    """

    total: int
    page_size: int
    page: int
    result: list[Any]

# Entities leave `tags` out when they have none, as the backend does (its responses use omitempty).
TAGS_OMITTED = "The entity's tag ids; left out when there are none"
