"""What a client sees of the store: no effect before the whole request is valid, body limit,
storage failures as 507/503 with nothing written, large sources, deleted payloads dropped."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.settings import Settings
from tests.conftest import PG_SOURCE_CONFIG, SNOWFLAKE_CONFIG, Api, make_source
from tests.domain.test_store import FaultyDisk
from tests.http.test_transforms import created as created_transform, update_body

BAD = {"secret_returned": "maybe", "wait": "maybe"}


def pg_body(name: str, tables: str = "public.users,public.orders", slot: str | None = None) -> dict:
    """A PostgreSQL source; ``slot`` names its (set-once) slot and publication, by default after ``name``."""
    slot = slot or name
    return {"name": name, "connector": "postgresql",
            "config": {**PG_SOURCE_CONFIG, "table.include.list.user.defined": tables,
                       "slot.name": f"slot_{slot}", "publication.name": f"pub_{slot}"}}


def write_requests(api: Api) -> list[tuple[str, str, str, dict | None]]:
    """One valid write per route that takes a typed query parameter: (method, path, bad query, body)."""
    source = make_source(api)
    destination = api.post("/destinations", json={"name": "snow", "connector": "snowflake",
                                                   "config": SNOWFLAKE_CONFIG}).json()
    transform = created_transform(api)
    pipeline_body = {"name": "p1", "source": {"id": source["id"]}, "destination": {"id": destination["id"]},
                     "transforms": [], "tags": None}
    pipeline = api.post("/pipelines", json=pipeline_body).json()
    spare = make_source(api, name="spare")
    spare_destination = api.post("/destinations", json={"name": "snow2", "connector": "snowflake",
                                                         "config": SNOWFLAKE_CONFIG}).json()
    spare_transform = created_transform(api, name="t2")
    other_transform = created_transform(api, name="t4")
    snow = {"name": "snow3", "connector": "snowflake", "config": SNOWFLAKE_CONFIG}
    return [
        ("POST", "/sources", "secret_returned=maybe", pg_body("new")),
        ("POST", "/sources", "wait=maybe", pg_body("new")),
        ("PUT", f"/sources/{source['id']}", "secret_returned=maybe", pg_body("renamed", slot="pg")),
        ("PUT", f"/sources/{source['id']}", "wait=maybe", pg_body("renamed", slot="pg")),
        ("DELETE", f"/sources/{spare['id']}", "secret_returned=maybe", None),
        ("DELETE", f"/sources/{spare['id']}", "wait=maybe", None),
        ("POST", f"/sources/{source['id']}/actions/pause", "secret_returned=maybe", None),
        ("POST", "/destinations", "secret_returned=maybe", snow),
        ("POST", "/destinations", "wait=maybe", snow),
        ("PUT", f"/destinations/{destination['id']}", "secret_returned=maybe", {**snow, "name": "renamed"}),
        ("PUT", f"/destinations/{destination['id']}", "wait=maybe", {**snow, "name": "renamed"}),
        ("DELETE", f"/destinations/{spare_destination['id']}", "secret_returned=maybe", None),
        ("DELETE", f"/destinations/{spare_destination['id']}", "wait=maybe", None),
        ("POST", "/transforms", "secret_returned=maybe",
         {"transform": "map_filter", "config": {"transforms.name": "t3"}, "tags": None}),
        ("PUT", "/transforms", "secret_returned=maybe", update_body(transform["id"], name="t9")),
        ("PUT", f"/transforms/{transform['id']}", "secret_returned=maybe",
         {k: v for k, v in update_body(transform["id"], name="t9").items() if k != "id"}),
        ("DELETE", "/transforms", f"id={spare_transform['id']}&secret_returned=maybe", None),
        ("DELETE", "/transforms", f"id={spare_transform['id']}&wait=maybe", None),
        ("DELETE", "/transforms", "id=not-an-id", None),
        ("DELETE", f"/transforms/{other_transform['id']}", "secret_returned=maybe", None),
        ("DELETE", f"/transforms/{other_transform['id']}", "wait=maybe", None),
        ("POST", "/pipelines", "secret_returned=maybe", {**pipeline_body, "name": "p2"}),
        ("POST", "/pipelines", "wait=maybe", {**pipeline_body, "name": "p2"}),
        ("PUT", f"/pipelines/{pipeline['id']}", "secret_returned=maybe", {**pipeline_body, "name": "p3"}),
        ("PUT", f"/pipelines/{pipeline['id']}", "wait=maybe", {**pipeline_body, "name": "p3"}),
        ("DELETE", f"/pipelines/{pipeline['id']}", "secret_returned=maybe", None),
        ("DELETE", f"/pipelines/{pipeline['id']}", "wait=maybe", None),
    ]


def test_a_bad_query_on_any_write_route_is_422_and_changes_nothing(api):
    requests = write_requests(api)
    for method, path, query, body in requests:
        # The same request with a good query works, so the 422 is the query's alone.
        before = api.backend.repo.export_state()
        response = api.request(method, f"{path}?{query}", json=body)
        assert response.status_code == 422, (method, path, query, response.text)
        assert response.json()["detail"][0]["loc"][0] == "query"
        assert api.backend.repo.export_state() == before, (method, path, query)
    # Every write route with a typed query parameter is covered above.
    covered = {(m, _template(p)) for m, p, _, _ in requests}
    typed = {(r.operation.method, r.operation.path) for r in api.client.app.routes
             if getattr(r, "operation", None) and r.operation.method != "GET"
             and any(q.schema.get("type") in ("boolean", "integer") or "enum" in q.schema
                     for q in r.operation.query)}
    typed -= {("POST", "/sources/search"), ("POST", "/destinations/search"), ("POST", "/tags/search")}  # reads
    assert typed <= covered, typed - covered


def _template(path: str) -> str:
    parts = path.split("/")
    return "/".join("{id}" if len(p) == 24 else "{action}" if p == "pause" else p for p in parts)


def test_the_same_writes_with_good_queries_succeed(api):
    done = set()
    for method, path, query, body in write_requests(api):
        if "not-an-id" in query or (method, path) in done:
            continue
        done.add((method, path))
        good = "&".join(p for p in query.split("&") if "maybe" not in p)
        response = api.request(method, f"{path}?{good}", json=body)
        assert response.status_code == 200, (method, path, response.text)


def test_a_body_over_the_limit_is_413_with_a_json_detail(make_api):
    api = make_api(max_body=10_000)
    big = pg_body("big", ",".join(f"public.t{i}" for i in range(2_000)))
    response = api.post("/sources", json=big)
    assert response.status_code == 413
    assert "10000 bytes" in response.json()["detail"]
    # A streamed body without a length is cut off as soon as it passes the limit.
    chunks = (b"x" * 4_000 for _ in range(5))
    streamed = api.request("POST", "/sources", content=chunks, headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert api.get("/sources").json()["total"] == 0
    assert api.post("/sources", json=pg_body("small")).status_code == 200


@pytest.mark.parametrize("code, status", [(errno.ENOSPC, 507), (errno.EIO, 503)])
def test_a_failed_write_answers_json_and_leaves_no_trace(api, code, status):
    disk = api.backend.repo.disk = FaultyDisk()
    kept = make_source(api, name="kept")
    disk.fail_write = code
    response = api.post("/sources", json=pg_body("lost"))
    assert response.status_code == status
    assert "nothing was written" in response.json()["detail"]
    assert api.put(f"/sources/{kept['id']}", json=pg_body("renamed", slot="kept")).status_code == status
    assert api.delete(f"/sources/{kept['id']}").status_code == status
    names = [s["name"] for s in api.get("/sources").json()["result"]]
    assert names == ["kept"]
    assert api.get("/topics").json()["total"] == 2  # kept's own, no more
    disk.heal()  # space is back: the same request now works, with no restart
    assert api.post("/sources", json=pg_body("lost")).status_code == 200
    api.client.__exit__(None, None, None)
    on_disk = api.disk_text()
    assert '"lost"' in on_disk and '"renamed"' not in on_disk


def test_a_failed_fsync_answers_503_and_the_write_is_undone(api):
    disk = api.backend.repo.disk = FaultyDisk()
    disk.fail_fsync = errno.EIO
    response = api.post("/sources", json=pg_body("lost"))
    assert response.status_code == 503
    disk.heal()
    assert api.get("/sources").json()["total"] == 0
    assert api.post("/sources", json=pg_body("lost")).status_code == 200


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); "
                    "test_a_failed_write_answers_json_and_leaves_no_trace covers it through the fault seam")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_a_full_disk_answers_507_and_writes_resume_once_space_is_back(tmp_path):
    with tmpfs(tmp_path / "small", "1m") as disk:
        settings = Settings(db=str(disk / "db.json"))
        with TestClient(create_app(settings)) as client:
            api = Api(client)
            assert api.post("/sources", json=pg_body("first")).status_code == 200
            filler = disk / "filler"
            with contextlib.suppress(OSError), open(filler, "wb") as handle:
                while True:
                    handle.write(b"\0" * 4096)
                    handle.flush()
            statuses = [api.post("/sources", json=pg_body(f"s{i}")).status_code for i in range(5)]
            assert statuses[-1] == 507 and set(statuses) <= {200, 507}
            stored = api.get("/sources?page_size=100").json()["total"]
            assert stored == 1 + statuses.count(200)
            filler.unlink()
            assert api.post("/sources", json=pg_body("after")).status_code == 200
        with TestClient(create_app(settings)) as client:
            assert Api(client).get("/sources?page_size=100").json()["total"] == stored + 1


def test_a_source_with_12000_tables_gets_12000_topics(api):
    tables = ",".join(f"public.table_{i}" for i in range(12_000))
    source = api.post("/sources", json=pg_body("wide", tables)).json()
    assert len(source["topic_ids"]) == 12_000
    assert source["topics"][-1] == f"source_{source['id']}.public.table_11999"
    listing = api.get(f"/topics?entity_id={source['id']}&page=1200&page_size=10").json()
    assert listing["total"] == 12_000 and listing["result"][-1]["name"] == source["topics"][-1]
    fewer = ",".join(f"public.table_{i}" for i in range(0, 12_000, 2))
    assert len(api.put(f"/sources/{source['id']}", json=pg_body("wide", fewer, slot="wide")).json()["topic_ids"]) == 6_000
    assert api.delete(f"/sources/{source['id']}").status_code == 200
    assert api.get("/topics").json()["total"] == 0


def test_a_deleted_entity_keeps_no_payload_on_disk(api):
    source = make_source(api, name="gone")
    assert api.delete(f"/sources/{source['id']}").status_code == 200
    stored = api.on_disk()["sources"]
    (record,) = stored.values()
    assert record["id"] == source["id"] and record["deleted"] is True
    assert "config" not in record and "topics" not in record
    assert api.get(f"/sources/{source['id']}").json()["total"] == 0
    assert make_source(api, name="gone")["id"] != source["id"]  # the name is free again, the id is not reused


def test_a_deleted_entity_stays_readable_during_its_grace_time(make_api, clock):
    api = make_api(delete_delay=30)
    source = make_source(api, name="graced")
    assert api.delete(f"/sources/{source['id']}?wait=false").status_code == 200
    assert api.get(f"/sources/{source['id']}").json()["result"][0]["config"]["database.dbname"] == "mydb"
    assert api.get("/sources").json()["total"] == 1
    clock.advance(31)
    assert api.get("/sources").json()["total"] == 0
    assert api.get(f"/sources/{source['id']}").json()["total"] == 0


def test_the_db_and_its_lock_stay_in_the_db_directory(api):
    db = Path(api.backend.settings.db)
    lock = db.with_name(db.name + ".lock")
    assert lock.exists() and lock.read_text().splitlines()[0] == str(os.getpid())  # then the stamps
