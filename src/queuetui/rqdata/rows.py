"""Job rows: what a jobs view shows of each job, read in one round trip and decoded as data.

Reading the rows of N jobs is one read-only Lua script (EVALSHA) whatever N is: per job HMGET of the
small hash fields, HSTRLEN of its payload and the payload itself when no larger than PAYLOAD_CAP (a
10 MB argument is not read to draw a row), and where asked the exception of its latest result. The
script only reads; it runs on a replica too. Where scripting is refused (an ACL without @scripting,
a proxy without EVAL), the same reads go in two pipelines instead.
Nothing is written, nothing is imported, no RQ Job object is built (it would unpickle).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import redis

from queuetui.rqdata import keys, scripting
from queuetui.rqdata.fields import optional_int, parse_rq_time, text
from queuetui.rqdata.payload import (
    EXCEPTION_TEXT,
    Budget,
    UndecodableError,
    call_cells,
    decode_value,
    inflate_head,
    size,
)

PAYLOAD_CAP = 64 * 1024
RESULTS_PREFIX = "rq:results:"

# Every registry of a queue, in the order the console lists them, with the label it shows.
VIEWS: dict[str, str] = {
    "waiting": "Waiting",
    "started": "Running",
    "failed": "Failed",
    "scheduled": "Scheduled",
    "deferred": "Deferred",
    "finished": "Finished",
    "canceled": "Canceled",
    "ready": "Rate-limited",
}
ALIASES = {
    "queued": "waiting",
    "queue": "waiting",
    "running": "started",
    "done": "finished",
    "cancelled": "canceled",
    "rate-limited": "ready",
    "ratelimited": "ready",
}
# Newest first where "newest" is what an operator looks for; next-to-run first otherwise.
DESCENDING_BY_DEFAULT = {"failed", "finished", "canceled"}
# Where rows carry meta unasked: the retry decision of `queuetui worker` lives there (rqdata/retrynote.py).
META_BY_DEFAULT = {"failed", "scheduled"}

ROW_FIELDS = (
    "status",
    "origin",
    "created_at",
    "enqueued_at",
    "started_at",
    "ended_at",
    "worker_name",
    "retries_left",
    "group_id",
    "exc_info",
)  # not description: RQ writes the call's repr there, as large as the arguments themselves


def registry_name(text: str) -> str:
    """The registry a view name or alias means ('running' -> 'started'); ValueError if none."""
    name = ALIASES.get(text.lower(), text.lower())
    if name not in VIEWS:
        raise ValueError(f"unknown registry {text!r}; one of: {', '.join(VIEWS)}")
    return name


def job_id_of(member: bytes | str) -> str:
    """A job id from 'job_id:execution_id' (started registry, worker executions) or a plain id.

    RQ itself splits on the first colon, and refuses job ids that contain one.
    """
    return text(member).partition(":")[0]


@dataclass(frozen=True, slots=True)
class ExceptionInfo:
    type: str
    message: str
    traceback: str

    def summary(self, message: str | None = None) -> str:
        """'Type: message', or whichever of the two there is: RQ records a stopped job's exception as
        a bare message ('Job stopped by user, work-horse terminated.'), with no type to put before it."""
        message = self.message if message is None else message
        if self.type and message:
            return f"{self.type}: {message}"
        return self.type or message


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


def parse_exception(traceback: str) -> ExceptionInfo:
    """The exception type and message from the last line of a formatted traceback."""
    head, _, last = traceback.strip().rpartition("\n")
    last = last.strip()
    match = _EXC_LINE.match(last)
    if match and (match.group(2) is not None or head.strip()):
        return ExceptionInfo(match.group(1).rsplit(".", 1)[-1], match.group(2) or "", traceback)
    return ExceptionInfo("", last, traceback)


_SHOWN_OF_TOO_LARGE = 64 * 1024  # of a traceback too large to show: its start, then why it ends


def _traceback(raw: bytes, budget: Budget) -> str:
    """Text of zlib-inflated `raw` (or raw itself), at most EXCEPTION_TEXT bytes of it within the budget;
    a longer one is its start with the reason as its last line (parse_exception takes it as the message)."""
    data, problem = inflate_head(raw, budget, EXCEPTION_TEXT)
    if problem:
        return data[:_SHOWN_OF_TOO_LARGE].decode("utf-8", "replace") + "\n" + problem
    return data.decode("utf-8", "replace")


def decode_exc_string(raw: bytes | None, budget: Budget | None = None) -> str:
    """A result's exc_string: base64 of zlib of the traceback text (inflated within `budget`)."""
    if not raw:
        return ""
    try:
        compressed = binascii.a2b_base64(raw)
    except (binascii.Error, ValueError):
        return text(raw)
    return _traceback(compressed, budget or Budget().job())


