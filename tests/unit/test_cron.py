"""Cron semantics: next fires against independent oracles, DST vectors, H hashing, errors, warnings.

The oracles: a minute-by-minute simulation of Debian cron's main loop written here from its cron.c,
cronsim (Debian semantics) where the syntaxes overlap, and croniter in UTC, where DST cannot differ.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import CroniterBadDateError, croniter
from cronsim import CronSim, CronSimError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from queuetui.schedule.cron import CronError, describe, explain, get_zone, next_fires, parse, warnings_for

MINUTE = timedelta(minutes=1)
ZONES = ("Europe/Rome", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Tokyo", "UTC")
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def in_utc(fires: list[datetime]) -> list[datetime]:
    """Fires as UTC instants: two datetimes of one zone compare by wall clock, ignoring fold."""
    return [fire.astimezone(UTC) for fire in fires]


# ── Oracle (a): field matching and Debian's loop, written plainly ──────────────────────────────────

NAMES = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name} | {
    name.upper(): i for i, name in enumerate(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"])
}


def number(text: str) -> int:
    return NAMES[text.upper()] if text.upper() in NAMES else int(text)


def plain_values(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for term in text.split(","):
        body, _, step = term.partition("/")
        if body == "*":
            first, last = low, high
        elif "-" in body:
            first, last = (number(part) for part in body.split("-"))
        else:
            first = number(body)
            last = high if step else first
        values.update(range(first, last + 1, int(step or 1)))
    return values


def oracle_matcher(expression: str) -> Callable[[datetime], bool]:
    """Whether a naive wall-clock minute matches a 5-field expression."""
    minute, hour, dom, month, dow = expression.split()
    minutes, hours, months = (
        plain_values(minute, 0, 59),
        plain_values(hour, 0, 23),
        plain_values(month, 1, 12),
    )

    def dom_matches(d: date) -> bool:
        last = calendar.monthrange(d.year, d.month)[1]
        for term in dom.split(","):
            if term == "L":
                day = last
            elif term == "LW":
                day = last
                while date(d.year, d.month, day).weekday() >= 5:
                    day -= 1
            elif term.endswith("W"):
                day = min(int(term[:-1]), last)
                weekday = date(d.year, d.month, day).weekday()
                if weekday == 5:
                    day = day - 1 if day > 1 else day + 2
                elif weekday == 6:
                    day = day + 1 if day < last else day - 2
            elif d.day in plain_values(term, 1, 31):
                return True
            else:
                continue
            if d.day == day:
                return True
        return False

    def dow_matches(d: date) -> bool:
        sunday_zero = d.isoweekday() % 7
        for term in dow.split(","):
            if term.endswith("L"):
                if int(term[:-1]) % 7 == sunday_zero and (d + timedelta(days=7)).month != d.month:
                    return True
            elif "#" in term:
                day, nth = term.split("#")
                if int(day) % 7 == sunday_zero and (d.day - 1) // 7 + 1 == int(nth):
                    return True
            elif sunday_zero in {v % 7 for v in plain_values(term, 0, 7)}:
                return True
        return False

    def matches(wall: datetime) -> bool:
        if wall.minute not in minutes or wall.hour not in hours or wall.month not in months:
            return False
        d = wall.date()
        if dom.startswith("*") or dow.startswith("*"):
            return dom_matches(d) and dow_matches(d)
        return dom_matches(d) or dow_matches(d)

    return matches


def debian_fires(expression: str, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end] at which Debian cron runs the job, simulating its main loop.

    Each real minute, cron compares the local wall minute with its virtual clock: one minute on, it
    runs what matches; jumped forward (DST starts), it runs wildcard jobs for the new minute and
    fixed-time jobs for every minute skipped; jumped back (DST ends), it runs only wildcard jobs
    until the wall clock catches up with the virtual one. The loop starts two hours early so that
    its virtual clock is where a running cron's would be.
    """
    matches = oracle_matcher(expression)
    minute, hour = expression.split()[:2]
    wildcard = minute.startswith("*") or hour.startswith("*")

    def wall(at: datetime) -> datetime:
        return at.astimezone(zone).replace(tzinfo=None)

    at = start - timedelta(hours=2)
    virtual = wall(at)
    fires = []
    while at < end:
        at += MINUTE
        running = wall(at)
        diff = round((running - virtual) / MINUTE)
        if diff == 1:
            due = matches(running)
            virtual = running
        elif 1 < diff <= 180:
            skipped = (virtual + k * MINUTE for k in range(1, diff + 1))
            due = matches(running) if wildcard else any(matches(w) for w in skipped)
            virtual = running
        elif -180 < diff <= 0:
            due = wildcard and matches(running)
        else:
            due = matches(running)
            virtual = running
        if due and at > start:
            fires.append(at)
    return fires


