"""Walking a whole registry in chunks: filtering it, and grouping its failures.

Both read CHUNK ids at a time by offset and only the fields their test needs, report progress after
every chunk, and stop when asked. Memory holds two chunks (the one tested and the next, read ahead)
plus the matching ids (capped at MAX_MATCHES), never the registry. A registry that changes during
the walk is read as it goes: a job moved between chunks can be missed or seen twice, as in any
paged read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import redis

from queuetui.clock import SYSTEM, Clock
from queuetui.rqdata import keys, scripting
from queuetui.rqdata.deps import flag_rows
from queuetui.rqdata.pages import Member, default_descending, read_ids
from queuetui.rqdata.payload import JOB_LIMITS, Budget, UndecodableError, decode_value
from queuetui.rqdata.query import Query, signature
from queuetui.rqdata.rows import JobRow, RawRow, decode_rows, hash_fields, read_raw

CHUNK = 1000
MAX_MATCHES = 100_000

ProgressFn = Callable[[int, int], None]
"""progress(scanned, total), called after each chunk."""


def _never() -> bool:
    return False


@dataclass
class Walk:
    scanned: int = 0
    total: int = 0
    complete: bool = False
    """False when the walk was cancelled (or hit MAX_MATCHES) before the end of the registry."""


def _chunks(
    connection: redis.Redis,
    queue: str,
    registry: str,
    *,
    descending: bool,
    chunk: int,
    progress: ProgressFn | None,
    cancelled: Callable[[], bool],
    walk: Walk,
    payload: bool,
    exceptions: bool,
    meta: bool,
    fields: tuple[str, ...],
    deps: bool = False,
) -> Iterator[list[JobRow]]:
    wanted = hash_fields(fields, meta)

    def fetch(offset: int) -> tuple[int, list[Member], list[RawRow]]:
        total, members = read_ids(connection, queue, registry, offset, chunk, descending)
        ids = [job_id for job_id, _ in members]
        return total, members, read_raw(connection, ids, wanted, payload, exceptions) if ids else []

    # The next chunk is read (in Redis, and parsed) while this one is decoded and tested: the two
    # halves run side by side on two cores instead of in turn. One chunk ahead at most.
    with ThreadPoolExecutor(1, thread_name_prefix="queuetui-walk") as reader:
        ahead: Future[tuple[int, list[Member], list[RawRow]]] | None = None
        while not cancelled():
            if ahead is None:
                ahead = reader.submit(fetch, walk.scanned)
            walk.total, members, raws = ahead.result()
            if not members:
                walk.complete = True
                return
            ahead = reader.submit(fetch, walk.scanned + len(members))
            rows = decode_rows(queue, registry, members, raws, payload, wanted)
            yield flag_rows(connection, rows) if deps else rows
            walk.scanned += len(members)
            if progress is not None:
                progress(walk.scanned, max(walk.total, walk.scanned))


@dataclass(frozen=True)
class FilterResult:
    matches: list[tuple[str, float | None]]
    """(job id, registry score) of each match, in the view's order."""
    walk: Walk
    truncated: bool
    """More than MAX_MATCHES jobs matched; matches holds the first ones."""

    @property
    def ids(self) -> list[str]:
        return [job_id for job_id, _ in self.matches]


def filter_ids(
    connection: redis.Redis,
    queue: str,
    registry: str,
    query: Query,
    *,
    descending: bool | None = None,
    chunk: int = CHUNK,
    clock: Clock = SYSTEM,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] = _never,
    max_matches: int = MAX_MATCHES,
) -> FilterResult:
    """The jobs in a view that match `query`, in the view's order."""
    if descending is None:
        descending = default_descending(registry)
    now = clock.now()
    matches: list[tuple[str, float | None]] = []
    walk = Walk()
    truncated = False
    for rows in _chunks(
        connection,
        queue,
        registry,
        descending=descending,
        chunk=chunk,
        progress=progress,
        cancelled=cancelled,
        walk=walk,
        payload=query.needs_payload,
        exceptions=query.needs_exceptions,
        meta=query.needs_meta,
        deps=query.needs_deps,
        fields=query.fields,
    ):
        matches.extend((row.id, row.score) for row in rows if query.match(row, now))
        if len(matches) > max_matches:
            del matches[max_matches:]
            truncated = True
            break
    return FilterResult(matches, walk, truncated)


@dataclass
class FailureGroup:
    signature: str
    exc_type: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    sample_id: str


