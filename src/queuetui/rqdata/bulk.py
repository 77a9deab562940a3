"""Bulk job actions: a dry run that says what would be done, then the action in chunks.

    plan = bulk.plan(redis, JOB_ACTIONS["jobs.retry"], Selection("emails", "failed", "exc:Timeout"))
    plan.total, plan.sources, plan.samples()      # how many, from where, five of them
    outcome = bulk.run(redis, plan, progress=show, cancel=event, throttle=500)

The plan only reads (no registry cleanup). The run hands CHUNK ids at a time to the action's script:
one round trip per chunk, each chunk atomic, and the cancel event and the throttle are looked at
between chunks, so a cancelled run stops with whole chunks done and nothing half-moved. A job that
changed since the plan (vanished, started, moved elsewhere) is counted and listed with its reason and
never stops the rest. Redis refusing writes for want of memory (maxmemory with noeviction) stops the
run at the chunk it refused, which is left as it was: the outcome says how many were done before,
and why it stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import redis

from queuetui.config import DEFAULT_TENANT_KEY
from queuetui.rqdata import keys
from queuetui.rqdata.actions import OK, ActionError, JobAction, Options, Source
from queuetui.rqdata.connection import describe_error
from queuetui.rqdata.fields import text
from queuetui.rqdata.keys import STATUS_REGISTRY
from queuetui.rqdata.pages import read_ids
from queuetui.rqdata.query import parse
from queuetui.rqdata.rows import VIEWS
from queuetui.rqdata.search import filter_ids

CHUNK = 1000
MAX_JOBS = 1_000_000
"""The most jobs one bulk action takes (their ids are held in memory: about 80 MB at the limit)."""
_ID_READ = 10_000


@dataclass(frozen=True)
class Selection:
    """Which jobs: a queue's registry (optionally filtered), explicit ids (found wherever they are), or
    the jobs of a batch (an RQ group) that the action works on, wherever they are."""

    queue: str = ""
    registry: str = ""
    filter: str = ""
    ids: tuple[str, ...] = ()
    group: str = ""
    tenant_key: str = DEFAULT_TENANT_KEY
    """The job meta key tenant: terms of the filter read ([tenants] meta_key)."""

    def describe(self) -> str:
        if self.group:
            return f"batch {self.group}"
        where = f"{self.queue} {self.registry}".strip() or "wherever they are"
        if self.ids:
            return f"{len(self.ids):,} job ids in {where}"
        return f"{where} matching {self.filter!r}" if self.filter else where


@dataclass(frozen=True)
class Problem:
    job_id: str
    reason: str


@dataclass
class Plan:
    """What a bulk action would do; reading it changed nothing."""

    action: JobAction
    selection: Selection
    options: Options
    batches: dict[Source, list[str]]
    """The jobs to act on, by where they are now, in the order they will be acted on."""
    problems: list[Problem] = field(default_factory=list)
    """Jobs asked for by id that cannot be acted on (not found, in a registry the action ignores)."""
    scanned: int = 0
    truncated: bool = False
    """More than MAX_JOBS matched: the plan holds the first MAX_JOBS."""
    complete: bool = True
    """False when the dry run itself was cancelled before it had read the whole selection."""

    @property
    def total(self) -> int:
        return sum(len(ids) for ids in self.batches.values())

    @property
    def requested(self) -> int:
        return self.total + len(self.problems)

    @property
    def sources(self) -> dict[Source, int]:
        return {source: len(ids) for source, ids in self.batches.items() if ids}

    @property
    def ids(self) -> list[str]:
        return [job_id for ids in self.batches.values() for job_id in ids]

    def samples(self, n: int = 5) -> list[str]:
        return self.ids[:n]

    @property
    def target(self) -> str:
        """Where, in words: 'emails failed' or 'emails failed, default failed'."""
        where = ", ".join(str(s) for s in self.sources) or self.selection.describe()
        if self.selection.group:
            where = f"batch {self.selection.group}" + (f" ({where})" if self.sources else "")
        return f"{where} -> {self.options.to}" if self.options.to else where


@dataclass(frozen=True)
class Progress:
    done: int
    failed: int
    total: int
    elapsed: float

    @property
    def handled(self) -> int:
        return self.done + self.failed

    @property
    def rate(self) -> float:
        """Jobs handled per second so far."""
        return self.handled / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far; None before the first chunk."""
        return (self.total - self.handled) / self.rate if self.rate else None


