"""Schedule changes take the path job actions take, against a real Redis and a real SQLite file: a dry
run says what will happen (a backfill: how many runs, the first and the last), the default answer is
no, and above confirm_above the count is typed."""

from __future__ import annotations

import getpass
from pathlib import Path

import redis
from textual.widgets import Input

from queuetui.config import Settings
from queuetui.roles import Role, RoleMap
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.screens.schedules import SchedulesScreen
from tests.snapshots.schedules_seed import seed_schedules
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until
from tests.tui.test_schedules_pilot import actions, dry_run, open_list, select, typed


def app_for(conn: redis.Redis, url: str, folder: Path) -> QueueTUI:
    roles = RoleMap(users={getpass.getuser(): Role.ADMIN})
    settings = Settings(redis_url=url, refresh=3600, roles=roles, confirm_above=5)
    return QueueTUI(settings, clock=CLOCK, connection=conn, sessions=seed_schedules(folder))


async def test_run_now_and_enable_say_what_they_will_do_and_the_default_is_no(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        seeded = actions(app)
        await select(pilot, screen, "invoice-run")
        await pilot.press("n")
        text = await dry_run(pilot, app)
        assert "Dry run of schedule.run-now on invoice-run — nothing has changed yet" in text
        assert "enqueue 1 job of tests.jobs:add on queue high" in text
        await pilot.press("enter")  # the default answer is no
        await until(pilot, lambda: app.screen is screen, what="the dialog to close")
        await select(pilot, screen, "legacy-export")  # disabled: e enables it
        await pilot.press("e")
        assert "enable legacy-export: it fires again, next at 2026-11-23T12:02" in await dry_run(pilot, app)
        await pilot.press("n")
        await pilot.pause(0.2)
        assert not conn.keys("rq:job:*") and not app.services.store.get("legacy-export").enabled
        assert actions(app) == seeded  # nothing was done, nothing to audit


async def test_a_backfill_names_its_runs_and_above_confirm_above_needs_the_count(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        await select(pilot, screen, "invoice-run")  # hourly
        for answer in ("y", "11", "12"):
            await pilot.press("b")
            await typed(pilot, app, "2026-11-20T00:00+00:00 2026-11-20T11:30+00:00")
            text = await dry_run(pilot, app)
            assert "backfill invoice-run: enqueue 12 runs of tests.jobs:add on queue high" in text
            assert "first 2026-11-20T00:00+00:00, last 2026-11-20T11:00+00:00" in text
            assert "More than 5: type the count" in text
            assert isinstance(app.screen, ConfirmScreen) and app.screen.query_one(Input)
            await pilot.press(*answer, "enter")
            await until(pilot, lambda: app.screen is screen, what="the dialog to close")
            if answer != "12":
                await pilot.pause(0.2)
                assert conn.llen("rq:queue:high") == 0, f"{answer!r} is not the count"
        await until(pilot, lambda: conn.llen("rq:queue:high") == 12, what="the backfill")
        assert isinstance(app.screen, SchedulesScreen)
    [entry] = [a for a in actions(app) if a[0] == "schedule.backfill"]
    assert entry[2] == "ok"
