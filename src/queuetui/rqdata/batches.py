"""Batches: RQ groups (rq.group.Group), each with its size, its jobs counted by state, and progress.

RQ keeps a group as a set of job ids (rq:group:NAME) and every group's name in the set rq:groups;
it stores no time for a group, so a batch's `created_at` is the earliest created_at of its jobs.
Job hashes expire (result_ttl, failure_ttl) while the set keeps their ids until a worker's
maintenance cleans it: those members are counted as `gone`.

Reading only reads. RQ's Group.all, Group.get_jobs and Group.cleanup remove ids and groups as they
read; nothing here calls them. A group is walked CHUNK members at a time, never loaded whole: an
SSCAN of every group on the page in one pipeline, then the status, origin and created_at of the ids
it returned (rows.read_raw: one round trip per CHUNK ids). A page of small groups costs about
three round trips; a group of N jobs about 2 * N / CHUNK. The counts are exact for a group that
does not change while it is read (SSCAN may return an id twice if the set is resized mid-walk).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import redis

from queuetui.rqdata import keys
from queuetui.rqdata.fields import parse_rq_time, text
from queuetui.rqdata.keys import STATUS_REGISTRY
from queuetui.rqdata.rows import JobRow, read_raw, read_rows

GROUPS_SET = keys.GROUPS_SET
GROUP_PREFIX = keys.GROUP_PREFIX
CHUNK = 1000
MAX_MEMBERS = 100_000
"""The most job ids a batch's jobs view holds (in memory, as a filter's matches)."""

STATES = ("waiting", "running", "deferred", "scheduled", "finished", "failed", "canceled", "gone")
PENDING = ("waiting", "deferred", "scheduled")
DONE = ("finished", "failed", "canceled", "gone")
"""Jobs that will not run again unless retried: ended, or whose hash is gone (expired after it ended)."""

_STATE_OF_STATUS = {
    "queued": "waiting",
    "created": "waiting",
    "ready_to_enqueue": "waiting",
    "rate_limited": "waiting",
    "started": "running",
    "deferred": "deferred",
    "scheduled": "scheduled",
    "finished": "finished",
    "failed": "failed",
    "stopped": "failed",
    "canceled": "canceled",
}
_FIELDS = ("status", "origin", "created_at")


def group_key(name: str) -> str:
    return GROUP_PREFIX + name


def state_of(status: str, exists: bool = True) -> str:
    """A job's state in a batch: 'gone' without a hash; a status unknown to this version counts as waiting."""
    if not exists:
        return "gone"
    return _STATE_OF_STATUS.get(status, "waiting")


@dataclass(frozen=True)
class Member:
    """One job of a batch as the walk reads it: no payload, nothing decoded."""

    id: str
    state: str
    status: str
    """RQ's own status ('' when gone): where the job sits (keys.STATUS_REGISTRY)."""
    queue: str
    created_at: datetime | None


