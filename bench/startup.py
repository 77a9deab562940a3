"""Benchmark: how fast the CLI starts and answers, against `rq info` on the same Redis.

Seeds a small deployment in a real Redis (embedded unless --redis-url): four queues with a few jobs
in each registry and two registered workers. Then runs, as whole processes, in turn (A B A B ...):
  - `queuetui stats` against `rq info` (the nearest thing RQ ships: counts by queue and workers),
  - `queuetui jobs list -q default -r failed` against `rq info`,
  - `queuetui --help` against `rq --help`,
and prints each pair's medians and the ratio of medians (queuetui / rq; below 1 is faster). Writes
bench/results/startup-<size>.json. Both tools run from this venv's bin, so the Python is the same.
queuetui's modules are byte-compiled first, as pip does for every installed wheel (RQ's are), since an
editable install under PYTHONDONTWRITEBYTECODE would otherwise compile them from source at each start.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import redis
from rq import Queue, SimpleWorker, Worker

import queuetui as package
from queuetui.embedded import EmbeddedRedis

SIZES = {"full": {"runs": 20}, "smoke": {"runs": 3}}
QUEUES = ("critical", "high", "default", "low")
RESULTS = Path(__file__).parent / "results"
BIN = Path(sys.executable).parent


def seed(conn: redis.Redis) -> None:
    """A few jobs in every queue (some failed), two registered idle workers."""
    conn.flushall()
    for name in QUEUES:
        q = Queue(name, connection=conn)
        for n in range(5):
            q.enqueue("builtins.len", [n] * n)
        q.enqueue("builtins.int", "not a number")
    SimpleWorker([Queue("default", connection=conn)], connection=conn).work(burst=True, logging_level="ERROR")
    for n in QUEUES:
        Queue(n, connection=conn).enqueue("builtins.len", "waiting")
    for n in range(2):
        Worker([Queue(q, connection=conn) for q in QUEUES], connection=conn, name=f"w{n}").register_birth()


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run of `argv` as a process; it must succeed."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def pair(a: list[str], b: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall seconds of `a` and of `b`, run in turn (one warm run each first)."""
    timed(a, env)
    timed(b, env)
    ta, tb = [], []
    for _ in range(runs):
        ta.append(timed(a, env))
        tb.append(timed(b, env))
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    runs = SIZES[args.size]["runs"]
    compileall.compile_dir(Path(package.__file__).parent, quiet=1)
    server = None if args.redis_url else EmbeddedRedis().start()
    url = args.redis_url or server.url  # type: ignore[union-attr]
    try:
        conn = redis.Redis.from_url(url)
        seed(conn)
        env = {**os.environ, "QUEUETUI_REDIS_URL": url, "RQ_REDIS_URL": url}
        queuetui, rq = str(BIN / "queuetui"), str(BIN / "rq")
        cases = {
            "stats vs rq info": ([queuetui, "stats"], [rq, "info", "--url", url]),
            "jobs list (failed) vs rq info": (
                [queuetui, "jobs", "list", "-q", "default", "-r", "failed"],
                [rq, "info", "--url", url],
            ),
            "--help vs rq --help": ([queuetui, "--help"], [rq, "--help"]),
        }
        rows = []
        print(f"startup, {runs} runs each in turn, median wall time (load {os.getloadavg()[0]:.1f})")
        print(f"{'case':<32} {'queuetui':>10} {'rq':>10} {'ratio':>7}")
        for name, (a, b) in cases.items():
            ours, theirs = pair(a, b, env, runs)
            ratio = ours / theirs
            rows.append({"case": name, "queuetui_s": ours, "rq_s": theirs, "ratio": ratio})
            print(f"{name:<32} {ours * 1000:>8.0f}ms {theirs * 1000:>8.0f}ms {ratio:>7.2f}")
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"startup-{args.size}.json"
        out.write_text(json.dumps({"runs": runs, "load": os.getloadavg()[0], "cases": rows}, indent=2))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
