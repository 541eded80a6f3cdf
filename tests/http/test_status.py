"""Connector status: Starting -> Active, and the actions' state machine."""

from __future__ import annotations

import pytest

from tests.conftest import PG_SOURCE_CONFIG


def create(api):
    response = api.post("/sources", json={"name": "s", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    assert response.status_code == 200
    return response.json()


def status_of(api, entity_id):
    entity = api.get(f"/sources/{entity_id}").json()["result"][0]
    return entity["connector_status"], entity["task_statuses"]["0"]["state"]


def act(api, entity_id, action):
    return api.post(f"/sources/{entity_id}/actions/{action}")


def test_new_source_is_active_immediately_by_default(api):
    body = create(api)
    assert body["connector_status"] == "Active"
    assert body["task_statuses"] == {"0": {"state": "RUNNING"}}


def test_new_source_starts_then_becomes_active_after_the_delay(make_api, clock):
    api = make_api(status_delay=3)
    body = create(api)
    assert body["connector_status"] == "Starting"
    assert status_of(api, body["id"]) == ("Starting", "UNASSIGNED")
    clock.advance(3)
    assert status_of(api, body["id"]) == ("Active", "RUNNING")


def test_pause_resume_stop_restart_cycle(api):
    entity_id = create(api)["id"]
    assert act(api, entity_id, "pause").json()["connector_status"] == "Paused"
    assert status_of(api, entity_id) == ("Paused", "PAUSED")
    assert act(api, entity_id, "resume").json()["connector_status"] == "Active"
    assert act(api, entity_id, "stop").json()["connector_status"] == "Stopped"
    assert status_of(api, entity_id) == ("Stopped", "STOPPED")
    assert act(api, entity_id, "resume").json()["connector_status"] == "Active"
    assert act(api, entity_id, "restart").json()["connector_status"] == "Active"


def test_restart_goes_through_starting_with_a_delay(make_api, clock):
    api = make_api(status_delay=2)
    entity_id = create(api)["id"]
    clock.advance(2)
    assert act(api, entity_id, "restart").json()["connector_status"] == "Starting"
    clock.advance(2)
    assert status_of(api, entity_id) == ("Active", "RUNNING")


@pytest.mark.parametrize("first,second,status", [
    ("pause", "pause", "Paused"), ("pause", "restart", "Paused"), ("stop", "stop", "Stopped"),
    ("stop", "pause", "Stopped"),
])
def test_action_that_makes_no_sense_is_409(api, first, second, status):
    entity_id = create(api)["id"]
    assert act(api, entity_id, first).status_code == 200
    response = act(api, entity_id, second)
    assert response.status_code == 409
    assert response.json() == {"detail": f"Cannot {second} a connector whose status is {status}"}


def test_resume_of_an_active_source_is_409(api):
    entity_id = create(api)["id"]
    response = act(api, entity_id, "resume")
    assert response.status_code == 409


def test_unknown_action_is_400(api):
    entity_id = create(api)["id"]
    response = act(api, entity_id, "explode")
    assert response.status_code == 400
    assert "Unknown action 'explode'" in response.json()["detail"]


def test_action_on_unknown_source_is_404(api):
    response = act(api, "b" * 24, "pause")
    assert response.status_code == 404
    assert response.json() == {"detail": "Entity not found"}


def test_read_only_cannot_act(api):
    entity_id = create(api)["id"]
    assert api.post(f"/sources/{entity_id}/actions/pause", as_="mock-readonly").status_code == 403
