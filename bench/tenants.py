"""Benchmark: `queuetui tenants` counting a queue's waiting jobs by tenant.

Against a real Redis (embedded): --jobs waiting jobs (full: 1,000,000; smoke: 20,000) of 20 tenants
and some with none, each a real RQ job hash (Queue.create_job's, written in pipelines). Times
rqdata.tenants.count_by_tenant over the waiting list (a chunked walk reading only each job's meta,
decoded as data), median of --reps runs, and checks the counts. Target: >= 50,000 jobs/s.

Then the per-job cost of [tenants.limits] in `queuetui worker`: --worker-jobs jobs of one tenant run
by a burst QueuetuiWorker in this process (its jobs run in-process, as RQ's SimpleWorker does, so the
numbers are the limit's cost and not fork's) with a limit the tenant never reaches
(every job takes and gives back a slot) against with no limits; and the slot's own cost alone
(TenantLimiter.acquire + release, two round trips).
Prints a table and writes bench/results/tenants-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import redis
from rq import Queue, SimpleWorker

from queuetui.config import TenantSettings
from queuetui.embedded import EmbeddedRedis
from queuetui.executor.limits import TenantLimiter
from queuetui.executor.worker import tenant_worker_class
from queuetui.rqdata.tenants import count_by_tenant
from queuetui.tenancy import enqueue

SIZES: dict[str, dict[str, int]] = {
    "full": {"jobs": 1_000_000, "reps": 3, "worker_jobs": 1_000, "slots": 20_000},
    "smoke": {"jobs": 20_000, "reps": 3, "worker_jobs": 100, "slots": 2_000},
}
TENANTS = 20
TARGET = 50_000
QUEUE = "bench"
RESULTS = Path(__file__).parent / "results"


def tenant_of(i: int) -> str:
    """Job i's tenant: one of TENANTS, or none for every 21st job."""
    return "" if i % (TENANTS + 1) == TENANTS else f"tenant-{i % (TENANTS + 1):02d}"


def seed(conn: redis.Redis, n: int, chunk: int = 5_000) -> dict[str, int]:
    """`n` waiting jobs; returns the expected count by tenant."""
    conn.flushall()
    q = Queue(QUEUE, connection=conn)
    templates: dict[str, dict[str, object]] = {}
    for i in range(TENANTS + 1):
        tenant = tenant_of(i)
        job = q.create_job("builtins.print", args=("x",), meta={"tenant": tenant} if tenant else None)
        job.origin = QUEUE
        templates[tenant] = {k: v for k, v in job.to_dict().items() if v is not None}
    expected: dict[str, int] = {}
    for start in range(0, n, chunk):
        with conn.pipeline(transaction=False) as pipe:
            ids = []
            for i in range(start, min(n, start + chunk)):
                tenant = tenant_of(i)
                expected[tenant] = expected.get(tenant, 0) + 1
                job_id = f"j{i:08d}"
                pipe.hset(f"rq:job:{job_id}", mapping=templates[tenant])  # type: ignore[arg-type]
                ids.append(job_id)
            pipe.rpush(f"rq:queue:{QUEUE}", *ids)
            pipe.execute()
    conn.sadd("rq:queues", f"rq:queue:{QUEUE}")
    return expected


def worker_run(conn: redis.Redis, n: int, tenants: TenantSettings) -> float:
    """Seconds a burst QueuetuiWorker takes to run `n` jobs of tenant acme under `tenants`."""
    conn.flushall()
    q = Queue("work", connection=conn)
    for _ in range(n):
        enqueue(q, "builtins.len", "x", tenant="acme", result_ttl=0)
    worker = tenant_worker_class(tenants, SimpleWorker)(
        [q], connection=conn
    )  # no job logs: their flush per job would hide the cost
    start = time.perf_counter()
    worker.work(burst=True, logging_level="CRITICAL")
    took = time.perf_counter() - start
    assert conn.llen("rq:queue:work") == 0 and conn.zcard("rq:failed:work") == 0
    return took


def slot_cost(conn: redis.Redis, n: int) -> float:
    """Seconds per acquire + release of a tenant slot."""
    limiter = TenantLimiter(conn, TenantSettings(limits={"acme": 1_000_000}), 90)
    start = time.perf_counter()
    for i in range(n):
        assert limiter.acquire("acme", f"j{i}")
        limiter.release("acme", f"j{i}")
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    n, reps = SIZES[args.size]["jobs"], args.reps or SIZES[args.size]["reps"]
    worker_jobs, slots = SIZES[args.size]["worker_jobs"], SIZES[args.size]["slots"]
    limited = TenantSettings(limits={"acme": 1_000_000})
    with EmbeddedRedis() as server:
        conn = server.client()
        start = time.perf_counter()
        expected = seed(conn, n)
        print(f"seeded {n:,} waiting jobs in {time.perf_counter() - start:.1f}s")
        timings = []
        for rep in range(reps):
            start = time.perf_counter()
            result = count_by_tenant(conn, QUEUE, (("waiting", "waiting"),))
            timings.append(time.perf_counter() - start)
            got = {row["tenant"]: row["waiting"] for row in result.rows()}
            assert got == expected and result.scanned == n, "the counts do not match what was seeded"
            print(f"run {rep + 1}/{reps}: {timings[-1]:.2f}s, {n / timings[-1]:,.0f} jobs/s")
        runs: dict[str, list[float]] = {"no limits": [], "limited": []}
        for rep in range(reps):
            runs["no limits"].append(worker_run(conn, worker_jobs, TenantSettings()))
            runs["limited"].append(worker_run(conn, worker_jobs, limited))
            print(f"worker run {rep + 1}/{reps}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in runs.items()))
        slot = statistics.median(slot_cost(conn, slots) for _ in range(reps))
    per_job = {k: statistics.median(v) / worker_jobs for k, v in runs.items()}
    median = statistics.median(timings)
    rate = n / median
    verdict = "meets" if rate >= TARGET else "MISSES"
    print()
    print(f"{'median of ' + str(reps) + ' runs':<48}{'seconds':>10}{'jobs/s':>12}")
    print(f"{f'count {n:,} waiting jobs by tenant':<48}{median:>10.3f}{rate:>12,.0f}")
    print(f"target >= {TARGET:,} jobs/s: {verdict}")
    print()
    print(f"{f'queuetui worker, {worker_jobs:,} jobs of one tenant':<48}{'ms/job':>10}")
    for name, seconds in per_job.items():
        print(f"{'  ' + name:<48}{seconds * 1000:>10.3f}")
    overhead = per_job["limited"] - per_job["no limits"]
    print(f"{'  per-job overhead of the limit':<48}{overhead * 1000:>10.3f}")
    print(f"{f'  a slot alone (acquire + release, of {slots:,})':<48}{slot * 1000:>10.3f}")
    RESULTS.mkdir(exist_ok=True)
    result_json = {
        "size": args.size,
        "jobs": n,
        "tenants": TENANTS,
        "reps": reps,
        "median_s": round(median, 4),
        "jobs_per_s": round(rate),
        "target_jobs_per_s": TARGET,
        "meets_target": rate >= TARGET,
        "worker_jobs": worker_jobs,
        "worker_ms_per_job": {k: round(v * 1000, 3) for k, v in per_job.items()},
        "limit_overhead_ms_per_job": round(overhead * 1000, 3),
        "slot_acquire_release_ms": round(slot * 1000, 4),
    }
    (RESULTS / f"tenants-{args.size}.json").write_text(json.dumps(result_json, indent=2) + "\n")


if __name__ == "__main__":
    main()
