"""Reading schedules for the console and the CLI: pages, search, last runs, detail and the forecast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from queuetui.audit import Actor, Audit
from queuetui.clock import FrozenClock
from queuetui.db.engine import open_database, session_scope
from queuetui.db.models import RunState, Schedule, ScheduleRun
from queuetui.schedule.cron import get_zone, parse
from queuetui.schedule.firing import Fire
from queuetui.schedule.forecast import Crowd, crowding, forecast
from queuetui.schedule.listing import (
    SearchError,
    check_search,
    in_use,
    list_schedules,
    position,
    schedule_detail,
)
from queuetui.schedule.store import ScheduleStore

NOW = datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> ScheduleStore:
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    clock = FrozenClock(NOW)
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=clock), clock)
    base = {"func": "tests.jobs:add", "args": [1, 2]}
    store.add("reports-nightly", {**base, "cron": "0 3 * * *", "tags": ["reports"], "queue": "low"})
    store.add("emails-digest", {**base, "cron": "*/15 * * * *", "tags": ["emails"], "queue": "emails"})
    store.add("cleanup", {**base, "cron": "30 12 * * *", "description": "drop old sessions"})
    store.add("paused-one", {**base, "cron": "* * * * *"})
    store.set_enabled("paused-one", False)
    return store


def names(store: ScheduleStore, search: str = "", offset: int = 0, limit: int = 100) -> list[str]:
    return [
        row.name for row in list_schedules(store.sessions, search=search, offset=offset, limit=limit).rows
    ]


def test_the_list_is_enabled_first_soonest_first_with_english_and_paging(store: ScheduleStore) -> None:
    page = list_schedules(store.sessions)
    assert page.total == 4
    assert [r.name for r in page.rows] == ["emails-digest", "cleanup", "reports-nightly", "paused-one"]
    digest = page.rows[0]
    assert digest.description == "Every 15 minutes"
    assert digest.next_fire_at == datetime(2026, 11, 23, 12, 15, tzinfo=UTC)
    assert digest.state(NOW) == "enabled" and page.rows[3].state(NOW) == "disabled"
    assert names(store, offset=1, limit=2) == ["cleanup", "reports-nightly"]
    assert names(store, offset=99) == ["paused-one"]  # past the end: the last page, not an empty one


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("tag:reports", ["reports-nightly"]),
        ("queue:emails", ["emails-digest"]),
        ("is:disabled", ["paused-one"]),
        ("SESSIONS", ["cleanup"]),  # the description, case-insensitive
        ("emails 15", ["emails-digest"]),  # every word must match (the cron has 15)
        ("tests.jobs", ["emails-digest", "cleanup", "reports-nightly", "paused-one"]),
        ("nothing-like-this", []),
        ("100%", []),  # LIKE's wildcards are plain characters
        ("tag:%", []),  # in a tag too: not every tagged schedule
        ("tag:_eports", []),
    ],
)
def test_search(store: ScheduleStore, search: str, expected: list[str]) -> None:
    assert names(store, search) == expected


def test_a_search_that_cannot_run_says_why_in_one_line(store: ScheduleStore) -> None:
    assert check_search("is:sleepy") == "is:sleepy: expected one of is:enabled, is:disabled, is:snoozed"
    with pytest.raises(SearchError):
        list_schedules(store.sessions, search="is:sleepy")
    assert check_search("tag:x is:snoozed") == ""


def record(store: ScheduleStore, name: str, runs: list[tuple[int, str, float | None]]) -> None:
    """Runs of `name` (minutes before NOW, state, duration)."""
    with session_scope(store.sessions) as session:
        schedule = session.query(Schedule).filter_by(name=name).one()
        for minutes, state, duration in runs:
            fire = Fire(schedule, NOW.replace(second=0) - timedelta(minutes=minutes))
            session.add(
                ScheduleRun(
                    schedule_id=schedule.id,
                    fire_time=fire.fire_time,
                    job_id=fire.job_id,
                    state=state,
                    duration=duration,
                    enqueued_at=fire.fire_time,
                )
            )


def test_last_run_and_detail_with_history_and_success_rate(store: ScheduleStore) -> None:
    history = [(45, "finished", 1.5), (30, "failed", 0.5), (15, "finished", 2.0), (0, "queued", None)]
    record(store, "emails-digest", history)
    page = list_schedules(store.sessions)
    digest = next(r for r in page.rows if r.name == "emails-digest")
    assert digest.last is not None and (digest.last.state, digest.last.fire_time.minute) == ("queued", 0)
    assert next(r for r in page.rows if r.name == "cleanup").last is None

    detail = schedule_detail(store.sessions, "emails-digest", NOW)
    assert detail is not None
    assert [r.state for r in detail.runs] == [RunState.QUEUED, "finished", "failed", "finished"]
    assert (detail.stats.runs, detail.stats.finished, detail.stats.failed) == (4, 2, 1)
    assert detail.stats.success_rate == pytest.approx(2 / 3)
    assert detail.stats.durations == (1.5, 0.5, 2.0)
    assert [f.strftime("%H:%M") for f in detail.upcoming] == ["12:15", "12:30", "12:45", "13:00", "13:15"]
    assert schedule_detail(store.sessions, "paused-one", NOW).upcoming == ()  # disabled
    assert schedule_detail(store.sessions, "no-such", NOW) is None


def test_forecast_counts_fires_per_minute_and_names_the_busiest(store: ScheduleStore) -> None:
    store.add("also-at-three", {"func": "tests.jobs:add", "cron": "0 3 * * *"})
    result = forecast(store.sessions, NOW)
    assert result.start == datetime(2026, 11, 23, 12, 1, tzinfo=UTC)
    assert len(result.per_minute) == 24 * 60
    assert result.schedules == 4  # enabled ones
    assert result.total == 96 + 1 + 2  # every 15 minutes, 12:30 once, 03:00 twice
    minute, count, who = result.busiest[0]
    assert (minute, count) == (datetime(2026, 11, 24, 3, 0, tzinfo=UTC), 3)  # with the quarter-hourly one
    assert set(who) == {"reports-nightly", "also-at-three", "emails-digest"}
    assert max(result.buckets(80)) == 3 and len(result.buckets(80)) <= 80


def test_forecast_counts_every_second_of_a_seconds_schedule_and_h_schedules_apart(tmp_path: Path) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'f.db'}")
    clock = FrozenClock(NOW)
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=clock), clock)
    store.add("often", {"func": "tests.jobs:add", "cron": "*/10 * * * * *"})  # six a minute
    for name in ("hashed-a", "hashed-b", "hashed-c"):
        store.add(name, {"func": "tests.jobs:add", "cron": "H 4 * * *"})  # once a day, minutes spread by name
    result = forecast(sessions, NOW)
    assert result.per_minute[0] == 6 and result.schedules == 4
    assert result.total == 6 * 24 * 60 + 3
    four = [m for m, count in enumerate(result.per_minute) if count > 6]
    assert four and all(result.start.hour + m // 60 == 28 for m in four)  # H runs land in the 04:xx hour


def test_crowding_finds_the_busiest_minute_a_new_schedule_would_share(store: ScheduleStore) -> None:
    store.add("also-at-three", {"func": "tests.jobs:add", "cron": "0 3 * * *"})
    result = forecast(store.sessions, NOW)
    utc = get_zone("UTC")
    at_three = Crowd(datetime(2026, 11, 24, 3, 0, tzinfo=UTC), others=3, typical=0)
    assert crowding(result, parse("0 3 * * *"), utc) == at_three
    assert crowding(result, parse("0 4 * * *"), get_zone("Europe/Rome")) == at_three  # 04:00 CET
    assert crowding(result, parse("5 3 * * *"), utc) is None
    assert crowding(result, parse("*/5 * * * *"), utc) == Crowd(at_three.minute, 3, 0)  # its busiest
    assert crowding(result, parse("0 0 1 1 *"), utc) is None  # not within the forecast's day
    alone = forecast(store.sessions, NOW, exclude="also-at-three")
    assert alone.total == result.total - 1
    assert crowding(alone, parse("0 3 * * *"), utc) == Crowd(at_three.minute, 2, 0)


def test_a_schedule_every_minute_sets_the_typical_minute(tmp_path: Path) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'f.db'}")
    clock = FrozenClock(NOW)
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=clock), clock)
    store.add("often", {"func": "tests.jobs:add", "cron": "*/30 * * * * *"})
    store.add("hourly", {"func": "tests.jobs:add", "cron": "0 * * * *"})
    result = forecast(sessions, NOW)
    assert crowding(result, parse("30 2 * * *"), get_zone("UTC")) is None  # two fires, as every minute
    crowd = crowding(result, parse("0 2 * * *"), get_zone("UTC"))
    assert crowd == Crowd(datetime(2026, 11, 24, 2, 0, tzinfo=UTC), others=3, typical=2)


def test_in_use_lists_functions_and_queues_most_used_first(store: ScheduleStore) -> None:
    store.add("other", {"func": "tests.jobs:boom", "cron": "0 3 * * *", "queue": "low"})
    assert in_use(store.sessions) == (
        ["tests.jobs:add", "tests.jobs:boom"],
        ["default", "low", "emails"],
    )  # ties by name


def test_position_is_where_a_schedule_sits_in_the_list(store: ScheduleStore) -> None:
    store.add("also-every-quarter", {"func": "tests.jobs:add", "cron": "*/15 * * * *"})
    store.add("never", {"func": "tests.jobs:add", "cron": "0 0 30 2 *"})
    store.add("never-disabled", {"func": "tests.jobs:add", "cron": "0 0 30 2 *", "enabled": False})
    for search in ("", "every", "is:disabled", "tag:emails"):
        listed = names(store, search)
        assert [position(store.sessions, name, search) for name in listed] == list(range(len(listed))), search
    assert position(store.sessions, "cleanup", "tag:emails") is None
    assert position(store.sessions, "no-such") is None
