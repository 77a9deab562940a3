"""Schedules driven by keys against a real Redis and a real SQLite file: every action lands, audited."""

from __future__ import annotations

import getpass
from pathlib import Path

import redis
from textual.pilot import Pilot
from textual.widgets import Input, Static

from queuetui.audit import recent
from queuetui.config import RoleMap, Settings
from queuetui.daemon.lease import LEASE_KEY
from queuetui.roles import Role
from queuetui.schedule.listing import schedule_detail
from queuetui.schedule.scheduler import PAUSE_KEY
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.screens.prompt import PromptScreen
from queuetui.tui.screens.schedule_actions import MUTATING
from queuetui.tui.screens.schedule_detail import ScheduleDetailScreen
from queuetui.tui.screens.schedules import SchedulesScreen
from tests.snapshots.schedules_seed import seed_schedules
from tests.snapshots.seed import CLOCK, NOW
from tests.tui.helpers import until


def app_for(
    conn: redis.Redis, url: str, folder: Path, read_only: bool = False, role: Role = Role.ADMIN
) -> QueueTUI:
    roles = RoleMap(users={getpass.getuser(): role})
    settings = Settings(redis_url=url, refresh=3600, read_only=read_only, roles=roles)
    return QueueTUI(settings, clock=CLOCK, connection=conn, sessions=seed_schedules(folder))


async def open_list(pilot: Pilot[None], app: QueueTUI) -> SchedulesScreen:
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, SchedulesScreen) and app.screen.loaded, what="list")
    screen = app.screen
    assert isinstance(screen, SchedulesScreen)
    return screen


async def select(pilot: Pilot[None], screen: SchedulesScreen, name: str) -> None:
    screen.query_one("#schedules").move_cursor(row=[r.name for r in screen.rows].index(name))
    await pilot.pause()
    assert screen.current_schedule() == name


async def typed(pilot: Pilot[None], app: QueueTUI, text: str) -> None:
    """Answer the open prompt with `text`."""
    await until(pilot, lambda: isinstance(app.screen, PromptScreen | ConfirmScreen), what="a prompt")
    field = app.screen.query_one(Input)
    await until(pilot, lambda: field.has_focus, what="the prompt's field to have the focus")
    field.value = ""
    await pilot.press(*text, "enter")


async def dry_run(pilot: Pilot[None], app: QueueTUI) -> str:
    """The text of the dry-run dialog a schedule change opens (its question)."""
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the dry-run dialog")
    return str(app.screen.query_one("#confirm-question").render())


def actions(app: QueueTUI) -> list[tuple[str, str, str]]:
    return [(e.action, e.target, e.outcome) for e in recent(app.services.sessions)]


