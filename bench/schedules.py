"""Benchmark: the schedules list at 100,000 schedules, in the read layer and in the console.

Seeds --size schedules (everyday expressions, tags, a tenth disabled) with a run each into a SQLite
file, then measures (median of --repeat):
  - queuetui's list: the first page (100 rows with their last runs and English descriptions), a
    page deep in the list, a search by tag and a free-text search;
  - the naive way a dashboard lists schedules: load every schedule, sort in Python, take 100;
  - the console: pressing `s` on the overview until the first page is on screen, and a search
    typed at the prompt until its result is on screen (headless, the same app as the terminal);
  - the forecast of the next 24 hours over every schedule.
Prints a table and writes bench/results/schedules-<size>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from queuetui.clock import FrozenClock
from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.db.models import Schedule, ScheduleRun
from queuetui.embedded import EmbeddedRedis
from queuetui.schedule.cron import get_zone, parse
from queuetui.schedule.forecast import forecast
from queuetui.schedule.listing import list_schedules

SIZES = {"full": 100_000, "smoke": 3_000}
TEMPLATES = (
    "H * * * *",
    "H/15 * * * *",
    "*/5 * * * *",
    "H H * * *",
    "H H * * 1-5",
    "30 2 * * *",
    "0 9 * * MON-FRI",
)
ZONES = ("UTC", "Europe/Rome", "America/New_York", "Asia/Tokyo")
TAGS = ("billing", "emails", "reports", "sync", "imports", "maintenance")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results"


def seed(sessions: sessionmaker[Session], count: int) -> None:
    rng = random.Random(11)
    rows = []
    for i in range(count):
        name, expression, zone = f"job-{i:06d}", rng.choice(TEMPLATES), rng.choice(ZONES)
        fire = parse(expression, name).next_fire(NOW, get_zone(zone))
        rows.append(
            {"name": name, "func": "app.tasks:run", "cron": expression, "timezone": zone, "queue": "default",
             "args": [], "kwargs": {}, "meta": {}, "retry_intervals": [], "tags": [rng.choice(TAGS)],
             "description": f"task {i}", "enabled": i % 10 != 0, "created_at": NOW, "updated_at": NOW,
             "version": 1, "next_fire_at": fire.astimezone(UTC) if fire else None}
        )  # fmt: skip
    with sessions.begin() as session:
        for start in range(0, count, 10_000):
            session.execute(insert(Schedule), rows[start : start + 10_000])
        ids = list(session.scalars(select(Schedule.id)))
        runs = [
            {"schedule_id": sid, "fire_time": NOW - timedelta(hours=1), "job_id": f"qt-{sid}-x",
             "state": "finished", "trigger": "cron", "reason": "", "worker": "w1", "exception": "",
             "duration": 1.5}
            for sid in ids
        ]  # fmt: skip
        for start in range(0, len(runs), 10_000):
            session.execute(insert(ScheduleRun), runs[start : start + 10_000])


def median_ms(call: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def naive_first_page(sessions: sessionmaker[Session]) -> list[str]:
    """Every schedule loaded and sorted in Python, the first 100 kept (a dashboard without paging)."""
    with sessions.begin() as session:
        every = list(session.scalars(select(Schedule)))
    far = datetime.max.replace(tzinfo=UTC)
    every.sort(key=lambda s: (not s.enabled, s.next_fire_at or far, s.name))
    return [s.name for s in every[:100]]


async def console_timings(sessions: sessionmaker[Session], url: str, repeat: int) -> dict[str, float]:
    """Milliseconds from the key press to the rows on screen: opening the list, then a search."""
    from queuetui.tui.app import QueueTUI
    from queuetui.tui.screens.schedules import SchedulesScreen

    opened, searched = [], []
    for _ in range(repeat):
        app = QueueTUI(Settings(redis_url=url, refresh=3600), clock=FrozenClock(NOW), sessions=sessions)
        async with app.run_test(size=(120, 40)) as pilot:
            start = time.perf_counter()
            await pilot.press("s")
            while not (isinstance(app.screen, SchedulesScreen) and app.screen.loaded):
                await pilot.pause(0.001)
            opened.append((time.perf_counter() - start) * 1000)
            screen = app.screen
            screen.apply_search("tag:reports")
            start = time.perf_counter()
            while not (screen.loaded and screen.search == "tag:reports"):
                await pilot.pause(0.001)
            searched.append((time.perf_counter() - start) * 1000)
    return {
        "open_ms": round(statistics.median(opened), 1),
        "search_ms": round(statistics.median(searched), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--repeat", type=int, default=0, help="Runs per figure (default 15 full, 3 smoke).")
    args = parser.parse_args()
    count = SIZES[args.size]
    repeat = args.repeat or (15 if args.size == "full" else 3)
    with tempfile.TemporaryDirectory() as folder, EmbeddedRedis() as server:
        sessions = open_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        started = time.perf_counter()
        seed(sessions, count)
        seeded = time.perf_counter() - started
        results: dict[str, Any] = {"size": count, "seed_s": round(seeded, 1)}
        results["first_page_ms"] = median_ms(lambda: list_schedules(sessions), repeat)
        results["deep_page_ms"] = median_ms(lambda: list_schedules(sessions, offset=count // 2), repeat)
        results["tag_search_ms"] = median_ms(lambda: list_schedules(sessions, search="tag:reports"), repeat)
        results["text_search_ms"] = median_ms(lambda: list_schedules(sessions, search="task 4242"), repeat)
        results["naive_first_page_ms"] = median_ms(lambda: naive_first_page(sessions), max(3, repeat // 5))
        results["console"] = asyncio.run(console_timings(sessions, server.url, max(3, repeat // 5)))
        results["forecast_s"] = round(median_ms(lambda: forecast(sessions, NOW), 1) / 1000, 2)
    ratio = results["naive_first_page_ms"] / results["first_page_ms"]
    print(f"\nSchedules list, {count:,} schedules (median of {repeat}; SQLite, 2 cores)\n")
    print(f"{'':38}{'queuetui':>12}{'load all + sort':>18}")
    print(f"{'first page (100 rows, last runs)':38}{results['first_page_ms']:>10} ms"
          f"{results['naive_first_page_ms']:>15} ms   {ratio:.0f}x")  # fmt: skip
    print(f"{'page at the middle':38}{results['deep_page_ms']:>10} ms")
    print(f"{'search tag:reports':38}{results['tag_search_ms']:>10} ms")
    print(f"{'search free text':38}{results['text_search_ms']:>10} ms")
    print(f"{'console: s until rows on screen':38}{results['console']['open_ms']:>10} ms")
    print(f"{'console: search until rows on screen':38}{results['console']['search_ms']:>10} ms")
    print(f"{'forecast, next 24 h, every schedule':38}{results['forecast_s']:>10} s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"schedules-{args.size}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
