"""The schedule form driven by keys, against a real Redis and a real SQLite file: each mode keeps the
others, the explanation, the next runs and the warnings in step with the typing; a problem keeps Save
disabled and sits at its field; what is saved is in the database, audited, and fires."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from textual.events import Key
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Select, Static, TabbedContent

from queuetui.audit import recent
from queuetui.clock import FrozenClock
from queuetui.config import Settings
from queuetui.schedule.scheduler import Scheduler
from queuetui.tui.app import QueueTUI
from queuetui.tui.messages import DraftChecked
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.screens.schedule_detail import ScheduleDetailScreen
from queuetui.tui.screens.schedule_form import ScheduleFormScreen
from queuetui.tui.screens.schedules import SchedulesScreen
from tests.snapshots.schedules_seed import seed_schedules
from tests.snapshots.seed import NOW
from tests.tui.helpers import until
from tests.tui.test_schedules_pilot import app_for, open_list, select


async def open_form(pilot: Pilot[None], app: QueueTUI, key: str = "a") -> ScheduleFormScreen:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, ScheduleFormScreen) and app.screen.loaded, what="form")
    form = app.screen
    assert isinstance(form, ScheduleFormScreen)
    await settled(pilot, form)
    return form


async def settled(pilot: Pilot[None], form: ScheduleFormScreen) -> None:
    """Wait until what the form shows answers the last keystroke."""
    await until(pilot, lambda: form.current, what="the check")
    await pilot.pause()


async def type_into(pilot: Pilot[None], form: ScheduleFormScreen, selector: str, text: str) -> None:
    """Clear a field and type `text` into it, key by key, as the operator would."""
    field = form.query_one(selector, Input)
    field.focus()
    await pilot.press("end", "ctrl+u", *text)
    await settled(pilot, form)


async def choose(pilot: Pilot[None], form: ScheduleFormScreen, selector: str, label: str) -> None:
    """Pick the option called `label` of a Select with the keyboard."""
    widget = form.query_one(selector, Select)
    widget.focus()
    await pilot.press("enter")
    options = widget._options  # as the overlay lists them, the blank first where there is one
    current = [value for _, value in options].index(widget.value)
    steps = [str(prompt) for prompt, _ in options].index(label) - current
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await settled(pilot, form)


def shown(form: ScheduleFormScreen, selector: str) -> str:
    return str(form.query_one(selector, Static).render())


def value(form: ScheduleFormScreen, selector: str) -> str:
    return form.query_one(selector, Input).value


def error_at(form: ScheduleFormScreen, key: str) -> str:
    error = form.query_one(f"#error-{key}", Static)
    return str(error.render()) if error.display else ""


def save_disabled(form: ScheduleFormScreen) -> bool:
    return form.query_one("#save", Button).disabled


def fields(form: ScheduleFormScreen) -> list[str]:
    return [value(form, f"#cron-{i}") for i in range(6)]


async def test_a_preset_fills_the_other_modes_and_the_preview_follows_the_typing(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot, app)
        form = await open_form(pilot, app)
        assert form.query_one("#modes", TabbedContent).active == "mode-preset"
        assert save_disabled(form) and "2 to fix: name, function" in shown(form, "#form-summary")
        assert error_at(form, "name") == ""  # not typed in yet: the summary lists it, the field waits
        await type_into(pilot, form, "#in-name", "standup-digest")
        await type_into(pilot, form, "#in-func", "tests.jobs:add")
        await type_into(pilot, form, "#in-timezone", "Europe/Rome")
        await choose(pilot, form, "#preset-kind", "Weekly on days")
        ticked = [form.query_one(f"#day-{day}", Checkbox).value for day in range(7)]
        assert ticked == [False, True, False, False, False, False, False]  # Monday, to start with
        form.query_one("#day-5", Checkbox).focus()
        await pilot.press("space")
        await settled(pilot, form)
        await type_into(pilot, form, "#preset-at", "09:30")
        assert value(form, "#in-cron") == "30 9 * * MON,FRI"
        assert fields(form) == ["", "30", "9", "*", "*", "MON,FRI"]
        preview = shown(form, "#preview-wide")
        assert preview.startswith("At 09:30, only on Monday and Friday")
        assert "Next in Europe/Rome" in preview
        assert (
            "Fri 11-27 09:30 CET   Fri 11-27 08:30 UTC" in preview
        )  # the schedule's zone, then the operator's
        assert preview.count(" CET ") == 10
        assert "30 9 * * MON,FRI  ·  At 09:30, only on Monday and Friday" in shown(form, "#form-summary")
        assert not save_disabled(form) and "ready: ctrl+s saves" in shown(form, "#form-summary")

        await type_into(pilot, form, "#preset-at", "9:5")  # half typed
        assert error_at(form, "preset-at") == "a time of day, HH:MM from 00:00 to 23:59"
        assert save_disabled(form) and value(form, "#in-cron") == "30 9 * * MON,FRI"  # the last good one
        assert shown(form, "#preview-wide").startswith("Nothing to preview")
        await pilot.press("5")
        await settled(pilot, form)
        assert value(form, "#in-cron") == "55 9 * * MON,FRI" and error_at(form, "preset-at") == ""
        assert shown(form, "#preview-wide").startswith("At 09:55, only on Monday and Friday")


async def test_the_six_fields_check_each_field_and_the_busy_minute_suggests_h(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot, app)
        form = await open_form(pilot, app)
        await type_into(pilot, form, "#in-name", "quarterly-sync")
        await type_into(pilot, form, "#in-func", "tests.jobs:add")
        form.query_one("#modes", TabbedContent).active = "mode-fields"
        await type_into(pilot, form, "#cron-1", "61")
        await type_into(pilot, form, "#cron-2", "25")
        assert error_at(form, "field-minute") == "value out of range 0-59"
        assert error_at(form, "field-hour") == "value out of range 0-23"
        assert "2 to fix: minute, hour" in shown(form, "#form-summary")
        assert save_disabled(form) and form.query_one("#cron-1").has_class("wrong")
        assert value(form, "#in-cron") == "0 3 * * *"  # the other modes keep the last expression that worked
        await type_into(pilot, form, "#cron-2", "*")
        await type_into(pilot, form, "#cron-1", "*/15")
        assert error_at(form, "field-minute") == "" and not save_disabled(form)
        assert value(form, "#in-cron") == "*/15 * * * *"
        assert form.query_one("#preset-kind", Select).value == "minutes"
        assert value(form, "#preset-every") == "15"
        preview = shown(form, "#preview-wide")
        assert preview.startswith("Every 15 minutes")
        assert "Mon 11-23 12:15 UTC   Mon 11-23 12:15 UTC" in preview
        # email-digest fires every 15 minutes too, invoice-run on the hour, cache-warm twice a minute
        assert (
            "⚠ busy minute: 4 other fires at Mon 13:00 UTC (a typical minute has 2); 'H/15 * * * *' spreads "
            "the load" in preview.replace("\n", " ")
        )
        await type_into(pilot, form, "#cron-1", "H/15")
        preview = shown(form, "#preview-wide")
        assert "busy minute" not in preview and "H/15 * * * * runs as " in preview
        assert form.query_one("#preset-kind", Select).is_blank()  # no preset writes an H


async def test_the_raw_expression_drives_the_fields_and_presets_and_warns_of_dst(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot, app)
        form = await open_form(pilot, app)
        await type_into(pilot, form, "#in-name", "rome-night")
        await type_into(pilot, form, "#in-func", "tests.jobs:add")
        form.query_one("#modes", TabbedContent).active = "mode-expression"
        await type_into(pilot, form, "#in-timezone", "Europe/Rome")
        await type_into(pilot, form, "#in-cron", "30 2 * * *")
        assert fields(form) == ["", "30", "2", "*", "*", "*"]
        assert (
            form.query_one("#preset-kind", Select).value == "daily" and value(form, "#preset-at") == "02:30"
        )
        preview = shown(form, "#preview-inline")  # 80 columns: the preview sits in the form
        assert preview.startswith("At 02:30")
        assert "⚠ 2027-03-28: Europe/Rome skips 02:00 to 03:00; what is due at 02:30 runs once, at 03:00" in (
            preview.replace("\n", " ")
        )
        assert "⚠ busy minute: 4 other fires at Tue 02:30 CET (a typical minute has 2); 'H 2 * * *'" in (
            preview.replace("\n", " ")
        )  # nightly-report fires then too
        assert "⚠ 3 warnings" in shown(form, "#form-summary")
        await type_into(pilot, form, "#in-cron", "0 3 * *")
        assert error_at(form, "cron").startswith("expected 5 fields")
        assert save_disabled(form) and shown(form, "#preview-inline").startswith("Nothing to preview")
        assert fields(form) == ["", "30", "2", "*", "*", "*"]
        await type_into(pilot, form, "#in-cron", "*/20 * * * * *")
        assert fields(form) == ["*/20", "*", "*", "*", "*", "*"]
        assert form.query_one("#preset-kind", Select).is_blank()
        assert "Mon 11-23 12:00:20 CET" not in shown(form, "#preview-inline")
        assert "Mon 11-23 13:00:20 CET   Mon 11-23 12:00:20 UTC" in shown(form, "#preview-inline")
        await type_into(pilot, form, "#in-cron", "0 0 30 2 *")
        assert "It never fires." in shown(form, "#preview-inline")
        assert "never fires: no date matches" in shown(form, "#preview-inline")


async def test_invalid_input_keeps_save_disabled_with_the_message_at_its_field(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot, app)
        audited = len(recent(app.services.sessions))
        form = await open_form(pilot, app)
        await type_into(pilot, form, "#in-name", "invoice-run")
        await type_into(pilot, form, "#in-func", "tests.jobs:nope")
        await type_into(pilot, form, "#in-args", "[1,")
        await type_into(pilot, form, "#in-kwargs", "[]")
        await type_into(pilot, form, "#in-job_timeout", "soon")
        await type_into(pilot, form, "#in-retry_intervals", "10, x")
        await type_into(pilot, form, "#in-webhook_url", "ftp://hooks")
        await type_into(pilot, form, "#in-timezone", "Mars/Base")
        assert error_at(form, "name") == "a schedule named 'invoice-run' already exists"
        assert error_at(form, "func") == "module 'tests.jobs' has no 'nope'"
        assert error_at(form, "args") == "not valid JSON (Expecting value at column 4)"
        assert error_at(form, "kwargs") == "expected a JSON object, got []"
        assert error_at(form, "job_timeout") == "a whole number of seconds, or empty for RQ's default"
        assert error_at(form, "retry_intervals") == "seconds before each retry, e.g. 10, 60, 300"
        assert error_at(form, "webhook_url") == "'ftp://hooks' is not an http(s) URL"
        assert error_at(form, "timezone") == "unknown time zone 'Mars/Base'"
        summary = shown(form, "#form-summary")
        assert "8 to fix: name, function, args, kwargs, zone, timeout, backoff, webhook" in summary
        assert save_disabled(form)
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert app.screen is form  # nothing saved, the form stays with every message at its field
        await type_into(pilot, form, "#in-func", "app.elsewhere:task")
        assert error_at(form, "func").startswith("cannot import module 'app.elsewhere'")
        form.query_one("#allow-missing", Checkbox).focus()
        await pilot.press("space")
        await settled(pilot, form)
        assert error_at(form, "func") == ""
    assert len(recent(app.services.sessions)) == audited  # checking wrote nothing, not even an audit
    assert app.services.store.get("invoice-run").func == "tests.jobs:add"


async def test_a_saved_schedule_is_in_the_database_audited_shown_in_the_list_and_fires(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(NOW)
    settings = Settings(redis_url=redis_url, refresh=3600)
    app = QueueTUI(settings, clock=clock, connection=conn, sessions=seed_schedules(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        form = await open_form(pilot, app)
        await type_into(pilot, form, "#in-name", "every-five")
        await type_into(pilot, form, "#in-func", "tests.jobs:add")
        await type_into(pilot, form, "#in-args", "[2, 3]")
        await type_into(pilot, form, "#in-queue", "reports")
        await type_into(pilot, form, "#in-tags", "ops, nightly")
        await type_into(pilot, form, "#in-retry_max", "2")
        await type_into(pilot, form, "#in-retry_intervals", "10 60")
        await choose(pilot, form, "#in-overlap", "skip")
        form.query_one("#flag-notify_on_failure", Checkbox).focus()
        await pilot.press("space")
        await type_into(pilot, form, "#in-webhook_url", "https://hooks.example.com/x")
        await choose(pilot, form, "#preset-kind", "Every N minutes")
        await type_into(pilot, form, "#preset-every", "5")
        assert value(form, "#in-cron") == "*/5 * * * *" and not save_disabled(form)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen), what="back to the list")
        await until(pilot, lambda: screen.current_schedule() == "every-five", what="the list at the new one")
        saved = app.services.store.get("every-five")
        assert (saved.cron, saved.timezone, saved.func, saved.args, saved.queue) == (
            "*/5 * * * *",
            "UTC",
            "tests.jobs:add",
            [2, 3],
            "reports",
        )
        assert (saved.tags, saved.retry_max, saved.retry_intervals, saved.overlap) == (
            ["nightly", "ops"],
            2,
            [10, 60],
            "skip",
        )
        assert saved.notify_on_failure and saved.webhook_url == "https://hooks.example.com/x"
        assert saved.enabled and saved.next_fire_at == NOW + timedelta(minutes=5)
        entry = recent(app.services.sessions)[0]
        assert (entry.action, entry.target, entry.outcome) == ("schedule.add", "every-five", "ok")
    clock.advance(5 * 60 + 1)
    report = Scheduler(conn, app.services.sessions, instance="test", clock=clock).tick()
    job_id = "qt-7-20261123T120500Z"  # the seventh schedule, at its first fire time
    assert job_id in report.fires
    assert [i.decode() for i in conn.lrange("rq:queue:reports", 0, -1)] == [job_id]
    SimpleWorker([Queue("reports", connection=conn)], connection=conn).work(burst=True)
    assert Job.fetch(job_id, connection=conn).return_value() == 5


async def test_edit_prefills_every_field_and_saves_only_what_changed(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot, app)
        await select(pilot, screen, "invoice-run")
        form = await open_form(pilot, app, "E")
        assert form.query_one("#in-name", Input).disabled and value(form, "#in-name") == "invoice-run"
        assert (value(form, "#in-func"), value(form, "#in-args"), value(form, "#in-queue")) == (
            "tests.jobs:add",
            "[1, 2]",
            "high",
        )
        assert (
            value(form, "#in-retry_max"),
            value(form, "#in-retry_intervals"),
            value(form, "#in-tags"),
        ) == (
            "3",
            "10, 60",
            "billing",
        )
        assert value(form, "#in-description") == "Hourly invoice batch"
        assert value(form, "#in-webhook_url") == "https://hooks.example.com/ops"
        assert form.query_one("#flag-notify_on_failure", Checkbox).value
        assert form.query_one("#in-overlap", Select).value == "allow"
        assert value(form, "#in-cron") == "0 * * * *" and fields(form) == ["", "0", "*", "*", "*", "*"]
        assert form.query_one("#preset-kind", Select).value == "hours"
        assert form.query_one("#modes", TabbedContent).active == "mode-preset"
        assert not save_disabled(form)
        await type_into(pilot, form, "#preset-minute", "15")
        await type_into(pilot, form, "#in-job_timeout", "600")
        assert value(form, "#in-cron") == "15 * * * *"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen), what="back to the list")
        edited = app.services.store.get("invoice-run")
        assert (edited.cron, edited.job_timeout, edited.args, edited.version) == (
            "15 * * * *",
            600,
            [1, 2],
            2,
        )
        entry = recent(app.services.sessions)[0]
        assert (entry.action, entry.outcome) == ("schedule.edit", "ok")
        assert entry.detail["changed"] == {"cron": ["0 * * * *", "15 * * * *"], "job_timeout": [None, 600]}

        await pilot.press("enter")  # the detail edits the same way
        await until(pilot, lambda: isinstance(app.screen, ScheduleDetailScreen) and app.screen.detail)
        form = await open_form(pilot, app, "E")
        assert value(form, "#in-cron") == "15 * * * *" and value(form, "#in-job_timeout") == "600"
        await type_into(pilot, form, "#in-description", "Invoices, quarter past")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ScheduleDetailScreen), what="back to the detail")
        assert app.services.store.get("invoice-run").description == "Invoices, quarter past"


async def test_escape_asks_before_discarding_changes_and_the_default_keeps_them(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot, app)
        form = await open_form(pilot, app)
        await pilot.press("escape")  # nothing typed: closes at once
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen), what="closed")
        form = await open_form(pilot, app)
        await type_into(pilot, form, "#in-name", "half-done")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("enter")  # the default is no: keep editing
        await until(pilot, lambda: app.screen is form, what="back in the form")
        assert value(form, "#in-name") == "half-done"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen), what="discarded")
    assert [s.name for s in app.services.store.schedules() if s.name == "half-done"] == []


async def test_q_never_quits_from_a_form_or_its_question(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot, app)
        form = await open_form(pilot, app)
        await type_into(pilot, form, "#in-name", "half-done")
        form.query(Checkbox).first().focus()  # not a text field: q is not typed into anything
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and app.screen is form
        assert value(form, "#in-name") == "half-done"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("q")  # declines the discard: back to the form, the input kept
        await until(pilot, lambda: app.screen is form, what="back in the form")
        assert app.is_running and value(form, "#in-name") == "half-done"


async def test_digits_typed_after_ctrl_u_stay_while_an_answer_overtakes_them(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot, app)
        form = await open_form(pilot, app)
        await type_into(pilot, form, "#in-name", "typed-fast")
        await type_into(pilot, form, "#in-func", "tests.jobs:add")
        await type_into(pilot, form, "#in-cron", "*/15 * * * *")  # the expression mode leads
        form.query_one("#modes", TabbedContent).active = "mode-fields"
        field = form.query_one("#cron-1", Input)
        field.focus()
        await pilot.pause()
        assert field.value == "*/15"
        # The answer to the draft before these keys, as the check's thread posts it, lands while the
        # keys' change is still on its way up to the form.
        answer = DraftChecked(form.generation, form.evaluation)
        answer.draft = form._draft()
        # The keys as a terminal delivers them to a busy console: together, none waiting for the last.
        for key in ("end", "ctrl+u", "1", "0"):
            event = Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app.post_message(event)
        for _ in range(1_000):
            if field.value == "10":
                break
            await asyncio.sleep(0)
        form.post_message(answer)
        await until(pilot, lambda: form.generation == answer.generation + 3, what="the three changes")
        await settled(pilot, form)
        assert value(form, "#cron-1") == "10", "the digits typed after ctrl+u were dropped"
        assert value(form, "#in-cron") == "10 * * * *"


def everything(form: ScheduleFormScreen) -> dict[str, object]:
    """All the form holds and shows: every field, choice and box, the mode, the problems shown, the
    summary, the preview and the state the form keeps."""
    state: dict[str, object] = {
        "draft": form._draft(),
        "mode": form.query_one("#modes", TabbedContent).active,
    }
    for widget in form.query("Input, Select, Checkbox"):
        state[f"value {widget.id}"] = widget.value  # type: ignore[attr-defined]
        state[f"wrong {widget.id}"] = widget.has_class("wrong")
    for error in form.query(".error"):
        state[f"shown {error.id}"] = error.display and str(error.render())
    for static in ("#form-title", "#form-summary", "#preview-wide", "#preview-inline"):
        state[static] = shown(form, static)
    state["kept"] = (
        form.source,
        form.dirty,
        frozenset(form.touched),
        form.reveal,
        form.saving,
        save_disabled(form),
    )
    return state


async def test_the_new_schedule_form_opened_again_is_as_empty_as_a_new_one(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    """The new-schedule form is kept between schedules (its widgets took 0.6 s to build): opened
    again it shows exactly what a form built anew shows, whatever the last schedule left in it."""
    app = app_for(conn, redis_url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_list(pilot, app)
        form = await open_form(pilot, app)
        fresh = everything(form)
        await type_into(pilot, form, "#in-name", "left-behind")
        await type_into(pilot, form, "#in-func", "nope")
        await choose(pilot, form, "#preset-kind", "Weekly on days")
        form.query_one("#day-5", Checkbox).focus()
        await pilot.press("space")
        await type_into(pilot, form, "#preset-at", "25:99")  # a problem shown at its field
        for box in ("#flag-enabled", "#allow-missing", "#flag-notify_on_late"):
            form.query_one(box, Checkbox).focus()
            await pilot.press("space")
        await choose(pilot, form, "#in-overlap", "allow")
        await settled(pilot, form)
        assert everything(form) != fresh
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen), what="discarded")
        again = await open_form(pilot, app)
        assert again is form  # kept, not built again
        assert everything(again) == fresh
        assert app.focused is again.query_one("#in-name")
