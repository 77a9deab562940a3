"""Benchmark: the Workers view's read against RQ's Worker.all() at 500 workers.

Registers workers in a real Redis (embedded unless --redis-url) the way RQ does (Worker.register_birth
over 10 hosts; every third one busy: a saved job, Execution.create and state busy), then measures,
median of --reps runs each, side by side:
  - queuetui: rqdata.workers.read_workers (wall time, round trips): name, host, pid, state, queues,
    heartbeat and health (its key's TTL), counts, birth, the current job with its function and start;
  - RQ's public API: Worker.all(), then per worker the same attributes: get_current_job() with
    its func_name and started_at, and the TTL of its key (wall time, round trips);
and, for the console's side of a refresh, building the view's table rows from what was read.
Prints a table and writes bench/results/workers-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import redis
from rq import Queue, Worker
from rq.executions import Execution
from rq.job import Job

from queuetui.embedded import EmbeddedRedis
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from queuetui.rqdata.workers import read_workers
from queuetui.tui.screens.workers import table_rows, widths_for
from timing import median_ms_and_trips  # type: ignore[import-not-found]

SIZES: dict[str, dict[str, int]] = {
    "full": {"workers": 500, "reps": 20},
    "smoke": {"workers": 50, "reps": 3},
}
HOSTS = 10
QUEUES = ("critical", "high", "default", "low")
RESULTS = Path(__file__).parent / "results"


def seed(conn: redis.Redis, workers: int) -> int:
    """Register `workers` workers as RQ does; every third busy with a job. Returns how many are busy."""
    conn.flushall()
    queues = [Queue(q, connection=conn) for q in QUEUES]
    busy = 0
    for n in range(workers):
        worker = Worker(queues, connection=conn, name=f"host-{n % HOSTS}.{1000 + n}")
        worker.hostname = f"host-{n % HOSTS}"
        worker.register_birth()
        if n % 3 == 0:
            job = Job.create(
                "app.reports.build_report", args=(n, "monthly"), connection=conn, origin="default"
            )
            job.set_status("started")
            job.started_at = job.enqueued_at = job.created_at
            job.worker_name = worker.name
            job.save()
            pipe = conn.pipeline()
            Execution.create(job, ttl=600, pipeline=pipe, worker_name=worker.name)
            worker.set_state("busy", pipeline=pipe)
            pipe.execute()
            busy += 1
    return busy


def rq_api_workers(conn: redis.Redis) -> list[dict[str, Any]]:
    """What the view shows, read through RQ's public API as rq-dashboard and `rq info` do."""
    rows = []
    for w in Worker.all(connection=conn):
        job = w.get_current_job()
        rows.append(
            {
                "name": w.name,
                "host": w.hostname,
                "pid": w.pid,
                "state": w.get_state(),
                "queues": w.queue_names(),
                "heartbeat": w.last_heartbeat,
                "ttl": conn.pttl(w.key),
                "ok": w.successful_job_count,
                "failed": w.failed_job_count,
                "worked": w.total_working_time,
                "birth": w.birth_date,
                "job": job.id if job else None,
                "func": job.func_name if job else None,
                "started": job.started_at if job else None,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    size = SIZES[args.size]
    reps = args.reps or size["reps"]

    with EmbeddedRedis() as server:
        conn = server.client()
        t0 = time.perf_counter()
        busy = seed(conn, size["workers"])
        seeded = time.perf_counter() - t0
        print(f"registered {size['workers']} workers on {HOSTS} hosts, {busy} busy, in {seeded:.1f}s")
        counter = RoundTripCounter()
        client = counting_client(server.url, counter)
        ours_ms, ours_trips, view = median_ms_and_trips(read_workers, client, counter, reps)
        rq_ms, rq_trips, theirs = median_ms_and_trips(rq_api_workers, client, counter, reps)
        assert len(view.workers) == len(theirs) == size["workers"]
        assert view.busy == busy == sum(1 for w in theirs if w["job"])
        assert {w.info.current_job_id for w in view.workers} == {w["job"] for w in theirs}
        assert all(w.job.func == "app.reports.build_report" for w in view.workers if w.job)
        assert len(view.hosts) == min(HOSTS, size["workers"])
        widths = widths_for(120)
        rows_ms, _, rows = median_ms_and_trips(lambda _: table_rows(view, widths), client, counter, reps)
        assert len(rows) == size["workers"] + len(view.hosts)

    result = {
        "size": args.size,
        "reps": reps,
        "workers": size["workers"],
        "busy": busy,
        "queuetui_ms": round(ours_ms, 2),
        "queuetui_round_trips": ours_trips,
        "rq_api_ms": round(rq_ms, 2),
        "rq_api_round_trips": rq_trips,
        "speedup": round(rq_ms / ours_ms, 1),
        "table_rows_ms": round(rows_ms, 2),
    }
    print()
    print(f"{'median of ' + str(reps):<36}{'wall ms':>10}{'round trips':>14}")
    print(f"{'queuetui read_workers':<36}{ours_ms:>10.2f}{ours_trips:>14}")
    print(f"{'Worker.all() + attributes':<36}{rq_ms:>10.2f}{rq_trips:>14}")
    print(f"{'ratio':<36}{rq_ms / ours_ms:>9.1f}x{rq_trips / max(ours_trips, 1):>13.1f}x")
    print(f"{'the view: building its table rows':<36}{rows_ms:>10.2f}{0:>14}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"workers-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
