"""Cron semantics, in one place: read an expression, say it in English, find its next fire times in
an IANA time zone, and warn about schedules that would surprise someone.

Expressions have 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, as
cron-descriptor and cronsim read them; or one of @yearly @annually @monthly @weekly @daily @midnight
@hourly. A field is a list of values, ranges a-b, `*`, and steps (`*/n`, `a-b/n`, and `a/n` from a to
the end of the field); months and days of the week may be names (JAN, MON). The day of month also
takes `L` (last day), `LW` (last Monday-to-Friday) and `nW` (the Monday-to-Friday nearest day n, in the
same month); the day of week takes `nL` (last such day of the month) and `n#k` (k-th such day).
Jenkins' `H`, `H(a-b)`, `H/n` and `H(a-b)/n` are hashed from the schedule's name into concrete values
before anything else reads the expression.

Days follow Debian cron: when the day-of-month or the day-of-week field starts with '*', a day must
match both; otherwise it may match either.

DST follows Debian cron too (DESIGN rule 9). A fixed-time schedule, one whose minute and hour fields
both do not start with '*', follows the wall clock: a time its zone skips fires once, at the jump;
a time its zone repeats fires once, on the first pass. Every other schedule ('*/15 * * * *',
'0 * * * *') follows real elapsed time: skipped wall times do not fire, repeated ones fire on both
passes.

Fire times are aware datetimes in the schedule's zone. Compare them in UTC: Python compares two
datetimes of one zone by their wall clock, ignoring `fold`.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cron_descriptor import FormatError, Options, get_description

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
RARE_YEARS = 4
"""A schedule "fires rarely" when it fires fewer than RARE_YEARS times in the next RARE_YEARS years,
that is less than once a year on average (Feb 29, the fifth Monday of February, ...)."""
DST_LOOKAHEAD_DAYS = 366
"""How far ahead warnings look for the zone's clock changes."""

_HORIZON_YEARS = 400  # the Gregorian calendar repeats every 400 years: a day that ever matches does within
_LAST_YEAR = MAXYEAR - 1  # searches stop a year short of datetime's end, so that any zone can convert
_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)
_MIDNIGHT = (0, 0, 0)
_ENGLISH = Options(locale_code="en_US", use_24hour_time_format=True)


