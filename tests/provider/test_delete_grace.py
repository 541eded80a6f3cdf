"""The destroy check against a backend whose deletes finish in the background.

The 3.x provider deletes with wait=false, so a read right after may still see the
entity; its acceptance tests read until the result is empty. 2.x deletes wait.
Time moves by the control plane's virtual clock, so no test depends on how fast
the machine answers.
"""

from __future__ import annotations

import httpx

from tests.provider.configs import V2_CONFIGS, v3_config

GRACE = 60
SERVER_SETTINGS = {"delete_delay": GRACE}


def advance(server: str, seconds: float) -> None:
    response = httpx.post(f"{server}/__mock/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def test_v3_delete_is_seen_until_its_grace_ends_then_reads_empty(server, v3):
    created = v3.create_connector("destinations", "grace-v3", "kafka", v3_config("destinations", "kafka"))
    v3.delete_connector("destinations", created["id"])
    assert v3.get_connector("destinations", created["id"]) is not None
    advance(server, GRACE - 1)
    assert v3.get_connector("destinations", created["id"]) is not None
    advance(server, 1)
    assert v3.get_connector("destinations", created["id"]) is None


def test_v2_delete_waits_so_the_entity_is_gone_at_once(v2):
    created = v2.create_connector("destinations", "grace-v2", "kafka", V2_CONFIGS["destinations/kafka"])
    v2.delete_connector("destinations", created["id"])
    assert v2.get_connector("destinations", created["id"]) is None