async def test_run_now_toggle_and_snooze_from_the_list_land_in_redis_and_the_audit(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        await select(pilot, screen, "invoice-run")
        await pilot.press("n")
        assert "run invoice-run now: enqueue 1 job of " in await dry_run(pilot, app)
        await pilot.press("y")
        run_now_id = "qt-1-run-now-20261123T120000Z"
        await until(pilot, lambda: conn.hget(f"rq:job:{run_now_id}", "status") == b"queued", what="run now")
        await pilot.press("e")
        assert "disable invoice-run: it stops firing" in await dry_run(pilot, app)
        await pilot.press("y")
        await until(pilot, lambda: not app.services.store.get("invoice-run").enabled, what="disabled")
        await until(
            pilot, lambda: next(r for r in screen.rows if r.name == "invoice-run").state(NOW) == "disabled"
        )
        await pilot.press("z")
        await typed(pilot, app, "2h")
        assert "snooze invoice-run until " in await dry_run(pilot, app)
        await pilot.press("y")
        store = app.services.store
        await until(pilot, lambda: store.get("invoice-run").snoozed_until is not None, what="snoozed")
        assert store.get("invoice-run").snoozed_until == CLOCK.now().replace(hour=14)
    assert actions(app)[:3] == [
        ("schedule.snooze", "invoice-run", "ok"),
        ("schedule.disable", "invoice-run", "ok"),
        ("schedule.run-now", "invoice-run", "ok"),
    ]


async def test_search_narrows_the_list_and_a_bad_search_is_refused_at_the_prompt(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        assert screen.total == 6
        await pilot.press("slash")
        await typed(pilot, app, "is:sleepy")
        assert isinstance(app.screen, PromptScreen)  # stays open, the error shown above the input
        assert "is:sleepy: expected one of" in str(app.screen.query_one("#prompt-error").render())
        await typed(pilot, app, "tag:billing")
        await until(pilot, lambda: screen.loaded and screen.total == 1, what="searched")
        assert [r.name for r in screen.rows] == ["invoice-run"]
        await pilot.press("escape")  # clears the search
        await until(pilot, lambda: screen.loaded and screen.total == 6, what="cleared")


async def test_delete_asks_for_the_name_and_pause_all_asks_yes_default_no(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        await select(pilot, screen, "legacy-export")
        await pilot.press("D")
        assert "delete legacy-export and its " in await dry_run(pilot, app)
        await typed(pilot, app, "legacy")  # not the name: nothing happens
        await pilot.pause(0.3)
        assert app.services.store.get("legacy-export")
        await pilot.press("D")
        await typed(pilot, app, "legacy-export")
        await until(pilot, lambda: "legacy-export" not in [r.name for r in screen.rows], what="deleted")
        await pilot.press("P")
        assert "pause every schedule: " in await dry_run(pilot, app)
        await pilot.press("enter")  # the default is no
        await pilot.pause(0.3)
        assert not conn.exists(PAUSE_KEY)
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: bool(conn.exists(PAUSE_KEY)), what="paused")
        await until(pilot, lambda: screen.query_one("#paused-banner").display, what="the banner")
    assert [a for a in actions(app) if a[0] in ("schedule.rm", "scheduler.pause")] == [
        ("scheduler.pause", "every schedule", "ok"),
        ("schedule.rm", "legacy-export", "ok"),
    ]


async def test_read_only_hides_every_schedule_action_and_changes_nothing(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        for action in MUTATING:
            assert screen.check_action(action, ()) is False, action
        await select(pilot, screen, "invoice-run")
        seeded = actions(app)
        await pilot.press("n", "e", "D", "P", "z", "b", "c", "a", "E")
        await pilot.pause(0.3)
        assert isinstance(app.screen, SchedulesScreen)  # no prompt, question or form opened
        assert app.services.store.get("invoice-run").enabled and not conn.keys("rq:job:*")
        assert actions(app) == seeded  # nothing was even attempted


async def test_enter_opens_the_detail_and_a_run_opens_its_job(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        await select(pilot, screen, "invoice-run")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ScheduleDetailScreen) and app.screen.detail)
        detail = schedule_detail(app.services.sessions, "invoice-run", NOW)
        assert detail is not None and len(detail.runs) == 10
        await pilot.press("n")  # the same keys work on the detail
        await dry_run(pilot, app)
        await pilot.press("y")
        await until(pilot, lambda: conn.exists("rq:job:qt-1-run-now-20261123T120000Z"), what="run now")


async def test_an_operator_has_no_delete_key_and_a_viewer_no_change_keys(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    for role, hidden in ((Role.OPERATOR, {"delete"}), (Role.VIEWER, set(MUTATING))):
        app = app_for(conn, redis_url, tmp_path / role.label, role=role)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_list(pilot, app)
            assert {a for a in MUTATING if not screen.check_action(a, ())} == hidden
            await select(pilot, screen, "legacy-export")
            await pilot.press("D")
            await pilot.pause(0.2)
            assert isinstance(app.screen, SchedulesScreen)  # no question: the key is not there


async def test_an_import_from_the_console_shows_its_diff_and_errors_then_applies_the_valid_rows(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    from queuetui.tui.screens.imports import ImportScreen, ImportsScreen

    file = tmp_path / "more.json"
    file.write_text(
        '[{"name": "fresh", "func": "tests.jobs:add", "cron": "0 4 * * *"},'
        ' {"name": "broken", "func": "tests.jobs:add", "cron": "0 25 * * *"}]'
    )
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        await pilot.press("i")
        await typed(pilot, app, str(file))
        await until(
            pilot, lambda: isinstance(app.screen, ImportScreen) and app.screen.result, what="the plan"
        )
        importing = app.screen
        assert isinstance(importing, ImportScreen)
        diff = str(importing.query_one("#diff").render())
        assert (
            "+ fresh  0 4 * * * (UTC)  tests.jobs:add" in diff
            and "! item 2: cron '0 25 * * *': hour field '25'" in diff
        )
        assert importing.check_action("apply", ("partial",)) is True
        await pilot.press("A")  # atomic: a row fails, so nothing
        await until(
            pilot, lambda: "rejected" in str(importing.query_one("#import-summary").render()), what="rejected"
        )
        assert "fresh" not in {s.name for s in app.services.store.schedules()}
        await pilot.press("P")  # the rows that pass
        await until(pilot, lambda: importing.applied, what="applied")
        assert "fresh" in {s.name for s in app.services.store.schedules()}
        assert importing.check_action("apply", ("atomic",)) is False  # applied once is enough
        await pilot.press("escape")
        await until(pilot, lambda: "fresh" in [r.name for r in screen.rows], what="the list to show it")
        await pilot.press("I")
        await until(
            pilot,
            lambda: isinstance(app.screen, ImportsScreen) and app.screen.query_one("#imports").row_count == 3,
        )


async def test_the_title_says_which_scheduler_leads(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        assert screen.leader == "no scheduler leads"
        conn.set(LEASE_KEY, "7:sched-host:4242", px=60_000)
        screen.fetch()
        await until(pilot, lambda: screen.leader.startswith("scheduler sched-host:4242"), what="the leader")
        assert "scheduler sched-host:4242" in str(screen.query_one("#view-title", Static).render())
