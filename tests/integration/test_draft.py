"""The schedule form's logic without the form: modes kept in step, problems by field, the preview."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from queuetui.audit import Actor, Audit
from queuetui.clock import FrozenClock
from queuetui.db.engine import open_database
from queuetui.schedule.draft import NEW, Draft, changes, evaluate, texts_of
from queuetui.schedule.forecast import forecast
from queuetui.schedule.presets import Preset
from queuetui.schedule.store import ScheduleStore

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def store(tmp_path: Path) -> ScheduleStore:
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    clock = FrozenClock(NOW)
    return ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=clock), clock)


def draft(name: str = "nightly", **kwargs: object) -> Draft:
    texts = {**texts_of(NEW), "func": "tests.jobs:add", **kwargs.pop("texts", {})}  # type: ignore[dict-item]
    return Draft(name, texts, {"enabled": True}, **kwargs)  # type: ignore[arg-type]


def test_a_preset_makes_the_expression_the_fields_and_the_preview(store: ScheduleStore) -> None:
    weekly = draft(
        source="preset",
        preset_kind="weekly",
        preset_inputs={"days": "MON,FRI", "at": "09:30"},
        texts={"timezone": "Europe/Rome"},
    )
    result = evaluate(weekly, now=NOW, check=store.check, operator_zone=UTC)
    assert result.valid and result.expression == "30 9 * * MON,FRI"
    assert result.fields == ("", "30", "9", "*", "*", "MON,FRI")
    assert result.preset == Preset("weekly", hour=9, minute=30, days=(1, 5))
    assert result.preview is not None
    assert result.preview.description == "At 09:30, only on Monday and Friday"
    assert len(result.preview.fires) == 10
    assert result.preview.fires[0] == datetime(2026, 11, 27, 9, 30, tzinfo=ROME)  # Friday
    assert result.preview.local[0] == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    assert result.values["cron"] == "30 9 * * MON,FRI" and result.values["timezone"] == "Europe/Rome"


def test_a_bad_preset_input_or_field_sits_there_and_nothing_is_previewed(store: ScheduleStore) -> None:
    bad_preset = draft(source="preset", preset_kind="daily", preset_inputs={"at": "25:00"})
    result = evaluate(bad_preset, now=NOW, check=store.check)
    assert result.problems == {"preset.at": "a time of day, HH:MM from 00:00 to 23:59"}
    assert (result.expression, result.preview) == (None, None)
    fields = ("", "61", "3", "*", "*", "*")
    result = evaluate(draft(source="fields", fields=fields), now=NOW, check=store.check)
    assert result.problems == {"field.minute": "value out of range 0-59"}  # not 'cron: required' too
    result = evaluate(
        draft(source="fields", fields=("", "30", "2", "*", "*", "*")), now=NOW, check=store.check
    )
    assert (
        result.valid
        and result.expression == "30 2 * * *"
        and result.preset == Preset("daily", hour=2, minute=30)
    )


def test_the_raw_expression_is_checked_whole_and_h_is_hashed_from_the_name(store: ScheduleStore) -> None:
    result = evaluate(draft(expression="0 3 * *"), now=NOW, check=store.check)
    assert result.problems == {
        "cron": "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, "
        "got 4"
    }
    assert result.fields is None and result.preview is None
    hashed = evaluate(draft(expression="H 3 * * *"), now=NOW, check=store.check)
    assert hashed.valid and hashed.preset is None and hashed.fields == ("", "H", "3", "*", "*", "*")
    assert hashed.preview is not None and hashed.preview.concrete != "H 3 * * *"
    minute = int(hashed.preview.concrete.split()[0])
    assert hashed.preview.fires[0] == datetime(2026, 11, 24, 3, minute, tzinfo=UTC)
    assert hashed.preview.description == f"At 03:{minute:02d}"


def test_every_problem_sits_at_its_field(store: ScheduleStore) -> None:
    store.add("nightly", {"func": "tests.jobs:add", "cron": "0 3 * * *"})
    texts = {
        "func": "app.gone:task",
        "args": "[1,",
        "kwargs": "[]",
        "timezone": "Mars/Base",
        "job_timeout": "soon",
        "retry_intervals": "10, x",
        "webhook_url": "ftp://hooks",
        "queue": " ",
        "overlap": "maybe",
    }
    result = evaluate(draft(texts=texts, expression="0 3 * * *"), now=NOW, check=store.check)
    assert result.problems == {
        "job_timeout": "a whole number of seconds, or empty for RQ's default",
        "retry_intervals": "seconds before each retry, e.g. 10, 60, 300",
        "name": "a schedule named 'nightly' already exists",
        "args": "not valid JSON (Expecting value at column 4)",
        "kwargs": "expected a JSON object, got []",
        "overlap": "'maybe' is not one of allow, skip, queue",
        "webhook_url": "'ftp://hooks' is not an http(s) URL",
        "timezone": "unknown time zone 'Mars/Base'",
        "queue": "must not be empty",
        "func": "cannot import module 'app.gone' (ModuleNotFoundError: No module named 'app')",
    }
    assert result.preview is None  # the zone is unknown
    edit = evaluate(
        draft(expression="0 4 * * *"), now=NOW, check=lambda n, v: store.check(n, v, editing=True)
    )
    assert edit.valid


def test_warnings_follow_the_expression_and_a_busy_minute_suggests_h(store: ScheduleStore) -> None:
    for name in ("a", "b"):
        store.add(name, {"func": "tests.jobs:add", "cron": "0 3 * * *"})
    busy = forecast(store.sessions, NOW)
    result = evaluate(draft("c", expression="0 3 * * *"), now=NOW, check=store.check, busy=busy)
    assert result.preview is not None and result.preview.warnings == (
        "busy minute: 2 other fires at Tue 03:00 UTC (a typical minute has 0); "
        "'H 3 * * *' spreads the load (H picks the minute from the schedule's name)",
    )
    quiet = evaluate(draft("c", expression="H 3 * * *"), now=NOW, check=store.check, busy=busy)
    assert quiet.preview is not None and quiet.preview.warnings == ()
    never = evaluate(draft("c", expression="0 0 30 2 *"), now=NOW, check=store.check)
    assert never.preview is not None and never.preview.fires == ()
    assert never.preview.warnings[0].startswith("never fires: no date matches day-of-month '30'")
    rome = evaluate(draft("c", expression="30 2 * * *", texts={"timezone": "Europe/Rome"}), now=NOW)
    assert rome.preview is not None
    assert rome.preview.warnings == (
        "2027-03-28: Europe/Rome skips 02:00 to 03:00; what is due at 02:30 runs once, at 03:00",
        "2027-10-31: Europe/Rome goes through 02:00 to 03:00 twice; what is due at 02:30 runs once, on the "
        "first pass",
    )


def test_text_comes_back_as_the_values_and_an_edit_sends_only_what_changed(store: ScheduleStore) -> None:
    schedule = store.add(
        "nightly",
        {"func": "tests.jobs:add", "cron": "0 3 * * *", "args": [1, 2], "tags": ["b", "a"], "retry_max": 2,
         "retry_intervals": [10, 60], "job_timeout": 30, "notify_on_late": True},
    )  # fmt: skip
    original = {name: getattr(schedule, name) for name in NEW}
    texts = texts_of(original)
    assert (texts["args"], texts["tags"], texts["retry_intervals"], texts["job_timeout"]) == (
        "[1, 2]",
        "a, b",
        "10, 60",
        "30",
    )
    flags = {name: original[name] for name in ("notify_on_failure", "notify_on_success", "notify_on_late")}
    same = evaluate(Draft("nightly", texts, flags, expression=original["cron"]), now=NOW)
    assert changes(same.values, original) == {}
    texts = {**texts, "job_timeout": "", "tags": "a, c", "args": "[3]"}
    edited = evaluate(Draft("nightly", texts, flags, expression="0 4 * * *"), now=NOW)
    assert changes(edited.values, original) == {
        "args": [3],
        "cron": "0 4 * * *",
        "job_timeout": None,
        "tags": ["a", "c"],
    }
    assert evaluate(draft(expression="0 3 * * *"), now=NOW).values == {
        **NEW,
        "func": "tests.jobs:add",
    }
