"""Every source action from every connector status, written out (not read from mockserver.domain.status).

Statuses are those of the backend (reference 3.5). Each is reached the way a user
of the mock reaches it: Starting by creating with a status delay, Active by moving
the virtual clock past it, Paused and Stopped by the actions, and Broken,
Unassigned and Unknown by the control plane's forced status.
"""

from __future__ import annotations

import pytest

from tests.conftest import make_source

DELAY = 30  # --status-delay: a started connector shows Starting for this long

# status -> the state its task shows
TASK = {
    "Active": "RUNNING",
    "Paused": "PAUSED",
    "Stopped": "STOPPED",
    "Broken": "FAILED",
    "Starting": "UNASSIGNED",
    "Unassigned": "UNASSIGNED",
    "Unknown": "UNASSIGNED",
}
STATUSES = list(TASK)

# (action, from status) -> the status it answers with (then settles to Active if Starting); absent: 409.
ALLOWED = {
    ("pause", "Active"): "Paused",
    ("pause", "Starting"): "Paused",
    ("pause", "Unassigned"): "Paused",
    ("resume", "Paused"): "Starting",
    ("resume", "Stopped"): "Starting",
    ("restart", "Active"): "Starting",
    ("restart", "Broken"): "Starting",
    ("restart", "Starting"): "Starting",
    ("restart", "Unassigned"): "Starting",
    ("restart", "Unknown"): "Starting",
    ("stop", "Active"): "Stopped",
    ("stop", "Paused"): "Stopped",
    ("stop", "Starting"): "Stopped",
    ("stop", "Broken"): "Stopped",
    ("stop", "Unassigned"): "Stopped",
    ("stop", "Unknown"): "Stopped",
}
ACTIONS = ["pause", "resume", "restart", "stop"]
TABLE = [(action, status) for action in ACTIONS for status in STATUSES]


def advance(api, seconds: float) -> None:
    response = api.client.post("/__mock/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def read(api, source_id: str) -> dict:
    [entity] = api.get(f"/sources/{source_id}").json()["result"]
    return entity


def shown(entity: dict) -> tuple[str, str]:
    return entity["connector_status"], entity["task_statuses"]["0"]["state"]


def source_in(api, status: str) -> str:
    """A new source showing ``status``, reached as a user of the mock would."""
    source_id = make_source(api)["id"]  # Starting, for DELAY seconds
    if status != "Starting":
        advance(api, DELAY)
    if status in ("Paused", "Stopped"):
        api.ok("POST", f"/sources/{source_id}/actions/{'pause' if status == 'Paused' else 'stop'}")
    elif status in ("Broken", "Unassigned", "Unknown"):
        forced = api.client.put(f"/__mock/connectors/{source_id}/status", json={"status": status})
        assert forced.status_code == 200, forced.text
    assert shown(read(api, source_id)) == (status, TASK[status])
    return source_id


@pytest.fixture
def api(make_api):
    return make_api(status_delay=DELAY)


def test_the_table_covers_every_action_from_every_status():
    assert len(TABLE) == 28 and len(ALLOWED) == 16 and set(ALLOWED) <= set(TABLE)


@pytest.mark.parametrize("action,status", TABLE, ids=[f"{a}-from-{s}" for a, s in TABLE])
def test_an_action_from_a_status(api, action, status):
    source_id = source_in(api, status)
    before = read(api, source_id)
    response = api.post(f"/sources/{source_id}/actions/{action}")

    if (action, status) not in ALLOWED:
        assert response.status_code == 409, response.text
        assert response.json() == {"detail": f"Cannot {action} a connector whose status is {status}"}
        assert read(api, source_id) == before
        advance(api, DELAY)  # and nothing set in motion: a Starting connector settles as it would have
        untouched = "Active" if status == "Starting" else status
        assert shown(read(api, source_id)) == (untouched, TASK[untouched])
        return

    answered = ALLOWED[(action, status)]
    assert response.status_code == 200, response.text
    assert shown(response.json()) == (answered, TASK[answered])
    assert shown(read(api, source_id)) == (answered, TASK[answered])
    advance(api, DELAY)
    settled = "Active" if answered == "Starting" else answered
    assert shown(read(api, source_id)) == (settled, TASK[settled])
