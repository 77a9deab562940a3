"""What a schedule looks like to people, shared by the console and the CLI: list columns and cells."""

from __future__ import annotations

from datetime import datetime

from queuetui import fmt
from queuetui.present.table import Column
from queuetui.schedule.listing import ScheduleRow

COLUMNS: dict[str, Column] = {
    "name": Column("Schedule", 14, flex=2, max_width=40),
    "when": Column("When", 16, flex=3, max_width=60),
    "cron": Column("Cron", 11, flex=1, max_width=24),
    "zone": Column("Zone", 8, flex=1, max_width=20),
    "next": Column("Next", 11),
    "in": Column("In", 6, right=True),
    "last": Column("Last", 8),
    "ran": Column("Ran", 6, right=True),
    "state": Column("State", 8),
    "tags": Column("Tags", 6, flex=1, max_width=30),
}
WIDE = ("name", "when", "cron", "zone", "next", "in", "last", "ran", "state", "tags")
MEDIUM = ("name", "when", "cron", "zone", "next", "in", "last", "state")
NARROW = ("name", "when", "next", "in", "last", "state")


def columns_for(width: int) -> tuple[str, ...]:
    """Fewer columns on narrower terminals (80x24 keeps name, when, next, in, last and state)."""
    return WIDE if width >= 150 else MEDIUM if width >= 110 else NARROW


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
