"""Pages of a queue or registry by offset, and where a job id sits.

A page is a ranged read (LRANGE or ZRANGE, with the count) and the rows of just those ids, in one
read-only script: one round trip whether the registry holds 100 jobs or 10 million (where scripting
is refused, the ids in one pipeline and the rows in two). No cleanup runs, so reading never moves,
expires or deletes anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import redis

from queuetui.rqdata import keys, scripting
from queuetui.rqdata.deps import flag_rows
from queuetui.rqdata.fields import parse_rq_time, text
from queuetui.rqdata.priority import priority_order
from queuetui.rqdata.rows import (
    DESCENDING_BY_DEFAULT,
    ROWS_LUA,
    JobRow,
    RawRow,
    decode_rows,
    job_id_of,
    read_rows,
    reads,
    row_args,
    unflatten,
)

Member = tuple[str, float | None]


@dataclass(frozen=True)
class Page:
    queue: str
    registry: str
    offset: int
    total: int
    descending: bool
    rows: tuple[JobRow, ...]

    @property
    def end(self) -> int:
        return self.offset + len(self.rows)


def _key(queue: str, registry: str) -> str:
    return keys.queue_key(queue) if registry == "waiting" else keys.registry_key(queue, registry)


def default_descending(registry: str) -> bool:
    return registry in DESCENDING_BY_DEFAULT


def read_ids(
    connection: redis.Redis, queue: str, registry: str, offset: int, limit: int, descending: bool
) -> tuple[int, list[Member]]:
    """(total, [(job id, score)]) of one slice, in one round trip."""
    key = _key(queue, registry)
    pipe = connection.pipeline(transaction=False)
    if registry == "waiting":
        pipe.llen(key)
        if descending:
            pipe.lrange(key, -(offset + limit), -(offset + 1))
        else:
            pipe.lrange(key, offset, offset + limit - 1)
        total, ids = pipe.execute()
        members: list[Member] = [(text(i), None) for i in ids]
        return int(total), members[::-1] if descending else members
    pipe.zcard(key)
    # Sent as a plain command, the reply skips redis-py's score callback (a third of the cost of a
    # 1,000-id chunk): [member, score] pairs over RESP3, a flat member, score, ... list over RESP2.
    command = "ZREVRANGE" if descending else "ZRANGE"
    pipe.execute_command(command, key, offset, offset + limit - 1, "WITHSCORES")
    total, entries = pipe.execute()
    if entries and not isinstance(entries[0], list):
        flat = iter(entries)
        entries = list(zip(flat, flat, strict=False))
    return int(total), [(job_id_of(member), float(score)) for member, score in entries]


def read_page(
    connection: redis.Redis,
    queue: str,
    registry: str,
    offset: int = 0,
    limit: int = 50,
    descending: bool | None = None,
) -> Page:
    """The jobs at [offset, offset + limit) of a queue ('waiting') or one of its registries.

    An offset past the end (the registry shrank while the operator paged) gives the last page.
    """
    if descending is None:
        descending = default_descending(registry)
    offset = max(0, offset)
    try:
        offset, total, members, raws = _read_scripted(connection, queue, registry, offset, limit, descending)
    except scripting.ScriptingRefused:
        pass
    else:
        fields, _ = reads(registry)
        rows = decode_rows(queue, registry, members, raws, True, fields)
        return Page(queue, registry, offset, total, descending, tuple(rows))
    total, members = read_ids(connection, queue, registry, offset, limit, descending)
    if not members and offset:
        offset = max(0, total - limit)
        if total:
            total, members = read_ids(connection, queue, registry, offset, limit, descending)
    rows = read_rows(connection, queue, registry, members)
    return Page(queue, registry, offset, total, descending, tuple(rows))


# read_ids and read_rows in one round trip: ARGV key, list?, descending?, offset, limit, then rows_of's
# arguments (rows.row_args). Replies {offset, total, n, n x (member, score or false), the n rows}.
_PAGE_SCRIPT = (
    ROWS_LUA
    + """
