"""The fire forecast: how many schedules fire in each minute of the next hours, to spot collisions.

Every enabled schedule's fire times over the horizon are counted per minute (a schedule with
seconds counts once per fire). Schedules whose expressions come to the same (H resolved) in the
same zone are worked out once, and a schedule costs one next-fire evaluation per minute it fires
in, not per second, so 100,000 schedules take seconds. Runs in the console's thread worker;
nothing here writes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from queuetui.db.engine import session_scope
from queuetui.db.models import Schedule
from queuetui.schedule.cron import Cron, CronError, get_zone, parse

HORIZON = timedelta(hours=24)


@dataclass(frozen=True)
class Forecast:
    start: datetime
    """The first minute counted (UTC, on the minute)."""
    per_minute: tuple[int, ...]
    """Fires in each minute from start, one entry per minute of the horizon."""
    busiest: tuple[tuple[datetime, int, tuple[str, ...]], ...]
    """The busiest minutes: (minute, fires, a few of the schedules that fire then)."""
    schedules: int
    """Enabled schedules counted (those whose cron can be read)."""

    @property
    def total(self) -> int:
        return sum(self.per_minute)

    def buckets(self, count: int) -> list[int]:
        """The per-minute counts folded into `count` buckets (each the busiest minute it holds)."""
        size = max(1, -(-len(self.per_minute) // max(1, count)))
        return [max(self.per_minute[i : i + size]) for i in range(0, len(self.per_minute), size)]


def forecast(
    sessions: sessionmaker[Session],
    now: datetime,
    horizon: timedelta = HORIZON,
    top: int = 10,
    exclude: str | None = None,
) -> Forecast:
    """Fire counts per minute for `horizon` from the minute after `now` (without schedule `exclude`)."""
    start = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = start + horizon
    minutes = int(horizon.total_seconds() // 60)
    counts: Counter[int] = Counter()
    names: dict[int, list[str]] = {}
    schedules = 0
    with session_scope(sessions) as session:
        query = select(Schedule.name, Schedule.cron, Schedule.timezone).where(Schedule.enabled.is_(True))
        if exclude is not None:
            query = query.where(Schedule.name != exclude)
        rows = session.execute(query).all()
    # Schedules with the same concrete expression (H resolved) and zone fire together: worked out once.
    groups: dict[tuple[str, str], tuple[Cron, ZoneInfo, list[str]]] = {}
    for name, expression, zone_name in rows:
        try:
            cron, zone = parse(expression, name), get_zone(zone_name)
        except CronError:
            continue  # the list shows it as invalid
        groups.setdefault((cron.expression, zone_name), (cron, zone, []))[2].append(name)
    for cron, zone, members in groups.values():
        schedules += len(members)
        moment: datetime | None = start - timedelta(microseconds=1)
        for _ in range(minutes):  # one next-fire per minute that fires, however many seconds fire in it
            moment = cron.next_fire(moment, zone) if moment is not None else None
            if moment is None or moment >= end:
                break
            minute = int((moment - start).total_seconds() // 60)
            counts[minute] += len(members) * sum(1 for second in cron.seconds if second >= moment.second)
            fired_here = names.setdefault(minute, [])
            fired_here.extend(n for n in members[: 3 - len(fired_here)] if n not in fired_here)
            moment = start + timedelta(minutes=minute + 1, microseconds=-1)
    per_minute = tuple(counts.get(i, 0) for i in range(minutes))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    busiest = tuple((start + timedelta(minutes=m), n, tuple(names.get(m, ()))) for m, n in ranked)
    return Forecast(start, per_minute, busiest, schedules)


@dataclass(frozen=True)
class Crowd:
    """The minute in which a schedule would fire among the most fires of the others."""

    minute: datetime
    """UTC, on the minute."""
    others: int
    """Fires of other schedules in that minute."""
    typical: int
    """Fires in a typical minute of the forecast (the median): every-minute schedules set the floor."""


def crowding(result: Forecast, cron: Cron, zone: ZoneInfo) -> Crowd | None:
    """Where `cron` would fire among more fires than a typical minute holds, the busiest such minute
    first; None when it fires in no such minute of the forecast's horizon."""
    typical = sorted(result.per_minute)[(len(result.per_minute) - 1) // 2] if result.per_minute else 0
    end = result.start + timedelta(minutes=len(result.per_minute))
    found: Crowd | None = None
    moment: datetime | None = result.start - timedelta(microseconds=1)
    for _ in range(len(result.per_minute)):  # one next-fire per minute it fires in, as forecast() counts
        moment = cron.next_fire(moment, zone) if moment is not None else None
        if moment is None or moment >= end:
            break
        index = int((moment - result.start).total_seconds() // 60)
        others = result.per_minute[index]
        if others > typical and (found is None or others > found.others):
            found = Crowd(result.start + timedelta(minutes=index), others, typical)
        moment = result.start + timedelta(minutes=index + 1, microseconds=-1)
    return found
