"""Contract testing: run schemathesis over an API with the mock's OpenAPI document.

The same run serves the test suite (the mock in-process, over ASGI) and the
``streamkap-mock contract-test`` command (any server by URL: the mock, another
build of it, or the real Streamkap API). It goes through schemathesis's engine,
the one its own ``st run`` command drives, so every phase runs (examples,
coverage, fuzzing, stateful over the document's links) with every built-in check.
"""

from __future__ import annotations

import json
import tomllib
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure
from schemathesis.core.result import Ok
from schemathesis.engine import Status, events, from_schema

from mockserver.http.openapi import MISSING_READS_EMPTY, SECURITY_SCHEME, document

# The project's settings, which `schemathesis run` in the checkout reads by itself.
PROJECT_SETTINGS = Path(__file__).resolve().parents[1] / "schemathesis.toml"


def project_settings() -> dict[str, Any]:
    """schemathesis.toml as a dict (empty where the file is not beside the package, e.g. an installed wheel)."""
    return tomllib.loads(PROJECT_SETTINGS.read_text()) if PROJECT_SETTINGS.is_file() else {}


# The document describes shapes; a connector's config rules live in its plugin
# and cannot be written as a schema. So a well-shaped request a domain rule
# rejects (400: unknown connector, missing config key, set-once field) is an
# accepted outcome of positive data. A 422 is not: it means the schema and the
# server disagree about the shape.
# schemathesis.toml accepts 401 and 403 for every operation, so that a bare
# `schemathesis run` passes; the suite is stricter and accepts them only where
# the backend refuses for who asks (REFUSED_FOR_WHO_ASKS).
POSITIVE_STATUSES = ["2xx", "400", "404", "409"]
# Where well-shaped data is refused for who asks rather than for what it says, by operation id;
# each mirrors the backend:
REFUSED_FOR_WHO_ASKS = {
    # the token endpoints answer 401 to a client id and secret that do not match;
    "get_access_token": ["401"],
    "get_access_token_api": ["401"],
    # a caller cannot mint a credential with a role it lacks, nor delete one the fixtures define;
    "create_client_credential": ["403"],
    "delete_client_credential": ["403"],
    # system tags cannot be changed or deleted.
    "update_tag": ["403"],
    "delete_tag": ["403"],
}


