"""The Workers view, rendered from seeded workers on three hosts (one late, one gone) at 80x24 and 120x40."""

from __future__ import annotations

import pytest
import redis
from textual.pilot import Pilot

from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.workers import WorkersScreen
from tests.snapshots.seed import CLOCK, DISPLAY_URL, seed_workers
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]


def make_app(conn: redis.Redis) -> QueueTUI:
    seed_workers(conn)
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600)
    return QueueTUI(settings, clock=CLOCK, connection=conn)


async def open_workers(pilot: Pilot[None]) -> None:
    await until(pilot, lambda: pilot.app.screen.is_mounted, what="the overview")
    await pilot.press("w")
    await until(pilot, lambda: isinstance(pilot.app.screen, WorkersScreen), what="the Workers view")
    screen = pilot.app.screen
    assert isinstance(screen, WorkersScreen)
    await until(pilot, lambda: screen.last_view is not None, what="first fetch")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_workers(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn), terminal_size=size, run_before=open_workers)
