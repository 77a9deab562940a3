"""Job rows: what a jobs view shows of each job, read in pipelines and decoded as data.

Reading a page of N jobs costs two round trips whatever N is (plus the one that read the ids):
  1. per job HMGET of the small hash fields, HSTRLEN of its payload (when the call is wanted) and,
     where asked, XREVRANGE of its latest result (the exception of a failed job);
  2. HGET of the payloads no larger than PAYLOAD_CAP (a 10 MB argument is not read to draw a row).
Nothing is written, nothing is imported, no RQ Job object is built (it would unpickle).
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from queuetui.rqdata import keys
from queuetui.rqdata.fields import optional_int, parse_rq_time, text
from queuetui.rqdata.payload import UndecodableError, args_preview, decode_call, decode_value, size

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

_ROW_FIELDS = (
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


@dataclass(frozen=True)
class ExceptionInfo:
    type: str
    message: str
    traceback: str


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


def parse_exception(traceback: str) -> ExceptionInfo:
    """The exception type and message from the last line of a formatted traceback."""
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    match = _EXC_LINE.match(last)
    if match and (match.group(2) is not None or len(lines) > 1):
        return ExceptionInfo(match.group(1).rsplit(".", 1)[-1], match.group(2) or "", traceback)
    return ExceptionInfo("", last, traceback)


def decode_exc_string(raw: bytes | None) -> str:
    """A result's exc_string: base64 of zlib of the traceback text."""
    if not raw:
        return ""
    try:
        return zlib.decompress(base64.b64decode(raw)).decode("utf-8", "replace")
    except (binascii.Error, zlib.error, ValueError):
        return text(raw)


def decode_exc_info(raw: bytes | None) -> str:
    """The job hash's exc_info (written by RQ before results moved to a stream): zlib of text."""
    if not raw:
        return ""
    try:
        return zlib.decompress(raw).decode("utf-8", "replace")
    except zlib.error:
        return text(raw)


@dataclass(frozen=True)
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


def read_rows(
    connection: redis.Redis,
    queue: str,
    registry: str,
    members: Sequence[tuple[str, float | None]],
    *,
    payload: bool = True,
    exceptions: bool | None = None,
    meta: bool = False,
) -> list[JobRow]:
    """Rows for (job id, registry score) pairs, in order, in two round trips.

    `payload` decodes function and args, `exceptions` reads each latest result (default: in the
    failed registry only), `meta` decodes meta. A filter asks only for what it tests.
    """
    if not members:
        return []
    if exceptions is None:
        exceptions = registry == "failed"
    fields = (*_ROW_FIELDS, "meta") if meta else _ROW_FIELDS
    pipe = connection.pipeline(transaction=False)
    for job_id, _ in members:
        pipe.hmget(keys.job_key(job_id), fields)
        if payload:
            pipe.hstrlen(keys.job_key(job_id), "data")
        if exceptions:
            pipe.xrevrange(RESULTS_PREFIX + job_id, "+", "-", count=1)
    replies = iter(pipe.execute())
    hashes: list[tuple[dict[str, Any], int, Any]] = []
    for _ in members:
        values = dict(zip(fields, next(replies), strict=True))
        data_size = int(next(replies)) if payload else 0
        latest = next(replies) if exceptions else None
        hashes.append((values, data_size, latest))

    wanted = [i for i, (_, data_size, _) in enumerate(hashes) if payload and 0 < data_size <= PAYLOAD_CAP]
    datas: dict[int, bytes | None] = {}
    if wanted:
        pipe = connection.pipeline(transaction=False)
        for i in wanted:
            pipe.hget(keys.job_key(members[i][0]), "data")
        datas = dict(zip(wanted, pipe.execute(), strict=True))

    return [
        _row(job_id, score, queue, registry, values, data_size, latest, datas, i, payload)
        for i, ((job_id, score), (values, data_size, latest)) in enumerate(zip(members, hashes, strict=True))
    ]


def _row(
    job_id: str,
    score: float | None,
    queue: str,
    registry: str,
    values: dict[str, Any],
    data_size: int,
    latest: Any,
    datas: dict[int, bytes | None],
    index: int,
    payload: bool,
) -> JobRow:
    present = data_size > 0 or any(v is not None for v in values.values())
    if not present:
        return JobRow(job_id, queue, registry, score, problem="job hash missing (expired or deleted)")
    strings = {k: text(v) for k, v in values.items() if k not in ("exc_info", "meta") and v is not None}
    problem = ""
    func = args = ""
    if payload and data_size == 0:
        problem = "no data field"
    elif payload and index in datas:
        call = decode_call(datas[index])
        problem = call.problem
        func = call.func_name
        args = args_preview(call, 200)
    elif payload:
        args = f"(payload {size(data_size)}B, not loaded)"
    exception = None
    if latest:
        _, entry = latest[0]
        traceback = decode_exc_string(entry.get(b"exc_string"))
        exception = parse_exception(traceback) if traceback else None
    if exception is None and values.get("exc_info"):
        exception = parse_exception(decode_exc_info(values["exc_info"]))
    meta_value: dict[str, Any] | None = None
    if values.get("meta") is not None:
        try:
            decoded = decode_value(values["meta"])
            meta_value = decoded if isinstance(decoded, dict) else {"": decoded}
        except UndecodableError as exc:
            meta_value = {}
            problem = problem or f"meta: {exc}"
    return JobRow(
        id=job_id,
        queue=queue,
        registry=registry,
        score=score,
        status=strings.get("status", ""),
        origin=strings.get("origin", ""),
        func=func,
        args=args,
        created_at=parse_rq_time(strings.get("created_at")),
        enqueued_at=parse_rq_time(strings.get("enqueued_at")),
        started_at=parse_rq_time(strings.get("started_at")),
        ended_at=parse_rq_time(strings.get("ended_at")),
        worker=strings.get("worker_name", ""),
        retries_left=optional_int(strings.get("retries_left")),
        group_id=strings.get("group_id", ""),
        exception=exception,
        meta=meta_value,
        payload_size=data_size,
        problem=problem,
    )
