"""Views kept between visits (tui/kept.py), a new job view's first window read as it is built, the
one-line footer's keys under the mouse, and the full collections left for a quiet keyboard
(tui/collector.py)."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest
import redis

from queuetui.config import Settings
from queuetui.tui import collector as collector_module
from queuetui.tui.app import QueueTUI
from queuetui.tui.collector import IdleCollector
from queuetui.tui.screens import jobs as jobs_module
from queuetui.tui.screens.alerts import AlertsScreen
from queuetui.tui.screens.batches import BatchesScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.screens.schedule_form import ScheduleFormScreen
from queuetui.tui.screens.workers import WorkersScreen
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import LiveTable
from tests.tui.helpers import until
from tests.tui.test_comforts_pilot import jobs_app, open_failed


async def back_to_overview(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("escape")
    await until(pilot, lambda: isinstance(app.screen, OverviewScreen), what="the overview")


async def test_a_view_left_and_opened_again_is_the_same_view_where_it_was_left_without_its_marks(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = await open_failed(app, pilot)
        table = screen.query_one("#jobs", LiveTable)
        await pilot.press("space")  # marks the first job, moves down
        await until(pilot, lambda: len(screen.marked) == 1, what="one job marked")
        row = table.cursor_row
        assert row == 1
        await back_to_overview(app, pilot)
        assert screen.is_attached  # hidden, not torn down
        app.open_jobs("emails", "failed")
        await until(pilot, lambda: app.screen is screen, what="the same view again")
        assert screen.query_one("#jobs", LiveTable) is table and table.cursor_row == row
        assert screen.marked == {} and not screen.marked_all  # a mark never rides along unseen
        assert "marked" not in str(screen.query_one("#view-title").render())


async def test_views_beyond_the_limit_go_least_recently_shown_first(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.views.limit = 2
        shown = []
        for key, kind in (("w", WorkersScreen), ("b", BatchesScreen), ("a", AlertsScreen)):
            await pilot.press(key)
            await until(pilot, lambda kind=kind: isinstance(app.screen, kind), what=kind.__name__)
            shown.append(app.screen)
            await back_to_overview(app, pilot)
        workers, batches, alerts = shown
        await until(pilot, lambda: not workers.is_attached, what="the workers view removed")
        assert ("workers",) not in app.views and len(app.views) == 2
        assert batches.is_attached and alerts.is_attached
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BatchesScreen), what="batches again")
        assert app.screen is batches
        await back_to_overview(app, pilot)
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, WorkersScreen), what="workers again")
        assert app.screen is not workers  # built again: it had gone
        await back_to_overview(app, pilot)
        await until(pilot, lambda: not alerts.is_attached, what="alerts, now the least recent, removed")


async def test_a_tenant_scope_drops_the_kept_views_and_the_open_one_goes_when_left(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, WorkersScreen), what="workers")
        workers = app.screen
        await back_to_overview(app, pilot)
        failed = await open_failed(app, pilot)
        app.set_tenant("acme")  # the kept views read unscoped: none is kept
        assert len(app.views) == 0
        await until(pilot, lambda: not workers.is_attached, what="the hidden view removed")
        assert failed.is_attached  # still on screen, scoped again in place
        await back_to_overview(app, pilot)
        await until(pilot, lambda: not failed.is_attached, what="the open view removed once left")
        app.open_jobs("emails", "failed")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen), what="a new failed view")
        assert app.screen is not failed


async def test_a_click_on_a_footer_key_runs_it(conn: redis.Redis, tmp_path: Path) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeysFooter)
        x = next(start for start, _end, key in footer._spans() if key.key == "w")
        await pilot.click(KeysFooter, offset=(x + 2, 0))  # on its description
        await until(pilot, lambda: isinstance(app.screen, WorkersScreen), what="the workers view")


async def test_the_collector_waits_for_a_quiet_keyboard(conn: redis.Redis, tmp_path: Path) -> None:
    app = jobs_app(conn, tmp_path)
    before = gc.get_threshold()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            collector = IdleCollector(app)
            collector.start()
            assert gc.get_threshold()[2] == collector_module.NEVER  # no automatic full pass
            assert gc.get_freeze_count() > 0
            long_ago = time.monotonic() - collector_module.EVERY - 1
            collector.last_full = long_ago
            app.last_key_at = time.monotonic()  # a key just now
            collector.tick()
            assert collector.last_full == long_ago
            app.last_key_at = time.monotonic() - collector_module.IDLE - 1
            collected = gc.get_stats()[2]["collections"]
            collector.tick()
            assert collector.last_full > long_ago and gc.get_stats()[2]["collections"] == collected + 1
            collector.last_full = time.monotonic() - collector_module.LATEST - 1
            app.last_key_at = time.monotonic()
            collector.tick()  # typing for a minute: the pass runs anyway
            assert gc.get_stats()[2]["collections"] == collected + 2
    finally:
        gc.set_threshold(*before)


async def test_the_console_closing_as_a_view_opens_ends_cleanly(conn: redis.Redis, tmp_path: Path) -> None:
    """A `q` typed right after the key that opens a view: the view is removed before it mounts, and
    its mount handler must not look for widgets already gone (run_test raises whatever the app hit)."""
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_jobs("emails", "failed")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen), what="the view pushed")
    assert app.return_code in (None, 0)


async def test_the_one_key_views_are_built_and_laid_out_while_the_keyboard_is_quiet(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    app.prepare = True
    app.last_key_at = time.monotonic() + 3600  # typing: nothing is built
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.0)
        assert len(app.views) == 0
        app.last_key_at = 0.0
        keys = [key for key, _ in app.preparable()]
        assert ScheduleFormScreen.KEPT in keys  # this operator may add schedules
        await until(pilot, lambda: all(key in app.views for key in keys), what="every one-key view built")
        built = {key: app.views._views[key] for key in keys}
        workers = built[("workers",)]
        assert workers.is_attached and workers not in app.screen_stack
        assert workers.last_fetched_at is not None  # it read as it was built
        # Each is then laid out and drawn hidden, at the console's size, so its first show only draws.
        await until(pilot, lambda: app.views.unsettled() is None, what="every built view laid out")
        form = built[ScheduleFormScreen.KEPT]
        assert form not in app.screen_stack and form.size == app.size
        name = form.query_one("#in-name")
        assert name.region.width > 0 and name.region.y > 0 and not form._layout_widgets
        # Each key opens the view built for it (the keys the views are kept under agree).
        for press, key in (("w", ("workers",)), ("b", ("batches",)), ("a", ("alerts",)), ("m", ("metrics",))):
            await pilot.press(press)
            await until(pilot, lambda key=key: app.screen is built[key], what=f"the built {key}")
            await back_to_overview(app, pilot)
        await pilot.press("s")
        await until(pilot, lambda: app.screen is built[("schedules",)], what="the built schedules")
        await pilot.press("a")
        await until(pilot, lambda: app.screen is form, what="the built form")
        # It checks its draft once it shows: the preview and the state answer what it holds now.
        await until(pilot, lambda: form.current and form.evaluation is not None, what="the form checked")
        assert "0 3 * * *" in str(form.query_one("#form-summary").render())


async def test_a_kept_view_is_styled_again_only_when_the_theme_changed_while_it_was_hidden(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        overview = app.screen
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, WorkersScreen), what="workers")
        workers = app.screen
        dark = workers.query_one(LiveTable).rich_style
        await back_to_overview(app, pilot)
        app.theme = "textual-light"
        await pilot.pause()
        light = overview.query_one(LiveTable).rich_style
        assert light != dark
        await pilot.press("w")
        await until(pilot, lambda: app.screen is workers, what="workers again")
        await pilot.pause()
        assert workers.query_one(LiveTable).rich_style == light


async def test_a_new_job_view_shows_its_rows_in_its_first_frame(
    conn: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its first window is read while it is built, and its first frame waits for it (here as long as
    it takes), instead of drawing "loading…" first."""
    monkeypatch.setattr(jobs_module, "AHEAD_WAIT", 30.0)
    app = jobs_app(conn, tmp_path)
    frames: list[tuple[bool, int]] = []
    display = app._display

    def spy(screen, update):  # type: ignore[no-untyped-def]
        if isinstance(screen, JobsScreen):
            frames.append((screen.loaded, screen.query_one("#jobs", LiveTable).row_count))
        display(screen, update)

    app._display = spy  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view = await open_failed(app, pilot)
        assert frames and frames[0] == (True, len(view.rows)) and len(view.rows) > 0
        assert "emails › Failed  ·  1–" in str(view.query_one("#view-title").render())


async def test_a_read_ahead_that_fails_is_reported_by_the_first_read(tmp_path: Path) -> None:
    down = redis.Redis(port=1, socket_connect_timeout=0.2)
    app = QueueTUI(Settings(refresh=3600, db_url=f"sqlite:///{tmp_path / 'q.db'}"), connection=down)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_jobs("emails", "failed")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen), what="the Failed view")
        view = app.screen
        assert isinstance(view, JobsScreen)
        await until(pilot, lambda: view.failures, what="the failed read")
        assert "Disconnected" in str(view.query_one("#banner").render())
        assert not view.loaded and view._ahead is None