# ── Strategies ─────────────────────────────────────────────────────────────────────────────────────


def transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """The hours of `year` (UTC) at which `zone` changes its offset, found by scanning every hour."""
    found = []
    at = utc(year, 1, 1)
    while at.year == year:
        if (at + timedelta(hours=1)).astimezone(zone).utcoffset() != at.astimezone(zone).utcoffset():
            found.append(at)
        at += timedelta(hours=1)
    return found


CHANGES = {name: transitions(ZoneInfo(name), 2026) for name in ZONES}


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Mostly in the day before one of the zone's clock changes, sometimes anywhere in 2020-2035."""
    changes = CHANGES[zone]
    if changes and draw(st.integers(0, 3)):
        return draw(st.sampled_from(changes)) - timedelta(minutes=draw(st.integers(-60, 26 * 60)))
    return utc(2020, 1, 1) + timedelta(minutes=draw(st.integers(0, 16 * 365 * 1440)))


def term(values: st.SearchStrategy[int], steps: tuple[int, ...]) -> st.SearchStrategy[str]:
    return st.one_of(
        values.map(str),
        st.tuples(values, values).map(lambda ab: f"{min(ab)}-{max(ab)}"),
        st.tuples(values, values, st.sampled_from(steps)).map(lambda t: f"{min(t[:2])}-{max(t[:2])}/{t[2]}"),
        st.tuples(values, st.sampled_from(steps)).map(lambda t: f"{t[0]}/{t[1]}"),
    )


def field(values: st.SearchStrategy[int], steps: tuple[int, ...]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just("*"),
        st.sampled_from(steps).map(lambda n: f"*/{n}"),
        st.lists(term(values, steps), min_size=1, max_size=3).map(",".join),
    )


MINUTES = field(st.integers(0, 59), (2, 5, 15, 20, 30, 45))
# Hours near the clock changes of the zones above (midnight in Santiago, 01:00-03:00 elsewhere).
HOURS = field(st.sampled_from([0, 1, 2, 3, 4, 12, 22, 23]), (2, 3, 6, 12))
MONTHS = st.one_of(st.just("*"), field(st.integers(1, 12), (2, 3, 6)))
DAY_OF_MONTH = st.one_of(
    st.just("*"),
    st.just("*"),
    field(st.integers(1, 31), (2, 5, 10)),
    st.sampled_from(["L", "LW", "1W", "15W", "31W", "1,L", "L,15"]),
)
DAY_OF_WEEK = st.one_of(
    st.just("*"),
    st.just("*"),
    field(st.integers(0, 7), (2, 3)),
    st.integers(0, 7).map(lambda d: f"{d}L"),
    st.tuples(st.integers(0, 7), st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}"),
    st.sampled_from(["MON-FRI", "SAT,SUN", "FRI"]),
)
DAY_FIELDS = st.tuples(DAY_OF_MONTH, MONTHS, DAY_OF_WEEK).map(" ".join)
EXPRESSIONS = st.tuples(MINUTES, HOURS, DAY_FIELDS).map(" ".join)
# Mostly every day, so that a window of hours around a clock change sees fires.
DAILY_EXPRESSIONS = st.tuples(MINUTES, HOURS, st.one_of(st.just("* * *"), st.just("* * *"), DAY_FIELDS)).map(
    " ".join
)


