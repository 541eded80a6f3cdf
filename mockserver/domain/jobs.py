"""The lifecycle of a transform's Flink job, written down in one place.

A transform has at most one job: the last one deployed (a live deploy replaces
a preview one). Stored job: ``{name, job_type, version, replay_window,
status: <stored status of mockserver.domain.status>, start_time}``.

    (no job) --deploy--> DEPLOYING --settle--> RUNNING
    any job  --deploy--> DEPLOYING --settle--> RUNNING      (a redeploy)
    DEPLOYING | RUNNING --stop--> STOPPED                  (the transform is deleted)

``deploy`` settles at once when the deploy delay is 0, so the job shows
RUNNING immediately. FAILED and CANCELED are statuses the backend can report
(the provider ends its poll on them) but no call of the mock leads there.
The transform's own ``status`` mirrors its job's, or NOT_DEPLOYED.
"""

from __future__ import annotations

from mockserver.domain import status as stored_status
from mockserver.domain.records import Record, iso_now

DEPLOYING, RUNNING, FAILED, CANCELED, STOPPED = "DEPLOYING", "RUNNING", "FAILED", "CANCELED", "STOPPED"
NOT_DEPLOYED = "NOT_DEPLOYED"
STOPPABLE = frozenset({DEPLOYING, RUNNING})
PREVIEW, LIVE = "preview", "live"
JOB_TYPES = (PREVIEW, LIVE)


def job_name(transform_id: str, job_type: str) -> str:
    return f"transform-{transform_id}-{job_type}"


def deploy(transform_id: str, job_type: str, version: int, replay_window: str | None,
           now: float, delay: float) -> Record:
    """A newly deployed job: DEPLOYING for ``delay`` seconds, then RUNNING."""
    if job_type not in JOB_TYPES:
        raise ValueError(f"unknown job type {job_type!r}")
    return {
        "name": job_name(transform_id, job_type),
        "job_type": job_type,
        "version": version,
        "replay_window": replay_window,
        "status": stored_status.settling(DEPLOYING, RUNNING, now, delay),
        # The job starts running when it settles.
        "start_time": iso_now(now + max(delay, 0.0)),
    }


def current(job: Record | None, now: float) -> str:
    if job is None:
        return NOT_DEPLOYED
    return stored_status.current(job["status"], now)


def start_time(job: Record | None, now: float) -> str | None:
    """When the job started running; None before it has."""
    if job is None or current(job, now) == DEPLOYING:
        return None
    return job["start_time"]


def stop(job: Record | None, now: float) -> Record | None:
    """The job after its transform is deleted: a deploying or running job stops, others stay."""
    status = current(job, now)
    if job is None or status not in STOPPABLE:
        return job
    # A job stopped while still deploying never ran.
    started = job["start_time"] if status == RUNNING else None
    return {**job, "status": stored_status.settled(STOPPED, now), "start_time": started}
