"""Retry policies and strict priority in `queuetui worker`, with real RQ workers on a real Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import redis
from rq import Queue, Retry, SimpleWorker
from rq.job import Job

from queuetui.config import RetryPolicy, RetrySettings, load_settings
from queuetui.executor.worker import build_worker, listen_order
from queuetui.present import jobs as jobtext
from queuetui.rqdata.detail import job_detail
from queuetui.rqdata.pages import read_page
from queuetui.rqdata.retrynote import META_KEY, RetryNote, note_from_meta
from tests import jobs
from tests.conftest import run_env, wait_for

FAST = RetryPolicy("fast", "exponential", attempts=3, base=2.0, max=60.0, jitter=0.2)
SETTINGS = replace(
    RetrySettings(),
    policies={**RetrySettings().policies, "fast": FAST},
    errors={**RetrySettings().errors, "builtins.ConnectionError": "fast"},
)


def note_of(conn: redis.Redis, job_id: str) -> RetryNote:
    note = note_from_meta(Job.fetch(job_id, connection=conn).get_meta())
    assert note is not None, f"no retry note on {job_id}"
    return note


def run_once(conn: redis.Redis, retry: RetrySettings = SETTINGS) -> None:
    """One burst of a worker on 'default': it first enqueues the scheduled jobs that are due."""
    worker = build_worker(conn, ["default"], retry=retry, worker_class=SimpleWorker)
    worker.work(burst=True, with_scheduler=True)


def make_due(conn: redis.Redis, queue: Queue, job_id: str) -> None:
    """Stand in for the wait: the retry becomes due now instead of in a few seconds."""
    assert conn.zscore(queue.scheduled_job_registry.key, job_id) is not None
    conn.zadd(queue.scheduled_job_registry.key, {job_id: time.time() - 1})


def test_transient_error_is_retried_with_growing_delays_then_given_up(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.refused, job_id="flaky", meta={"tenant": "acme"})
    delays = []
    for attempt in (1, 2):
        before = time.time()
        run_once(conn)
        note = note_of(conn, "flaky")
        assert (note.attempt, note.max_attempts, note.retrying) == (attempt, 3, True)
        assert (note.error, note.matched, note.policy) == (
            "builtins.ConnectionRefusedError",
            "builtins.ConnectionError",
            "fast",
        )
        nominal = FAST.base * 2 ** (attempt - 1)
        assert round(nominal * 0.8) <= note.delay <= round(nominal * 1.2)
        score = conn.zscore(q.scheduled_job_registry.key, "flaky")
        assert score is not None and note.next_time is not None
        # RQ schedules in whole seconds; the note says when, to the second.
        assert abs(score - note.next_time.timestamp()) <= 1
        assert int(before) + note.delay - 1 <= score <= time.time() + note.delay
        job = Job.fetch("flaky", connection=conn)
        assert job.get_status() == "scheduled"
        assert job.retries_left == 3 - attempt - 1
        assert job.get_meta()["tenant"] == "acme"
        delays.append(note.delay)
        make_due(conn, q, "flaky")
    assert delays[0] < delays[1]

    run_once(conn)
    note = note_of(conn, "flaky")
    assert (note.attempt, note.retrying, note.reason) == (3, False, "gave up after 3 attempts")
    assert [(h.attempt, h.delay) for h in note.history] == [(1, delays[0]), (2, delays[1])]
    job = Job.fetch("flaky", connection=conn)
    assert job.get_status() == "failed"
    assert job.id in q.failed_job_registry.get_job_ids(cleanup=False)
    assert conn.llen("test:runs") == 3


def test_a_bug_is_not_retried_and_meta_says_why(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.tagged_boom, job_id="bug-1", meta={"tenant": "acme"})
    run_once(conn)
    job = Job.fetch("bug-1", connection=conn)
    assert job.get_status() == "failed"
    assert job.retries_left is None
    meta = job.get_meta()
    assert meta["tenant"] == "acme" and meta["progress"] == "half"  # meta of others is kept
    note = note_from_meta(meta)
    assert note is not None
    assert (note.error, note.matched, note.policy, note.retrying) == ("builtins.TypeError", "", "bug", False)
    assert note.reason == "policy 'bug' never retries"
    assert "unsupported operand" in note.message
    assert conn.zcard(q.scheduled_job_registry.key) == 0


def test_a_job_with_its_own_retry_keeps_it(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.refused, job_id="own", retry=Retry(max=2, interval=[30]))
    before = time.time()
    run_once(conn)
    job = Job.fetch("own", connection=conn)
    assert job.get_status() == "scheduled"
    assert job.retries_left == 1 and job.retry_intervals == [30]
    assert META_KEY not in job.get_meta()
    score = conn.zscore(q.scheduled_job_registry.key, "own")
    assert score is not None and int(before) + 29 <= score <= time.time() + 30


def test_requeued_by_hand_after_giving_up_counts_again(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.refused, job_id="again")
    one_shot = replace(SETTINGS, policies={**SETTINGS.policies, "fast": replace(FAST, attempts=2)})
    run_once(conn, one_shot)
    make_due(conn, q, "again")
    run_once(conn, one_shot)
    assert note_of(conn, "again").reason == "gave up after 2 attempts"
    q.failed_job_registry.requeue("again")
    run_once(conn, one_shot)
    note = note_of(conn, "again")
    assert (note.attempt, note.retrying, note.history) == (1, True, [])


def test_the_failed_view_and_the_detail_show_the_decision(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.tagged_boom, job_id="bug-2")
    q.enqueue(jobs.refused, job_id="flaky-2")
    q.enqueue(jobs.refused, job_id="own-2", retry=Retry(max=2, interval=[600]))
    run_once(conn)
    now = note_of(conn, "flaky-2").failed_at  # the moment it failed: 'in' says the whole delay
    assert now is not None
    (failed,) = read_page(conn, "default", "failed", 0, 10).rows
    assert jobtext.cell(failed, "retry", now) == "no: bug"
    assert jobtext.row_json(failed, now)["retry"]["reason"] == "policy 'bug' never retries"
    flaky, own = read_page(conn, "default", "scheduled", 0, 10).rows
    assert (flaky.id, own.id) == ("flaky-2", "own-2")
    assert jobtext.cell(flaky, "retry", now) == f"1/3 in {note_of(conn, 'flaky-2').delay}s"
    assert jobtext.cell(own, "retry", now) == "own: 1 left"
    text = jobtext.detail_text(job_detail(conn, "flaky-2"), now)
    delay = note_of(conn, "flaky-2").delay
    assert "fast (rule builtins.ConnectionError)" in text
    assert f"attempt 1 of 3 failed, retry after {delay}s" in text
    assert "ConnectionRefusedError: [Errno 111] refused: connection refused" in text
    assert jobtext.detail_json(job_detail(conn, "flaky-2"))["retry"]["policy"] == "fast"  # jobs show --json
    bug_text = jobtext.detail_text(job_detail(conn, "bug-2"), now)
    assert "retry         no: policy 'bug' never retries\n" in bug_text


def test_worker_pool_applies_the_config_file_policies(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[retry.errors]\n"ConnectionError" = "quick"\n'
        '[retry.policies.quick]\nbackoff = "linear"\nattempts = 3\nbase = "2s"\nmax = "1m"\njitter = 0\n'
    )
    assert load_settings(path=config).retry.errors["builtins.ConnectionError"] == "quick"
    Queue("default", connection=conn).enqueue(jobs.refused, job_id="pooled")
    env = run_env(redis_url)
    env["QUEUETUI_CONFIG"] = str(config)
    worker = subprocess.Popen(
        [sys.executable, "-m", "queuetui", "worker", "default", "--pool", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        note = wait_for(
            lambda: (
                (n := note_from_meta(Job.fetch("pooled", connection=conn).get_meta()))
                and not n.retrying
                and n
            ),
            timeout=60,
            message="the pooled job to be given up",
        )
    finally:
        worker.send_signal(signal.SIGTERM)  # the pool stops its workers, then itself
        try:
            worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)  # the session this test started, workers included
            worker.communicate(timeout=10)
            raise
    assert (note.policy, note.attempt, note.reason) == ("quick", 3, "gave up after 3 attempts")
    assert [h.delay for h in note.history] == [2, 4]  # linear, no jitter: base x attempt
    runs = [float(t) for t in conn.lrange("test:runs", 0, -1)]
    assert len(runs) == 3
    # Each retry ran no sooner than its delay (less RQ's whole-second rounding of the due time).
    assert runs[1] - runs[0] >= 2 - 1 and runs[2] - runs[1] >= 4 - 1


def test_one_worker_runs_every_critical_job_before_any_low_one(conn: redis.Redis) -> None:
    low, critical = Queue("low", connection=conn), Queue("critical", connection=conn)
    low.enqueue_many([Queue.prepare_data(jobs.add, (i, i), job_id=f"low-{i}") for i in range(5)])
    critical.enqueue_many([Queue.prepare_data(jobs.add, (i, i), job_id=f"crit-{i}") for i in range(5)])
    build_worker(conn, listen_order(()), worker_class=SimpleWorker).work(burst=True)
    ended = {}
    for job in Job.fetch_many([*(f"low-{i}" for i in range(5)), *(f"crit-{i}" for i in range(5))], conn):
        assert job is not None and job.ended_at is not None
        ended[job.id] = job.ended_at
    assert max(v for k, v in ended.items() if k.startswith("crit")) < min(
        v for k, v in ended.items() if k.startswith("low")
    )


def test_worker_with_a_bad_retry_config_exits_with_one_line(redis_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[retry.policies.slow]\nbackoff = "fixed"\nbase = "soon"\n')
    result = subprocess.run(
        [sys.executable, "-m", "queuetui", "--config", str(config), "worker", "--burst"],
        env=run_env(redis_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "[retry.policies.slow]: base must be a duration like 90s" in result.stderr


def test_unreadable_meta_is_left_alone_and_not_retried(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.refused, job_id="odd-meta")
    garbage = b"\x80\x05not a pickle"
    conn.hset("rq:job:odd-meta", "meta", garbage)
    run_once(conn)
    assert conn.hget("rq:job:odd-meta", "meta") == garbage
    assert Job.fetch("odd-meta", connection=conn).get_status() == "failed"
    assert conn.zcard(q.scheduled_job_registry.key) == 0
