"""The Batches view and a batch's jobs, from seeded batches with a frozen clock, at 80x24 and 120x40."""

from __future__ import annotations

import pytest
import redis
from textual.pilot import Pilot

from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.batches import BatchesScreen
from queuetui.tui.screens.jobs import JobsScreen
from tests.snapshots.batches_seed import seed_batches
from tests.snapshots.seed import CLOCK, DISPLAY_URL
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]


def make_app(conn: redis.Redis) -> QueueTUI:
    seed_batches(conn)
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600)
    return QueueTUI(settings, clock=CLOCK, connection=conn)


async def batches(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, QueueTUI)
    app.run_command("batches")
    await until(pilot, lambda: isinstance(app.screen, BatchesScreen) and app.screen.loaded, what="batches")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_batches_view(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn), terminal_size=size, run_before=batches)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_batch_s_jobs(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def drill_down(pilot: Pilot[None]) -> None:
        await batches(pilot)
        await pilot.press("down", "enter")  # the second batch by name: import-2026-11-23
        app = pilot.app
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="its jobs")
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=size, run_before=drill_down)