def build_config(*, base_url: str | None, token: str | None, max_examples: int, seed: int | None = None,
                 max_steps: int | None = None, doc: dict | None = None,
                 read_only: bool = False, other_tokens: dict[str, str] | None = None) -> schemathesis.Config:
    """The run's settings: the project's, plus this run's; ``doc`` is the document under test.

    ``read_only``: the token may read but not write, so every write may answer 403.
    ``other_tokens``: bearer tokens of the document's other security schemes, by scheme name.
    """
    project: dict[str, Any] = {
        **project_settings(),
        "generation": {"max-examples": max_examples},
        "suppress-health-check": ["all"],
    }
    project["checks"] = {**project.get("checks", {}),
                         "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}}
    if base_url:
        project["base-url"] = base_url.rstrip("/")
    if token:
        project["auth"] = {"openapi": {SECURITY_SCHEME: {"bearer": token}}}
    for scheme, other in (other_tokens or {}).items():
        project.setdefault("auth", {"openapi": {}})["openapi"][scheme] = {"bearer": other}
    if seed is not None:
        project["seed"] = seed
    # No example database: nothing written to ./.hypothesis, nothing replayed from an earlier run.
    project["generation"]["database"] = "none"
    if max_steps:
        project["phases"] = {"stateful": {"max-steps": max_steps}}
    empty_reads = _missing_reads_empty(doc or {})
    if empty_reads:
        # use_after_free wants a 404 after a delete; these promise an empty
        # envelope instead, which deleted_reads_empty checks.
        project["operations"] = [*project.get("operations", []),
                                 {"include-operation-id": empty_reads,
                                  "checks": {"use_after_free": {"enabled": False}}}]
    project.setdefault("operations", []).extend(_refusals(doc or {}, read_only))
    return schemathesis.Config.from_dict(project)


def _refusals(doc: dict, read_only: bool) -> list[dict]:
    """One entry per operation that positive data may see refused: its accepted statuses."""
    entries = []
    for methods in doc.get("paths", {}).values():
        for method, spec in methods.items():
            extra = list(REFUSED_FOR_WHO_ASKS.get(spec["operationId"], []))
            if read_only and method != "get" and spec.get("security"):
                extra.append("403")  # a read-only credential that writes: "lacks the 'write' permission"
            if extra:
                entries.append({"include-operation-id": [spec["operationId"]], "checks": {
                    "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES + sorted(set(extra))}}})
    return entries


def _missing_reads_empty(doc: dict) -> list[str]:
    return sorted(spec["operationId"] for methods in doc.get("paths", {}).values()
                  for spec in methods.values() if spec.get(MISSING_READS_EMPTY))


# Reads after a successful DELETE of the same entity that deleted_reads_empty examined, by path
# template: a run that never got that far proves nothing about deleted entities.
EXAMINED_DELETES: Counter[str] = Counter()


class DeletedStillListed(Failure):
    code = "ST991"
    kind_title = "Deleted entity still read"


@schemathesis.check
def deleted_reads_empty(ctx: Any, response: Any, case: Any) -> bool | None:
    """After a successful DELETE of an entity, its envelope read is 200 with nothing in it."""
    if not case.operation.definition.raw.get(MISSING_READS_EMPTY) or response.status_code != 200:
        return None
    for related in ctx.internals.find_related(case_id=case.id):
        if (related.operation.method.upper() != "DELETE" or related.path != case.path
                or related.path_parameters != case.path_parameters):
            continue
        if related.query.get("wait") in (False, "false"):
            continue  # the delete finishes in the background; reads may see it for a while
        deleted = ctx.internals.find_response(case_id=related.id)
        if deleted is None or not 200 <= deleted.status_code < 300:
            continue
        EXAMINED_DELETES[case.path] += 1
        body = response.json()
        if body.get("total") != 0 or body.get("result") != []:
            raise DeletedStillListed(
                operation=case.operation.label,
                message=f"{case.operation.label} still returns the entity deleted by "
                        f"DELETE {related.formatted_path}: total={body.get('total')}",
            )
    return None


def fetch_token(base_url: str, client_id: str, secret: str) -> str:
    request = urllib.request.Request(
        base_url.rstrip("/") + "/auth/access-token",
        data=json.dumps({"client_id": client_id, "secret": secret}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["accessToken"]


# ---- running and reporting ---------------------------------------------------

@dataclass
class OperationResult:
    cases: int = 0
    # Check name -> distinct failure titles and messages.
    failures: dict[str, set[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class Report:
    operations: dict[str, OperationResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Calls made in each phase (examples, coverage, fuzzing, stateful).
    phases: dict[str, int] = field(default_factory=dict)
    # Stateful calls whose parameters came from an earlier response through a link.
    linked_calls: int = 0
    # Status codes answered, by operation label.
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    # Reads after a successful DELETE that deleted_reads_empty examined, by path template.
    deleted_reads: dict[str, int] = field(default_factory=dict)
    # (operation label, watched text) for every response that showed a watched text.
    leaks: set[tuple[str, str]] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors and all(result.ok for result in self.operations.values())

    def summary(self) -> str:
        width = max((len(label) for label in self.operations), default=10)
        lines = []
        for label in sorted(self.operations, key=lambda lbl: (lbl.split(" ", 1)[-1], lbl)):
            result = self.operations[label]
            verdict = "ok" if result.ok else "FAILED " + ", ".join(sorted(result.failures))
            lines.append(f"{label:<{width}}  {result.cases:>5} calls  {verdict}")
        for label, result in sorted(self.operations.items()):
            for check, messages in sorted(result.failures.items()):
                for message in sorted(messages):
                    lines.append(f"\n[{check}] {label}\n{message}")
        lines.extend(f"\nERROR: {error}" for error in dict.fromkeys(self.errors))
        failed = sum(not r.ok for r in self.operations.values())
        calls = ", ".join(f"{phase} {count}" for phase, count in self.phases.items())
        lines.append(f"\ncalls by phase: {calls}; calls following a link: {self.linked_calls}")
        lines.append(f"{len(self.operations)} operations, {failed} failed, {len(set(self.errors))} errors")
        return "\n".join(lines)


def mix_in_examples(schema: Any) -> None:
    """Let half the positive cases of an operation with request examples send one of them (renamed).

    Random bodies almost never pass a connector's config rules, so without
    this a stateful run would never create anything for its links to act on.
    """
    from hypothesis import strategies as st

    raw = schema.raw_schema
    shared = raw.get("components", {}).get("examples", {})
    bodies: dict[tuple[str, str], list[Any]] = {}
    for path, methods in raw.get("paths", {}).items():
        for method, spec in methods.items():
            media = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
            for example in media.get("examples", {}).values():
                ref = example.get("$ref", "")
                example = shared.get(ref.rsplit("/", 1)[-1], {}) if ref else example
                if "value" in example:
                    bodies.setdefault((method.upper(), path), []).append(example["value"])

    def with_example(case: Any, value: Any, suffix: int) -> Any:
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            value = {**value, "name": f"{value['name']}-{suffix}"}
        case.body = value
        return case

    @schema.hook
    def flatmap_case(context: Any, case: Any) -> Any:
        values = bodies.get((case.method.upper(), case.operation.path))
        # Only a positive case: a negative one must keep the invalid part its metadata names.
        if not values or case.meta is None or not case.meta.generation.mode.is_positive:
            return st.just(case)
        return st.one_of(st.just(case), st.builds(lambda v, n: with_example(case, v, n),
                                                  st.sampled_from(values), st.integers(0, 10**6)))


def run(schema: Any, watch: tuple[str, ...] = ()) -> Report:
    """Run every phase; ``watch``: texts no response may show (another tenant's ids, say)."""
    mix_in_examples(schema)
    report = Report()
    EXAMINED_DELETES.clear()
    for label in _labels(schema):
        report.operations[label] = OperationResult()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            report.phases[event.phase.value] = report.phases.get(event.phase.value, 0) + len(event.recorder.cases)
            _record(report, event.recorder)
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            report.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            report.errors.extend(f"{f.title}: {f.message}" for f in event.failures)
        if isinstance(event, events.ScenarioFinished):
            _observe(report, event.recorder, watch)
    report.deleted_reads = dict(EXAMINED_DELETES)
    return report


def _labels(schema: Any) -> list[str]:
    """Every valid operation; an invalid one is reported by the engine as an error."""
    return [result.ok().label for result in schema.get_all_operations() if isinstance(result, Ok)]


def _record(report: Report, recorder: Any) -> None:
    for case_id, node in recorder.cases.items():
        label = node.value.operation.label
        result = report.operations.setdefault(label, OperationResult())
        result.cases += 1
        report.linked_calls += node.transition is not None
        for check in recorder.checks.get(case_id, []):
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                text = f"{failure.title}: {failure.message}\n{check.failure_info.code_sample}"
                result.failures.setdefault(check.name, set()).add(text)


def load_document(spec: Path | None) -> dict:
    """The document in a JSON file, or else this build's own: the contract, whatever the server serves."""
    return json.loads(spec.read_text()) if spec is not None else document()


# ---- stateful runs over real entities -----------------------------------------

def creates_as_entry_points(schema: Any) -> None:
    """Let every create start a stateful scenario.

    Schemathesis infers a resource from each ``*_id`` body field and starts no
    scenario with an operation needing a resource that no operation produces:
    the optional ``kc_cluster_id`` (a Kafka Connect cluster the backend picks)
    kept POST /sources and POST /destinations from ever being called, so no
    connector was ever created, read, updated or deleted by the stateful phase.
    """
    graph = schema.analysis.dependency_graph
    produced = {output.resource.name for node in graph.operations.values() for output in node.outputs}
    for node in graph.operations.values():
        node.inputs = [slot for slot in node.inputs
                       if slot.resource_field is None or slot.resource.name in produced]


def mix_in_bodies(schema: Any, factories: dict[str, Any]) -> None:
    """Let most positive cases of an operation (by label) send ``factories[label](n)``, n random.

    The factories make bodies that pass the plugin rules and are unique where the
    backend wants unique names, so creates succeed and the links act on real entities.
    """
    from hypothesis import strategies as st

    @schema.hook("flatmap_case")
    def with_factory_body(context: Any, case: Any) -> Any:
        factory = factories.get(f"{case.method.upper()} {case.operation.path}")
        if factory is None or case.meta is None or not case.meta.generation.mode.is_positive:
            return st.just(case)

        def built(n: int) -> Any:
            case.body = factory(n)
            return case

        # Mostly the factory's: a random body rarely gets past the plugin rules.
        return st.builds(lambda own, n: case if own else built(n), st.sampled_from([True, False, False, False]),
                         st.integers(0, 10**9))


def _observe(report: Report, recorder: Any, watch: tuple[str, ...]) -> None:
    for case_id, node in recorder.cases.items():
        interaction = recorder.interactions.get(case_id)
        response = interaction.response if interaction is not None else None
        if response is None:
            continue
        label = node.value.operation.label
        report.statuses.setdefault(label, Counter())[str(response.status_code)] += 1
        text = response.content.decode("utf-8", "replace")
        report.leaks.update((label, watched) for watched in watch if watched in text)


def link_deletes_to_reads(doc: dict) -> dict:
    """A copy of ``doc`` whose DELETEs link to the read of the entity they deleted.

    The document links each create to the operations on what it created, so a
    read and a delete of one entity are siblings, and a read after the delete
    is left to chance; this link asks for it, for every read that answers an
    empty envelope for a gone entity (what deleted_reads_empty checks).
    """
    doc = json.loads(json.dumps(doc))
    for path, methods in doc.get("paths", {}).items():
        read, delete = methods.get("get", {}), methods.get("delete")
        if delete is None or not read.get(MISSING_READS_EMPTY):
            continue
        for status, response in delete.get("responses", {}).items():
            if status.startswith("2"):
                params = {f"path.{p['name']}": f"$request.path.{p['name']}"
                          for p in delete.get("parameters", []) if p["in"] == "path"}
                response.setdefault("links", {})["read_after_delete"] = {
                    "operationId": read["operationId"], "parameters": params}
    return doc
