"""Export the README screenshots from the app itself, on the seeded data the snapshot tests use.

Run from the top of the checkout: .venv/bin/python -m docs.screenshots
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

import redis
from tests.snapshots.batches_seed import seed_batches
from tests.snapshots.deps_seed import QUEUE as DEPS_QUEUE
from tests.snapshots.deps_seed import seed_deps
from tests.snapshots.metrics_seed import ALERT_SETTINGS, seed_alerts, seed_metrics
from tests.snapshots.schedules_seed import seed_schedules
from tests.snapshots.seed import CLOCK, DISPLAY_URL, seed, seed_jobs, seed_workers

from queuetui.config import Settings
from queuetui.embedded import EmbeddedRedis
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.alerts import AlertsScreen
from queuetui.tui.screens.batches import BatchesScreen
from queuetui.tui.screens.forecast import ForecastScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.metrics import MetricsScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.screens.schedule_detail import ScheduleDetailScreen
from queuetui.tui.screens.schedules import SchedulesScreen
from queuetui.tui.screens.tenants import TenantsScreen
from queuetui.tui.screens.workers import WorkersScreen

HERE = Path(__file__).parent


def overview_ready(app: QueueTUI) -> bool:
    return isinstance(app.screen, OverviewScreen) and app.screen.last_overview is not None


def jobs_ready(app: QueueTUI) -> bool:
    return isinstance(app.screen, JobsScreen) and app.screen.loaded and not app.screen.scanning


async def export(
    server: EmbeddedRedis,
    name: str,
    size: tuple[int, int],
    seeder: Callable[[redis.Redis], None] = seed,
    steps: tuple[tuple[Callable[[QueueTUI], object], Callable[[QueueTUI], bool]], ...] = (),
    keys: tuple[str, ...] = (),
    alerts: bool = False,
) -> None:
    conn = server.client()
    seeder(conn)
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600, alerts=ALERT_SETTINGS)
    folder = tempfile.mkdtemp()
    sessions = seed_schedules(Path(folder))
    if alerts:
        seed_alerts(sessions)
    app = QueueTUI(settings, clock=CLOCK, connection=conn, sessions=sessions)
    async with app.run_test(size=size) as pilot:
        while not overview_ready(app):
            await pilot.pause(0.05)
        for act, ready in steps:
            act(app)
            while not ready(app):
                await pilot.pause(0.05)
        await pilot.press(*keys)
        await pilot.pause(0.2)
        app.save_screenshot(str(HERE / f"{name}.svg"))


def workers_ready(app: QueueTUI) -> bool:
    return isinstance(app.screen, WorkersScreen) and app.screen.last_view is not None


WORKERS = (lambda app: app.action_open_workers(), workers_ready)


def seed_with_metrics(conn: redis.Redis) -> None:
    seed(conn)
    seed_metrics(conn)


def schedules_ready(app: QueueTUI) -> bool:
    return isinstance(app.screen, SchedulesScreen) and app.screen.loaded


async def export_tenants(server: EmbeddedRedis) -> None:
    """The Tenants view with the console scoped to a tenant, and the Metrics view split by tenant."""
    tenants = (
        lambda app: (setattr(app, "tenant", "acme"), app.run_command("tenants emails")),
        lambda app: isinstance(app.screen, TenantsScreen) and app.screen.result is not None,
    )
    await export(server, "tenants", (80, 16), seed_jobs, (tenants,))
    metrics = (
        lambda app: app.run_command("metrics default"),
        lambda app: isinstance(app.screen, MetricsScreen) and app.screen.trend is not None,
    )
    split = (
        lambda app: app.screen.action_split(),
        lambda app: isinstance(app.screen, MetricsScreen) and getattr(app.screen.trend, "by_tenant", None),
    )
    await export(server, "metrics-tenants", (120, 14), seed_with_metrics, (metrics, split))


async def main() -> None:
    failed = (lambda app: app.open_jobs("emails", "failed"), jobs_ready)
    schedules = (lambda app: app.open_schedules(), schedules_ready)
    invoice = (
        lambda app: app.push_screen(ScheduleDetailScreen("invoice-run")),
        lambda app: isinstance(app.screen, ScheduleDetailScreen) and app.screen.detail is not None,
    )
    forecast = (
        lambda app: app.push_screen(ForecastScreen()),
        lambda app: isinstance(app.screen, ForecastScreen) and app.screen.result is not None,
    )
    metrics = (
        lambda app: app.run_command("metrics default"),
        lambda app: isinstance(app.screen, MetricsScreen) and app.screen.trend is not None,
    )
    alerts = (
        lambda app: app.open_alerts(),
        lambda app: isinstance(app.screen, AlertsScreen) and bool(app.screen.alerts),
    )
    with EmbeddedRedis() as server:
        await export(server, "metrics", (120, 40), seed_with_metrics, (metrics,))
        await export_tenants(server)
        await export(server, "alerts", (120, 16), steps=(alerts,), alerts=True)
        await export(server, "overview", (120, 40), seed_with_metrics)
        await export(server, "overview-80x24", (80, 24))
        await export(server, "help", (100, 30), keys=("question_mark",))
        await export(server, "failed", (120, 40), seed_jobs, (failed,))
        await export(server, "schedules", (120, 24), steps=(schedules,))
        await export(server, "schedule-detail", (120, 40), steps=(schedules, invoice))
        await export(server, "forecast", (100, 24), steps=(schedules, forecast))
        await export(server, "failed-80x24", (80, 24), seed_jobs, (failed,))
        await export(server, "workers", (120, 20), seed_workers, (WORKERS,))
        batches = (
            lambda app: app.run_command("batches"),
            lambda app: isinstance(app.screen, BatchesScreen) and app.screen.loaded,
        )
        await export(server, "batches", (120, 16), seed_batches, (batches,))
        await export(
            server,
            "groups",
            (120, 30),
            seed_jobs,
            (
                failed,
                (
                    lambda app: app.screen.action_groups(),
                    lambda app: bool(getattr(app.screen, "signatures", 0)),
                ),
            ),
        )
        await export(
            server,
            "detail",
            (120, 50),
            seed_jobs,
            (
                (
                    lambda app: app.open_detail("fail-0010"),
                    lambda app: getattr(app.screen, "loaded", None) is not None,
                ),
            ),
        )

        await dependencies(server)


async def dependencies(server: EmbeddedRedis) -> None:
    """The Deferred view with its Never runs column, and a job's dependency tree."""
    deferred = (lambda app: app.open_jobs(DEPS_QUEUE, "deferred"), jobs_ready)
    detail = (
        lambda app: app.open_detail("load-0001"),
        lambda app: getattr(app.screen, "loaded", None) is not None,
    )
    await export(server, "deferred", (120, 16), seed_deps, (deferred,))
    await export(server, "deps", (120, 40), seed_deps, (detail,), keys=("t",))


if __name__ == "__main__":
    asyncio.run(main())
