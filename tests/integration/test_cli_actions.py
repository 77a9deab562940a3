"""The CLI twins of every action: same code path, same refusals, an audit row for every mutation.

TWINS holds the command line of every action in roles.ACTIONS; a new action without a CLI twin, or
whose twin escapes the read-only or role check, fails these tests.
"""

from __future__ import annotations

import getpass
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result
from rq import Queue

from queuetui.audit import recent
from queuetui.cli import main
from queuetui.db.engine import open_database
from queuetui.roles import ACTIONS, Role
from tests import jobs
from tests.conftest import wait_for
from tests.integration.test_read_only import redis_state, same_state
from tests.workload import seed_failed, worker_process

IMPORT_FILE = Path(__file__).parent / "data" / "twin-import.json"
TWINS: dict[str, list[str]] = {
    "jobs.retry": ["jobs", "retry", "f000000"],
    "jobs.requeue": ["jobs", "requeue", "f000001", "--to", "spare"],
    "jobs.move": ["jobs", "move", "-q", "default", "-f", "id:w-move", "--to", "spare"],
    "jobs.cancel": ["jobs", "cancel", "--ids", "w-cancel"],
    "jobs.stop": ["jobs", "stop", "-q", "slow"],
    "jobs.delete": ["jobs", "delete", "-q", "default", "-r", "waiting", "-f", "id:w-delete"],
    "jobs.enqueue-now": ["jobs", "enqueue-now", "s-now"],
    "jobs.release": ["jobs", "release", "-q", "default", "-f", "never:"],
    "queues.empty": ["queues", "empty", "trash"],
    "workers.suspend": ["workers", "suspend"],
    "workers.resume": ["workers", "resume"],
    "workers.stop-job": ["workers", "stop-job", "w-test"],
    "workers.shutdown": ["workers", "shutdown", "w-test"],
    "workers.kill-horse": ["workers", "kill-horse", "w-test"],
    "schedule.add": ["schedules", "add", "hourly", "--func", "tests.jobs:add", "--cron", "@hourly"],
    "schedule.edit": ["schedules", "edit", "nightly", "--cron", "0 4 * * *"],
    "schedule.disable": ["schedules", "disable", "nightly"],
    "schedule.enable": ["schedules", "enable", "nightly"],
    "schedule.snooze": ["schedules", "snooze", "nightly", "--for", "1h"],
    "schedule.run-now": ["schedules", "run-now", "nightly"],
    "schedule.backfill": [
        "schedules", "backfill", "nightly", "--from", "2026-11-01T00:00Z", "--to", "2026-11-02T00:00Z",
    ],
    "schedule.rm": ["schedules", "rm", "nightly"],
    "schedule.import": ["schedules", "import", str(IMPORT_FILE)],
    "schedule.import-delete": ["schedules", "import", str(IMPORT_FILE), "--delete-missing"],
    "scheduler.pause": ["schedules", "pause-all"],
    "scheduler.resume": ["schedules", "pause-all", "--resume"],
}  # fmt: skip
# Needing a busy worker, these run last, in this order, once the worker holds a job.
WORKER_TWINS = ("jobs.stop", "workers.stop-job", "workers.kill-horse", "workers.shutdown")


def test_every_action_has_a_cli_twin() -> None:
    assert set(TWINS) == set(ACTIONS)


@pytest.fixture
def env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    (tmp_path / "config.toml").write_text("")  # a config file that is named must exist
    return {
        "QUEUETUI_REDIS_URL": redis_url,
        "QUEUETUI_DB_URL": f"sqlite:///{tmp_path / 'q.db'}",
        "QUEUETUI_CONFIG": str(tmp_path / "config.toml"),
    }


def as_role(env: dict[str, str], role: Role | None) -> None:
    """Map the OS user running the tests to `role` in the config (None: no roles configured)."""
    text = "" if role is None else f'[roles.users]\n"{getpass.getuser()}" = "{role.label}"\n'
    Path(env["QUEUETUI_CONFIG"]).write_text(text)


