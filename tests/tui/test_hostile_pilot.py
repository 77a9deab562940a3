"""The console over hostile data (issue #16): queue, job, function, exception, worker, host, batch,
schedule and audit values made of markup, terminal escapes, bidi, NUL, C1 and bytes that are not UTF-8
never crash a screen, are never parsed as markup (no link, no click action) and never reach the screen
as anything but visible text."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.pilot import Pilot

from queuetui.cli import main
from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.audit import AuditScreen
from queuetui.tui.screens.groups import FailureGroupsScreen
from queuetui.tui.screens.job_detail import JobDetailScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.screens.schedules import SchedulesScreen
from queuetui.tui.screens.workers import WorkersScreen
from tests.hostile import NAMED, assert_screen_safe, hostile, seed_database, seed_hostile
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until


def app_for(url: str, db_url: str) -> QueueTUI:
    return QueueTUI(Settings(redis_url=url, refresh=3600, db_url=db_url), clock=CLOCK)


async def overview(pilot: Pilot[None], app: QueueTUI) -> None:
    await until(
        pilot,
        lambda: isinstance(app.screen, OverviewScreen) and app.screen.last_overview is not None,
        what="overview",
    )
    await pilot.pause()
    assert_screen_safe(app)


async def back_to_overview(pilot: Pilot[None], app: QueueTUI) -> None:
    while len(app.screen_stack) > 2:
        app.pop_screen()
    await pilot.pause()


async def jobs_view(pilot: Pilot[None], app: QueueTUI, queue: str, registry: str) -> JobsScreen:
    app.open_jobs(queue, registry)
    await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what=registry)
    await pilot.pause()
    assert_screen_safe(app)
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    return screen


async def detail(pilot: Pilot[None], app: QueueTUI, job_id: str) -> None:
    app.open_detail(job_id)
    await until(
        pilot,
        lambda: isinstance(app.screen, JobDetailScreen) and app.screen.loaded is not None,
        what="detail",
    )
    await pilot.pause()
    assert_screen_safe(app)


ALL = ("waiting", "started", "failed", "scheduled", "deferred", "finished", "canceled")


async def views(
    pilot: Pilot[None], app: QueueTUI, value: str, queue: str, n: int, registries: tuple[str, ...] = ()
) -> None:
    """Every view of one hostile value: its queue's job views, a job's detail, the failure groups and
    the filter they set, workers, schedules and the audit trail; each screen checked."""
    for registry in registries:
        await jobs_view(pilot, app, queue, registry)
    screen = await jobs_view(pilot, app, queue, "failed")
    screen.action_groups()
    await until(
        pilot,
        lambda: isinstance(app.screen, FailureGroupsScreen) and app.screen.signatures,
        what="failure groups",
    )
    await pilot.pause()
    assert_screen_safe(app)
    await pilot.press("enter")  # filters the failed view to the group: the signature in a title
    await until(pilot, lambda: isinstance(app.screen, JobsScreen) and not app.screen.scanning, what="filter")
    await pilot.pause()
    assert_screen_safe(app)
    await detail(pilot, app, f"{value}-failed-{n}")
    await back_to_overview(pilot, app)
    app.action_open_workers()
    await until(
        pilot,
        lambda: isinstance(app.screen, WorkersScreen) and app.screen.last_view is not None,
        what="workers",
    )
    await pilot.pause()
    assert_screen_safe(app)
    await back_to_overview(pilot, app)


@pytest.mark.timeout(120)
async def test_named_payloads_in_every_view(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    values = list(NAMED.values())
    db_url = seed_database(tmp_path, values)
    queues = seed_hostile(conn, values)
    app = app_for(redis_url, db_url)
    async with app.run_test(size=(160, 50)) as pilot:
        await overview(pilot, app)  # a queue named mk[/]x crashed it
        await views(pilot, app, values[0], queues[0], 0, ALL)  # mk[/]x
        for n in (1, 4):  # [@click=app.quit]CLICKME[/], the clipboard write
            await views(pilot, app, values[n], queues[n], n)
        await jobs_view(pilot, app, queues[0], "failed")
        await pilot.press("slash", *"func:[/]", "enter")  # the filter goes into a border title
        await until(
            pilot, lambda: isinstance(app.screen, JobsScreen) and not app.screen.scanning, what="filter"
        )
        await pilot.pause()
        assert_screen_safe(app)
        for command in ("job a[/]b", "schedules a[/]b", "audit a[/]b", f"job {values[4]}-failed-4"):
            app.run_command(command)
            await pilot.pause(0.3)
            assert_screen_safe(app)
        await back_to_overview(pilot, app)
        app.run_command("schedules")
        await until(
            pilot, lambda: isinstance(app.screen, SchedulesScreen) and app.screen.loaded, what="schedules"
        )
        await pilot.pause()
        assert_screen_safe(app)
        app.run_command("audit")
        await until(pilot, lambda: isinstance(app.screen, AuditScreen) and app.screen.entries, what="audit")
        await pilot.pause()
        assert_screen_safe(app)
        app.notify(values[3])  # a toast naming a job: never markup, never an escape
        await pilot.pause()
        assert_screen_safe(app)
        assert app.is_running and app.return_code is None


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.lists(hostile, min_size=2, max_size=4, unique=True))
@pytest.mark.timeout(240)
async def test_generated_hostile_data_in_the_console(
    values: list[str], conn: redis.Redis, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    db_url = seed_database(tmp_path_factory.mktemp("db"), values)
    queues = seed_hostile(conn, values)
    app = app_for(redis_url, db_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview(pilot, app)
        await jobs_view(pilot, app, queues[0], "failed")
        await detail(pilot, app, f"{values[-1]}-failed-{len(values) - 1}")
        await back_to_overview(pilot, app)
        app.action_open_workers()
        await until(
            pilot, lambda: isinstance(app.screen, WorkersScreen) and app.screen.last_view, what="workers"
        )
        await pilot.pause()
        assert_screen_safe(app)
        await back_to_overview(pilot, app)
        app.run_command("schedules")
        await until(
            pilot, lambda: isinstance(app.screen, SchedulesScreen) and app.screen.loaded, what="schedules"
        )
        await pilot.pause()
        assert_screen_safe(app)
        assert app.is_running


def test_a_crash_at_start_up_exits_non_zero(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    def crashed(self: QueueTUI) -> None:
        self._return_code = 1  # what Textual sets after printing a traceback, before run() returns

    monkeypatch.setattr(QueueTUI, "run", crashed)
    result = CliRunner().invoke(main, ["console"], env={"QUEUETUI_REDIS_URL": redis_url})
    assert result.exit_code == 1