@dataclass
class Batch:
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    created_at: datetime | None = None
    """The earliest created_at of its jobs (RQ stores no time for a group)."""
    oldest_pending_id: str = ""
    oldest_pending_at: datetime | None = None
    listed: bool = True
    """Its name is in rq:groups (RQ's Group.enqueue_many puts it there)."""

    @property
    def size(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return sum(self.counts[s] for s in DONE)

    @property
    def pending(self) -> int:
        return sum(self.counts[s] for s in PENDING)

    @property
    def progress(self) -> float:
        """Done over size, 0..1 (1 for an empty batch: nothing is left to do)."""
        return self.done / self.size if self.size else 1.0

    def add(self, member: Member) -> None:
        self.counts[member.state] += 1
        moment = member.created_at
        if moment is None:
            return
        if self.created_at is None or moment < self.created_at:
            self.created_at = moment
        if member.state in PENDING and (self.oldest_pending_at is None or moment < self.oldest_pending_at):
            self.oldest_pending_at, self.oldest_pending_id = moment, member.id


@dataclass(frozen=True)
class BatchPage:
    offset: int
    total: int
    """How many groups rq:groups names."""
    batches: tuple[Batch, ...]

    @property
    def end(self) -> int:
        return self.offset + len(self.batches)


def _never() -> bool:
    return False


def walk(
    connection: redis.Redis,
    names: Sequence[str],
    *,
    chunk: int = CHUNK,
    cancelled: Callable[[], bool] = _never,
) -> Iterator[tuple[int, list[Member]]]:
    """(index into `names`, members) a chunk at a time, for every job of every group named.

    Each round sends one SSCAN per unfinished group in one pipeline, then reads the ids it got
    `chunk` at a time (one round trip each).
    """
    cursors: dict[int, int] = dict.fromkeys(range(len(names)), 0)
    while cursors and not cancelled():
        pipe = connection.pipeline(transaction=False)
        order = list(cursors)
        for i in order:
            pipe.sscan(group_key(names[i]), cursors[i], count=chunk)
        ids: list[tuple[int, str]] = []
        for i, reply in zip(order, pipe.execute(raise_on_error=False), strict=True):
            if isinstance(reply, redis.ResponseError):  # the key is not a set: no members to show
                del cursors[i]
                continue
            cursor, members = reply
            ids.extend((i, text(member)) for member in members)
            if int(cursor) == 0:
                del cursors[i]
            else:
                cursors[i] = int(cursor)
        # SSCAN's COUNT is a hint: a round of 1,040 ids is read in one go, not as 1,000 and 40.
        reads = max(1, round(len(ids) / chunk))
        for n in range(reads if ids else 0):
            part = ids[len(ids) * n // reads : len(ids) * (n + 1) // reads]
            raws = read_raw(connection, [job_id for _, job_id in part], _FIELDS, False, False)
            by_group: dict[int, list[Member]] = {}
            for (i, job_id), (values, _, _, _) in zip(part, raws, strict=True):
                by_group.setdefault(i, []).append(_member(job_id, values))
            yield from by_group.items()


def _member(job_id: str, values: list[object] | None) -> Member:
    if values is None or all(v is None for v in values):
        return Member(job_id, "gone", "", "", None)
    status, origin, created = values
    return Member(job_id, state_of(text(status)), text(status), text(origin), parse_rq_time(created))


def group_names(connection: redis.Redis) -> list[str]:
    """Every group rq:groups names, sorted (one SMEMBERS: names only, never their jobs)."""
    return sorted(text(name) for name in connection.smembers(GROUPS_SET))


def read_batches(
    connection: redis.Redis, offset: int = 0, limit: int = 50, *, chunk: int = CHUNK
) -> BatchPage:
    """The batches at [offset, offset + limit) of every group, by name, each counted in full.

    An offset past the end (groups went while the operator paged) gives the last page.
    """
    names = group_names(connection)
    offset = max(0, len(names) - limit) if offset >= len(names) else max(0, offset)
    page = names[offset : offset + limit]
    batches = [Batch(name) for name in page]
    for i, members in walk(connection, page, chunk=chunk):
        for member in members:
            batches[i].add(member)
    return BatchPage(offset, len(names), tuple(batches))


def read_batch(connection: redis.Redis, name: str, *, chunk: int = CHUNK) -> Batch | None:
    """One batch counted in full; None when RQ knows no group of that name."""
    pipe = connection.pipeline(transaction=False)
    pipe.sismember(GROUPS_SET, name)
    pipe.exists(group_key(name))
    listed, exists = pipe.execute()
    if not listed and not exists:
        return None
    batch = Batch(name, listed=bool(listed))
    for _, members in walk(connection, [name], chunk=chunk):
        for member in members:
            batch.add(member)
    return batch


@dataclass(frozen=True)
class Members:
    ids: list[tuple[str, float | None]]
    """(job id, created_at timestamp) of each job, oldest first (jobs without a time last)."""
    truncated: bool
    """More than MAX_MEMBERS: ids holds the first MAX_MEMBERS found."""


def batch_members(
    connection: redis.Redis,
    name: str,
    *,
    limit: int = MAX_MEMBERS,
    chunk: int = CHUNK,
    cancelled: Callable[[], bool] = _never,
) -> Members:
    """The jobs of a batch in creation order, for a jobs view to page through (at most `limit`)."""
    found: list[tuple[str, float | None]] = []
    truncated = False
    for _, members in walk(connection, [name], chunk=chunk, cancelled=cancelled):
        found.extend((m.id, m.created_at.timestamp() if m.created_at else None) for m in members)
        if len(found) > limit:
            del found[limit:]
            truncated = True
            break
    found.sort(key=lambda pair: (pair[1] is None, pair[1] or 0.0, pair[0]))
    return Members(found, truncated)


def read_batch_rows(connection: redis.Redis, members: Sequence[tuple[str, float | None]]) -> list[JobRow]:
    """Rows of jobs wherever they are: each row's queue and registry are the job's own (one round trip)."""
    rows = read_rows(connection, "", "", members, exceptions=True)
    return [replace(row, queue=row.origin, registry=STATUS_REGISTRY.get(row.status, "")) for row in rows]


def row_state(row: JobRow) -> str:
    """The batch state a jobs view shows for a row read by read_batch_rows."""
    return state_of(row.status, exists=bool(row.status or row.origin))
