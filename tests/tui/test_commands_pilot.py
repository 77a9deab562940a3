"""The `:` language: one table behind the prompt, its completion, `?` and the command palette."""

from __future__ import annotations

import redis
from rq import Queue
from textual.widgets import Input

from queuetui.config import Settings
from queuetui.tui import commands
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.prompt import PromptScreen
from tests import jobs
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until


def test_every_name_and_alias_is_one_command_and_checks_its_arguments() -> None:
    names = [name for command in commands.COMMANDS for name in command.names]
    assert len(names) == len(set(names))
    assert commands.check("failed emails") == commands.check("running") == ""
    assert commands.check("job") == "usage: job ID"
    assert commands.check("nonsense").startswith("unknown command 'nonsense'; try: overview")
    assert commands.completions("fa", {}) == ["failed"]
    assert commands.completions("failed em", {"queues": ["emails", "exports"]}) == ["failed emails"]
    assert commands.completions("workers x", {"queues": ["xq"]}) == []  # workers take no queue


async def test_tab_completes_commands_and_the_queues_the_overview_read(
    conn: redis.Redis, redis_url: str
) -> None:
    Queue("emails", connection=conn).enqueue(jobs.add, 1, 2)
    app = QueueTUI(Settings(redis_url=redis_url, refresh=3600), clock=CLOCK, connection=conn)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.known_queues == ("emails",), what="the overview's queues")
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the prompt")
        field = app.screen.query_one(Input)
        await pilot.press("f", "a")
        await until(pilot, lambda: field._suggestion == "failed", what="the command suggested")
        await pilot.press("tab", "space", "e")
        await until(pilot, lambda: field._suggestion == "failed emails", what="the queue suggested")
        await pilot.press("tab", "enter")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen), what="the Failed view")
        assert (app.screen.queue, app.screen.registry) == ("emails", "failed")


async def test_the_palette_reaches_every_screen(conn: redis.Redis, redis_url: str) -> None:
    app = QueueTUI(Settings(redis_url=redis_url, refresh=3600), clock=CLOCK, connection=conn)
    async with app.run_test(size=(120, 40)):
        titles = {command.title for command in app.get_system_commands(app.screen)}
    for wanted in ("Overview", "Workers", "Schedules", "Batches", "Metrics", "Alerts", "Audit", "Forecast"):
        assert wanted in titles


async def test_an_unknown_queue_or_job_is_an_error_naming_the_nearest(
    conn: redis.Redis, redis_url: str
) -> None:
    Queue("emails", connection=conn).enqueue(jobs.add, 1, 2, job_id="j1")
    app = QueueTUI(Settings(redis_url=redis_url, refresh=3600), clock=CLOCK, connection=conn)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        overview = app.screen
        app.run_command("failed emials")
        await until(pilot, lambda: app._notifications, what="the error")
        [note] = list(app._notifications)
        assert note.message == "no queue named 'emials' in this Redis; did you mean emails?"
        assert app.screen is overview  # no empty view of a queue that does not exist
        app.clear_notifications()
        app.run_command("job nope-123")
        await until(pilot, lambda: app._notifications, what="the error")
        [note] = list(app._notifications)
        assert note.message.startswith("job 'nope-123' is nowhere")
        assert app.screen is overview
        app.run_command("failed emails")
        shown = lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded  # noqa: E731
        await until(pilot, shown, what="the Failed view of emails")
