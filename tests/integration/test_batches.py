"""Batches (RQ groups) read from a real Redis as real workers run their jobs, and acted on in bulk."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.group import Group
from rq.job import Job

from queuetui.audit import Actor, Audit, recent
from queuetui.db.engine import open_database
from queuetui.operations import Operations
from queuetui.roles import Role
from queuetui.rqdata import batches
from queuetui.rqdata.actions import JOB_ACTIONS, ActionError
from queuetui.rqdata.batches import batch_members, read_batch, read_batch_rows, read_batches
from queuetui.rqdata.bulk import Selection, plan
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from tests import jobs
from tests.conftest import wait_for
from tests.integration.test_read_only import redis_state, same_state


def enqueue_group(
    conn: redis.Redis, name: str, calls: list[tuple[object, tuple[object, ...], str]], queue: str = "default"
) -> None:
    """Jobs of a group enqueued the way RQ documents it: Group.create, then enqueue_many."""
    data = [Queue.prepare_data(func, args, job_id=job_id) for func, args, job_id in calls]  # type: ignore[arg-type]
    Group.create(conn, name).enqueue_many(Queue(queue, connection=conn), data)


def burst(conn: redis.Redis, queue: str = "default") -> None:
    SimpleWorker([Queue(queue, connection=conn)], connection=conn).work(burst=True)


def counts(batch: batches.Batch | None) -> dict[str, int]:
    assert batch is not None
    return {state: n for state, n in batch.counts.items() if n}


def test_progress_moves_as_a_worker_runs_the_batch(conn: redis.Redis) -> None:
    calls = [(jobs.add, (i, i), f"n-{i:02d}") for i in range(8)] + [(jobs.boom, ("bad row",), "n-bad")]
    enqueue_group(conn, "nightly", calls)
    before = read_batch(conn, "nightly")
    assert before is not None and counts(before) == {"waiting": 9}
    assert (before.size, before.done, before.progress) == (9, 0, 0.0)
    assert before.oldest_pending_id == "n-00" and before.created_at == before.oldest_pending_at

    burst(conn)
    after = read_batch(conn, "nightly")
    assert after is not None and counts(after) == {"finished": 8, "failed": 1}
    assert (after.size, after.done, after.progress, after.oldest_pending_id) == (9, 9, 1.0, "")
    assert after.created_at == before.created_at

    rows = read_batch_rows(conn, batch_members(conn, "nightly").ids)
    assert [r.id for r in rows] == [f"n-{i:02d}" for i in range(8)] + ["n-bad"]  # creation order
    bad = rows[-1]
    assert (bad.queue, bad.registry, bad.exception and bad.exception.message) == (
        "default",
        "failed",
        "bad row",
    )


def test_every_state_and_the_oldest_pending_job(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    enqueue_group(conn, "mixed", [(jobs.add, (1, 1), "m-done"), (jobs.boom, (), "m-fail")])
    burst(conn)
    Group(conn, "mixed").enqueue_many(
        q,
        [
            Queue.prepare_data(jobs.add, (2, 2), job_id="m-wait"),
            Queue.prepare_data(jobs.add, (5, 5), job_id="m-cancel"),
        ],
    )
    dependent = Queue.prepare_data(jobs.add, (4, 4), job_id="m-after", depends_on="m-wait")
    Group(conn, "mixed").enqueue_many(q, [dependent])
    Job.fetch("m-cancel", connection=conn).cancel()
    q.enqueue_in(timedelta(hours=1), jobs.add, 3, 3, job_id="m-later")  # enqueue_in takes no group:
    conn.hset("rq:job:m-later", "group_id", "mixed")  # join it as Group.enqueue_many would
    conn.sadd(batches.group_key("mixed"), "m-later")
    conn.sadd(batches.group_key("mixed"), "m-expired")  # an id whose hash is gone

    batch = read_batch(conn, "mixed")
    assert counts(batch) == {
        "waiting": 1,
        "deferred": 1,
        "scheduled": 1,
        "finished": 1,
        "failed": 1,
        "canceled": 1,
        "gone": 1,
    }
    assert batch is not None and (batch.size, batch.done, batch.pending) == (7, 4, 3)
    assert batch.oldest_pending_id == "m-wait"
    assert read_batch(conn, "no-such-batch") is None


def test_failed_jobs_of_a_batch_retried_and_pending_ones_canceled_through_the_audited_path(
    conn: redis.Redis, tmp_path: Path
) -> None:
    conn.set("test:fixed", 1)
    calls = [(jobs.add, (i, i), f"r-{i}") for i in range(3)] + [
        (jobs.needs, ("test:ok",), f"r-bad-{i}") for i in range(4)
    ]
    enqueue_group(conn, "import", calls)
    burst(conn)
    assert counts(read_batch(conn, "import")) == {"finished": 3, "failed": 4}
    enqueue_group(conn, "other", [(jobs.boom, (), "o-bad")])
    burst(conn)

    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    ops = Operations(conn, Audit(sessions, actor=Actor("ops", "local", "h"), role=Role.OPERATOR))
    dry = ops.plan("jobs.retry", Selection(group="import"))
    assert (dry.total, dry.scanned, sorted(dry.ids)) == (4, 7, [f"r-bad-{i}" for i in range(4)])
    assert counts(read_batch(conn, "import")) == {"finished": 3, "failed": 4}  # the dry run changed nothing

    conn.set("test:ok", 1)
    outcome = ops.run(dry)
    assert (outcome.done, outcome.failed) == (4, 0)
    assert counts(read_batch(conn, "import")) == {"finished": 3, "waiting": 4}
    burst(conn)
    assert counts(read_batch(conn, "import")) == {"finished": 7}
    assert counts(read_batch(conn, "other")) == {"failed": 1}  # another batch's failure stays

    enqueue_group(conn, "later", [(jobs.add, (1, 1), "l-1"), (jobs.add, (1, 2), "l-2")], queue="slow")
    ops.run(ops.plan("jobs.cancel", Selection(group="later")))
    assert counts(read_batch(conn, "later")) == {"canceled": 2} and conn.llen("rq:queue:slow") == 0

    canceled, retried = recent(sessions)
    assert (retried.action, retried.target, retried.done, sorted(retried.job_ids)) == (
        "jobs.retry",
        "batch import (default failed)",
        4,
        [f"r-bad-{i}" for i in range(4)],
    )
    assert (canceled.action, canceled.target, canceled.done) == (
        "jobs.cancel",
        "batch later (slow waiting)",
        2,
    )
    with pytest.raises(ActionError, match="no batch named 'nope'"):
        ops.plan("jobs.retry", Selection(group="nope"))


def test_jobs_whose_hashes_expired_count_as_gone_and_done(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    data = [Queue.prepare_data(jobs.add, (i, i), job_id=f"e-{i}", result_ttl=1) for i in range(3)]
    data.append(Queue.prepare_data(jobs.add, (9, 9), job_id="e-kept"))
    Group.create(conn, "short").enqueue_many(q, data)
    burst(conn)
    wait_for(lambda: not conn.exists("rq:job:e-0", "rq:job:e-1", "rq:job:e-2"), message="results to expire")
    batch = read_batch(conn, "short")
    assert counts(batch) == {"finished": 1, "gone": 3}
    assert batch is not None and (batch.done, batch.progress) == (4, 1.0)
    assert conn.scard(batches.group_key("short")) == 4  # read, not cleaned
    rows = read_batch_rows(conn, batch_members(conn, "short").ids)
    gone = [r for r in rows if batches.row_state(r) == "gone"]
    assert sorted(r.id for r in gone) == ["e-0", "e-1", "e-2"] and all(not r.readable for r in gone)


def test_reading_batches_changes_nothing_where_rq_group_all_would(conn: redis.Redis) -> None:
    enqueue_group(conn, "kept", [(jobs.add, (1, 1), "k-1"), (jobs.boom, (), "k-2")])
    burst(conn)
    conn.sadd(batches.group_key("kept"), "k-expired")
    conn.sadd(batches.GROUPS_SET, "emptied")  # listed, its set gone: RQ's Group.all drops it
    before = redis_state(conn)
    page = read_batches(conn)
    read_batch(conn, "kept")
    batch_members(conn, "kept")
    read_batch_rows(conn, batch_members(conn, "kept").ids)
    plan(conn, JOB_ACTIONS["jobs.retry"], Selection(group="kept"))
    assert same_state(redis_state(conn), before)
    assert [(b.name, b.size) for b in page.batches] == [("emptied", 0), ("kept", 3)]

    Group.all(conn)
    Group(conn, "kept").get_jobs()
    assert not same_state(redis_state(conn), before)  # the check sees RQ's own cleanup


def test_pages_of_groups_and_a_big_group_in_chunks_in_few_round_trips(
    conn: redis.Redis, redis_url: str
) -> None:
    q = Queue("default", connection=conn)
    for g in range(30):
        enqueue_group(conn, f"g{g:02d}", [(jobs.add, (g, i), f"g{g:02d}-{i}") for i in range(g % 4 + 1)])
    big = [Queue.prepare_data(jobs.add, (i, i), job_id=f"big-{i:05d}") for i in range(2500)]
    Group.create(conn, "zz-big").enqueue_many(q, big)
    conn.hset("rq:job:big-00007", "status", "failed")

    read_batches(conn, 0, 20)  # loads its scripts into this server (a NOSCRIPT once a server: not counted)
    counter = RoundTripCounter()
    counting = counting_client(redis_url, counter)
    page = read_batches(counting, 0, 20)
    assert (page.offset, page.total, len(page.batches)) == (0, 31, 20)
    assert [b.size for b in page.batches] == [g % 4 + 1 for g in range(20)]
    assert counter.count <= 4, counter.count  # names, one SSCAN round, one read of 50 ids

    counter.count = 0
    last = read_batches(counting, 20, 20, chunk=100)
    assert [b.name for b in last.batches][-1] == "zz-big" and last.end == 31
    big_batch = last.batches[-1]
    assert counts(big_batch) == {"waiting": 2499, "failed": 1}
    assert counter.count <= 1 + 2 * (2500 // 100 + 2), counter.count
    assert read_batches(conn, 500, 20).offset == 11  # past the end: the last page
    members = batch_members(conn, "zz-big", limit=1000)
    assert members.truncated and len(members.ids) == 1000


def test_garbage_in_groups_is_shown_not_fatal(conn: redis.Redis) -> None:
    enqueue_group(conn, "odd", [(jobs.add, (1, 1), "o-1"), (jobs.add, (2, 2), "o-2")])
    conn.hset("rq:job:o-2", "created_at", "not a time")
    conn.sadd(batches.group_key("odd"), "o-list")
    conn.rpush("rq:job:o-list", "not a hash")  # a job key of the wrong type
    conn.sadd(batches.GROUPS_SET, "a-string")
    conn.set(batches.group_key("a-string"), "not a set")
    page = read_batches(conn)
    assert [(b.name, b.size) for b in page.batches] == [("a-string", 0), ("odd", 3)]
    odd = page.batches[1]
    assert counts(odd) == {"waiting": 2, "gone": 1} and odd.oldest_pending_id == "o-1"
    rows = read_batch_rows(conn, batch_members(conn, "odd").ids)
    assert [(r.id, batches.row_state(r)) for r in rows] == [
        ("o-1", "waiting"),
        ("o-2", "waiting"),
        ("o-list", "gone"),
    ]
    assert rows[1].created_at is None and rows[2].problem == "job key holds something other than a hash"
