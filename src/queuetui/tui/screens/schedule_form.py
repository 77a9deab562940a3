"""The schedule form, to create a schedule or edit one: the cron in three modes kept in step (a preset,
the six fields, the raw expression), live as the operator types.

What the form shows comes from schedule/draft.py, run in a thread worker a moment after the last
keystroke: the English text, the next fire times in the schedule's zone and the operator's, the
warnings, and each field's problem from ScheduleStore.check, the checks saving makes. Save stays
disabled until nothing is wrong; it runs ScheduleStore.add or edit (audited, refused when read-only)
in a thread, and an edit sends only the fields that changed. Escape asks before discarding changes.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState

from queuetui.db.models import Misfire, Overlap
from queuetui.errors import DatabaseError, ReadOnlyError, ScheduleError
from queuetui.present.text import safe
from queuetui.rqdata.connection import REDIS_ERRORS
from queuetui.rqdata.seen import seen
from queuetui.schedule.cron import zone_names
from queuetui.schedule.draft import NEW, Draft, Evaluation, changes, evaluate, texts_of
from queuetui.schedule.forecast import Forecast, forecast
from queuetui.schedule.listing import in_use
from queuetui.schedule.presets import FIELD_NAMES, INPUTS, KINDS, MONTHS, WEEKDAYS, Preset, recognise
from queuetui.tui.draw import LeanScreen, update_static
from queuetui.tui.messages import DraftChecked, FormContext, FormLoaded
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.text import SEPARATOR, line, literal
from queuetui.tui.widgets.field import Field
from queuetui.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI

DEBOUNCE = 0.15
FIELD_LABELS = ("sec", "minute", "hour", "day", "month", "weekday")
PRESET_WIDGETS = ("every", "minute", "at", "day", "month", "days")
LABELS = {
    "name": "name",
    "description": "about",
    "func": "function",
    "args": "args",
    "kwargs": "kwargs",
    "cron": "cron",
    "timezone": "zone",
    "queue": "queue",
    "job_timeout": "timeout",
    "retry_max": "retries",
    "retry_intervals": "backoff",
    "overlap": "overlap",
    "misfire": "misfire",
    "misfire_grace": "grace",
    "webhook_url": "webhook",
    "tags": "tags",
}
FORM_ORDER = (
    "name",
    "description",
    *(f"preset.{name}" for name in ("kind", *PRESET_WIDGETS)),
    *(f"field.{name}" for name in FIELD_NAMES),
    *LABELS,
)
"""Problems are listed in the order the form shows their fields."""


def _label(key: str) -> str:
    kind, _, name = key.partition(".")
    if kind == "preset":
        return f"preset {name}"
    if kind == "field":
        return FIELD_LABELS[FIELD_NAMES.index(name)]
    return LABELS.get(key, key)


def _error_id(key: str) -> str:
    return "error-" + key.replace(".", "-")


def preview_text(evaluation: Evaluation | None, zone: str) -> Text:
    """The English text, the next fires in the schedule's zone and the operator's, and the warnings."""
    text = Text()
    preview = evaluation.preview if evaluation is not None else None
    if evaluation is None or preview is None:
        text.append("Nothing to preview until the cron expression and the zone are valid.", style="dim")
        return text
    text.append(safe(preview.description), style="bold")
    if evaluation.expression and " ".join(evaluation.expression.split()) != preview.concrete:
        text.append("\n" + safe(f"{evaluation.expression} runs as {preview.concrete}"), style="dim")
    if not preview.fires:
        text.append("\nIt never fires.", style="bold red")
    else:
        shape = _shape(preview.fires)
        width = max(len(f"{fire:{shape}}") for fire in preview.fires) + 3
        text.append(f"\n\n{'Next in ' + zone:<{width}}", style="bold")
        text.append("Yours", style="bold")
        for fire, local in zip(preview.fires, preview.local, strict=True):
            text.append(f"\n{fire:{shape}}".ljust(width + 1) + f"{local:{shape}}")
    for index, warning in enumerate(preview.warnings):
        text.append("\n" if index else "\n\n")
        text.append("⚠ " + safe(warning), style="yellow")
    return text


class ScheduleFormScreen(LeanScreen, Screen[str | None]):  # type: ignore[misc]
    """Creates a schedule (name None) or edits one; dismisses with the saved schedule's name, or None."""

    KEPT = ("new schedule",)
    """The new-schedule form's key among the kept views (tui/kept.py): emptied each time it opens."""
    WIDE = 110
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save once every field is valid"),
        Binding("escape", "cancel", "Cancel", id="form.cancel", tooltip="Close; asks before losing changes"),
        Binding("q", "no_quit", show=False, id="form.no-quit"),
    ]
    form = True
    """What app.holds_input looks for: q does not quit while this screen is open."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__()
        self.editing = name
        self.original: dict[str, Any] | None = None
        self.source = "expression"
        self.generation = 0
        self.checked = -1  # the generation the shown evaluation answers
        self.evaluation: Evaluation | None = None
        self.busy: Forecast | None = None  # the other schedules' fires, for the busy-minute warning
        self.loaded = False
        self.dirty = False
        self.touched: set[str] = set()
        self.reveal = name is not None  # show every problem, touched or not: an edit's, or after Save
        self.saving = False
        self._save_when_checked = False
        self._timer: Timer | None = None
        self._errors: list[Widget] = []
        self._fields: list[Widget] = []

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    @property
    def current(self) -> bool:
        """Whether what the form shows answers the last keystroke (no check waiting or running)."""
        return self.loaded and self._timer is None and self.checked == self.generation

    # -- layout

    def compose(self) -> ComposeResult:
        # Its width class set now, not by the first resize: adding it then styled all 180 widgets again.
        self.add_class("-wide" if self.app.size.width >= self.WIDE else "-narrow", update=False)
        yield Static(self._title() + "  ·  loading…", id="form-title")
        with Horizontal(id="form-body"):
            # The fields take the focus, never the column around them: a focused container is styled
            # again with everything in it each time it takes or loses the focus.
            with VerticalScroll(id="form", can_focus=False):
                name = Field(id="in-name", compact=True, disabled=bool(self.editing))
                yield from self._row("name", "Name", name)
                yield from self._row("description", "About", self._input("description", "what it is for"))
                yield Static("When", classes="form-section")
                yield from self._when()
                yield Static("Job", classes="form-section")
                yield from self._job()
                yield Static("Runs", classes="form-section")
                yield from self._runs()
                with Horizontal(classes="row"):
                    yield Label("", classes="label")
                    yield Button("Save", id="save", variant="primary", disabled=True, compact=True)
            with VerticalScroll(id="preview-side", can_focus=False):
                yield Static(id="preview-wide", classes="preview")
        yield Static(id="form-summary")
        yield KeysFooter()

    def _when(self) -> ComposeResult:
        with TabbedContent(id="modes"):
            with TabPane("Preset", id="mode-preset"):
                yield from self._presets()
            with TabPane("Fields", id="mode-fields"), Horizontal(id="cron-fields"):
                for index, label in enumerate(FIELD_LABELS):
                    with Vertical(classes="cron-field"):
                        yield Label(label)
                        yield Field(id=f"cron-{index}", placeholder="0" if index == 0 else "*", compact=True)
                        yield Static(id=_error_id(f"field.{FIELD_NAMES[index]}"), classes="error")
            with TabPane("Expression", id="mode-expression"):
                examples = "30 2 * * *  ·  */10 * * * * *  ·  @daily  ·  H 3 * * *"
                yield Field(id="in-cron", placeholder=examples, compact=True)
                yield Static(
                    "minute hour day month weekday; seconds first when 6; H picks a value from the name",
                    classes="hint",
                )
        yield Static(id="error-cron", classes="error")
        yield from self._row("timezone", "Zone", self._input("timezone", "IANA zone: Europe/Rome, UTC …"))
        yield Static(id="preview-inline", classes="preview")

    def _job(self) -> ComposeResult:
        yield from self._row("func", "Function", self._input("func", "package.module:function"))
        with Horizontal(classes="row"):
            yield Label("", classes="label")
            yield Checkbox("Save even if this host cannot import it", id="allow-missing", compact=True)
        yield from self._row("args", "Args", self._input("args", 'JSON list, e.g. [1, "x"]'))
        yield from self._row("kwargs", "Kwargs", self._input("kwargs", "JSON object"))
        yield from self._row("queue", "Queue", self._input("queue", "default"))
        yield from self._row("job_timeout", "Timeout", self._input("job_timeout", "seconds; empty: RQ's"))

    def _runs(self) -> ComposeResult:
        yield from self._row("retry_max", "Retries", self._input("retry_max", "0"))
        yield from self._row("retry_intervals", "Backoff", self._input("retry_intervals", "10, 60, 300"))
        overlap = Select(
            [(o.value, o.value) for o in Overlap], id="in-overlap", allow_blank=False, compact=True
        )
        yield from self._row("overlap", "Overlap", overlap)
        misfire = Select(
            [(m.value, m.value) for m in Misfire], id="in-misfire", allow_blank=False, compact=True
        )
        yield from self._row("misfire", "Misfire", misfire)
        yield from self._row("misfire_grace", "Grace", self._input("misfire_grace", "seconds"))
        with Horizontal(classes="row"):
            yield Label("Notify", classes="label")
            for event in ("failure", "success", "late"):
                yield Checkbox(f"on {event}", id=f"flag-notify_on_{event}", compact=True)
        yield from self._row("webhook_url", "Webhook", self._input("webhook_url", "https://…"))
        yield from self._row("tags", "Tags", self._input("tags", "comma, separated"))
        if not self.editing:
            with Horizontal(classes="row"):
                yield Label("", classes="label")
                yield Checkbox("Enabled", id="flag-enabled", value=True, compact=True)

    def _input(self, field: str, placeholder: str) -> Input:
        return Field(id=f"in-{field}", placeholder=placeholder, compact=True)

    def _row(self, field: str, label: str, widget: Input | Select[str]) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(label, classes="label")
            yield widget
        yield Static(id=_error_id(field), classes="error")

    def _presets(self) -> ComposeResult:
        with Horizontal(classes="row"):
            kinds = [(label, kind) for kind, label in KINDS.items()]
            yield Select(kinds, id="preset-kind", prompt="custom expression", compact=True)
            with Horizontal(id="preset-group-every", classes="preset-group"):
                yield Label("every")
                yield Field(id="preset-every", compact=True)
                yield Label("minutes", id="preset-unit")
            with Horizontal(id="preset-group-minute", classes="preset-group"):
                yield Label("at minute")
                yield Field(id="preset-minute", compact=True)
            with Horizontal(id="preset-group-month", classes="preset-group"):
                yield Label("in")
                months = [(name, str(i)) for i, name in enumerate(MONTHS, start=1)]
                yield Select(months, id="preset-month", allow_blank=False, compact=True)
            with Horizontal(id="preset-group-day", classes="preset-group"):
                yield Label("on day")
                yield Field(id="preset-day", placeholder="1-31, L", compact=True)
            with Horizontal(id="preset-group-at", classes="preset-group"):
                yield Label("at")
                yield Field(id="preset-at", placeholder="HH:MM", compact=True)
        with Horizontal(id="preset-group-days", classes="row"):
            for index, day in enumerate(WEEKDAYS):
                yield Checkbox(day.title(), id=f"day-{index}", compact=True)
        for key in ("kind", *PRESET_WIDGETS):
            yield Static(id=_error_id(f"preset.{key}"), classes="error")

    # -- loading

    def on_mount(self) -> None:
        # Found once: a selector matched over the form's 180 widgets took 10-60 ms of every check.
        self._errors = list(self.query(".error"))
        self._fields = list(self.query("#form Input, #form Select"))
        for error in self._errors:
            update_static(cast(Static, error), "")  # known empty: an empty problem is then no redraw
            error.display = False
        for preview in ("#preview-inline", "#preview-wide"):
            update_static(self.query_one(preview, Static), preview_text(None, ""))
        self.load()
        self.load_context()

    def reset(self) -> None:
        """Empty again, as a new form is: the new-schedule form is kept between schedules (tui/kept.py).
        What the last schedule left is written over: every field from NEW (the derived modes by the
        check that follows), the checkboxes NEW does not name, the problems, the preview, the scroll."""
        assert self.editing is None, "only the new-schedule form is kept"
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        dirty = self.dirty
        self.original = None
        self.source = "expression"
        self.generation += 1  # an answer to a draft of the last schedule is dropped
        self.evaluation = None
        self.loaded = self.dirty = self.reveal = self.saving = self._save_when_checked = False
        self.touched = set()
        with self._quiet():
            self.query_one("#flag-enabled", Checkbox).value = True
            self.query_one("#allow-missing", Checkbox).value = False
            for index in range(6):
                self.query_one(f"#cron-{index}", Input).value = ""
            for name in ("every", "minute", "at", "day"):
                self.query_one(f"#preset-{name}", Input).value = ""
            for index in range(7):
                self.query_one(f"#day-{index}", Checkbox).value = False
            self.query_one("#preset-month", Select).value = "1"
        for error in self._errors:
            update_static(cast(Static, error), "")
            error.display = False
        for widget in self._fields:
            widget.remove_class("wrong")
        if dirty:  # untouched, it previews NEW already (the check that follows brings the times up)
            for preview in ("#preview-inline", "#preview-wide"):
                update_static(self.query_one(preview, Static), preview_text(None, ""))
        self.query_one("#form", VerticalScroll).scroll_home(animate=False)
        self._got_schedule(FormLoaded(None, recognise(NEW["cron"]) is not None))
        self.call_after_refresh(self.load_context)

    @work(thread=True, exit_on_error=False, group="form-load")
    def load(self) -> None:
        """The schedule being edited (or NEW), and whether a preset writes its cron."""
        if self.editing is None:
            self.post_message(FormLoaded(None, recognise(NEW["cron"]) is not None))
            return
        try:
            schedule = self.console.services.store.get(self.editing)
        except (ScheduleError, DatabaseError) as exc:
            self.post_message(FormLoaded(None, False, str(exc)))
            return
        original = {name: getattr(schedule, name) for name in NEW}
        self.post_message(FormLoaded(original, recognise(original["cron"]) is not None))

    @work(thread=True, exit_on_error=False, group="form-context")
    def load_context(self) -> None:
        """The other schedules' fire forecast (for busy minutes) and what the fields complete."""
        zones = zone_names()
        try:
            store = self.console.services.store
            busy = forecast(store.sessions, self.console.clock.now(), exclude=self.editing)
            functions, queues = in_use(store.sessions)
        except DatabaseError:
            busy, functions, queues = None, [], []  # the form says so when it checks
        try:
            found = seen(self.console.redis)
        except REDIS_ERRORS:
            pass  # completion is a help, not a need: without Redis, the schedules' own names remain
        else:
            functions += [f for f in found.functions if f not in functions]
            queues += [q for q in found.queues if q not in queues]
        self.post_message(FormContext(busy, functions, queues, zones))

    @on(FormLoaded)
    def _got_schedule(self, message: FormLoaded) -> None:
        if message.error:
            self.notify(message.error, severity="error", timeout=8)
            self.dismiss(None)
            return
        self.original = message.original
        values = message.original or NEW
        texts = texts_of(values)
        with self._quiet():
            self.query_one("#in-name", Input).value = self.editing or ""
            for field, text in texts.items():
                widget = self.query_one(f"#in-{field}")
                if isinstance(widget, Select):
                    widget.value = text
                else:
                    cast(Input, widget).value = text
            for flag in ("notify_on_failure", "notify_on_success", "notify_on_late"):
                self.query_one(f"#flag-{flag}", Checkbox).value = bool(values[flag])
            self.query_one("#in-cron", Input).value = values["cron"]
        self.query_one("#modes", TabbedContent).active = (
            "mode-preset" if message.preset else "mode-expression"
        )
        self._show_preset_inputs(None)
        self.loaded = True
        self._show_title()
        self.query_one("#in-description" if self.editing else "#in-name").focus()
        # Once the form shows: a check's thread takes turns with the loop while it runs.
        self.call_after_refresh(self._check_now)

    @on(FormContext)
    def _got_context(self, message: FormContext) -> None:
        self.busy = message.busy
        self.query_one("#in-timezone", Input).suggester = SuggestFromList(message.zones, case_sensitive=False)
        self.query_one("#in-func", Input).suggester = SuggestFromList(message.functions, case_sensitive=False)
        self.query_one("#in-queue", Input).suggester = SuggestFromList(message.queues, case_sensitive=False)
        if self.loaded:
            self._check_now()  # the busy-minute warning can show now

    def _show_title(self) -> None:
        parts = [self._title(), line("ctrl+s saves once valid"), line("esc cancels")]
        if self.console.settings.read_only:
            parts.append(line(("read-only: saving is refused", "bold")))
        update_static(self.query_one("#form-title", Static), SEPARATOR.join(parts), layout=False)

    def _title(self) -> Content:
        return (
            line(("Edit schedule", "bold"), f" {self.editing}")
            if self.editing
            else line(("New schedule", "bold"))
        )

    # -- typing

    def _quiet(self) -> Any:
        """Changes made here, not typed: no Changed messages, so they are not taken for the operator's."""
        return self.prevent(Input.Changed, Select.Changed, Checkbox.Changed)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _typed(self, event: Input.Changed | Select.Changed | Checkbox.Changed) -> None:
        if not self.loaded:
            return
        widget_id = event.control.id or ""
        if widget_id.startswith(("preset-", "day-")):
            self.source = "preset"
            if widget_id == "preset-kind":
                self._show_preset_inputs(None)
        elif widget_id.startswith("cron-"):
            self.source = "fields"
        elif widget_id == "in-cron":
            self.source = "expression"
        self.dirty = True
        self._touch(widget_id)
        self.generation += 1
        self._show_state()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self._check_now)

    def _touch(self, widget_id: str) -> None:
        """Problems show at a field once the operator has typed in it (all of them after Save)."""
        if widget_id.startswith(("preset-", "day-")):
            self.touched |= {"cron", *(f"preset.{name}" for name in ("kind", *PRESET_WIDGETS))}
        elif widget_id.startswith("cron-"):
            self.touched |= {"cron", _field_of(widget_id)}
        elif key := _field_of(widget_id):
            self.touched.add(key)

    def _draft(self) -> Draft:
        texts = {}
        for field in LABELS:
            if field in ("name", "cron"):
                continue
            widget = self.query_one(f"#in-{field}")
            texts[field] = str(widget.value) if isinstance(widget, Select) else cast(Input, widget).value
        flags = {
            flag.id.removeprefix("flag-"): flag.value
            for flag in self.query(Checkbox)
            if flag.id and flag.id.startswith("flag-")
        }
        kind = self.query_one("#preset-kind", Select).value
        days = ",".join(
            day for index, day in enumerate(WEEKDAYS) if self.query_one(f"#day-{index}", Checkbox).value
        )
        preset_inputs = {
            name: self.query_one(f"#preset-{name}", Input).value for name in ("every", "minute", "at", "day")
        }
        preset_inputs |= {"month": str(self.query_one("#preset-month", Select).value), "days": days}
        return Draft(
            name=self.query_one("#in-name", Input).value,
            texts=texts,
            flags=flags,
            source=self.source,
            expression=self.query_one("#in-cron", Input).value,
            fields=tuple(self.query_one(f"#cron-{i}", Input).value for i in range(6)),
            preset_kind=kind if isinstance(kind, str) else "",
            preset_inputs=preset_inputs,
        )

    def _check_now(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.check(self._draft(), self.generation, self.query_one("#allow-missing", Checkbox).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="form-check")
    def check(self, draft: Draft, generation: int, allow_missing: bool) -> None:
        """Evaluate the draft with the store's checks; a newer keystroke's answer replaces this one."""
        try:
            store = self.console.services.store
            check = partial(store.check, editing=self.editing is not None, allow_missing=allow_missing)
            evaluation = evaluate(draft, now=self.console.clock.now(), check=check, busy=self.busy)
        except DatabaseError as exc:
            self.post_message(DraftChecked(generation, None, str(exc), draft))
            return
        self.post_message(DraftChecked(generation, evaluation, draft=draft))

    @on(DraftChecked)
    def _checked(self, message: DraftChecked) -> None:
        if message.generation != self.generation:
            return  # typed since: its own answer is on the way
        if message.draft is not None and message.draft != self._draft():
            # Typed since, and the change is still on its way up to the form (an answer can overtake
            # it): rewriting the other modes now would rewrite the field typed in, dropping the keys
            # typed after ctrl+u. The change's own answer follows.
            return
        self.checked = message.generation
        self.evaluation = evaluation = message.evaluation
        if evaluation is None:
            self._show_state(message.error)
            return
        with self.app.batch_update():
            self._sync(evaluation)
            self._show_problems(evaluation.problems)
            zone = self.query_one("#in-timezone", Input).value.strip() or "UTC"
            text = preview_text(evaluation, zone)
            update_static(self.query_one("#preview-inline", Static), text)
            update_static(self.query_one("#preview-wide", Static), text)
            self._show_state()
        if self._save_when_checked:
            self._save_when_checked = False
            self.action_save()

    def _sync(self, evaluation: Evaluation) -> None:
        """Show the expression in the modes the operator is not typing in."""
        with self._quiet():
            if self.source != "expression" and evaluation.expression is not None:
                self.query_one("#in-cron", Input).value = evaluation.expression
            if self.source != "fields" and evaluation.fields is not None:
                for index, text in enumerate(evaluation.fields):
                    self.query_one(f"#cron-{index}", Input).value = text
            if self.source != "preset" and evaluation.expression is not None:
                self._set_preset(evaluation.preset)

    def _set_preset(self, preset: Preset | None) -> None:
        kind = self.query_one("#preset-kind", Select)
        if preset is None:
            kind.clear()
        else:
            kind.value = preset.kind
            texts = preset.texts()
            for name in ("every", "minute", "at", "day"):
                self.query_one(f"#preset-{name}", Input).value = texts[name]
            self.query_one("#preset-month", Select).value = texts["month"]
            for index in range(7):
                self.query_one(f"#day-{index}", Checkbox).value = index in preset.days
        self._show_preset_inputs(preset)

    def _show_preset_inputs(self, preset: Preset | None) -> None:
        value = self.query_one("#preset-kind", Select).value
        kind = preset.kind if preset is not None else value if isinstance(value, str) else ""
        shown = INPUTS.get(kind, ())
        for name in PRESET_WIDGETS:
            self.query_one(f"#preset-group-{name}").display = name in shown
        update_static(self.query_one("#preset-unit", Label), "hours" if kind == "hours" else "minutes")

    def _show_problems(self, problems: dict[str, str]) -> None:
        shown = {key: message for key, message in problems.items() if self.reveal or key in self.touched}
        for error in self._errors:
            key = _key_of((error.id or "").removeprefix("error-"))
            update_static(cast(Static, error), literal(shown[key]) if key in shown else "")
            error.display = key in shown
        for widget in self._fields:
            widget.set_class(_field_of(widget.id or "") in shown, "wrong")

    def _show_state(self, error: str = "") -> None:
        """The one-line summary and Save: ready, checking, or what is left to fix."""
        evaluation = self.evaluation
        summary = Text(no_wrap=True, overflow="ellipsis")
        current = self.checked == self.generation and evaluation is not None
        if evaluation is not None and evaluation.expression:
            summary.append(safe(evaluation.expression), style="bold")
            if evaluation.preview is not None:
                summary.append(f"  ·  {safe(evaluation.preview.description)}")
                if evaluation.preview.fires:
                    first = evaluation.preview.fires[0]
                    summary.append(f"  ·  next {first:{_shape(evaluation.preview.fires)}}")
                if evaluation.preview.warnings:
                    count = len(evaluation.preview.warnings)
                    summary.append(f"  ·  ⚠ {count} warning{'s' * (count != 1)}", style="yellow")
        summary.append("\n")
        if error:
            summary.append(f"✗ cannot check: {safe(error)}", style="bold red")
        elif self.saving:
            summary.append("saving…", style="bold")
        elif not self.loaded or not current:
            summary.append("checking…", style="dim")
        elif evaluation is not None and evaluation.problems:
            keys = sorted(evaluation.problems, key=_order)
            summary.append(f"✗ {len(keys)} to fix: ", style="bold red")
            summary.append(", ".join(_label(key) for key in keys))
        else:
            summary.append("✓ ready: ctrl+s saves", style="bold green")
        update_static(self.query_one("#form-summary", Static), summary, layout=False)  # 2 lines, 1fr
        self.query_one("#save", Button).disabled = not self._can_save()

    def _can_save(self) -> bool:
        evaluation = self.evaluation
        return (
            self.loaded
            and not self.saving
            and self.checked == self.generation
            and evaluation is not None
            and evaluation.valid
        )

    # -- saving and leaving

    @on(Button.Pressed, "#save")
    def _pressed(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving or not self.loaded:
            return
        if self.checked != self.generation:
            self._save_when_checked = True  # typed a moment ago: save once that is checked
            if self._timer is not None:
                self._check_now()
            return
        evaluation = self.evaluation
        if evaluation is None or not evaluation.valid:
            self.reveal = True
            if evaluation is not None:
                self._show_problems(evaluation.problems)
            count = len(evaluation.problems) if evaluation is not None else 0
            self.notify(
                f"Not saved: {count} field{'s' * (count != 1)} to fix first", severity="warning", timeout=4
            )
            return
        self.saving = True
        self._show_state()
        self.save(
            self.query_one("#in-name", Input).value.strip(),
            evaluation.values,
            self.query_one("#allow-missing", Checkbox).value,
        )

    @work(thread=True, exit_on_error=False, group="form-save")
    def save(self, name: str, values: dict[str, Any], allow_missing: bool) -> None:
        """Add or edit through the store: audited, refused when read-only; one line either way."""
        services = self.console.services
        try:
            if self.editing is None:
                services.store.add(name, values, allow_missing=allow_missing)
                done = f"{name}: added"
            else:
                changed = changes(values, self.original or {})
                if changed:
                    services.store.edit(name, changed, allow_missing=allow_missing)
                done = (
                    f"{name}: changed {', '.join(sorted(changed))}" if changed else f"{name}: nothing changed"
                )
        except (ScheduleError, ReadOnlyError, DatabaseError) as exc:
            self.app.call_from_thread(self._save_failed, str(exc))
            return
        self.app.call_from_thread(self._saved, name, done)

    def _saved(self, name: str, text: str) -> None:
        self.notify(text, timeout=6)
        self.dismiss(name)

    def _save_failed(self, error: str) -> None:
        self.saving = False
        self._show_state()
        self.notify(f"Not saved: {error}", severity="error", timeout=8)

    def action_no_quit(self) -> None:
        self.notify("q does not leave a form: esc closes it (asking before it drops changes), ctrl+s saves",
                    timeout=4)  # fmt: skip

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        what = f"your changes to {self.editing}" if self.editing else "this new schedule"
        self.app.push_screen(ConfirmScreen(line(f"Discard {what}?")), answered)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in a check or a save must not leave the form stuck: say so."""
        if event.state == WorkerState.ERROR and event.worker.group.startswith("form-"):
            self.notify(f"{event.worker.group} failed: {event.worker.error!r}", severity="error", timeout=10)
            if event.worker.group == "form-save":
                self.saving = False
                self._show_state()


def _shape(fires: tuple[datetime, ...]) -> str:
    """How fire times are written: with seconds only when some fall between minutes."""
    return "%a %m-%d %H:%M:%S %Z" if any(fire.second for fire in fires) else "%a %m-%d %H:%M %Z"


def _key_of(error_key: str) -> str:
    """The problem key an error line stands for ('preset-at' -> 'preset.at')."""
    for prefix in ("preset-", "field-"):
        if error_key.startswith(prefix):
            return prefix[:-1] + "." + error_key.removeprefix(prefix)
    return error_key


def _field_of(widget_id: str) -> str:
    """The problem key of a widget, '' for those without one of their own."""
    if widget_id.startswith("in-"):
        return widget_id.removeprefix("in-")
    if widget_id.startswith("cron-"):
        return "field." + FIELD_NAMES[int(widget_id.removeprefix("cron-"))]
    if widget_id.startswith("preset-") and widget_id != "preset-unit":
        return "preset." + widget_id.removeprefix("preset-")
    return ""


def _order(key: str) -> int:
    return FORM_ORDER.index(key) if key in FORM_ORDER else len(FORM_ORDER)