def fires_until(expression: str, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    cron = parse(expression)
    fires, at = [], start
    while (fire := cron.next_fire(at, zone)) is not None and fire.astimezone(UTC) <= end:
        fires.append(fire.astimezone(UTC))
        at = fire
    return fires


# ── Property tests ─────────────────────────────────────────────────────────────────────────────────


@settings(FAST, max_examples=400)
@given(data=st.data(), expression=DAILY_EXPRESSIONS, zone=st.sampled_from(ZONES), hours=st.integers(1, 48))
def test_next_fires_match_a_simulation_of_debian_cron(
    data: st.DataObject, expression: str, zone: str, hours: int
) -> None:
    start = data.draw(instants(zone)).replace(second=0)
    end = start + timedelta(hours=hours)
    tz = ZoneInfo(zone)
    assert fires_until(expression, tz, start, end) == debian_fires(expression, tz, start, end)


@FAST
@given(day_fields=DAY_FIELDS, start=st.dates(date(2000, 1, 1), date(2090, 12, 31)))
def test_days_over_a_year_match_plain_date_matching(day_fields: str, start: date) -> None:
    expression = f"0 0 {day_fields}"
    matches = oracle_matcher(expression)
    begin = datetime.combine(start, datetime.min.time(), UTC)
    expected = [begin + timedelta(days=k) for k in range(1, 400) if matches(begin + timedelta(days=k))]
    assert fires_until(expression, ZoneInfo("UTC"), begin, begin + timedelta(days=399)) == expected


def cronsim_reads(expression: str) -> bool:
    """cronsim reads no nW, and reads a one-value range with a step, 'a-a/n', as 'a/n' (a to the end)."""
    return "W" not in expression.replace("LW", "") and not re.search(r"\b(\d+)-\1/", expression)


def cronsim_fires(expression: str, zone: ZoneInfo, start: datetime, n: int) -> list[datetime]:
    fires = []
    for fire in CronSim(expression, start.astimezone(zone)):
        fires.append(fire.astimezone(UTC))
        if len(fires) == n:
            break
    return fires


@FAST
@given(data=st.data(), expression=EXPRESSIONS, zone=st.sampled_from(ZONES))
def test_five_fields_agree_with_cronsim(data: st.DataObject, expression: str, zone: str) -> None:
    assume(cronsim_reads(expression))
    start = data.draw(instants(zone))
    tz = ZoneInfo(zone)
    cron = parse(expression)
    # cronsim, started in the second pass of a repeated hour, returns a fixed time of the first pass:
    # a time before its start (see test_a_fixed_time_started_in_the_repeated_hour_waits_a_day).
    assume(not (cron.fixed_time and start.astimezone(tz).fold))
    # cronsim steps whole hours of real time to find the hour: across Lord Howe's 30-minute fall-back
    # that lands on :30 and skips 02:00-02:29 ('* 2 * * *' from 01:00+11:00 first fires at 02:30+10:30).
    assume(cron.fixed_time or zone != "Australia/Lord_Howe")
    try:
        expected = cronsim_fires(expression, tz, start, 5)
    except CronSimError:  # cronsim refuses days no month has; we warn instead
        assume(False)
    got = in_utc(next_fires(cron, tz, start, 5))
    # cronsim, moving to a day whose midnight the clock skips (Santiago), starts that day at the jump
    # whether or not the time there matches (see test_a_day_starting_in_a_gap_fires_only_where_it_matches).
    if got != expected and not cron.fixed_time:
        first_difference = min(a for a, b in zip(got, expected, strict=False) if a != b)
        assume(not skips_a_midnight(tz, start, first_difference))
    assert got == expected


def skips_a_midnight(zone: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether a day between start and end (in zone) begins in a DST gap."""
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        if midnight.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != midnight.replace(tzinfo=None):
            return True
        day += timedelta(days=1)
    return False


def test_a_day_starting_in_a_gap_fires_only_where_it_matches() -> None:
    """Santiago skips 00:00-00:59 on 2026-09-06: the Sunday starts at 01:00, an odd hour."""
    santiago = ZoneInfo("America/Santiago")
    start = utc(2026, 9, 6, 3, 0)  # 23:00 on Saturday
    assert in_utc(next_fires(parse("* */2 * * 0#1"), santiago, start, 2)) == [
        utc(2026, 9, 6, 5, 0),
        utc(2026, 9, 6, 5, 1),
    ]
    assert skips_a_midnight(santiago, start, utc(2026, 9, 6, 5, 0))
    assert not skips_a_midnight(santiago, utc(2026, 9, 7, 3, 0), utc(2026, 9, 8, 3, 0))


SECONDS = field(st.integers(0, 59), (5, 10, 15, 30))


@FAST
@given(
    second=SECONDS,
    expression=EXPRESSIONS,
    start=instants("UTC"),
    offset=st.integers(0, 59_999_999).map(lambda us: timedelta(microseconds=us)),
)
def test_six_fields_read_seconds_first_like_cronsim(
    second: str, expression: str, start: datetime, offset: timedelta
) -> None:
    expression = f"{second} {expression}"
    assume(cronsim_reads(expression))
    start += offset
    try:
        expected = cronsim_fires(expression, ZoneInfo("UTC"), start, 5)
    except CronSimError:
        assume(False)
    assert in_utc(next_fires(expression, "UTC", start, 5)) == expected


def croniter_form(expression: str) -> str:
    """The same schedule in croniter's syntax: seconds last, `Ln` for the last weekday n."""
    fields = expression.split()
    if len(fields) == 6:
        fields = [*fields[1:], fields[0]]
    fields[4] = ",".join(f"L{t[:-1]}" if t.endswith("L") else t for t in fields[4].split(","))
    return " ".join(fields)


def croniter_compatible(day_of_month: str, day_of_week: str) -> bool:
    """Where croniter reads the day fields as Debian does.

    croniter ORs the day fields whenever neither is exactly '*' (Debian: neither starts with '*');
    it ignores the other day field beside W, L or #; reads 'a/n' in the day of week up to 6, not 7;
    and has no LW. (It also reads a one-value range 'a-a' as '*': see test_agree_with_croniter_in_utc.)
    """
    either_star = day_of_month.startswith("*") or day_of_week.startswith("*")
    special = re.search(r"[LW]", day_of_month) or re.search(r"[L#]", day_of_week)
    return (
        either_star == ("*" in (day_of_month, day_of_week))
        and not (special and "*" not in (day_of_month, day_of_week))
        and not re.search(r"(^|,)\w+/", day_of_week)
        and "LW" not in day_of_month
    )


@FAST
@given(second=st.one_of(st.none(), SECONDS), expression=EXPRESSIONS, start=instants("UTC"))
def test_agree_with_croniter_in_utc(second: str | None, expression: str, start: datetime) -> None:
    dom, _, dow = expression.split()[2:]
    assume(croniter_compatible(dom, dow))
    if second is not None:
        expression = f"{second} {expression}"
    assume(not re.search(r"\b(\d+)-\1\b", expression))  # croniter reads '5-5 * * * *' as every minute
    it = croniter(croniter_form(expression), start)
    expected = []
    for _ in range(5):
        try:
            expected.append(it.get_next(datetime).astimezone(UTC))
        except CroniterBadDateError:  # nothing within croniter's search horizon
            break
    assert in_utc(next_fires(expression, "UTC", start, 5)) == expected


@FAST
@given(expression=EXPRESSIONS)
def test_every_valid_expression_has_an_english_description(expression: str) -> None:
    assert describe(parse(expression))


# ── DST vectors ────────────────────────────────────────────────────────────────────────────────────


def fires(expression: str, zone: str, after: datetime, n: int) -> list[str]:
    return [fire.isoformat() for fire in next_fires(expression, zone, after, n)]


def test_the_zones_change_on_the_dates_the_vectors_assume() -> None:
    days = {name: [c.astimezone(ZoneInfo(name)).date().isoformat() for c in CHANGES[name]] for name in ZONES}
    assert days["Europe/Rome"] == ["2026-03-29", "2026-10-25"]
    assert days["America/New_York"] == ["2026-03-08", "2026-11-01"]
    assert days["Australia/Lord_Howe"] == ["2026-04-05", "2026-10-04"]
    assert days["Asia/Tokyo"] == days["UTC"] == []


def test_rome_a_fixed_time_in_the_skipped_hour_fires_once_at_the_jump() -> None:
    assert fires("30 2 * * *", "Europe/Rome", utc(2026, 3, 28, 12), 3) == [
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]
    assert fires("0,30 2 * * *", "Europe/Rome", utc(2026, 3, 28, 12), 2) == [
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T02:00:00+02:00",
    ]


def test_rome_a_fixed_time_in_the_repeated_hour_fires_once() -> None:
    assert fires("30 2 * * *", "Europe/Rome", utc(2026, 10, 24, 12), 2) == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
    ]
    assert fires("0 30 2 * * *", "Europe/Rome", utc(2026, 10, 24, 12), 2) == [  # seconds field too
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
    ]


def test_a_fixed_time_started_in_the_repeated_hour_waits_a_day() -> None:
    second_pass = datetime(2026, 10, 25, 2, 10, tzinfo=ZoneInfo("Europe/Rome"), fold=1)
    assert fires("30 2 * * *", "Europe/Rome", second_pass, 1) == ["2026-10-26T02:30:00+01:00"]


def test_rome_every_30_minutes_runs_through_both_passes_and_the_gap() -> None:
    assert fires("*/30 * * * *", "Europe/Rome", utc(2026, 10, 24, 23, 15), 6) == [
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:00:00+01:00",
    ]
    assert fires("*/30 * * * *", "Europe/Rome", utc(2026, 3, 29, 0, 15), 3) == [
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:30:00+02:00",
    ]


def test_a_wildcard_minute_in_a_fixed_hour_follows_real_time() -> None:
    """'*/30 2' is not a fixed time for Debian (its minute starts with '*'): no run on the gap day."""
    spring = next_fires("*/30 2 * * *", "Europe/Rome", utc(2026, 3, 28, 12), 1)
    assert [f.isoformat() for f in spring] == ["2026-03-30T02:00:00+02:00"]
    autumn = fires("*/30 2 * * *", "Europe/Rome", utc(2026, 10, 24, 12), 5)
    assert autumn[:4] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
    ]


