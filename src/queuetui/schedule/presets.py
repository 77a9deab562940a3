"""The three ways the schedule form writes a cron expression, and the way between them.

A preset ("daily at 02:30", "weekly on MON,FRI at 09:00") turns into an expression, and an expression
that one of them would write is recognised back, so the form's modes show the same schedule. The
six fields (seconds, minute, hour, day of month, month, day of week) split from and join into an
expression, each checked on its own with cron's own reader so its error can sit at that field.
Nothing here touches a database or a clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from queuetui.schedule.cron import ALIASES, CronError, parse

KINDS: dict[str, str] = {
    "minutes": "Every N minutes",
    "hours": "Every N hours",
    "daily": "Daily",
    "weekdays": "Weekdays, Mon-Fri",
    "weekly": "Weekly on days",
    "monthly": "Monthly on a day",
    "yearly": "Yearly on a date",
}
INPUTS: dict[str, tuple[str, ...]] = {
    "minutes": ("every",),
    "hours": ("every", "minute"),
    "daily": ("at",),
    "weekdays": ("at",),
    "weekly": ("days", "at"),
    "monthly": ("day", "at"),
    "yearly": ("month", "day", "at"),
}
"""The preset inputs each kind reads, in the order the form shows them."""
EVERY: dict[str, tuple[int, ...]] = {
    "minutes": (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30),
    "hours": (1, 2, 3, 4, 6, 8, 12),
}
"""Steps that divide the hour or the day evenly: '*/45' fires at :00 and :45, not every 45 minutes."""
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
FIELD_NAMES = ("second", "minute", "hour", "day-of-month", "month", "day-of-week")
"""The six fields as cron's errors name them, seconds first."""

_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_STEP = re.compile(r"\*/(\d+)")
_NUMBER = re.compile(r"\d{1,2}")
_MINUTE_STEP = re.compile(r"(?:\*|0|0-59)/(\d+)")


@dataclass(frozen=True)
class Preset:
    kind: str
    every: int = 1
    """Minutes or hours between fires (minutes, hours)."""
    minute: int = 0
    hour: int = 0
    days: tuple[int, ...] = (1,)
    """Days of the week, 0 = Sunday (weekly)."""
    day: str = "1"
    """Day of the month, 1 to 31 or L for the last (monthly, yearly)."""
    month: int = 1

    def texts(self) -> dict[str, str]:
        """The preset's inputs as the form shows them."""
        return {
            "every": str(self.every),
            "minute": str(self.minute),
            "at": f"{self.hour:02d}:{self.minute:02d}",
            "days": ",".join(WEEKDAYS[d] for d in self.days),
            "day": self.day,
            "month": str(self.month),
        }


def to_expression(preset: Preset) -> str:
    """The five-field expression the preset stands for."""
    m, h = preset.minute, preset.hour
    if preset.kind == "minutes":
        return "* * * * *" if preset.every == 1 else f"*/{preset.every} * * * *"
    if preset.kind == "hours":
        return f"{m} * * * *" if preset.every == 1 else f"{m} */{preset.every} * * *"
    if preset.kind == "daily":
        return f"{m} {h} * * *"
    if preset.kind == "weekdays":
        return f"{m} {h} * * MON-FRI"
    if preset.kind == "weekly":
        return f"{m} {h} * * {','.join(WEEKDAYS[d] for d in sorted(set(preset.days)))}"
    if preset.kind == "monthly":
        return f"{m} {h} {preset.day} * *"
    if preset.kind == "yearly":
        return f"{m} {h} {preset.day} {preset.month} *"
    raise ValueError(f"unknown preset kind {preset.kind!r}")


def read_preset(kind: str, texts: Mapping[str, str]) -> tuple[Preset | None, dict[str, str]]:
    """The preset the form's inputs describe, or None and the problem at each input that is wrong."""
    if kind not in KINDS:
        return None, {"kind": f"choose one of: {', '.join(KINDS.values())}"}
    problems: dict[str, str] = {}
    values: dict[str, Any] = {"kind": kind}
    for name in INPUTS[kind]:
        text = texts.get(name, "").strip()
        try:
            values.update(_read_input(kind, name, text))
        except ValueError as exc:
            problems[name] = str(exc)
    if problems:
        return None, problems
    return Preset(**values), {}


def _read_input(kind: str, name: str, text: str) -> dict[str, Any]:
    if name == "every":
        allowed = EVERY[kind]
        if not text.isdigit() or int(text) not in allowed:
            raise ValueError(f"one of {', '.join(map(str, allowed))} (they divide the {kind[:-1]} evenly)")
        return {"every": int(text)}
    if name == "minute":
        if not _NUMBER.fullmatch(text) or int(text) > 59:
            raise ValueError("a minute past the hour, 0 to 59")
        return {"minute": int(text)}
    if name == "at":
        match = _TIME.fullmatch(text)
        if match is None or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError("a time of day, HH:MM from 00:00 to 23:59")
        return {"hour": int(match[1]), "minute": int(match[2])}
    if name == "days":
        days = set()
        for word in (w.strip().upper() for w in text.replace(" ", ",").split(",") if w.strip()):
            if word not in WEEKDAYS:
                raise ValueError(f"{word!r} is not a day: use {','.join(WEEKDAYS)}")
            days.add(WEEKDAYS.index(word))
        if not days:
            raise ValueError("choose at least one day")
        return {"days": tuple(sorted(days))}
    if name == "day":
        if text.upper() == "L":
            return {"day": "L"}
        if not _NUMBER.fullmatch(text) or not 1 <= int(text) <= 31:
            raise ValueError("a day of the month, 1 to 31, or L for the last")
        return {"day": str(int(text))}
    if name == "month":
        word = text.upper()
        month = MONTHS.index(word) + 1 if word in MONTHS else int(word) if word.isdigit() else 0
        if not 1 <= month <= 12:
            raise ValueError("a month, 1 to 12 or JAN to DEC")
        return {"month": month}
    raise ValueError(f"unknown preset input {name!r}")


