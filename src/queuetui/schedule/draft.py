"""A schedule being written in the console's form: what the operator typed in; the schedule it makes,
each field's problem and what it would do out.

The operator types in one of three modes (a preset, the six fields, the raw expression); the
expression that mode makes is shown in the other two. The values go to ScheduleStore.check, the
checks add and edit make, so the form refuses exactly what saving would. The preview is the English
text, the next fire times in the schedule's zone and in the operator's, and warnings: cron's own
(never fires, fires rarely, a clock change meets it) and a busy minute from the fire forecast, with
the H that would spread it. The console runs this in a thread worker as the operator types; nothing
here touches Redis or a database but through `check`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from queuetui.db.models import Misfire, Overlap
from queuetui.schedule.cron import CronError, describe, get_zone, next_fires, parse, warnings_for
from queuetui.schedule.forecast import Forecast, crowding
from queuetui.schedule.presets import (
    Preset,
    field_problems,
    join,
    read_preset,
    recognise,
    split,
    spread,
    to_expression,
)

MODES = ("preset", "fields", "expression")
NEXT = 10
TEXTS = (
    "description",
    "func",
    "args",
    "kwargs",
    "queue",
    "timezone",
    "job_timeout",
    "retry_max",
    "retry_intervals",
    "overlap",
    "misfire",
    "misfire_grace",
    "webhook_url",
    "tags",
)
"""The store fields the form holds as text, besides the cron expression."""
FLAGS = ("notify_on_failure", "notify_on_success", "notify_on_late", "enabled")
NEW: dict[str, Any] = {
    "description": "",
    "func": "",
    "args": [],
    "kwargs": {},
    "cron": "0 3 * * *",
    "timezone": "UTC",
    "queue": "default",
    "job_timeout": None,
    "retry_max": 0,
    "retry_intervals": [],
    "overlap": Overlap.ALLOW.value,
    "misfire": Misfire.RUN_ONCE.value,
    "misfire_grace": 3600,
    "webhook_url": "",
    "tags": [],
    "notify_on_failure": False,
    "notify_on_success": False,
    "notify_on_late": False,
    "enabled": True,
}
"""What a new schedule starts as (the store's defaults, and a cron to change)."""

Check = Callable[[str, dict[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class Draft:
    name: str
    texts: Mapping[str, str]
    """TEXTS as typed."""
    flags: Mapping[str, bool]
    source: str = "expression"
    """The mode typed in last: its text makes the expression."""
    expression: str = ""
    fields: tuple[str, ...] = ("",) * 6
    """Seconds, minute, hour, day of month, month, day of week."""
    preset_kind: str = ""
    preset_inputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Preview:
    description: str
    concrete: str
    """The expression as evaluated (aliases expanded, H resolved)."""
    fires: tuple[datetime, ...]
    """The next fire times, in the schedule's zone."""
    local: tuple[datetime, ...]
    """The same instants in the operator's zone."""
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    expression: str | None
    """The expression the draft makes; None while its mode cannot make one."""
    fields: tuple[str, ...] | None
    """The expression's six fields; None when it has not 5 or 6."""
    preset: Preset | None
    """The preset that writes the expression; None when none does."""
    values: dict[str, Any]
    """The schedule in the store's terms (fields whose text cannot be read are left out)."""
    problems: dict[str, str]
    """By form field: 'name', a store field, 'preset.<input>' or 'field.<cron field>'."""
    preview: Preview | None

    @property
    def valid(self) -> bool:
        return not self.problems


def texts_of(values: Mapping[str, Any]) -> dict[str, str]:
    """A schedule's fields (a Schedule's, or NEW) as the form shows them."""
    out: dict[str, str] = {}
    for name in TEXTS:
        value = values.get(name)
        if name in ("args", "kwargs"):
            out[name] = json.dumps(value if value is not None else NEW[name])
        elif name in ("retry_intervals", "tags"):
            out[name] = ", ".join(map(str, value or []))
        else:
            out[name] = "" if value is None else str(value)
    return out


def changes(values: Mapping[str, Any], original: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from the schedule's (what an edit sends, and the audit records)."""
    return {
        name: value for name, value in values.items() if name != "enabled" and original.get(name) != value
    }


def evaluate(
    draft: Draft,
    *,
    now: datetime,
    check: Check | None = None,
    busy: Forecast | None = None,
    operator_zone: tzinfo | None = None,
) -> Evaluation:
    """Everything the form shows about a draft. `check` is the store's (ScheduleStore.check, bound to
    add or edit); `busy` the fire forecast of the other schedules; `operator_zone` defaults to local."""
    problems: dict[str, str] = {}
    expression: str | None = draft.expression.strip()
    if draft.source == "preset":
        preset, wrong = read_preset(draft.preset_kind, draft.preset_inputs)
        problems.update({f"preset.{name}": message for name, message in wrong.items()})
        expression = to_expression(preset) if preset else None
    elif draft.source == "fields":
        wrong = field_problems(draft.fields, draft.name.strip() or None)
        problems.update({f"field.{name}": message for name, message in wrong.items()})
        expression = None if wrong else join(draft.fields)
    values, wrong = _values(draft)
    problems.update(wrong)
    values["cron"] = expression or ""
    if check is not None:
        for name, message in check(draft.name, values).items():
            if name == "cron" and expression is None:
                continue  # the preset input or cron field at fault says why already
            problems.setdefault(name, message)
    preview = None
    if expression and not {"cron", "timezone"} & set(problems):
        preview = _preview(expression, draft, now, busy, operator_zone)
    fields = split(expression) if expression else None
    return Evaluation(
        expression, fields, recognise(expression) if expression else None, values, problems, preview
    )


def _preview(
    expression: str, draft: Draft, now: datetime, busy: Forecast | None, operator_zone: tzinfo | None
) -> Preview | None:
    try:
        cron = parse(expression, draft.name.strip())
        zone = get_zone(draft.texts.get("timezone", "").strip() or "UTC")
    except CronError:
        return None
    fires = tuple(next_fires(cron, zone, now, NEXT))
    warnings = warnings_for(cron, zone, now)
    crowd = crowding(busy, cron, zone) if busy is not None else None
    if crowd is not None:
        at = crowd.minute.astimezone(zone)
        text = (
            f"busy minute: {crowd.others} other fire{'s' * (crowd.others != 1)} at {at:%a %H:%M %Z} "
            f"(a typical minute has {crowd.typical})"
        )
        hashed = spread(cron.source)
        if hashed is not None:
            text += f"; '{hashed}' spreads the load (H picks the minute from the schedule's name)"
        warnings.append(text)
    return Preview(
        description=describe(cron),
        concrete=cron.expression,
        fires=fires,
        local=tuple(fire.astimezone(operator_zone) for fire in fires),
        warnings=tuple(warnings),
    )


def _values(draft: Draft) -> tuple[dict[str, Any], dict[str, str]]:
    """The texts in the store's terms, and the problems of those that cannot be read at all."""
    texts = {name: draft.texts.get(name, "").strip() for name in TEXTS}
    values: dict[str, Any] = {
        name: texts[name]
        for name in ("description", "func", "queue", "timezone", "overlap", "misfire", "webhook_url")
    }
    problems: dict[str, str] = {}
    for name, blank in (("args", "[]"), ("kwargs", "{}")):
        try:
            values[name] = json.loads(texts[name] or blank)
        except json.JSONDecodeError:
            values[name] = texts[name]  # the store's check says where the JSON breaks
    numbers: tuple[tuple[str, int | None, str], ...] = (
        ("job_timeout", None, "a whole number of seconds, or empty for RQ's default"),
        ("retry_max", 0, "how many retries after a failure, a whole number"),
        ("misfire_grace", NEW["misfire_grace"], "a whole number of seconds"),
    )
    for name, empty, meaning in numbers:
        text = texts[name]
        if not text:
            values[name] = empty
        elif text.isascii() and text.isdigit():
            values[name] = int(text)
        else:
            problems[name] = meaning
    intervals = [
        part.strip() for part in texts["retry_intervals"].replace(" ", ",").split(",") if part.strip()
    ]
    if all(part.isascii() and part.isdigit() for part in intervals):
        values["retry_intervals"] = [int(part) for part in intervals]
    else:
        problems["retry_intervals"] = "seconds before each retry, e.g. 10, 60, 300"
    values["tags"] = sorted({tag.strip() for tag in texts["tags"].split(",") if tag.strip()})
    values.update({name: bool(draft.flags.get(name, NEW[name])) for name in FLAGS})
    return values, problems
