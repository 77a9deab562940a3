"""The Metrics and Alerts views, from an hour of samples the real sampler took under a frozen clock."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from textual.pilot import Pilot

from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.alerts import AlertsScreen
from queuetui.tui.screens.metrics import MetricsScreen
from tests.snapshots.metrics_seed import ALERT_SETTINGS, seed_alerts, seed_with_metrics
from tests.snapshots.seed import CLOCK, DISPLAY_URL
from tests.snapshots.test_overview_snapshots import loaded
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]


def make_app(conn: redis.Redis, tmp_path: Path) -> QueueTUI:
    seed_with_metrics(conn)
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    seed_alerts(sessions)
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600, alerts=ALERT_SETTINGS)
    return QueueTUI(settings, clock=CLOCK, connection=conn, sessions=sessions)


async def metrics_of(pilot: Pilot[None], command: str) -> None:
    await loaded(pilot)
    pilot.app.run_command(command)  # type: ignore[attr-defined]
    await until(
        pilot, lambda: isinstance(pilot.app.screen, MetricsScreen) and pilot.app.screen.trend is not None
    )
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_metrics_view(snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await metrics_of(pilot, "metrics default")

    assert snap_compare(make_app(conn, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_metrics_view_by_tenant(
    snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    """`t` splits the hour's finished and failed jobs by tenant (globex's all fail)."""

    async def run_before(pilot: Pilot[None]) -> None:
        await metrics_of(pilot, "metrics default")
        await pilot.press("t")
        screen = pilot.app.screen
        assert isinstance(screen, MetricsScreen)
        await until(pilot, lambda: screen.trend is not None and screen.trend.by_tenant is not None)
        await pilot.pause()

    assert snap_compare(make_app(conn, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_metrics_view_of_a_week(
    snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    """The 5-minute points of the same hour, in a 7-day window: most of it before any sample."""

    async def run_before(pilot: Pilot[None]) -> None:
        await metrics_of(pilot, "metrics emails 7d")

    assert snap_compare(make_app(conn, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_alerts_view(snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(pilot.app.screen, AlertsScreen) and pilot.app.screen.alerts)
        await pilot.pause()

    assert snap_compare(make_app(conn, tmp_path), terminal_size=size, run_before=run_before)
