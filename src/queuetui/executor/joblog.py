"""Job logs: `queuetui worker` keeps each job's log records in a capped Redis stream of its own.

While a job runs, in the process that runs it (RQ's forked work horse, or the worker itself for a
SimpleWorker), a handler on the root logger keeps the job's newest max_lines records in a ring in
memory; a thread writes what the ring holds every FLUSH_SECONDS, and once more when the job returns
or raises, before RQ writes its outcome (a follower that sees the job end has every line). Each
write is one round trip. The stream keeps at most [logs] max_lines entries and max_bytes bytes: the
oldest are dropped (in the ring already, when the job logs more than max_lines a flush) and one marker
entry says how many. It lives a generous RUNNING_TTL while the job runs and then as long as the
job's result (result_ttl) or failure (failure_ttl). Records of RQ's own loggers (rq.*) are the
worker's, not the job's, and are left out. See rqdata/logs.py for the entry fields.
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast

import redis
from rq.defaults import DEFAULT_FAILURE_TTL
from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.worker import BaseWorker

from queuetui.config import LogSettings
from queuetui.rqdata.logs import log_key

FLUSH_SECONDS = 0.2
FLOOD_SECONDS = 1.0
"""The longest wait between two flushes: while the job logs more than max_lines a flush, each wait
doubles up to it (most of those lines never reach Redis anyway; a batch rewrites the whole stream)."""
RUNNING_TTL = 7 * 86400
"""Seconds a running job's log lives past its last flush (plus the job's timeout)."""
ERRORS = (redis.RedisError, OSError)
worker_log = logging.getLogger("rq.worker")  # the worker's own output; never captured

Record = tuple[float, str, str, str, str]
"""A captured record: time (the record's own `created`), level, logger, message, exception text."""
Pending = tuple[int, float, str, str, str, str]
"""A record in the capture's ring: its number in the job's records, then the Record."""
Entry = tuple[int, str, str, str, str]
"""A record as the writer sends it: time in microseconds, level, logger, message, exception, in
valid UTF-8 (the script writes the time as the stream keeps it, '1765000000.123456')."""
TIME_BYTES = 17
"""The bytes an entry's time counts for (its text in the stream), without formatting it."""

APPEND = """
local key = KEYS[1]
if ARGV[4] ~= '' and ARGV[3] ~= '' then redis.call('XDEL', key, ARGV[3]) end
if ARGV[2] ~= '' then redis.call('XTRIM', key, 'MAXLEN', ARGV[2]) end
for _, e in ipairs(cjson.decode(ARGV[5])) do
  local t = string.format('%.6f', e[1] / 1000000)
  if e[5] == '' then
    redis.call('XADD', key, '*', 't', t, 'lv', e[2], 'lg', e[3], 'm', e[4])
  else
    redis.call('XADD', key, '*', 't', t, 'lv', e[2], 'lg', e[3], 'm', e[4], 'x', e[5])
  end
end
local marker = false
if ARGV[4] ~= '' then marker = redis.call('XADD', key, '*', 'dropped', ARGV[4]) end
redis.call('EXPIRE', key, ARGV[1])
return marker
"""
"""One flush in one command: replace the dropped marker (ARGV[3] the old one's id, ARGV[4] the new
count: the old one goes first), trim (ARGV[2]: how many of the oldest entries to keep, '' for no
trim), append the entries (ARGV[5]: a JSON list of Entry; one argument, so that redis-py packs one
value a batch, not five a line) and the new marker, and set the TTL (ARGV[1]); returns the new
marker's id. The time is formatted here, in C, rather than record by record in the work horse."""


def _cut(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… [cut {len(value) - limit:,} characters]"


def _utf8(value: str) -> str:
    """The text with what UTF-8 cannot encode (lone surrogates) escaped."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _entry(record: Record, limit: int) -> tuple[Entry, int]:
    """prepare()'s slow path: text that is not ASCII, or too long."""
    created, level, logger, message, exception = record
    logger, message, exception = _utf8(logger), _utf8(message), _utf8(exception)
    size = TIME_BYTES + len(level) + sum(len(v.encode()) for v in (logger, message, exception))
    if size > limit:
        share = max(64, limit // 8)  # characters: up to 4 bytes each, in two fields
        message, exception = _cut(message, share), _cut(exception, share)
        size = TIME_BYTES + len(level) + sum(len(v.encode()) for v in (logger, message, exception))
    return (round(created * 1_000_000), level, logger, message, exception), size


def prepare(records: list[Record], limit: int) -> tuple[list[Entry], list[int]]:
    """The records as the writer sends them and the bytes each counts for, an entry's message and
    exception text cut so that it counts for about `limit` bytes at most."""
    entries: list[Entry] = []
    sizes: list[int] = []
    for record in records:
        created, level, logger, message, exception = record
        size = TIME_BYTES + len(level) + len(logger) + len(message) + len(exception)
        if size > limit or not (message.isascii() and logger.isascii() and exception.isascii()):
            entry, size = _entry(record, limit)
            entries.append(entry)
        else:  # ASCII: as many bytes as characters
            entries.append((round(created * 1_000_000), level, logger, message, exception))
        sizes.append(size)
    return entries, sizes


class LogWriter:
    """Appends batches of entries to one job's stream, keeping it within the caps.

    It remembers the size of every entry in the stream (read once, at its first write, for a job
    that ran before) and the dropped marker's id, so a batch and the trimming it needs go in one
    command (a Lua script; a pipeline where scripting is refused) that returns one id at most.
    """

    def __init__(self, connection: redis.Redis, job_id: str, settings: LogSettings, ttl: int) -> None:
        self.connection = connection
        self.key = log_key(job_id)
        self.settings = settings
        self.ttl = ttl
        self.kept: deque[int] = deque()
        """The size of each entry in the stream, oldest first (the marker aside)."""
        self.kept_bytes = 0
        self.dropped = 0
        self.marker_id: bytes = b""
        self.loaded = False
        self.written = False
        self.script: Any = connection.register_script(APPEND)
        self.scripting = True

    def _load(self) -> None:
        raw = cast(list[tuple[bytes, dict[bytes, bytes]]], self.connection.xrange(self.key))
        for entry_id, values in raw:
            if b"dropped" in values:
                self.dropped, self.marker_id = int(values[b"dropped"]), entry_id
            else:
                size = sum(len(v) for v in values.values())
                self.kept.append(size)
                self.kept_bytes += size
        self.loaded = True

    def write(self, records: list[Record], dropped: int = 0) -> None:
        """Append `records` (oldest first), dropping the oldest entries beyond the caps; `dropped`:
        records already dropped before they reached the writer."""
        if not self.loaded:
            self._load()
        limit_lines, limit_bytes = self.settings.max_lines, self.settings.max_bytes
        if len(records) > limit_lines:  # these would be dropped as soon as written
            dropped += len(records) - limit_lines
            records = records[-limit_lines:]
        entries, sizes = prepare(records, limit_bytes // 4)
        new_bytes = sum(sizes)
        kept, trimmed = self.kept, 0
        while kept and (len(kept) + len(sizes) > limit_lines or self.kept_bytes + new_bytes > limit_bytes):
            self.kept_bytes -= kept.popleft()
            trimmed += 1
        first = 0  # the new entries before it are dropped too
        while first < len(sizes) and new_bytes > limit_bytes:
            new_bytes -= sizes[first]
            first += 1
        dropped += first
        self.dropped += trimmed + dropped
        count = str(self.dropped) if trimmed or dropped else ""
        marker = self._append(str(len(kept)) if trimmed else "", count, entries[first:])
        kept.extend(sizes[first:])
        self.kept_bytes += new_bytes
        if count:
            self.marker_id = marker or b""
        self.written = True

    def _append(self, keep: str, count: str, entries: list[Entry]) -> bytes | None:
        if self.scripting:
            args = [self.ttl, keep, self.marker_id, count, json.dumps(entries, ensure_ascii=False)]
            try:
                return cast(bytes | None, self.script(keys=[self.key], args=args))
            except redis.ResponseError as exc:
                if "WRONGTYPE" in str(exc):
                    raise
                self.scripting = False  # scripting refused here: a pipeline does the same
        pipe = self.connection.pipeline(transaction=False)
        if count and self.marker_id:
            pipe.xdel(self.key, self.marker_id)
        if keep:
            pipe.xtrim(self.key, maxlen=int(keep), approximate=False)
        for micros, level, logger, message, exception in entries:
            fields = {"t": f"{micros / 1_000_000:.6f}", "lv": level, "lg": logger, "m": message}
            if exception:
                fields["x"] = exception
            pipe.xadd(self.key, fields)  # type: ignore[arg-type]
        if count:
            pipe.xadd(self.key, {"dropped": count})
        pipe.expire(self.key, self.ttl)
        replies = pipe.execute()
        return cast(bytes, replies[-2]) if count else None


class CaptureHandler(logging.Handler):
    """Keeps the job's newest records in a ring; a thread of its own writes them every FLUSH_SECONDS.

    The job's thread does as little as it can: one tuple appended to a deque bounded at max_lines
    (thread-safe without a lock; past the bound the deque drops its oldest in C), numbered so that
    the flusher can count what the ring dropped. Encoding and writing happen in the flusher thread,
    at most max_lines records a flush however fast the job logs: a record overwritten in the ring
    before a flush costs the job a tuple and nothing else, and Redis never sees it.
    """

    def __init__(self, writer: LogWriter, level: int) -> None:
        super().__init__(level)
        self.writer = writer
        self.buffer: deque[Pending] = deque(maxlen=writer.settings.max_lines)
        self.numbers = itertools.count()
        self.next_number = 0
        """The number of the record after the newest one taken from the ring."""
        self.flush_lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = False
        self.failed = False
        self.formatter_ = logging.Formatter()
        self.thread = threading.Thread(target=self._run, name="queuetui-joblog", daemon=True)
        self.previous_root: dict[str, Any] | None = None

    def add(self, created: float, level: str, logger: str, message: str, exception: str = "") -> None:
        """Keep one record (the oldest kept is dropped past max_lines)."""
        self.buffer.append((next(self.numbers), created, level, logger, message, exception))

    def handle(self, record: logging.LogRecord) -> bool:
        """Keep the record (no handler lock: the buffer is a deque); RQ's own loggers are left out."""
        name = record.name
        if name.startswith("rq.") or name == "rq":
            return False
        try:
            # A handler that ran before (the application's) may have formatted it already.
            message = record.__dict__.get("message") or record.getMessage()
            exception = ""
            if record.exc_info:
                exception = record.exc_text or self.formatter_.formatException(record.exc_info)
            elif record.exc_text:
                exception = record.exc_text
            if record.stack_info:
                exception = f"{exception}\n{record.stack_info}".lstrip("\n")
        except Exception:
            self.handleError(record)  # a bad format string: logging's own report, as without us
            return False
        self.buffer.append((next(self.numbers), record.created, record.levelname, name, message, exception))
        if record.levelno >= logging.WARNING:
            self._last_resort(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self.handle(record)

    def _last_resort(self, record: logging.LogRecord) -> None:
        """Print what Python would have printed had this handler not been there: a WARNING or worse
        from a logger chain without handlers goes to logging.lastResort (stderr)."""
        last = logging.lastResort
        if last is None or record.levelno < last.level:
            return
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(h is not self for h in logger.handlers):
                return
            logger = logger.parent if logger.propagate else None
        last.handle(record)

    def flush(self) -> None:
        """Write what the ring holds: one round trip (two the first time, for a job that ran before)."""
        self._flush()

    def _flush(self) -> int:
        """flush(); returns how many records the ring dropped since the last one."""
        with self.flush_lock:
            buffer = self.buffer
            # Only a flush takes from the ring (under the lock) and appends never shorten it.
            pending = [buffer.popleft() for _ in range(len(buffer))]
            # The numbers from the last flush's newest on that are missing are records the ring
            # dropped. A record numbered in one thread of the job but appended after a later one of
            # another thread was taken was counted so: it is left out, as dropped, to keep the count.
            floor = self.next_number
            batch = [p[1:] for p in pending if p[0] >= floor]
            newest = max((p[0] for p in pending), default=-1)
            dropped = 0
            if newest >= floor:
                dropped = newest + 1 - floor - len(batch)
                self.next_number = newest + 1
            if not batch and not dropped:
                return 0
            try:
                self.writer.write(batch, dropped)
            except ERRORS as exc:
                if not self.failed:
                    worker_log.warning("Job log %s: %d lines not kept: %s", self.writer.key, len(batch), exc)
                self.failed = True
            return dropped

    def _run(self) -> None:
        wait = FLUSH_SECONDS
        while not self.stopping:
            self.wake.wait(wait)
            self.wake.clear()
            wait = min(wait * 2, FLOOD_SECONDS) if self._flush() else FLUSH_SECONDS

    def start(self) -> None:
        """Capture the root logger's records from now on, down to this handler's level."""
        root = logging.getLogger()
        if root.level > self.level:
            # The job's INFO lines are created only if the root lets them through; its handlers see
            # what they saw before, through a filter at the old level.
            self.previous_root = {"level": root.level, "floor": _Floor(root.level)}
            for handler in root.handlers:
                handler.addFilter(self.previous_root["floor"])
            root.setLevel(self.level)
        root.addHandler(self)
        self.thread.start()

    def stop(self) -> None:
        """Stop capturing and write what is left; idempotent."""
        if self.stopping:
            return
        self.stopping = True
        root = logging.getLogger()
        root.removeHandler(self)
        if self.previous_root is not None:
            root.setLevel(self.previous_root["level"])
            for handler in root.handlers:
                handler.removeFilter(self.previous_root["floor"])
        self.wake.set()
        self.thread.join()
        self.flush()


class _Floor(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.floor = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.floor


class OutputTee:
    """sys.stdout or sys.stderr while a job runs: writes go where they went, and each line is kept."""

    def __init__(self, original: TextIO, handler: CaptureHandler, name: str) -> None:
        self.original = original
        self.handler = handler
        self.name = name
        self.level = name.upper()
        self.partial = ""

    def write(self, data: str) -> int:
        written = self.original.write(data)
        *lines, self.partial = (self.partial + data).split("\n")
        for line in lines:
            self._keep(line)
        return written

    def _keep(self, line: str) -> None:
        self.handler.add(time.time(), self.level, self.name, line)

    def close_line(self) -> None:
        if self.partial:
            self._keep(self.partial)
            self.partial = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


@contextmanager
def _output(handler: CaptureHandler, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    tees = OutputTee(sys.stdout, handler, "stdout"), OutputTee(sys.stderr, handler, "stderr")
    sys.stdout, sys.stderr = tees
    try:
        yield
    finally:
        sys.stdout, sys.stderr = tees[0].original, tees[1].original
        for tee in tees:
            tee.close_line()


class JobCapture:
    """Everything kept of one run of one job: its records (and its output, if configured)."""

    def __init__(self, connection: redis.Redis, job: Job, settings: LogSettings) -> None:
        timeout = job.timeout if job.timeout and job.timeout > 0 else 0
        self.writer = LogWriter(connection, job.id, settings, RUNNING_TTL + int(timeout))
        self.handler = CaptureHandler(self.writer, logging.getLevelName(settings.level))
        self.output = _output(self.handler, settings.capture_output)
        self.running = False

    def start(self) -> None:
        self.handler.start()
        self.output.__enter__()
        self.running = True

    def stop(self) -> None:
        """Stop capturing and flush; idempotent."""
        if self.running:
            self.running = False
            self.output.__exit__(None, None, None)
            self.handler.stop()

    def expire(self, ttl: int | None) -> None:
        """Give the stream the job's own time to live (None: keep it, 0: delete it) if it has one."""
        if self.writer.written:
            set_log_ttl(self.writer.connection, self.writer.key, ttl)


def set_log_ttl(connection: redis.Redis, key: str, ttl: int | None) -> None:
    """EXPIRE, PERSIST or DEL the stream: one round trip."""
    if ttl is None:
        connection.persist(key)
    elif ttl <= 0:
        connection.delete(key)
    else:
        connection.expire(key, ttl)


def ended_ttl(job: Job, default_result_ttl: int) -> int | None:
    """How long a job's log lives once the job ended: as its result on success, as its failure
    otherwise (a job waiting for a retry included); None for ever, 0 not at all."""
    if job.get_status(refresh=False) == JobStatus.FINISHED:
        ttl = job.get_result_ttl(default_result_ttl)
        return None if ttl == -1 else ttl
    ttl = job.failure_ttl if job.failure_ttl is not None else DEFAULT_FAILURE_TTL
    return None if ttl == -1 else ttl


class JobLogsMixin(BaseWorker):
    """A worker that keeps each job's log (mix in before an RQ worker class; see logging_worker_class)."""

    log_settings: LogSettings = LogSettings()
    _log_capture: JobCapture | None = None

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        capture = JobCapture(self.connection, job, self.log_settings)
        self._log_capture = capture
        capture.start()
        try:
            return super().perform_job(job, queue, execution)
        finally:
            capture.stop()
            self._log_capture = None
            try:
                capture.expire(ended_ttl(job, self.default_result_ttl))
            except ERRORS as exc:
                worker_log.warning("Job log of %s: time to live not set: %s", job.id, exc)

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        # The job returned or raised: its last lines go out before RQ records how it ended.
        if self._log_capture is not None:
            self._log_capture.stop()
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def handle_job_failure(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        super().handle_job_failure(job, queue, *args, **kwargs)
        if self._log_capture is None and not self.is_horse:
            # The work horse was killed or stopped: it could not give its log the failure's TTL.
            try:
                set_log_ttl(self.connection, log_key(job.id), ended_ttl(job, self.default_result_ttl))
            except ERRORS as exc:
                worker_log.warning("Job log of %s: time to live not set: %s", job.id, exc)


def logging_worker_class(worker_class: type[BaseWorker], settings: LogSettings) -> type[BaseWorker]:
    """`worker_class` keeping each job's log under `settings`."""
    return type(
        f"Logging{worker_class.__name__}",
        (JobLogsMixin, worker_class),
        {"log_settings": settings, "__module__": __name__},
    )
