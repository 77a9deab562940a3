"""Job dependencies: what a job waits on, what waits on it, and deferred jobs that can never run.

RQ keeps a job's dependencies twice: the hash field `dependency_ids` (JSON, written at creation) and
the set `rq:job::<id>:dependencies` (RQ's spelling, with its double colon); both are read, as either
may be missing. What waits on a job is the set `rq:job:<id>:dependents`, which RQ deletes once it has
enqueued them. Reading a tree costs one round trip per level (a read-only script; a pipeline where
scripts are refused), plus one for the function names of every job found; a level is read whole,
and the tree stops at MAX_DEPTH levels or MAX_NODES jobs. Nothing is written, nothing unpickled.

A deferred job never runs on its own when RQ will never enqueue it: RQ enqueues dependents only when
a dependency ends, and then only if every dependency finished (or failed, for a job that allows
failure). So it is stuck when a dependency failed (and it does not allow failure), was canceled or
stopped, no longer exists, or is itself a deferred job that never runs; or when every dependency
ended well and it is still deferred (the enqueue was lost).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import redis

from queuetui.rqdata import keys, scripting
from queuetui.rqdata.fields import dependency_ids, text
from queuetui.rqdata.rows import JobRow, read_rows

MAX_DEPTH = 6
"""Levels read on each side of a job in a tree, and behind a deferred job when checking it."""
MAX_NODES = 500
"""Jobs one tree or one check reads at most; past it, the rest is left out (and said so)."""

READS_PER_JOB = 4
"""A check of N deferred jobs reads at most MAX_NODES + READS_PER_JOB * N jobs (a chunk of a filter
walk is 1,000 of them: each may wait on a different job, which may wait on another)."""

_FIELDS = ("status", "origin", "allow_dependency_failures", "dependency_ids", "dependency_id")
_ENDED_BADLY = ("canceled", "stopped")  # RQ never enqueues what waits on these, allow_failure or not


@dataclass(frozen=True)
class _Job:
    """One job's dependency facts, as read."""

    id: str
    exists: bool
    status: str = ""
    origin: str = ""
    allow_failure: bool = False
    dependencies: tuple[str, ...] = ()
    dependents: tuple[str, ...] = ()
    problem: str = ""

    def linked(self, upward: bool) -> tuple[str, ...]:
        return self.dependencies if upward else self.dependents


def _members(reply: object) -> list[str]:
    return [] if isinstance(reply, redis.ResponseError) else sorted(text(m) for m in reply)  # type: ignore[attr-defined]


_LEVEL_SCRIPT = """
local prefix, both, nfields = ARGV[1], ARGV[2] == '1', tonumber(ARGV[3])
local fields = {}
for i = 1, nfields do fields[i] = ARGV[3 + i] end
-- pcall: a key of the wrong type is bad data to show, not a reason to fail the whole read
local out = {}
for i = 4 + nfields, #ARGV do
  local id = ARGV[i]
  local key = prefix .. id
  local values = redis.pcall('HMGET', key, unpack(fields))
  if values.err then values = {err = 'WRONGTYPE'} end
  local above = redis.pcall('SMEMBERS', prefix .. ':' .. id .. ':dependencies')  -- RQ's spelling
  if above.err then above = {} end
  local exists, below = 1, {}
  if both then
    exists = redis.call('EXISTS', key)
    below = redis.pcall('SMEMBERS', key .. ':dependents')
    if below.err then below = {} end
  end
  out[#out + 1] = {values, above, exists, below}
end
return out
"""


def _replies(connection: redis.Redis, ids: Sequence[str], both: bool) -> list[tuple[Any, Any, Any, Any]]:
    """(hash fields or an error, dependencies, exists, dependents) of each job, in one round trip.

    A read-only script where the server runs scripts; a pipeline of two or four commands a job
    where it refuses them.
    """
    try:
        replies = scripting.run(
            connection, _LEVEL_SCRIPT, [keys.JOB_PREFIX, int(both), len(_FIELDS), *_FIELDS, *ids]
        )
    except scripting.ScriptingRefused:
        pass
    else:
        return [
            (
                redis.ResponseError("WRONGTYPE") if isinstance(values, bytes) else values,
                above,
                exists,
                below,
            )
            for values, above, exists, below in replies
        ]
    pipe = connection.pipeline(transaction=False)
    for job_id in ids:
        pipe.hmget(keys.job_key(job_id), _FIELDS)
        pipe.smembers(keys.dependencies_key(job_id))
        if both:
            pipe.exists(keys.job_key(job_id))
            pipe.smembers(keys.dependents_key(job_id))
    flat = iter(pipe.execute(raise_on_error=False))
    found: list[tuple[Any, Any, Any, Any]] = []
    for _ in ids:
        values, above = next(flat), next(flat)
        exists, below = (next(flat), next(flat)) if both else (1, [])
        found.append((values, above, exists, below))
    return found


