"""The Workers view's read: real workers, real heartbeats and expiries, bounded round trips, no writes."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue, Worker
from rq.job import Job

from queuetui.clock import FrozenClock
from queuetui.rqdata import keys
from queuetui.rqdata.liveness import DEAD, OK, OVERDUE, STALE
from queuetui.rqdata.overview import snapshot
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from queuetui.rqdata.workers import WorkerRow, Workers, read_workers
from tests import jobs
from tests.conftest import wait_for
from tests.integration.test_cli import queuetui
from tests.integration.test_read_only import redis_state, same_state
from tests.workload import worker_process


def by_name(view: Workers) -> dict[str, WorkerRow]:
    return {w.name: w for w in view.workers}


def register(conn: redis.Redis, name: str, *queues: str) -> Worker:
    worker = Worker([Queue(q, connection=conn) for q in queues or ("default",)], connection=conn, name=name)
    worker.register_birth()
    return worker


def test_a_busy_worker_shows_its_job_and_how_long_it_has_run(conn: redis.Redis, redis_url: str) -> None:
    Queue("slow", connection=conn).enqueue(jobs.hold, "test:release", job_id="h1")
    with worker_process(redis_url, "slow", name="w-busy", burst=False) as process:
        wait_for(lambda: conn.hget("rq:job:h1", "status") == b"started", message="h1 to start")
        busy = by_name(read_workers(conn))["w-busy"]
        assert busy.info.state == "busy" and busy.info.current_job_id == "h1"
        assert busy.job is not None and busy.job.func == "tests.jobs.hold"
        assert busy.job_running_seconds is not None and busy.job_running_seconds >= 0
        assert busy.info.hostname == socket.gethostname() and busy.info.pid == process.pid
        assert busy.info.queues == ("slow",)
        assert busy.health == OK and busy.expires_in is not None and busy.expires_in > OVERDUE
        later = FrozenClock(busy.job.started_at + timedelta(minutes=3))  # type: ignore[operator]
        assert by_name(read_workers(conn, later))["w-busy"].job_running_seconds == 180.0
        conn.set("test:release", 1)
        wait_for(lambda: by_name(read_workers(conn))["w-busy"].info.state == "idle", message="idle again")
        idle = by_name(read_workers(conn))["w-busy"]
        assert idle.job is None and idle.job_running_seconds is None
        assert idle.info.successful == 1 and idle.info.total_working_time > 0


def test_a_late_heartbeat_is_stale_and_an_expired_key_is_dead(conn: redis.Redis) -> None:
    register(conn, "fresh", "default")
    register(conn, "late", "default")
    conn.expire("rq:worker:late", 30)  # the next beat should have left about 60 s or more
    register(conn, "expired", "default")
    conn.delete("rq:worker:expired")  # its TTL ran out; its name stays in the set, as RQ leaves it
    register(conn, "died", "default")
    conn.hset("rq:worker:died", "death", "2026-11-23T11:00:00.000000Z")
    view = by_name(read_workers(conn))
    assert view["fresh"].health == OK and view["fresh"].why == ""
    assert view["late"].health == STALE and 0 < view["late"].expires_in <= 30  # type: ignore[operator]
    assert "heartbeat late" in view["late"].why
    assert view["expired"].health == DEAD and view["expired"].info.state == "gone"
    assert view["expired"].why == "its key expired: no heartbeat for its whole TTL"
    assert view["died"].health == DEAD and "registered its death" in view["died"].why


def test_the_overview_and_stats_use_the_same_health(conn: redis.Redis, redis_url: str) -> None:
    register(conn, "fresh", "default")
    register(conn, "late", "default")
    conn.expire("rq:worker:late", 30)
    conn.sadd(keys.WORKERS_SET, "rq:worker:expired")
    health = {w.name: w.health for w in snapshot(conn).workers}
    assert health == {"fresh": OK, "late": STALE, "expired": DEAD}
    result = queuetui("stats", "--json", url=redis_url)
    assert {w["name"]: w["health"] for w in json.loads(result.stdout)["workers"]} == health


def test_a_key_without_ttl_falls_back_to_the_heartbeat_age(conn: redis.Redis) -> None:
    register(conn, "kept", "default")
    conn.persist("rq:worker:kept")
    beat = Worker.find_by_key("rq:worker:kept", connection=conn).last_heartbeat  # type: ignore[union-attr]
    assert beat is not None

    def health(seconds_later: float) -> str:
        return by_name(read_workers(conn, FrozenClock(beat + timedelta(seconds=seconds_later))))[
            "kept"
        ].health

    assert [health(60), health(430), health(500)] == [OK, STALE, DEAD]


def test_garbage_worker_data_reads_without_error(conn: redis.Redis) -> None:
    conn.sadd(keys.WORKERS_SET, "rq:worker:string", "rq:worker:junk", "not-a-worker-key")
    conn.set("rq:worker:string", "a string where RQ keeps a hash")
    conn.hset("rq:worker:junk", mapping={"pid": "x", "birth": "yesterday", "queues": b"\xff,q", "state": "?"})
    conn.expire("rq:worker:junk", 300)
    conn.set("rq:worker:junk:executions", "not a set")
    view = by_name(read_workers(conn))
    assert set(view) == {"string", "junk"}
    assert view["string"].health == DEAD and view["string"].why == "its key holds no worker hash"
    junk = view["junk"]
    assert (junk.info.pid, junk.info.birth, junk.info.current_job_id, junk.health) == (None, None, None, OK)


def seed_workers(conn: redis.Redis, n: int, hosts: int = 4) -> None:
    """`n` workers registered as RQ does, one in three busy with a job of its own."""
    q = Queue("default", connection=conn)
    for i in range(n):
        worker = Worker([q], connection=conn, name=f"w{i:04d}")
        worker.hostname = f"host-{i % hosts}"
        worker.register_birth()
        if i % 3 == 0:
            job = Job.create(jobs.add, args=(i, 1), id=f"job-{i:04d}", connection=conn, origin="default")
            job.save()
            conn.hset(keys.job_key(job.id), "started_at", "2026-11-23T11:59:00.000000Z")
            conn.sadd(keys.worker_executions_key(worker.name), f"{job.id}:exec-{i}")
            worker.set_state("busy")


def test_round_trips_stay_the_same_whatever_the_number_of_workers(redis_url: str, conn: redis.Redis) -> None:
    counter = RoundTripCounter()
    client = counting_client(redis_url, counter)
    trips = []
    for n in (3, 300):
        conn.flushall()
        seed_workers(conn, n)
        read_workers(client)  # the first call loads the read script
        counter.count = 0
        view = read_workers(client)
        trips.append(counter.count)
        assert len(view.workers) == n and view.busy == len(range(0, n, 3))
        assert view.hosts == [f"host-{i}" for i in range(min(n, 4))]
        assert all(w.job is not None and w.job.func == "tests.jobs.add" for w in view.workers if w.job)
    assert trips == [2, 2]


def test_without_scripting_the_same_workers_are_read_in_pipelines(redis_url: str, conn: redis.Redis) -> None:
    seed_workers(conn, 12)
    conn.sadd(keys.WORKERS_SET, "rq:worker:string", "rq:worker:expired")
    conn.set("rq:worker:string", "a string where RQ keeps a hash")
    conn.acl_setuser("reader", enabled=True, nopass=True, keys=["*"], commands=["+@all", "-@scripting"])
    counter = RoundTripCounter()
    reader = counting_client(redis_url, counter, username="reader")
    clock = FrozenClock(datetime.now(UTC))

    def seen(view: Workers) -> list[tuple[object, ...]]:
        # The seconds each key has left tick down between two reads; the health they decide must not.
        return [(replace(w.info, expires_in=None), w.health, w.why, w.job) for w in view.workers]

    read_workers(reader, clock)  # the script is refused once; pipelines from then on
    counter.count = 0
    assert seen(read_workers(reader, clock)) == seen(read_workers(conn, clock))
    assert counter.count == 4  # SMEMBERS, the workers' pipeline, the jobs' two pipelines
    assert by_name(read_workers(reader, clock))["string"].health == DEAD
    reader.close()
    conn.acl_deluser("reader")


def test_reading_workers_changes_nothing(conn: redis.Redis) -> None:
    seed_workers(conn, 6)
    conn.sadd(keys.WORKERS_SET, "rq:worker:expired")  # Worker.all() would remove it
    conn.sadd(keys.worker_executions_key("w0001"), "gone-job:exec-x")  # and prune this
    before = redis_state(conn)
    time.sleep(0.01)
    view = read_workers(conn)
    assert same_state(redis_state(conn), before)
    assert by_name(view)["expired"].health == DEAD
    assert by_name(view)["w0001"].info.current_job_id == "gone-job"
    assert by_name(view)["w0001"].job is not None and by_name(view)["w0001"].job.problem  # type: ignore[union-attr]
