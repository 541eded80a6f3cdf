"""The destroy check against a backend whose deletes finish in the background.

The 3.x provider deletes with wait=false, so a read right after may still see the
entity; its acceptance tests read until the result is empty. 2.x deletes wait.
"""

from __future__ import annotations

import time

from tests.provider.configs import V2_CONFIGS, v3_config
from tests.provider.wire import wait_gone

SERVER_SETTINGS = {"delete_delay": 0.4}


def test_v3_delete_is_seen_until_its_grace_ends_then_reads_empty(v3):
    created = v3.create_connector("destinations", "grace-v3", "kafka", v3_config("destinations", "kafka"))
    v3.delete_connector("destinations", created["id"])
    started = time.monotonic()
    assert v3.get_connector("destinations", created["id"]) is not None
    wait_gone(lambda: v3.get_connector("destinations", created["id"]))
    assert time.monotonic() - started >= 0.3


def test_v2_delete_waits_so_the_entity_is_gone_at_once(v2):
    created = v2.create_connector("destinations", "grace-v2", "kafka", V2_CONFIGS["destinations/kafka"])
    v2.delete_connector("destinations", created["id"])
    assert v2.get_connector("destinations", created["id"]) is None