local key, list, descending = ARGV[1], ARGV[2] == '1', ARGV[3] == '1'
local offset, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local function slice(from)
  if list then
    local total = redis.call('LLEN', key)
    if not descending then return total, redis.call('LRANGE', key, from, from + limit - 1), false end
    local ids, reversed = redis.call('LRANGE', key, -(from + limit), -(from + 1)), {}
    for i = #ids, 1, -1 do reversed[#reversed + 1] = ids[i] end
    return total, reversed, false
  end
  local total = redis.call('ZCARD', key)
  local command = descending and 'ZREVRANGE' or 'ZRANGE'
  local entries = redis.call(command, key, from, from + limit - 1, 'WITHSCORES')
  local members, scores = {}, {}
  for i = 1, #entries, 2 do
    members[#members + 1] = entries[i]
    scores[#scores + 1] = entries[i + 1]
  end
  return total, members, scores
end
local total, members, scores = slice(offset)
if #members == 0 and offset > 0 then
  offset = math.max(0, total - limit)
  if total > 0 then total, members, scores = slice(offset) end
end
local out, ids = {offset, total, #members}, {}
for i, member in ipairs(members) do
  out[#out + 1] = member
  out[#out + 1] = scores and scores[i] or false
  ids[i] = member:match('^[^:]*')
end
return rows_of(ids, 6, out)
"""
)


def _read_scripted(
    connection: redis.Redis, queue: str, registry: str, offset: int, limit: int, descending: bool
) -> tuple[int, int, list[Member], list[RawRow]]:
    """(offset, total, members, raw rows) of a page in one round trip (the offset moved back as in
    read_page when it is past the end); ScriptingRefused where scripts are refused."""
    fields, exceptions = reads(registry)
    args = [_key(queue, registry), int(registry == "waiting"), int(descending), offset, limit]
    reply = scripting.run(connection, _PAGE_SCRIPT, [*args, *row_args(fields, True, exceptions)])
    offset, total, count = reply[:3]
    flat = reply[3 : 3 + 2 * count]
    members: list[Member] = [
        (job_id_of(member), None if score is None else float(score))
        for member, score in zip(flat[::2], flat[1::2], strict=True)
    ]
    return int(offset), int(total), members, unflatten(reply[3 + 2 * count :], len(fields))


def _glob_escape(text_: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text_)


def _started_member(connection: redis.Redis, queue: str, job_id: str) -> bytes | None:
    """The started registry stores 'job_id:execution_id'; find the member of one job."""
    key = keys.registry_key(queue, "started")
    for member, _ in connection.zscan_iter(key, match=f"{_glob_escape(job_id)}:*", count=1000):
        return bytes(member)
    return None


# Where a job sits in a queue, in one round trip, without scanning it: a queue is in enqueue order
# (but for jobs put at the front, requeued or moved), so a binary search on the enqueued_at of the
# jobs it probes (about 20 in a million) lands next to the job, and a look at the ids around that
# spot finds it. When it does not (the queue is out of order there, a probed job has no time), the
# first and last WINDOW ids are looked at (jobs put at the front), then the caller scans with LPOS
# from the end the search ended nearer to. Reads only; times are compared as numbers, never as
# strings (Lua compares strings by the server's locale). Replies {index or -1, spot, length}.
_FIND_SCRIPT = """
local list, prefix, job_id, target, window = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local length = redis.pcall('LLEN', list)
if type(length) ~= 'number' then return {-1, 0, 0} end
local function stamp(value)
  if type(value) ~= 'string' then return nil end
  local digits = value:gsub('%D', '')
  if #digits < 14 then return nil end
  return {tonumber(digits:sub(1, 14)), tonumber((digits:sub(15) .. '000000'):sub(1, 6))}
end
local want = stamp(target)
local lo, hi = 0, length
while want and lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local probe = nil
  -- a job whose hash is gone tells nothing: the next one with a time stands in for it
  for _, id in ipairs(redis.call('LRANGE', list, mid, mid + 7)) do
    probe = stamp(redis.pcall('HGET', prefix .. id, 'enqueued_at'))
    if probe then break end
  end
  if not probe then break end
  if probe[1] < want[1] or (probe[1] == want[1] and probe[2] < want[2]) then lo = mid + 1 else hi = mid end
end
local first = math.max(0, lo - window)
for i, id in ipairs(redis.call('LRANGE', list, first, lo + window)) do
  if id == job_id then return {first + i - 1, lo, length} end
end
for _, rank in ipairs({1, -1}) do
  local at = redis.call('LPOS', list, job_id, 'RANK', rank, 'MAXLEN', window)
  if at then return {at, lo, length} end
end
return {-1, lo, length}
"""
FIND_WINDOW = 128


def _nearer_tail(connection: redis.Redis, key: str, moment: datetime) -> bool:
    """Whether a job enqueued at `moment` sits nearer the tail of the list `key` than its head."""
    pipe = connection.pipeline(transaction=False)
    pipe.lindex(key, 0)
    pipe.lindex(key, -1)
    ends = [text(end) for end in pipe.execute()]
    if not all(ends):
        return False
    pipe = connection.pipeline(transaction=False)
    for end in ends:
        pipe.hget(keys.job_key(end), "enqueued_at")
    head, tail = (parse_rq_time(t) for t in pipe.execute(raise_on_error=False))
    return head is not None and tail is not None and tail - moment < moment - head


def list_index(connection: redis.Redis, key: str, job_id: str, enqueued_at: Any) -> int | None:
    """Where `job_id` sits in the list `key` (0 = head), or None.

    With the job's enqueued_at, one script finds it by binary search on enqueue times (a millionth
    of a million-job queue read, one round trip). Where that misses, and where scripting is
    refused, LPOS scans from the end nearer the job, and stops at it.
    """
    moment = parse_rq_time(enqueued_at)
    if moment is None:
        index: Any = connection.lpos(key, job_id)
        return None if index is None else int(index)
    try:
        args = [key, keys.JOB_PREFIX, job_id, text(enqueued_at), FIND_WINDOW]
        found, spot, length = scripting.run(connection, _FIND_SCRIPT, args)
    except scripting.ScriptingRefused:
        from_tail = _nearer_tail(connection, key, moment)
    else:
        if found >= 0:
            return int(found)
        if not length:
            return None
        from_tail = spot * 2 > length
    index = connection.lpos(key, job_id, rank=-1 if from_tail else None)
    return None if index is None else int(index)


def position(
    connection: redis.Redis, queue: str, registry: str, job_id: str, descending: bool | None = None
) -> int | None:
    """Where `job_id` sits in a view (0 = first row), or None if it is not there."""
    if descending is None:
        descending = default_descending(registry)
    key = _key(queue, registry)
    if registry == "waiting":
        pipe = connection.pipeline(transaction=False)
        pipe.llen(key)
        pipe.hget(keys.job_key(job_id), "enqueued_at")
        total, enqueued_at = pipe.execute(raise_on_error=False)
        if isinstance(enqueued_at, redis.ResponseError):
            enqueued_at = None
        index = list_index(connection, key, job_id, enqueued_at)
        if index is None:
            return None
        return int(total) - 1 - index if descending else index
    member: bytes | str = job_id
    if registry == "started":
        found = _started_member(connection, queue, job_id)
        if found is None:
            return None
        member = found
    rank: Any = connection.zrevrank(key, member) if descending else connection.zrank(key, member)
    return None if rank is None else int(rank)


@dataclass(frozen=True)
class Location:
    queue: str
    registry: str
    position: int
    """The job's row in that view, in its default order."""


def find_job(connection: redis.Redis, job_id: str) -> list[Location]:
    """Every queue and registry that holds `job_id` (usually one), found without a full scan.

    Sorted sets answer with ZRANK. A queue list is searched with LPOS only where the job's hash says
    it waits, or in every queue when its hash is gone (the one case that costs a list scan).
    """
    pipe = connection.pipeline(transaction=False)
    pipe.hmget(keys.job_key(job_id), ["origin", "status", "enqueued_at"])
    pipe.smembers(keys.QUEUES_SET)
    fields, queue_members = pipe.execute(raise_on_error=False)
    # A key that is not a hash tells nothing about where the job is: search as if it were gone.
    origin_raw, status_raw, enqueued_at = (None,) * 3 if isinstance(fields, redis.ResponseError) else fields
    origin, status = text(origin_raw), text(status_raw)
    queues = priority_order(keys.names(queue_members, keys.QUEUE_PREFIX))
    if origin and origin not in queues:
        queues.append(origin)
    hash_missing = origin_raw is None and status_raw is None
    zset_registries = [r for r in keys.REGISTRIES if r != "started"]

    pipe = connection.pipeline(transaction=False)
    for queue in queues:
        for registry in zset_registries:
            key = keys.registry_key(queue, registry)
            if default_descending(registry):
                pipe.zrevrank(key, job_id)
            else:
                pipe.zrank(key, job_id)
    # With its hash gone, every queue is scanned from the head; else only the queue it waits in.
    list_queues = queues if hash_missing else []
    for queue in list_queues:
        pipe.lpos(keys.queue_key(queue), job_id)
    replies = iter(pipe.execute())

    found: list[Location] = []
    for queue in queues:
        for registry in zset_registries:
            rank = next(replies)
            if rank is not None:
                found.append(Location(queue, registry, int(rank)))
    for queue in list_queues:
        index = next(replies)
        if index is not None:
            found.append(Location(queue, "waiting", int(index)))
    if origin and status == "queued":
        index = list_index(connection, keys.queue_key(origin), job_id, enqueued_at)
        if index is not None:
            found.append(Location(origin, "waiting", index))
    started_queues = [q for q in queues if hash_missing or (q == origin and status == "started")]
    for queue in started_queues:
        rank = position(connection, queue, "started", job_id)
        if rank is not None:
            found.append(Location(queue, "started", rank))
    return found


def read_window(
    connection: redis.Redis,
    queue: str,
    registry: str,
    offset: int,
    limit: int,
    descending: bool | None = None,
    matches: Sequence[Member] | None = None,
) -> Page:
    """What a job view shows, in the console and `jobs list` alike: [offset, offset + limit) of the
    registry, or of `matches` (a filter's ids, in order), deferred rows flagged with why they can never
    run. One round trip for the page, one more for deferred rows; an offset past the end gives the last
    page."""
    if matches is None:
        page = read_page(connection, queue, registry, offset, limit, descending)
    else:
        offset = max(0, min(offset, len(matches) - limit))
        rows = read_rows(connection, queue, registry, matches[offset : offset + limit])
        page = Page(queue, registry, offset, len(matches), bool(descending), tuple(rows))
    if registry == "deferred":
        page = replace(page, rows=tuple(flag_rows(connection, page.rows)))
    return page
