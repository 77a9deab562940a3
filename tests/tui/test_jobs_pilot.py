"""Job views driven by keys against a real Redis: open, page past the window, find, filter, group."""

from __future__ import annotations

from pathlib import Path

import redis
from rq import Queue
from textual.pilot import Pilot

from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.groups import FailureGroupsScreen
from queuetui.tui.screens.job_detail import JobDetailScreen
from queuetui.tui.screens.jobs import PAGE, JobsScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.screens.prompt import PromptScreen
from queuetui.tui.widgets.live_table import LiveTable
from tests import jobs
from tests.integration.test_jobs import fill
from tests.snapshots.seed import CLOCK, seed_jobs
from tests.tui.helpers import until
from tests.workload import BROKEN_IDS, seed_broken


def app_for(url: str, conn: redis.Redis | None = None) -> QueueTUI:
    return QueueTUI(Settings(redis_url=url, refresh=3600), clock=CLOCK, connection=conn)


def jobs_screen(app: QueueTUI) -> JobsScreen:
    screen = app.screen
    assert isinstance(screen, JobsScreen), screen
    return screen


async def open_view(pilot: Pilot[None], app: QueueTUI, queue: str, registry: str) -> JobsScreen:
    """Open a queue's registry and wait for its first page."""
    app.open_jobs(queue, registry)
    await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what=registry)
    return jobs_screen(app)


def cursor_job(app: QueueTUI) -> str | None:
    return jobs_screen(app).current_job()


async def test_enter_on_a_count_opens_that_registry_then_a_job(conn: redis.Redis, redis_url: str) -> None:
    seed_jobs(conn)
    app = app_for(redis_url)
    async with app.run_test(size=(120, 40)) as pilot:
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        await until(pilot, lambda: overview.last_overview is not None, what="overview")
        overview.query_one("#queues", LiveTable).focus()
        await pilot.press("right", "right", "right", "enter")  # the Failed column
        await until(
            pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="failed view"
        )
        screen = jobs_screen(app)
        assert (screen.queue, screen.registry, screen.total) == ("emails", "failed", 13)
        assert cursor_job(app) == "fail-gone"  # newest first: the last failure has the highest score
        await pilot.press("down", "enter")
        await until(
            pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.loaded, what="detail"
        )
        detail = app.screen
        assert isinstance(detail, JobDetailScreen) and detail.loaded is not None
        assert detail.loaded.detail.id == "fail-0012" and detail.loaded.detail.problems
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_scrolling_past_the_window_fetches_the_next_one(conn: redis.Redis, redis_url: str) -> None:
    fill(conn, 260)
    app = app_for(redis_url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, app, "bulk", "waiting")
        assert (screen.start, len(screen.rows), screen.total) == (0, PAGE, 260)
        screen.query_one("#jobs", LiveTable).focus()
        for _ in range(PAGE - 1):
            await pilot.press("down")
        await until(pilot, lambda: screen.start == 50, what="the window to move on")
        await until(pilot, lambda: cursor_job(app) == "j00099", what="the cursor to stay on its job")
        await pilot.press("down")
        assert cursor_job(app) == "j00100"
        await pilot.press("G")
        await until(pilot, lambda: cursor_job(app) == "j00259", what="the bottom")
        assert screen.start == 160
        await pilot.press("g")
        await until(pilot, lambda: cursor_job(app) == "j00000", what="the top")
        await pilot.press("o")
        await until(pilot, lambda: cursor_job(app) == "j00259", what="reversed order")
        await pilot.press("colon", *"200", "enter")
        await until(pilot, lambda: cursor_job(app) == "j00060", what="row 200 of the reversed view")


async def test_colon_job_finds_a_job_in_any_queue(conn: redis.Redis, redis_url: str) -> None:
    fill(conn, 180)
    Queue("other", connection=conn).enqueue(jobs.add, 1, 1, job_id="elsewhere")
    app = app_for(redis_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"job j00150", "enter")
        await until(
            pilot, lambda: isinstance(app.screen, JobsScreen) and cursor_job(app) == "j00150", what="j00150"
        )
        assert jobs_screen(app).queue == "bulk"
        await pilot.press("colon", *"job elsewhere", "enter")
        await until(
            pilot, lambda: isinstance(app.screen, JobsScreen) and cursor_job(app) == "elsewhere", what="other"
        )
        await pilot.press("colon", *"explode", "enter")
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        assert "unknown command 'explode'" in str(prompt.query_one("#prompt-error").render())
        await pilot.press("escape")
        assert isinstance(app.screen, JobsScreen)


async def test_filter_malformed_then_good_then_cleared(conn: redis.Redis, redis_url: str) -> None:
    seed_jobs(conn)
    app = app_for(redis_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_view(pilot, app, "emails", "failed")
        await pilot.press("slash", *"age>soon", "enter")
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        assert "age needs a duration at column 1" in str(prompt.query_one("#prompt-error").render())
        prompt.query_one("#prompt-input").value = "exc:KeyError meta.tenant:globex"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: screen.matches is not None and screen.total == 2, what="filtered rows")
        assert sorted(r.id for r in screen.rows) == ["fail-0002", "fail-0008"]
        assert "filter: exc:KeyError" in str(screen.query_one("#jobs", LiveTable).border_title)
        await pilot.press("escape")
        await until(pilot, lambda: screen.matches is None and screen.total == 13, what="filter cleared")


async def test_failure_groups_filter_the_view(conn: redis.Redis, redis_url: str) -> None:
    seed_jobs(conn)
    app = app_for(redis_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_view(pilot, app, "emails", "failed")
        await pilot.press("f")
        await until(
            pilot,
            lambda: isinstance(app.screen, FailureGroupsScreen) and app.screen.signatures,
            what="groups",
        )
        groups = app.screen
        assert isinstance(groups, FailureGroupsScreen)
        assert groups.signatures[0] == "KeyError: 'user_<n>'"
        await pilot.press("enter")
        await until(pilot, lambda: screen.matches is not None and screen.total == 4, what="the group's jobs")
        assert all(r.exception and r.exception.type == "KeyError" for r in screen.rows)


async def test_broken_jobs_render_and_nothing_runs(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    trap = tmp_path / "trap"
    seed_broken(conn, str(trap))
    app = app_for(redis_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, app, "broken", "waiting")
        assert [r.id for r in jobs_screen(app).rows] == list(BROKEN_IDS)
        for job_id in BROKEN_IDS:
            app.open_detail(job_id)
            await until(
                pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.loaded, what=job_id
            )
            await pilot.press("d")
            await pilot.pause(0.2)
            await pilot.press("escape")
    assert not trap.exists()
