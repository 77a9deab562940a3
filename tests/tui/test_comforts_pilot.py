"""A console that lives at 80 columns: columns that give way, a footer of whole keys, values never cut
into another meaning, sideways scroll kept, sort within the window, the audit entry's detail, the
alert's value now, and the keys a newcomer reaches for (enter on a worker, P anywhere, End)."""

from __future__ import annotations

from pathlib import Path

import redis
from rq.suspension import is_suspended
from textual.containers import VerticalScroll

from queuetui.audit import Actor, Audit, recent
from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.alerts import AlertsScreen
from queuetui.tui.screens.audit import AuditEntryScreen, AuditScreen
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.screens.help import HelpScreen
from queuetui.tui.screens.job_detail import JobDetailScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.screens.schedules import SchedulesScreen
from queuetui.tui.widgets.footer import KeysFooter, key_width
from queuetui.tui.widgets.live_table import LiveTable
from queuetui.tui.widgets.status_bar import StatusBar
from tests.snapshots.metrics_seed import ALERT_SETTINGS, seed_alerts
from tests.snapshots.schedules_seed import seed_schedules
from tests.snapshots.seed import CLOCK, DISPLAY_URL, seed, seed_jobs
from tests.tui.helpers import screen_text, until

SESSION_URL = "sqlite:///{}"


def jobs_app(conn: redis.Redis, tmp_path: Path) -> QueueTUI:
    seed_jobs(conn)
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600)
    return QueueTUI(settings, clock=CLOCK, connection=conn, sessions=seed_schedules(tmp_path))


async def open_failed(app: QueueTUI, pilot) -> JobsScreen:  # type: ignore[no-untyped-def]
    app.open_jobs("emails", "failed")
    await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="failed")
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    screen.query_one("#jobs", LiveTable).focus()
    await pilot.pause()
    return screen


def columns(table: LiveTable) -> list[str]:
    return [str(key.value) for key in table.columns]


async def test_at_80_columns_the_failed_view_keeps_the_exception_and_the_dates_give_way(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_failed(app, pilot)
        table = screen.query_one("#jobs", LiveTable)
        assert columns(table) == ["id", "func", "exception", "ended"]
        assert screen._widths["exception"] >= 24
        assert "TimeoutError: timed out" in screen_text(app)
        status = str(app.screen.query_one(StatusBar).render())
        assert "…" in status and ":6379" in status  # the host is shortened, never the port
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: len(table.columns) == 6, what="every column at 120")
        assert columns(table) == ["id", "func", "exception", "ended", "duration", "retry"]


async def test_the_footer_shows_whole_keys_in_order_of_use_then_more(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_failed(app, pilot)
        footer = screen.query_one(KeysFooter)
        await pilot.pause()
        keys = footer.shown
        assert [k.key for k in keys[:2]] == ["space", "asterisk"]  # the view's own keys first
        assert keys[-1].key == "question_mark" and keys[-1].description == "more"
        assert sum(key_width(k) for k in keys) <= 80
        assert screen_text(app).splitlines()[-1].rstrip().endswith("? more")
        await pilot.resize_terminal(160, 40)
        await until(pilot, lambda: "q" in [k.key for k in footer.shown], what="q at 160")
        shown = [k.key for k in footer.shown]
        assert shown.index("escape") < shown.index("colon") < shown.index("q") < shown.index("question_mark")


async def test_schedules_keep_their_zone_at_80_and_a_6_field_cron_whole_at_120(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen) and app.screen.loaded, what="list")
        screen = app.screen
        assert isinstance(screen, SchedulesScreen)
        table = screen.query_one("#schedules", LiveTable)
        assert "zone" in columns(table) and "Europe/Rome" in screen_text(app)
        table.focus()
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1 and table.scroll_x == 0
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: "cron" in columns(table), what="the cron column")
        await pilot.pause()
        assert "*/30 * * * * *" in screen_text(app)


async def test_a_sideways_scroll_survives_the_next_refresh(conn: redis.Redis) -> None:
    seed(conn)
    app = QueueTUI(Settings(redis_url=DISPLAY_URL, refresh=3600), clock=CLOCK, connection=conn)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        table = screen.query_one("#workers", LiveTable)
        await until(pilot, lambda: table.row_count == 4, what="the workers")
        table.focus()
        assert table.max_scroll_x > 20
        table.scroll_to(x=20, animate=False, immediate=True)
        conn.hset("rq:worker:app-2.911", "successful_job_count", 703)  # a cell changes
        await pilot.press("r")
        row = [str(k.value) for k in table.rows].index("app-2.911")
        await until(pilot, lambda: str(table.get_row_at(row)[4]) == "703", what="the refresh")
        await pilot.pause()
        assert table.scroll_x == 20


