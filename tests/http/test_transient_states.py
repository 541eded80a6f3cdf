"""The states the backend passes through, each visible for as long as the mock is told it lasts.

The clock is the tests' own: nothing settles until it is moved, so "the next
read" happens at the very instant of the write.
"""

from __future__ import annotations

import pytest

from tests.conftest import SNOWFLAKE_CONFIG, make_source
from tests.http.test_backend_answers import pg_body


def status_of(api, kind, entity_id):
    return api.get(f"/{kind}/{entity_id}").json()["result"][0]["connector_status"]


def created(api, kind):
    if kind == "sources":
        return make_source(api)
    response = api.post("/destinations", json={"name": "snow", "connector": "snowflake", "config": SNOWFLAKE_CONFIG})
    assert response.status_code == 200, response.text
    return response.json()


def replaced(api, kind, entity, query="?wait=false"):
    body = {"name": entity["name"] + "-2", "connector": entity["connector"], "config": entity["config"]}
    response = api.put(f"/{kind}/{entity['id']}{query}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("kind", ["sources", "destinations"])
def test_put_without_wait_answers_pending_update_and_the_next_read_is_settled(api, kind):
    entity = created(api, kind)
    assert entity["connector_status"] == "Active"
    answer = replaced(api, kind, entity)
    assert answer["connector_status"] == "Pending Update"
    assert answer["task_statuses"] == {"0": {"state": "RUNNING"}}
    assert status_of(api, kind, entity["id"]) == "Active"  # default status delay 0: settled at once


@pytest.mark.parametrize("kind", ["sources", "destinations"])
def test_pending_update_lasts_the_status_delay_on_the_virtual_clock(make_api, kind):
    api = make_api(status_delay=20)
    entity = created(api, kind)
    api.client.post("/__mock/clock/advance", json={"seconds": 20})
    assert status_of(api, kind, entity["id"]) == "Active"
    assert replaced(api, kind, entity)["connector_status"] == "Pending Update"
    api.client.post("/__mock/clock/advance", json={"seconds": 19})
    assert status_of(api, kind, entity["id"]) == "Pending Update"
    listed = api.get(f"/{kind}?status=Pending Update").json()["result"]
    assert [e["id"] for e in listed] == [entity["id"]]
    api.client.post("/__mock/clock/advance", json={"seconds": 1})
    assert status_of(api, kind, entity["id"]) == "Active"


def test_put_that_waits_answers_the_settled_status(api):
    """The 2.x provider sends no wait flag: the backend finishes the work before it answers."""
    source = make_source(api)
    assert replaced(api, "sources", source, query="")["connector_status"] == "Active"
    assert replaced(api, "sources", source, query="?wait=true")["connector_status"] == "Active"


def test_an_update_settles_back_into_the_status_it_had(make_api):
    api = make_api(status_delay=5)
    source = make_source(api)  # Starting, heading to Active
    assert replaced(api, "sources", source)["connector_status"] == "Pending Update"
    api.client.post("/__mock/clock/advance", json={"seconds": 5})
    assert status_of(api, "sources", source["id"]) == "Active"
    assert api.post(f"/sources/{source['id']}/actions/pause").status_code == 200
    assert replaced(api, "sources", source)["connector_status"] == "Pending Update"
    api.client.post("/__mock/clock/advance", json={"seconds": 5})
    assert status_of(api, "sources", source["id"]) == "Paused"  # an update does not resume it


def test_a_pending_update_can_be_paused(make_api):
    api = make_api(status_delay=5)
    source = make_source(api)
    replaced(api, "sources", source)
    paused = api.post(f"/sources/{source['id']}/actions/pause")
    assert paused.status_code == 200 and paused.json()["connector_status"] == "Paused"


def test_a_rejected_update_leaves_the_status_alone(make_api):
    api = make_api(status_delay=5)
    source = make_source(api)
    api.client.post("/__mock/clock/advance", json={"seconds": 5})
    body = pg_body(name=source["name"], **{"slot.name": "another_slot"})  # set once: refused
    assert api.put(f"/sources/{source['id']}?wait=false", json=body).status_code == 400
    assert status_of(api, "sources", source["id"]) == "Active"


def test_realistic_delays_each_last_their_own_time_on_the_virtual_clock(make_api):
    """The --timing realistic numbers: Starting 10 s, a DEPLOYING job 20 s, a deleted entity visible 10 s."""
    api = make_api(status_delay=10, delete_delay=10, deploy_delay=20)
    source = make_source(api)
    transform = api.post("/transforms", json={"transform": "map_filter", "config": {"transforms.name": "t"}}).json()
    assert api.put(f"/transforms/{transform['id']}/deploy-job-live/no-version").json()["status"] == "DEPLOYING"
    assert api.delete(f"/destinations/{created(api, 'destinations')['id']}?wait=false").status_code == 200
    api.client.post("/__mock/clock/advance", json={"seconds": 9})
    assert status_of(api, "sources", source["id"]) == "Starting"
    assert api.get("/destinations").json()["total"] == 1  # still within its delete grace
    api.client.post("/__mock/clock/advance", json={"seconds": 1})
    assert status_of(api, "sources", source["id"]) == "Active"
    assert api.get("/destinations").json()["total"] == 0
    job = api.get(f"/transforms/{transform['id']}/job_status").json()
    assert job["status"] == "DEPLOYING" and job["start_time"] is None
    api.client.post("/__mock/clock/advance", json={"seconds": 10})
    assert api.get(f"/transforms/{transform['id']}/job_status").json()["status"] == "RUNNING"


def test_kc_cluster_id_is_kept_as_sent_and_null_for_the_default_cluster(api):
    """The 3.x provider defaults kc_cluster_id to "" (omitted) and copies what Read answers into state."""
    default = make_source(api)
    assert default["kc_cluster_id"] is None
    body = {**pg_body(name="pinned"), "kc_cluster_id": "kc-cluster-2"}
    pinned = api.post("/sources", json=body).json()
    assert pinned["kc_cluster_id"] == "kc-cluster-2"
    body.pop("kc_cluster_id")  # an update that leaves it out keeps it
    assert api.put(f"/sources/{pinned['id']}", json=body).json()["kc_cluster_id"] == "kc-cluster-2"
