"""Bad keys and a refusing Redis: one bad key costs one row; refusals are one line for people.

Redis is real: a registry key of the wrong type, CONFIG SET maxmemory (noeviction) halfway through a
bulk action, a password the URL does not carry, an ACL user without Lua scripting.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result

from queuetui.cli import main
from queuetui.embedded import EmbeddedRedis
from queuetui.present.actions import outcome_line
from queuetui.rqdata.actions import JOB_ACTIONS, Options
from queuetui.rqdata.bulk import Progress, Selection, plan, run
from queuetui.rqdata.overview import snapshot
from tests.conftest import wait_for

WHEN = "2026-01-01T00:00:00.000000Z"


def cli(url: str, tmp_path: Path, *args: str) -> Result:
    env = {"QUEUETUI_REDIS_URL": url, "QUEUETUI_DB_URL": f"sqlite:///{tmp_path / 'q.db'}"}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def one_line(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def failed_jobs(conn: redis.Redis, queue: str, count: int) -> None:
    pipe = conn.pipeline()
    pipe.sadd("rq:queues", f"rq:queue:{queue}")
    for i in range(count):
        job_id = f"{queue}-{i:04d}"
        pipe.hset(f"rq:job:{job_id}", mapping={"status": "failed", "origin": queue, "ended_at": WHEN})
        pipe.zadd(f"rq:failed:{queue}", {job_id: i})
    pipe.execute()


def test_a_registry_of_the_wrong_type_costs_its_queue_row_not_the_overview(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    failed_jobs(conn, "fine", 2)
    conn.sadd("rq:queues", "rq:queue:x")
    conn.hset("rq:failed:x", "not", "a sorted set")
    overview = snapshot(conn)
    fine, x = overview.queue("fine"), overview.queue("x")
    assert fine is not None and (fine.failed, fine.error) == (2, "")
    assert x is not None and x.error == "wrong type of key: rq:failed:x is not a sorted set"

    stats = cli(redis_url, tmp_path, "stats", "--json")
    assert stats.exit_code == 0, stats.output
    queues = {q["name"]: q for q in json.loads(stats.output)["queues"]}
    assert "error" not in queues["fine"] and queues["fine"]["failed"] == 2
    assert queues["x"]["error"] == "wrong type of key: rq:failed:x is not a sorted set"
    plain = cli(redis_url, tmp_path, "stats")
    assert plain.exit_code == 0 and "error: queue x: wrong type of key: rq:failed:x" in plain.output

    listed = cli(redis_url, tmp_path, "jobs", "list", "-q", "x", "-r", "failed")
    assert listed.exit_code == 1
    assert one_line(listed).startswith("queuetui: error: a key holds another type than RQ writes there")


def test_a_wrong_type_queue_set_is_an_overview_error_not_a_crash(conn: redis.Redis) -> None:
    conn.set("rq:queues", "garbage")
    conn.sadd("rq:workers", "rq:worker:w1")
    overview = snapshot(conn)
    assert [w.name for w in overview.workers] == ["w1"]
    assert overview.queues == () and overview.errors == ("wrong type of key: rq:queues is not a set",)


@pytest.fixture
def server() -> Iterator[EmbeddedRedis]:
    """A server of the test's own: its memory limit, password and users change."""
    with EmbeddedRedis() as own:
        yield own


def test_oom_halfway_stops_the_bulk_action_with_exact_counts(server: EmbeddedRedis) -> None:
    conn = server.client()
    failed_jobs(conn, "big", 50)
    retry = plan(conn, JOB_ACTIONS["jobs.retry"], Selection("big", "failed"), Options())
    conn.config_set("maxmemory-policy", "noeviction")

    def squeeze(progress: Progress) -> None:
        if progress.done == 20:
            conn.config_set("maxmemory", 1)  # every write that could grow memory is refused from now on

    try:
        outcome = run(conn, retry, chunk=10, progress=squeeze)
    finally:
        conn.config_set("maxmemory", 0)
    assert (outcome.done, outcome.failed) == (20, 0)
    assert outcome.stopped.startswith("Redis is out of memory and refuses writes")
    assert conn.llen("rq:queue:big") == 20 and conn.zcard("rq:failed:big") == 30
    assert outcome_line(retry, outcome).startswith("retried 20 of 50 jobs")
    assert "stopped, 30 left as they were: Redis is out of memory" in outcome_line(retry, outcome)


