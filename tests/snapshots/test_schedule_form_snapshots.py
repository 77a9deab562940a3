"""The schedule form, filled in valid and invalid, from seeded schedules with a frozen clock."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, TabbedContent

from queuetui.tui.screens.schedule_form import ScheduleFormScreen
from tests.snapshots.test_schedules_snapshots import SIZES, make_app, open_list
from tests.tui.helpers import until


async def open_form(pilot: Pilot[None]) -> ScheduleFormScreen:
    await open_list(pilot)
    await pilot.press("a")
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ScheduleFormScreen) and app.screen.loaded, what="form")
    form = app.screen
    assert isinstance(form, ScheduleFormScreen)
    await until(pilot, lambda: form.current, what="the first check")
    return form


async def fill(pilot: Pilot[None], form: ScheduleFormScreen, values: dict[str, str]) -> None:
    for selector, text in values.items():
        form.query_one(selector, Input).focus()
        await pilot.press("end", "ctrl+u", *text)
        await until(pilot, lambda: form.current, what=f"the check of {selector}")


async def steady(pilot: Pilot[None], form: ScheduleFormScreen) -> None:
    """No blinking cursor, and everything checked and drawn."""
    for field in form.query(Input):
        field.cursor_blink = False
    await until(pilot, lambda: form.current, what="the last check")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_schedule_form_valid(snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        form = await open_form(pilot)
        fields = {"#in-name": "standup-digest", "#in-func": "tests.jobs:add", "#in-timezone": "Europe/Rome"}
        await fill(pilot, form, fields)
        form.query_one("#preset-kind").focus()
        await pilot.press("enter", "down", "down", "enter")  # Daily -> Weekly on days
        await until(pilot, lambda: form.current, what="weekly")
        form.query_one("#day-5", Checkbox).focus()
        await pilot.press("space")
        await fill(pilot, form, {"#preset-at": "09:30", "#in-name": "standup-digest"})
        await steady(pilot, form)

    assert snap_compare(make_app(conn, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_schedule_form_invalid(
    snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        form = await open_form(pilot)
        form.query_one("#modes", TabbedContent).active = "mode-fields"
        await fill(
            pilot, form, {"#cron-1": "61", "#cron-5": "MON-FRY", "#in-args": "[1,", "#in-name": "invoice-run"}
        )
        await steady(pilot, form)

    assert snap_compare(make_app(conn, tmp_path), terminal_size=size, run_before=run_before)
