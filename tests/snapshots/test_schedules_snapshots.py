"""The schedules list, a schedule's detail and the forecast, from seeded schedules with a frozen clock."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from textual.pilot import Pilot

from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.forecast import ForecastScreen
from queuetui.tui.screens.schedule_detail import ScheduleDetailScreen
from queuetui.tui.screens.schedules import SchedulesScreen
from tests.snapshots.schedules_seed import seed_schedules
from tests.snapshots.seed import CLOCK, DISPLAY_URL, seed
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]


def make_app(conn: redis.Redis, folder: Path) -> QueueTUI:
    seed(conn)
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600)
    return QueueTUI(settings, clock=CLOCK, connection=conn, sessions=seed_schedules(folder))


async def open_list(pilot: Pilot[None]) -> None:
    app = pilot.app
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, SchedulesScreen) and app.screen.loaded, what="list")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_schedules_list(snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn, tmp_path), terminal_size=size, run_before=open_list)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_schedule_detail(snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await open_list(pilot)
        app = pilot.app
        screen = app.screen
        assert isinstance(screen, SchedulesScreen)
        screen.query_one("#schedules").move_cursor(row=[r.name for r in screen.rows].index("invoice-run"))
        await pilot.press("enter")
        await until(
            pilot, lambda: isinstance(app.screen, ScheduleDetailScreen) and app.screen.detail, what="detail"
        )
        await pilot.pause()

    assert snap_compare(make_app(conn, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_forecast(snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await open_list(pilot)
        await pilot.press("f")
        app = pilot.app
        await until(
            pilot, lambda: isinstance(app.screen, ForecastScreen) and app.screen.result, what="forecast"
        )
        await pilot.pause()

    assert snap_compare(make_app(conn, tmp_path), terminal_size=size, run_before=run_before)
