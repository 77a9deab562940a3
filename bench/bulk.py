"""Benchmark: retrying every failed job of a queue, queuetui's bulk retry beside RQ's and rq-dashboard's.

Seeds a real Redis (embedded) with --size failed jobs in one queue, each a real RQ job hash (from
Job.to_dict) with its failure TTL, its entry in the failed registry and a result stream holding the
traceback. Then, on identical data re-seeded before every run, measures the wall time of:
  - queuetui: operations.Operations, the CLI's and the console's path: the dry run (the ids, read in
    pages), then the audited bulk run in chunks of 1,000, one Lua script each (audit in a SQLite file);
  - `rq requeue --all --queue default`: RQ's own command, run in-process (no interpreter start-up):
    get_job_ids, then FailedJobRegistry.requeue per job (a fetch, a ZREM and a pipeline each);
  - rq-dashboard's "requeue all": get_job_ids, then rq.job.requeue_job per job (its /requeue route).
Each run is checked: every job waiting in the queue once, status queued, the failed registry empty.
Prints jobs per second (median of --reps runs) and the ratios, and writes bench/results/bulk-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import redis
from click.testing import CliRunner
from rq.cli import main as rq_main
from rq.job import Job, requeue_job
from rq.queue import Queue
from rq.registry import FailedJobRegistry

from queuetui.audit import Actor, Audit
from queuetui.db.engine import open_database
from queuetui.embedded import EmbeddedRedis
from queuetui.operations import Operations
from queuetui.roles import Role
from queuetui.rqdata.bulk import Selection

SIZES: dict[str, dict[str, int]] = {"full": {"jobs": 100_000, "reps": 3}, "smoke": {"jobs": 3_000, "reps": 3}}
SEED_CHUNK = 10_000
FAILURE_TTL = 7 * 86400
TARGET_RATE = 10_000
TARGET_RATIO = 5.0
RESULTS = Path(__file__).parent / "results"
TRACEBACK = (
    'Traceback (most recent call last):\n  File "app/mail.py", line 12, in send\nTimeoutError: smtp {}\n'
)


def seed(conn: redis.Redis, n: int) -> list[str]:
    """`n` failed jobs of queue 'default', as RQ's worker leaves them."""
    conn.flushall()
    job = Job.create(
        "app.mail.send_email", args=("a@example.com",), kwargs={"template": "x"}, connection=conn
    )
    template = {k: v for k, v in job.to_dict().items() if v is not None}
    template.update(origin="default", status="failed", timeout=180)
    template.update(started_at="2026-11-01T00:00:00.000000Z", ended_at="2026-11-01T00:00:01.000000Z")
    conn.sadd("rq:queues", "rq:queue:default")
    ids = [f"f{i:08d}" for i in range(n)]
    expires = time.time() + FAILURE_TTL
    for start in range(0, n, SEED_CHUNK):
        pipe = conn.pipeline(transaction=False)
        for i, job_id in enumerate(ids[start : start + SEED_CHUNK], start):
            traceback = TRACEBACK.format(i).encode()
            pipe.hset(f"rq:job:{job_id}", mapping={**template, "exc_info": zlib.compress(traceback)})
            pipe.expire(f"rq:job:{job_id}", FAILURE_TTL)
            pipe.zadd("rq:failed:default", {job_id: expires + i / n})
            pipe.xadd(f"rq:results:{job_id}", {"type": 2, "worker_name": "w1", "exc_string": traceback})
        pipe.execute()
    return ids


def check(conn: redis.Redis, ids: list[str]) -> None:
    """Every job waiting once, queued, and none left failed: the same end state for every method."""
    waiting = [m.decode() for m in conn.lrange("rq:queue:default", 0, -1)]
    assert sorted(waiting) == ids, "every job must wait in the queue exactly once"
    assert conn.zcard("rq:failed:default") == 0
    pipe = conn.pipeline(transaction=False)
    for job_id in ids:
        pipe.hget(f"rq:job:{job_id}", "status")
    assert set(pipe.execute()) == {b"queued"}


def queuetui_retry(conn: redis.Redis, database: str) -> int:
    audit = Audit(open_database(database), actor=Actor("bench", "local"), role=Role.OPERATOR)
    ops = Operations(conn, audit)
    return int(ops.run(ops.plan("jobs.retry", Selection("default", "failed"))).done)


def rq_requeue_all(conn: redis.Redis, url: str) -> int:
    result = CliRunner().invoke(rq_main, ["requeue", "--all", "--queue", "default", "--url", url])
    assert result.exit_code == 0, result.output
    return int(result.output.split("Requeueing ")[1].split()[0])


def dashboard_requeue_all(conn: redis.Redis) -> int:
    job_ids = Queue("default", connection=conn).failed_job_registry.get_job_ids()
    for job_id in job_ids:
        requeue_job(job_id, connection=conn)
    return len(job_ids)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    n, reps = SIZES[args.size]["jobs"], args.reps or SIZES[args.size]["reps"]

    with EmbeddedRedis() as server, tempfile.TemporaryDirectory() as tmp:
        conn = server.client()
        database = f"sqlite:///{Path(tmp) / 'audit.db'}"
        open_database(database)  # migrated once, outside the timings
        methods: dict[str, Callable[[], int]] = {
            "queuetui bulk retry": lambda: queuetui_retry(conn, database),
            "rq requeue --all": lambda: rq_requeue_all(conn, server.url),
            "rq-dashboard requeue all": lambda: dashboard_requeue_all(conn),
        }
        timings: dict[str, list[float]] = {name: [] for name in methods}
        for rep in range(reps):
            for name, method in methods.items():
                ids = seed(conn, n)
                assert FailedJobRegistry("default", connection=conn).get_job_ids(0, 0) == ids[:1]
                start = time.perf_counter()
                done = method()
                timings[name].append(time.perf_counter() - start)
                assert done == n, f"{name} requeued {done} of {n}"
                check(conn, ids)
            print(f"run {rep + 1}/{reps}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in timings.items()))

    rates = {name: n / statistics.median(times) for name, times in timings.items()}
    ours = rates["queuetui bulk retry"]
    print()
    print(f"retry {n:,} failed jobs, median of {reps}{'jobs/s':>28}{'seconds':>10}{'queuetui is':>14}")
    for name, rate in rates.items():
        ratio = "" if name.startswith("queuetui") else f"{ours / rate:.1f}x faster"
        print(f"{name:<45}{rate:>20,.0f}{n / rate:>10.2f}{ratio:>14}")
    rq_ratio = ours / rates["rq requeue --all"]
    print(
        f"targets: >= {TARGET_RATE:,} jobs/s {'met' if ours >= TARGET_RATE else 'MISSED'}, "
        f">= {TARGET_RATIO:g}x rq requeue {'met' if rq_ratio >= TARGET_RATIO else 'MISSED'}"
    )
    RESULTS.mkdir(exist_ok=True)
    result_json = {
        "size": args.size,
        "jobs": n,
        "reps": reps,
        "measures": [
            {"what": name, "median_s": round(statistics.median(timings[name]), 3),
             "jobs_per_s": round(rate), "queuetui_ratio": round(ours / rate, 1)}
            for name, rate in rates.items()
        ],
    }  # fmt: skip
    (RESULTS / f"bulk-{args.size}.json").write_text(json.dumps(result_json, indent=2) + "\n")


if __name__ == "__main__":
    main()
