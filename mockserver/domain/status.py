"""The connector status lifecycle, written down in one place.

(Transform jobs reuse the stored-status helpers below; their own lifecycle is
in ``mockserver.domain.jobs``.)

A connector's stored status is ``{"status": S, "target": T | None, "settles_at": t}``:
it shows ``S`` until ``settles_at`` and ``T`` from then on. That is how a new,
resumed or restarted connector is ``Starting`` for ``status_delay`` seconds and
then ``Active``, with no background task.
"""

from __future__ import annotations

from mockserver.errors import BadRequest, Conflict

ACTIVE, PAUSED, STOPPED, BROKEN = "Active", "Paused", "Stopped", "Broken"
STARTING, UNASSIGNED, UNKNOWN = "Starting", "Unassigned", "Unknown"
STATUSES = (ACTIVE, PAUSED, STOPPED, BROKEN, STARTING, UNASSIGNED, UNKNOWN)
# Not in the backend's status list but answered by ``PUT ?wait=false`` (the
# desired state of a connector being reconfigured) and on reads until it settles.
PENDING_UPDATE = "Pending Update"

# action -> (statuses it may start from, status it ends in)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "pause": (frozenset({ACTIVE, STARTING, UNASSIGNED, PENDING_UPDATE}), PAUSED),
    "resume": (frozenset({PAUSED, STOPPED}), ACTIVE),
    "restart": (frozenset({ACTIVE, BROKEN, STARTING, UNASSIGNED, UNKNOWN, PENDING_UPDATE}), ACTIVE),
    "stop": (frozenset({ACTIVE, PAUSED, STARTING, BROKEN, UNASSIGNED, UNKNOWN, PENDING_UPDATE}), STOPPED),
}
ACTIONS = tuple(TRANSITIONS)

# Kafka Connect task state shown for each connector status.
TASK_STATES = {
    ACTIVE: "RUNNING",
    PAUSED: "PAUSED",
    STOPPED: "STOPPED",
    BROKEN: "FAILED",
    STARTING: "UNASSIGNED",
    UNASSIGNED: "UNASSIGNED",
    UNKNOWN: "UNASSIGNED",
    PENDING_UPDATE: "RUNNING",  # the old tasks run until Kafka Connect reconfigures them
}


def settling(interim: str, final: str, now: float, delay: float) -> dict:
    """A stored status that shows ``interim`` for ``delay`` seconds, then ``final``."""
    if delay <= 0:
        return {"status": final, "target": None, "settles_at": now}
    return {"status": interim, "target": final, "settles_at": now + delay}


def settled(status: str, now: float) -> dict:
    """A stored status that shows ``status`` from now on."""
    return {"status": status, "target": None, "settles_at": now}


def starting(now: float, delay: float) -> dict:
    """The stored status of a connector that has just been (re)started."""
    return settling(STARTING, ACTIVE, now, delay)


def pending_update(stored: dict, now: float, delay: float) -> dict:
    """The stored status after an update that did not wait: ``Pending Update`` until it settles.

    It settles ``delay`` seconds later into the status the connector was heading to.
    Unlike ``settling``, the interim is kept even when ``delay`` is 0, so the answer
    to the update itself (``as_written``) still shows it.
    """
    final = stored.get("target") or stored["status"]
    return {"status": PENDING_UPDATE, "target": final, "settles_at": now + max(delay, 0.0)}


def as_written(stored: dict) -> str:
    """The status the write that stored ``stored`` answers: its interim, however soon it settles."""
    return stored["status"]


def forced(status: str, now: float, *, trace: str | None = None, then: str | None = None,
           after: float = 0.0) -> dict:
    """A stored status set from outside (the control plane): ``status``, then ``then`` after ``after`` seconds.

    A ``trace`` shows on the task while ``status`` does (Kafka Connect's trace of a failed task);
    the actions move on from here as from any status.
    """
    for name in (status, then):
        if name is not None and name not in STATUSES:
            raise BadRequest(f"Unknown status '{name}': expected one of {', '.join(STATUSES)}")
    stored = settling(status, then, now, after) if then is not None else settled(status, now)
    if trace is not None:
        stored["trace"] = trace
    return stored


def current(stored: dict, now: float) -> str:
    if stored.get("target") and now >= stored["settles_at"]:
        return stored["target"]
    return stored["status"]


def apply_action(stored: dict, action: str, now: float, delay: float) -> dict:
    """The stored status after ``action``; 400 for an unknown action, 409 when it makes no sense now."""
    if action not in TRANSITIONS:
        raise BadRequest(f"Unknown action '{action}': expected one of {', '.join(ACTIONS)}")
    allowed_from, result = TRANSITIONS[action]
    status = current(stored, now)
    if status not in allowed_from:
        raise Conflict(f"Cannot {action} a connector whose status is {status}")
    if result == ACTIVE:
        return starting(now, delay)
    return settled(result, now)


def task_statuses(stored: dict, now: float, tasks: int = 1) -> dict:
    status = current(stored, now)
    state = {"state": TASK_STATES[status]}
    if stored.get("trace") is not None and status == stored["status"]:
        state["trace"] = stored["trace"]
    return {str(i): dict(state) for i in range(tasks)}
