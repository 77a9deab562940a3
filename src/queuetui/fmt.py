"""Formatting numbers, ages and times for people: shared by the console and the CLI."""

from __future__ import annotations

from datetime import datetime


def age(seconds: float | None) -> str:
    """A compact age: '-', '4s', '12m', '3h05m', '2d4h'."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s" if s < 600 else f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600}h"


def count(n: int) -> str:
    """A count with thousands separators: 1,234,567."""
    return f"{n:,}"


def compact(n: int) -> str:
    """A count in at most six characters: 99,999 then 123k, 1.2M, 45M."""
    if n < 100_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n // 1000}k"
    if n < 10_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    return f"{n // 1_000_000}M"


def clock_time(moment: datetime) -> str:
    """The time of day in the local zone, e.g. '14:05:09 CET'."""
    return moment.astimezone().strftime("%H:%M:%S %Z")


def local_time(moment: datetime | None, with_zone: bool = True) -> str:
    """A moment in the machine's local zone, e.g. '2026-11-23 14:05:09 CET'."""
    if moment is None:
        return "-"
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if with_zone else "%Y-%m-%d %H:%M:%S")


def short_time(moment: datetime | None) -> str:
    """A moment in the local zone in 11 characters, for table cells: '11-23 14:05' (details show seconds)."""
    return "-" if moment is None else moment.astimezone().strftime("%m-%d %H:%M")


def duration(seconds: float | None) -> str:
    """A run time: '0.25s', '12.3s', then like age(): '4m05s', '3h05m'."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return age(seconds)


def progress(done: int, total: int) -> str:
    """'12,000 of 200,000 (6%)'."""
    share = f" ({done * 100 // total}%)" if total else ""
    return f"{done:,} of {total:,}{share}"
