"""Concurrent requests on one app: no write lost, no duplicate name slips through."""

from __future__ import annotations

import asyncio

import httpx

from mockserver.app import create_app
from mockserver.settings import Settings
from tests.conftest import PG_SOURCE_CONFIG


async def burst(app, bodies):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        token = (await http.post("/auth/access-token",
                                 json={"client_id": "mock-client", "secret": "mock-secret"})).json()["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        responses = await asyncio.gather(*(http.post("/sources", json=b, headers=headers) for b in bodies))
        listing = (await http.get("/sources?page_size=100", headers=headers)).json()
    return responses, listing


def body(name: str, slot: str) -> dict:
    return {"name": name, "connector": "postgresql", "config": {**PG_SOURCE_CONFIG, "slot.name": slot}}


def test_concurrent_creates_are_all_kept(tmp_path):
    app = create_app(Settings(db=str(tmp_path / "db.json")))
    responses, listing = asyncio.run(burst(app, [body(f"s{i}", f"slot{i}") for i in range(30)]))
    assert [r.status_code for r in responses] == [200] * 30
    assert listing["total"] == 30
    app.state.backend.repo.close()
    reopened = create_app(Settings(db=str(tmp_path / "db.json")))
    assert len(reopened.state.backend.repo.find("sources", lambda r: True)) == 30
    reopened.state.backend.repo.close()


def test_concurrent_creates_with_one_name_give_one_entity(tmp_path):
    app = create_app(Settings(db=str(tmp_path / "db.json")))
    responses, listing = asyncio.run(burst(app, [body("same", f"slot{i}") for i in range(10)]))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    assert listing["total"] == 1