def test_new_york() -> None:
    assert fires("30 2 * * *", "America/New_York", utc(2026, 3, 7, 12), 2) == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:30:00-04:00",
    ]
    assert fires("30 1 * * *", "America/New_York", utc(2026, 10, 31, 12), 2) == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-02T01:30:00-05:00",
    ]
    assert fires("0 * * * *", "America/New_York", utc(2026, 11, 1, 4, 30), 3) == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
    ]


def test_lord_howe_shifts_by_thirty_minutes() -> None:
    assert fires("15 2 * * *", "Australia/Lord_Howe", utc(2026, 10, 2), 3) == [
        "2026-10-03T02:15:00+10:30",
        "2026-10-04T02:30:00+11:00",  # 02:00-02:30 skipped: at the jump
        "2026-10-05T02:15:00+11:00",
    ]
    assert fires("45 1 * * *", "Australia/Lord_Howe", utc(2026, 4, 4), 2) == [
        "2026-04-05T01:45:00+11:00",  # 01:30-02:00 repeated: once
        "2026-04-06T01:45:00+10:30",
    ]
    assert fires("*/15 * * * *", "Australia/Lord_Howe", utc(2026, 4, 4, 14), 6) == [
        "2026-04-05T01:15:00+11:00",
        "2026-04-05T01:30:00+11:00",
        "2026-04-05T01:45:00+11:00",
        "2026-04-05T01:30:00+10:30",
        "2026-04-05T01:45:00+10:30",
        "2026-04-05T02:00:00+10:30",
    ]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "UTC"])
