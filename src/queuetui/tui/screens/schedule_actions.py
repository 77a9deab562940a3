"""What an operator can do to a schedule from the list and from its detail, the same keys on both.

Each action runs in a thread worker through ScheduleStore / ScheduleOperator, the code the CLI
runs, so it is audited and refused (read-only, or beyond the operator's role) below the UI; the
keys the operator may not use are hidden too.
Deleting asks for the schedule's name to be typed, pausing every schedule asks y/N (default no).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from textual.binding import Binding

from queuetui.present.text import safe
from queuetui.rqdata.query import parse_duration
from queuetui.schedule.store import FIELDS
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.prompt import PromptScreen, refusal
from queuetui.tui.text import line

MUTATING = {
    "run_now": "schedule.run-now",
    "toggle_enabled": "schedule.disable",
    "snooze": "schedule.snooze",
    "backfill": "schedule.backfill",
    "duplicate": "schedule.add",
    "delete": "schedule.rm",
    "pause_all": "scheduler.pause",
    "add_schedule": "schedule.add",
    "edit_schedule": "schedule.edit",
}
"""Each key's action and the audited change it makes (roles.ACTIONS), by which it is shown or hidden."""


def parse_snooze(text: str, now: datetime) -> datetime | None:
    """When a snooze ends, from what an operator types (None: wake now); ValueError otherwise.

    '1h', '+30m', '2d' from now; 'tomorrow 09:00', '09:00' (its next occurrence) or '2026-12-01'
    and '2026-12-01 09:00' in the operator's own zone; an ISO time with an offset; 'wake'.
    """
    text = " ".join(text.split())
    local = now.astimezone()
    lowered = text.lower()
    if lowered in ("wake", "now", "off"):
        return None
    if (seconds := parse_duration(text.removeprefix("+"))) is not None:
        return now + timedelta(seconds=seconds)
    day, _, clock = lowered.partition(" ") if lowered.startswith("tomorrow") else ("", "", lowered)
    if re.fullmatch(r"\d{1,2}:\d{2}", clock or "09:00"):
        hour, minute = map(int, (clock or "09:00").split(":"))
        if hour < 24 and minute < 60:
            until = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if day == "tomorrow":
                return until + timedelta(days=1)
            return until if until > local else until + timedelta(days=1)
    try:
        until = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r}: expected 1h, +30m, 2d, tomorrow 09:00, 09:00, a date, an ISO time, or wake"
        ) from None
    return until if until.tzinfo is not None else until.replace(tzinfo=local.tzinfo)


def parse_range(text: str) -> tuple[datetime, datetime]:
    """'FROM TO', two ISO times with offsets; ValueError otherwise."""
    parts = text.split()
    if len(parts) != 2:
        raise ValueError("expected FROM TO: two ISO times with offsets")
    bounds = []
    for part in parts:
        try:
            moment = datetime.fromisoformat(part)
        except ValueError:
            raise ValueError(f"{part!r} is not an ISO time like 2026-11-20T00:00+00:00") from None
        if moment.tzinfo is None:
            raise ValueError(f"{part!r}: give the time with its offset")
        bounds.append(moment)
    return bounds[0], bounds[1]


