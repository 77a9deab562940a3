"""Benchmark: what the retry policies cost the worker, and the Failed view its Retry column.

Against a real Redis (embedded), median of --reps runs each:
  - a worker working --jobs failing jobs in burst (RQ's SimpleWorker, in this process, so the
    numbers are the failure handling and not fork): plain RQ, against queuetui's worker with the
    retry policies, which decides and writes the decision to each job's meta. Twice: jobs failing
    with a bug (int('x'): ValueError, not retried) and with a transient error (a refused connection:
    rescheduled with a delay);
  - reading a page of 50 failed jobs (rqdata.rows.read_rows, one round trip either way) with their
    meta, which holds the decision the Retry column shows, against without it.
Prints a table and writes bench/results/retry-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import redis
from rq import Queue, SimpleWorker

from queuetui.embedded import EmbeddedRedis, free_port
from queuetui.executor.worker import build_worker
from queuetui.rqdata.rows import read_rows

SIZES: dict[str, dict[str, int]] = {
    "full": {"jobs": 2_000, "reps": 3, "pages": 2_000},
    "smoke": {"jobs": 300, "reps": 3, "pages": 100},
}
PAGE = 50
RESULTS = Path(__file__).parent / "results"


def seed(conn: redis.Redis, n: int, kind: str, port: int) -> None:
    conn.flushall()
    q = Queue("default", connection=conn)
    if kind == "bug":
        data = [Queue.prepare_data("builtins.int", ("x",), meta={"tenant": "acme"}) for _ in range(n)]
    else:
        data = [
            Queue.prepare_data(socket.create_connection, (("127.0.0.1", port),), meta={"tenant": "acme"})
            for _ in range(n)
        ]
    q.enqueue_many(data)


def plain_rq(conn: redis.Redis) -> None:
    SimpleWorker([Queue("default", connection=conn)], connection=conn).work(
        burst=True, logging_level="CRITICAL"
    )


def queuetui_worker(conn: redis.Redis) -> None:
    build_worker(conn, ["default"], worker_class=SimpleWorker).work(burst=True, logging_level="CRITICAL")


def check(conn: redis.Redis, n: int, kind: str, with_policies: bool) -> None:
    failed = conn.zcard("rq:failed:default")
    scheduled = conn.zcard("rq:scheduled:default")
    expected = (0, n) if kind == "transient" and with_policies else (n, 0)
    assert (failed, scheduled) == expected, (
        f"{kind}: failed {failed}, scheduled {scheduled}, wanted {expected}"
    )


def time_pages(conn: redis.Redis, pages: int) -> dict[str, list[float]]:
    members = [(i.decode(), s) for i, s in conn.zrange("rq:failed:default", 0, PAGE - 1, withscores=True)]
    assert len(members) == PAGE
    timings: dict[str, list[float]] = {"with meta (Retry column)": [], "without meta": []}
    for _ in range(pages):
        for name, meta in (("with meta (Retry column)", True), ("without meta", False)):
            start = time.perf_counter()
            rows = read_rows(conn, "default", "failed", members, meta=meta)
            timings[name].append(time.perf_counter() - start)
            assert len(rows) == PAGE and (rows[0].meta is not None) == meta
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    n, reps, pages = (
        SIZES[args.size]["jobs"],
        args.reps or SIZES[args.size]["reps"],
        SIZES[args.size]["pages"],
    )
    port = free_port()  # nothing listens: connecting is refused at once
    workers: dict[str, Callable[[redis.Redis], None]] = {
        "plain RQ": plain_rq,
        "queuetui worker": queuetui_worker,
    }
    rows = []
    with EmbeddedRedis() as server:
        conn = server.client()
        for kind in ("bug", "transient"):
            timings: dict[str, list[float]] = {name: [] for name in workers}
            for rep in range(reps):
                for name, work in workers.items():
                    seed(conn, n, kind, port)
                    start = time.perf_counter()
                    work(conn)
                    timings[name].append(time.perf_counter() - start)
                    check(conn, n, kind, name == "queuetui worker")
                print(
                    f"{kind} run {rep + 1}/{reps}: "
                    + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in timings.items())
                )
            plain = statistics.median(timings["plain RQ"])
            for name, times in timings.items():
                median = statistics.median(times)
                rows.append((f"{n:,} failing ({kind}): {name}", median, n / median, median / plain))
        seed(conn, PAGE, "bug", port)
        queuetui_worker(conn)
        page_timings = time_pages(conn, pages)
        without = statistics.median(page_timings["without meta"])
        for name, times in page_timings.items():
            median = statistics.median(times)
            rows.append(
                (f"read a page of {PAGE} failed jobs {name}", median, PAGE / median, median / without)
            )

    print()
    title = f"median of {reps} runs (pages: of {pages})"
    print(f"{title:<62}{'seconds':>10}{'jobs/s':>10}{'ratio':>8}")
    for what, median, rate, ratio in rows:
        print(f"{what:<62}{median:>10.4f}{rate:>10,.0f}{ratio:>7.2f}x")
    RESULTS.mkdir(exist_ok=True)
    result_json = {
        "size": args.size,
        "jobs": n,
        "reps": reps,
        "pages": pages,
        "measures": [
            {
                "what": what,
                "median_s": round(median, 5),
                "jobs_per_s": round(rate),
                "ratio_to_baseline": round(ratio, 2),
            }
            for what, median, rate, ratio in rows
        ],
    }
    (RESULTS / f"retry-{args.size}.json").write_text(json.dumps(result_json, indent=2) + "\n")


if __name__ == "__main__":
    main()
