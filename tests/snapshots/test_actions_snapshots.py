"""Marks, the dry-run dialog, the typed confirmation and the progress bar, from seeded jobs."""

from __future__ import annotations

import pytest
import redis
from textual.pilot import Pilot

from queuetui.config import Settings
from queuetui.rqdata.bulk import Progress
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.dry_run import DryRunScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.widgets.bulk_bar import BulkBar
from queuetui.tui.widgets.live_table import LiveTable
from tests.snapshots.seed import CLOCK, DISPLAY_URL, seed_jobs
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]


def make_app(conn: redis.Redis, confirm_above: int = 100) -> QueueTUI:
    seed_jobs(conn)
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600, confirm_above=confirm_above)
    return QueueTUI(settings, clock=CLOCK, connection=conn)


async def marked(pilot: Pilot[None]) -> JobsScreen:
    """The Failed view of emails with its first, second and fourth rows marked."""
    app = pilot.app
    assert isinstance(app, QueueTUI)
    app.open_jobs("emails", "failed")
    await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="failed")
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    screen.query_one("#jobs", LiveTable).focus()
    await pilot.press("space", "space", "down", "space")
    assert len(screen.marked) == 3
    await pilot.pause()
    return screen


async def dialog(pilot: Pilot[None], *keys: str) -> None:
    await marked(pilot)
    await pilot.press(*keys)
    await until(pilot, lambda: isinstance(pilot.app.screen, DryRunScreen), what="the dry-run dialog")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_marks(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn), terminal_size=size, run_before=marked)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dry_run_dialog(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await dialog(pilot, "R", "f")  # retry, to the front

    assert snap_compare(make_app(conn), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_typed_confirmation(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await dialog(pilot, "asterisk", "D")  # delete all 13, above confirm_above=5
        await pilot.press("1")

    assert snap_compare(make_app(conn, confirm_above=5), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_progress_bar(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        screen = await marked(pilot)
        # A run's progress at a fixed point (a live run's rate and ETA change from one run to the next).
        screen.query_one(BulkBar).running("jobs.retry", Progress(42_000, 17, 100_000, 2.5))
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=size, run_before=run_before)
