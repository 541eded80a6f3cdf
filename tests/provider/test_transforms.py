"""Every 3.x transform resource (`streamkap_transform_<type>`), replayed call by call.

Create: POST /transforms, then PUT implementation_details when the user set
implementation_json, then (deploy = true) a preview deploy for the Flink types,
a live deploy and job_status polls until RUNNING; without deploy one job_status
read, whose "Job not found" the provider takes as UNKNOWN. Read: GET by id with
unwind_topics=false. Update: GET, then PUT /transforms with the id in the body.
Delete: DELETE /transforms?id=. 2.x only reads a transform (data source).
"""

from __future__ import annotations

import re

import pytest

from tests.provider.configs import connectors, v3_config, v3_config_all_set
from tests.provider.wire import ApiError, assert_config_echoed, implementation_kept, wait_gone

OBJECT_ID = re.compile(r"[0-9a-f]{24}")
DEVELOPMENT_TAG = "670e5ca40afe1d3983ce0c22"
NO_PREVIEW = {"topic_router"}  # the only 3.x transform type without a preview deploy
TRANSFORMS = connectors("transforms")


def transform_config(code: str, name: str, all_set: bool = False) -> dict:
    config = v3_config("transforms", code)
    if all_set:
        config = v3_config_all_set("transforms", code, config)
    return {**config, "transforms.name": name}  # the resource's name goes in the config


def check_transform(entity: dict, code: str, config: dict) -> None:
    assert OBJECT_ID.fullmatch(entity["id"])
    assert entity["name"] == config["transforms.name"]
    assert entity["transform_type"] == code
    assert isinstance(entity["version"], int) and isinstance(entity["status"], str)
    assert entity["implementation"] is None or isinstance(entity["implementation"], dict)
    assert isinstance(entity["topic_ids"], list) and isinstance(entity["topics"], list)
    assert_config_echoed(config, entity["config"])


def deployed(tid: str, job_type: str, replay_window: str | None, version: str = "1") -> dict:
    """The answer to a deploy of the transform's current implementation (no status delay: running at once)."""
    return {"transform_id": tid, "job_name": f"transform-{tid}-{job_type}", "job_type": job_type,
            "version_id": version, "replay_window": replay_window, "status": "RUNNING"}


@pytest.mark.parametrize("code", TRANSFORMS)
def test_transform_resource_lifecycle(v3, v2, code):
    name = f"tf-{code}"
    config = transform_config(code, name)
    created = v3.create_transform(code, config, tags=[DEVELOPMENT_TAG])
    check_transform(created, code, config)
    assert created["tags"] == [DEVELOPMENT_TAG]
    tid = created["id"]

    implementation = {"language": "SQL", "query": f"SELECT * FROM {code}"}
    v3.put_implementation(tid, implementation)
    versions = v3.get_implementation(tid)
    assert versions["transform_id"] == tid
    assert any(implementation_kept(implementation, v["implementation"]) for v in versions["impl_versions"].values())

    # Without deploy the provider reads job_status once and treats "Job not found" as UNKNOWN.
    with pytest.raises(ApiError) as err:
        v3.job_status(tid)
    assert "Job not found" in err.value.detail

    if code not in NO_PREVIEW:
        assert v3.deploy_preview(tid, "7d") == deployed(tid, "preview", "7d")
    assert v3.deploy_live(tid) == deployed(tid, "live", None)
    status = v3.job_status(tid)
    assert status["id"] == tid and status["status"] == "RUNNING" and status["job_name"]

    read = v3.get_transform(tid)
    check_transform(read, code, config)
    assert read["tags"] == [DEVELOPMENT_TAG]
    assert v3.get_transform(tid) == read  # import
    assert v2.get_transform(tid)["id"] == tid  # the 2.x data source reads the same way

    changed = transform_config(code, name + "-renamed", all_set=True)
    assert v3.get_transform(tid) is not None  # Update reads the transform first
    updated = v3.update_transform(tid, code, changed, tags=None)
    check_transform(updated, code, changed)
    assert updated["tags"] == [DEVELOPMENT_TAG]  # null keeps
    check_transform(v3.get_transform(tid), code, changed)
    assert "tags" not in v3.update_transform(tid, code, changed, tags=[])

    v3.delete_transform(tid)
    wait_gone(lambda: v3.get_transform(tid))


def test_duplicate_transform_name_is_409_already_exists(v3):
    config = transform_config("map_filter", "tf-dup")
    first = v3.create_transform("map_filter", config)
    with pytest.raises(ApiError) as err:
        v3.create_transform("map_filter", config)
    assert err.value.status == 409 and "already exists" in err.value.detail
    v3.delete_transform(first["id"])


def test_preview_replay_window_zero_is_not_sent(v3):
    tid = v3.create_transform("rollup", transform_config("rollup", "tf-window"))["id"]
    # replay_window "0" or unset: the provider leaves the query parameter out.
    assert v3.deploy_preview(tid, "0") == deployed(tid, "preview", None, version="0")
    with pytest.raises(ApiError) as err:
        v3._call("PUT", f"/transforms/{tid}/deploy-job-preview/no-version?replay_window=7w")
    assert err.value.status == 400
    v3.delete_transform(tid)


def test_transform_deleted_out_of_band_reads_as_empty(v3, ui):
    tid = v3.create_transform("enrich", transform_config("enrich", "tf-oob"))["id"]
    ui.delete_transform(tid)
    assert v3.get_transform(tid) is None
    with pytest.raises(ApiError) as err:  # import of a gone transform: "Transform not found"
        v3.job_status(tid)
    assert "Transform not found" in err.value.detail
