"""A dialog owns the keyboard from the key that asks for it until it closes, against a real Redis:
keys typed while a dry run is on its way go to its dialog, never to the job view beneath."""

from __future__ import annotations

from pathlib import Path

import redis
from textual.events import Key
from textual.widgets import Input

from queuetui.rqdata.pages import find_job
from queuetui.tui.app import QueueTUI
from queuetui.tui.messages import JobFound
from queuetui.tui.screens.dry_run import DryRunScreen
from queuetui.tui.screens.job_detail import JobDetailScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.screens.prompt import PromptScreen
from tests.tui.helpers import until
from tests.tui.test_actions_pilot import app_for, dry_run, failed_count, failed_view, title
from tests.workload import seed_failed


def typing(app: QueueTUI, *keys: str) -> None:
    """Keys as a terminal delivers them, without waiting for the app between two (pilot.press waits for
    the dry run's progress bar to stop)."""
    for key in keys:
        event = Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app.post_message(event)


async def test_the_count_typed_before_the_dry_run_dialog_opens_goes_to_it(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    total = 2_000
    seed_failed(conn, "big", total)
    # 2,000 jobs a second in chunks of 200: a bulk run that lasts, as a big one does.
    app = app_for(redis_url, tmp_path / "q.db", throttle=2_000)
    details: list[object] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await failed_view(pilot, app, "big")
        await pilot.press("asterisk")
        # Redis holds every command for two seconds: the dry run is on its way while the operator types.
        conn.execute_command("CLIENT", "PAUSE", 2_000, "ALL")
        typing(app, "R")
        await until(pilot, lambda: screen.planning, what="the dry run to start")
        typing(app, *str(total), "enter", "enter")  # the count, enter, and one enter too many
        await pilot.pause(0.2)
        assert screen.planning, "the dry run ended before the keys were typed"
        await until(pilot, lambda: isinstance(app.screen, DryRunScreen) or screen.cancel_event is not None)

        def run_ended() -> bool:
            details.extend(s for s in app.screen_stack if isinstance(s, JobDetailScreen))
            return screen.last_outcome is not None and not screen.bulk_busy

        await until(pilot, run_ended, timeout=30, what="the run the typed count confirmed")
        assert not details, "a key typed for the dialog opened a job's detail beneath it"
        assert app.screen is screen
    assert failed_count(conn, "big") == 0 and conn.llen("rq:queue:big") == total


async def test_keys_typed_after_the_answer_never_reach_the_view_beneath(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_failed(conn, "small", 5)
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await failed_view(pilot, app, "small")
        await pilot.press("asterisk", "R")
        await until(pilot, lambda: isinstance(app.screen, DryRunScreen), what="the dry-run dialog")
        typing(app, "y", "enter", "enter")  # yes, then two keys on their way before the dialog closed
        await until(pilot, lambda: failed_count(conn, "small") == 0, what="the retry")
        await until(pilot, lambda: not screen.bulk_busy, what="the run to end")
        await pilot.pause(0.2)
        assert app.screen is screen, "a key meant for the dialog acted on the screens beneath"
    assert conn.llen("rq:queue:small") == 5


async def test_mark_all_keeps_its_count_and_the_dry_run_says_why_it_differs(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_failed(conn, "emails", 12, prefix="m")
    seed_failed(conn, "emails", 3, prefix="o")
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await failed_view(pilot, app)
        screen.apply_filter("id:m")
        await until(pilot, lambda: screen.matches is not None and screen.total == 12, what="the filter")
        await pilot.press("asterisk")
        assert "all 12 matching marked" in title(screen)
        seed_failed(conn, "emails", 1, prefix="mz")  # one more failure that matches, after the marking
        await pilot.press("R")
        dialog = await dry_run(pilot, app)
        text = str(dialog.query_one("#confirm-question").render())
        assert "retry: 13 jobs" in text and "13 match now (12 when marked: 1 arrived since)" in text
        await pilot.press("n")
    assert failed_count(conn) == 16


async def test_a_lookup_ending_while_the_prompt_is_open_leaves_the_prompt_and_its_text(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    [job_id] = seed_failed(conn, "emails", 1)
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, OverviewScreen), what="the overview")
        await pilot.press("colon", *"fai")
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        # An earlier `:job` lookup (a thread) ends now, while the operator types the next command.
        app.post_message(JobFound(job_id, find_job(conn, job_id)))
        await pilot.pause(0.3)
        field = prompt.query_one(Input)
        assert app.screen is prompt and app.focused is field, "the lookup took the prompt's focus"
        await pilot.press(*"led")
        assert field.value == "failed"
        await pilot.press("escape")  # the prompt closes: the view the lookup found opens now
        await until(pilot, lambda: isinstance(app.screen, JobsScreen), what="the job's view")
        assert app.screen.registry == "failed" and app.screen.queue == "emails"
