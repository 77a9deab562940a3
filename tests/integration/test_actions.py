"""Every job, queue and worker action against real RQ workers on the suite's Redis."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.rate_limit import RateLimit

from queuetui.executor.worker import build_worker
from queuetui.rqdata import actions
from queuetui.rqdata.actions import JOB_ACTIONS, Options, Source
from queuetui.rqdata.bulk import Outcome, Problem, Selection, plan, run
from tests import jobs
from tests.conftest import wait_for
from tests.workload import BROKEN_IDS, running_job, seed_broken, worker_process


def act(conn: redis.Redis, name: str, selection: Selection, **options: object) -> Outcome:
    return run(conn, plan(conn, JOB_ACTIONS[name], selection, Options(**options)))  # type: ignore[arg-type]


def status(conn: redis.Redis, job_id: str) -> str:
    return (conn.hget(f"rq:job:{job_id}", "status") or b"").decode()


def ids(conn: redis.Redis, key: str) -> list[str]:
    members = conn.lrange(key, 0, -1) if conn.type(key) == b"list" else conn.zrange(key, 0, -1)
    return [m.decode() for m in members]


def fail_jobs(conn: redis.Redis, queue: str, *job_ids: str) -> None:
    q = Queue(queue, connection=conn)
    for job_id in job_ids:
        q.enqueue(jobs.needs, f"test:fixed:{job_id}", job_id=job_id)
    SimpleWorker([q], connection=conn).work(burst=True)
    assert all(status(conn, j) == "failed" for j in job_ids)


def test_retry_a_failed_job_whose_function_now_succeeds(conn: redis.Redis, redis_url: str) -> None:
    fail_jobs(conn, "default", "flaky-1")
    conn.set("test:fixed:flaky-1", 1)  # the operator fixes the cause
    outcome = act(conn, "jobs.retry", Selection(ids=("flaky-1",)))
    assert (outcome.done, outcome.problems) == (1, [])
    assert ids(conn, "rq:failed:default") == [] and ids(conn, "rq:queue:default") == ["flaky-1"]
    assert status(conn, "flaky-1") == "queued"
    with worker_process(redis_url, "default") as worker:
        assert worker.wait(30) == 0
    job = Job.fetch("flaky-1", connection=conn)
    assert job.get_status() == "finished" and job.return_value() == "test:fixed:flaky-1 found"
    assert [r.type.name for r in job.results()] == ["SUCCESSFUL", "FAILED"]


def test_retry_to_the_front_keeps_the_retried_jobs_in_their_order(conn: redis.Redis) -> None:
    fail_jobs(conn, "default", "f1", "f2", "f3")
    Queue("default", connection=conn).enqueue(jobs.add, 1, 1, job_id="waiting")
    outcome = act(conn, "jobs.retry", Selection("default", "failed"), at_front=True)
    assert outcome.done == 3
    assert ids(conn, "rq:queue:default") == ["f1", "f2", "f3", "waiting"]
    fail_jobs(conn, "other", "g1")
    act(conn, "jobs.retry", Selection("other", "failed"))
    Queue("other", connection=conn).enqueue(jobs.add, 1, 1, job_id="later")
    assert ids(conn, "rq:queue:other") == ["g1", "later"]


def test_stop_a_job_that_is_really_running(conn: redis.Redis, redis_url: str) -> None:
    with running_job(conn, redis_url, job_id="run-1", queue="slow"):
        dry = plan(conn, JOB_ACTIONS["jobs.stop"], Selection("slow", "started"))
        assert (dry.total, dry.samples()) == (1, ["run-1"])
        outcome = run(conn, dry)
        assert (outcome.done, outcome.problems) == (1, [])
        wait_for(lambda: status(conn, "run-1") == "stopped", message="run-1 to stop")
        assert ids(conn, "rq:failed:slow") == ["run-1"]
        again = act(conn, "jobs.stop", Selection(ids=("run-1",)))
        assert again.problems == [Problem("run-1", "stopped, not started")]
    assert conn.exists("test:release")  # the job ended by being stopped, not by being released


def test_cancel_with_and_without_dependents(conn: redis.Redis, redis_url: str) -> None:
    default, other = Queue("default", connection=conn), Queue("other", connection=conn)
    default.enqueue(jobs.record, "parent", job_id="parent")
    default.enqueue(jobs.record, "child", job_id="child", depends_on="parent")
    other.enqueue(jobs.record, "grandchild", job_id="grandchild", depends_on="child")
    default.enqueue(jobs.record, "lone", job_id="lone")
    default.enqueue(jobs.record, "orphan", job_id="orphan", depends_on="lone")
    outcome = act(conn, "jobs.cancel", Selection(ids=("parent",)), dependents=True)
    assert (outcome.done, sorted(outcome.dependents)) == (1, ["child", "grandchild"])
    single = act(conn, "jobs.cancel", Selection("default", "waiting", "id:lone"))
    assert (single.done, single.dependents) == (1, [])
    assert {j: status(conn, j) for j in ("parent", "child", "grandchild", "lone", "orphan")} == {
        "parent": "canceled",
        "child": "canceled",
        "grandchild": "canceled",
        "lone": "canceled",
        "orphan": "deferred",  # canceled without its dependents: they stay deferred, as with RQ
    }
    assert sorted(ids(conn, "rq:canceled:default")) == ["child", "lone", "parent"]
    assert ids(conn, "rq:canceled:other") == ["grandchild"]
    assert ids(conn, "rq:deferred:default") == ["orphan"] and ids(conn, "rq:deferred:other") == []
    assert ids(conn, "rq:queue:default") == []
    with worker_process(redis_url, "default", "other") as worker:
        assert worker.wait(30) == 0
    assert conn.lrange("test:order", 0, -1) == []  # nothing canceled ever ran


def test_cancel_a_scheduled_job_and_enqueue_another_now(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("default", connection=conn)
    q.enqueue_in(timedelta(hours=1), jobs.record, "dropped", job_id="sched-1")
    q.enqueue_in(timedelta(hours=1), jobs.record, "now", job_id="sched-2")
    assert act(conn, "jobs.cancel", Selection("default", "scheduled", "id:sched-1")).done == 1
    assert act(conn, "jobs.enqueue-now", Selection(ids=("sched-2",))).done == 1
    assert ids(conn, "rq:scheduled:default") == [] and ids(conn, "rq:queue:default") == ["sched-2"]
    with worker_process(redis_url, "default") as worker:
        assert worker.wait(30) == 0
    assert conn.lrange("test:order", 0, -1) == [b"now"]
    assert status(conn, "sched-1") == "canceled" and status(conn, "sched-2") == "finished"


def test_requeue_to_another_queue_and_move_a_waiting_job(conn: redis.Redis, redis_url: str) -> None:
    fail_jobs(conn, "default", "f1")
    conn.set("test:fixed:f1", 1)
    Queue("default", connection=conn).enqueue(jobs.record, "moved", job_id="w1")
    assert conn.ttl("rq:job:f1") > 0  # a failed job's hash expires with its failure TTL
    requeued = act(conn, "jobs.requeue", Selection("default", "failed"), to="spare")
    assert conn.ttl("rq:job:f1") == -1  # waiting again, it lives as long as a fresh job
    moved = act(conn, "jobs.move", Selection("default", "waiting"), to="spare")
    assert (requeued.done, moved.done) == (1, 1)
    assert ids(conn, "rq:queue:spare") == ["f1", "w1"] and ids(conn, "rq:queue:default") == []
    assert conn.sismember("rq:queues", "rq:queue:spare")
    with worker_process(redis_url, "spare") as worker:
        assert worker.wait(30) == 0
    assert conn.lrange("test:order", 0, -1) == [b"moved"]
    assert {status(conn, "f1"), status(conn, "w1")} == {"finished"}
    assert Job.fetch("f1", connection=conn).origin == "spare"


def test_a_finished_job_requeued_runs_again_and_does_not_expire_meanwhile(
    conn: redis.Redis, redis_url: str
) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.record, "again", job_id="done-1", result_ttl=60)
    SimpleWorker([q], connection=conn).work(burst=True)
    assert 0 < conn.ttl("rq:job:done-1") <= 60
    assert act(conn, "jobs.requeue", Selection("default", "finished")).done == 1
    assert conn.ttl("rq:job:done-1") == -1 and status(conn, "done-1") == "queued"
    with worker_process(redis_url, "default") as worker:
        assert worker.wait(30) == 0
    assert conn.lrange("test:order", 0, -1) == [b"again", b"again"]


def test_rate_limited_jobs_take_and_free_their_slots_as_in_rq(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.needs, "test:fixed:limited", job_id="limited", rate_limit=RateLimit("api", 1))
    SimpleWorker([q], connection=conn).work(burst=True)
    assert status(conn, "limited") == "failed"
    conn.set("test:fixed:limited", 1)
    assert act(conn, "jobs.retry", Selection("default", "failed")).done == 1
    assert act(conn, "jobs.retry", Selection(ids=("limited",))).problems == [
        Problem("limited", "queued, not failed")
    ]
    SimpleWorker([q], connection=conn).work(burst=True)
    assert status(conn, "limited") == "finished"
    q.enqueue(jobs.add, 1, 1, job_id="limited-2", rate_limit=RateLimit("api", 1))
    moved = act(conn, "jobs.move", Selection("default", "waiting"), to="spare")
    reason = "rate-limited job: RQ can only requeue it to its own queue"
    assert moved.problems == [Problem("limited-2", reason)]
    assert act(conn, "jobs.delete", Selection("default", "waiting")).done == 1
    assert not conn.exists("rq:job:limited-2") and conn.llen("rq:queue:default") == 0


def test_delete_with_and_without_dependents(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.add, 1, 1, job_id="done-1")
    SimpleWorker([q], connection=conn).work(burst=True)
    q.enqueue(jobs.add, 1, 1, job_id="root")
    q.enqueue(jobs.add, 1, 1, job_id="leaf", depends_on="root")
    q.enqueue(jobs.add, 1, 1, job_id="keep")
    q.enqueue(jobs.add, 1, 1, job_id="kept-leaf", depends_on="keep")
    assert conn.exists("rq:results:done-1")
    finished = act(conn, "jobs.delete", Selection("default", "finished"))
    with_dependents = act(conn, "jobs.delete", Selection(ids=("root",)), dependents=True)
    alone = act(conn, "jobs.delete", Selection(ids=("keep",)))
    assert (finished.done, with_dependents.done, with_dependents.dependents, alone.done) == (
        1,
        1,
        ["leaf"],
        1,
    )
    left = sorted(k.decode() for k in conn.scan_iter("rq:*") if b"job" in k or b"results" in k)
    assert left == ["rq:job::kept-leaf:dependencies", "rq:job:kept-leaf"]  # only the job left deferred
    assert ids(conn, "rq:queue:default") == [] and ids(conn, "rq:deferred:default") == ["kept-leaf"]
    assert ids(conn, "rq:finished:default") == []


def test_broken_jobs_can_be_deleted_and_nothing_is_unpickled(conn: redis.Redis, tmp_path: Path) -> None:
    trap = tmp_path / "trap"
    seed_broken(conn, str(trap))
    outcome = act(conn, "jobs.delete", Selection("broken", "waiting"))
    # expired-1's hash is gone: removing its dangling id from the queue is its deletion, counted as done.
    assert (outcome.done, outcome.problems) == (len(BROKEN_IDS), [])
    assert conn.llen("rq:queue:broken") == 0
    assert not list(conn.scan_iter("rq:job:*")) and not trap.exists()


def test_empty_a_queue(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    for i in range(25):
        q.enqueue(jobs.add, i, i, job_id=f"j{i}")
    dry = plan(conn, JOB_ACTIONS["queues.empty"], Selection("default"))
    assert (dry.total, dry.samples(), dry.sources) == (
        25,
        ["j0", "j1", "j2", "j3", "j4"],
        {Source("default", "waiting"): 25},
    )
    assert conn.llen("rq:queue:default") == 25  # the dry run changed nothing
    assert run(conn, dry, chunk=10).done == 25
    assert conn.llen("rq:queue:default") == 0 and not list(conn.scan_iter("rq:job:*"))


def test_per_job_problems_are_listed_and_never_stop_the_rest(conn: redis.Redis, redis_url: str) -> None:
    fail_jobs(conn, "default", "a", "b", "c", "d")
    Queue("default", connection=conn).enqueue(jobs.add, 1, 1, job_id="waits")
    asked = plan(conn, JOB_ACTIONS["jobs.retry"], Selection(ids=("a", "b", "c", "d", "waits", "ghost")))
    assert asked.problems == [Problem("waits", "queued, not failed"), Problem("ghost", "no such job")]
    # Between the dry run and the run: one job is retried by someone else, one expires.
    Job.fetch("b", connection=conn).requeue()
    conn.delete("rq:job:c")
    outcome = run(conn, asked, chunk=2)
    assert (outcome.requested, outcome.done) == (6, 2)
    assert outcome.problems == [
        Problem("waits", "queued, not failed"),
        Problem("ghost", "no such job"),
        Problem("b", "moved: queued"),
        Problem("c", "vanished"),
    ]
    assert ids(conn, "rq:queue:default") == ["waits", "b", "a", "d"]
    with running_job(conn, redis_url, job_id="busy", queue="default"):
        refused = act(conn, "jobs.cancel", Selection(ids=("busy",)))
        assert refused.problems == [Problem("busy", "started, not waiting or scheduled or deferred")]


def test_suspend_and_resume_every_worker(conn: redis.Redis, redis_url: str) -> None:
    actions.suspend_workers(conn)
    assert actions.workers_suspended(conn)
    Queue("default", connection=conn).enqueue(jobs.record, "after resume", job_id="r1")
    with worker_process(redis_url, "default", burst=False) as worker:
        wait_for(lambda: conn.hget("rq:worker:w-test", "state") == b"suspended", message="worker suspended")
        assert status(conn, "r1") == "queued"
        actions.resume_workers(conn)
        wait_for(lambda: status(conn, "r1") == "finished", message="r1 to run after resume")
        assert worker.poll() is None
    assert not actions.workers_suspended(conn)


def test_worker_stop_job_kill_horse_and_warm_shutdown(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("slow", connection=conn)
    q.enqueue(jobs.hold, "test:release", job_id="h1")
    q.enqueue(jobs.hold, "test:release", job_id="h2")
    with worker_process(redis_url, "slow", burst=False) as worker:
        wait_for(lambda: status(conn, "h1") == "started", message="h1 to start")
        assert actions.stop_worker_job(conn, "w-test") == "h1"
        wait_for(lambda: status(conn, "h1") == "stopped", message="h1 to stop")
        wait_for(lambda: status(conn, "h2") == "started", message="h2 to start")
        assert actions.kill_horse(conn, "w-test") == "h2"
        wait_for(lambda: status(conn, "h2") == "failed", message="h2's horse to die")
        actions.shutdown_worker(conn, "w-test")
        assert worker.wait(30) == 0
    try:
        actions.shutdown_worker(conn, "w-test")
    except actions.ActionError as exc:
        assert str(exc) == "no worker named 'w-test' (see queuetui stats)"
    else:
        raise AssertionError("a gone worker must be an ActionError")


def test_worker_pubsub_listener_stops_once_unsubscribed(conn: redis.Redis) -> None:
    """What held a warm shutdown ~60 s: RQ's teardown unsubscribes, then joins the listener thread."""
    worker = build_worker(conn, ["slow"], name="w-listen")
    worker.subscribe()
    pubsub, listener = worker.pubsub, worker.pubsub_thread
    assert pubsub is not None and listener is not None
    wait_for(lambda: pubsub.subscribed, message="the listener to read the SUBSCRIBE reply")
    pubsub.unsubscribe()
    wait_for(lambda: not pubsub.subscribed, message="the listener to read the UNSUBSCRIBE reply")
    # It now waits for a new subscription, up to its poll time. Stopped as RQ's teardown does, from a
    # thread of its own: redis-py 8.2's stop() joins the listener, earlier ones only clear a flag.
    threading.Thread(target=listener.stop, daemon=True).start()
    wait_for(lambda: not listener.is_alive(), message="the pubsub listener to stop")
    pubsub.close()
