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


def local_time(moment: datetime | None, with_zone: bool = True) -> str:
    """A moment in the machine's local zone, e.g. '2026-11-23 14:05:09 CET'."""
    if moment is None:
        return "-"
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if with_zone else "%Y-%m-%d %H:%M:%S")
