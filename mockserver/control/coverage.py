"""What a client's traffic reached of the contract, read from the request journal.

Per operation: its calls and the status codes answered. Per connector type
(sources and destinations by connector, transforms by type): the creates,
updates and deletes that succeeded. An entity's type comes from the create or
update body, or from any answer that showed the entity (a delete names only its id).
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from mockserver.control.faults import Pattern, path_pattern
from mockserver.control.journal import Entry

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
KINDS = {"sources": "connector", "destinations": "connector", "transforms": "transform"}  # kind -> body's type field
_ANSWER_TYPE = {"connector", "transform_type"}  # where an answer names an entity's type


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # template, e.g. /sources/{id}
    pattern: Pattern  # RE2's, as path_pattern makes it

    def params(self, path: str) -> dict[str, str]:
        return {name[1:-1]: value for name, value in zip(self.path.split("/"), path.split("/"))
                if name.startswith("{")}

    @property
    def action(self) -> tuple[str, str] | None:
        """("create" | "update" | "delete", kind) for a write of a typed entity."""
        parts = self.path.strip("/").split("/")
        if parts[0] not in KINDS or len(parts) > 2 or (len(parts) == 2 and parts[1] != "{id}"):
            return None
        verb = {"POST": "create" if len(parts) == 1 else None, "PUT": "update", "DELETE": "delete"}.get(self.method)
        return (verb, parts[0]) if verb else None


class Catalogue:
    """The contract's operations, and which one a method and concrete path is a call of."""

    def __init__(self, operations: Iterable[tuple[str, str, str]]) -> None:
        """``operations``: (operation id, method, path template), in contract order."""
        self.operations = [Operation(op_id, method, path, path_pattern(path, None)) for op_id, method, path in operations]
        # A literal path wins over a template that also matches it (/sources/brief, not /sources/{id}).
        self._by_specificity = sorted(self.operations, key=lambda op: op.path.count("{"))

    def match(self, method: str, path: str) -> Operation | None:
        return next((op for op in self._by_specificity if op.method == method and op.pattern.match(path)), None)


def _typed_entities(body: Any) -> Iterable[dict]:
    """Entities an answer shows with their type: the body itself, or the items of its list."""
    items = body.get("result") if isinstance(body, dict) and isinstance(body.get("result"), list) else [body]
    if isinstance(body, list):
        items = body
    return (item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)
            and any(isinstance(item.get(key), str) for key in _ANSWER_TYPE))


def _type_of(item: dict) -> str:
    return next(item[key] for key in _ANSWER_TYPE if isinstance(item.get(key), str))


def _entity_id(op: Operation, entry: Entry) -> str | None:
    """The id a write acts on: in the path, the body (PUT /transforms) or the query (DELETE /transforms?id=)."""
    if "id" in op.path:
        return op.params(entry.path).get("id")
    if isinstance(entry.request_body, dict) and isinstance(entry.request_body.get("id"), str):
        return entry.request_body["id"]
    match = re.search(r"(?:^|&)id=([^&]+)", entry.query)
    return match.group(1) if match else None


def coverage(catalogue: Catalogue, entries: Iterable[Entry]) -> dict:
    """The coverage of these journal entries (oldest first), in the shape of ``models.Coverage``."""
    calls: Counter[str] = Counter()
    statuses: dict[str, Counter[str]] = {op.operation_id: Counter() for op in catalogue.operations}
    writes: dict[tuple[str, str], Counter[str]] = {}
    types: dict[str, str] = {}  # entity id -> its connector or transform type
    requests = unmatched = 0
    for entry in entries:
        requests += 1
        op = catalogue.match(entry.method, entry.path)
        if op is None:
            unmatched += 1
            continue
        calls[op.operation_id] += 1
        statuses[op.operation_id]["dropped" if entry.status is None else str(entry.status)] += 1
        succeeded = entry.status is not None and 200 <= entry.status < 300
        for item in _typed_entities(entry.response_body) if succeeded else ():
            types[item["id"]] = _type_of(item)
        action = op.action
        if action is None or not succeeded:
            continue
        verb, kind = action
        body = entry.request_body if isinstance(entry.request_body, dict) else {}
        entity_id = None if verb == "create" else _entity_id(op, entry)
        kind_type = body.get(KINDS[kind]) if isinstance(body.get(KINDS[kind]), str) else types.get(entity_id or "")
        if kind_type is not None:
            writes.setdefault((kind, kind_type), Counter())[verb] += 1
    operations = [{"operation_id": op.operation_id, "method": op.method, "path": op.path,
                   "calls": calls[op.operation_id], "statuses": dict(sorted(statuses[op.operation_id].items()))}
                  for op in catalogue.operations]
    return _shaped(operations, writes, requests, unmatched)