def test_without_dst_a_daily_time_is_24_hours_apart_all_year(zone: str) -> None:
    year = in_utc(next_fires("30 2 * * *", zone, utc(2026, 1, 1), 365))
    assert {later - earlier for earlier, later in itertools.pairwise(year)} == {timedelta(days=1)}


def test_fires_are_strictly_after_and_on_whole_seconds() -> None:
    assert fires("0 12 * * *", "UTC", utc(2026, 5, 1, 12), 1) == ["2026-05-02T12:00:00+00:00"]
    just_before = utc(2026, 5, 1, 11, 59, 59) + timedelta(microseconds=999_999)
    assert fires("0 12 * * *", "UTC", just_before, 1) == ["2026-05-01T12:00:00+00:00"]
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fires("0 12 * * *", "UTC", datetime(2026, 5, 1), 1)


def test_aliases_and_rare_days() -> None:
    start = utc(2026, 1, 1)
    assert fires("@hourly", "UTC", start, 1) == ["2026-01-01T01:00:00+00:00"]
    assert fires("@weekly", "UTC", start, 1) == ["2026-01-04T00:00:00+00:00"]  # Sunday
    assert fires("@ANNUALLY", "UTC", start, 1) == ["2027-01-01T00:00:00+00:00"]
    assert fires("0 0 29 2 *", "UTC", start, 2) == ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"]
    assert fires("0 0 * 2 1#5", "UTC", start, 1) == ["2044-02-29T00:00:00+00:00"]
    assert fires("0 0 30 2 *", "UTC", start, 3) == []


