"""The audit trail on a real SQLite file and PostgreSQL database: every mutation recorded, read-only
refusing in one place."""

from __future__ import annotations

import os
import pwd
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from rq import Queue

from queuetui.audit import SAMPLE, Actor, Audit, ReadOnlyError, RoleError, current_actor, recent
from queuetui.clock import FrozenClock
from queuetui.db.engine import open_database
from queuetui.operations import Operations
from queuetui.roles import Role
from queuetui.rqdata.actions import Options
from queuetui.rqdata.bulk import Progress, Selection
from tests import jobs
from tests.workload import seed_failed


def test_mutations_are_recorded_with_who_what_how_many_and_the_outcome(db_url: str) -> None:
    sessions = open_database(db_url)
    clock = FrozenClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    audit = Audit(sessions, actor=Actor("ops", "203.0.113.9"), clock=clock)
    with audit.mutation("jobs.retry", target="failed:emails", filter="exc:Timeout") as entry:
        entry.done = 42
        entry.detail["sample"] = ["job-1"]
    clock.advance(60)
    long = "boom: " + "the reason of a failure can be long; " * 10
    with pytest.raises(ValueError, match="boom"), audit.mutation("schedule.edit", target="nightly"):
        raise ValueError(f"{long}\nsecond line")
    clock.advance(60)
    read_only = Audit(sessions, read_only=True, actor=Actor("intern", "local"), clock=clock)
    refused = pytest.raises(ReadOnlyError, match="refused: queuetui is read-only")
    with refused, read_only.mutation("schedule.rm", target="nightly"):
        pytest.fail("a read-only mutation must not run")
    rows = [(e.actor, e.client, e.action, e.target, e.filter, e.done, e.outcome) for e in recent(sessions)]
    assert rows == [
        ("intern", "local", "schedule.rm", "nightly", "", 0, "refused: read-only"),
        ("ops", "203.0.113.9", "schedule.edit", "nightly", "", 0, f"failed: {long}"),
        ("ops", "203.0.113.9", "jobs.retry", "failed:emails", "exc:Timeout", 42, "ok"),
    ]
    process = {"host": socket.gethostname(), "pid": os.getpid()}  # what reap_interrupted checks
    assert recent(sessions)[-1].detail == {"sample": ["job-1"], "process": process}
    assert recent(sessions)[-1].at == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_the_actor_is_the_os_account_and_the_ssh_client_as_the_environment_claims(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.7 52144 10.0.0.5 22")
    monkeypatch.setenv("USER", "nightshift")  # a name anyone can set: not who they are
    monkeypatch.setenv("LOGNAME", "nightshift")
    account = pwd.getpwuid(os.getuid()).pw_name
    assert current_actor() == Actor(account, "ssh 198.51.100.7 (from environment)")
    monkeypatch.delenv("SSH_CONNECTION")
    monkeypatch.delenv("SSH_CLIENT", raising=False)
    assert current_actor().client == "local"


def test_a_bulk_action_cancelled_halfway_is_recorded_with_what_was_done(
    tmp_path: Path, conn: redis.Redis
) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    ops = Operations(
        conn, Audit(sessions, actor=Actor("ops", "203.0.113.9", "bastion-1"), role=Role.OPERATOR)
    )
    ids = seed_failed(conn, "bulk", 3_000)
    Queue("bulk", connection=conn).enqueue(jobs.add, 1, 1, job_id="waiting-1")
    cancel = threading.Event()
    during: list[tuple[str, object]] = []

    def progress(p: Progress) -> None:
        (row,) = recent(sessions, 1)
        during.append((row.outcome, row.ended_at))
        if p.done >= 2_000:
            cancel.set()

    dry = ops.plan("jobs.retry", Selection(ids=(*ids, "waiting-1")))
    outcome = ops.run(dry, progress=progress, cancel=cancel)
    assert (outcome.done, outcome.failed, outcome.cancelled) == (2_000, 1, True)
    assert set(during) == {("running", None)}  # the row exists from the start: a killed run leaves a trace
    (entry,) = recent(sessions)
    assert (entry.actor, entry.client, entry.host, entry.role) == (
        "ops",
        "203.0.113.9",
        "bastion-1",
        "operator",
    )
    assert (entry.action, entry.target, entry.outcome) == ("jobs.retry", "bulk failed", "cancelled")
    assert (entry.requested, entry.done, entry.failed) == (3_001, 2_000, 1)
    assert entry.job_ids == ids[:SAMPLE]  # above 1,000 jobs: the count and a sample
    assert entry.detail["problems"] == [["waiting-1", "queued, not failed"]]
    assert entry.ended_at is not None and entry.ended_at >= entry.at


def test_every_job_id_is_kept_up_to_a_thousand_and_a_refusal_by_role_is_recorded(
    tmp_path: Path, conn: redis.Redis
) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    ids = seed_failed(conn, "bulk", 1_000)
    ops = Operations(conn, Audit(sessions, actor=Actor("ops", "local", "h"), role=Role.OPERATOR))
    assert ops.run(ops.plan("jobs.retry", Selection("bulk", "failed"))).done == 1_000
    ops.run(ops.plan("jobs.move", Selection("bulk", "waiting", "id:f00000"), Options(to="spare")))
    with pytest.raises(
        RoleError, match=r"queues\.empty refused: needs admin, you are operator; nothing changed"
    ):
        ops.run(ops.plan("queues.empty", Selection("bulk")))
    viewer = Operations(conn, Audit(sessions, actor=Actor("intern", "local", "h"), role=Role.VIEWER))
    assert viewer.refusal("jobs.delete") == "needs operator, you are viewer"
    with pytest.raises(RoleError):
        viewer.suspend_workers()
    refused_viewer, refused_empty, moved, retried = recent(sessions)
    assert retried.job_ids == ids and (retried.requested, retried.done, retried.outcome) == (
        1_000,
        1_000,
        "ok",
    )
    assert (moved.target, moved.detail["to"], moved.done) == ("bulk waiting -> spare", "spare", 10)
    assert (refused_empty.outcome, refused_empty.done, refused_empty.role) == (
        "refused: needs admin, you are operator",
        0,
        "operator",
    )
    assert (refused_viewer.action, refused_viewer.actor, refused_viewer.outcome) == (
        "workers.suspend",
        "intern",
        "refused: needs operator, you are viewer",
    )
    assert conn.llen("rq:queue:bulk") == 990 and not conn.exists("rq:suspended")
    assert [e.action for e in recent(sessions, action="jobs.*")] == ["jobs.move", "jobs.retry"]
    assert [e.action for e in recent(sessions, actor="intern")] == ["workers.suspend"]


KILLED_MIDWAY = """
import os, signal, sys
import redis
from queuetui.audit import Actor, Audit
from queuetui.db.engine import open_database
from queuetui.operations import Operations
from queuetui.rqdata.bulk import Selection

audit = Audit(open_database(sys.argv[2]), actor=Actor("ops", "local"))
ops = Operations(redis.Redis.from_url(sys.argv[1]), audit)
plan = ops.plan("jobs.retry", Selection("emails", "failed"))
ops.run(plan, progress=lambda p: os.kill(os.getpid(), signal.SIGKILL))  # killed after the first chunk
"""


def test_a_run_killed_halfway_is_closed_as_interrupted_with_what_it_had_done(
    conn: redis.Redis, redis_url: str, db_url: str
) -> None:
    import subprocess
    import sys

    from queuetui.audit import reap_interrupted

    ids = seed_failed(conn, "emails", 1500)
    killed = subprocess.run([sys.executable, "-c", KILLED_MIDWAY, redis_url, db_url], check=False)
    assert killed.returncode == -9
    sessions = open_database(db_url)
    [entry] = recent(sessions)
    assert (entry.outcome, entry.requested, entry.done) == ("running", 1500, 1000)
    assert entry.job_ids == ids[:SAMPLE]  # asked for more than a thousand: a sample, from the start
    assert entry.detail["done_ids"] == ids[:1000]  # each chunk's ids, kept as it completed
    assert reap_interrupted(sessions) == 1
    [entry] = recent(sessions)
    pid = entry.detail["process"]["pid"]
    assert entry.outcome == (
        f"interrupted: process {pid} on {socket.gethostname()} ended before it finished; "
        "1,000 of 1,500 done, 0 failed"
    )
    assert entry.ended_at is not None
    assert reap_interrupted(sessions) == 0  # closed once; a live run of this process is never touched
