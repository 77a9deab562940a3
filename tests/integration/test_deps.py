"""Dependency trees and never-runnable deferred jobs, against real RQ jobs and real workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from rq import Queue, SimpleWorker
from rq.command import send_stop_job_command
from rq.job import Dependency, Job, JobStatus
from rq.registry import DeferredJobRegistry

from queuetui.audit import Audit, Refused, recent
from queuetui.cli import main
from queuetui.db.engine import open_database
from queuetui.operations import Operations
from queuetui.rqdata import deps, scripting
from queuetui.rqdata.bulk import Selection
from queuetui.rqdata.deps import dependency_tree, flag_rows, never_runnable
from queuetui.rqdata.pages import read_page
from queuetui.rqdata.query import parse
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from queuetui.rqdata.search import filter_ids
from tests import jobs
from tests.conftest import wait_for
from tests.integration.test_read_only import redis_state, same_state
from tests.workload import running_job, worker_process


def status(conn: redis.Redis, job_id: str) -> str:
    return (conn.hget(f"rq:job:{job_id}", "status") or b"").decode()


def states(nodes: tuple[deps.Node, ...]) -> list[tuple[str, str]]:
    """(id, state) of each node and its descendants, depth first."""
    found: list[tuple[str, str]] = []
    for node in nodes:
        found.append((node.id, node.state))
        found.extend(states(node.children))
    return found


def chain(conn: redis.Redis) -> Queue:
    """A holds until test:release exists; B depends on A, C on B (in another queue)."""
    q = Queue("etl", connection=conn)
    q.enqueue(jobs.hold, "test:release", job_id="A")
    q.enqueue(jobs.record, "B", job_id="B", depends_on="A")
    Queue("report", connection=conn).enqueue(jobs.record, "C", job_id="C", depends_on="B")
    return q


def test_a_chain_as_the_worker_runs_it(conn: redis.Redis, redis_url: str) -> None:
    chain(conn)
    tree = dependency_tree(conn, "C")
    assert (tree.job.id, tree.job.state, tree.job.func) == ("C", "deferred", "tests.jobs.record")
    assert states(tree.waits_on) == [("B", "deferred"), ("A", "queued")]
    assert tree.waited_on_by == () and not tree.truncated
    down = dependency_tree(conn, "A")
    assert down.waits_on == () and states(down.waited_on_by) == [("B", "deferred"), ("C", "deferred")]
    assert down.waited_on_by[0].func == "tests.jobs.record" and down.waited_on_by[0].origin == "etl"
    assert never_runnable(conn, ["B", "C", "A"]) == {"B": "", "C": "", "A": ""}
    with worker_process(redis_url, "etl", "report") as worker:
        wait_for(lambda: status(conn, "A") == "started", message="A to start")
        running = dependency_tree(conn, "C")
        assert states(running.waits_on) == [("B", "deferred"), ("A", "started")]
        assert never_runnable(conn, ["B", "C"]) == {"B": "", "C": ""}
        conn.set("test:release", 1)
        assert worker.wait(30) == 0
    assert conn.lrange("test:order", 0, -1) == [b"B", b"C"]
    done = dependency_tree(conn, "C")
    assert states(done.waits_on) == [("B", "finished"), ("A", "finished")]
    # RQ deletes a job's dependents set once it has enqueued them: nothing is shown as waiting.
    assert dependency_tree(conn, "A").waited_on_by == ()


def piped(redis_url: str) -> redis.Redis:
    """A client whose server is taken to refuse scripts: it reads in pipelines, as behind such an ACL."""
    client = redis.Redis.from_url(redis_url)
    scripting.refuse(client)
    return client


def test_never_runnable_for_a_failed_a_canceled_and_a_deleted_dependency(
    conn: redis.Redis, redis_url: str
) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.boom, job_id="fails")
    q.enqueue(jobs.add, 1, 1, job_id="canceled")
    q.enqueue(jobs.add, 1, 1, job_id="deleted")
    q.enqueue(jobs.hold, "test:never", job_id="pending")
    q.enqueue(jobs.add, 1, 1, job_id="after-fail", depends_on="fails")
    q.enqueue(jobs.add, 1, 1, job_id="after-cancel", depends_on="canceled")
    q.enqueue(jobs.add, 1, 1, job_id="after-delete", depends_on="deleted")
    q.enqueue(jobs.add, 1, 1, job_id="allows", depends_on=Dependency(jobs=["fails"], allow_failure=True))
    q.enqueue(jobs.add, 1, 1, job_id="allows-later", depends_on=Dependency(["fails", "pending"], True))
    q.enqueue(jobs.add, 1, 1, job_id="behind", depends_on="after-fail")
    q.enqueue(jobs.add, 1, 1, job_id="waits", depends_on="pending")
    Job.fetch("canceled", connection=conn).cancel()
    Job.fetch("deleted", connection=conn).delete()
    conn.lrem("rq:queue:default", 0, "pending")  # it never runs here: its dependents stay deferred
    SimpleWorker([q], connection=conn).work(burst=True)
    assert status(conn, "fails") == "failed" and status(conn, "allows") == "finished"
    page = read_page(conn, "default", "deferred", 0, 50, False)
    before = redis_state(conn)
    flagged = {row.id: row.never for row in flag_rows(conn, list(page.rows))}
    assert flagged == {
        "after-fail": "dep fails failed",
        "after-cancel": "dep canceled canceled",
        "after-delete": "dep deleted gone",
        "allows-later": "",  # allows failure; waits on pending
        "behind": "dep after-fail never runs",
        "waits": "",
    }
    found = filter_ids(conn, "default", "deferred", parse("never:"), descending=False)
    assert sorted(found.ids) == ["after-cancel", "after-delete", "after-fail", "behind"]
    assert filter_ids(conn, "default", "deferred", parse("never:gone")).ids == ["after-delete"]
    assert sorted(filter_ids(conn, "default", "deferred", parse("!never:")).ids) == ["allows-later", "waits"]
    tree = dependency_tree(conn, "behind")
    assert [(n.id, n.state, n.never) for n in tree.waits_on] == [
        ("after-fail", "deferred", "dep fails failed")
    ]
    assert tree.job.never == "dep after-fail never runs"
    assert flag_rows(piped(redis_url), list(page.rows)) == flag_rows(conn, list(page.rows))
    assert dependency_tree(piped(redis_url), "behind") == tree
    assert same_state(redis_state(conn), before)  # reading changed nothing


def test_cycles_and_round_trips_are_bounded(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.hold, "test:never", job_id="root")
    for i in range(100):
        q.enqueue(jobs.add, 1, 1, job_id=f"d{i:03d}", depends_on="root" if i < 10 else f"d{i - 10:03d}")
    # A cycle written by hand (RQ cannot make one): x waits on y, y on x.
    for job_id, other in (("x", "y"), ("y", "x")):
        q.enqueue(jobs.add, 1, 1, job_id=job_id, depends_on="root")
        conn.hset(f"rq:job:{job_id}", "dependency_ids", json.dumps([other]))
        conn.delete(f"rq:job::{job_id}:dependencies")
        conn.sadd(f"rq:job:{other}:dependents", job_id)
    dependency_tree(conn, "root", depth=3)  # the read scripts loaded, as after any first read
    never_runnable(conn, ["x"])
    counter = RoundTripCounter()
    counted = counting_client(redis_url, counter)
    tree = dependency_tree(counted, "root", depth=3)
    # 3 levels below the root (10 jobs each) and x and y: 1 round trip up, 3 down, 1 for the functions.
    assert [n.id for n in tree.waited_on_by][:10] == [f"d{i:03d}" for i in range(10)]
    assert len(tree.ids()) == 1 + 30 + 2 and tree.truncated
    print("tree round trips", counter.count)
    assert counter.count == 5
    counter.count = 0
    page = read_page(conn, "default", "deferred", 0, 200, False)
    assert page.total == 102
    reasons = never_runnable(counted, [r.id for r in page.rows])
    print("page round trips", counter.count)
    # The page, then the root (every other dependency is on the page): two round trips, not one per job.
    assert counter.count == 2
    assert (reasons["x"], reasons["y"]) == ("dep y never runs", "dep x in a cycle")
    assert reasons["d000"] == reasons["d099"] == ""
    nested = dependency_tree(conn, "x")
    assert [n.id for n in nested.waits_on] == ["y"] and nested.waits_on[0].children[0].repeated


def test_release_and_cancel_are_audited_and_a_released_job_runs_once(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.hold, "test:release", job_id="slow")
    q.enqueue(jobs.boom, job_id="fails")
    q.enqueue(jobs.record, "released", job_id="r1", depends_on="slow")
    q.enqueue(jobs.record, "stuck", job_id="r2", depends_on="fails")
    q.enqueue(jobs.record, "dropped", job_id="r3", depends_on="fails")
    conn.lrem("rq:queue:default", 0, "slow")
    SimpleWorker([q], connection=conn).work(burst=True)
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    ops = Operations(conn, Audit(sessions))
    viewer = Operations(conn, Audit(sessions, read_only=True))
    with pytest.raises(Refused):
        viewer.run(viewer.plan("jobs.release", Selection(ids=("r1",))))
    assert status(conn, "r1") == "deferred"
    released = ops.run(ops.plan("jobs.release", Selection(ids=("r1",))))
    assert (released.done, released.problems) == (1, [])
    never = ops.plan("jobs.cancel", Selection("default", "deferred", "never:"))
    assert sorted(never.ids) == ["r2", "r3"]
    canceled = ops.run(never)
    assert canceled.done == 2
    assert {j: status(conn, j) for j in ("r1", "r2", "r3")} == {
        "r1": "queued",
        "r2": "canceled",
        "r3": "canceled",
    }
    assert conn.zrange("rq:deferred:default", 0, -1) == []
    assert not conn.sismember("rq:job:slow:dependents", "r1")
    # The dependency it was released from ends later: r1 is not enqueued a second time.
    q.enqueue_job(Job.fetch("slow", connection=conn))
    conn.set("test:release", 1)
    with worker_process(redis_url, "default") as worker:
        assert worker.wait(30) == 0
    assert conn.lrange("test:order", 0, -1) == [b"released"]
    assert status(conn, "slow") == "finished" and status(conn, "r1") == "finished"
    entries = {e.action: e for e in recent(sessions, 10) if e.outcome == "ok"}
    assert entries["jobs.release"].job_ids == ["r1"] and entries["jobs.release"].done == 1
    assert entries["jobs.release"].outcome == "ok"
    assert (entries["jobs.cancel"].filter, entries["jobs.cancel"].done) == ("never:", 2)
    [refused] = [e for e in recent(sessions, 10) if e.outcome != "ok"]
    assert (refused.action, refused.outcome) == ("jobs.release", "refused: read-only")


def test_release_refuses_jobs_that_are_not_deferred(conn: redis.Redis) -> None:
    Queue("default", connection=conn).enqueue(jobs.add, 1, 1, job_id="waiting")
    ops = Operations(conn, Audit(open_database("sqlite://")))
    outcome = ops.run(ops.plan("jobs.release", Selection(ids=("waiting", "ghost"))))
    assert [(p.job_id, p.reason) for p in outcome.problems] == [
        ("waiting", "queued, not deferred"),
        ("ghost", "no such job"),
    ]


def test_cli_deps_and_release(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    chain(conn)
    Job.fetch("A", connection=conn).delete()
    env = {"QUEUETUI_REDIS_URL": redis_url, "QUEUETUI_DB_URL": f"sqlite:///{tmp_path / 'q.db'}"}
    runner = CliRunner()
    shown = runner.invoke(main, ["jobs", "deps", "C"], env=env)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0].split() == ["deferred", "C", "tests.jobs.record", "never:", "dep", "B", "never", "runs"]
    assert lines[1] == "waits on (1)"
    assert lines[2].split()[:4] == ["└─", "deferred", "B", "tests.jobs.record"]
    assert lines[3].split() == ["└─", "gone", "A"]
    as_json = json.loads(runner.invoke(main, ["jobs", "deps", "B", "--json"], env=env).stdout)
    assert as_json["job"]["never"] == "dep A gone"
    assert [(n["id"], n["state"]) for n in as_json["waits_on"]] == [("A", "gone")]
    assert [(n["id"], n["state"], n["never"]) for n in as_json["waited_on_by"]] == [
        ("C", "deferred", "dep B never runs")
    ]
    missing = runner.invoke(main, ["jobs", "deps", "nope"], env=env)
    assert missing.exit_code == 1 and "no job 'nope'" in missing.stderr
    listed = json.loads(
        runner.invoke(main, ["jobs", "list", "-q", "etl", "-r", "deferred", "--json"], env=env).stdout
    )
    assert [(j["id"], j["never"]) for j in listed["jobs"]] == [("B", "dep A gone")]
    released = runner.invoke(main, ["jobs", "release", "-q", "etl", "-f", "never:", "--yes"], env=env)
    assert released.exit_code == 0, released.output
    assert status(conn, "B") == "queued" and conn.lrange("rq:queue:etl", 0, -1) == [b"B"]
    assert [e.action for e in recent(open_database(env["QUEUETUI_DB_URL"]), 5)] == ["jobs.release"]


def test_garbage_is_shown_not_raised(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.hold, "test:never", job_id="root")
    q.enqueue(jobs.add, 1, 1, job_id="bad-json", depends_on="root")
    conn.hset("rq:job:bad-json", "dependency_ids", "[not json")
    q.enqueue(jobs.add, 1, 1, job_id="bad-set", depends_on="root")
    conn.delete("rq:job::bad-set:dependencies")
    conn.set("rq:job::bad-set:dependencies", "a string where RQ keeps a set")
    conn.set("rq:job:wrongtype", "not a hash")
    q.enqueue(jobs.add, 1, 1, job_id="on-wrongtype", depends_on="root")
    conn.hset("rq:job:on-wrongtype", "dependency_ids", json.dumps(["wrongtype"]))
    conn.delete("rq:job::on-wrongtype:dependencies")
    conn.delete("rq:job:root:dependents")
    conn.set("rq:job:root:dependents", "a string too")
    before = redis_state(conn)
    assert never_runnable(conn, ["bad-json", "bad-set", "on-wrongtype"]) == {
        "bad-json": "",  # the set still says root, which may run
        "bad-set": "",  # the hash still says root
        "on-wrongtype": "dep wrongtype unreadable",
    }
    tree = dependency_tree(conn, "wrongtype")
    assert (tree.job.state, tree.waits_on, tree.waited_on_by) == ("unreadable", (), ())
    assert dependency_tree(conn, "root").waited_on_by == ()  # its dependents key is not a set
    assert [n.state for n in dependency_tree(conn, "on-wrongtype").waits_on] == ["unreadable"]
    for job_id in ("wrongtype", "root", "on-wrongtype", "bad-set"):
        assert dependency_tree(piped(redis_url), job_id) == dependency_tree(conn, job_id)
    assert same_state(redis_state(conn), before)


def test_a_stopped_dependency_and_an_enqueue_that_was_lost(conn: redis.Redis, redis_url: str) -> None:
    with running_job(conn, redis_url, job_id="run-1", queue="slow"):
        Queue("slow", connection=conn).enqueue(jobs.add, 1, 1, job_id="after-stop", depends_on="run-1")
        assert never_runnable(conn, ["after-stop"]) == {"after-stop": ""}  # its dependency still runs
        send_stop_job_command(conn, "run-1")
        wait_for(lambda: status(conn, "run-1") == "stopped", message="run-1 to stop")
        assert never_runnable(conn, ["after-stop"]) == {"after-stop": "dep run-1 stopped"}
    q = Queue("default", connection=conn)
    q.enqueue(jobs.add, 1, 1, job_id="first")
    q.enqueue(jobs.add, 1, 1, job_id="second", depends_on="first")
    SimpleWorker([q], connection=conn).work(burst=True, max_jobs=1)
    assert status(conn, "first") == "finished" and status(conn, "second") == "queued"
    # As if the worker died between finishing `first` and enqueueing `second`: back in Deferred.
    second = Job.fetch("second", connection=conn)
    q.remove(second)
    second.set_status(JobStatus.DEFERRED)
    DeferredJobRegistry("default", connection=conn).add(second)
    assert never_runnable(conn, ["second"]) == {"second": "deps ended, never enqueued"}
