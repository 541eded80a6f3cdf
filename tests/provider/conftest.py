"""One live mock per test module (the pytest plugin's MockServer, on a real socket)."""

from __future__ import annotations

import pytest

from mockserver.control.testing import MockServer
from tests.provider.wire import V2, V3, ProviderClient


@pytest.fixture(scope="module")
def server(request):
    # A module may set SERVER_SETTINGS, e.g. {"delete_delay": 0.5}.
    with MockServer(**getattr(request.module, "SERVER_SETTINGS", {})) as mock:
        yield mock.base_url


@pytest.fixture(scope="module")
def v3(server):
    client = ProviderClient(server, V3)
    yield client
    client.close()


@pytest.fixture(scope="module")
def v2(server):
    client = ProviderClient(server, V2)
    yield client
    client.close()


@pytest.fixture(scope="module")
def ui(server):
    """Someone else acting on the same tenant outside Terraform (out-of-band changes)."""
    client = ProviderClient(server, V3)
    yield client
    client.close()
