"""Topic entities: the Kafka topics an entity writes to, kept in the ``topics`` table.

``TopicStore`` keeps the topics of an entity in step with its config; ``TopicService``
serves the ``/topics`` API over them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from mockserver.domain.plugins import PluginRegistry
from mockserver.domain.records import (
    Clock,
    Record,
    find_live,
    find_visible,
    is_visible,
    iso_now,
    mark_deleted,
    new_id,
    owned_by,
    select_visible,
    tags_shown,
)
from mockserver.domain.references import check_tag_ids, ensure_topic_unused
from mockserver.domain.tenancy import Principal
from mockserver.errors import BadRequest, NotFound
from mockserver.store import Repository

TABLE = "topics"


def source_topic_names(entity_id: str, qualified_tables: str | None) -> list[str]:
    """``source_<id>.<schema>.<table>`` for each entry of a fully qualified include list."""
    if not qualified_tables:
        return []
    entries = [e.strip() for e in str(qualified_tables).split(",") if e.strip()]
    return [f"source_{entity_id}.{entry}" for entry in dict.fromkeys(entries)]


def new_topic(who: Principal, entity_type: str, entity_id: str, name: str, now: float) -> Record:
    """A topic as its entity's connector creates it: one partition, no tags."""
    return {
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
    }


class TopicStore:
    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    def owned(self, entity_id: str) -> list[Record]:
        """The entity's live topics: the stored records, to read (a change is a new record, see ``mark_deleted``)."""
        return self._repo.find(TABLE, where={"entity_id": entity_id, "deleted": False}, shared=True)

    def sync(self, who: Principal, entity_type: str, entity_id: str, names: list[str], now: float) -> list[Record]:
        """Make the live topics of an entity exactly ``names``; returns them in that order."""
        existing = {t["name"]: t for t in self.owned(entity_id)}
        result, new = [], []
        for name in names:
            topic = existing.pop(name, None)
            if topic is None:
                topic = new_topic(who, entity_type, entity_id, name, now)
                new.append(topic)
            result.append(topic)
        if new or existing:  # most updates keep the same topics: nothing to write
            with self._repo.transaction():
                self._repo.insert_many(TABLE, new)
                self._repo.replace_many(TABLE, [mark_deleted(stale, now, 0) for stale in existing.values()])
        return result

    def drop_all(self, entity_id: str, now: float) -> None:
        self._repo.replace_many(TABLE, [mark_deleted(topic, now, 0) for topic in self.owned(entity_id)])


# ---- the /topics API ------------------------------------------------------------

ENTITY_TYPES = ("sources", "destinations", "transforms")
RETENTION_MS = 7 * 24 * 3600 * 1000
AVRO_CONVERTER = "io.confluent.connect.avro.AvroConverter"
# Source connectors write Avro through the schema registry.
SERIALIZATION = {
    "key_format": "avro",
    "value_format": "avro",
    "key_converter": AVRO_CONVERTER,
    "value_converter": AVRO_CONVERTER,
    "schema_registry_enabled": True,
}


@dataclass(frozen=True)
class TopicFilters:
    entity_type: str | None = None
    entity_ids: list[str] | None = None
    partial_name: str | None = None


@dataclass(frozen=True)
class MetricsQuery:
    """One entity of a table-metrics request: whose topics, and which of them."""

    entity_id: str
    entity_type: str
    topic_ids: list[str] = field(default_factory=list)
    topic_db_ids: list[str] = field(default_factory=list)