def _read_level(connection: redis.Redis, ids: Sequence[str], both: bool = True) -> dict[str, _Job]:
    """Each job's facts and what it waits on (and, `both`, what waits on it), in one round trip.

    Without `both` (checking deferred jobs), a hash holding none of RQ's status, origin and
    dependency fields counts as gone.
    """
    jobs: dict[str, _Job] = {}
    for job_id, (values, dependencies, exists, dependents) in zip(
        ids, _replies(connection, ids, both), strict=True
    ):
        below = tuple(_members(dependents))
        if isinstance(values, redis.ResponseError):
            problem = "job key holds something other than a hash"
            jobs[job_id] = _Job(job_id, True, dependents=below, problem=problem)
        elif not exists or not any(v is not None for v in values):
            jobs[job_id] = _Job(job_id, bool(exists) and both, dependents=below)
        else:
            status, origin, allow, dep_ids, legacy = values
            above = tuple(dependency_ids(dep_ids, legacy, _members(dependencies)))
            jobs[job_id] = _Job(job_id, True, text(status), text(origin), text(allow) == "1", above, below)
    return jobs


def _walk(
    connection: redis.Redis,
    roots: Sequence[str],
    upward: bool,
    depth: int,
    limit: int,
    *,
    follow: set[str] | None = None,
    known: dict[str, _Job] | None = None,
    both: bool = True,
) -> tuple[dict[str, _Job], bool]:
    """Every job reachable from `roots` on one side, a level per round trip; True when cut short.

    `follow` limits the statuses walked through beyond the roots (None: all); jobs in `known` are
    not read again.
    """
    known = known or {}
    seen: dict[str, _Job] = {}
    first = set(roots)
    level = list(dict.fromkeys(roots))
    truncated = False
    for _ in range(depth + 1):
        level = [i for i in level if i not in seen]
        if not level:
            return seen, truncated
        unread = [i for i in level if i not in known]
        room = max(0, limit - len(seen))
        if len(unread) > room:
            unread, truncated = unread[:room], True
            level = [i for i in level if i in known or i in unread]
        seen.update({i: known[i] for i in level if i in known})
        if unread:
            seen.update(_read_level(connection, unread, both))
        level = [
            linked
            for job_id in level
            if follow is None or job_id in first or seen[job_id].status in follow
            for linked in seen[job_id].linked(upward)
        ]
    return seen, truncated or any(i not in seen for i in level)


def _never(job_id: str, jobs: dict[str, _Job], memo: dict[str, str], path: tuple[str, ...]) -> str:
    """Why deferred job `job_id` never runs ('' when it may, or when what it waits on was not read)."""
    if job_id in memo:
        return memo[job_id]
    job = jobs[job_id]
    if not job.dependencies:
        memo[job_id] = "no dependencies recorded"
        return memo[job_id]
    waiting = False
    reason = ""
    for dep_id in job.dependencies:
        dep = jobs.get(dep_id)
        if dep is None:
            waiting = True  # beyond what was read: cannot tell, so not flagged
            continue
        if not dep.exists:
            reason = f"dep {dep_id} gone"
        elif dep.problem:
            reason = f"dep {dep_id} unreadable"
        elif dep.status in _ENDED_BADLY:
            reason = f"dep {dep_id} {dep.status}"
        elif dep.status == "failed" and not job.allow_failure:
            reason = f"dep {dep_id} failed"
        elif dep.status == "deferred":
            if dep_id in path:
                reason = f"dep {dep_id} in a cycle"
            elif _never(dep_id, jobs, memo, (*path, dep_id)):
                reason = f"dep {dep_id} never runs"
            else:
                waiting = True
        elif dep.status not in ("finished", "failed"):
            waiting = True  # queued, started, scheduled...: it may still end well
        if reason:
            break
    if not reason and not waiting:
        reason = "deps ended, never enqueued"
    memo[job_id] = reason
    return reason


