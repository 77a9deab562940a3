"""Reading schedules for people: a page of the list with each schedule's last run, and one schedule's
detail with its run history. Shared by the console and the CLI; nothing here writes.

A page costs three indexed queries whatever the number of schedules (the page, its count, the last
run of each schedule on it), so the list of 100,000 schedules opens as fast as a list of ten.

The search is words, all of which must match:
  tag:nightly  queue:emails  is:enabled|disabled|snoozed  and free text, found in the name,
  function, description, cron expression, queue or tags (case-insensitive).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select, true
from sqlalchemy.orm import Session, sessionmaker

from queuetui.db.engine import session_scope
from queuetui.db.models import RunState, Schedule, ScheduleRun
from queuetui.schedule.cron import CronError, describe, get_zone, next_fires, parse


class SearchError(ValueError):
    """A search the list cannot run; the message is one line."""


@dataclass(frozen=True)
class LastRun:
    state: str
    fire_time: datetime
    duration: float | None


@dataclass(frozen=True)
class ScheduleRow:
    id: int
    name: str
    cron: str
    description: str
    """The cron expression in English, or why it cannot be read."""
    timezone: str
    queue: str
    func: str
    enabled: bool
    snoozed_until: datetime | None
    next_fire_at: datetime | None
    tags: tuple[str, ...]
    last: LastRun | None

    def state(self, now: datetime) -> str:
        return schedule_state(self.enabled, self.snoozed_until, now)


def schedule_state(enabled: bool, snoozed_until: datetime | None, now: datetime) -> str:
    """'enabled', 'disabled' or 'snoozed' (until a later time)."""
    if not enabled:
        return "disabled"
    if snoozed_until is not None and snoozed_until > now:
        return "snoozed"
    return "enabled"


@dataclass(frozen=True)
class ScheduleList:
    rows: tuple[ScheduleRow, ...]
    offset: int
    total: int
    """Schedules matching the search."""
    search: str


@lru_cache(maxsize=4096)
def english(cron: str, name: str) -> str:
    """The expression in English ('At 03:00 AM'), or why it cannot be read."""
    try:
        return describe(parse(cron, name))
    except CronError as exc:
        return f"invalid: {exc}"


def _condition(search: str) -> ColumnElement[bool]:
    """The SQL condition for a search; SearchError names a word that cannot be read."""
    terms: list[ColumnElement[bool]] = []
    for word in search.split():
        key, sep, value = word.partition(":")
        key = key.lower()
        if sep and key == "tag":
            terms.append(
                func.lower(cast(Schedule.tags, String)).contains(f'"{value.lower()}"', autoescape=True)
            )
        elif sep and key == "queue":
            terms.append(Schedule.queue == value)
        elif sep and key == "is":
            states = {
                "enabled": Schedule.enabled.is_(True),
                "disabled": Schedule.enabled.is_(False),
                "snoozed": Schedule.snoozed_until.is_not(None),
            }
            if value.lower() not in states:
                raise SearchError(f"is:{value}: expected one of is:{', is:'.join(states)}")
            terms.append(states[value.lower()])
        elif sep and key in ("name", "func", "cron"):
            column = {"name": Schedule.name, "func": Schedule.func, "cron": Schedule.cron}[key]
            terms.append(func.lower(column).contains(value.lower(), autoescape=True))
        else:
            text = word.lower()
            columns = (Schedule.name, Schedule.func, Schedule.description, Schedule.cron, Schedule.queue)
            found = [func.lower(c).contains(text, autoescape=True) for c in columns]
            found.append(func.lower(cast(Schedule.tags, String)).contains(text, autoescape=True))
            terms.append(or_(*found))
    return and_(*terms) if terms else true()


def check_search(search: str) -> str:
    """Why a search cannot run, in one line; '' when it can."""
    try:
        _condition(search)
    except SearchError as exc:
        return str(exc)
    return ""


def list_schedules(
    sessions: sessionmaker[Session], *, search: str = "", offset: int = 0, limit: int = 100
) -> ScheduleList:
    """A page of the schedules matching `search`: enabled first, soonest next run first, then by name.

    A schedule that never fires again (no next run) comes first among its kind: it needs a look.
    The order is an index's (ix_schedules_list), so a page deep in 100,000 costs milliseconds.
    """
    condition = _condition(search)
    with session_scope(sessions) as session:
        total = session.scalar(select(func.count()).select_from(Schedule).where(condition)) or 0
        offset = max(0, min(offset, total - 1)) if total else 0
        query = (
            select(Schedule)
            .where(condition)
            .order_by(Schedule.enabled.desc(), Schedule.next_fire_at.asc().nulls_first(), Schedule.name)
            .offset(offset)
            .limit(limit)
        )
        schedules = list(session.scalars(query))
        last = last_runs(session, [s.id for s in schedules])
        rows = tuple(_row(s, last.get(s.id)) for s in schedules)
    return ScheduleList(rows, offset, total, search)


def last_runs(session: Session, ids: list[int]) -> dict[int, LastRun]:
    """Each schedule's newest run (by fire time), in one query."""
    if not ids:
        return {}
    newest = (
        select(ScheduleRun.schedule_id, func.max(ScheduleRun.fire_time).label("fire_time"))
        .where(ScheduleRun.schedule_id.in_(ids))
        .group_by(ScheduleRun.schedule_id)
        .subquery()
    )
    query = select(
        ScheduleRun.schedule_id, ScheduleRun.state, ScheduleRun.fire_time, ScheduleRun.duration
    ).join(
        newest,
        (ScheduleRun.schedule_id == newest.c.schedule_id) & (ScheduleRun.fire_time == newest.c.fire_time),
    )
    return {sid: LastRun(state, fire, duration) for sid, state, fire, duration in session.execute(query)}


