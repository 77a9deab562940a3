"""Bulk actions: the dry run, chunks with progress, cancel halfway, throttle, a worker consuming meanwhile."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import redis

from queuetui.rqdata.actions import JOB_ACTIONS, ActionError, Options, Source
from queuetui.rqdata.bulk import Progress, Selection, plan, run
from tests.conftest import wait_for
from tests.integration.test_read_only import redis_state, same_state
from tests.workload import seed_failed, worker_process

REGISTRIES = ("failed", "started", "finished", "canceled", "scheduled", "deferred")


def places(conn: redis.Redis, queue: str, job_ids: list[str]) -> dict[str, list[str]]:
    """Every place each job is in (its queue list, once per occurrence, and each registry)."""
    found: dict[str, list[str]] = {job_id: [] for job_id in job_ids}
    for member in conn.lrange(f"rq:queue:{queue}", 0, -1):
        if member.decode() in found:
            found[member.decode()].append("waiting")
    # Popped by a worker stopped before it started the job: RQ moves it back to the queue later.
    for member in conn.lrange(f"rq:queue:{queue}:intermediate", 0, -1):
        if member.decode() in found:
            found[member.decode()].append("dequeued")
    for registry in REGISTRIES:
        for member in conn.zrange(f"rq:{'wip' if registry == 'started' else registry}:{queue}", 0, -1):
            job_id = member.decode().split(":")[0]
            if job_id in found:
                found[job_id].append(registry)
    return found


def test_the_dry_run_counts_and_samples_and_changes_nothing(conn: redis.Redis) -> None:
    seed_failed(conn, "emails", 30, prefix="e")
    seed_failed(conn, "sms", 5, prefix="s")
    before = redis_state(conn)
    retry = JOB_ACTIONS["jobs.retry"]
    every = plan(conn, retry, Selection("emails", "failed"))
    assert (every.total, every.sources, every.samples()) == (
        30,
        {Source("emails", "failed"): 30},
        ["e000000", "e000001", "e000002", "e000003", "e000004"],
    )
    filtered = plan(conn, retry, Selection("emails", "failed", "id:e00001"))
    assert filtered.ids == [f"e0000{i:02d}" for i in range(10, 20)] and filtered.scanned == 30
    by_id = plan(conn, retry, Selection(ids=("s000001", "e000007", "s000001", "nope")))
    assert by_id.sources == {Source("sms", "failed"): 1, Source("emails", "failed"): 1}
    assert (by_id.total, by_id.requested, by_id.target) == (2, 3, "sms failed, emails failed")
    assert same_state(redis_state(conn), before)
    with pytest.raises(ActionError, match=r"jobs\.retry works on failed jobs, not waiting"):
        plan(conn, retry, Selection("emails", "waiting"))
    with pytest.raises(ActionError, match=r"jobs\.retry does not take --to"):
        plan(conn, retry, Selection("emails", "failed"), Options(to="sms"))
    with pytest.raises(ActionError, match=r"jobs\.move needs a destination queue \(--to\)"):
        plan(conn, JOB_ACTIONS["jobs.move"], Selection("emails", "waiting"))
    assert same_state(redis_state(conn), before)


def test_a_bulk_retry_of_10000_jobs_while_a_worker_consumes(conn: redis.Redis, redis_url: str) -> None:
    job_ids = seed_failed(conn, "bulk", 10_000)
    seen: list[Progress] = []
    finished_meanwhile: list[int] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        finished_meanwhile.append(conn.zcard("rq:finished:bulk"))

    with worker_process(redis_url, "bulk", burst=False):
        wait_for(lambda: conn.hget("rq:worker:w-test", "state") == b"idle", message="the worker to listen")
        dry = plan(conn, JOB_ACTIONS["jobs.retry"], Selection("bulk", "failed"))
        # Throttled to 5,000 jobs/s so the run lasts long enough for the worker to take jobs meanwhile.
        outcome = run(conn, dry, progress=progress, throttle=5000)
        wait_for(lambda: conn.zcard("rq:finished:bulk") >= 50, message="the worker to finish some")
    assert (outcome.requested, outcome.done, outcome.problems, outcome.cancelled) == (
        10_000,
        10_000,
        [],
        False,
    )
    assert outcome.elapsed >= 10_000 / 5000 * 0.9  # the throttle held
    assert [p.done for p in seen] == list(range(500, 10_001, 500))  # chunks of a tenth of a second
    assert all(p.total == 10_000 and p.rate > 0 for p in seen) and seen[-1].eta == 0
    assert finished_meanwhile[-1] > 0  # retried jobs ran while later chunks were still being retried
    where = places(conn, "bulk", job_ids)
    assert Counter(len(p) for p in where.values()) == Counter({1: 10_000})  # each job in exactly one place
    assert Counter(p[0] for p in where.values()).keys() <= {"waiting", "dequeued", "started", "finished"}


def test_a_bulk_action_cancelled_halfway_leaves_whole_jobs_on_either_side(conn: redis.Redis) -> None:
    job_ids = seed_failed(conn, "bulk", 5_000)
    cancel = threading.Event()

    def progress(p: Progress) -> None:
        if p.done >= 2_000:
            cancel.set()

    dry = plan(conn, JOB_ACTIONS["jobs.retry"], Selection("bulk", "failed"))
    outcome = run(conn, dry, progress=progress, cancel=cancel)
    assert (outcome.done, outcome.cancelled, outcome.problems) == (2_000, True, [])
    where = places(conn, "bulk", job_ids)
    assert Counter(tuple(p) for p in where.values()) == {("waiting",): 2_000, ("failed",): 3_000}
    pipe = conn.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hget(f"rq:job:{job_id}", "status")
    statuses = dict(zip(job_ids, (s.decode() for s in pipe.execute()), strict=True))
    assert all(statuses[j] == {"waiting": "queued", "failed": "failed"}[where[j][0]] for j in job_ids)
    assert [j for j in job_ids if where[j] == ["waiting"]] == job_ids[:2_000]  # the first chunks, in order


def test_cancel_from_another_thread_and_a_throttle(conn: redis.Redis) -> None:
    seed_failed(conn, "bulk", 3_000)
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    started = time.monotonic()
    outcome = run(
        conn, plan(conn, JOB_ACTIONS["jobs.retry"], Selection("bulk", "failed")), throttle=1000, cancel=cancel
    )
    timer.join()
    assert outcome.cancelled and 0 < outcome.done < 3_000 and outcome.done % 100 == 0
    assert time.monotonic() - started < 2  # a throttled run wakes for cancel, not at its next chunk
    assert conn.llen("rq:queue:bulk") == outcome.done and conn.zcard("rq:failed:bulk") == 3_000 - outcome.done
