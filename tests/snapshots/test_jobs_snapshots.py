"""Every jobs view, the failure groups and a job's detail, from seeded jobs with a frozen clock."""

from __future__ import annotations

import pytest
import redis
from textual.pilot import Pilot

from queuetui.config import Settings
from queuetui.rqdata.rows import VIEWS
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.groups import FailureGroupsScreen
from queuetui.tui.screens.job_detail import JobDetailScreen
from queuetui.tui.screens.jobs import JobsScreen
from tests.snapshots.seed import CLOCK, DISPLAY_URL, seed_jobs
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]


def make_app(conn: redis.Redis) -> QueueTUI:
    seed_jobs(conn)
    return QueueTUI(
        Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600), clock=CLOCK, connection=conn
    )


def opened(registry: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, QueueTUI)
        app.open_jobs("emails", registry)
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what=registry)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("registry", list(VIEWS))
def test_jobs_view(snap_compare, conn: redis.Redis, registry: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn), terminal_size=size, run_before=opened(registry))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_failure_groups(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await opened("failed")(pilot)
        await pilot.press("f")
        app = pilot.app
        await until(
            pilot,
            lambda: isinstance(app.screen, FailureGroupsScreen) and app.screen.signatures,
            what="groups",
        )
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("job_id", ["fail-0010", "fail-0012"])
def test_job_detail(snap_compare, conn: redis.Redis, job_id: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, QueueTUI)
        app.open_detail(job_id)
        await until(
            pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.loaded, what="detail"
        )
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=size, run_before=run_before)


def test_filtered_view(snap_compare, conn: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await opened("failed")(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, JobsScreen)
        screen.apply_filter("exc:Timeout OR msg:closed")
        await until(pilot, lambda: screen.matches is not None and screen.loaded, what="filtered")
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=(120, 40), run_before=run_before)
