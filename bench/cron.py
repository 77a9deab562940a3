"""Benchmark: the next fire time of many schedules, the scheduler daemon's hot path.

Builds --size schedules from everyday expressions (H hashed from each schedule's name, some with
L, W or #, one that fires only on Feb 29) spread over zones with and without DST, then measures,
per schedule: parsing once, and one next fire from a random instant of 2026 (mean, p99, max). For
comparison, cronsim's first fire for the same schedules and instants (those it can read: no nW),
building a CronSim per call as it needs. Prints a table and writes bench/results/cron-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cronsim import CronSim

from queuetui.schedule.cron import Cron, parse

SIZES = {"full": 100_000, "smoke": 5_000}
TEMPLATES = (
    "H * * * *",
    "H/15 * * * *",
    "*/5 * * * *",
    "H H * * *",
    "H H * * 1-5",
    "30 2 * * *",
    "0 9 * * MON-FRI",
    "15,45 8-18 * * 1-5",
    "0 */2 * * *",
    "H H 1 * *",
    "0 0 L * *",
    "0 8 15W * *",
    "0 6 * * 5L",
    "0 10 * * 1#2",
    "H H(0-5) * * 0",
    "0 0 29 2 *",
)
ZONES = ("UTC", "Europe/Rome", "America/New_York", "Australia/Lord_Howe", "Asia/Tokyo", "America/Santiago")
RESULTS = Path(__file__).parent / "results"


def timed_us(calls: list[Any]) -> list[float]:
    """Microseconds taken by each zero-argument call."""
    times = []
    for call in calls:
        start = time.perf_counter_ns()
        call()
        times.append((time.perf_counter_ns() - start) / 1000)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "mean_us": round(statistics.fmean(ordered), 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99)], 1),
        "max_us": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    args = parser.parse_args()
    count = SIZES[args.size]
    rng = random.Random(7)
    specs = [(rng.choice(TEMPLATES), f"schedule-{i}", ZoneInfo(rng.choice(ZONES))) for i in range(count)]
    instants = [
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(365 * 86400)) for _ in specs
    ]

    parse(TEMPLATES[0], "warm-up")  # the first call compiles regular expressions
    crons: list[Cron] = []
    parsing = timed_us([lambda e=expr, n=name: crons.append(parse(e, n)) for expr, name, _ in specs])
    ours = timed_us(
        [
            lambda c=c, at=at, z=z: c.next_fire(at, z)
            for c, at, (_, _, z) in zip(crons, instants, specs, strict=True)
        ]
    )
    readable = [
        (c.expression, at.astimezone(z))
        for c, at, (_, _, z) in zip(crons, instants, specs, strict=True)
        if not c.nearest_workdays
    ]
    theirs = timed_us([lambda e=e, at=at: next(CronSim(e, at)) for e, at in readable])

    rows = {"parse": summary(parsing), "next fire": summary(ours), "cronsim next fire": summary(theirs)}
    print(
        f"{count:,} schedules, {len(TEMPLATES)} expressions, {len(ZONES)} zones; cronsim on {len(readable):,}"
    )
    print(f"{'per schedule':<20}{'mean µs':>10}{'p99 µs':>10}{'max µs':>10}")
    for label, row in rows.items():
        print(f"{label:<20}{row['mean_us']:>10.1f}{row['p99_us']:>10.1f}{row['max_us']:>10.1f}")
    print(f"next fire for all {count:,}: {sum(ours) / 1e6:.2f} s")
    RESULTS.mkdir(exist_ok=True)
    result = {"size": args.size, "schedules": count, "templates": TEMPLATES, "zones": ZONES, **rows}
    (RESULTS / f"cron-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
