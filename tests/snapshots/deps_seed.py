"""Jobs that wait on each other, at fixed ids and times: a failed chain, a gone and a canceled
dependency, and deferred jobs that may still run (one allows failure)."""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from rq.job import Job

from queuetui.rqdata import keys
from tests.snapshots.seed import NOW

QUEUE = "etl"
# id: (function, status, seconds before now it was created, dependencies, allows failure)
JOBS: dict[str, tuple[str, str, int, tuple[str, ...], bool]] = {
    "extract-0001": ("app.etl.extract", "finished", 3600, (), False),
    "transform-0001": ("app.etl.transform", "failed", 3500, ("extract-0001",), False),
    "audit-0001": ("app.etl.audit", "started", 3400, (), False),
    "cancel-0001": ("app.etl.vacuum", "canceled", 3300, (), False),
    "load-0001": ("app.etl.load", "deferred", 3200, ("transform-0001",), False),
    "report-0001": ("app.reports.daily", "deferred", 3100, ("load-0001",), False),
    "notify-0001": ("app.mail.notify", "deferred", 3000, ("transform-0001", "audit-0001"), True),
    "archive-0001": ("app.etl.archive", "deferred", 2900, ("purge-0001",), False),
    "vacuum-0002": ("app.etl.vacuum", "deferred", 2800, ("cancel-0001",), False),
    "sync-0001": ("app.etl.sync", "deferred", 2700, ("audit-0001",), False),
}
REGISTRY = {"finished": "finished", "failed": "failed", "started": "started", "canceled": "canceled"}


def _at(seconds_before_now: float) -> datetime:
    return datetime.fromtimestamp(NOW.timestamp() - seconds_before_now, UTC)


def seed_deps(conn: redis.Redis) -> None:
    """Queue 'etl' with the jobs of JOBS, their dependencies and dependents sets as RQ writes them."""
    conn.flushall()
    conn.sadd(keys.QUEUES_SET, keys.queue_key(QUEUE))
    for job_id, (func, status, created, dependencies, allow) in JOBS.items():
        job = Job.create(func, args=(job_id.split("-")[0],), id=job_id, connection=conn, origin=QUEUE)
        job.created_at = _at(created)
        job.enqueued_at = _at(created - 1)
        job._status = status
        job._dependency_ids = list(dependencies)
        if allow:
            job.allow_dependency_failures = True
        if status in ("finished", "failed", "canceled"):
            job.started_at, job.ended_at = _at(created - 5), _at(created - 10)
        job.save()
        for dependency in dependencies:
            conn.sadd(keys.dependencies_key(job_id), dependency)
            if JOBS.get(dependency, ("", "", 0, (), False))[1] != "finished":  # RQ drops it once enqueued
                conn.sadd(keys.dependents_key(dependency), job_id)
        score = NOW.timestamp() - created
        if status == "deferred":
            conn.zadd(keys.registry_key(QUEUE, "deferred"), {job_id: score})
        elif status in REGISTRY:
            conn.zadd(keys.registry_key(QUEUE, REGISTRY[status]), {job_id: score + 86400})