class CronError(ValueError):
    """A cron expression or time zone that cannot be used; the message is one line for people."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    hash_high: int  # Jenkins hashes days of month into 1-28 (every month has them) and weekdays into 0-6
    names: dict[str, int]


_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS = (
    _Field("second", 0, 59, 59, {}),
    _Field("minute", 0, 59, 59, {}),
    _Field("hour", 0, 23, 23, {}),
    _Field("day-of-month", 1, 31, 28, {}),
    _Field("month", 1, 12, 12, {name: i for i, name in enumerate(_MONTH_NAMES, start=1)}),
    _Field("day-of-week", 0, 7, 6, {name: i for i, name in enumerate(_WEEKDAY_NAMES)}),
)
_SECOND_FIELD, _MINUTE_FIELD, _HOUR_FIELD, _DAY_FIELD, _MONTH_FIELD, _WEEKDAY_FIELD = _FIELDS

_TERM = re.compile(r"(\*|\w+)(?:-(\w+))?(?:/(\w+))?")
_HASH = re.compile(r"H(?:\((\d+)-(\d+)\))?(?:/(\d+))?")
_NEAREST = re.compile(r"(\d+)W")
_LAST_OF = re.compile(r"(\w+)L")
_NTH = re.compile(r"(\w+)#(\d+)")
_OPEN_STEP = re.compile(r"(\*|\d+)/(\d+)")


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression, ready to evaluate in any zone."""

    source: str  # as written, whitespace collapsed
    expression: str  # concrete: aliases expanded and H resolved; what other cron tools may read
    seconds: tuple[int, ...]  # sorted
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    days: frozenset[int]
    last_day: bool  # L
    last_workday: bool  # LW
    nearest_workdays: frozenset[int]  # nW
    weekdays: frozenset[int]  # 0 = Sunday
    last_of_weekday: frozenset[int]  # nL
    nth_weekday: frozenset[tuple[int, int]]  # n#k as (n, k)
    days_and: bool  # Debian: both day fields must match when either starts with '*'
    fixed_time: bool  # Debian: neither minute nor hour starts with '*', so DST moves it (see module doc)

    def next_fire(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        """The first fire strictly after `after` (aware), in `zone`; None when it never fires."""
        if after.tzinfo is None:
            raise ValueError("after must be a timezone-aware datetime")
        start = after.astimezone(UTC).replace(microsecond=0) + _SECOND  # fires fall on whole seconds
        return self._next_fixed(start, zone) if self.fixed_time else self._next_real(start, zone)

    @cached_property
    def fires_ever(self) -> bool:
        """Whether any date matches: tries every month length and weekday of the 1st it can have."""
        return any(
            self._day_matches(day, last, first_weekday)
            for month in self.months
            for last in ((28, 29) if month == 2 else (calendar.monthrange(2001, month)[1],))
            for first_weekday in range(7)
            for day in range(1, last + 1)
        )

    def _next_fixed(self, start: datetime, zone: ZoneInfo) -> datetime | None:
        local = start.astimezone(zone)
        wall = local.replace(tzinfo=None)
        if local.fold:  # in the second pass of a repeated hour: Debian ran these times on the first
            wall = _repeated_walls(local)[1]
        found = self._next_wall(wall)
        if found is None:
            return None
        return _instant(found, zone) or _jump(found, zone)

    def _next_real(self, start: datetime, zone: ZoneInfo) -> datetime | None:
        while True:
            local = start.astimezone(zone)
            wall = local.replace(tzinfo=None)
            if _is_repeated(local):
                # The zone goes through [first, end) twice; finish this pass, then the second one.
                first, end = _repeated_walls(local)
                found = self._next_wall(wall)
                if found is not None and found < end:
                    return found.replace(tzinfo=zone, fold=local.fold)
                if local.fold == 0 and (found := self._next_wall(first)) is not None and found < end:
                    return found.replace(tzinfo=zone, fold=1)
                wall = end
            # From an unrepeated wall time, real time meets matching wall times in wall-clock order,
            # the first pass of a repeated one first; times the zone skips never come.
            found = self._next_wall(wall)
            if found is None:
                return None
            instant = _instant(found, zone)
            if instant is not None:
                return instant
            start = _jump(found, zone)

    def _next_wall(self, wall: datetime) -> datetime | None:
        """The first wall-clock time at or after `wall` (naive) that every field matches."""
        year, month, start_day, clock = wall.year, wall.month, wall.day, (wall.hour, wall.minute, wall.second)
        while year <= min(wall.year + _HORIZON_YEARS, _LAST_YEAR):
            if month in self.months:
                monday_based, last = calendar.monthrange(year, month)
                for day in range(start_day, last + 1):
                    if self._day_matches(day, last, (monday_based + 1) % 7):
                        time = self._time_at_or_after(clock)
                        if time is not None:
                            return datetime(year, month, day, *time)
                    clock = _MIDNIGHT
            start_day, clock = 1, _MIDNIGHT
            if month < 12:
                month += 1
                continue
            # Feb 29 comes back within 8 years; searched longer, ask once whether any date can match.
            if year > wall.year + 8 and not self.fires_ever:
                return None
            year, month = year + 1, 1
        return None

    def _day_matches(self, day: int, last: int, first_weekday: int) -> bool:
        """Whether `day` matches in a month of `last` days whose 1st is `first_weekday` (0 = Sunday)."""
        by_date = (
            day in self.days
            or (self.last_day and day == last)
            or (self.last_workday and day == _last_workday(last, first_weekday))
            or any(day == _nearest_workday(n, last, first_weekday) for n in self.nearest_workdays)
        )
        if by_date != self.days_and:  # decided already: a miss under AND, a hit under OR
            return by_date
        weekday = (first_weekday + day - 1) % 7
        return (
            weekday in self.weekdays
            or (weekday in self.last_of_weekday and day + 7 > last)
            or (weekday, (day + 6) // 7) in self.nth_weekday
        )

    def _time_at_or_after(self, clock: tuple[int, int, int]) -> tuple[int, int, int] | None:
        """The first (hour, minute, second) the fields allow at or after `clock` on one day."""
        hour, minute, second = clock
        hours, minutes, seconds = self.hours, self.minutes, self.seconds
        i = bisect_left(hours, hour)
        if i < len(hours) and hours[i] == hour:
            j = bisect_left(minutes, minute)
            if j < len(minutes) and minutes[j] == minute:
                k = bisect_left(seconds, second)
                if k < len(seconds):
                    return hour, minute, seconds[k]
                j += 1
            if j < len(minutes):
                return hour, minutes[j], seconds[0]
            i += 1
        if i < len(hours):
            return hours[i], minutes[0], seconds[0]
        return None


@dataclass(frozen=True)
class Explanation:
    """What `queuetui cron explain` shows about one expression."""

    expression: str  # as written
    concrete: str  # as evaluated (aliases expanded, H resolved)
    timezone: str
    description: str
    next: tuple[datetime, ...]  # aware, in the schedule's zone
    warnings: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The JSON shape: expression, timezone, description, next (ISO 8601 with offset), warnings."""
        return {
            "expression": self.expression,
            "timezone": self.timezone,
            "description": self.description,
            "next": [fire.isoformat() for fire in self.next],
            "warnings": list(self.warnings),
        }


def parse(expression: str, name: str | None = None) -> Cron:
    """Read a cron expression, hashing H from `name`; CronError names the field at fault.

    Parsed expressions are remembered (a scheduler evaluates the same few thousand again and
    again); the name is part of the key only where it can matter, when the text has an H.
    """
    return _parse(expression, name if "H" in expression.upper() else None)


@lru_cache(maxsize=8192)
def _parse(expression: str, name: str | None) -> Cron:
    source = " ".join(expression.split())
    if source.startswith("@"):
        alias = ALIASES.get(source.lower())
        if alias is None:
            raise CronError(f"unknown alias '{source}': use one of {', '.join(ALIASES)}")
        texts = alias.split()
    else:
        texts = source.split()
    if len(texts) not in (5, 6):
        raise CronError(
            "expected 5 fields (minute hour day-of-month month day-of-week) "
            f"or 6 with seconds first, got {len(texts)}"
        )
    fields = _FIELDS[-len(texts) :]
    texts = [_resolve_hash(text, field, name) for text, field in zip(texts, fields, strict=True)]
    second, minute, hour, dom, month, dow = texts if len(texts) == 6 else ["0", *texts]
    days, last_day, last_workday, nearest = _parse_days(dom)
    weekdays, last_of, nth = _parse_weekdays(dow)
    return Cron(
        source=source,
        expression=" ".join(texts),
        seconds=tuple(sorted(_parse_plain(second, _SECOND_FIELD))),
        minutes=tuple(sorted(_parse_plain(minute, _MINUTE_FIELD))),
        hours=tuple(sorted(_parse_plain(hour, _HOUR_FIELD))),
        months=frozenset(_parse_plain(month, _MONTH_FIELD)),
        days=days,
        last_day=last_day,
        last_workday=last_workday,
        nearest_workdays=nearest,
        weekdays=weekdays,
        last_of_weekday=last_of,
        nth_weekday=nth,
        days_and=dom.startswith("*") or dow.startswith("*"),
        fixed_time=not minute.startswith("*") and not hour.startswith("*"),
    )


def get_zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`; CronError when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):  # unknown, not a key, an area
        raise CronError(f"unknown time zone '{name}'") from None


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone this host knows, Area/City names first (for completion); reads the zone files."""
    return tuple(sorted(available_timezones(), key=lambda name: ("/" not in name, name)))


def next_fires(cron: Cron | str, zone: ZoneInfo | str, after: datetime, n: int) -> list[datetime]:
    """The next `n` fire times strictly after `after` (aware), in `zone`; fewer if it stops firing."""
    cron = parse(cron) if isinstance(cron, str) else cron
    zone = get_zone(zone) if isinstance(zone, str) else zone
    fires: list[datetime] = []
    while len(fires) < n and (fire := cron.next_fire(after, zone)) is not None:
        fires.append(fire)
        after = fire
    return fires


def describe(cron: Cron) -> str:
    """The schedule in English, 24-hour clock (cron-descriptor, given the concrete expression)."""
    texts = cron.expression.split()
    spelled = " ".join(map(_for_descriptor, texts, _FIELDS[-len(texts) :]))
    try:
        return get_description(spelled, _ENGLISH)
    except FormatError:  # a form cron-descriptor cannot read; the schedule itself is fine
        return f"(no English description for '{cron.expression}')"


def warnings_for(cron: Cron, zone: ZoneInfo, after: datetime) -> list[str]:
    """One-line warnings: never fires, fires rarely, or meets a clock change of its zone within a year."""
    if not cron.fires_ever:
        dom, month, dow = cron.expression.split()[-3:]
        return [f"never fires: no date matches day-of-month '{dom}', month '{month}' and day-of-week '{dow}'"]
    found = []
    fires = next_fires(cron, zone, after, RARE_YEARS)
    horizon = after.astimezone(UTC) + timedelta(days=round(365.25 * RARE_YEARS))
    count = sum(fire <= horizon for fire in fires)
    if count < RARE_YEARS:
        times = "1 time" if count == 1 else f"{count} times"
        next_on = f"next on {fires[0].date()}" if fires else f"none before {_LAST_YEAR + 1}"
        found.append(f"fires rarely: {times} in the next {RARE_YEARS} years ({next_on})")
    found.extend(_clock_change_warnings(cron, zone, after))
    return found


def explain(
    expression: str, zone: str = "UTC", *, after: datetime, n: int = 5, name: str | None = None
) -> Explanation:
    """Everything `queuetui cron explain` shows, from the arguments alone (`after` is "now")."""
    cron = parse(expression, name)
    tz = get_zone(zone)
    return Explanation(
        expression=cron.source,
        concrete=cron.expression,
        timezone=tz.key,
        description=describe(cron),
        next=tuple(next_fires(cron, tz, after, n)),
        warnings=tuple(warnings_for(cron, tz, after)),
    )


def _error(field: _Field, term: str, problem: str) -> CronError:
    return CronError(f"{field.name} field '{term}': {problem}")


def _resolve_hash(text: str, field: _Field, name: str | None) -> str:
    """`text` with every H term replaced by values hashed from `name`, as Jenkins defines them."""
    terms = text.split(",")
    for index, term in enumerate(terms):
        match = _HASH.fullmatch(term)
        if match is None:
            if term.startswith("H"):
                raise _error(field, term, "H takes the forms H, H(a-b), H/n and H(a-b)/n")
            continue
        if name is None:
            raise _error(field, term, "H needs a schedule name to hash")
        low, high = (int(match[1]), int(match[2])) if match[1] else (field.low, field.hash_high)
        if not field.low <= low <= high <= field.high:
            raise _error(field, term, f"H range must lie within {field.low}-{field.high}, low to high")
        step = int(match[3]) if match[3] else 1
        if not 1 <= step <= high - low + 1:
            raise _error(field, term, f"step must be 1 to {high - low + 1}")
        if step > 1:  # a hashed start, then every step (Jenkins: H/15 is e.g. 7-59/15)
            terms[index] = f"{low + _hash(name, field, index, step)}-{high}/{step}"
        else:
            terms[index] = str(low + _hash(name, field, index, high - low + 1))
    return ",".join(terms)


def _for_descriptor(text: str, field: _Field) -> str:
    """`text` with steps inside a list spelled 'a-b/n': cron-descriptor fails on '0,*/6' and '0,0/6'."""
    if "," not in text:
        return text
    terms = []
    for term in text.split(","):
        if match := _OPEN_STEP.fullmatch(term):
            term = f"{field.low if match[1] == '*' else match[1]}-{field.high}/{match[2]}"
        terms.append(term)
    return ",".join(terms)


def _hash(name: str, field: _Field, index: int, modulus: int) -> int:
    """A stable number below `modulus` for this name, field and term (the same on every machine)."""
    digest = hashlib.sha256(f"{name}\0{field.name}\0{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % modulus


def _parse_plain(text: str, field: _Field) -> set[int]:
    values: set[int] = set()
    for term in text.split(","):
        values |= _values(term, field)
    return values


def _parse_days(text: str) -> tuple[frozenset[int], bool, bool, frozenset[int]]:
    """Day-of-month values, and whether L and LW appear, and the days of nW terms."""
    days: set[int] = set()
    last_day = last_workday = False
    nearest: set[int] = set()
    for term in text.split(","):
        upper = term.upper()
        if upper == "L":
            last_day = True
        elif upper == "LW":
            last_workday = True
        elif match := _NEAREST.fullmatch(upper):
            nearest.add(_number(match[1], _DAY_FIELD, term))
        else:
            days |= _values(term, _DAY_FIELD)
    return frozenset(days), last_day, last_workday, frozenset(nearest)


def _parse_weekdays(text: str) -> tuple[frozenset[int], frozenset[int], frozenset[tuple[int, int]]]:
    """Day-of-week values (7 read as Sunday, 0), nL weekdays and n#k pairs."""
    weekdays: set[int] = set()
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for term in text.split(","):
        if match := _LAST_OF.fullmatch(term.upper()):
            last_of.add(_number(match[1], _WEEKDAY_FIELD, term) % 7)
        elif match := _NTH.fullmatch(term):
            k = int(match[2])
            if not 1 <= k <= 5:
                raise _error(_WEEKDAY_FIELD, term, "the week after # must be 1 to 5")
            nth.add((_number(match[1], _WEEKDAY_FIELD, term) % 7, k))
        else:
            weekdays |= {day % 7 for day in _values(term, _WEEKDAY_FIELD)}
    return frozenset(weekdays), frozenset(last_of), frozenset(nth)


def _values(term: str, field: _Field) -> set[int]:
    """The values of `*`, `a`, `a-b`, with an optional `/step` (`a/n` runs to the end of the field)."""
    match = _TERM.fullmatch(term)
    if match is None or (match[1] == "*" and match[2] is not None):
        raise _error(field, term, "expected a value, a range a-b or *, each with an optional /step")
    start, end, step = match.groups()
    if start == "*":
        low, high = field.low, field.high
    else:
        low = _number(start, field, term)
        high = _number(end, field, term) if end else field.high if step else low
        if high < low:
            raise _error(field, term, f"range runs backwards ({low} > {high})")
    if step is None:
        return set(range(low, high + 1))
    if not (step.isascii() and step.isdigit()) or int(step) < 1:
        raise _error(field, term, "step must be a whole number of at least 1")
    return set(range(low, high + 1, int(step)))


def _number(token: str, field: _Field, term: str) -> int:
    if token.isascii() and token.isdigit():
        value = int(token)
    elif token.upper() in field.names:
        return field.names[token.upper()]
    else:
        kind = "a number or a name" if field.names else "a number"
        raise _error(field, term, f"'{token}' is not {kind}")
    if not field.low <= value <= field.high:
        raise _error(field, term, f"value out of range {field.low}-{field.high}")
    return value


def _last_workday(last: int, first_weekday: int) -> int:
    """The last Monday-to-Friday of a month of `last` days whose 1st is `first_weekday` (0 = Sunday)."""
    weekday = (first_weekday + last - 1) % 7
    return last - 1 if weekday == 6 else last - 2 if weekday == 0 else last


def _nearest_workday(n: int, last: int, first_weekday: int) -> int:
    """Quartz's nW: the Monday-to-Friday nearest day n (the last day if n is past it), in the month."""
    n = min(n, last)
    weekday = (first_weekday + n - 1) % 7
    if weekday == 6:  # Saturday: the Friday before, unless that is last month
        return n - 1 if n > 1 else n + 2
    if weekday == 0:  # Sunday: the Monday after, unless that is next month
        return n + 1 if n < last else n - 2
    return n


def _instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """`wall` in `zone` (the first pass when repeated), or None when the zone skips that time."""
    aware = wall.replace(tzinfo=zone)
    return aware if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall else None


def _jump(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant at which `zone` jumps over the skipped `wall` (the end of its gap)."""
    offset_before = wall.replace(tzinfo=zone, fold=0).utcoffset()
    offset_after = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert offset_before is not None and offset_after is not None
    low, high = (wall - offset_after).replace(tzinfo=UTC), (wall - offset_before).replace(tzinfo=UTC)
    return _offset_change(zone, low, high).astimezone(zone)


def _is_repeated(local: datetime) -> bool:
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _repeated_walls(local: datetime) -> tuple[datetime, datetime]:
    """The wall times [first, end) that the zone of `local` goes through twice, `local` among them."""
    zone = local.tzinfo
    assert isinstance(zone, ZoneInfo)
    offset_first = local.replace(fold=0).utcoffset()
    offset_second = local.replace(fold=1).utcoffset()
    assert offset_first is not None and offset_second is not None
    at = local.astimezone(UTC)
    before = at if local.fold == 0 else at - (offset_first - offset_second)
    change = _offset_change(zone, before, before + (offset_first - offset_second)).replace(tzinfo=None)
    return change + offset_second, change + offset_first


def _offset_change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first whole second (UTC) in (low, high] at which `zone` leaves the offset it has at `low`."""
    offset = low.astimezone(zone).utcoffset()
    lo, hi = int(low.timestamp()), int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == offset:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _offset_changes(zone: ZoneInfo, start: datetime, days: int) -> list[datetime]:
    """The instants in the `days` days after `start` at which `zone` changes its UTC offset."""
    changes = []
    low = start.astimezone(UTC).replace(microsecond=0)
    for _ in range(days):
        high = low + _DAY
        if high.astimezone(zone).utcoffset() != low.astimezone(zone).utcoffset():
            changes.append(_offset_change(zone, low, high))
        low = high
    return changes


def _clock_change_warnings(cron: Cron, zone: ZoneInfo, after: datetime) -> list[str]:
    """A line for each clock change of `zone` within DST_LOOKAHEAD_DAYS that moves, drops or doubles runs."""
    found = []
    for change in _offset_changes(zone, after, DST_LOOKAHEAD_DAYS):
        before = (change - _SECOND).astimezone(zone).utcoffset()
        later = change.astimezone(zone).utcoffset()
        assert before is not None and later is not None
        at = change.replace(tzinfo=None)
        skips = later > before
        first, end = (at + before, at + later) if skips else (at + later, at + before)
        due: list[str] = []
        wall = cron._next_wall(first)
        while wall is not None and wall < end and len(due) < 4:
            due.append(_clock(wall))
            wall = cron._next_wall(wall + _SECOND)
        if not due:
            continue
        shown = ", ".join(due[:3]) + (", …" if len(due) > 3 else "")
        span = f"{_clock(first)} to {_clock(end)}"
        if cron.fixed_time:
            outcome = f"runs once, at {_clock(end)}" if skips else "runs once, on the first pass"
        else:
            outcome = "does not run" if skips else "runs on both passes"
            outcome += " (the schedule follows real time)"
        change_text = f"skips {span}" if skips else f"goes through {span} twice"
        found.append(f"{first.date()}: {zone.key} {change_text}; what is due at {shown} {outcome}")
    return found


def _clock(wall: datetime) -> str:
    return wall.strftime("%H:%M:%S" if wall.second else "%H:%M")
