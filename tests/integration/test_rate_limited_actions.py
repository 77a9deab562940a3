"""Actions on rate-limited jobs: RQ's effect on their slots, and never RQ's unpickling of their meta.

RQ's own calls for these jobs (Job.fetch, FailedJobRegistry.requeue, job.cancel, job.delete) unpickle
the job's meta with the standard unpickler: a job whose meta runs a command would run it as the
operator. queuetui's scripts do what those calls do to Redis, without reading the meta at all.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner
from rq import Queue
from rq.job import Job
from rq.rate_limit import RateLimit, RateLimitRegistry
from rq.registry import FailedJobRegistry

from queuetui.audit import Audit
from queuetui.cli import main
from queuetui.db.engine import open_database
from queuetui.operations import Operations
from queuetui.rqdata import actions
from queuetui.rqdata.actions import Options, Source
from queuetui.rqdata.bulk import Selection
from tests import jobs


class Marker:
    """Unpickled by the standard unpickler, this creates a file (os.system, as an attacker would)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.path}",))


def seed(conn: redis.Redis, marker: Path | None = None) -> None:
    """Queue rl under limit 'api' (1 slot): a failed, b waiting with the slot, c held back by the limit.

    With `marker`, every job's meta is a pickle that creates that file when unpickled by RQ.
    """
    q = Queue("rl", connection=conn)
    for job_id in "abc":
        q.enqueue(jobs.add, 1, 2, job_id=job_id, rate_limit=RateLimit("api", 1), failure_ttl=300)
    # a failed (as a worker leaves it: out of the queue and of its slot, in Failed); b took the slot
    conn.lrem("rq:queue:rl", 0, "a")
    ended = "2026-01-01T00:00:00.000000Z"
    conn.hset("rq:job:a", mapping={"status": "failed", "started_at": ended, "ended_at": ended})
    conn.zadd("rq:failed:rl", {"a": time.time() + 300})
    conn.expire("rq:job:a", 300)
    conn.zrem("rq:rl:api:allowed", "a")
    RateLimitRegistry("api", conn).acquire_and_enqueue(1)
    if marker is not None:
        for job_id in "abc":
            conn.hset(f"rq:job:{job_id}", "meta", pickle.dumps({"owner": Marker(marker)}))


def state(conn: redis.Redis) -> dict[Any, Any]:
    """Every key's content (times that differ between two seedings left out), and whether it expires."""
    out: dict[Any, Any] = {}
    for key in sorted(conn.scan_iter("*")):
        kind = conn.type(key)
        if kind == b"hash":
            skip = {b"created_at", b"enqueued_at"}
            out[key] = {f: v for f, v in conn.hgetall(key).items() if f not in skip}
        elif kind == b"zset":
            out[key] = conn.zrange(key, 0, -1)
        elif kind == b"list":
            out[key] = conn.lrange(key, 0, -1)
        elif kind == b"set":
            out[key] = sorted(conn.smembers(key))
        out[key, "expires"] = conn.ttl(key) > 0
    return out


RQ_WAY: dict[str, Callable[[redis.Redis], Any]] = {
    "retry": lambda conn: FailedJobRegistry("rl", connection=conn).requeue("a"),
    "cancel": lambda conn: Job.fetch("b", connection=conn).cancel(),
    "delete-waiting": lambda conn: Job.fetch("b", connection=conn).delete(),
    "delete-failed": lambda conn: Job.fetch("a", connection=conn).delete(),
}
OUR_WAY: dict[str, Callable[[redis.Redis], actions.ChunkResult]] = {
    "retry": lambda conn: actions.requeue(conn, Source("rl", "failed"), ["a"], Options()),
    "cancel": lambda conn: actions.cancel(conn, Source("rl", "waiting"), ["b"], Options()),
    "delete-waiting": lambda conn: actions.delete(conn, Source("rl", "waiting"), ["b"], Options()),
    "delete-failed": lambda conn: actions.delete(conn, Source("rl", "failed"), ["a"], Options()),
}


@pytest.mark.parametrize("action", RQ_WAY)
def test_the_scripts_leave_redis_as_rqs_own_calls_do(conn: redis.Redis, action: str) -> None:
    seed(conn)
    RQ_WAY[action](conn)
    expected = state(conn)
    conn.flushall()
    seed(conn)
    assert OUR_WAY[action](conn).codes == ["ok"]
    found = state(conn)
    if action == "retry":
        # The one deliberate difference: RQ leaves the failure TTL on a requeued job, which can then
        # expire while it waits for a slot; queuetui's requeue persists it as for every other job.
        assert expected.pop((b"rq:job:a", "expires")) and not found.pop((b"rq:job:a", "expires"))
        assert found[b"rq:job:a"][b"status"] == b"rate_limited"  # b holds the one slot
    assert found == expected


