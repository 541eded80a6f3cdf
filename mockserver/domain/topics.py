"""Topic entities: the Kafka topics an entity writes to, kept in the ``topics`` table."""

from __future__ import annotations

from mockserver.domain.records import Record, iso_now, is_live, mark_deleted, new_id, owned_by
from mockserver.domain.tenancy import Principal
from mockserver.store import Repository

TABLE = "topics"


def source_topic_names(entity_id: str, qualified_tables: str | None) -> list[str]:
    """``source_<id>.<schema>.<table>`` for each entry of a fully qualified include list."""
    if not qualified_tables:
        return []
    entries = [e.strip() for e in str(qualified_tables).split(",") if e.strip()]
    return [f"source_{entity_id}.{entry}" for entry in dict.fromkeys(entries)]


class TopicStore:
    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    def owned(self, entity_id: str) -> list[Record]:
        return self._repo.find(TABLE, lambda t: t["entity_id"] == entity_id and is_live(t))

    def sync(self, who: Principal, entity_type: str, entity_id: str, names: list[str], now: float) -> list[Record]:
        """Make the live topics of an entity exactly ``names``; returns them in that order."""
        existing = {t["name"]: t for t in self.owned(entity_id)}
        result = []
        for name in names:
            topic = existing.pop(name, None)
            if topic is None:
                topic = self._repo.insert(TABLE, {
                    "id": new_id(),
                    "name": name,
                    "prefix": name.split(".", 1)[0],
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "partitions": 1,
                    "tags": [],
                    "created_timestamp": iso_now(now),
                    "deleted": False,
                    **owned_by(who),
                })
            result.append(topic)
        for stale in existing.values():
            self._repo.replace(TABLE, mark_deleted(stale, now, 0))
        return result

    def drop_all(self, entity_id: str, now: float) -> None:
        for topic in self.owned(entity_id):
            self._repo.replace(TABLE, mark_deleted(topic, now, 0))