def never_runnable(
    connection: redis.Redis,
    job_ids: Sequence[str],
    *,
    depth: int = MAX_DEPTH,
    limit: int = MAX_NODES,
    known: dict[str, _Job] | None = None,
) -> dict[str, str]:
    """Why each deferred job of `job_ids` can never run ('' when it may, or cannot be told).

    Reads the jobs and what they wait on, following deferred dependencies up to `depth` levels:
    one round trip per level (jobs in `known` are not read again), at most `limit` jobs beyond
    READS_PER_JOB per job asked. Jobs not deferred get ''.
    """
    if not job_ids:
        return {}
    limit += READS_PER_JOB * len(job_ids)
    jobs, _ = _walk(connection, job_ids, True, depth, limit, follow={"deferred"}, known=known, both=False)
    memo: dict[str, str] = {}
    found: dict[str, str] = {}
    for job_id in job_ids:
        job = jobs.get(job_id)
        deferred = job is not None and job.exists and job.status == "deferred"
        found[job_id] = _never(job_id, jobs, memo, (job_id,)) if deferred else ""
    return found


def flag_rows(connection: redis.Redis, rows: Sequence[JobRow]) -> list[JobRow]:
    """Deferred rows with `never` set to why they can never run (see never_runnable)."""
    deferred = [r.id for r in rows if r.registry == "deferred" or r.status == "deferred"]
    reasons = never_runnable(connection, deferred)
    return [replace(r, never=reasons[r.id]) if reasons.get(r.id) else r for r in rows]


@dataclass(frozen=True)
class Node:
    """A job in a dependency tree, with the jobs on the next level of its side."""

    id: str
    exists: bool
    status: str
    func: str
    origin: str
    allow_failure: bool
    never: str
    """For a deferred job: why it can never run; else ''."""
    children: tuple[Node, ...] = ()
    repeated: bool = False
    """Shown elsewhere in the tree already (a shared dependency or a cycle): not expanded again."""
    cut: bool = False
    """It has links the tree stopped before (depth or size limit)."""
    problem: str = ""

    @property
    def state(self) -> str:
        """Its status, 'gone' when its hash no longer exists, 'unreadable' for a key of another type."""
        if self.problem:
            return "unreadable"
        return self.status or "?" if self.exists else "gone"


@dataclass(frozen=True)
class Tree:
    job: Node
    waits_on: tuple[Node, ...]
    """What the job waits on, each with what it waits on in turn."""
    waited_on_by: tuple[Node, ...]
    """What waits on the job, each with what waits on it in turn."""
    truncated: bool
    """The tree stopped at MAX_DEPTH levels or MAX_NODES jobs on a side."""

    def ids(self) -> list[str]:
        """Every job id in the tree, each once, in reading order."""
        found: dict[str, None] = {self.job.id: None}
        stack = [*self.waits_on, *self.waited_on_by]
        while stack:
            node = stack.pop(0)
            found.setdefault(node.id, None)
            stack.extend(node.children)
        return list(found)


def dependency_tree(
    connection: redis.Redis, job_id: str, *, depth: int = MAX_DEPTH, limit: int = MAX_NODES
) -> Tree:
    """The tree of what `job_id` waits on and what waits on it.

    One round trip per level on each side, one per level behind its deferred jobs not read yet, and
    one for the function names.
    """
    up, cut_up = _walk(connection, [job_id], True, depth, limit)
    down, cut_down = _walk(connection, [job_id], False, depth, limit, known=up)
    jobs = {**down, **up}
    deferred = [i for i, j in jobs.items() if j.exists and j.status == "deferred"]
    never = never_runnable(connection, deferred, depth=depth, limit=limit, known=jobs)
    rows = read_rows(connection, "", "", [(i, None) for i in jobs], exceptions=False)
    funcs = {r.id: r.func for r in rows}

    def build(node_id: str, upward: bool, level: int, shown: set[str]) -> Node:
        job = jobs[node_id]
        repeated = node_id in shown
        shown.add(node_id)
        children: list[Node] = []
        cut = False
        if not repeated:
            for linked in job.linked(upward):
                if linked in jobs and level < depth:
                    children.append(build(linked, upward, level + 1, shown))
                else:
                    cut = True
        return Node(
            id=node_id,
            exists=job.exists,
            status=job.status,
            func=funcs.get(node_id, ""),
            origin=job.origin,
            allow_failure=job.allow_failure,
            never=never.get(node_id, ""),
            children=tuple(children),
            repeated=repeated,
            cut=cut,
            problem=job.problem,
        )

    above = build(job_id, True, 0, set())
    below = build(job_id, False, 0, set())
    return Tree(replace(above, children=(), cut=False), above.children, below.children, cut_up or cut_down)
