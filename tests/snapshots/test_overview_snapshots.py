"""What the operator sees, rendered from seeded data with a frozen clock, at 80x24 and 120x40."""

from __future__ import annotations

import pytest
import redis
from textual.pilot import Pilot

from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.overview import OverviewScreen
from tests.snapshots.metrics_seed import seed_with_metrics
from tests.snapshots.seed import CLOCK, DISPLAY_URL
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]


def make_app(conn: redis.Redis) -> QueueTUI:
    seed_with_metrics(conn, samples=60)  # ten minutes: the sparklines show the last five
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600)
    return QueueTUI(settings, clock=CLOCK, connection=conn)


async def loaded(pilot: Pilot[None]) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, OverviewScreen)
    await until(pilot, lambda: screen.last_overview is not None, what="first fetch")
    await pilot.app.workers.wait_for_complete()  # the count of firing alerts too
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn), terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def open_help(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=size, run_before=open_help)
