"""The connector status machine, without a server."""

from __future__ import annotations

import pytest

from mockserver.domain import status
from mockserver.errors import BadRequest, Conflict
from tests.http.test_status_table import ALLOWED, TABLE, TASK


def test_starting_settles_into_active_after_the_delay():
    stored = status.starting(now=100, delay=5)
    assert status.current(stored, 104.9) == "Starting"
    assert status.current(stored, 105) == "Active"
    assert status.current(status.starting(now=100, delay=0), 100) == "Active"


@pytest.mark.parametrize("action,start", TABLE, ids=[f"{a}-from-{s}" for a, s in TABLE])
def test_the_written_table(action, start):
    """The table of tests/http/test_status_table.py, without a server (delay 5 s)."""
    stored = status.settled(start, now=0)
    if (action, start) not in ALLOWED:
        with pytest.raises(Conflict):
            status.apply_action(stored, action, now=1, delay=5)
        return
    after = status.apply_action(stored, action, now=1, delay=5)
    answered = ALLOWED[(action, start)]
    assert status.current(after, 5.9) == answered
    assert status.task_statuses(after, now=5.9) == {"0": {"state": TASK[answered]}}
    assert status.current(after, 6) == ("Active" if answered == "Starting" else answered)


def test_every_action_refuses_some_state_and_accepts_another():
    for action, (allowed, _) in status.TRANSITIONS.items():
        assert allowed and set(status.STATUSES) - allowed, action


def test_refused_and_unknown_actions():
    paused = {"status": "Paused", "target": None, "settles_at": 0}
    with pytest.raises(Conflict):
        status.apply_action(paused, "pause", now=1, delay=0)
    with pytest.raises(BadRequest):
        status.apply_action(paused, "explode", now=1, delay=0)


def test_task_states_agree_with_the_status():
    assert status.task_statuses(status.settled("Active", 0), now=1) == {"0": {"state": "RUNNING"}}
    assert status.task_statuses(status.settled("Paused", 0), now=1) == {"0": {"state": "PAUSED"}}
    assert all(s in status.TASK_STATES for s in status.STATUSES)


def test_a_forced_status_shows_its_trace_until_it_moves_on():
    broken = status.forced("Broken", now=10, trace="java.lang.IllegalStateException: boom")
    assert status.current(broken, 11) == "Broken"
    assert status.task_statuses(broken, now=11) == {"0": {"state": "FAILED",
                                                          "trace": "java.lang.IllegalStateException: boom"}}
    restarted = status.apply_action(broken, "restart", now=12, delay=0)
    assert status.task_statuses(restarted, now=12) == {"0": {"state": "RUNNING"}}
    unassigned = status.forced("Unassigned", now=10, then="Active", after=5, trace="waiting")
    assert status.current(unassigned, 14) == "Unassigned" and status.current(unassigned, 15) == "Active"
    assert status.task_statuses(unassigned, now=15) == {"0": {"state": "RUNNING"}}  # the trace went with it
    with pytest.raises(BadRequest):
        status.forced("Exploded", now=1)


def test_error_details_name_the_choices():
    with pytest.raises(BadRequest) as err:
        status.apply_action(status.settled("Active", 0), "explode", now=1, delay=0)
    assert err.value.detail == "Unknown action 'explode': expected one of pause, resume, restart, stop"
    with pytest.raises(BadRequest) as err:
        status.forced("Active", now=1, then="Exploded")
    assert err.value.detail == ("Unknown status 'Exploded': expected one of "
                                "Active, Paused, Stopped, Broken, Starting, Unassigned, Unknown")


def test_short_delays_still_show_the_interim_status():
    assert status.current(status.settling("Starting", "Active", now=10, delay=0.5), 10.4) == "Starting"
    assert status.current(status.settling("Starting", "Active", now=10, delay=0.5), 10.5) == "Active"
    # A forced status with a "then" and no "after" moves on at once.
    assert status.current(status.forced("Unassigned", now=10, then="Active"), 10) == "Active"


def test_the_stored_form_of_a_status_the_start_up_check_reads():
    # check_records (domain/stored.py) wants a float settles_at on every stored status.
    assert status.forced("Broken", now=10) == {"status": "Broken", "target": None, "settles_at": 10}
    assert status.apply_action(status.settled("Active", 0), "stop", now=3, delay=5) == \
        {"status": "Stopped", "target": None, "settles_at": 3}
    assert status.starting(now=3, delay=5) == {"status": "Starting", "target": "Active", "settles_at": 8}
