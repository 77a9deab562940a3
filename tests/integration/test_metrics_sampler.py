"""The metrics sampler on a real Redis with real RQ workers: counts, run times, one leader, flat memory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.job import Job

from queuetui.clock import FrozenClock
from queuetui.daemon.lease import Lease
from queuetui.metrics import sampler as sampler_module
from queuetui.metrics.sampler import LEASE_KEY, Sampler
from queuetui.metrics.series import (
    OTHER,
    PREFIX,
    Resolution,
    Writes,
    function_names,
    memory,
    read_function,
    read_queue,
    read_totals,
    series_names,
)
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from tests import jobs

START = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sampler(
    conn: redis.Redis, clock: FrozenClock, name: str = "a", lease_ttl: float = 30, **kwargs: object
) -> Sampler:
    lease = Lease(conn, name, ttl=lease_ttl, margin=5, monotonic=Monotonic(), key=LEASE_KEY,
                  fence_key=sampler_module.FENCE_KEY)  # fmt: skip
    return Sampler(conn, instance=name, clock=clock, lease=lease, **kwargs)  # type: ignore[arg-type]


def run_time(conn: redis.Redis, job_id: str) -> float:
    """The job's run time as RQ's own Result reports it."""
    result = Job.fetch(job_id, connection=conn).latest_result()
    assert result is not None and result.execution_started_at and result.execution_ended_at
    return (result.execution_ended_at - result.execution_started_at).total_seconds()


def test_a_sample_counts_what_a_real_workload_did_and_times_each_function(conn: redis.Redis) -> None:
    clock = FrozenClock(START)
    s = sampler(conn, clock)
    assert s.sample() is not None  # nothing yet: the cursor starts here
    q = Queue("default", connection=conn)
    for i in range(3):
        q.enqueue(jobs.add, i, 1, job_id=f"add-{i}")
    q.enqueue(jobs.boom, "disk full", job_id="boom-0")
    q.enqueue(jobs.boom, "disk full", job_id="boom-1")
    clock.advance(10)
    before = s.sample()
    assert before is not None
    point = before.queues["default"]
    assert (point.waiting, point.enqueued, point.finished, point.failures) == (5, 5, 0, 0)
    assert point.oldest is not None and point.seconds == 10

    SimpleWorker([q], connection=conn).work(burst=True)
    clock.advance(10)
    after = s.sample()
    assert after is not None
    point = after.queues["default"]
    assert (point.waiting, point.running, point.failed) == (0, 0, 2)
    assert (point.enqueued, point.finished, point.failures) == (0, 3, 2)
    assert point.oldest is None

    adds = sorted(run_time(conn, f"add-{i}") for i in range(3))
    booms = sorted(run_time(conn, f"boom-{i}") for i in range(2))
    add = after.functions[("default", "tests.jobs.add")]
    boom = after.functions[("default", "tests.jobs.boom")]

    def close(seconds: float) -> object:  # run times are kept to four significant digits
        return pytest.approx(seconds, rel=1e-3, abs=2e-6)

    assert (add.count, add.p50, add.p95, add.max) == (3, close(adds[1]), close(adds[2]), close(adds[2]))
    assert (boom.count, boom.p50, boom.p95) == (2, close(booms[0]), close(booms[1]))

    # What was written reads back the same, and the totals add up.
    stored = read_queue(conn, "default", 0)
    assert [p.enqueued for p in stored] == [5, 0] and stored[-1] == after.queues["default"]
    assert read_function(conn, "default", "tests.jobs.add", 0) == [add]
    assert function_names(conn, "default") == ["tests.jobs.add", "tests.jobs.boom"]
    assert read_totals(conn) == {
        ("default", "enqueued"): 5,
        ("default", "finished"): 3,
        ("default", "failed"): 2,
    }

    # Nothing new: the next sample counts nothing again.
    clock.advance(10)
    again = s.sample()
    assert again is not None
    assert (again.queues["default"].finished, again.queues["default"].failures) == (0, 0)
    assert again.functions == {}


def test_one_sampler_leads_and_a_failover_neither_loses_nor_doubles_a_count(conn: redis.Redis) -> None:
    clock = FrozenClock(START)
    a, b = sampler(conn, clock, "a"), sampler(conn, clock, "b")
    assert a.sample() is not None
    assert b.sample() is None  # a leads: b writes nothing
    q = Queue("default", connection=conn)
    for i in range(4):
        q.enqueue(jobs.add, i, i)
    SimpleWorker([q], connection=conn).work(burst=True)

    stale = a.lease.value
    conn.delete(LEASE_KEY)  # a's lease lapses (a stalled process); b takes over
    clock.advance(10)
    taken = b.sample()
    assert taken is not None and taken.queues["default"].finished == 4

    # A write with a's stale token is refused in Redis, whatever a still believes.
    writes = Writes()
    writes.add("HSET", f"{PREFIX}:totals", "default|finished", 1000)
    assert not writes.flush(conn, LEASE_KEY, stale)
    assert a.sample() is None
    assert read_totals(conn)[("default", "finished")] == 4
    assert [p.finished for p in read_queue(conn, "default", 0)] == [4]


def test_a_sample_costs_the_same_round_trips_for_one_job_or_hundreds(
    conn: redis.Redis, redis_url: str
) -> None:
    counts = []
    # The first size 1 loads the scripts into Redis (a NOSCRIPT reply and a SCRIPT LOAD, once a
    # server): not counted. The lease outlives the slowest worker run, so it is renewed, not retaken.
    for size in (1, 1, 300):
        conn.flushall()
        counter = RoundTripCounter()
        client = counting_client(redis_url, counter)
        clock = FrozenClock(START)
        s = sampler(client, clock, lease_ttl=3600)
        s.sample()
        q = Queue("default", connection=conn)
        for i in range(size):
            q.enqueue(jobs.add, i, 1)
        SimpleWorker([q], connection=conn).work(burst=True)
        for i in range(size):
            q.enqueue(jobs.add, i, 2)
        clock.advance(10)
        counter.count = 0
        sample = s.sample()
        assert sample is not None and sample.queues["default"].finished == size
        counts.append(counter.count)
        client.close()
    assert counts[1] == counts[2] <= 10


def test_function_names_beyond_the_cap_count_as_other(
    conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sampler_module, "MAX_FUNCTIONS", 1)
    clock = FrozenClock(START)
    s = sampler(conn, clock)
    s.sample()
    q = Queue("default", connection=conn)
    q.enqueue(jobs.add, 1, 1)
    SimpleWorker([q], connection=conn).work(burst=True)
    clock.advance(10)
    s.sample()
    q.enqueue(jobs.boom)
    q.enqueue(jobs.record, "x")
    SimpleWorker([q], connection=conn).work(burst=True)
    clock.advance(10)
    sample = s.sample()
    assert sample is not None
    assert set(sample.functions) == {("default", OTHER)} and sample.functions[("default", OTHER)].count == 2
    assert sorted(n[2] for n in series_names(conn) if n[0] == "func") == [OTHER, "tests.jobs.add"]


def test_series_memory_stays_flat_over_a_long_simulated_run(conn: redis.Redis) -> None:
    fine, coarse = Resolution("fine", 10, 600), Resolution("coarse", 30, 1800)
    clock = FrozenClock(START)
    s = sampler(conn, clock, fine=fine, coarse=coarse)
    queues = [Queue(name, connection=conn) for name in ("default", "emails")]
    backlog = Queue("backlog", connection=conn)
    worker = SimpleWorker(queues, connection=conn)
    samples = 0
    chunk = int(coarse.span // 10)  # samples a COARSE chunk covers, the longest cycle (FINE's divides it)

    def run(count: int) -> list[tuple[int, int]]:
        """Sample `count` times; (bytes, keys) of the series every 20 samples."""
        nonlocal samples
        seen = []
        for _ in range(count):
            if samples % chunk == 0:  # a real workload now and then: jobs finish and fail, run times recorded
                for n in range(10):
                    queues[0].enqueue(jobs.add, samples, n)
                    queues[1].enqueue(jobs.boom, "bad address")
                worker.work(burst=True)
            backlog.enqueue(jobs.add, samples, 2)  # and a backlog that keeps growing
            clock.advance(10)
            assert s.sample() is not None
            samples += 1
            if samples % 20 == 0:
                seen.append((memory(conn), len(list(conn.scan_iter(match=f"{PREFIX}:*")))))
        return seen

    # Past both retentions (10 minutes of FINE, 30 of COARSE) and a chunk more, then two windows of
    # a COARSE chunk each (a whole cycle: memory rises as a chunk fills, drops as one expires).
    run(int((coarse.retention + coarse.span) // 10))
    first, second = run(chunk), run(chunk)
    assert max(b for b, _ in second) <= max(b for b, _ in first) * 1.05
    assert max(k for _, k in second) == max(k for _, k in first)
    assert read_queue(conn, "backlog", 0)[-1].waiting == samples  # one enqueued a sample
    assert len(read_queue(conn, "default", 0, resolution=fine)) == fine.capacity + 1
    rolled = read_queue(conn, "emails", 0, resolution=coarse)
    assert [p.at for p in rolled] == [rolled[0].at + 30 * i for i in range(coarse.capacity + 1)]
    assert all(p.seconds == 30 for p in rolled[:-1])
    for name in series_names(conn, fine):
        if name[0] == "func":
            assert 0 < len(read_function(conn, name[1], name[2], 0, resolution=fine)) <= fine.capacity + 1


def test_a_long_stop_rolls_up_the_bucket_it_stopped_in_and_leaves_a_gap(conn: redis.Redis) -> None:
    fine, coarse = Resolution("fine", 10, 600), Resolution("coarse", 60, 86400)
    clock = FrozenClock(START)
    s = sampler(conn, clock, fine=fine, coarse=coarse)
    q = Queue("default", connection=conn)
    for _ in range(12):  # two one-minute buckets of samples
        q.enqueue(jobs.add, 1, 1)
        clock.advance(10)
        s.sample()
    clock.advance(6 * 3600)  # the sampler stops for six hours
    sample = s.sample()
    assert sample is not None
    rolled = read_queue(conn, "default", 0, resolution=coarse)
    start = START.timestamp()
    assert [p.at - start for p in rolled] == [0, 60, 120]
    # the first sample is the baseline: its job was already waiting, not counted as enqueued
    assert [p.enqueued for p in rolled] == [4, 6, 1] and rolled[-1].waiting == 12
    assert len(sample.rolled_up) <= 12 + 1