def _shaped(operations: list[dict], writes: dict[tuple[str, str], Counter[str]], requests: int,
            unmatched: int) -> dict:
    operations = sorted(operations, key=lambda op: (op["calls"] > 0, op["path"], _METHODS.index(op["method"])))
    never = [op["operation_id"] for op in operations if not op["calls"]]
    return {
        "operations_total": len(operations),
        "operations_called": len(operations) - len(never),
        "requests": requests,
        "unmatched": unmatched,
        "never_called": never,
        "operations": operations,
        "connectors": [{"entity_type": kind, "connector": code, "creates": counts["create"],
                        "updates": counts["update"], "deletes": counts["delete"]}
                       for (kind, code), counts in sorted(writes.items())],
    }


def merge(first: dict, second: dict) -> dict:
    """Two coverages of one contract as one (a test session's, across the resets that empty the journal)."""
    operations = {op["operation_id"]: {**op, "statuses": Counter(op["statuses"])} for op in first["operations"]}
    for op in second["operations"]:
        mine = operations.setdefault(op["operation_id"], {**op, "calls": 0, "statuses": Counter()})
        mine["calls"] += op["calls"]
        mine["statuses"].update(op["statuses"])
    writes: dict[tuple[str, str], Counter[str]] = {}
    for row in first["connectors"] + second["connectors"]:
        counts = writes.setdefault((row["entity_type"], row["connector"]), Counter())
        counts.update({"create": row["creates"], "update": row["updates"], "delete": row["deletes"]})
    merged = [{**op, "statuses": dict(sorted(op["statuses"].items()))} for op in operations.values()]
    return _shaped(merged, writes, first["requests"] + second["requests"], first["unmatched"] + second["unmatched"])


# ---- rendering ----------------------------------------------------------------

def _statuses(statuses: dict[str, int]) -> str:
    return " ".join(f"{code}x{count}" for code, count in statuses.items()) or "-"


def table(cov: dict) -> str:
    """Every operation (never-called first), the connector types written, and the totals: for a terminal."""
    rows = [("CALLS", "METHOD", "PATH", "OPERATION", "STATUSES")]
    rows += [(str(op["calls"]), op["method"], op["path"], op["operation_id"], _statuses(op["statuses"]))
             for op in cov["operations"]]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"{row[0]:>{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]:<{widths[3]}}  {row[4]}"
             for row in rows]
    if cov["connectors"]:
        width = max(len(f"{c['entity_type']}/{c['connector']}") for c in cov["connectors"])
        lines += ["", f"{'CONNECTOR TYPE':<{width}}  CREATES  UPDATES  DELETES"]
        lines += [f"{c['entity_type'] + '/' + c['connector']:<{width}}  {c['creates']:>7}  {c['updates']:>7}  "
                  f"{c['deletes']:>7}" for c in cov["connectors"]]
    lines += ["", headline(cov)]
    return "\n".join(lines)


def headline(cov: dict) -> str:
    return (f"{cov['operations_called']} of {cov['operations_total']} operations called, "
            f"{len(cov['never_called'])} never; {cov['requests']} requests, {cov['unmatched']} matched no operation")


def summary(cov: dict, width: int = 100, lines_each: int = 5) -> str:
    """One screen: the totals, the never-called operations, the error statuses seen, the connector types."""
    def block(title: str, items: list[str]) -> list[str]:
        wrapped = [line.replace("\0", " ") for line in textwrap.wrap(  # an item is not split over two lines
            ", ".join(item.replace(" ", "\0") for item in items), width - 4)] or ["none"]
        if len(wrapped) > lines_each:
            wrapped = wrapped[:lines_each - 1] + [f"... ({len(items)} in all: streamkap-mock coverage URL lists them)"]
        return [title] + ["    " + line for line in wrapped]

    operations = {op["operation_id"]: op for op in cov["operations"]}
    never = [f"{operations[o]['method']} {operations[o]['path']}" for o in cov["never_called"]]
    errors = [f"{op['method']} {op['path']} {_statuses({c: n for c, n in op['statuses'].items() if c[0] != '2'})}"
              for op in cov["operations"] if any(code[0] != "2" for code in op["statuses"])]
    connectors = [f"{c['entity_type']}/{c['connector']} {c['creates']}c {c['updates']}u {c['deletes']}d"
                  for c in cov["connectors"]]
    return "\n".join(["streamkap-mock coverage: " + headline(cov),
                      *block(f"  never called ({len(never)}):", never),
                      *block("  answers other than 2xx:", errors),
                      *block("  connector types written (creates, updates, deletes):", connectors)])
