"""`queuetui jobs list/show/groups`: the console's reads, for scripts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import redis

from queuetui.embedded import free_port
from queuetui.rqdata import actions
from tests.cli import Completed
from tests.cli import queuetui as run
from tests.conftest import wait_for
from tests.workload import BROKEN_IDS, running_job, seed_broken, seed_every_registry


def queuetui(url: str, *args: str) -> Completed:
    return run(*args, url=url, env={**os.environ, "COLUMNS": "120"})


def test_list_a_registry_as_json_and_as_a_table(conn: redis.Redis, redis_url: str) -> None:
    seed_every_registry(conn)
    out = queuetui(redis_url, "jobs", "list", "--queue", "default", "--registry", "failed", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    (job,) = data["jobs"]
    assert (data["total"], job["id"], job["func"]) == (1, "fail-1", "tests.jobs.boom")
    assert job["exception"] == {"type": "ValueError", "message": "bad input"}
    table = queuetui(redis_url, "jobs", "list", "-r", "finished", "--limit", "1", "--offset", "1")
    assert table.returncode == 0
    header, line = table.stdout.splitlines()
    assert header.split()[:3] == ["Job", "Function", "Args"] and line.startswith("fin-1 ")
    assert "default finished: 2-2 of 2" in table.stderr


def test_list_with_a_filter_and_running_alias(conn: redis.Redis, redis_url: str) -> None:
    seed_every_registry(conn)
    out = queuetui(redis_url, "jobs", "list", "-r", "finished", "-f", "func:add !id:fin-2", "--json")
    assert [j["id"] for j in json.loads(out.stdout)["jobs"]] == ["fin-1"]
    running = queuetui(redis_url, "jobs", "list", "-r", "running", "--json")
    assert json.loads(running.stdout)["registry"] == "started"


def test_bad_input_gets_one_line_and_exit_2(redis_url: str) -> None:
    for args, message in (
        (("-f", "age>soon"), "age needs a duration at column 1"),
        (("-r", "exploded"), "unknown registry 'exploded'"),
    ):
        out = queuetui(redis_url, "jobs", "list", *args)
        assert out.returncode == 2
        assert out.stderr.count("\n") == 1 and message in out.stderr


def test_show_a_job_and_a_missing_one(conn: redis.Redis, redis_url: str) -> None:
    seed_every_registry(conn)
    out = queuetui(redis_url, "jobs", "show", "fail-1")
    assert out.returncode == 0
    assert "failed in default (row 1)" in out.stdout and "ValueError: bad input" in out.stdout
    data = json.loads(queuetui(redis_url, "jobs", "show", "defer-1", "--json").stdout)
    assert data["dependencies"] == ["wait-1"] and data["status"] == "deferred"
    missing = queuetui(redis_url, "jobs", "show", "nope")
    assert missing.returncode == 1 and "no job 'nope'" in missing.stderr


def test_broken_jobs_never_run_and_never_crash_the_cli(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    trap = tmp_path / "trap"
    seed_broken(conn, str(trap))
    listing = json.loads(queuetui(redis_url, "jobs", "list", "-q", "broken", "--json").stdout)
    assert [j["id"] for j in listing["jobs"]] == list(BROKEN_IDS)
    assert [j["readable"] for j in listing["jobs"]] == [True, False, False, True, True, True, False, False]
    for job_id in BROKEN_IDS:
        out = queuetui(redis_url, "jobs", "show", job_id, "--disassemble")
        assert out.returncode == 0, out.stderr
        assert "Traceback" not in out.stderr
    evil = queuetui(redis_url, "jobs", "show", "evil-1", "--disassemble").stdout
    assert "<pickled posix.system>" in evil and "STACK_GLOBAL" in evil
    assert not trap.exists()


def test_groups(conn: redis.Redis, redis_url: str) -> None:
    seed_every_registry(conn)
    data = json.loads(queuetui(redis_url, "jobs", "groups", "--json").stdout)
    assert [(g["signature"], g["count"]) for g in data["groups"]] == [("ValueError: bad input", 1)]


def test_redis_down_is_one_line() -> None:
    out = queuetui(f"redis://127.0.0.1:{free_port()}/0", "jobs", "list")
    assert out.returncode == 1
    assert out.stderr.startswith("queuetui: error: cannot reach Redis") and out.stderr.count("\n") == 1


def test_a_stopped_job_shows_its_message_without_an_empty_type(conn: redis.Redis, redis_url: str) -> None:
    """RQ records a stopped job's exception as a bare message: no ": " before it, in list and detail."""
    with running_job(conn, redis_url, job_id="stop-1"):
        assert actions.stop_worker_job(conn, "w-test") == "stop-1"
        wait_for(lambda: conn.hget("rq:job:stop-1", "status") == b"stopped", message="stop-1 to stop")
    table = queuetui(redis_url, "jobs", "list", "--queue", "slow", "--registry", "failed")
    (line,) = table.stdout.splitlines()[1:]
    assert "Job stopped by user" in line and ": Job stopped" not in line
    shown = queuetui(redis_url, "jobs", "show", "stop-1").stdout
    assert "    Job stopped by user, work-horse terminated." in shown and ": Job stopped" not in shown