def test_a_retried_job_waits_for_a_slot_then_takes_the_one_freed(conn: redis.Redis) -> None:
    seed(conn)
    conn.zadd("rq:rl:api:rate_limited", {"c": 1})  # waiting since long before a comes back
    assert actions.requeue(conn, Source("rl", "failed"), ["a"], Options(at_front=True)).codes == ["ok"]
    assert conn.zrange("rq:rl:api:rate_limited", 0, -1) == [b"c", b"a"]
    assert actions.delete(conn, Source("rl", "waiting"), ["b"], Options()).codes == ["ok"]
    # b's slot went to the oldest waiting job, c; a still waits
    assert conn.zrange("rq:rl:api:allowed", 0, -1) == [b"c"] and conn.lrange("rq:queue:rl", 0, -1) == [b"c"]
    assert actions.cancel(conn, Source("rl", "waiting"), ["c"], Options()).codes == ["ok"]
    assert conn.lrange("rq:queue:rl", 0, -1) == [b"a"] and conn.hget("rq:job:a", "status") == b"queued"
    assert conn.hget("rq:job:a", "enqueue_at_front") == b"1"


def test_a_rate_limited_job_is_not_moved_to_another_queue(conn: redis.Redis) -> None:
    seed(conn)
    moved = actions.move(conn, Source("rl", "waiting"), ["b"], Options(to="spare"))
    requeued = actions.requeue(conn, Source("rl", "failed"), ["a"], Options(to="spare"))
    reason = "rate-limited job: RQ can only requeue it to its own queue"
    assert moved.codes == [reason] and requeued.codes == [reason]
    assert conn.lrange("rq:queue:rl", 0, -1) == [b"b"] and not conn.exists("rq:queue:spare")


def test_a_concurrency_that_is_not_a_number_is_a_reason_not_a_crash(conn: redis.Redis) -> None:
    seed(conn)
    conn.hset("rq:job:a", "rate_limit_concurrency", "lots")
    result = actions.requeue(conn, Source("rl", "failed"), ["a"], Options())
    assert result.codes == ["rate-limited job: its rate_limit_concurrency is not a whole number"]
    assert conn.zrange("rq:failed:rl", 0, -1) == [b"a"]


@pytest.fixture
def env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    (tmp_path / "config.toml").write_text("")  # a config file that is named must exist
    return {
        "QUEUETUI_REDIS_URL": redis_url,
        "QUEUETUI_DB_URL": f"sqlite:///{tmp_path / 'q.db'}",
        "QUEUETUI_CONFIG": str(tmp_path / "config.toml"),
    }


CLI = {
    "retry": ["jobs", "retry", "-q", "rl", "--yes"],
    "cancel": ["jobs", "cancel", "-q", "rl", "-r", "waiting", "--yes"],
    "delete": ["jobs", "delete", "-q", "rl", "-r", "failed", "--yes"],
}


@pytest.mark.parametrize("action", CLI)
def test_a_meta_that_runs_a_command_is_never_unpickled_by_the_cli(
    conn: redis.Redis, env: dict[str, str], tmp_path: Path, action: str
) -> None:
    marker = tmp_path / "marker"
    seed(conn, marker)
    result = CliRunner().invoke(main, CLI[action], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    if action == "retry":
        assert conn.hget("rq:job:a", "status") == b"rate_limited"
    elif action == "cancel":
        assert conn.zrange("rq:canceled:rl", 0, -1) == [b"b"] and conn.lrange("rq:queue:rl", 0, -1) == [b"c"]
    else:
        assert not conn.exists("rq:job:a")


@pytest.mark.parametrize(
    ("action", "selection"),
    [
        ("jobs.retry", Selection("rl", "failed")),
        ("jobs.cancel", Selection("rl", "waiting")),
        ("jobs.delete", Selection("rl", "failed")),
    ],
)
def test_a_meta_that_runs_a_command_is_never_unpickled_by_the_console(
    conn: redis.Redis, tmp_path: Path, action: str, selection: Selection
) -> None:
    marker = tmp_path / "marker"
    seed(conn, marker)
    ops = Operations(conn, Audit(open_database(f"sqlite:///{tmp_path / 'q.db'}")))
    outcome = ops.run(ops.plan(action, selection))
    assert (outcome.done, outcome.problems) == (1, [])
    assert not marker.exists()


def test_the_marker_is_real(tmp_path: Path) -> None:
    """The payload the tests above use does run a command when RQ's way of reading it is used."""
    marker = tmp_path / "marker"
    pickle.loads(pickle.dumps(Marker(marker)))  # the point of this test
    assert marker.exists()