@dataclass
class Outcome:
    action: str
    requested: int
    done: int = 0
    problems: list[Problem] = field(default_factory=list)
    dependents: list[str] = field(default_factory=list)
    """Jobs acted on because they depend on a selected one (cancel or delete with dependents)."""
    cancelled: bool = False
    elapsed: float = 0.0
    stopped: str = ""
    """Why the run stopped before the end (Redis out of memory), in one line; empty when it did not."""

    @property
    def failed(self) -> int:
        return len(self.problems)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


ProgressFn = Callable[[Progress], None]


def _never() -> bool:
    return False


def _unique(ids: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in ids if i.strip()))


def _all_ids(connection: redis.Redis, source: Source, limit: int) -> Iterator[list[str]]:
    """Every id in a queue or registry, in its natural order, _ID_READ per round trip."""
    offset = 0
    while offset < limit:
        _, members = read_ids(
            connection, source.queue, source.registry, offset, min(_ID_READ, limit - offset), False
        )
        if not members:
            return
        yield [job_id for job_id, _ in members]
        offset += len(members)


def plan(
    connection: redis.Redis,
    action: JobAction,
    selection: Selection,
    options: Options | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = _never,
    limit: int = MAX_JOBS,
) -> Plan:
    """The dry run: which jobs `action` would act on, read without changing anything."""
    options = options or Options()
    action.check(options)
    registry = selection.registry
    if registry and registry not in VIEWS:
        raise ActionError(f"unknown registry {registry!r}")
    if registry and registry not in action.sources:
        raise ActionError(f"{action.name} works on {', '.join(action.sources)} jobs, not {registry}")
    if selection.group:
        if selection.ids or selection.filter or selection.queue:
            raise ActionError("give a batch alone: not with job ids, a filter or a queue")
        return _plan_group(connection, action, selection, options, cancelled, limit)
    if selection.ids:
        if selection.filter:
            raise ActionError("give job ids or a filter, not both")
        return _plan_ids(connection, action, selection, options)
    if not selection.queue or not registry:
        if len(action.sources) != 1 or not selection.queue:
            raise ActionError("say which jobs: a queue and a registry (and a filter), or job ids")
        registry = action.sources[0]
    source = Source(selection.queue, registry)
    if source.is_list and options.to == source.queue:
        raise ActionError(f"the jobs already wait in {options.to!r}: choose another queue")
    result = Plan(action, selection, options, {source: []})
    if selection.filter:
        found = filter_ids(
            connection,
            source.queue,
            source.registry,
            parse(selection.filter, selection.tenant_key),
            descending=False,
            progress=progress,
            cancelled=cancelled,
            max_matches=limit,
        )
        result.batches[source] = found.ids
        result.scanned, result.truncated = found.walk.scanned, found.truncated
        result.complete = found.walk.complete or found.truncated
        return result
    ids = result.batches[source]
    for chunk in _all_ids(connection, source, limit + 1):
        ids.extend(chunk)
        if progress is not None:
            progress(len(ids), len(ids))
        if cancelled():
            result.complete = False
            break
    if len(ids) > limit:
        del ids[limit:]
        result.truncated = True
    result.scanned = len(ids)
    return result


def _plan_group(
    connection: redis.Redis,
    action: JobAction,
    selection: Selection,
    options: Options,
    cancelled: Callable[[], bool],
    limit: int,
) -> Plan:
    """A batch's jobs go by where each is now; those the action does not work on are left out."""
    from queuetui.rqdata.batches import GROUPS_SET, group_key, walk

    pipe = connection.pipeline(transaction=False)
    pipe.sismember(GROUPS_SET, selection.group)
    pipe.exists(group_key(selection.group))
    if not any(pipe.execute()):
        raise ActionError(f"no batch named {selection.group!r} (see queuetui batches list)")
    result = Plan(action, selection, options, {})
    wanted = (selection.registry,) if selection.registry else action.sources
    found: dict[Source, list[tuple[float, str]]] = {}
    taken = 0
    for _, members in walk(connection, [selection.group], cancelled=cancelled):
        result.scanned += len(members)
        for member in members:
            registry = STATUS_REGISTRY.get(member.status, "")
            if registry in wanted and member.queue and taken < limit:
                moment = member.created_at.timestamp() if member.created_at else 0.0
                found.setdefault(Source(member.queue, registry), []).append((moment, member.id))
                taken += 1
            elif registry in wanted and member.queue:
                result.truncated = True
    result.complete = not cancelled()
    for source, pairs in sorted(found.items(), key=lambda item: (item[0].queue, item[0].registry)):
        result.batches[source] = [job_id for _, job_id in sorted(pairs)]  # acted on in creation order
    return result


