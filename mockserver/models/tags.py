"""Bodies of /tags."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mockserver.domain.tags import TAG_TYPES
from mockserver.models.base import Model
from mockserver.models.common import Body, EntityOrigin

TagType = Literal[TAG_TYPES]


class TagRequest(Body):
    name: str = Field(min_length=1)
    description: str | None = None
    type: list[TagType] = Field(min_length=1)
    created_from: EntityOrigin | None = None


class TagSearch(Body):
    tag_ids: list[str] | None = None
    tag_name: str | None = None
    tag_type: TagType | None = None


class Tag(Model):
    id: str
    name: str
    description: str
    type: list[str]
    system: bool
    custom: bool


class TagList(Model):
    tags: list[Tag]
