"""The dependency tree in a job's detail and the Deferred view's never-runnable flags, seeded."""

from __future__ import annotations

import pytest
import redis
from textual.pilot import Pilot

from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.job_detail import JobDetailScreen
from queuetui.tui.screens.jobs import JobsScreen
from tests.snapshots.deps_seed import QUEUE, seed_deps
from tests.snapshots.seed import CLOCK, DISPLAY_URL
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]


def make_app(conn: redis.Redis) -> QueueTUI:
    seed_deps(conn)
    return QueueTUI(
        Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600), clock=CLOCK, connection=conn
    )


async def deferred_view(pilot: Pilot[None]) -> JobsScreen:
    app = pilot.app
    assert isinstance(app, QueueTUI)
    app.open_jobs(QUEUE, "deferred")
    await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="deferred")
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    await pilot.pause()
    return screen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dependency_tree_in_the_detail(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, QueueTUI)
        app.open_detail("load-0001")
        await until(
            pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.loaded, what="detail"
        )
        await pilot.press("t")
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_deferred_view_flags_never_runnable_jobs(
    snap_compare, conn: redis.Redis, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn), terminal_size=size, run_before=deferred_view)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_deferred_view_never_runnable_only(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        screen = await deferred_view(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.matches is not None and not screen.scanning, what="never:")
        await until(pilot, lambda: len(screen.rows) == 4, what="the matches")
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=size, run_before=run_before)