class ScheduleActionsScreen(LiveScreen):
    """A live screen about schedules; `current_schedule()` names the one the keys act on."""

    BINDINGS = [
        Binding("n", "run_now", "Run now", id="schedules.run-now", tooltip="Enqueue its job now, once"),
        Binding("e", "toggle_enabled", "On/off", id="schedules.enable", tooltip="Enable or disable"),
        Binding("E", "edit_schedule", "Edit", id="schedules.edit", tooltip="Change it in the form"),
        Binding("z", "snooze", "Snooze", id="schedules.snooze", tooltip="Skip fire times until a time"),
        Binding(
            "b", "backfill", "Backfill", id="schedules.backfill", tooltip="Enqueue a past range", show=False
        ),
        Binding(
            "c", "duplicate", "Copy", id="schedules.copy", tooltip="Duplicate under a new name", show=False
        ),
        Binding(
            "D", "delete", "Delete", id="schedules.delete", tooltip="Delete it and its history", show=False
        ),
        Binding("P", "pause_all", "Pause all", id="schedules.pause", tooltip="Pause/resume all", show=False),
    ]

    paused_by = ""

    def current_schedule(self) -> str | None:
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in MUTATING or self.console.may(MUTATING[action])

    def _named(self) -> str | None:
        name = self.current_schedule()
        if name is None:
            self.notify("No schedule here", timeout=2)
        return name

    def action_edit_schedule(self) -> None:
        if name := self._named():
            self.open_form(name)

    def open_form(self, name: str | None) -> None:
        """The schedule form: a new schedule (None) or `name`; shows what it saved."""
        from queuetui.tui.screens.schedule_form import ScheduleFormScreen

        self.app.push_screen(ScheduleFormScreen(name), self.saved)

    def saved(self, name: str | None) -> None:
        """The form saved schedule `name` (None: it was closed without saving)."""
        if name is not None:
            self.fetch()

    def action_run_now(self) -> None:
        if name := self._named():
            self.act(lambda: f"{name}: enqueued {self.console.services.operator.run_now(name)}")

    def action_toggle_enabled(self) -> None:
        if name := self._named():

            def toggle() -> str:
                store = self.console.services.store
                enabled = not store.get(name).enabled
                store.set_enabled(name, enabled)
                return f"{name}: {'enabled' if enabled else 'disabled'}"

            self.act(toggle)

    def action_snooze(self) -> None:
        if not (name := self._named()):
            return
        now = self.console.clock.now

        def submitted(text: str | None) -> None:
            if not text:
                return
            until = parse_snooze(text, now())

            def snooze() -> str:
                self.console.services.store.snooze(name, until)
                return f"{name}: snoozed until {until.isoformat()}" if until else f"{name}: awake"

            self.act(snooze)

        examples = "+1h · 30m · 2d · tomorrow 09:00 · 09:00 · 2026-12-01 · wake"
        prompt = PromptScreen(
            f"snooze {name}", "1h", examples, refusal(lambda text: parse_snooze(text, now()))
        )
        self.app.push_screen(prompt, submitted)

    def action_backfill(self) -> None:
        if not (name := self._named()):
            return

        def submitted(text: str | None) -> None:
            if text:
                start, end = parse_range(text)
                operator = self.console.services.operator
                self.act(lambda: f"{name}: enqueued {len(operator.backfill(name, start, end))} fire times")

        placeholder = "FROM TO, e.g. 2026-11-20T00:00+00:00 2026-11-22T23:59+00:00"
        self.app.push_screen(
            PromptScreen(f"backfill {name}", "", placeholder, refusal(parse_range)), submitted
        )

    def action_duplicate(self) -> None:
        if not (name := self._named()):
            return

        def submitted(new_name: str | None) -> None:
            if new_name:

                def copy() -> str:
                    store = self.console.services.store
                    source = store.get(name)
                    values = {f: getattr(source, f) for f in FIELDS if f != "enabled"}
                    store.add(new_name, {**values, "enabled": False}, allow_missing=True)
                    return f"{new_name}: copied from {name}, disabled until you enable it (e)"

                self.act(copy)

        self.app.push_screen(
            PromptScreen(f"copy {name} as", f"{safe(name)}-copy", "a new, unique name"), submitted
        )

    def action_delete(self) -> None:
        if not (name := self._named()):
            return

        def delete() -> str:
            self.console.services.store.remove(name)
            return f"{name}: deleted"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.act(delete)

        question = line(
            "Delete schedule ", (name, "bold"), " and its run history? Jobs already enqueued stay."
        )
        self.app.push_screen(ConfirmScreen(question, typed=name), confirmed)

    def action_pause_all(self) -> None:
        pausing = not self.paused_by

        def pause() -> str:
            self.console.services.operator.pause_all(pausing)
            return "every schedule paused" if pausing else "every schedule resumed"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.act(pause)

        question = (
            line(
                "Pause ",
                ("every", "bold"),
                " schedule? The scheduler stops enqueuing at its next tick until resumed.",
            )
            if pausing
            else line(f"Resume every schedule? (paused by {self.paused_by})")
        )
        self.app.push_screen(ConfirmScreen(question), confirmed)
