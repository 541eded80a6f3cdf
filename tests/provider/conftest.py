"""One live mock per test module (a real `python -m mockserver serve` subprocess)."""

from __future__ import annotations

import pytest

from tests.provider.wire import V2, V3, ProviderClient, live_server


@pytest.fixture(scope="module")
def server(request):
    # A module may set SERVER_ARGS, e.g. ("--delete-delay", "0.5").
    with live_server(*getattr(request.module, "SERVER_ARGS", ())) as base:
        yield base


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
