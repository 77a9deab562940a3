"""What an operator may type to snooze a schedule from the console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from queuetui.tui.screens.schedule_actions import parse_snooze

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # the suite runs with TZ=UTC: local is UTC


@pytest.mark.parametrize(
    ("text", "until"),
    [
        ("1h", NOW + timedelta(hours=1)),
        ("+30m", NOW + timedelta(minutes=30)),
        ("2d", NOW + timedelta(days=2)),
        ("tomorrow 09:00", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("tomorrow", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("09:00", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),  # already past today: tomorrow's
        ("18:30", datetime(2026, 11, 23, 18, 30, tzinfo=UTC)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01 09:00", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        ("2026-12-01T09:00+01:00", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("wake", None),
    ],
)
def test_snooze_until(text: str, until: datetime | None) -> None:
    assert parse_snooze(text, NOW) == until


@pytest.mark.parametrize("text", ["soon", "25:00", "tomorrow noon", "1x"])
def test_what_cannot_be_read_says_what_can(text: str) -> None:
    with pytest.raises(ValueError, match="expected 1h, \\+30m, 2d, tomorrow 09:00"):
        parse_snooze(text, NOW)