def test_searches_stop_before_the_end_of_datetime() -> None:
    far = next_fires("0 0 * 2 1#5", "America/New_York", utc(2026, 1, 1), 1000)
    assert 200 < len(far) < 1000 and far[-1].year < 9999


def test_descriptions_of_steps_inside_lists() -> None:
    """cron-descriptor fails on '0,*/6' in the hour field; it is described as '0,0-23/6'."""
    assert "every 6 hours" in describe(parse("3 0,*/6 * * *"))
    assert describe(parse("@daily")) == "At 00:00"


# ── H ──────────────────────────────────────────────────────────────────────────────────────────────


def test_h_is_the_same_for_a_name_on_every_run() -> None:
    # Pinned: a change here moves every hashed schedule in every deployment.
    assert parse("H H(0-5) * * 1-5", name="nightly-backup").expression == "53 5 * * 1-5"
    assert parse("H/15 * * * *", name="a").expression == parse("H/15 * * * *", name="a").expression


def test_h_spreads_names_over_the_range() -> None:
    resolved = [parse("H H * * *", name=f"report-{i}").expression.split() for i in range(300)]
    minutes = {int(m) for m, *_ in resolved}
    hours = {int(h) for _, h, *_ in resolved}
    assert len(minutes) >= 50 and len(hours) == 24


@given(name=st.text(min_size=1, max_size=20), low=st.integers(0, 59), span=st.integers(0, 59))
def test_h_values_stay_in_range(name: str, low: int, span: int) -> None:
    high = min(59, low + span)
    assert low <= int(parse(f"H({low}-{high}) * * * *", name=name).expression.split()[0]) <= high
    cron = parse("H H H H H", name=name)
    assert all(0 <= v <= 59 for v in cron.minutes) and all(0 <= v <= 23 for v in cron.hours)
    assert cron.days <= set(range(1, 29)) and cron.weekdays <= set(range(7))  # Jenkins: 1-28, 0-6
    step = 2 + span % 29
    minutes = parse(f"H/{step} * * * *", name=name).minutes
    assert minutes[0] < step and list(minutes) == list(range(minutes[0], 60, step))


def test_h_forms_and_their_errors() -> None:
    assert parse("H(0-29)/10 * * * *", name="x").expression.split()[0].endswith("-29/10")
    assert parse("0 H 1 * *", name="x").fixed_time
    for expression, message in [
        ("H * * * *", "minute field 'H': H needs a schedule name"),
        ("H(5-2) * * * *", "minute field 'H(5-2)': H range must lie within 0-59"),
        ("H(0-70) * * * *", "minute field 'H(0-70)': H range must lie within 0-59"),
        ("0 H/0 * * *", "hour field 'H/0': step must be 1 to 24"),
        ("0 H/25 * * *", "hour field 'H/25': step must be 1 to 24"),
        ("H-5 * * * *", "minute field 'H-5': H takes the forms"),
    ]:
        with pytest.raises(CronError, match=f"^{re.escape(message)}"):
            parse(expression, name=None if "needs" in message else "x")


