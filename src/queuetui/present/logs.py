"""A job's log as people and scripts read it: one line per entry, or JSON. No I/O."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from queuetui.present.text import safe
from queuetui.rqdata.logs import JobLog, LogEntry

NO_LOG = "no log: run by a plain rq worker, or expired (or it logged nothing yet)"


def entry_time(entry: LogEntry) -> str:
    """The entry's time, local, to the millisecond, with the zone: '2026-11-23 14:02:07.123 CET'."""
    local = entry.time.astimezone()
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d} {local:%Z}"


def entry_line(entry: LogEntry) -> str:
    """One entry on one line: time, level, logger, message (control characters made visible)."""
    return f"{entry_time(entry)} {safe(entry.level):<8} {safe(entry.logger)}: {safe(entry.message)}"


def exception_lines(entry: LogEntry) -> list[str]:
    """The entry's exception text, each line indented and made visible."""
    return [f"    {safe(line)}" for line in entry.exception.splitlines()]


def dropped_line(count: int) -> str:
    """The dropped marker as a line: how many of the oldest lines the caps dropped."""
    return f"… {count:,} earlier lines dropped (the log keeps the newest, within [logs] max_lines, max_bytes)"


def log_lines(log: JobLog) -> list[str]:
    """The whole log as text lines: the dropped marker first, then each entry and its exception."""
    lines = [dropped_line(log.chunk.dropped)] if log.chunk.dropped else []
    for entry in log.chunk.entries:
        lines.append(entry_line(entry))
        lines.extend(exception_lines(entry))
    return lines


def entry_json(entry: LogEntry) -> dict[str, Any]:
    """An entry for --json: exact data, time in UTC ISO 8601; "exception" only when there is one."""
    data: dict[str, Any] = {
        "time": entry.time.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "level": entry.level,
        "logger": entry.logger,
        "message": entry.message,
    }
    if entry.exception:
        data["exception"] = entry.exception
    return data


def dropped_json(count: int, first: LogEntry | None) -> dict[str, Any]:
    """The dropped marker as a --json entry (level DROPPED, with the count), timed as the first kept."""
    data = entry_json(first) if first is not None else {"time": None}
    return {"time": data["time"], "level": "DROPPED", "logger": "queuetui",
            "message": f"{count} earlier lines dropped", "dropped": count}  # fmt: skip


def log_json(log: JobLog) -> list[dict[str, Any]]:
    """The whole log for --json: the dropped marker (if any lines were dropped) then every entry."""
    entries = log.chunk.entries
    head = [dropped_json(log.chunk.dropped, entries[0] if entries else None)] if log.chunk.dropped else []
    return head + [entry_json(e) for e in entries]