def _plan_ids(connection: redis.Redis, action: JobAction, selection: Selection, options: Options) -> Plan:
    """Explicit ids go by where each job is now: its status and queue, read in one round trip."""
    result = Plan(action, selection, options, {})
    ids = _unique(selection.ids)
    pipe = connection.pipeline(transaction=False)
    for job_id in ids:
        pipe.hmget(keys.job_key(job_id), ["status", "origin"])
    replies = pipe.execute(raise_on_error=False)
    dangling = _dangling(
        connection, action, selection, [i for i, r in zip(ids, replies, strict=True) if r == [None, None]]
    )
    for job_id, reply in zip(ids, replies, strict=True):
        if isinstance(reply, redis.ResponseError):
            result.problems.append(Problem(job_id, "unreadable: its key is not a hash"))
            continue
        status, origin = (text(v) for v in reply)
        registry = STATUS_REGISTRY.get(status)
        if job_id in dangling:
            result.batches.setdefault(Source(selection.queue, selection.registry), []).append(job_id)
        elif not status and not origin:
            result.problems.append(Problem(job_id, "no such job"))
        elif registry not in action.sources:
            result.problems.append(
                Problem(job_id, f"{status or 'no status'}, not {' or '.join(action.sources)}")
            )
        elif selection.queue and origin != selection.queue:
            result.problems.append(Problem(job_id, f"in {origin}, not {selection.queue}"))
        elif selection.registry and registry != selection.registry:
            result.problems.append(Problem(job_id, f"{status}, not in {selection.registry}"))
        else:
            result.batches.setdefault(Source(origin, registry), []).append(job_id)
    result.scanned = len(ids)
    return result


def _dangling(
    connection: redis.Redis, action: JobAction, selection: Selection, missing: list[str]
) -> set[str]:
    """Of the ids whose job hash is missing, those still listed in the queue or registry the selection
    names, when the action clears such entries (delete): one round trip."""
    if not (missing and action.clears_dangling and selection.queue and selection.registry in action.sources):
        return set()
    source = Source(selection.queue, selection.registry)
    pipe = connection.pipeline(transaction=False)
    for job_id in missing:
        if source.is_list:
            pipe.lpos(source.key, job_id)
        else:
            pipe.zscore(source.key, job_id)
    return {job_id for job_id, at in zip(missing, pipe.execute(), strict=True) if at is not None}


def run(
    connection: redis.Redis,
    plan: Plan,
    *,
    chunk: int = CHUNK,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    throttle: float | None = None,
    on_chunk: Callable[[list[str]], None] | None = None,
) -> Outcome:
    """Do what `plan` says, a chunk per round trip; stops between chunks when `cancel` is set.

    `throttle` caps the rate in jobs per second (chunks shrink to a tenth of a second's worth);
    `on_chunk` gets the ids each chunk acted on, before progress is reported (the audit keeps them).
    """
    if throttle is not None and throttle <= 0:
        raise ActionError(f"throttle must be a positive number of jobs per second, got {throttle}")
    if throttle:
        chunk = max(1, min(chunk, int(throttle / 10)))
    outcome = Outcome(plan.action.name, plan.requested, problems=list(plan.problems))
    start = time.monotonic()
    total = plan.requested
    handled = 0

    def report() -> None:
        outcome.elapsed = time.monotonic() - start
        if progress is not None:
            progress(Progress(outcome.done, outcome.failed, total, outcome.elapsed))

    for source, ids in plan.batches.items():
        # Front pushes reverse what they push: going backwards keeps the jobs in their order.
        ordered = ids[::-1] if plan.options.at_front else ids
        for begin in range(0, len(ordered), chunk):
            if cancel is not None and cancel.is_set():
                outcome.cancelled = True
                report()
                return outcome
            part = ordered[begin : begin + chunk]
            try:
                result = plan.action.chunk(connection, source, part, plan.options)
            except redis.exceptions.OutOfMemoryError as exc:
                # The script refused the chunk before writing anything (actions.refused_write).
                outcome.stopped = describe_error(exc)
                report()
                return outcome
            for job_id, code in zip(part, result.codes, strict=True):
                if code == OK:
                    outcome.done += 1
                else:
                    outcome.problems.append(Problem(job_id, code))
            outcome.dependents.extend(result.dependents)
            handled += len(part)
            if on_chunk is not None:
                on_chunk([job_id for job_id, code in zip(part, result.codes, strict=True) if code == OK])
            report()
            if throttle:
                wait = handled / throttle - outcome.elapsed
                if wait > 0 and cancel is not None:
                    cancel.wait(wait)
                elif wait > 0:
                    time.sleep(wait)
    if not handled:
        report()  # nothing to act on: still one report, with the problems found by the dry run
    outcome.elapsed = time.monotonic() - start
    return outcome
