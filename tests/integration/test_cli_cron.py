"""`queuetui cron explain` as a user runs it, and with a frozen clock for exact answers."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from queuetui import clock
from queuetui.cli import main
from tests.cli import queuetui


def test_json_shape() -> None:
    result = queuetui("cron", "explain", "*/15 * * * *", "--tz", "Europe/Rome", "-n", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["expression", "timezone", "description", "next", "warnings"]
    assert (data["expression"], data["timezone"], data["description"]) == (
        "*/15 * * * *",
        "Europe/Rome",
        "Every 15 minutes",
    )
    fires = [datetime.fromisoformat(text) for text in data["next"]]
    assert len(fires) == 3 and all(f.utcoffset() in (timedelta(hours=1), timedelta(hours=2)) for f in fires)
    assert [b - a for a, b in itertools.pairwise(fires)] == [timedelta(minutes=15)] * 2
    assert fires[0] > datetime.now(UTC) - timedelta(seconds=5)
    assert all(isinstance(w, str) and "\n" not in w for w in data["warnings"])


def test_text_shows_each_fire_in_the_zone_and_in_utc() -> None:
    result = queuetui("cron", "explain", "H H * * 1-5", "--name", "nightly", "--tz", "Asia/Tokyo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "expression   H H * * 1-5"
    assert lines[1].startswith("runs as      ") and lines[1].endswith(" * * 1-5")
    assert lines[2] == "time zone    Asia/Tokyo"
    fire_lines = [line for line in lines if "+09:00 JST" in line]
    assert len(fire_lines) == 5 and all(line.endswith(" UTC") for line in fire_lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["61 * * * *"], "minute field '61': value out of range 0-59"),
        (["0 0 * * MON#6"], "day-of-week field 'MON#6': the week after # must be 1 to 5"),
        (["* * * *"], "expected 5 fields"),
        (["H * * * *"], "minute field 'H': H needs a schedule name to hash"),
        (["* * * * *", "--tz", "Mars/Base"], "unknown time zone 'Mars/Base'"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args: list[str], message: str) -> None:
    result = queuetui("cron", "explain", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"queuetui: error: {message}")
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads "now" from queuetui.clock: freeze it the day before Rome's clocks go forward."""
    monkeypatch.setattr(clock, "SYSTEM", clock.FrozenClock(datetime(2026, 3, 28, 12, tzinfo=UTC)))


@pytest.mark.usefixtures("frozen")
def test_the_spring_forward_answer_with_a_frozen_clock() -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["cron", "explain", "30 2 * * *", "--tz", "Europe/Rome", "-n", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["next"] == ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]
    assert data["warnings"][0] == (
        "2026-03-29: Europe/Rome skips 02:00 to 03:00; what is due at 02:30 runs once, at 03:00"
    )
    text = runner.invoke(main, ["cron", "explain", "30 2 * * *", "--tz", "Europe/Rome", "-n", "2"])
    assert "next 2       2026-03-29 03:00:00+02:00 CEST   2026-03-29 01:00:00 UTC" in text.stdout
    assert "             2026-03-30 02:30:00+02:00 CEST   2026-03-30 00:30:00 UTC" in text.stdout
    assert "warning      2026-10-25: Europe/Rome goes through 02:00 to 03:00 twice" in text.stdout


@pytest.mark.usefixtures("frozen")
def test_a_schedule_that_never_fires_says_so() -> None:
    result = CliRunner().invoke(main, ["cron", "explain", "0 0 30 2 *"])
    assert result.exit_code == 0
    assert "next         never" in result.stdout
    assert "warning      never fires: no date matches day-of-month '30', month '2'" in result.stdout