def cli(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def seed(conn: redis.Redis, env: dict[str, str]) -> None:
    """A target for every twin: failed, waiting and scheduled jobs, a queue to empty, a schedule."""
    seed_failed(conn, "default", 2)
    default = Queue("default", connection=conn)
    for job_id in ("w-move", "w-cancel", "w-delete"):
        default.enqueue(jobs.add, 1, 1, job_id=job_id)
    default.enqueue_in(timedelta(hours=1), jobs.add, 1, 1, job_id="s-now")
    default.enqueue(jobs.add, 1, 1, job_id="d-release", depends_on="w-delete")  # stuck once w-delete goes
    Queue("trash", connection=conn).enqueue(jobs.add, 1, 1, job_id="t-1")
    added = cli(env, "schedules", "add", "nightly", "--func", "tests.jobs:add", "--cron", "0 3 * * *")
    assert added.exit_code == 0, added.output


def schedules_state(env: dict[str, str]) -> list[tuple[object, ...]]:
    result = json.loads(cli(env, "schedules", "list", "--json").stdout)
    return sorted(tuple(sorted((k, str(v)) for k, v in s.items())) for s in result["schedules"])


@pytest.mark.parametrize(
    ("role", "read_only"),
    [(Role.ADMIN, True), (Role.VIEWER, False), (None, False)],  # None: no roles configured, an operator
)
def test_every_action_is_refused_read_only_and_by_role_and_the_refusal_is_audited(
    conn: redis.Redis, env: dict[str, str], role: Role | None, read_only: bool
) -> None:
    seed(conn, env)
    as_role(env, role)
    flags = ["--read-only"] if read_only else []
    if role is None:
        wanted = {name for name, action in ACTIONS.items() if action.role is Role.ADMIN}
    else:
        wanted = set(ACTIONS)
    before, schedules = redis_state(conn), schedules_state(env)
    for name in sorted(wanted):
        args = [*flags, *TWINS[name]] + (["--yes"] if name.startswith(("jobs.", "queues.")) else [])
        result = cli(env, *args)
        assert result.exit_code == 1, (name, result.output)
        assert result.stderr.startswith(f"queuetui: error: {name} refused: "), (name, result.stderr)
        assert result.stderr.rstrip().endswith("; nothing changed")
        (entry,) = recent(open_database(env["QUEUETUI_DB_URL"]), 1)
        needs, have = ACTIONS[name].role.label, (role or Role.OPERATOR).label
        refused = "refused: read-only" if read_only else f"refused: needs {needs}, you are {have}"
        assert (entry.action, entry.outcome, entry.done) == (name, refused, 0)
        assert entry.actor == getpass.getuser() and entry.host and entry.ended_at is not None
    assert same_state(redis_state(conn), before)
    assert schedules_state(env) == schedules


def test_every_action_from_the_cli_runs_and_leaves_an_audit_row(
    conn: redis.Redis, env: dict[str, str]
) -> None:
    as_role(env, Role.ADMIN)
    seed(conn, env)
    for name in [n for n in TWINS if n not in WORKER_TWINS]:  # in order: edit before rm
        args = [*TWINS[name]] + (["--yes"] if name.startswith(("jobs.", "queues.")) else [])
        result = cli(env, *args)
        assert result.exit_code == 0, (name, result.output)
    slow = Queue("slow", connection=conn)
    with worker_process(env["QUEUETUI_REDIS_URL"], "slow", burst=False) as worker:
        for i, name in enumerate(WORKER_TWINS):
            slow.enqueue(jobs.hold, "test:release", job_id=f"h{i}")
            wait_for(lambda i=i: conn.hget(f"rq:job:h{i}", "status") == b"started", message=f"h{i} to start")
            args = [*TWINS[name]] + (["--yes"] if name.startswith("jobs.") else [])
            result = cli(env, *args)
            assert result.exit_code == 0, (name, result.output)
            if name != "workers.shutdown":
                wait_for(
                    lambda i=i: conn.hget(f"rq:job:h{i}", "status") in (b"stopped", b"failed"), message=name
                )
        conn.set("test:release", 1)  # the warm shutdown waits for h3 to end
        assert worker.wait(30) == 0
    entries = recent(open_database(env["QUEUETUI_DB_URL"]), 100)
    assert {e.action for e in entries if e.outcome == "ok"} == set(ACTIONS)
    assert all(e.role == "admin" and e.ended_at is not None and e.done >= 1 for e in entries)
    by_action = {e.action: e for e in entries}
    assert by_action["jobs.retry"].job_ids == ["f000000"]
    assert (by_action["jobs.move"].filter, by_action["jobs.move"].target) == (
        "id:w-move",
        "default waiting -> spare",
    )
    assert by_action["queues.empty"].job_ids == ["t-1"]
    assert [conn.hget(f"rq:job:h{i}", "status") for i in range(3)] == [b"stopped", b"stopped", b"failed"]


def test_dry_run_confirmation_problems_and_the_audit_command(conn: redis.Redis, env: dict[str, str]) -> None:
    seed_failed(conn, "emails", 150, prefix="e")
    Queue("emails", connection=conn).enqueue(jobs.add, 1, 1, job_id="waits")
    before = redis_state(conn)
    dry = cli(env, "jobs", "retry", "-q", "emails", "--dry-run", "--json")
    assert json.loads(dry.stdout) == {
        "action": "jobs.retry",
        "dry_run": True,
        "total": 150,
        "sources": [{"queue": "emails", "registry": "failed", "count": 150}],
        "samples": ["e000000", "e000001", "e000002", "e000003", "e000004"],
        "truncated": False,
        "problems": [],
        "refused": None,
    }
    text = cli(env, "--read-only", "jobs", "retry", "-q", "emails", "-f", "id:e00001", "--dry-run")
    assert text.stdout.splitlines() == [
        "retry: 10 jobs",
        "  emails failed: 10",
        "  e.g. e000010, e000011, e000012, e000013, e000014",
        "(it would be refused: read-only)",
    ]
    unconfirmed = cli(env, "jobs", "retry", "-q", "emails")
    assert unconfirmed.exit_code == 2 and "pass --yes to act without a terminal" in unconfirmed.stderr
    assert same_state(redis_state(conn), before)
    assert recent(open_database(env["QUEUETUI_DB_URL"])) == []  # dry runs and unconfirmed runs change nothing

    mixed = cli(env, "jobs", "retry", "--ids", "e000003,waits", "--ids", "ghost", "--yes")
    assert mixed.exit_code == 1
    assert mixed.stdout.splitlines()[1:] == [
        "2 not retried:",
        "  waits  queued, not failed",
        "  ghost  no such job",
    ]
    assert mixed.stdout.startswith("retried 1 of 3 jobs in ")
    done = cli(env, "jobs", "retry", "-q", "emails", "--yes", "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["done"] == 149

    listed = json.loads(cli(env, "audit", "--json", "--action", "jobs.retry").stdout)["entries"]
    assert [(e["requested"], e["done"], e["failed"], e["outcome"]) for e in listed] == [
        (149, 149, 0, "ok"),
        (3, 1, 2, "partial"),
    ]
    assert listed[1]["job_ids"] == ["e000003", "waits", "ghost"]
    assert listed[1]["detail"]["problems"] == [["waits", "queued, not failed"], ["ghost", "no such job"]]
    assert cli(env, "audit", "--json", "--actor", "nobody").stdout.count('"id"') == 0
    assert len(json.loads(cli(env, "audit", "--json", "--since", "1h").stdout)["entries"]) == 2
    future = cli(env, "audit", "--json", "--since", "2999-01-01T00:00+00:00")
    assert json.loads(future.stdout)["entries"] == []
    table = cli(env, "audit", "--action", "jobs.*", "-n", "1")
    assert "jobs.retry" in table.stdout and "149/149" in table.stdout and "emails failed" in table.stdout


def test_interrupting_a_bulk_retry_from_the_cli_stops_between_chunks(
    conn: redis.Redis, env: dict[str, str]
) -> None:
    seed_failed(conn, "bulk", 5_000)
    process = subprocess.Popen(
        [sys.executable, "-m", "queuetui", "jobs", "retry", "-q", "bulk", "--yes", "--throttle", "2000"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: conn.llen("rq:queue:bulk") >= 1_000, message="the retry to be under way")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    moved = conn.llen("rq:queue:bulk")
    assert 1_000 <= moved < 5_000 and moved % 200 == 0 and conn.zcard("rq:failed:bulk") == 5_000 - moved
    assert (
        out.startswith(f"retried {moved:,} of 5,000 jobs") and f"{5_000 - moved:,} left as they were" in out
    )
    (entry,) = recent(open_database(env["QUEUETUI_DB_URL"]))
    assert (entry.outcome, entry.requested, entry.done, entry.failed) == ("cancelled", 5_000, moved, 0)


def test_deleting_vanished_job_ids_removes_their_dangling_entries(
    conn: redis.Redis, env: dict[str, str]
) -> None:
    """Ids whose job hash is gone (expired, deleted under the registry) are removed by delete, audited."""
    seed_failed(conn, "default", 3, prefix="f")
    conn.delete("rq:job:f000000", "rq:job:f000001")  # two of them vanish; f000002 is a real job
    conn.rpush("rq:queue:default", "w-gone")
    whole = cli(env, "jobs", "delete", "-q", "default", "-r", "failed", "--yes")
    assert whole.exit_code == 0 and whole.stdout.startswith("deleted 3 of 3 jobs in "), whole.stdout
    assert conn.zcard("rq:failed:default") == 0 and not conn.exists("rq:job:f000002")
    by_id = cli(env, "jobs", "delete", "--ids", "w-gone,nowhere", "-q", "default", "-r", "waiting", "--yes")
    assert by_id.exit_code == 1 and by_id.stdout.splitlines()[1:] == [
        "1 not deleted:",
        "  nowhere  no such job",
    ]
    assert conn.llen("rq:queue:default") == 0
    listed = json.loads(cli(env, "audit", "--json", "--action", "jobs.delete").stdout)["entries"]
    assert [(e["requested"], e["done"], e["outcome"]) for e in listed] == [(2, 1, "partial"), (3, 3, "ok")]
    assert listed[0]["job_ids"] == ["w-gone", "nowhere"]
