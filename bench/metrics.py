"""Benchmark: the metrics sampler's cost per sample, and its series' memory over a long run.

Two phases on an embedded Redis, with a frozen clock moved 10 s per sample:
  busy  --queues queues each see --ended jobs end between two samples (half finished, half failed,
        over --functions functions and TENANTS tenants, written as RQ writes them: job hash with its
        meta, registry entry, result stream); the median wall time and round trips of a sample,
        --reps times with the per-tenant split ([tenants] metrics_top 10) and --reps times without
        (metrics_top 0), alternately;
  long  a simulated run with a few jobs ending per queue each sample (older ones expire as RQ's
        TTLs would): past the longest retention and a chunk (every series full), then two windows
        of a COARSE chunk each (a whole cycle of chunks filling and expiring), the series' bytes
        and keys every 20 samples; the second window's peak must not exceed the first's (flat).
Full size keeps the real 24 hours of samples and shortens the 5-minute roll-ups to 6 hours (30 days
would take months of samples); smoke shrinks both (10 and 30 minutes) and runs in seconds. Prints
a table and writes bench/results/metrics-<size>.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import pickle
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from rq.job import Job

from queuetui.clock import FrozenClock
from queuetui.config import TenantSettings
from queuetui.embedded import EmbeddedRedis
from queuetui.metrics.sampler import Sampler
from queuetui.metrics.series import COARSE, FINE, PREFIX, Resolution, memory
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client

SIZES: dict[str, dict[str, Any]] = {
    "full": {"queues": 50, "ended": 400, "functions": 10, "reps": 20, "fine": FINE,
             "coarse": Resolution("coarse", COARSE.step, 6 * 3600)},
    "smoke": {"queues": 5, "ended": 100, "functions": 3, "reps": 5, "fine": Resolution("fine", 10, 600),
              "coarse": Resolution("coarse", 30, 1800)},
}  # fmt: skip
RESULTS = Path(__file__).parent / "results"
TENANTS = 20
"""Tenants the jobs belong to: more than metrics_top, so (other) is exercised too."""


class Workload:
    """Jobs ending as an RQ worker leaves them, with scores that grow like RQ's (end time + TTL)."""

    def __init__(self, conn: redis.Redis, queues: int, functions: int) -> None:
        self.conn = conn
        self.queues = [f"q{i:02d}" for i in range(queues)]
        self.templates = []
        for k in range(functions):
            job = Job.create(f"app.tasks.task_{k}", args=(k,), connection=conn)
            self.templates.append({key: v for key, v in job.to_dict().items() if v is not None})
        self.metas = [pickle.dumps({"tenant": f"tenant-{t:02d}"}) for t in range(TENANTS)]  # as RQ saves meta
        self.serial = 0
        self.score = time.time() + 500
        self.alive: collections.deque[tuple[float, list[str]]] = collections.deque()
        """(score, job ids) of the jobs still kept, oldest first."""
        for queue in self.queues:
            conn.sadd("rq:queues", f"rq:queue:{queue}")

    def end(self, per_queue: int, expire_before: float | None = None) -> None:
        """`per_queue` jobs end in every queue (half fail); entries scored below `expire_before` go."""
        self.score += 10
        pipe = self.conn.pipeline(transaction=False)
        now = time.time()
        ids: list[str] = []
        for queue in self.queues:
            for n in range(per_queue):
                self.serial += 1
                job_id = f"j{self.serial}"
                ids.append(job_id)
                failed = n % 2 == 1
                fields = {**self.templates[n % len(self.templates)], "origin": queue,
                          "status": "failed" if failed else "finished",
                          "meta": self.metas[(self.serial * 7) % TENANTS]}  # fmt: skip
                pipe.hset(f"rq:job:{job_id}", mapping=fields)
                pipe.zadd(f"rq:{'failed' if failed else 'finished'}:{queue}", {job_id: self.score})
                took = 0.05 + (n % 17) * 0.1
                pipe.xadd(f"rq:results:{job_id}", {"type": 2 if failed else 1, "worker_name": "w1",
                          "execution_started_at": now - took, "execution_ended_at": now})  # fmt: skip
            if expire_before is not None:
                for registry in ("finished", "failed"):
                    pipe.zremrangebyscore(f"rq:{registry}:{queue}", "-inf", f"({expire_before}")
        self.alive.append((self.score, ids))
        while expire_before is not None and self.alive and self.alive[0][0] < expire_before:
            for job_id in self.alive.popleft()[1]:  # their hashes and results expire with them
                pipe.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
        pipe.execute()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    args = parser.parse_args()
    size = SIZES[args.size]
    fine, coarse = size["fine"], size["coarse"]

    with EmbeddedRedis() as server:
        conn = server.client()
        counter = RoundTripCounter()
        client = counting_client(server.url, counter)
        clock = FrozenClock(datetime(2026, 11, 23, tzinfo=UTC))
        sampler = Sampler(client, instance="bench", clock=clock, fine=fine, coarse=coarse)
        work = Workload(conn, size["queues"], size["functions"])
        sampler.sample()

        split, unsplit = TenantSettings(), TenantSettings(metrics_top=0)
        times: dict[int, list[float]] = {split.metrics_top: [], 0: []}
        trips: dict[int, list[int]] = {split.metrics_top: [], 0: []}
        for rep in range(2 * size["reps"]):
            sampler.tenants = split if rep % 2 else unsplit
            work.end(size["ended"])
            clock.advance(10)
            counter.count = 0
            start = time.perf_counter()
            sample = sampler.sample()
            times[sampler.tenants.metrics_top].append(time.perf_counter() - start)
            trips[sampler.tenants.metrics_top].append(counter.count)
            assert sample is not None
            ended = size["ended"] * size["queues"]
            assert sum(p.finished + p.failures for p in sample.queues.values()) == ended
            if sampler.tenants is split:
                assert sum(p.finished + p.failures for p in sample.tenants.values()) == ended
        busy_ms = statistics.median(times[split.metrics_top]) * 1000
        unsplit_ms = statistics.median(times[0]) * 1000
        sampler.tenants = split

        def run(count: int) -> list[tuple[int, int]]:
            seen = []
            for i in range(count):
                work.end(2, expire_before=work.score - 30)
                clock.advance(10)
                assert sampler.sample() is not None
                if i % 20 == 19:
                    seen.append((memory(conn), len(list(conn.scan_iter(match=f"{PREFIX}:*")))))
            return seen

        long_start = time.perf_counter()
        warm = int((max(fine.retention, coarse.retention) + coarse.span) // 10)
        cycle = int(coarse.span // 10)
        run(warm)
        first, second = run(cycle), run(cycle)
        long_s = time.perf_counter() - long_start
        samples = warm + 2 * cycle
        half = {"bytes": max(b for b, _ in first), "keys": max(k for _, k in first)}
        end = {"bytes": max(b for b, _ in second), "keys": max(k for _, k in second)}

    result = {
        "size": args.size,
        "queues": size["queues"],
        "jobs_ended_per_sample": size["ended"] * size["queues"],
        "sample_ms": round(busy_ms, 2),
        "sample_ms_without_tenants": round(unsplit_ms, 2),
        "round_trips": min(trips[split.metrics_top]),
        "round_trips_without_tenants": min(trips[0]),
        "simulated_hours": round(samples * 10 / 3600, 1),
        "long_run_seconds": round(long_s, 1),
        "series_peak_bytes_first_window": half["bytes"],
        "series_peak_bytes_second_window": end["bytes"],
        "series_keys": [half["keys"], end["keys"]],
        "retention": {"fine": [fine.step, fine.retention], "coarse": [coarse.step, coarse.retention]},
    }
    print(f"{size['queues']} queues, {size['ended'] * size['queues']:,} jobs ended between two samples:")
    print(
        f"  a sample: {busy_ms:.2f} ms median of {size['reps']} split by {TENANTS} tenants (top 10 + other), "
        f"{unsplit_ms:.2f} ms without; {result['round_trips']} round trips outside roll-ups "
        f"({result['round_trips_without_tenants']} without the split)"
    )
    print(
        f"{result['simulated_hours']} simulated hours ({samples:,} samples in {long_s:.1f} s): series "
        f"peak {half['bytes'] / 1e6:.2f} MB in the first window, {end['bytes'] / 1e6:.2f} MB in the second, "
        f"{end['keys']} keys"
    )
    if end["bytes"] > half["bytes"] * 1.05 or end["keys"] != half["keys"]:
        raise SystemExit("series memory grew in the second half of the run")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"metrics-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
