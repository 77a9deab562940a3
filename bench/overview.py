"""Benchmark: the overview snapshot against the way `rq info` and rq-dashboard gather the same data.

Seeds a real Redis (embedded unless --redis-url) with waiting jobs over 4 queues, failed and
finished jobs and registered workers, then measures, median of --reps runs each, side by side:
  - queuetui: rqdata.overview.snapshot (wall time, round trips);
  - RQ's public API: Queue.all, queue.count, every registry's .count, the head job's age,
    Worker.all and each worker's current execution (wall time, round trips);
and the console's resident memory after --rss-seconds of live refresh on that data.
Prints a table and writes bench/results/overview-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import redis
from rq import Queue, Worker
from rq.job import Job

from console_run import run_console_script  # type: ignore[import-not-found]
from queuetui.embedded import EmbeddedRedis
from queuetui.rqdata.overview import snapshot
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from timing import median_ms_and_trips  # type: ignore[import-not-found]

SIZES: dict[str, dict[str, int]] = {
    "full": {
        "waiting": 1_000_000,
        "failed": 100_000,
        "finished": 10_000,
        "workers": 50,
        "reps": 20,
        "rss": 60,
    },
    "smoke": {"waiting": 20_000, "failed": 2_000, "finished": 200, "workers": 50, "reps": 5, "rss": 5},
}
QUEUES = ("critical", "high", "default", "low")
CHUNK = 20_000
RESULTS = Path(__file__).parent / "results"


def seed(conn: redis.Redis, waiting: int, failed: int, finished: int, workers: int) -> None:
    """Write real RQ job hashes and registry entries, pipelined (enqueue_many is ~15k jobs/s)."""
    conn.flushall()
    template = {
        k: v
        for k, v in Job.create("bench.jobs.noop", args=(1,), connection=conn).to_dict().items()
        if v is not None
    }
    future = time.time() + 7 * 86400  # registry entries not yet expired: RQ's cleanup finds nothing

    def write(kind: str, total: int) -> None:
        for start in range(0, total, CHUNK):
            pipe = conn.pipeline(transaction=False)
            for i in range(start, min(total, start + CHUNK)):
                queue = QUEUES[i % len(QUEUES)]
                job_id = f"{kind}-{i:08d}"
                pipe.hset(f"rq:job:{job_id}", mapping={**template, "origin": queue, "status": kind})
                if kind == "queued":
                    pipe.rpush(f"rq:queue:{queue}", job_id)
                else:
                    pipe.zadd(f"rq:{kind}:{queue}", {job_id: future})
            pipe.execute()

    for queue in QUEUES:
        conn.sadd("rq:queues", f"rq:queue:{queue}")
    write("queued", waiting)
    write("failed", failed)
    write("finished", finished)
    for n in range(workers):
        Worker(
            [Queue(q, connection=conn) for q in QUEUES], connection=conn, name=f"bench-{n}"
        ).register_birth()


def rq_api_overview(conn: redis.Redis) -> dict[str, Any]:
    """The same information through RQ's public API, as `rq info` and rq-dashboard read it."""
    queues = {}
    for q in Queue.all(connection=conn):
        head = q.get_job_ids(0, 0)
        job = Job.fetch(head[0], connection=conn) if head else None
        queues[q.name] = {
            "waiting": q.count,
            "started": q.started_job_registry.count,
            "failed": q.failed_job_registry.count,
            "scheduled": q.scheduled_job_registry.count,
            "deferred": q.deferred_job_registry.count,
            "finished": q.finished_job_registry.count,
            "canceled": q.canceled_job_registry.count,
            "enqueued_at": job.enqueued_at if job else None,
        }
    workers = {w.name: (w.state, w.get_current_executions()) for w in Worker.all(connection=conn)}
    return {"queues": queues, "workers": workers}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--rss-seconds", type=int, default=None)
    args = parser.parse_args()
    size = SIZES[args.size]
    reps = args.reps or size["reps"]
    rss_seconds = args.rss_seconds if args.rss_seconds is not None else size["rss"]

    with EmbeddedRedis() as server:
        conn = server.client()
        t0 = time.perf_counter()
        seed(conn, size["waiting"], size["failed"], size["finished"], size["workers"])
        seeded = time.perf_counter() - t0
        print(
            f"seeded {size['waiting']:,} waiting over {len(QUEUES)} queues, {size['failed']:,} failed, "
            f"{size['finished']:,} finished, {size['workers']} workers in {seeded:.1f}s "
            f"(Redis used {conn.info('memory')['used_memory_human']})"
        )
        counter = RoundTripCounter()
        client = counting_client(server.url, counter)
        ours_ms, ours_trips, overview = median_ms_and_trips(snapshot, client, counter, reps)
        rq_ms, rq_trips, theirs = median_ms_and_trips(rq_api_overview, client, counter, reps)
        assert sum(q.waiting for q in overview.queues) == size["waiting"]
        assert sum(q["waiting"] for q in theirs["queues"].values()) == size["waiting"]
        assert len(overview.workers) == len(theirs["workers"]) == size["workers"]
        rss = run_console_script("console_rss.py", server.url, rss_seconds) if rss_seconds else {}

    result = {
        "size": args.size,
        "reps": reps,
        "seed": size,
        "queuetui_snapshot_ms": round(ours_ms, 2),
        "queuetui_round_trips": ours_trips,
        "rq_api_ms": round(rq_ms, 2),
        "rq_api_round_trips": rq_trips,
        "speedup": round(rq_ms / ours_ms, 1),
        "console": rss,
    }
    print()
    print(f"{'median of ' + str(reps):<28}{'wall ms':>10}{'round trips':>14}")
    print(f"{'queuetui snapshot':<28}{ours_ms:>10.2f}{ours_trips:>14}")
    print(f"{'RQ API (rq info/dashboard)':<28}{rq_ms:>10.2f}{rq_trips:>14}")
    print(f"{'ratio':<28}{rq_ms / ours_ms:>9.1f}x{rq_trips / max(ours_trips, 1):>13.1f}x")
    if rss:
        print(
            f"console after {rss['seconds']:.0f}s of live refresh: RSS {rss['rss_mb']:.1f} MB "
            f"(peak {rss['peak_mb']:.1f} MB), {rss['refreshes']} refreshes"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"overview-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
