"""The fire forecast: how many schedules fire in each minute of the next hours, to spot collisions.

Every enabled schedule's fire times over the horizon are counted per minute (a schedule with
seconds counts once per fire). Schedules sharing an expression and zone (and no H) are worked out
once. A schedule firing more often than once a minute is counted up to PER_SCHEDULE_LIMIT fires, so
one runaway expression cannot stall the forecast. Runs in the
console's thread worker and in the CLI; nothing here writes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from queuetui.schedule.cron import CronError, get_zone, parse
from queuetui.schedule.db import session_scope
from queuetui.schedule.models import Schedule

HORIZON = timedelta(hours=24)
PER_SCHEDULE_LIMIT = 2 * 24 * 60
"""Fire times counted per schedule at most: every minute of a day, twice over."""


@dataclass(frozen=True)
class Forecast:
    start: datetime
    """The first minute counted (UTC, on the minute)."""
    per_minute: tuple[int, ...]
    """Fires in each minute from start, one entry per minute of the horizon."""
    busiest: tuple[tuple[datetime, int, tuple[str, ...]], ...]
    """The busiest minutes: (minute, fires, a few of the schedules that fire then)."""
    schedules: int
    """Enabled schedules counted."""
    capped: int
    """Schedules that fire more often than PER_SCHEDULE_LIMIT allows to count in full."""

    @property
    def total(self) -> int:
        return sum(self.per_minute)

    def buckets(self, count: int) -> list[int]:
        """The per-minute counts folded into `count` buckets (each the busiest minute it holds)."""
        size = max(1, -(-len(self.per_minute) // max(1, count)))
        return [max(self.per_minute[i : i + size]) for i in range(0, len(self.per_minute), size)]


def forecast(
    sessions: sessionmaker[Session], now: datetime, horizon: timedelta = HORIZON, top: int = 10
) -> Forecast:
    """Fire counts per minute for `horizon` from the minute after `now`."""
    start = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = start + horizon
    minutes = int(horizon.total_seconds() // 60)
    counts: Counter[int] = Counter()
    names: dict[int, list[str]] = {}
    schedules = capped = 0
    with session_scope(sessions) as session:
        rows = session.execute(
            select(Schedule.name, Schedule.cron, Schedule.timezone).where(Schedule.enabled.is_(True))
        ).all()
    groups: dict[tuple[str, str, str], list[str]] = {}  # schedules with the same fire times, computed once
    for name, expression, zone_name in rows:
        hashed = name if "H" in expression.upper() else ""
        groups.setdefault((expression, zone_name, hashed), []).append(name)
    for (expression, zone_name, hashed), members in groups.items():
        try:
            cron, zone = parse(expression, hashed or None), get_zone(zone_name)
        except CronError:
            continue  # the list shows it as invalid
        schedules += len(members)
        moment: datetime | None = start - timedelta(microseconds=1)
        for fired in range(PER_SCHEDULE_LIMIT + 1):
            moment = cron.next_fire(moment, zone) if moment is not None else None
            if moment is None or moment >= end:
                break
            if fired == PER_SCHEDULE_LIMIT:
                capped += len(members)
                break
            minute = int((moment - start).total_seconds() // 60)
            counts[minute] += len(members)
            fired_here = names.setdefault(minute, [])
            fired_here.extend(n for n in members[: 3 - len(fired_here)] if n not in fired_here)
    per_minute = tuple(counts.get(i, 0) for i in range(minutes))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    busiest = tuple((start + timedelta(minutes=m), n, tuple(names.get(m, ()))) for m, n in ranked)
    return Forecast(start, per_minute, busiest, schedules, capped)
