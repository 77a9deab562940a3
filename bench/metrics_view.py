"""Benchmark: what the console's Metrics view and the overview's sparklines cost to read.

Seeds a real Redis (embedded unless --redis-url) with full series for --queues queues: a day of
10-second points and 30 days of 5-minute ones per queue and per function (two functions a queue),
in the layout metrics/series.py writes. Then measures, median of --reps runs each, side by side:
  - the Metrics view's read (metrics.trends.read_trend, one pipeline of the window's chunks) for
    each window, against reading the same chunks one round trip each;
  - drawing its plots (trends.plots for 118 columns);
  - the overview's refresh with its sparklines (trends.overview_with_throughput) against the
    snapshot alone (rqdata.overview.snapshot).
The reads run twice: on loopback, and through bench/latency_proxy.py with --rtt-ms of round-trip
time, as from another host. Prints a table and writes bench/results/metrics-view-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import redis

from latency_proxy import LatencyProxy  # type: ignore[import-not-found]
from queuetui.clock import FrozenClock
from queuetui.embedded import EmbeddedRedis
from queuetui.metrics.series import COARSE, FINE, FunctionPoint, QueuePoint, Resolution, read_queue
from queuetui.metrics.trends import WINDOWS, overview_with_throughput, read_trend
from queuetui.present.metrics import plots
from queuetui.rqdata import keys
from queuetui.rqdata.overview import snapshot
from timing import trips  # type: ignore[import-not-found]

SIZES = {"full": {"queues": 50, "reps": 20}, "smoke": {"queues": 4, "reps": 3}}
UNTIL = 1_795_435_200.0  # 2026-11-23 12:00 UTC
FUNCTIONS = ("app.billing.charge", "app.reports.build")
RESULTS = Path(__file__).parent / "results"


def _write(conn: redis.Redis, resolution: Resolution, name: list[str], points: list[Any]) -> None:
    """Points in series.py's layout (chunked sorted sets, the index), pipelined."""
    pipe = conn.pipeline(transaction=False)
    for point in points:
        chunk = resolution.chunk(point.at)
        offset = round((point.at - chunk * resolution.span) * 1000)
        pipe.zadd(resolution.key(name, chunk), {f"{offset},{point.fields()}": point.at})
    pipe.zadd(resolution.index_key, {json.dumps(name): UNTIL})
    pipe.execute()


def seed(conn: redis.Redis, queues: int) -> list[str]:
    conn.flushall()
    names = [f"q{n:03d}" for n in range(queues)]
    for name in names:
        conn.sadd(keys.QUEUES_SET, keys.queue_key(name))
        conn.rpush(keys.queue_key(name), *(f"{name}-job-{i}" for i in range(10)))
        for resolution in (FINE, COARSE):
            steps, step = resolution.capacity, resolution.step
            times = [UNTIL - (steps - i) * step for i in range(steps + 1)]
            queue_points = [
                QueuePoint(at, 10 + i % 50, 4, 7, 20 + i % 9, 18 + i % 11, i % 3, 12.5 + i % 60, step)
                for i, at in enumerate(times)
            ]
            _write(conn, resolution, ["queue", name], queue_points)
            runs = [
                FunctionPoint(at, 5 + i % 4, 0.25 + i % 7 / 10, 1.5 + i % 5 / 10, 3.0)
                for i, at in enumerate(times)
            ]
            for func in FUNCTIONS:
                _write(conn, resolution, ["func", name, func], runs)
    return names


def chunk_by_chunk(conn: redis.Redis, queue: str, since: float, resolution: Resolution) -> int:
    """The alternative: each chunk of the window read (and parsed) in a round trip of its own."""
    points = 0
    for name, kind in ((["queue", queue], QueuePoint), (["func", queue, FUNCTIONS[0]], FunctionPoint)):
        for chunk in range(resolution.chunk(since), resolution.chunk(UNTIL) + 1):
            raw = conn.zrangebyscore(resolution.key(name, chunk), since, UNTIL, withscores=True)
            points += len([kind.parse(at, member) for member, at in raw])  # type: ignore[attr-defined]
    return points


