"""What an operator can do to a schedule from the list and from its detail, the same keys on both.

Each change has a dry run first (ScheduleOperator.plan, as `queuetui schedules ... --dry-run`), its
dialog says what will happen (a backfill: how many runs, the first and the last), and it runs through
ScheduleOperator.apply, the code the CLI runs, so it is audited and refused (read-only, or beyond the
operator's role) below the UI; the keys the operator may not use are hidden too. The default answer
is no; deleting asks for the schedule's name to be typed, and a change that does more than
confirm_above (a backfill's runs, the schedules a pause stops) for the count, as job actions do.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from textual import on, work
from textual.binding import Binding

from queuetui.errors import DatabaseError, ScheduleError
from queuetui.present.text import safe
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.query import parse_duration
from queuetui.schedule.store import FIELDS
from queuetui.tui.messages import ChangePlanned
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.prompt import PromptScreen, refusal
from queuetui.tui.text import literal_block

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

        if name is None:  # kept between schedules, emptied each time (its 180 widgets took 0.6 s to build)
            self.console.views.show(
                ScheduleFormScreen.KEPT, ScheduleFormScreen, ScheduleFormScreen.reset, self.saved
            )
        else:
            self.app.push_screen(ScheduleFormScreen(name), self.saved)

    def saved(self, name: str | None) -> None:
        """The form saved schedule `name` (None: it was closed without saving)."""
        if name is not None:
            self.fetch()

    # -- changes: a dry run, its question, then the change (ScheduleOperator.plan and apply)

    def propose(self, action: str, name: str = "", **params: Any) -> None:
        """Ask for the dry run of a change; its dialog follows (ChangePlanned)."""
        self.plan_change(action, name, params)

    @work(thread=True, exit_on_error=False, group="schedule-plan")
    def plan_change(self, action: str, name: str, params: dict[str, Any]) -> None:
        services = self.console.services
        try:
            change = services.operator.plan(action, name, **params)
            typed = services.operations.needs_typed_count(change)
        except (ScheduleError, DatabaseError) as exc:
            self.post_message(ChangePlanned(None, str(exc)))
        except REDIS_ERRORS as exc:
            self.post_message(ChangePlanned(None, describe_error(exc)))
        else:
            self.post_message(ChangePlanned(change, typed=typed))

    @on(ChangePlanned)
    def _change_planned(self, message: ChangePlanned) -> None:
        change = message.change
        if change is None:
            self.notify(message.error, severity="error", timeout=8)
            return
        if change.nothing:
            self.notify(change.lines[0], timeout=4)
            return
        operator = self.console.services.operator
        # Deleting asks for the name; more than confirm_above jobs or schedules, for the count.
        typed = change.name if change.action == "schedule.rm" else str(change.total) if message.typed else ""
        text = "\n".join((f"{change.title} — nothing has changed yet", "", *change.lines))
        if typed and change.action != "schedule.rm":
            text += f"\n\nMore than {self.console.settings.confirm_above:,}: type the count"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.act(lambda: operator.apply(change))
            else:
                self.notify("Not confirmed: nothing changed", timeout=3)

        self.app.push_screen(ConfirmScreen(literal_block(text), typed=typed), confirmed)

    def action_run_now(self) -> None:
        if name := self._named():
            self.propose("schedule.run-now", name)

    def action_toggle_enabled(self) -> None:
        """Enable or disable, as the row showed it when the key was pressed (the dry run says which)."""
        if name := self._named():
            enabled = self.shown_enabled(name)
            if enabled is None:
                self.notify(f"{name} is not shown here any more", timeout=3)
                return
            self.propose("schedule.disable" if enabled else "schedule.enable", name)

    def shown_enabled(self, name: str) -> bool | None:
        """Whether schedule `name` was enabled as this screen shows it; None when it does not show it."""
        raise NotImplementedError

    def action_snooze(self) -> None:
        if not (name := self._named()):
            return
        now = self.console.clock.now

        def submitted(text: str | None) -> None:
            if text:
                self.propose("schedule.snooze", name, until=parse_snooze(text, now()))

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
                self.propose("schedule.backfill", name, start=start, end=end)

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
        if name := self._named():
            self.propose("schedule.rm", name)

    def action_pause_all(self) -> None:
        self.propose("scheduler.resume" if self.paused_by else "scheduler.pause")
