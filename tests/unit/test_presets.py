"""The form's three modes: presets to expressions and back, the six fields split, joined and checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queuetui.schedule.cron import next_fires
from queuetui.schedule.presets import (
    EVERY,
    KINDS,
    Preset,
    field_problems,
    join,
    read_preset,
    recognise,
    split,
    to_expression,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("preset", "expression"),
    [
        (Preset("minutes"), "* * * * *"),
        (Preset("minutes", every=15), "*/15 * * * *"),
        (Preset("hours", minute=5), "5 * * * *"),
        (Preset("hours", every=6, minute=30), "30 */6 * * *"),
        (Preset("daily", hour=2, minute=30), "30 2 * * *"),
        (Preset("weekdays", hour=9), "0 9 * * MON-FRI"),
        (Preset("weekly", hour=9, days=(5, 1)), "0 9 * * MON,FRI"),
        (Preset("monthly", hour=3, day="L"), "0 3 L * *"),
        (Preset("yearly", hour=4, minute=15, day="29", month=2), "15 4 29 2 *"),
    ],
)
def test_each_preset_writes_its_expression_and_is_recognised_in_it(preset: Preset, expression: str) -> None:
    assert to_expression(preset) == expression
    assert recognise(expression) == Preset(**{**preset.__dict__, "days": tuple(sorted(preset.days))})


@pytest.mark.parametrize(
    ("expression", "preset"),
    [
        ("@daily", Preset("daily")),
        ("@hourly", Preset("hours")),
        ("@yearly", Preset("yearly")),
        ("0 0 9 * * 1-5", Preset("weekdays", hour=9)),  # seconds 0 is the five-field form
        ("0 9 * * mon,wed", Preset("weekly", hour=9, days=(1, 3))),
        ("0 9 * * 7", Preset("weekly", hour=9, days=(0,))),  # 7 is Sunday
        ("0 6 1 JAN *", Preset("yearly", hour=6, month=1)),
    ],
)
def test_other_spellings_of_a_preset_are_recognised(expression: str, preset: Preset) -> None:
    assert recognise(expression) == preset


@pytest.mark.parametrize(
    "expression",
    [
        "H * * * *",  # hashed: the preset would lose the H
        "*/45 * * * *",  # not every 45 minutes
        "0 9,17 * * *",
        "30 2 * * 5L",
        "0 9 * * 1#2",
        "0 0 1-7 * MON",
        "0 0 1 1,7 *",
        "30 * * * * *",
        "0 3 * *",
        "61 * * * *",
        "",
    ],
)
def test_what_no_preset_writes_is_not_recognised(expression: str) -> None:
    assert recognise(expression) is None


def test_preset_inputs_are_read_and_each_mistake_sits_at_its_input() -> None:
    preset, problems = read_preset("weekly", {"days": "mon, fri", "at": "09:30"})
    assert (preset, problems) == (Preset("weekly", hour=9, minute=30, days=(1, 5)), {})
    assert read_preset("yearly", {"month": "feb", "day": "29", "at": "4:15"})[0] == Preset(
        "yearly", hour=4, minute=15, day="29", month=2
    )
    assert read_preset("minutes", {"every": "45"}) == (
        None,
        {"every": "one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 (they divide the minute evenly)"},
    )
    preset, problems = read_preset("yearly", {"month": "13", "day": "32", "at": "24:00"})
    assert preset is None and set(problems) == {"month", "day", "at"}
    assert problems["at"] == "a time of day, HH:MM from 00:00 to 23:59"
    assert read_preset("weekly", {"days": "", "at": "09:00"})[1] == {"days": "choose at least one day"}
    assert read_preset("hours", {"every": "5", "minute": "0"})[1]["every"].startswith("one of 1, 2, 3, 4, 6")
    assert read_preset("fortnightly", {})[1]["kind"].startswith("choose one of: Every N minutes")


def test_six_fields_split_join_and_each_is_checked_alone() -> None:
    assert split("30 2 * * *") == ("", "30", "2", "*", "*", "*")
    assert split("*/10 * * * * *") == ("*/10", "*", "*", "*", "*", "*")
    assert split("@weekly") == ("", "0", "0", "*", "*", "0")
    assert split("0 3 * *") is None
    assert join(("", "30", "2", "*", "*", "*")) == "30 2 * * *"
    assert join(("0", "30", "2", "*", "*", "*")) == "30 2 * * *"
    assert join((" 15 ", "*", "*", "*", "*", "*")) == "15 * * * * *"
    assert field_problems(("", "30", "2", "*", "*", "MON")) == {}
    assert field_problems(("x", "61", "", "L", "FOO", "1#9")) == {
        "second": "'x' is not a number",
        "minute": "value out of range 0-59",
        "hour": "required",
        "month": "'FOO' is not a number or a name",
        "day-of-week": "the week after # must be 1 to 5",
    }
    assert field_problems(("", "0", "3", "*", "*", "1,MON-FRY")) == {
        "day-of-week": "'MON-FRY': 'FRY' is not a number or a name"  # which term, when there are several
    }
    assert field_problems(("", "H(0-29)", "H", "*", "*", "*"), name=None) == {}
    assert field_problems(("", "1 2", "*", "*", "*", "*")) == {"minute": "one field takes no spaces"}


presets = st.one_of(
    st.builds(Preset, kind=st.just("minutes"), every=st.sampled_from(EVERY["minutes"])),
    st.builds(
        Preset, kind=st.just("hours"), every=st.sampled_from(EVERY["hours"]), minute=st.integers(0, 59)
    ),
    st.builds(
        Preset,
        kind=st.sampled_from(["daily", "weekdays"]),
        hour=st.integers(0, 23),
        minute=st.integers(0, 59),
    ),
    st.builds(
        Preset,
        kind=st.just("weekly"),
        hour=st.integers(0, 23),
        minute=st.integers(0, 59),
        days=st.lists(st.integers(0, 6), min_size=1, unique=True).map(lambda d: tuple(sorted(d))),
    ),
    st.builds(
        Preset,
        kind=st.sampled_from(["monthly", "yearly"]),
        hour=st.integers(0, 23),
        minute=st.integers(0, 59),
        day=st.sampled_from(["L", *map(str, range(1, 32))]),
        month=st.integers(1, 12),
    ),
)


@settings(max_examples=300, deadline=None)
@given(presets)
def test_every_preset_is_recognised_as_one_that_fires_at_the_same_times(preset: Preset) -> None:
    expression = to_expression(preset)
    found = recognise(expression)
    assert found is not None and found.kind in KINDS
    assert next_fires(to_expression(found), "Europe/Rome", NOW, 12) == next_fires(
        expression, "Europe/Rome", NOW, 12
    )
    assert read_preset(found.kind, found.texts()) == (found, {})