def recognise(expression: str) -> Preset | None:
    """The preset that writes this schedule, or None when none does (H, lists of hours, L in weekdays...)."""
    fields = split(expression)
    if fields is None or any(term.startswith("H") for field in fields for term in field.split(",")):
        return None
    second, minute, hour, dom, month, dow = (f.upper() for f in fields)
    if second not in ("", "0"):
        return None
    try:
        cron = parse(join(fields))
    except CronError:
        return None
    if (dom, month) == ("*", "*") and (dow == "*" or cron.weekdays):
        if hour == "*" and dow == "*":
            if minute == "*":
                return Preset("minutes")
            step = _STEP.fullmatch(minute)
            if step and int(step[1]) in EVERY["minutes"]:
                return Preset("minutes", every=int(step[1]))
            if _NUMBER.fullmatch(minute):
                return Preset("hours", minute=int(minute))
            return None
        if not _NUMBER.fullmatch(minute):
            return None
        step = _STEP.fullmatch(hour)
        if step and dow == "*" and int(step[1]) in EVERY["hours"]:
            return Preset("hours", every=int(step[1]), minute=int(minute))
        if not _NUMBER.fullmatch(hour):
            return None
        at: dict[str, Any] = {"minute": int(minute), "hour": int(hour)}
        if dow == "*":
            return Preset("daily", **at)
        if "L" in dow or "#" in dow:
            return None
        if cron.weekdays == frozenset(range(1, 6)):
            return Preset("weekdays", **at)
        return Preset("weekly", days=tuple(sorted(cron.weekdays)), **at)
    if not (_NUMBER.fullmatch(minute) and _NUMBER.fullmatch(hour)) or dow != "*":
        return None
    if not (_NUMBER.fullmatch(dom) or dom == "L"):
        return None
    day = dom if dom == "L" else str(int(dom))
    on: dict[str, Any] = {"minute": int(minute), "hour": int(hour), "day": day}
    if month == "*":
        return Preset("monthly", **on)
    if len(cron.months) == 1 and "," not in month and "-" not in month and "/" not in month:
        return Preset("yearly", month=next(iter(cron.months)), **on)
    return None


def split(expression: str) -> tuple[str, ...] | None:
    """The six fields of an expression (seconds '' when it has five); None unless it has 5 or 6."""
    words = expression.split()
    if len(words) == 1 and words[0].lower() in ALIASES:
        words = ALIASES[words[0].lower()].split()
    if len(words) == 5:
        return ("", *words)
    if len(words) == 6:
        return tuple(words)
    return None


def join(fields: tuple[str, ...] | list[str]) -> str:
    """The expression of six fields: five when the seconds are empty or 0."""
    second, *rest = (f.strip() for f in fields)
    return " ".join(rest if second in ("", "0") else [second, *rest])


def field_problems(fields: tuple[str, ...] | list[str], name: str | None = None) -> dict[str, str]:
    """Each of the six fields' problem on its own, by FIELD_NAMES ('' seconds is fine: none), worded
    to sit at the field: "value out of range 0-59", "'FRY' is not a number or a name"."""
    problems: dict[str, str] = {}
    for index, (field, text) in enumerate(zip(FIELD_NAMES, fields, strict=True)):
        text = text.strip()
        if not text:
            if index:
                problems[field] = "required"
            continue
        if " " in text:
            problems[field] = "one field takes no spaces"
            continue
        probe = ["*"] * 6
        probe[index] = text
        try:
            parse(" ".join(probe), name or "-")  # the name only hashes H; any name checks its form
        except CronError as exc:
            # At its field, the message need not name the field, nor the term when it is the whole field.
            problems[field] = str(exc).removeprefix(f"{field} field ").removeprefix(f"'{text}': ")
    return problems


def spread(expression: str) -> str | None:
    """The expression with its minute hashed from the schedule's name ('0 3 * * *' -> 'H 3 * * *',
    '*/15 * * * *' -> 'H/15 * * * *'), or None when its minute is not a fixed one to spread."""
    fields = split(expression)
    if fields is None:
        return None
    minute = fields[1]
    if minute.isdigit():
        hashed = "H"
    elif step := _MINUTE_STEP.fullmatch(minute):
        hashed = f"H/{step[1]}"
    else:
        return None
    return join((fields[0], hashed, *fields[2:]))
