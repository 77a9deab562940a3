"""Deterministic data for snapshot tests and README screenshots: fixed ids, fixed times."""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from rq import Worker

from queuetui.clock import FrozenClock
from queuetui.rqdata import keys

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
CLOCK = FrozenClock(NOW)
DISPLAY_URL = "redis://:secret@redis.prod.internal:6379/0"

QUEUES = {
    # name: (waiting, oldest enqueued_at, started, failed, scheduled, deferred, finished, canceled)
    "critical": (3, "2026-11-23T11:59:58.000000Z", 2, 0, 0, 0, 4210, 0),
    "high": (48, "2026-11-23T11:58:10.000000Z", 4, 17, 2, 0, 18930, 3),
    "default": (1250, "2026-11-23T11:45:00.000000Z", 6, 342, 25, 12, 55012, 8),
    "low": (9800, "2026-11-23T09:12:00.000000Z", 1, 5, 140, 3, 1200, 0),
    "emails": (0, "", 0, 1, 0, 0, 310, 0),
}
WORKERS = [
    (
        "app-1.4021",
        "app-1",
        4021,
        "busy",
        "critical,high,default,low",
        "job-critical-0",
        "2026-11-23T11:59:57.000000Z",
        1520,
        12,
        8123.5,
    ),
    (
        "app-1.4022",
        "app-1",
        4022,
        "busy",
        "critical,high,default,low",
        "job-default-0",
        "2026-11-23T11:59:55.000000Z",
        1498,
        9,
        8040.0,
    ),
    ("app-2.911", "app-2", 911, "idle", "default,low", None, "2026-11-23T11:59:59.000000Z", 702, 40, 3002.25),
    ("batch-1.77", "batch-1", 77, "busy", "low", "job-low-0", "2026-11-23T11:57:30.000000Z", 88, 1, 50231.0),
]


def seed(conn: redis.Redis) -> None:
    """Fill Redis with the same queues, registries and workers every time."""
    conn.flushall()
    pipe = conn.pipeline()
    for name, (waiting, oldest, started, failed, scheduled, deferred, finished, canceled) in QUEUES.items():
        pipe.sadd(keys.QUEUES_SET, keys.queue_key(name))
        for i in range(waiting):
            pipe.rpush(keys.queue_key(name), f"job-{name}-{i}")
        if waiting:
            pipe.hset(keys.job_key(f"job-{name}-0"), mapping={"enqueued_at": oldest, "origin": name})
        for registry, n in (
            ("started", started),
            ("failed", failed),
            ("scheduled", scheduled),
            ("deferred", deferred),
            ("finished", finished),
            ("canceled", canceled),
        ):
            for i in range(n):
                pipe.zadd(keys.registry_key(name, registry), {f"{registry}-{name}-{i}": 1_900_000_000 + i})
    pipe.execute()
    for name, host, pid, state, queues, job, beat, ok, bad, busy in WORKERS:
        worker = Worker(queues.split(","), connection=conn, name=name)
        worker.register_birth()
        conn.hset(
            worker.key,
            mapping={
                "birth": "2026-11-22T08:00:00.000000Z",
                "last_heartbeat": beat,
                "pid": pid,
                "hostname": host,
                "ip_address": "10.0.0.1",
                "state": state,
                "successful_job_count": ok,
                "failed_job_count": bad,
                "total_working_time": busy,
                "version": "3.0.0",
            },
        )
        if job:
            conn.sadd(keys.worker_executions_key(name), f"{job}:exec-{pid}")