# ── Errors ─────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("61 * * * *", "minute field '61': value out of range 0-59"),
        ("1,61 * * * *", "minute field '61': value out of range 0-59"),
        ("0 24 * * *", "hour field '24': value out of range 0-23"),
        ("0 0 0 * *", "day-of-month field '0': value out of range 1-31"),
        ("0 0 * 13 *", "month field '13': value out of range 1-12"),
        ("0 0 * * 8", "day-of-week field '8': value out of range 0-7"),
        ("60 * * * * *", "second field '60': value out of range 0-59"),
        ("*/0 * * * *", "minute field '*/0': step must be a whole number"),
        ("5-2 * * * *", "minute field '5-2': range runs backwards"),
        ("x * * * *", "minute field 'x': 'x' is not a number"),
        ("0 0 * FOO *", "month field 'FOO': 'FOO' is not a number or a name"),
        ("0 0 32W * *", "day-of-month field '32W': value out of range 1-31"),
        ("0 0 * * 1#6", "day-of-week field '1#6': the week after # must be 1 to 5"),
        ("0 0 * * 8L", "day-of-week field '8L': value out of range 0-7"),
        ("0 0 ? * 1", "day-of-month field '?': expected a value"),
        ("*-5 * * * *", "minute field '*-5': expected a value"),
        ("* * * *", "expected 5 fields"),
        ("* * * * * * *", "expected 5 fields"),
        ("", "expected 5 fields"),
        ("@reboot", "unknown alias '@reboot'"),
    ],
)
def test_errors_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        parse(expression)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_unknown_zone() -> None:
    for name in ("Mars/Base", "America", "", "../etc/passwd"):
        with pytest.raises(CronError) as caught:
            get_zone(name)
        assert str(caught.value) == f"unknown time zone '{name}'"


# ── Warnings and the explain result ────────────────────────────────────────────────────────────────


def warnings(expression: str, zone: str = "UTC") -> list[str]:
    return warnings_for(parse(expression), get_zone(zone), utc(2026, 1, 1))


def test_never_fires() -> None:
    assert warnings("0 0 30 2 *") == [
        "never fires: no date matches day-of-month '30', month '2' and day-of-week '*'"
    ]
    assert warnings("0 0 */40 * 1#2") != []  # only the 1st, never a second Monday


def test_fires_rarely_means_less_than_once_a_year() -> None:
    assert warnings("0 0 29 2 *") == ["fires rarely: 1 time in the next 4 years (next on 2028-02-29)"]
    assert warnings("0 0 * 2 1#5") == ["fires rarely: 0 times in the next 4 years (next on 2044-02-29)"]
    assert warnings("@yearly") == []


def test_dst_warnings_name_the_dates() -> None:
    assert warnings("30 2 * * *", "Europe/Rome") == [
        "2026-03-29: Europe/Rome skips 02:00 to 03:00; what is due at 02:30 runs once, at 03:00",
        "2026-10-25: Europe/Rome goes through 02:00 to 03:00 twice; what is due at 02:30 runs once, "
        "on the first pass",
    ]
    assert warnings("0,15,30,45,59 1 * * *", "Australia/Lord_Howe") == [
        "2026-04-05: Australia/Lord_Howe goes through 01:30 to 02:00 twice; what is due at 01:30, 01:45, "
        "01:59 runs once, on the first pass",
    ]
    assert warnings("*/15 2 * * *", "America/New_York")[0] == (
        "2026-03-08: America/New_York skips 02:00 to 03:00; what is due at 02:00, 02:15, 02:30, … "
        "does not run (the schedule follows real time)"
    )
    assert warnings("0 12 * * *", "Europe/Rome") == []
    assert warnings("30 2 * * *", "Asia/Tokyo") == []


def test_explain_result_and_json_shape() -> None:
    result = explain("H 2 * * *", "Europe/Rome", after=utc(2026, 3, 28, 12), n=2, name="backup")
    assert result.concrete.split()[1:] == ["2", "*", "*", "*"] and result.expression == "H 2 * * *"
    data = result.as_json()
    assert list(data) == ["expression", "timezone", "description", "next", "warnings"]
    assert data["timezone"] == "Europe/Rome" and data["description"].startswith("At 02:")
    assert data["next"][0] == "2026-03-29T03:00:00+02:00"
    assert [w[:10] for w in data["warnings"]] == ["2026-03-29", "2026-10-25", "2027-03-28"]