def measure(call: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--rtt-ms", type=float, default=1.0, help="Round-trip time of the second pass.")
    args = parser.parse_args()
    size = SIZES[args.size]
    reps = size["reps"]
    server = EmbeddedRedis().start()
    url = server.url
    try:
        conn = redis.Redis.from_url(url)
        started = time.perf_counter()
        names = seed(conn, size["queues"])
        seeded = time.perf_counter() - started
        queue = names[len(names) // 2]
        windows = []
        for window in WINDOWS:
            since = UNTIL - window.seconds

            def ours(client: redis.Redis, w: Any = window) -> Any:
                return read_trend(client, queue, FUNCTIONS[0], w, UNTIL)

            def theirs(client: redis.Redis, w: Any = window, s: float = since) -> int:
                return chunk_by_chunk(client, queue, s, w.resolution)

            trend = ours(conn)
            assert theirs(conn) == len(trend.points) + len(trend.runs)
            with LatencyProxy(server.port, args.rtt_ms / 2) as proxy:
                remote = redis.Redis.from_url(proxy.url)
                far = (
                    round(measure(partial(ours, remote), reps), 2),
                    round(measure(partial(theirs, remote), reps), 2),
                )
                remote.close()
            windows.append({
                "window": window.name,
                "remote_read_ms": far[0],
                "remote_chunk_by_chunk_ms": far[1],
                "points": len(trend.points) + len(trend.runs),
                "read_ms": round(measure(lambda: ours(conn), reps), 2),
                "read_round_trips": trips(url, ours),
                "chunk_by_chunk_ms": round(measure(lambda: theirs(conn), reps), 2),
                "chunk_by_chunk_round_trips": trips(url, theirs),
                "plots_ms": round(measure(lambda t=trend: plots(t, 118), reps), 2),  # type: ignore[misc]
            })  # fmt: skip
        clock = FrozenClock(datetime.fromtimestamp(UNTIL, UTC))
        with_spark = measure(lambda: overview_with_throughput(conn, clock), reps)
        alone = measure(lambda: snapshot(conn, clock), reps)
        spark_trips = trips(url, lambda c: overview_with_throughput(c, clock))
        alone_trips = trips(url, lambda c: snapshot(c, clock))
        assert len(read_queue(conn, queue, UNTIL - 300, UNTIL)) == 31
    finally:
        server.stop()

    points = f"{FINE.capacity + 1:,} + {COARSE.capacity + 1:,}"
    print(
        f"seeded {size['queues']} queues x {1 + len(FUNCTIONS)} series x ({points} points) in {seeded:.1f} s"
    )
    print()
    rtt = f"+{args.rtt_ms:g}ms RTT"
    head = ("points", "read ms", "trips", "chunk-by-chunk ms", "trips", "ratio", "plots ms",
            f"read {rtt}", f"chunk-by-chunk {rtt}", "ratio")  # fmt: skip
    print(f"{'median of ' + str(reps):<14}" + "".join(f"{h:>{max(8, len(h) + 2)}}" for h in head))
    for w in windows:
        ratio = w["chunk_by_chunk_ms"] / w["read_ms"]
        far = w["remote_chunk_by_chunk_ms"] / w["remote_read_ms"]
        cells = (
            f"{w['points']:,}", f"{w['read_ms']:.2f}", w["read_round_trips"], f"{w['chunk_by_chunk_ms']:.2f}",
            w["chunk_by_chunk_round_trips"], f"{ratio:.1f}x", f"{w['plots_ms']:.2f}",
            f"{w['remote_read_ms']:.2f}", f"{w['remote_chunk_by_chunk_ms']:.2f}", f"{far:.1f}x",
        )  # fmt: skip
        row = "".join(f"{c:>{max(8, len(h) + 2)}}" for c, h in zip(cells, head, strict=True))
        print(f"{'window ' + w['window']:<14}{row}")
    print()
    print(f"overview refresh, {size['queues']} queues: snapshot alone {alone:.2f} ms ({alone_trips} trips),")
    print(f"  with sparklines {with_spark:.2f} ms ({spark_trips} trips), {with_spark / alone:.2f}x")
    result = {
        "size": args.size,
        "reps": reps,
        "rtt_ms": args.rtt_ms,
        "queues": size["queues"],
        "windows": windows,
        "overview_ms": round(alone, 2),
        "overview_round_trips": alone_trips,
        "overview_with_sparklines_ms": round(with_spark, 2),
        "overview_with_sparklines_round_trips": spark_trips,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"metrics-view-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
