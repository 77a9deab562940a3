"""Everything stored about one job, decoded as data: hash, results, dependencies, where it sits."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from queuetui.rqdata import keys
from queuetui.rqdata.fields import dependency_ids, optional_int, parse_rq_time, text
from queuetui.rqdata.pages import Location, find_job
from queuetui.rqdata.payload import Budget, Call, UndecodableError, decode_call, decode_value, size
from queuetui.rqdata.rows import (
    RESULTS_PREFIX,
    ExceptionInfo,
    decode_exc_info,
    decode_exc_string,
    parse_exception,
)

RESULT_TYPES = {1: "successful", 2: "failed", 3: "stopped", 4: "retried", 5: "max retries exceeded"}
_NOT_SET = object()


@dataclass(frozen=True)
class StoredResult:
    id: str
    type: str
    created_at: datetime | None
    worker: str
    started_at: datetime | None
    ended_at: datetime | None
    return_value: Any = _NOT_SET
    return_problem: str = ""
    exception: ExceptionInfo | None = None

    @property
    def has_return_value(self) -> bool:
        return self.return_value is not _NOT_SET


@dataclass(frozen=True)
class JobDetail:
    id: str
    exists: bool
    status: str = ""
    origin: str = ""
    description: str = ""
    call: Call = field(default_factory=Call)
    meta: dict[str, Any] | None = None
    meta_problem: str = ""
    created_at: datetime | None = None
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    last_heartbeat: datetime | None = None
    worker: str = ""
    group_id: str = ""
    timeout: str = ""
    result_ttl: str = ""
    failure_ttl: str = ""
    ttl: str = ""
    expires_in: float | None = None
    """Seconds until Redis expires the job hash; None when it never does."""
    retries_left: int | None = None
    retry_intervals: list[Any] = field(default_factory=list)
    number_of_retries: int | None = None
    legacy_exception: ExceptionInfo | None = None
    dependencies: list[str] = field(default_factory=list)
    dependents: list[str] = field(default_factory=list)
    results: list[StoredResult] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)
    """Every hash field as printable text (binary fields shortened), for jobs that do not decode."""
    payload_size: int = 0
    payload: bytes | None = field(default=None, repr=False)
    """The stored data field as it is (compressed), for a disassembly on request."""
    key_problem: str = ""
    """Set when the job's key exists but is not a hash (written by something other than RQ)."""

    @property
    def problems(self) -> list[str]:
        found = []
        if self.key_problem:
            found.append(self.key_problem)
        elif not self.exists:
            found.append("job hash missing (expired or deleted)")
        elif self.call.problem:
            found.append(self.call.problem)
        if self.meta_problem:
            found.append(f"meta: {self.meta_problem}")
        return found

    @property
    def latest_exception(self) -> ExceptionInfo | None:
        for result in self.results:
            if result.exception is not None:
                return result.exception
        return self.legacy_exception


def printable(value: bytes, limit: int = 400) -> str:
    """A hash field for people: text if it is UTF-8, else a shortened bytes repr with its size."""
    try:
        decoded = value.decode("utf-8")
        if decoded.isprintable() or all(c.isprintable() or c in "\n\t" for c in decoded[:limit]):
            return decoded if len(decoded) <= limit else f"{decoded[:limit]}… ({size(len(decoded))} chars)"
    except UnicodeDecodeError:
        pass
    shown = repr(value[:limit])
    return shown if len(value) <= limit else f"{shown}… ({size(len(value))}B)"


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(text(value)), UTC) if value else None
    except ValueError:
        return None


def _result(entry_id: bytes, payload: dict[bytes, bytes], budget: Budget) -> StoredResult:
    entry = text(entry_id)
    millis = entry.split("-")[0]
    created = datetime.fromtimestamp(int(millis) / 1000, UTC) if millis.isdigit() else None
    type_code = optional_int(payload.get(b"type"))
    kind = RESULT_TYPES.get(type_code or 0, text(payload.get(b"type")) or "?")
    traceback = decode_exc_string(payload.get(b"exc_string"), budget)
    value: Any = _NOT_SET
    problem = ""
    raw_value = payload.get(b"return_value")
    if raw_value is not None:
        try:
            value = decode_value(base64.b64decode(raw_value), budget)
        except (binascii.Error, ValueError) as exc:
            problem = str(exc) if isinstance(exc, UndecodableError) else "not base64"
    return StoredResult(
        id=entry,
        type=kind,
        created_at=created,
        worker=text(payload.get(b"worker_name")),
        started_at=_timestamp(payload.get(b"execution_started_at")),
        ended_at=_timestamp(payload.get(b"execution_ended_at")),
        return_value=value,
        return_problem=problem,
        exception=parse_exception(traceback) if traceback else None,
    )


