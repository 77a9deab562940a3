"""Benchmark: how long the demo takes to give the shell back once told to stop, and what it leaves.

Runs `queuetui demo --no-console` (the console's `q` ends in the same DemoBackend.stop), waits until
both workers are running a job (the case a warm shutdown waits on), sends SIGINT and measures the time
until the process has exited; then checks that no process of it is left and its temporary directory
is gone. Prints the median and the worst of the runs and writes bench/results/demo_quit-<size>.json.
There is no other tool to compare with: the figure is the wait an operator sees after `q`.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import redis

SIZES = {"full": {"runs": 10}, "smoke": {"runs": 2}}
RESULTS = Path(__file__).parent / "results"


def wait_until(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the demo")
        time.sleep(0.05)


def busy_workers(client: redis.Redis) -> int:
    """Jobs running now: the entries of every queue's StartedJobRegistry (RQ 3.0's rq:wip:QUEUE)."""
    return sum(client.zcard(key) for key in client.scan_iter("rq:wip:*"))


def one_run() -> dict[str, object]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "queuetui", "demo", "--no-console"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(4)]
    url = lines[0].split("Redis at ", 1)[1].strip()
    folder = Path(lines[3].split("logs:", 1)[1].strip())
    client = redis.Redis.from_url(url)
    wait_until(lambda: busy_workers(client) >= 2)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(60)
    took = time.monotonic() - start
    port = url.rsplit(":", 1)[1].split("/")[0]
    left = subprocess.run(["pgrep", "-f", f"127.0.0.1:{port}|--redis-url {url}"], capture_output=True)
    return {"seconds": took, "processes_left": len(left.stdout.split()), "directory_left": folder.exists()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="smoke")
    args = parser.parse_args()
    runs = [one_run() for _ in range(SIZES[args.size]["runs"])]
    seconds = [float(r["seconds"]) for r in runs]  # type: ignore[arg-type]
    result = {
        "size": args.size,
        "runs": runs,
        "median_s": statistics.median(seconds),
        "max_s": max(seconds),
        "processes_left": sum(int(r["processes_left"]) for r in runs),  # type: ignore[call-overload]
        "directories_left": sum(bool(r["directory_left"]) for r in runs),
    }
    print(f"demo stop with both workers busy, {len(runs)} runs:")
    print(f"  SIGINT to exit: median {result['median_s']:.2f} s, worst {result['max_s']:.2f} s")
    left = result["processes_left"], result["directories_left"]
    print(f"  processes left: {left[0]}, temporary directories left: {left[1]}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"demo_quit-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