def _figure(modulo: int, *parts: str) -> int:
    """A stable pseudo-random number in [0, modulo) derived from ``parts``: same ids, same numbers."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % modulo


def topic_metrics(entity_id: str, topic_id: str, hours: float = 1.0) -> dict:
    """A topic's figures over ``hours`` (the latest reading is one hour's); same ids and span, same numbers."""
    messages_in = round((10_000 + _figure(5_000_000, "in", entity_id, topic_id)) * hours)
    lag = min(messages_in, _figure(2_000, "lag", entity_id, topic_id))
    record_bytes = 200 + _figure(1_800, "size", entity_id, topic_id)
    return {
        "messages_in": messages_in,
        "messages_out": messages_in - lag,
        "bytes_in": messages_in * record_bytes,
        "bytes_out": (messages_in - lag) * record_bytes,
        "lag": lag,
        "avg_latency_ms": round(20 + _figure(48_000, "latency", entity_id, topic_id) / 100, 2),
    }


LATEST, TIMESERIES, TIMESUMMARY = "latest", "timeseries", "timesummary"
TIME_TYPES = (LATEST, TIMESERIES, TIMESUMMARY)
# The 3.x client's comment names the singular units, its data source's docs the plural ones.
TIME_UNITS = {unit + plural: seconds for unit, seconds in
              (("minute", 60), ("hour", 3_600), ("day", 86_400), ("week", 604_800), ("month", 2_592_000))
              for plural in ("", "s")}
MAX_POINTS = 1_000
DEFAULT_SPAN = 86_400.0  # a window with no start covers the day before its end


@dataclass(frozen=True)
class MetricsWindow:
    """Which figures a table-metrics request asks for: the latest, one total over a span, or a series."""

    time_type: str = LATEST
    start: float = 0.0
    end: float = 0.0
    step: float = 3_600.0

    @classmethod
    def parse(cls, now: float, time_type: str | None = None, timestamp_from: str | None = None,
              timestamp_to: str | None = None, time_interval: int | None = None,
              time_unit: str | None = None) -> "MetricsWindow":
        if time_unit is not None and time_unit not in TIME_UNITS:
            raise BadRequest(f"Invalid time_unit '{time_unit}': expected one of {', '.join(TIME_UNITS)}")
        end = _timestamp("timestamp_to", timestamp_to) if timestamp_to is not None else now
        start = _timestamp("timestamp_from", timestamp_from) if timestamp_from is not None else end - DEFAULT_SPAN
        if start >= end:
            raise BadRequest("timestamp_from must be before timestamp_to")
        step = (time_interval or 1) * TIME_UNITS[time_unit or "hour"]
        window = cls(time_type or LATEST, start, end, step)
        if window.time_type == TIMESERIES and (end - start) / step > MAX_POINTS:
            raise BadRequest(f"The series would have more than {MAX_POINTS} points: widen the interval")
        return window

    def figures(self, entity_id: str, topic_id: str) -> dict | list[dict]:
        if self.time_type == TIMESUMMARY:
            return topic_metrics(entity_id, topic_id, (self.end - self.start) / 3_600)
        if self.time_type == LATEST:
            return topic_metrics(entity_id, topic_id)
        points, at = [], self.start
        while at < self.end:
            # Each bucket's traffic varies between half and one and a half of the usual rate.
            busy = 0.5 + _figure(1_000, "busy", entity_id, topic_id, str(int(at))) / 1_000
            hours = (min(at + self.step, self.end) - at) / 3_600
            points.append({"timestamp": iso_now(at), **topic_metrics(entity_id, topic_id, hours * busy)})
            at += self.step
        return points


def _timestamp(name: str, value: str) -> float:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"Invalid {name} '{value[:40]}': expected an ISO 8601 date and time") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


@dataclass
class TopicService:
    """Reads and changes of topic entities, scoped to the caller."""

    repo: Repository
    store: TopicStore
    plugins: PluginRegistry
    clock: Clock

    # ---- reads -------------------------------------------------------------

    def select(self, who: Principal, filters: TopicFilters, start: int, stop: int) -> tuple[int, list[Record]]:
        """How many of the caller's topics match, and the matches in ``[start:stop]``."""
        now = self.clock()
        ids = set(filters.entity_ids) if filters.entity_ids else None
        needle = (filters.partial_name or "").lower()
        filtered = filters.entity_type is not None or ids is not None or needle
        return select_visible(self.repo, TABLE, who, now, start, stop, (lambda t: (
            (filters.entity_type is None or t["entity_type"] == filters.entity_type)
            and (ids is None or t["entity_id"] in ids)
            and needle in t["name"].lower()
        )) if filtered else None)

    def require(self, who: Principal, ref: str) -> Record:
        """A topic by id or, since the provider's topic resource passes Kafka names, by its name."""
        record = find_visible(self.repo, TABLE, who, ref, self.clock())
        if record is not None:
            return record
        now = self.clock()
        named = self.repo.find(TABLE, lambda t: is_visible(t, who, now), where={"name": ref})
        if len(named) > 1:
            raise BadRequest(f"Topic name '{ref}' matches {len(named)} topics; use the topic id")
        if not named:
            raise NotFound()
        return named[0]

    # ---- writes ------------------------------------------------------------

    def update(self, who: Principal, ref: str, partition_count: int | None, tags: list[str] | None) -> Record:
        """Change a topic; a missing ``source_<id>.…`` topic of a live source is created.

        The backend's update_topic creates the Kafka topic with the source connector's
        defaults when it does not exist (the 3.x topic resource relies on that).
        """
        if tags is not None:
            check_tag_ids(self.repo, who, tags)
        try:
            topic, missing = self.require(who, ref), False
        except NotFound:
            topic, missing = self._new_for_source(who, ref), True
        if partition_count is not None:
            if partition_count < topic["partitions"]:
                raise BadRequest(
                    f"Topic '{topic['name']}' has {topic['partitions']} partitions; Kafka partitions "
                    f"can only grow, so {partition_count} is not allowed"
                )
            topic["partitions"] = partition_count
        if tags is not None:
            topic["tags"] = list(tags)
        topic["updated_timestamp"] = iso_now(self.clock())
        return self.repo.insert(TABLE, topic) if missing else self.repo.replace(TABLE, topic)

    def _new_for_source(self, who: Principal, name: str) -> Record:
        """The topic ``name`` of one of the caller's live sources, not stored yet; 404 for any other name."""
        prefix, dot, rest = name.partition(".")
        source_id = prefix.removeprefix("source_")
        if not (prefix.startswith("source_") and dot and rest) or find_live(self.repo, "sources", who, source_id) is None:
            raise NotFound()
        return new_topic(who, "sources", source_id, name, self.clock())

    def delete(self, who: Principal, ref: str) -> Record:
        topic = self.require(who, ref)
        ensure_topic_unused(self.repo, who, topic)
        now = self.clock()
        # The owning entity lists its topics; keep that list in step with the topics table.
        owner = self.repo.get(topic["entity_type"], topic["entity_id"])
        with self.repo.transaction():
            self.repo.replace(TABLE, mark_deleted(topic, now, 0))
            if owner is not None and topic["id"] in owner.get("topic_ids", []):
                keep = [(i, n) for i, n in zip(owner["topic_ids"], owner["topics"]) if i != topic["id"]]
                owner["topic_ids"], owner["topics"] = [i for i, _ in keep], [n for _, n in keep]
                self.repo.replace(topic["entity_type"], owner)
        return topic

    # ---- presentation ------------------------------------------------------

    def present(self, topic: Record, *, detailed: bool = True) -> dict:
        return {
            # A topic's public id is its Kafka name: the provider's streamkap_topic keeps
            # this `id` as topic_id, which users write as "source_<id>.<schema>.<table>".
            # The stored ObjectId shows as the entity's topic_db_ids.
            "id": topic["name"],
            "name": topic["name"],
            "prefix": topic["prefix"],
            "entity": self._entity(topic),
            "serialization": SERIALIZATION,
            "kafka": {
                "partitions": {"count": topic["partitions"]},
                "configs": {"retention.ms": RETENTION_MS, "cleanup.policy": "delete"},
            } if detailed else None,
            **tags_shown(topic.get("tags")),
            "created_timestamp": topic["created_timestamp"],
            # The 2.x provider's topic resource reads these two top-level fields.
            "topic_id": topic["name"],
            "partition_count": topic["partitions"],
        }

    def present_details(self, topic: Record) -> dict:
        """The ``/topics/details`` item: the topic with its message counts."""
        last_7d = _figure(3_000_000, "7d", topic["id"])
        return {
            "id": topic["name"],
            "name": topic["name"],
            "entity": self._entity(topic),
            "prefix": topic["prefix"],
            "serialization": SERIALIZATION,
            "messages_7d": last_7d,
            "messages_30d": last_7d * 4 + _figure(1_000_000, "30d", topic["id"]),
        }

    def table_metrics(self, who: Principal, queries: list[MetricsQuery],
                      window: MetricsWindow = MetricsWindow()) -> dict[str, dict[str, dict | list[dict]]]:
        """``{entity_id: {topic_id: figures}}`` for the entities the caller can see; others are left out."""
        result: dict[str, dict[str, dict | list[dict]]] = {}
        for query in queries:
            if find_live(self.repo, query.entity_type, who, query.entity_id) is None:
                continue
            topic_ids = query.topic_ids or query.topic_db_ids or [
                t["name"] for t in self.store.owned(query.entity_id)
            ]
            result[query.entity_id] = {tid: window.figures(query.entity_id, tid) for tid in topic_ids}
        return result

    def _entity(self, topic: Record) -> dict:
        owner = self.repo.get(topic["entity_type"], topic["entity_id"]) or {}
        connector = owner.get("connector") or owner.get("transform_type")
        plugin = self.plugins.get(topic["entity_type"], connector) if connector else None
        siblings = self.store.owned(topic["entity_id"])
        return {
            "entity_type": topic["entity_type"],
            "entity_id": topic["entity_id"],
            "name": owner.get("name"),
            "connector": connector,
            "display_name": plugin.display_name if plugin else connector,
            "topic_ids": [t["name"] for t in siblings],
            "topic_db_ids": [t["id"] for t in siblings],
        }