async def test_sort_within_the_window_holds_across_refreshes_with_the_cursor_on_its_job(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_failed(app, pilot)
        table = screen.query_one("#jobs", LiveTable)
        await pilot.press("down", "down")
        on = screen.current_job()
        await pilot.press("greater_than_sign", "greater_than_sign", "greater_than_sign")
        assert screen.sort.column == "exception"
        exceptions = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert exceptions == sorted(exceptions, key=str.casefold) and len(set(exceptions)) > 2
        assert screen.current_job() == on
        assert "sorted by Exception ↑ in window" in screen_text(app)
        assert "Exception↑" in screen_text(app)
        await pilot.press("exclamation_mark")
        reversed_ = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert reversed_ == sorted(exceptions, key=str.casefold, reverse=True)
        assert screen.current_job() == on
        conn.zrem("rq:failed:emails", "fail-0001")
        await pilot.press("r")
        await until(pilot, lambda: table.row_count == len(reversed_) - 1, what="the refresh")
        assert screen.current_job() == on
        after = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert after == sorted(after, key=str.casefold, reverse=True)
        screen.jump_to_row(3)  # :3 is the third job of the registry, wherever the sort put it
        await until(pilot, lambda: screen.current_job() == "fail-0011", what="row 3 under the sort")
        await pilot.press("less_than_sign", "less_than_sign", "less_than_sign")
        assert screen.sort.column is None
        assert [r.id for r in screen.rows][:2] == ["fail-gone", "fail-0012"]  # newest first again


async def test_enter_on_an_audit_entry_shows_every_field(conn: redis.Redis, tmp_path: Path) -> None:
    sessions = open_database(SESSION_URL.format(tmp_path / "q.db"))
    audit = Audit(
        sessions, actor=Actor("alice", "ssh 198.51.100.7 (from environment)", "jump-1"), clock=CLOCK
    )
    with audit.mutation("jobs.retry", target="emails failed", filter="exc:[Timeout]") as entry:
        entry.set_ids(["fail-0001", "fail-0002"])
        entry.done, entry.failed = 1, 1
        entry.detail = {"problems": {"fail-0002": "job hash missing"}}
    seed(conn)
    app = QueueTUI(
        Settings(redis_url=DISPLAY_URL, refresh=3600), clock=CLOCK, connection=conn, sessions=sessions
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"audit", "enter")
        await until(pilot, lambda: isinstance(app.screen, AuditScreen), what="the audit view")
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one("#audit", LiveTable)
        await until(pilot, lambda: table.row_count == 1, what="the entry")
        assert {"outcome", "target"} <= set(columns(table))
        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AuditEntryScreen), what="the entry's detail")
        await pilot.pause()
        shown = str(app.screen.query_one("#audit-entry").render())
        for expected in (
            "alice", "ssh 198.51.100.7", "jump-1", "jobs.retry", "emails failed", "exc:[Timeout]",
            "fail-0001, fail-0002", "job hash missing", "started_at", "ended_at", "partial",
        ):  # fmt: skip
            assert expected in shown, expected
        await pilot.press("escape")
        assert isinstance(app.screen, AuditScreen)
    assert [e.action for e in recent(sessions)] == ["jobs.retry"]


async def test_the_alerts_view_shows_the_value_now_beside_the_value_at_firing(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed(conn)
    sessions = open_database(SESSION_URL.format(tmp_path / "q.db"))
    seed_alerts(sessions)
    conn.ltrim("rq:queue:low", 0, 7299)  # 9,800 waiting when it fired; 7,300 now
    settings = Settings(redis_url=redis_url, refresh=3600, alerts=ALERT_SETTINGS)
    app = QueueTUI(settings, clock=CLOCK, connection=conn, sessions=sessions)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        table = screen.query_one("#alerts", LiveTable)
        await until(pilot, lambda: table.row_count == 6, what="the alerts")
        rows = {str(table.get_row_at(i)[3]): [str(c) for c in table.get_row_at(i)] for i in range(2)}
        assert rows["backlog"][5:7] == ["9,800", "7,300"]
        assert rows["failures"][5:7] == ["34%", "-"]  # no job ended in its window now: nothing to measure
        resolved = [str(c) for c in table.get_row_at(2)]
        assert resolved[6] == ""


async def test_enter_on_an_overview_worker_opens_its_job(conn: redis.Redis) -> None:
    seed_jobs(conn)
    seed(conn)
    app = QueueTUI(Settings(redis_url=DISPLAY_URL, refresh=3600), clock=CLOCK, connection=conn)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        table = screen.query_one("#workers", LiveTable)
        await until(pilot, lambda: table.row_count == 4, what="the workers")
        table.focus()
        table.move_cursor(row=[str(k.value) for k in table.rows].index("app-1.4022"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen), what="the worker's job")
        assert app.screen.job_id == "job-default-0"


async def test_p_suspends_every_worker_from_a_job_view(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_jobs(conn)
    settings = Settings(redis_url=redis_url, refresh=3600, db_url=SESSION_URL.format(tmp_path / "q.db"))
    app = QueueTUI(settings, clock=CLOCK)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_failed(app, pilot)
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert "global" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await until(pilot, lambda: is_suspended(conn), what="the suspension")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen), what="back on the view")
    assert [e.action for e in recent(open_database(SESSION_URL.format(tmp_path / "q.db")))] == [
        "workers.suspend"
    ]


async def test_end_moves_to_the_last_row_in_help_and_to_the_end_of_a_detail(
    conn: redis.Redis, tmp_path: Path
) -> None:
    app = jobs_app(conn, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the keys")
        keys = app.screen.query_one("#help-keys", LiveTable)
        await pilot.press("end")
        assert keys.scroll_x == 0 and keys.cursor_row == keys.row_count - 1
        await pilot.press("escape")
        app.animation_level = "full"  # as in a terminal: End must not take a second press or animate
        app.open_detail("fail-0010")
        await until(
            pilot,
            lambda: isinstance(app.screen, JobDetailScreen) and app.screen.loaded is not None,
            what="the detail",
        )
        detail = app.screen.query_one("#detail", VerticalScroll)
        await until(pilot, lambda: detail.max_scroll_y > 0, what="a detail longer than the screen")
        await pilot.press("end")
        await pilot.pause()
        assert detail.scroll_y == detail.max_scroll_y
        await pilot.press("home")
        await pilot.pause()
        assert detail.scroll_y == 0
