"""What a batch looks like to people, shared by the console and the CLI: columns, progress bar, JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from queuetui import fmt
from queuetui.present.table import Column, column_widths, plain_table
from queuetui.present.text import safe
from queuetui.rqdata.batches import STATES, Batch

COLUMN_NAMES = (
    "name", "progress", "size", "waiting", "running", "deferred", "scheduled", "finished", "failed",
    "canceled", "gone", "created", "oldest",
)  # fmt: skip
COLUMNS: dict[str, Column] = {
    "name": Column("Batch", 14, flex=3, max_width=40),
    "progress": Column("Progress", 10, flex=1, max_width=24),
    "size": Column("Size", 5, right=True),
    "waiting": Column("Wait", 5, right=True),
    "running": Column("Run", 4, right=True),
    "deferred": Column("Def", 4, right=True),
    "scheduled": Column("Sch", 4, right=True),
    "finished": Column("Done", 5, right=True),
    "failed": Column("Fail", 5, right=True),
    "canceled": Column("Canc", 4, right=True),
    "gone": Column("Gone", 4, right=True),
    "created": Column("Created", 11),
    "oldest": Column("Oldest", 12, flex=1, max_width=40),
}
NARROW = ("name", "progress", "size", "waiting", "running", "finished", "failed", "oldest")
"""The columns that fit 80 cells; the rest show from WIDE cells on."""
WIDE = 116


def progress_bar(batch: Batch, width: int) -> str:
    """'██████░░░░ 60%': done over size as a bar `width` cells wide, the share after it."""
    share = f"{int(batch.progress * 100)}%".rjust(4)  # up to '100%': every bar the same length
    cells = max(1, width - len(share) - 1)
    filled = int(batch.progress * cells) if batch.size else 0
    return "█" * filled + "░" * (cells - filled) + " " + share


def oldest_pending(batch: Batch, now: datetime) -> str:
    """'12m n-0007': how long the oldest waiting, deferred or scheduled job has existed, and its id."""
    if not batch.oldest_pending_id:
        return "-"
    moment = batch.oldest_pending_at
    return f"{fmt.age(None if moment is None else (now - moment).total_seconds())} {batch.oldest_pending_id}"


_CELLS: dict[str, Callable[[Batch, datetime, int], str]] = {
    "name": lambda b, now, w: b.name,
    "progress": lambda b, now, w: progress_bar(b, w),
    "size": lambda b, now, w: fmt.compact(b.size),
    "created": lambda b, now, w: fmt.short_time(b.created_at),
    "oldest": lambda b, now, w: oldest_pending(b, now),
}


def cell(batch: Batch, column: str, now: datetime, width: int = 20) -> str:
    if column in STATES:
        return fmt.compact(batch.counts[column])
    return _CELLS[column](batch, now, width)


def sort_value(batch: Batch, column: str, now: datetime) -> object:
    """What a column sorts by: counts and progress by number, creation and oldest pending by time."""
    if column in STATES:
        return batch.counts[column]
    if column == "size":
        return batch.size
    if column == "progress":
        return batch.progress
    if column == "created":
        return batch.created_at
    if column == "oldest":
        return batch.oldest_pending_at
    return cell(batch, column, now)


def columns_for(width: int) -> tuple[str, ...]:
    return COLUMN_NAMES if width >= WIDE else NARROW


def batches_table(batches: list[Batch], now: datetime, width: int = 0) -> str:
    """Batches as a plain-text table for the terminal, `width` wide (default: the terminal's)."""
    import shutil

    width = width or shutil.get_terminal_size((120, 24)).columns
    names = columns_for(width)
    columns = [COLUMNS[n] for n in names]
    widths = dict(zip(names, column_widths(columns, width), strict=True))
    rows = [[cell(b, n, now, widths[n]) for n in names] for b in batches]
    return plain_table(columns, rows, width)


def batch_lines(batch: Batch, now: datetime) -> list[str]:
    """`batches show`: the batch's name, progress, counts by state, when created, its oldest pending job."""
    lines = [
        f"batch     {batch.name}" + ("" if batch.listed else "  (not in rq:groups)"),
        f"progress  {progress_bar(batch, 32)}  {batch.done:,} of {batch.size:,} done",
        "counts    " + "  ".join(f"{s} {batch.counts[s]:,}" for s in STATES if batch.counts[s]),
        f"created   {fmt.local_time(batch.created_at)}  (the earliest created_at of its jobs)",
        f"pending   {oldest_pending(batch, now)}",
    ]
    return [safe(line) for line in lines]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def batch_json(batch: Batch) -> dict[str, Any]:
    """A batch for `--json`: counts by state, progress, times in UTC ISO 8601."""
    return {
        "name": batch.name,
        "size": batch.size,
        "done": batch.done,
        "pending": batch.pending,
        "progress": round(batch.progress, 4),
        "counts": dict(batch.counts),
        "created_at": _iso(batch.created_at),
        "created_from": "earliest created_at of its jobs",
        "oldest_pending": {"id": batch.oldest_pending_id, "created_at": _iso(batch.oldest_pending_at)}
        if batch.oldest_pending_id
        else None,
        "listed": batch.listed,
    }
