"""Tags: system tags shared by every tenant, custom tags of one tenant's service.

Record shape (the one ``references.check_tag_ids`` relies on):
``{id, name, description, type: [entity types], system, custom, created_from,
tenant_id, service_id, sub_id, deleted}``; a system tag has no tenant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mockserver.domain.records import (
    Clock,
    Record,
    iso_now,
    mark_deleted,
    new_id,
    owned_by,
)
from mockserver.domain.references import TAGS, tag_visible
from mockserver.domain.tenancy import Principal
from mockserver.errors import Conflict, Forbidden, NotFound
from mockserver.store import Repository

# The backend's tag types (the 3.x provider mirrors them; its streamkap_tags data source filters by environment).
TAG_TYPES = ("environment", "general", "sources", "destinations", "pipelines", "transforms", "topics",
             "services", "users", "tenant")
# The tables whose records carry ``tags``.
TAGGED_TABLES = ("sources", "destinations", "transforms", "pipelines", "topics")


@dataclass(frozen=True)
class TagInput:
    name: str
    types: list[str]
    description: str | None = None
    created_from: str | None = None


@dataclass(frozen=True)
class TagFilters:
    ids: list[str] | None = None
    name: str | None = None
    entity_types: list[str] | None = None  # any of them (the backend's default tag_logic "or")


class TagService:
    def __init__(self, repo: Repository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def seed_system_tags(self, path: Path) -> None:
        """Make the store's system tags what the fixture says (by id): new ones inserted, changed ones replaced."""
        if not path.exists():
            return
        with self.repo.transaction():  # one write of the file, only if something changed
            for tag in json.loads(path.read_text(encoding="utf-8"))["tags"]:
                record = {
                    "id": tag["id"],
                    "name": tag["name"],
                    "description": tag.get("description", ""),
                    "type": list(tag["type"]),
                    "system": True,
                    "custom": False,
                    "created_from": None,
                    "tenant_id": None,
                    "service_id": None,
                    "sub_id": None,
                    "deleted": False,
                }
                stored = self.repo.get(TAGS, tag["id"])
                if stored is None:
                    self.repo.insert(TAGS, record)
                elif stored != record:
                    self.repo.replace(TAGS, record)

    # ---- reads -------------------------------------------------------------

    def find(self, who: Principal, filters: TagFilters = TagFilters()) -> list[Record]:
        ids = set(filters.ids) if filters.ids else None
        needle = (filters.name or "").lower()

        def matches(t: Record) -> bool:
            return (
                tag_visible(t, who)
                and (ids is None or t["id"] in ids)
                and needle in t["name"].lower()
                and (filters.entity_types is None or any(e in t["type"] for e in filters.entity_types))
            )

        return self.repo.find(TAGS, matches)

    def require(self, who: Principal, tag_id: str) -> Record:
        record = self.repo.get(TAGS, tag_id)
        if record is None or not tag_visible(record, who):
            raise NotFound()
        return record

    # ---- writes ------------------------------------------------------------

    def create(self, who: Principal, data: TagInput) -> Record:
        self._check_name_free(who, data.name, None)
        return self.repo.insert(TAGS, {
            "id": new_id(),
            "name": data.name,
            "description": data.description or "",
            "type": list(dict.fromkeys(data.types)),
            "system": False,
            "custom": True,
            "created_from": data.created_from,
            "created_at": iso_now(self.clock()),
            **owned_by(who),
            "deleted": False,
        })

    def update(self, who: Principal, tag_id: str, data: TagInput) -> Record:
        existing = self._require_custom(who, tag_id, "changed")
        self._check_name_free(who, data.name, tag_id)
        return self.repo.replace(TAGS, {
            **existing,
            "name": data.name,
            "description": data.description or "",
            "type": list(dict.fromkeys(data.types)),
            # created_from is kept from the create, whatever the update says.
            "updated_at": iso_now(self.clock()),
        })

    def delete(self, who: Principal, tag_id: str) -> Record:
        existing = self._require_custom(who, tag_id, "deleted")
        with self.repo.transaction():
            deleted = self.repo.replace(TAGS, mark_deleted(existing, self.clock(), 0))
            self._untag_everything(tag_id)
        return deleted

    # ---- presentation ------------------------------------------------------

    @staticmethod
    def present(record: Record) -> dict:
        return {
            "id": record["id"],
            "name": record["name"],
            "description": record.get("description", ""),
            "type": record["type"],
            "system": record["system"],
            "custom": record["custom"],
        }

    # ---- rules -------------------------------------------------------------

    def _require_custom(self, who: Principal, tag_id: str, verb: str) -> Record:
        record = self.require(who, tag_id)
        if record["system"]:
            raise Forbidden(f"Tag '{record['name']}' is a system tag and cannot be {verb}")
        return record

    def _check_name_free(self, who: Principal, name: str, own_id: str | None) -> None:
        # System tags count too: a custom tag may not shadow one of them.
        if any(t["name"] == name and t["id"] != own_id for t in self.find(who)):
            raise Conflict()

    def _untag_everything(self, tag_id: str) -> None:
        """A deleted tag disappears from every entity that carried it."""
        for table in TAGGED_TABLES:
            carriers = self.repo.find(table, lambda r: tag_id in (r.get("tags") or []))
            self.repo.replace_many(
                table, ({**r, "tags": [t for t in r["tags"] if t != tag_id]} for r in carriers)
            )
