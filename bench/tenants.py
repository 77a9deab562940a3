"""Benchmark: `queuetui tenants` counting a queue's waiting jobs by tenant.

Against a real Redis (embedded): --jobs waiting jobs (full: 1,000,000; smoke: 20,000) of 20 tenants
and some with none, each a real RQ job hash (Queue.create_job's, written in pipelines). Times
rqdata.tenants.count_by_tenant over the waiting list (a chunked walk reading only each job's meta,
decoded as data), median of --reps runs, and checks the counts. Target: >= 50,000 jobs/s.
Prints a table and writes bench/results/tenants-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import redis
from rq import Queue

from queuetui.embedded import EmbeddedRedis
from queuetui.rqdata.tenants import count_by_tenant

SIZES: dict[str, dict[str, int]] = {
    "full": {"jobs": 1_000_000, "reps": 3},
    "smoke": {"jobs": 20_000, "reps": 3},
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    n, reps = SIZES[args.size]["jobs"], args.reps or SIZES[args.size]["reps"]
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
    median = statistics.median(timings)
    rate = n / median
    verdict = "meets" if rate >= TARGET else "MISSES"
    print()
    print(f"{'median of ' + str(reps) + ' runs':<48}{'seconds':>10}{'jobs/s':>12}")
    print(f"{f'count {n:,} waiting jobs by tenant':<48}{median:>10.3f}{rate:>12,.0f}")
    print(f"target >= {TARGET:,} jobs/s: {verdict}")
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
    }
    (RESULTS / f"tenants-{args.size}.json").write_text(json.dumps(result_json, indent=2) + "\n")


if __name__ == "__main__":
    main()
