"""The pytest plugin (entry point ``pytest11``): a ``streamkap_mock`` fixture.

One mock per test session, in a background thread on a free port, with an
in-memory store; reset (entities, faults, journal, clock) before each test::

    def test_create_source(streamkap_mock):
        response = streamkap_mock.client.post("/sources", json={...})
        assert response.status_code == 200

Settings for the session's server come from the ini option
``streamkap_mock_seed`` (a shipped seed's name or a seed file, loaded at start-up and on every reset)
and ``streamkap_mock_id_seed`` (reproducible ids and timestamps, as ``--id-seed``).
With ``--streamkap-mock-coverage`` the session ends with a one-screen summary of
what its tests reached of the contract (``GET /__mock/coverage``, summed over
the resets that empty the journal).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from mockserver.control.coverage import merge, summary
from mockserver.control.testing import MockServer
from mockserver.settings import seed_path

__all__ = ["MockServer", "streamkap_mock", "streamkap_mock_server"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("streamkap_mock_seed", "Seed the streamkap_mock server loads: a shipped seed's name "
                  "(streamkap-mock seeds) or a file (relative to the rootdir)", default="")
    parser.addini("streamkap_mock_id_seed", "Make the streamkap_mock server's ids, request ids and timestamps "
                  "follow this seed and the request sequence (--id-seed)", default="")
    parser.addoption("--streamkap-mock-coverage", action="store_true", default=False,
                     help="At the end of the session, summarise which operations of the contract, status codes "
                          "and connector types the streamkap_mock server saw")


_COVERAGE = pytest.StashKey[dict]()


def _collect_coverage(config: pytest.Config, server: MockServer) -> None:
    """Add what the journal holds to the session's coverage (before a reset empties it)."""
    if not config.getoption("streamkap_mock_coverage"):
        return
    current = server.coverage()
    earlier = config.stash.get(_COVERAGE, None)
    config.stash[_COVERAGE] = current if earlier is None else merge(earlier, current)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    coverage = config.stash.get(_COVERAGE, None)
    if coverage is not None:
        terminalreporter.section("streamkap-mock coverage")
        terminalreporter.write_line(summary(coverage, width=min(shutil.get_terminal_size((100, 24)).columns, 120)))


@pytest.fixture(scope="session")
def streamkap_mock_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The session's mock, not reset between tests (``streamkap_mock`` resets it)."""
    seed = pytestconfig.getini("streamkap_mock_seed")
    settings = {"seed": Path(pytestconfig.rootpath, seed_path(seed))} if seed else {}
    id_seed = pytestconfig.getini("streamkap_mock_id_seed")
    if id_seed:
        settings["id_seed"] = int(id_seed)
    with MockServer(**settings) as server:
        yield server
        _collect_coverage(pytestconfig, server)


@pytest.fixture
def streamkap_mock(streamkap_mock_server: MockServer, pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The session's mock, reset: base_url, client, token(), reset(), seed(), faults, requests(), clock,
    new_tenant() (deleted when the test ends)."""
    _collect_coverage(pytestconfig, streamkap_mock_server)
    streamkap_mock_server.reset()
    yield streamkap_mock_server
    streamkap_mock_server.drop_tenants()
