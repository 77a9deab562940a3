"""The overview snapshot against a real Redis and real RQ workers."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from queuetui.clock import FrozenClock
from queuetui.rqdata.overview import MAX_ROUND_TRIPS, snapshot
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from tests import jobs
from tests.conftest import run_env, wait_for
from tests.workload import seed_every_registry


def test_counts_match_a_real_workload_in_every_registry(conn: redis.Redis, redis_url: str) -> None:
    seed_every_registry(conn)
    slow = Queue("slow", connection=conn)
    slow.enqueue(jobs.hold, "test:release", job_id="run-1")
    worker = subprocess.Popen(
        [sys.executable, "-m", "queuetui", "worker", "slow", "--burst", "--name", "w-test"],
        env=run_env(redis_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        overview = wait_for(
            lambda: (o := snapshot(conn)).queue("slow") and o.queue("slow").started == 1 and o,  # type: ignore[union-attr]
            message="the slow job to start",
        )
        default = overview.queue("default")
        assert default is not None
        got = {
            k: getattr(default, k)
            for k in ("waiting", "started", "failed", "scheduled", "deferred", "finished", "canceled")
        }
        assert got == {
            "waiting": 1,
            "started": 0,
            "failed": 1,
            "scheduled": 1,
            "deferred": 1,
            "finished": 2,
            "canceled": 1,
        }
        assert default.oldest_waiting_seconds is not None and default.oldest_waiting_seconds < 60

        (w,) = overview.workers
        assert w.name == "w-test"
        assert w.state == "busy"
        assert w.current_job_id == "run-1"
        assert w.queues == ("slow",)
        assert w.pid is not None and w.hostname
        assert w.heartbeat_age_seconds is not None and w.heartbeat_age_seconds < 30
        assert w.birth is not None
    finally:
        conn.set("test:release", 1)
        worker.wait(30)
    after = snapshot(conn)
    assert after.queue("slow").finished == 1  # type: ignore[union-attr]
    assert after.workers == ()  # a burst worker unregisters when done


def test_worker_counters_after_jobs(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    for i in range(3):
        q.enqueue(jobs.add, i, i)
    q.enqueue(jobs.boom)
    worker = SimpleWorker([q], connection=conn, name="counter")
    worker.work(burst=True)
    conn.sadd("rq:workers", worker.key)  # a burst worker unregisters at the end; its hash lingers
    (info,) = snapshot(conn).workers
    assert (info.successful, info.failed) == (3, 1)
    assert info.total_working_time >= 0


def test_oldest_waiting_uses_the_head_job(conn: redis.Redis) -> None:
    q = Queue("high", connection=conn)
    q.enqueue(jobs.add, 1, 1, job_id="head")
    q.enqueue(jobs.add, 1, 1, job_id="tail")
    enqueued = datetime(2026, 11, 23, 11, 0, 0, tzinfo=UTC)
    conn.hset("rq:job:head", "enqueued_at", "2026-11-23T11:00:00.000000Z")
    clock = FrozenClock(enqueued + timedelta(minutes=90))
    assert snapshot(conn, clock).queue("high").oldest_waiting_seconds == 5400  # type: ignore[union-attr]


def test_json_serializer_queues_are_counted(conn: redis.Redis) -> None:
    q = Queue("json", connection=conn, serializer=JSONSerializer)
    q.enqueue("tests.jobs.add", 1, 2)
    q.enqueue("tests.jobs.boom")
    SimpleWorker([q], connection=conn, serializer=JSONSerializer).work(burst=True)
    q.enqueue("tests.jobs.add", 3, 4)
    counts = snapshot(conn).queue("json")
    assert counts is not None
    assert (counts.waiting, counts.finished, counts.failed) == (1, 1, 1)
    assert counts.oldest_waiting_seconds is not None


def test_round_trips_do_not_grow_with_jobs_queues_or_workers(redis_url: str, conn: redis.Redis) -> None:
    counter = RoundTripCounter()
    client = counting_client(redis_url, counter)
    snapshot(client)
    assert counter.count <= MAX_ROUND_TRIPS  # empty Redis

    for n in range(12):
        q = Queue(f"q{n}", connection=conn)
        q.enqueue_many([Queue.prepare_data(jobs.add, (i, i)) for i in range(200)])
    for n in range(30):
        conn.hset(f"rq:worker:w{n}", mapping={"state": "idle", "queues": "q1", "pid": n})
        conn.sadd("rq:workers", f"rq:worker:w{n}")
    counter.count = 0
    overview = snapshot(client)
    assert counter.count == MAX_ROUND_TRIPS
    assert len(overview.queues) == 12 and len(overview.workers) == 30
    assert sum(q.waiting for q in overview.queues) == 2400


def test_priority_queues_come_first(conn: redis.Redis) -> None:
    for name in ("zeta", "low", "alpha", "critical", "default", "high"):
        Queue(name, connection=conn).enqueue(jobs.add, 1, 1)
    names = [q.name for q in snapshot(conn).queues]
    assert names == ["critical", "high", "default", "low", "alpha", "zeta"]


def test_a_corrupt_worker_hash_does_not_break_the_snapshot(conn: redis.Redis) -> None:
    conn.hset("rq:worker:bad", mapping={"pid": "x", "successful_job_count": "many", "last_heartbeat": "?"})
    conn.sadd("rq:workers", "rq:worker:bad", "rq:worker:vanished")
    workers = {w.name: w for w in snapshot(conn).workers}
    assert workers["bad"].pid is None and workers["bad"].successful == 0
    assert workers["bad"].heartbeat_age_seconds is None
    assert workers["vanished"].state == "gone"
