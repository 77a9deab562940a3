"""What a schedule looks like to people, shared by the console and the CLI: list columns and cells."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from queuetui import fmt
from queuetui.db.models import Schedule, ScheduleRun
from queuetui.present.table import Column, fitting
from queuetui.present.text import safe
from queuetui.schedule.listing import ScheduleRow
from queuetui.schedule.store import FIELDS

# The name, what it runs when, in which zone (the When reads in it) and the next run stay at any width;
# the others give way, the highest give_way first: at 80 columns the list keeps Schedule, When, Zone,
# Next and Last. The cron column is wide enough for a 6-field `*/30 * * * * *` and is cut only at a
# field, with a separate marker (table.fit_fields).
COLUMNS: dict[str, Column] = {
    "name": Column("Schedule", 14, flex=2, max_width=40),
    "when": Column("When", 16, flex=3, max_width=60),
    "cron": Column("Cron", 14, flex=1, max_width=24, give_way=4),
    "zone": Column("Zone", 11, flex=1, max_width=20, keep_end=True),  # '…a/New_York'
    "next": Column("Next", 11),
    "in": Column("In", 6, right=True, give_way=3),
    "last": Column("Last", 8, give_way=1),
    "ran": Column("Ran", 6, right=True, give_way=5),
    "state": Column("State", 8, give_way=2),
    "tags": Column("Tags", 6, flex=1, max_width=30, give_way=6),
}
WIDE = ("name", "when", "cron", "zone", "next", "in", "last", "ran", "state", "tags")


def columns_for(width: int, padding: int = 2) -> tuple[str, ...]:
    """The columns a list `width` cells wide shows (table.fitting)."""
    return fitting(COLUMNS, WIDE, width, padding)


def cell(row: ScheduleRow, name: str, now: datetime) -> str:
    """The text of one cell."""
    if name == "name":
        return row.name
    if name == "when":
        return row.description
    if name == "cron":
        return row.cron
    if name == "zone":
        return row.timezone
    if name == "next":
        return fmt.short_time(row.next_fire_at) if row.next_fire_at and row.enabled else "-"
    if name == "in":
        if not row.enabled or row.next_fire_at is None:
            return "-"
        return fmt.age(max(0.0, (row.next_fire_at - now).total_seconds()))
    if name == "last":
        return row.last.state if row.last else "-"
    if name == "ran":
        return fmt.duration(row.last.duration) if row.last else "-"
    if name == "state":
        return row.state(now)
    if name == "tags":
        return ",".join(row.tags) or "-"
    raise KeyError(name)


def sort_value(row: ScheduleRow, name: str, now: datetime) -> object:
    """What a column sorts by: the next run by time, the last run's duration in seconds, the rest by text."""
    if name in ("next", "in"):
        return row.next_fire_at if row.enabled else None
    if name == "ran":
        return row.last.duration if row.last else None
    return cell(row, name, now)


STATE_STYLES = {
    "finished": "green",
    "failed": "bold red",
    "stopped": "red",
    "missed": "yellow",
    "late": "yellow",
    "unknown": "magenta",
    "skipped": "dim",
    "started": "cyan",
    "queued": "",
    "enabled": "green",
    "disabled": "dim",
    "snoozed": "yellow",
}


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    """Every field of one schedule (`schedules show --json`)."""
    data = {"name": schedule.name, **{f: getattr(schedule, f) for f in FIELDS}}
    for key in ("snoozed_until", "next_fire_at", "last_fire_at", "created_at", "updated_at"):
        data[key] = _when(getattr(schedule, key))
    data.update(created_by=schedule.created_by, updated_by=schedule.updated_by, version=schedule.version)
    return data


def schedule_lines(data: dict[str, Any]) -> list[str]:
    """`schedules show`: a 'field  value' line a field of schedule_json, lists and tables as JSON."""
    return [
        f"{key:<18} {safe(json.dumps(value) if isinstance(value, list | dict) else value)}"
        for key, value in data.items()
    ]


def run_json(run: ScheduleRun) -> dict[str, Any]:
    """One run of a schedule (`schedules history --json`)."""
    times = {k: _when(getattr(run, k)) for k in ("fire_time", "enqueued_at", "started_at", "ended_at")}
    fields = ("job_id", "trigger", "state", "reason", "duration", "worker", "exception")
    return {**times, **{k: getattr(run, k) for k in fields}}


def run_line(run: ScheduleRun) -> str:
    """One run as a line: fire time, trigger, state, how long it took, its job and why."""
    took = fmt.duration(run.duration) if run.duration is not None else "-"
    when, note = fmt.short_time(run.fire_time), run.exception or run.reason
    return safe(f"{when}  {run.trigger:<9} {run.state:<9} {took:>8}  {run.job_id}  {note}")


def listing_json(row: ScheduleRow, now: datetime) -> dict[str, Any]:
    """One schedule as the list shows it (`schedules list --json`)."""
    last = row.last and {"state": row.last.state, "fire_time": _when(row.last.fire_time),
                         "duration": row.last.duration}  # fmt: skip
    return {
        "name": row.name, "cron": row.cron, "description": row.description, "timezone": row.timezone,
        "queue": row.queue, "func": row.func, "enabled": row.enabled, "state": row.state(now),
        "snoozed_until": _when(row.snoozed_until), "next_fire_at": _when(row.next_fire_at),
        "tags": list(row.tags), "last": last or None,
    }  # fmt: skip
