"""Benchmark: exporting and importing a schedules file of --size schedules, on a SQLite file.

Builds --size schedules with every field set (arguments, tags, retries, policies, zones with and
without DST), then per format (TOML, JSON, CSV): the export, an import into an empty database
(read, check and plan, apply, each timed), the same file imported again (nothing to change), and a
file changing every schedule's cron. Prints a table and writes bench/results/transfer-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from queuetui.audit import Actor, Audit
from queuetui.db.engine import open_database
from queuetui.schedule import transfer
from queuetui.schedule.store import ScheduleStore

SIZES = {"full": 10_000, "smoke": 500}
ZONES = ("UTC", "Europe/Rome", "America/New_York", "Asia/Tokyo", "America/Santiago")
FUNCTIONS = ("json:dumps", "os.path:join", "time:sleep")
RESULTS = Path(__file__).parent / "results"


def rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"schedule-{i:06d}",
            "description": f"Report {i}, with a comma",
            "func": FUNCTIONS[i % len(FUNCTIONS)],
            "args": [i, "x"],
            "kwargs": {"tenant": f"t{i % 7}", "limit": None},
            "cron": f"{i % 60} {i % 24} * * {'1-5' if i % 2 else '*'}",
            "timezone": ZONES[i % len(ZONES)],
            "queue": ("default", "low", "high")[i % 3],
            "job_timeout": 300 if i % 2 else None,
            "retry_max": i % 4,
            "retry_intervals": [10, 60][: i % 3],
            "enabled": i % 10 != 0,
            "overlap": ("allow", "skip", "queue")[i % 3],
            "tags": ["billing", f"team-{i % 5}"],
            "meta": {"owner": "ops"},
            "keep_runs": 500,
        }
        for i in range(count)
    ]


def store_at(path: Path) -> ScheduleStore:
    sessions = open_database(f"sqlite:///{path}")
    return ScheduleStore(sessions, Audit(sessions, actor=Actor("bench", "local")))


def timed(call: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    count = SIZES[parser.parse_args().size]
    size = parser.parse_args().size
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        source = store_at(Path(folder) / "source.db")
        seeded = transfer.run_import(source, "seed.json", json.dumps(rows(count)).encode(), "json")
        assert seeded.clean and seeded.run.added == count, seeded.plan.errors[:3]
        for fmt in transfer.FORMATS:
            text, export_s = timed(lambda fmt=fmt: transfer.export(source.schedules(), fmt))
            data = text.encode()
            target = store_at(Path(folder) / f"{fmt}.db")
            read, read_s = timed(lambda data=data, fmt=fmt: transfer.read(data, fmt))
            planned, plan_s = timed(lambda t=target, r=read, fmt=fmt: transfer.plan(t, "bench", fmt, r))
            applied, apply_s = timed(lambda t=target, p=planned: transfer.apply(t, p))
            assert applied.clean and applied.run.added == count
            again, again_s = timed(lambda t=target, d=data, fmt=fmt: transfer.run_import(t, "bench", d, fmt))
            assert again.run.unchanged == count
            moved = text.replace(" * * *", " * * 0").replace(" * * 1-5", " * * 1-4").encode()
            changed, change_s = timed(
                lambda t=target, d=moved, fmt=fmt: transfer.run_import(t, "bench", d, fmt)
            )
            assert changed.clean and changed.run.changed == count
            results[fmt] = {
                "export_s": round(export_s, 2),
                "read_s": round(read_s, 2),
                "check_and_plan_s": round(plan_s, 2),
                "apply_s": round(apply_s, 2),
                "import_s": round(read_s + plan_s + apply_s, 2),
                "reimport_unchanged_s": round(again_s, 2),
                "import_all_changed_s": round(change_s, 2),
                "bytes": len(data),
            }
    print(f"{count:,} schedules, every field set, on SQLite")
    columns = (
        "export_s",
        "read_s",
        "check_and_plan_s",
        "apply_s",
        "reimport_unchanged_s",
        "import_all_changed_s",
    )
    print(f"{'format':<8}" + "".join(f"{c.removesuffix('_s'):>22}" for c in columns))
    for fmt, row in results.items():
        print(f"{fmt:<8}" + "".join(f"{row[c]:>21.2f}s" for c in columns))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"transfer-{size}.json").write_text(
        json.dumps({"size": size, "schedules": count, **results}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