def decode_exc_info(raw: bytes | None, budget: Budget | None = None) -> str:
    """The job hash's exc_info (written by RQ before results moved to a stream): zlib of text."""
    if not raw:
        return ""
    return _traceback(raw, budget or Budget().job())


# A value: never changed once built (replace() makes a changed copy), hashable as a frozen one would
# be. Not frozen because a frozen dataclass sets each of its 20 fields through object.__setattr__: a
# third of the cost of decoding a row.
@dataclass(slots=True, unsafe_hash=True)
class JobRow:
    id: str
    queue: str
    registry: str
    score: float | None = None
    status: str = ""
    origin: str = ""
    func: str = ""
    args: str = ""
    created_at: datetime | None = None
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    worker: str = ""
    retries_left: int | None = None
    group_id: str = ""
    exception: ExceptionInfo | None = None
    meta: dict[str, Any] | None = None
    payload_size: int = 0
    problem: str = ""
    """Why the job cannot be shown in full ('job hash missing', 'payload: ...'); empty if readable."""
    never: str = ""
    """Why a deferred job can never run ('dep abc failed'; see deps.py); empty when it may or unchecked."""

    @property
    def readable(self) -> bool:
        return not self.problem

    @property
    def moment(self) -> datetime | None:
        """The time that matters in this registry: ended for the done ones, started, else enqueued."""
        if self.registry in ("failed", "finished", "canceled"):
            return self.ended_at or self.enqueued_at or self.created_at
        if self.registry == "started":
            return self.started_at or self.enqueued_at
        if self.registry == "scheduled" and self.score is not None:
            return datetime.fromtimestamp(self.score, UTC)
        return self.enqueued_at or self.created_at

    def age(self, now: datetime) -> float | None:
        moment = self.moment
        return None if moment is None else (now - moment).total_seconds()

    def duration(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        end = self.ended_at or (now if self.registry == "started" else None)
        return None if end is None else max(0.0, (end - self.started_at).total_seconds())


# One job's raw reads: the hash fields (None when the key holds something other than a hash), the
# payload length (always read: a hash without any of the fields asked for and no payload is gone),
# the payload (None when not read) and the latest result's exc_string (None when absent or not asked
# for).
RawRow = tuple[list[Any] | None, int, bytes | None, bytes | None]

# The reply is one flat array, per job: payload length (-1: the key is not a hash), payload or false,
# exc_string or false, then the fields. Nested tables would cost far more than the reads: Redis 6.2
# sends every nested array's deferred length as its own reply chunk, one write() each, so a page of
# 50 rows left in ~17 TCP segments (read with as many recv calls); flat, it leaves in one or two.
#
# ROWS_LUA is a function for the scripts that read rows (this one, and pages.py's, which reads the ids
# of a page too): rows_of(ids, a, out) appends to `out` the rows of `ids`, read as ARGV[a], ARGV[a +
# 1], ... say (row_args: the key prefixes, the payload cap, whether to read payloads and exceptions,
# the number of fields and the fields).
ROWS_LUA = """
local function rows_of(ids, a, out)
  local prefix, results, cap = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local payload, exceptions, nfields = ARGV[a + 3] == '1', ARGV[a + 4] == '1', tonumber(ARGV[a + 5])
  local fields = {}
  for i = 1, nfields do fields[i] = ARGV[a + 5 + i] end
  -- pcall: a key of the wrong type is bad data to show, not a reason to fail the whole read
  local n = #out
  for _, id in ipairs(ids) do
    local key = prefix .. id
    local values = redis.pcall('HMGET', key, unpack(fields))
    local size, data, exc = -1, false, false
    if values.err then
      values = {}
    else
      size = redis.call('HSTRLEN', key, 'data')
      if payload and size > 0 and size <= cap then data = redis.call('HGET', key, 'data') end
    end
    if exceptions then
      local latest = redis.pcall('XREVRANGE', results .. id, '+', '-', 'COUNT', 1)
      if not latest.err and latest[1] then
        local entry = latest[1][2]
        for j = 1, #entry, 2 do
          if entry[j] == 'exc_string' then exc = entry[j + 1] end
        end
      end
    end
    out[n + 1], out[n + 2], out[n + 3] = size, data, exc
    for j = 1, nfields do out[n + 3 + j] = values[j] or false end
    n = n + 3 + nfields
  end
  return out
end
"""
_ROWS_SCRIPT = (
    ROWS_LUA
    + """
local ids = {}
for i = 7 + tonumber(ARGV[6]), #ARGV do ids[#ids + 1] = ARGV[i] end
return rows_of(ids, 1, {})
"""
)


def row_args(fields: tuple[str, ...], payload: bool, exceptions: bool) -> list[str | int]:
    """The arguments of ROWS_LUA's rows_of that read `fields` (and payloads, exceptions if asked)."""
    return [keys.JOB_PREFIX, RESULTS_PREFIX, PAYLOAD_CAP, int(payload), int(exceptions), len(fields), *fields]


def _read_scripted(
    connection: redis.Redis, ids: list[str], fields: tuple[str, ...], payload: bool, exceptions: bool
) -> list[RawRow]:
    reply = scripting.run(connection, _ROWS_SCRIPT, [*row_args(fields, payload, exceptions), *ids])
    return unflatten(reply, len(fields))


def unflatten(reply: list[Any], nfields: int) -> list[RawRow]:
    """RawRows from the flat reply of rows_of (ROWS_LUA; a missing field comes back as None)."""
    step = 3 + nfields
    raws: list[RawRow] = []
    for at in range(0, len(reply), step):
        size, data, exc = reply[at : at + 3]
        if size < 0:
            raws.append((None, 0, None, None))
        else:
            raws.append((reply[at + 3 : at + step], size, data or None, exc or None))
    return raws


def _read_pipelined(
    connection: redis.Redis, ids: list[str], fields: tuple[str, ...], payload: bool, exceptions: bool
) -> list[RawRow]:
    pipe = connection.pipeline(transaction=False)
    for job_id in ids:
        pipe.hmget(keys.job_key(job_id), fields)
        pipe.hstrlen(keys.job_key(job_id), "data")
        if exceptions:
            pipe.xrevrange(RESULTS_PREFIX + job_id, "+", "-", count=1)
    replies = iter(pipe.execute(raise_on_error=False))
    raws: list[RawRow] = []
    for _ in ids:
        values = next(replies)
        size_reply = next(replies)
        latest = next(replies) if exceptions else None
        if isinstance(values, redis.ResponseError):  # the key is not a hash
            raws.append((None, 0, None, None))
            continue
        exc = latest[0][1].get(b"exc_string") if latest and isinstance(latest, list) else None
        raws.append((values, int(size_reply), None, exc))

    wanted = [i for i, raw in enumerate(raws) if payload and 0 < raw[1] <= PAYLOAD_CAP]
    if wanted:
        pipe = connection.pipeline(transaction=False)
        for i in wanted:
            pipe.hget(keys.job_key(ids[i]), "data")
        for i, data in zip(wanted, pipe.execute(), strict=True):
            values, data_size, _, exc = raws[i]
            raws[i] = (values, data_size, data, exc)
    return raws


def read_raw(
    connection: redis.Redis, ids: list[str], fields: tuple[str, ...], payload: bool, exceptions: bool
) -> list[RawRow]:
    """The raw reads of each job in `ids`, in one round trip (two where scripting is refused)."""
    try:
        return _read_scripted(connection, ids, fields, payload, exceptions)
    except scripting.ScriptingRefused:
        return _read_pipelined(connection, ids, fields, payload, exceptions)


def read_rows(
    connection: redis.Redis,
    queue: str,
    registry: str,
    members: Sequence[tuple[str, float | None]],
    *,
    payload: bool = True,
    exceptions: bool | None = None,
    meta: bool | None = None,
    fields: Sequence[str] = ROW_FIELDS,
) -> list[JobRow]:
    """Rows for (job id, registry score) pairs, in order, in one round trip.

    `payload` decodes function and args, `exceptions` reads each latest result (default: in the
    failed registry only), `meta` decodes meta (default: in the failed and scheduled registries,
    where the worker's retry decision shows), `fields` are the hash fields read and decoded (the rest
    of a row stays empty). A filter asks only for what it tests.
    """
    if not members:
        return []
    wanted, exceptions = reads(registry, exceptions, meta, fields)
    raws = read_raw(connection, [job_id for job_id, _ in members], wanted, payload, exceptions)
    return decode_rows(queue, registry, members, raws, payload, wanted)


def reads(
    registry: str,
    exceptions: bool | None = None,
    meta: bool | None = None,
    fields: Sequence[str] = ROW_FIELDS,
) -> tuple[tuple[str, ...], bool]:
    """(the hash fields to read, whether to read exceptions) for rows of `registry` (read_rows' defaults)."""
    if exceptions is None:
        exceptions = registry == "failed"
    if meta is None:
        meta = registry in META_BY_DEFAULT
    return hash_fields(fields, meta), exceptions


def hash_fields(fields: Sequence[str], meta: bool) -> tuple[str, ...]:
    """The hash fields to read for rows: those asked, and meta if asked (HMGET needs one at least)."""
    wanted = (*fields, "meta") if meta and "meta" not in fields else tuple(fields)
    return wanted or ("status",)


# The hash fields a row shows, in the order _row takes them from a _picker.
_SHOWN = (*ROW_FIELDS, "meta")


def _picker(fields: tuple[str, ...]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """Takes the _SHOWN values (None where not read) from raw values of `fields` plus one None."""
    at = {name: i for i, name in enumerate(fields)}
    return itemgetter(*(at.get(name, len(fields)) for name in _SHOWN))


def decode_rows(
    queue: str,
    registry: str,
    members: Sequence[tuple[str, float | None]],
    raws: list[RawRow],
    payload: bool,
    fields: tuple[str, ...],
) -> list[JobRow]:
    """Rows from the raw reads (read_raw) of `fields` of each member, decoded as data within one
    page's budget (payload.PAGE_LIMITS; each job within JOB_LIMITS of it)."""
    pick = _picker(fields)
    page = Budget()
    return [
        _row(job_id, score, queue, registry, raw, payload, pick, page.job())
        for (job_id, score), raw in zip(members, raws, strict=True)
    ]


def _row(
    job_id: str,
    score: float | None,
    queue: str,
    registry: str,
    raw: RawRow,
    payload: bool,
    pick: Callable[[list[Any]], tuple[Any, ...]],
    budget: Budget,
) -> JobRow:
    raw_values, data_size, data, exc_string = raw
    if raw_values is None:
        return JobRow(job_id, queue, registry, score, problem="job key holds something other than a hash")
    if data_size == 0 and all(v is None for v in raw_values):
        return JobRow(job_id, queue, registry, score, problem="job hash missing (expired or deleted)")
    status, origin, created, enqueued, started, ended, worker, retries, group, exc_info, raw_meta = pick(
        [*raw_values, None]
    )
    problem = ""
    func = args = ""
    if payload and data_size == 0:
        problem = "no data field"
    elif payload and data is not None:
        func, args, problem = call_cells(data, 200, budget)
    elif payload:
        args = f"(payload {size(data_size)}B, not loaded)"
    exception = None
    if exc_string:
        traceback = decode_exc_string(exc_string, budget)
        exception = parse_exception(traceback) if traceback else None
    if exception is None and exc_info:
        exception = parse_exception(decode_exc_info(exc_info, budget))
    meta_value: dict[str, Any] | None = None
    if raw_meta is not None:
        try:
            decoded = decode_value(raw_meta, budget)
            meta_value = decoded if isinstance(decoded, dict) else {"": decoded}
        except UndecodableError as exc:
            meta_value = {}
            problem = problem or f"meta: {exc}"
    return JobRow(
        job_id,
        queue,
        registry,
        score,
        text(status),
        text(origin),
        func,
        args,
        parse_rq_time(created),
        parse_rq_time(enqueued),
        parse_rq_time(started),
        parse_rq_time(ended),
        text(worker),
        optional_int(retries),
        text(group),
        exception,
        meta_value,
        data_size,
        problem,
    )
