"""The Audit view (`:audit`) over a real SQLite audit trail written by the console's own actions."""

from __future__ import annotations

from pathlib import Path

import redis

from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.audit import AuditScreen
from queuetui.tui.screens.dry_run import DryRunScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.widgets.live_table import LiveTable
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until
from tests.workload import seed_failed


async def test_an_action_shows_in_the_audit_view_and_filters(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_failed(conn, "emails", 3)
    app = QueueTUI(
        Settings(redis_url=redis_url, refresh=3600, db_url=f"sqlite:///{tmp_path / 'q.db'}"), clock=CLOCK
    )
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_jobs("emails", "failed")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="jobs")
        app.screen.query_one("#jobs", LiveTable).focus()
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, DryRunScreen), what="the dry run")
        await pilot.press("y")
        await until(pilot, lambda: conn.llen("rq:queue:emails") == 1, what="the retry")
        await pilot.press("colon", *"audit", "enter")
        await until(pilot, lambda: isinstance(app.screen, AuditScreen), what="the audit view")
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one("#audit", LiveTable)
        await until(pilot, lambda: table.row_count == 1, what="the entry")
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[2:6] == ["operator", "jobs.retry", "1/1", "ok"] and cells[6] == "emails failed"
        await pilot.press("slash", *"actor:nobody", "enter")
        await until(pilot, lambda: table.row_count == 0, what="nothing by nobody")
        await pilot.press("slash")
        await pilot.press("ctrl+u", *"jobs.*", "enter")
        await until(pilot, lambda: table.row_count == 1, what="the jobs actions")
        await pilot.press("slash")
        await pilot.press("ctrl+u", *"who:me", "enter")
        assert "filter by action:NAME" in str(app.screen.query_one("#prompt-error").render())
