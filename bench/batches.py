"""Benchmark: counting batches (RQ groups) by state, against RQ's own Group API.

Seeds a real Redis (embedded) with one big group of jobs ('zz-big') (90% finished, 5% failed, 4% waiting,
1% whose hashes are gone) and many small groups of 10 jobs. Then measures, median of --reps runs:
  - one big batch: rqdata.batches.read_batch (SSCAN + status reads in chunks of 1,000 ids, read only)
    against RQ's way, Group.get_jobs() (cleanup, SMEMBERS, Job.fetch_many of every job) then each
    job's status; with the round trips and the client's peak memory of each;
  - the first page of 50 small batches: rqdata.batches.read_batches against Group.all() (one EXISTS
    per group) and get_jobs() for the 50 first.
RQ's way writes (its cleanup drops the gone ids): they are put back between runs, outside the timing.
Prints a table and writes bench/results/batches-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from rq.group import Group
from rq.job import Job

from queuetui.embedded import EmbeddedRedis
from queuetui.rqdata.batches import GROUPS_SET, group_key, read_batch, read_batches
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from timing import median_ms  # type: ignore[import-not-found]

SIZES: dict[str, dict[str, int]] = {
    "full": {"big": 100_000, "groups": 2_000, "reps": 7},
    "smoke": {"big": 5_000, "groups": 200, "reps": 3},
}
PAGE = 50
BIG = "zz-big"  # last by name: the first page holds the small batches
CHUNK = 10_000
RESULTS = Path(__file__).parent / "results"


def seed(conn: redis.Redis, big: int, groups: int) -> list[str]:
    """The big group BIG and `groups` small ones; returns the big group's gone ids."""
    conn.flushall()
    job = Job.create("app.imports.import_row", args=(1,), connection=conn, origin="default")
    template = {k: v for k, v in job.to_dict().items() if v is not None}
    gone: list[str] = []
    for start in range(0, big, CHUNK):
        pipe = conn.pipeline(transaction=False)
        for i in range(start, min(big, start + CHUNK)):
            job_id = f"big-{i:07d}"
            pipe.sadd(group_key(BIG), job_id)
            if i % 100 == 99:
                gone.append(job_id)
                continue
            status = "failed" if i % 20 == 0 else "queued" if i % 25 == 1 else "finished"
            pipe.hset(f"rq:job:{job_id}", mapping={**template, "status": status, "group_id": BIG})
        pipe.execute()
    pipe = conn.pipeline(transaction=False)
    pipe.sadd(GROUPS_SET, BIG)
    for g in range(groups):
        name = f"g-{g:05d}"
        pipe.sadd(GROUPS_SET, name)
        for i in range(10):
            job_id = f"{name}-{i}"
            pipe.sadd(group_key(name), job_id)
            pipe.hset(f"rq:job:{job_id}", mapping={**template, "status": "finished", "group_id": name})
    pipe.execute()
    return gone


def rq_counts(conn: redis.Redis, name: str) -> Counter[str]:
    """RQ's way: the group's jobs (cleaning it first), then each one's status."""
    statuses = (job.get_status(refresh=False) for job in Group(conn, name).get_jobs())
    return Counter(str(getattr(status, "value", status)) for status in statuses)


def rq_page(conn: redis.Redis) -> list[Counter[str]]:
    names = sorted(g.name for g in Group.all(conn))[:PAGE]
    return [rq_counts(conn, name) for name in names]


def trips_and_peak(
    url: str, fn: Callable[[redis.Redis], Any], reset: Callable[[], None]
) -> tuple[int, float]:
    """Round trips and the client's peak Python memory (MB) of one run."""
    reset()
    counter = RoundTripCounter()
    client = counting_client(url, counter)
    client.ping()
    counter.count = 0
    tracemalloc.start()
    fn(client)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    client.close()
    return counter.count, peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    size = SIZES[args.size]
    reps = args.reps or size["reps"]
    rows: list[dict[str, Any]] = []

    with EmbeddedRedis() as server:
        conn = server.client()
        t0 = time.perf_counter()
        gone = seed(conn, size["big"], size["groups"])
        took = time.perf_counter() - t0
        print(f"seeded a batch of {size['big']:,} jobs and {size['groups']:,} batches of 10 in {took:.1f}s")

        def restore() -> None:  # RQ's cleanup removed the gone ids and emptied groups: put them back
            conn.sadd(group_key(BIG), *gone)
            conn.sadd(GROUPS_SET, BIG)

        ours, batch = median_ms(lambda: read_batch(conn, BIG), reps)
        theirs, counted = median_ms(lambda: rq_counts(conn, BIG), reps, restore)
        assert batch is not None and batch.size == size["big"] and batch.counts["gone"] == len(gone)
        assert sum(counted.values()) == size["big"] - len(gone)  # RQ's way no longer sees the gone ones
        our_trips, our_peak = trips_and_peak(server.url, lambda c: read_batch(c, BIG), restore)
        rq_trips, rq_peak = trips_and_peak(server.url, lambda c: rq_counts(c, BIG), restore)
        rows.append({"what": f"one batch of {size['big']:,} jobs", "queuetui_ms": ours, "rq_ms": theirs,
                     "queuetui_round_trips": our_trips, "rq_round_trips": rq_trips,
                     "queuetui_peak_mb": our_peak, "rq_peak_mb": rq_peak})  # fmt: skip

        ours, page = median_ms(lambda: read_batches(conn, 0, PAGE), reps)
        theirs, other = median_ms(lambda: rq_page(conn), reps, restore)
        assert [b.counts["finished"] for b in page.batches] == [c["finished"] for c in other]
        our_trips, our_peak = trips_and_peak(server.url, lambda c: read_batches(c, 0, PAGE), restore)
        rq_trips, rq_peak = trips_and_peak(server.url, rq_page, restore)
        rows.append({"what": f"first {PAGE} of {size['groups'] + 1:,} batches", "queuetui_ms": ours,
                     "rq_ms": theirs, "queuetui_round_trips": our_trips, "rq_round_trips": rq_trips,
                     "queuetui_peak_mb": our_peak, "rq_peak_mb": rq_peak})  # fmt: skip
        restore()

    print()
    print(f"{'median of ' + str(reps):<34}{'queuetui ms':>12}{'RQ ms':>10}{'ratio':>7}"
          f"{'trips':>8}{'RQ trips':>10}{'peak MB':>9}{'RQ MB':>8}")  # fmt: skip
    for r in rows:
        ratio = r["rq_ms"] / r["queuetui_ms"]
        print(f"{r['what']:<34}{r['queuetui_ms']:>12.1f}{r['rq_ms']:>10.1f}{ratio:>6.1f}x"
              f"{r['queuetui_round_trips']:>8,}{r['rq_round_trips']:>10,}"
              f"{r['queuetui_peak_mb']:>9.1f}{r['rq_peak_mb']:>8.1f}")  # fmt: skip
    print("RQ's way also writes: its cleanup removed the gone ids (the counts above leave them out).")
    RESULTS.mkdir(exist_ok=True)
    measures = [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in rows]
    result = {"size": args.size, "reps": reps, "seed": size, "page": PAGE, "measures": measures}
    (RESULTS / f"batches-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