def _row(schedule: Schedule, last: LastRun | None) -> ScheduleRow:
    return ScheduleRow(
        id=schedule.id,
        name=schedule.name,
        cron=schedule.cron,
        description=english(schedule.cron, schedule.name),
        timezone=schedule.timezone,
        queue=schedule.queue,
        func=schedule.func,
        enabled=schedule.enabled,
        snoozed_until=schedule.snoozed_until,
        next_fire_at=schedule.next_fire_at,
        tags=tuple(schedule.tags or ()),
        last=last,
    )


@dataclass(frozen=True)
class RunStats:
    runs: int
    finished: int
    failed: int
    """Failed or stopped."""
    durations: tuple[float, ...]
    """Oldest first, of the runs that have one."""

    @property
    def success_rate(self) -> float | None:
        ended = self.finished + self.failed
        return self.finished / ended if ended else None


@dataclass(frozen=True)
class ScheduleDetail:
    schedule: Schedule
    runs: tuple[ScheduleRun, ...]
    """Newest fire time first."""
    stats: RunStats
    upcoming: tuple[datetime, ...]
    """Its next fire times (UTC), from now; empty when disabled or its cron cannot be read."""


def schedule_detail(
    sessions: sessionmaker[Session], name: str, now: datetime, limit: int = 200, upcoming: int = 5
) -> ScheduleDetail | None:
    """A schedule, its newest `limit` runs and next `upcoming` fire times; None if there is no such."""
    with session_scope(sessions) as session:
        schedule = session.scalar(select(Schedule).where(Schedule.name == name))
        if schedule is None:
            return None
        query = (
            select(ScheduleRun)
            .where(ScheduleRun.schedule_id == schedule.id)
            .order_by(ScheduleRun.fire_time.desc(), ScheduleRun.id.desc())
            .limit(limit)
        )
        runs = tuple(session.scalars(query))
    failed = sum(r.state in (RunState.FAILED, RunState.STOPPED) for r in runs)
    finished = sum(r.state == RunState.FINISHED for r in runs)
    durations = tuple(r.duration for r in reversed(runs) if r.duration is not None)
    following: tuple[datetime, ...] = ()
    if schedule.enabled:
        try:
            zone = get_zone(schedule.timezone)
            fires = next_fires(parse(schedule.cron, schedule.name), zone, now, upcoming)
            following = tuple(fire.astimezone(UTC) for fire in fires)
        except CronError:
            pass  # the description says why
    return ScheduleDetail(schedule, runs, RunStats(len(runs), finished, failed, durations), following)


def in_use(sessions: sessionmaker[Session], limit: int = 500) -> tuple[list[str], list[str]]:
    """The functions and the queues schedules use, the most used first (the form completes them)."""
    found: list[list[str]] = []
    with session_scope(sessions) as session:
        for column in (Schedule.func, Schedule.queue):
            query = select(column).group_by(column).order_by(func.count().desc(), column).limit(limit)
            found.append(list(session.scalars(query)))
    return found[0], found[1]


def position(sessions: sessionmaker[Session], name: str, search: str = "") -> int | None:
    """Where schedule `name` sits in the list of `search` (0 = first), or None when it is not in it.

    Counts the schedules ahead of it in the list's order, by the list's index.
    """
    condition = _condition(search)
    with session_scope(sessions) as session:
        target = session.execute(
            select(Schedule.enabled, Schedule.next_fire_at).where(Schedule.name == name, condition)
        ).first()
        if target is None:
            return None
        enabled, next_fire_at = target
        later_name = and_(Schedule.enabled.is_(enabled), Schedule.name < name)
        if next_fire_at is None:
            same_kind = and_(later_name, Schedule.next_fire_at.is_(None))
        else:
            same_kind = and_(
                Schedule.enabled.is_(enabled),
                or_(
                    Schedule.next_fire_at.is_(None),
                    Schedule.next_fire_at < next_fire_at,
                    and_(Schedule.next_fire_at == next_fire_at, Schedule.name < name),
                ),
            )
        ahead = or_(Schedule.enabled.is_(True), same_kind) if not enabled else same_kind
        query = select(func.count()).select_from(Schedule).where(condition, ahead)
        return session.scalar(query) or 0