def job_detail(connection: redis.Redis, job_id: str) -> JobDetail:
    """Read and decode one job in two round trips (plus its locations); never unpickles code."""
    pipe = connection.pipeline(transaction=False)
    pipe.hgetall(keys.job_key(job_id))
    pipe.ttl(keys.job_key(job_id))
    pipe.xrevrange(RESULTS_PREFIX + job_id, "+", "-", count=10)
    pipe.smembers(keys.dependents_key(job_id))
    pipe.smembers(keys.dependencies_key(job_id))
    # A key of the wrong type is bad data to show, not an error: WRONGTYPE replies read as empty.
    replies = [None if isinstance(r, redis.ResponseError) else r for r in pipe.execute(raise_on_error=False)]
    raw_hash, key_ttl, entries, dependents, dependencies = replies
    locations = find_job(connection, job_id)
    # One page's budget for the whole detail: the job's call, its meta, then each result, each within
    # a job's share of it.
    page = Budget()
    call = decode_call(raw_hash.get(b"data"), page.job()) if raw_hash else Call()
    budget = page.job()
    meta: dict[str, Any] | None = None
    meta_problem = ""
    if raw_hash and b"meta" in raw_hash:
        try:
            decoded = decode_value(raw_hash[b"meta"], budget)
            meta = decoded if isinstance(decoded, dict) else {"": decoded}
        except UndecodableError as exc:
            meta_problem = str(exc)
    results = [_result(entry_id, payload, page.job()) for entry_id, payload in entries or []]
    dependents_list = sorted(text(d) for d in dependents or [])
    if not raw_hash:
        key_problem = "job key holds something other than a hash" if raw_hash is None else ""
        return JobDetail(
            job_id,
            exists=False,
            results=results,
            dependents=dependents_list,
            locations=locations,
            key_problem=key_problem,
        )
    fields = {text(k): v for k, v in raw_hash.items()}
    strings = {k: text(v) for k, v in fields.items() if k not in ("data", "meta", "exc_info", "result")}
    depends_on = dependency_ids(fields.get("dependency_ids"), fields.get("dependency_id"), dependencies or [])
    try:
        intervals = json.loads(strings.get("retry_intervals") or "[]")
    except ValueError:
        intervals = [strings["retry_intervals"]]
    legacy = decode_exc_info(fields.get("exc_info"), budget)
    return JobDetail(
        id=job_id,
        exists=True,
        status=strings.get("status", ""),
        origin=strings.get("origin", ""),
        description=strings.get("description", ""),
        call=call,
        meta=meta,
        meta_problem=meta_problem,
        created_at=parse_rq_time(strings.get("created_at")),
        enqueued_at=parse_rq_time(strings.get("enqueued_at")),
        started_at=parse_rq_time(strings.get("started_at")),
        ended_at=parse_rq_time(strings.get("ended_at")),
        last_heartbeat=parse_rq_time(strings.get("last_heartbeat")),
        worker=strings.get("worker_name", ""),
        group_id=strings.get("group_id", ""),
        timeout=strings.get("timeout", ""),
        result_ttl=strings.get("result_ttl", ""),
        failure_ttl=strings.get("failure_ttl", ""),
        ttl=strings.get("ttl", ""),
        expires_in=float(key_ttl) if key_ttl is not None and key_ttl >= 0 else None,
        retries_left=optional_int(strings.get("retries_left")),
        retry_intervals=intervals if isinstance(intervals, list) else [intervals],
        number_of_retries=optional_int(strings.get("number_of_retries")),
        legacy_exception=parse_exception(legacy) if legacy else None,
        dependencies=depends_on,
        dependents=dependents_list,
        results=results,
        locations=locations,
        raw={k: printable(v) for k, v in sorted(fields.items())},
        payload_size=len(fields.get("data", b"")),
        payload=fields.get("data"),
    )