def test_oom_from_the_start_is_one_line_and_nothing_changes(server: EmbeddedRedis, tmp_path: Path) -> None:
    conn = server.client()
    failed_jobs(conn, "big", 5)
    conn.config_set("maxmemory-policy", "noeviction")
    conn.config_set("maxmemory", 1)
    try:
        result = cli(server.url, tmp_path, "jobs", "retry", "-q", "big", "--yes")
        deleted = cli(server.url, tmp_path, "jobs", "cancel", "--ids", "big-0000", "--yes")
    finally:
        conn.config_set("maxmemory", 0)
    assert result.exit_code == 1 and deleted.exit_code == 1
    assert "retried 0 of 5 jobs" in result.output and "Redis is out of memory" in result.output
    assert conn.zcard("rq:failed:big") == 5 and conn.llen("rq:queue:big") == 0


def test_a_missing_password_is_one_line(server: EmbeddedRedis, tmp_path: Path) -> None:
    conn = server.client()
    conn.config_set("requirepass", "s3cret")
    result = cli(server.url, tmp_path, "stats")
    assert result.exit_code == 1
    # redis-py 8.2 keeps Redis's NOAUTH code and says so alone; earlier ones drop it, so the line covers both.
    line = one_line(result)
    assert line.startswith("queuetui: error: ") and "Redis wants a password" in line
    assert "Redis URL" in line and "s3cret" not in line
    authed = cli(server.url.replace("redis://", "redis://:s3cret@"), tmp_path, "stats")
    assert authed.exit_code == 0, authed.output


def test_lua_scripting_refused_by_acl_is_one_line_and_reads_still_work(
    server: EmbeddedRedis, tmp_path: Path
) -> None:
    conn = server.client()
    failed_jobs(conn, "q", 3)
    conn.acl_setuser("ops", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-@scripting"])
    url = server.url.replace("redis://", "redis://ops:pw@")
    listed = cli(url, tmp_path, "jobs", "list", "-q", "q", "-r", "failed", "--json")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.output)["jobs"]) == 3
    retried = cli(url, tmp_path, "jobs", "retry", "-q", "q", "--yes")
    assert retried.exit_code == 1
    assert one_line(retried).startswith("queuetui: error: Redis refuses a command to this user (ACL)")
    assert conn.zcard("rq:failed:q") == 3


def test_redis_crashing_mid_run_reports_exactly_how_many_moved(server: EmbeddedRedis, tmp_path: Path) -> None:
    """Redis killed (SIGKILL) halfway through a throttled retry: the CLI and the audit say exactly how
    many jobs moved. The CLI is frozen (SIGSTOP) while Redis dies, so every chunk Redis ran has its
    reply waiting for it, and the count in Redis is read before the kill."""
    conn = server.client()
    failed_jobs(conn, "big", 3000)
    env = {
        **os.environ,
        "QUEUETUI_REDIS_URL": server.url,
        "QUEUETUI_DB_URL": f"sqlite:///{tmp_path / 'q.db'}",
    }
    command = [sys.executable, "-m", "queuetui", "jobs", "retry", "-q", "big", "--yes", "--throttle", "1000"]
    cli_run = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: conn.llen("rq:queue:big") >= 300, message="three chunks of 100 to move")
        cli_run.send_signal(signal.SIGSTOP)
        moved = wait_for(lambda: _settled(conn), message="the last chunk sent to finish")
        moved_ids = {i.decode() for i in conn.lrange("rq:queue:big", 0, -1)}
        server.kill()
        cli_run.send_signal(signal.SIGCONT)
        _, stderr = cli_run.communicate(timeout=60)
    finally:
        if cli_run.poll() is None:
            cli_run.kill()
    assert 300 <= moved < 3000 and moved % 100 == 0  # whole chunks: throttled to 100 a chunk
    assert cli_run.returncode == 1
    (line,) = stderr.splitlines()
    assert line.startswith("queuetui: error: cannot reach Redis")
    assert f"; {moved:,} of 3,000 were retried before it stopped; the rest are as they were" in line
    audit = CliRunner().invoke(main, ["audit", "--json"], env=env, catch_exceptions=False)
    (entry,) = json.loads(audit.stdout)["entries"]
    assert (entry["action"], entry["requested"], entry["done"]) == ("jobs.retry", 3000, moved)
    assert entry["outcome"].startswith("failed: ")
    assert entry["job_ids"] and set(entry["job_ids"]) <= moved_ids  # of 3,000 asked for: a sample of done ids


def _settled(conn: redis.Redis) -> int | None:
    """The queue's length once it stayed the same for a tenth of a second (None while it moves)."""
    before = conn.llen("rq:queue:big")
    time.sleep(0.1)
    after = conn.llen("rq:queue:big")
    return after if after == before else None
