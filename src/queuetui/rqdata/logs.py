"""Job logs: the Redis stream `queuetui worker` writes a job's log records to, and reading it back.

One stream per job, `queuetui:log:<job id>`; each entry is one log record with the fields `t` (Unix
time), `lv` (level), `lg` (logger), `m` (message) and, when the record carried one, `x` (exception
text). An entry with a `dropped` field instead is the marker of how many of the oldest entries the
caps dropped; there is at most one, the writer replaces it as it drops more. Jobs run by a plain RQ
worker have no stream, and a stream expires with its job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from queuetui.rqdata.fields import text
from queuetui.rqdata.keys import job_key

LOG_PREFIX = "queuetui:log:"
READ_LIMIT = 20_000
"""At most this many entries read at once (the writer keeps 1,000 by default)."""
RUNNING = frozenset({"queued", "started", "scheduled", "deferred"})
"""Statuses of a job that may still write to its log."""


def log_key(job_id: str) -> str:
    """The stream holding a job's log."""
    return LOG_PREFIX + job_id


@dataclass(frozen=True)
class LogEntry:
    """One log record of a job, as the worker stored it (text, never interpreted)."""

    id: str
    """The stream entry id ('1700000000000-0'): entries sort by it."""
    time: datetime
    level: str
    logger: str
    message: str
    exception: str = ""


@dataclass
class LogChunk:
    """Entries read from a job's log, in order, and what else the read learned."""

    entries: list[LogEntry] = field(default_factory=list)
    dropped: int | None = None
    """The count of the newest dropped marker read, if one was."""
    last_id: str = ""
    """The id of the last entry read (marker included): follow reads on from it."""


@dataclass(frozen=True)
class JobLog:
    """A job's whole stored log and the job's status when it was read."""

    job_id: str
    exists: bool
    """False: no stream (a plain rq worker ran the job, it logged nothing, or the log expired)."""
    chunk: LogChunk
    status: str
    """The job's RQ status ('started', 'finished'...), empty when its hash is gone."""

    @property
    def running(self) -> bool:
        return self.status in RUNNING


def _time(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(float(text(value)), UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, UTC)


def _decode(raw: list[tuple[bytes, dict[bytes, bytes]]], chunk: LogChunk) -> LogChunk:
    for entry_id, values in raw:
        chunk.last_id = text(entry_id)
        if b"dropped" in values:
            try:
                chunk.dropped = int(text(values[b"dropped"]))
            except ValueError:
                chunk.dropped = 0
            continue
        chunk.entries.append(
            LogEntry(
                id=chunk.last_id,
                time=_time(values.get(b"t", b"0")),
                level=text(values.get(b"lv", b"")),
                logger=text(values.get(b"lg", b"")),
                message=text(values.get(b"m", b"")),
                exception=text(values.get(b"x", b"")),
            )
        )
    return chunk


def read_log(connection: redis.Redis, job_id: str) -> JobLog:
    """A job's stored log and its status: one round trip (a pipelined XRANGE, EXISTS and HGET)."""
    pipe = connection.pipeline(transaction=False)
    pipe.xrange(log_key(job_id), count=READ_LIMIT)
    pipe.exists(log_key(job_id))
    pipe.hget(job_key(job_id), "status")
    raw, exists, status = pipe.execute()
    return JobLog(job_id, bool(exists), _decode(raw, LogChunk()), text(status) if status else "")


def read_after(connection: redis.Redis, job_id: str, last_id: str, block_ms: int | None = 1000) -> LogChunk:
    """The entries after `last_id` (from the start when empty), waiting up to `block_ms` for some
    (None: not waiting).

    A blocking XREAD: it returns as soon as the worker flushes a batch, and costs one round trip per
    batch or per `block_ms` of silence, never one per line. Keep `block_ms` below the connection's
    socket timeout.
    """
    reply: Any = connection.xread({log_key(job_id): last_id or "0-0"}, count=READ_LIMIT, block=block_ms)
    chunk = LogChunk(last_id=last_id)
    for _key, raw in reply or ():
        _decode(raw, chunk)
    return chunk


def job_status(connection: redis.Redis, job_id: str) -> str:
    """The job's RQ status, empty when its hash is gone: one HGET."""
    status = connection.hget(job_key(job_id), "status")
    return text(status) if status else ""
