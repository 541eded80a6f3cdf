"""The transform job lifecycle and the transform service's secret handling, without a server."""

from __future__ import annotations

import asyncio
import json

import pytest

from mockserver.domain import jobs, status
from mockserver.domain.plugins import PluginRegistry
from mockserver.domain.records import Timing
from mockserver.domain.secrets import MASK, SecretBox, ephemeral_key
from mockserver.domain.tenancy import Principal
from mockserver.domain.transforms import TransformInput, TransformService
from mockserver.store import Repository

T0 = 1_800_000_000.0
TID = "a" * 24


# ---- the job state machine --------------------------------------------------------

def test_no_job_is_not_deployed():
    assert jobs.current(None, T0) == jobs.NOT_DEPLOYED
    assert jobs.start_time(None, T0) is None
    assert jobs.stop(None, T0) is None


def test_deploy_without_delay_runs_at_once():
    job = jobs.deploy(TID, jobs.LIVE, 3, None, T0, 0)
    assert jobs.current(job, T0) == jobs.RUNNING
    assert jobs.start_time(job, T0) == "2027-01-15T08:00:00.000Z"
    assert job["name"] == f"transform-{TID}-live" and job["version"] == 3


def test_deploy_with_delay_is_deploying_until_it_settles():
    job = jobs.deploy(TID, jobs.PREVIEW, 0, "7d", T0, 5)
    assert jobs.current(job, T0 + 4.9) == jobs.DEPLOYING
    assert jobs.start_time(job, T0 + 4.9) is None
    assert jobs.current(job, T0 + 5) == jobs.RUNNING
    assert jobs.start_time(job, T0 + 5) == "2027-01-15T08:00:05.000Z"
    assert job["replay_window"] == "7d"


def test_deploy_of_an_unknown_job_type_is_a_bug():
    with pytest.raises(ValueError):
        jobs.deploy(TID, "shadow", 0, None, T0, 0)


def test_stop_ends_a_running_job_and_keeps_its_start_time():
    job = jobs.deploy(TID, jobs.LIVE, 0, None, T0, 0)
    stopped = jobs.stop(job, T0 + 60)
    assert jobs.current(stopped, T0 + 61) == jobs.STOPPED
    assert jobs.start_time(stopped, T0 + 61) == job["start_time"]


def test_stop_while_deploying_never_settles_to_running():
    job = jobs.deploy(TID, jobs.LIVE, 0, None, T0, 10)
    stopped = jobs.stop(job, T0 + 1)
    assert jobs.current(stopped, T0 + 100) == jobs.STOPPED
    assert jobs.start_time(stopped, T0 + 100) is None


@pytest.mark.parametrize("final", [jobs.STOPPED, jobs.FAILED, jobs.CANCELED])
def test_stop_leaves_a_finished_job_alone(final):
    job = {**jobs.deploy(TID, jobs.LIVE, 0, None, T0, 0), "status": status.settled(final, T0)}
    assert jobs.stop(job, T0 + 1) == job


def test_a_redeploy_starts_over():
    job = jobs.stop(jobs.deploy(TID, jobs.PREVIEW, 0, None, T0, 0), T0 + 1)
    again = jobs.deploy(TID, jobs.LIVE, 1, None, T0 + 2, 3)
    assert jobs.current(job, T0 + 2) == jobs.STOPPED
    assert jobs.current(again, T0 + 2) == jobs.DEPLOYING
    assert jobs.current(again, T0 + 5) == jobs.RUNNING


def test_connector_starting_still_settles_through_the_shared_helper():
    assert status.starting(T0, 0) == {"status": status.ACTIVE, "target": None, "settles_at": T0}
    stored = status.starting(T0, 2)
    assert status.current(stored, T0 + 1) == status.STARTING
    assert status.current(stored, T0 + 2) == status.ACTIVE


# ---- secrets of a transform plugin that has one -----------------------------------

SECRET_PLUGIN = {
    "display_name": "Secretive",
    "connector": "secretive",
    "entity_type": "transforms",
    "unique_per_tenant": [],
    "topics_from": None,
    "config": [
        {"name": "transforms.name", "user_defined": True, "required": True,
         "value": {"control": "string", "type": "raw", "default": None}},
        {"name": "transforms.api.key", "user_defined": True, "required": False,
         "value": {"control": "password", "type": "raw", "default": None}},
    ],
}
WHO = Principal("c", "tenant-x", "service-x", "sub-x", frozenset({"read", "write"}))


@pytest.fixture
def service(tmp_path):
    folder = tmp_path / "transforms" / "secretive"
    folder.mkdir(parents=True)
    (folder / "configuration.latest.json").write_text(json.dumps(SECRET_PLUGIN))
    repo = Repository(":memory:")
    return TransformService(repo, PluginRegistry.load(tmp_path), SecretBox(ephemeral_key()), lambda: T0, Timing())


def test_secret_config_is_sealed_at_rest_and_masked_unless_asked(service):
    config = {"transforms.name": "s", "transforms.api.key": "hunter2"}
    record = asyncio.run(service.create(WHO, TransformInput("secretive", config)))
    stored = service.repo.get("transforms", record["id"])
    assert stored["config"]["transforms.api.key"] != "hunter2"
    assert "hunter2" not in json.dumps(stored)
    assert service.present(stored, secret_returned=False)["config"]["transforms.api.key"] == MASK
    assert service.present(stored, secret_returned=True)["config"] == config


def test_an_absent_secret_stays_null_when_masked(service):
    record = asyncio.run(service.create(WHO, TransformInput("secretive", {"transforms.name": "s"})))
    assert service.present(record, secret_returned=False)["config"]["transforms.api.key"] is None


def test_an_update_keeps_secrets_sealed(service):
    record = asyncio.run(service.create(WHO, TransformInput("secretive", {"transforms.name": "s"})))
    config = {"transforms.name": "s", "transforms.api.key": "new-key"}
    updated = asyncio.run(service.update(WHO, record["id"], TransformInput("secretive", config)))
    assert "new-key" not in json.dumps(service.repo.get("transforms", updated["id"]))
    assert service.present(updated, secret_returned=True)["config"]["transforms.api.key"] == "new-key"