@dataclass(frozen=True)
class GroupsResult:
    groups: list[FailureGroup]
    """Largest group first."""
    walk: Walk


def failure_groups(
    connection: redis.Redis,
    queue: str,
    *,
    chunk: int = CHUNK,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] = _never,
) -> GroupsResult:
    """Group a queue's failed jobs by exception type and normalised message."""
    groups: dict[str, FailureGroup] = {}
    walk = Walk()
    for rows in _chunks(
        connection,
        queue,
        "failed",
        descending=True,
        chunk=chunk,
        progress=progress,
        cancelled=cancelled,
        walk=walk,
        payload=False,
        exceptions=True,
        meta=False,
        fields=("created_at", "enqueued_at", "ended_at", "exc_info"),
    ):
        for row in rows:
            key = signature(row)
            seen = row.ended_at or row.enqueued_at or row.created_at
            group = groups.get(key)
            if group is None:
                exc_type = row.exception.type if row.exception else ""
                groups[key] = FailureGroup(key, exc_type, 1, seen, seen, row.id)
                continue
            group.count += 1
            if seen is not None:
                if group.first_seen is None or seen < group.first_seen:
                    group.first_seen = seen
                if group.last_seen is None or seen > group.last_seen:
                    group.last_seen = seen
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.signature))
    return GroupsResult(ordered, walk)


# The meta field of each job id in ARGV[2..] (job key prefix ARGV[1]); false for none, or not a hash.
_METAS = """
local out = {}
for i = 2, #ARGV do
  local value = redis.pcall('HGET', ARGV[1] .. ARGV[i], 'meta')
  if type(value) == 'table' then value = false end
  out[i - 1] = value
end
return out
"""
_TENANT_CACHE = 4096
"""Distinct meta values whose tenant a walk remembers: jobs of one tenant mostly share their meta bytes."""


def _read_metas(connection: redis.Redis, ids: list[str]) -> list[bytes | None]:
    try:
        return [m or None for m in scripting.run(connection, _METAS, [keys.JOB_PREFIX, *ids])]
    except scripting.ScriptingRefused:
        pipe = connection.pipeline(transaction=False)
        for job_id in ids:
            pipe.hget(keys.job_key(job_id), "meta")
        return [m if isinstance(m, bytes) else None for m in pipe.execute(raise_on_error=False)]


def tenant_in(raw: bytes, meta_key: str) -> str:
    """The tenant in a job's raw meta, decoded as data within a job's budget ("" for none or undecodable)."""
    try:
        meta = decode_value(raw, Budget(JOB_LIMITS))
    except UndecodableError:
        return ""
    value = meta.get(meta_key) if isinstance(meta, dict) else None
    return "" if value is None else str(value)


def tenant_counts(
    connection: redis.Redis,
    queue: str,
    registry: str,
    meta_key: str,
    *,
    chunk: int = CHUNK,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] = _never,
) -> tuple[dict[str, int], Walk]:
    """How many jobs of a queue's registry each tenant has (job meta `meta_key`; "" for none).

    Walks the registry CHUNK ids at a time as the other walks do, reading only each job's meta (one
    round trip a chunk, the next chunk read while this one is counted), decoded as data within a
    job's budget; identical meta bytes are decoded once.
    """
    counts: dict[str, int] = {}
    cache: dict[bytes, str] = {}
    walk = Walk()
    descending = default_descending(registry)

    def fetch(offset: int) -> tuple[int, list[Member], list[bytes | None]]:
        total, members = read_ids(connection, queue, registry, offset, chunk, descending)
        ids = [job_id for job_id, _ in members]
        return total, members, _read_metas(connection, ids) if ids else []

    with ThreadPoolExecutor(1, thread_name_prefix="queuetui-tenants") as reader:
        ahead = reader.submit(fetch, 0)
        while not cancelled():
            walk.total, members, metas = ahead.result()
            if not members:
                walk.complete = True
                break
            ahead = reader.submit(fetch, walk.scanned + len(members))
            for raw in metas:
                if raw is None:
                    tenant = ""
                elif (tenant := cache.get(raw)) is None:  # type: ignore[assignment]
                    if len(cache) >= _TENANT_CACHE:
                        cache.clear()
                    tenant = cache[raw] = tenant_in(raw, meta_key)
                counts[tenant] = counts.get(tenant, 0) + 1
            walk.scanned += len(members)
            if progress is not None:
                progress(walk.scanned, max(walk.total, walk.scanned))
    return counts, walk
