"""The Metrics and Alerts views driven from the keyboard, over samples the real sampler took."""

from __future__ import annotations

from pathlib import Path

import redis

from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.tui.app import QueueTUI
from queuetui.tui.commands import check as check_command
from queuetui.tui.screens.alerts import AlertsScreen
from queuetui.tui.screens.metrics import NO_SAMPLES, MetricsScreen, Plots
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.widgets.live_table import LiveTable
from queuetui.tui.widgets.status_bar import StatusBar
from tests.snapshots.metrics_seed import ALERT_SETTINGS, seed_alerts, seed_with_metrics
from tests.snapshots.seed import CLOCK, seed
from tests.tui.helpers import until


def make_app(conn: redis.Redis, redis_url: str, tmp_path: Path, samples: int = 60) -> QueueTUI:
    if samples:
        seed_with_metrics(conn, samples)
    else:
        seed(conn)
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    seed_alerts(sessions)
    settings = Settings(redis_url=redis_url, refresh=3600, alerts=ALERT_SETTINGS)
    return QueueTUI(settings, clock=CLOCK, connection=conn, sessions=sessions)


def showing(app: QueueTUI, queue: str, window: str, function: str | None = None) -> bool:
    screen = app.screen
    if not isinstance(screen, MetricsScreen) or screen.trend is None:
        return False
    trend = screen.trend
    same = (trend.queue, trend.window.name) == (queue, window)
    return same and (function is None or trend.function == function)


async def test_m_opens_the_metrics_of_the_queue_under_the_cursor_and_keys_switch_it(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = make_app(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        await until(pilot, lambda: overview.last_overview is not None, what="the overview")
        await pilot.press("down")  # the cursor on 'high'
        await pilot.press("m")
        await until(pilot, lambda: showing(app, "high", "1h", "app.billing.charge"), what="high over 1h")
        plots = app.screen.query_one(Plots)
        assert "Finished" in str(plots.render()) and "Run time p95 app.billing.charge" in str(plots.render())
        await pilot.press("w")
        await until(pilot, lambda: showing(app, "high", "6h"), what="the 6h window")
        assert plots.charts[0] == plots.size.width and plots.charts[1]  # worked out in the fetch's thread
        await pilot.press("f")
        await until(pilot, lambda: showing(app, "high", "6h", "app.tasks.ping"), what="the next function")
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: showing(app, "default", "6h"), what="the next queue")
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await until(pilot, lambda: showing(app, "emails", "6h"), what="round to the last queue")
        await pilot.press("W", "W")
        await until(pilot, lambda: showing(app, "emails", "30d"), what="back round to 30 days")
        title = str(app.screen.query_one("#view-title").render())
        assert "queue emails (5/5)" in title and "last 30d (5 min points)" in title
        await pilot.press("escape")
        assert app.screen is overview


async def test_the_metrics_command_takes_a_queue_and_a_window(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    assert check_command("metrics emails 24h") == ""
    assert check_command("metrics 2h") == "no window '2h'; try 1h, 6h, 24h, 7d, 30d"
    assert check_command("metrics a b c").startswith("usage: metrics")
    app = make_app(conn, redis_url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"metrics 24h emails", "enter")
        await until(
            pilot, lambda: showing(app, "emails", "24h", "app.mail.send_email"), what="emails over 24h"
        )


async def test_before_any_sample_the_metrics_view_says_how_to_get_some(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = make_app(conn, redis_url, tmp_path, samples=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        await until(pilot, lambda: screen.trend is not None, what="the read")
        assert str(screen.query_one(Plots).render()) == NO_SAMPLES


async def test_redis_down_in_the_metrics_view_is_a_banner_not_a_crash(tmp_path: Path) -> None:
    down = redis.Redis(port=1, socket_connect_timeout=0.2)
    app = QueueTUI(
        Settings(refresh=3600, db_url=f"sqlite:///{tmp_path / 'q.db'}"), clock=CLOCK, connection=down
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        await until(pilot, lambda: screen.failures, what="the failed read")
        assert "Disconnected" in str(screen.query_one("#banner").render())


async def test_a_opens_the_alerts_firing_first_and_the_overview_counts_them(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = make_app(conn, redis_url, tmp_path, samples=0)
    async with app.run_test(size=(120, 40)) as pilot:
        status = app.screen.query_one(StatusBar)
        await until(pilot, lambda: status.firing == 2, what="the count of firing alerts")
        assert "⚠ 2 firing" in str(status.render())
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        table = screen.query_one("#alerts", LiveTable)
        await until(pilot, lambda: table.row_count == 6, what="the alerts")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(6)]
        assert [row[1] for row in rows[:2]] == ["firing", "firing"]
        assert rows[0][3:8] == ["failures", "default", "34%", "-", "> 20% in 10m"]
        assert rows[5][3] == "old rule" and rows[5][7] == "(rule removed)"
        assert "firing since" in str(screen.query_one("#alert-message").render())
        await pilot.press("down", "down")
        assert "resolved" in str(screen.query_one("#alert-message").render())
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_the_sparkline_column_comes_and_goes_with_the_terminal_width(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = make_app(conn, redis_url, tmp_path, samples=30)
    async with app.run_test(size=(80, 24)) as pilot:
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        await until(pilot, lambda: overview.last_overview is not None, what="the overview")
        assert not overview.spark_shown and overview.last_throughput == {}  # not even read
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: overview.last_throughput, what="the sparklines read")
        table = overview.query_one("#queues", LiveTable)
        line = str(table.get_cell("high", "spark"))
        assert len(line) == 15 and "█" in line
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: not overview.spark_shown, what="the column hidden again")
