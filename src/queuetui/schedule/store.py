"""Schedules as operators change them: validated, saved whole or not at all, audited.

Every change goes through Audit.mutation (refused when read-only, recorded either way) and one
transaction: a bad field raises ScheduleError naming it and nothing is saved. The next fire time
is computed here from the cron expression and zone, so the scheduler selects due schedules by an
indexed column and never evaluates every expression on each tick.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from queuetui.audit import Audit, Pending
from queuetui.clock import SYSTEM, Clock
from queuetui.db.engine import session_scope
from queuetui.db.models import Misfire, Overlap, Schedule, ScheduleRun
from queuetui.errors import ScheduleError as ScheduleError
from queuetui.schedule.cron import CronError, get_zone, parse


def _json(field: str, kind: type, text: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScheduleError(f"{field}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, kind):
        raise ScheduleError(f"{field}: expected a JSON {'list' if kind is list else 'object'}")
    return value


def _non_negative(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScheduleError(f"{field}: expected a whole number of seconds >= 0, got {value!r}")
    return value


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ScheduleError(f"{field}: expected text, got {value!r}")
    return value


def _flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ScheduleError(f"{field}: expected true or false, got {value!r}")
    return value


def _structured(field: str, kind: type, value: Any) -> Any:
    """A list or object, given as itself or as JSON text."""
    value = _json(field, kind, value) if isinstance(value, str) else value
    if not isinstance(value, kind):
        raise ScheduleError(f"{field}: expected a {'list' if kind is list else 'JSON object'}, got {value!r}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:  # a TOML date, NaN: the JSON column could not store it
        raise ScheduleError(f"{field}: not JSON ({exc})") from None
    return value


def _choice(field: str, value: Any, choices: type[Overlap] | type[Misfire]) -> str:
    allowed = [c.value for c in choices]
    if value not in allowed:
        raise ScheduleError(f"{field}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _function_reference(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScheduleError("func: expected 'package.module:function'")
    ref = value.strip()
    module, name = _split(ref)
    if not module or not name or not all(p.isidentifier() for p in [*module.split("."), *name.split(".")]):
        raise ScheduleError(f"func: {ref!r} is not 'package.module:function'")
    return ref


def _split(ref: str) -> tuple[str, str]:
    """('package.module', 'function') from 'package.module:function' or 'package.module.function'."""
    module, _, name = ref.partition(":") if ":" in ref else ref.rpartition(".")
    return module, name


def importable(ref: str) -> str:
    """Why the function `ref` cannot be imported here ('' when it can). Imports its module."""
    module, name = _split(ref)
    try:
        target: Any = importlib.import_module(module)
    except Exception as exc:  # the operator's module may raise anything on import
        return f"cannot import module {module!r} ({type(exc).__name__}: {exc})"
    for part in name.split("."):
        if not hasattr(target, part):
            return f"module {module!r} has no {name!r}"
        target = getattr(target, part)
    return "" if callable(target) else f"{ref!r} is not callable"


# Fields an operator may set, each with its check. A check returns the value to store.
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "description": lambda v: _text("description", v),
    "func": _function_reference,
    "args": lambda v: _structured("args", list, v),
    "kwargs": lambda v: _structured("kwargs", dict, v),
    "cron": lambda v: _text("cron", v),
    "timezone": lambda v: _text("timezone", v),
    "queue": lambda v: _text("queue", v),
    "job_timeout": lambda v: None if v is None else _non_negative("job_timeout", v),
    "result_ttl": lambda v: None if v is None else _non_negative("result_ttl", v),
    "failure_ttl": lambda v: None if v is None else _non_negative("failure_ttl", v),
    "retry_max": lambda v: _non_negative("retry_max", v),
    "retry_intervals": lambda v: [
        _non_negative("retry_intervals", s) for s in _structured("retry_intervals", list, v)
    ],
    "enabled": lambda v: _flag("enabled", v),
    "overlap": lambda v: _choice("overlap", v, Overlap),
    "misfire": lambda v: _choice("misfire", v, Misfire),
    "misfire_grace": lambda v: _non_negative("misfire_grace", v),
    "tags": lambda v: sorted({str(t) for t in _structured("tags", list, v)}),
    "tenant": lambda v: _text("tenant", v),
    "meta": lambda v: _structured("meta", dict, v),
    "notify_on_failure": lambda v: _flag("notify_on_failure", v),
    "notify_on_success": lambda v: _flag("notify_on_success", v),
    "notify_on_late": lambda v: _flag("notify_on_late", v),
    "webhook_url": lambda v: _webhook(v),
    "keep_runs": lambda v: None if v is None else _non_negative("keep_runs", v),
    "keep_days": lambda v: None if v is None else _non_negative("keep_days", v),
}
FIELDS = tuple(_CHECKS)
REQUIRED = ("func", "cron")
MISSING_HINT = " (pass --allow-missing to save it anyway)"
"""Fields a new schedule must be given; the rest have defaults."""
_LENGTHS = {
    column.name: column.type.length
    for column in Schedule.__table__.columns
    if isinstance(column.type, String) and column.type.length
}


def check_name(name: Any) -> str:
    """The schedule name to store (stripped); ScheduleError when it is empty or too long."""
    if not isinstance(name, str) or not name.strip():
        raise ScheduleError("name: must not be empty")
    return _fits("name", name.strip())


def _fits(field: str, value: Any) -> Any:
    limit = _LENGTHS.get(field)
    if limit and isinstance(value, str) and len(value) > limit:
        raise ScheduleError(f"{field}: longer than {limit} characters")
    return value


def check_fields(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[ScheduleError]]:
    """Each given field through its check: the values to store, and one error per field that fails."""
    clean: dict[str, Any] = {}
    errors: list[ScheduleError] = []
    for field, value in values.items():
        if field not in _CHECKS:
            errors.append(ScheduleError(f"{field}: not a schedule field"))
            continue
        try:
            clean[field] = _fits(field, _CHECKS[field](value))
        except ScheduleError as exc:
            errors.append(exc)
    return clean, errors


def check_schedule(
    name: str,
    cron: str | None,
    timezone: str | None,
    queue: str | None,
    func: str | None,
    function_problem: Callable[[str], str] = importable,
    hint: str = " (pass --allow-missing to save it anyway)",
) -> list[ScheduleError]:
    """What is wrong with the fields taken together: the cron (H hashed from `name`), the zone, the
    queue, and the function (`function_problem` says why it cannot be imported). None skips a field."""
    errors = []
    try:
        if timezone is not None:
            get_zone(timezone)
    except CronError as exc:
        errors.append(ScheduleError(f"timezone: {exc}"))
    try:
        if cron is not None:
            parse(cron, name)
    except CronError as exc:
        errors.append(ScheduleError(f"cron: {exc}"))
    if queue is not None and not queue.strip():
        errors.append(ScheduleError("queue: must not be empty"))
    if func is not None and (problem := function_problem(func)):
        errors.append(ScheduleError(f"func: {problem}{hint}"))
    return errors


_TOGETHER = ("func", "cron", "timezone", "queue")  # checked whole: an edit of one is checked with the rest


def problems(values: Mapping[str, Any], *, name: str, imports: bool = True, hint: str = "") -> dict[str, str]:
    """What add and edit would refuse in a schedule of these values, by field, in the order they
    check: every check but the unique name, without a database. `imports` imports the function (its
    module runs); `hint` follows a function that cannot be imported. Empty when nothing is wrong.
    """
    return _checked(values, name=name, imports=imports, hint=hint)[1]


def _checked(
    values: Mapping[str, Any], *, name: str, imports: bool, hint: str = ""
) -> tuple[dict[str, Any], dict[str, str]]:
    """The values as they are stored, and each field's problem (the message after 'field: ')."""
    found: dict[str, str] = {}

    def note(errors: list[ScheduleError]) -> None:
        for error in errors:
            field, _, message = str(error).partition(": ")
            found.setdefault(field, message)

    try:
        check_name(name)
    except ScheduleError as exc:
        note([exc])
    for field in REQUIRED:
        if not values.get(field):
            found[field] = "required"
    clean, errors = check_fields({k: v for k, v in values.items() if k not in found})
    note(errors)

    def usable(field: str) -> Any:
        return clean.get(field) if field not in found else None

    func = usable("func") if imports else None
    note(check_schedule(name, usable("cron"), usable("timezone"), usable("queue"), func, hint=hint))
    return clean, found


def _refuse(found: Mapping[str, str]) -> None:
    """Raise the first problem found, as ScheduleError naming its field."""
    for field, message in found.items():
        raise ScheduleError(f"{field}: {message}")


def _webhook(value: Any) -> str:
    url = str(value or "")
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise ScheduleError(f"webhook_url: {url!r} is not an http(s) URL")
    return url


def fire_clock(schedule: Schedule) -> Callable[[datetime], datetime | None]:
    """The schedule's next-fire function, its cron parsed once: instant -> next fire time in UTC."""
    cron, zone = parse(schedule.cron, schedule.name), get_zone(schedule.timezone)

    def following(after: datetime) -> datetime | None:
        fire = cron.next_fire(after, zone)
        return None if fire is None else fire.astimezone(UTC)

    return following


def next_fire(schedule: Schedule, after: datetime) -> datetime | None:
    """The schedule's first fire time strictly after `after`, in UTC (None if it never fires)."""
    return fire_clock(schedule)(after)


class ScheduleStore:
    def __init__(self, sessions: sessionmaker[Session], audit: Audit, clock: Clock = SYSTEM) -> None:
        self.sessions = sessions
        self.audit = audit
        self.clock = clock

    def schedules(self) -> list[Schedule]:
        """Every schedule, by name."""
        with session_scope(self.sessions) as session:
            return list(session.scalars(select(Schedule).order_by(Schedule.name)))

    def get(self, name: str) -> Schedule:
        with session_scope(self.sessions) as session:
            return self._get(session, name)

    def history(self, name: str, limit: int = 50) -> list[ScheduleRun]:
        """The schedule's runs, newest fire time first."""
        with session_scope(self.sessions) as session:
            schedule = self._get(session, name)
            query = (
                select(ScheduleRun)
                .where(ScheduleRun.schedule_id == schedule.id)
                .order_by(ScheduleRun.fire_time.desc(), ScheduleRun.id.desc())
                .limit(limit)
            )
            return list(session.scalars(query))

    def add(self, name: str, values: dict[str, Any], *, allow_missing: bool = False) -> Schedule:
        """Create a schedule; ScheduleError (naming the field) if anything is wrong, nothing saved."""
        name = name.strip() if isinstance(name, str) else name
        values = {"timezone": "UTC", "queue": "default", **values}
        clean, found = _checked(values, name=name, imports=not allow_missing, hint=MISSING_HINT)
        _refuse({f: m for f, m in found.items() if f == "name" or m == "required"})  # not even an attempt
        with self.audit.mutation("schedule.add", target=name) as entry:
            _refuse(found)
            now = self.clock.now()
            schedule = Schedule(name=name, created_at=now, updated_at=now, created_by=self.audit.actor.user)
            for field, value in clean.items():
                setattr(schedule, field, value)
            schedule.updated_by = self.audit.actor.user
            schedule.next_fire_at = next_fire(schedule, now)
            with session_scope(self.sessions) as session:
                if session.scalar(select(Schedule.id).where(Schedule.name == name)) is not None:
                    raise ScheduleError(f"name: a schedule named {name!r} already exists")
                session.add(schedule)
                try:
                    session.flush()
                except IntegrityError:
                    raise ScheduleError(f"name: a schedule named {name!r} already exists") from None
            entry.done = 1
            entry.detail["cron"] = schedule.cron
        return schedule

    def check(
        self, name: str, values: dict[str, Any], *, editing: bool = False, allow_missing: bool = False
    ) -> dict[str, str]:
        """What add (edit, when `editing`) would refuse, by field, saving and auditing nothing.

        The console's form asks as the operator types; one indexed query for the name.
        """
        name = name.strip()
        imports = not allow_missing
        base: dict[str, Any] = {"timezone": "UTC", "queue": "default"}
        with session_scope(self.sessions) as session:
            current = session.scalar(select(Schedule).where(Schedule.name == name)) if name else None
            if editing and current is not None:
                base = {f: getattr(current, f) for f in _TOGETHER}
                imports = imports and values.get("func", current.func) != current.func
        if editing and current is None:
            return {"name": f"no schedule named {name!r}"}
        found = problems({**base, **values}, name=name, imports=imports)
        if not editing and current is not None:
            return {"name": f"a schedule named {name!r} already exists", **found}
        return found

    def edit(self, name: str, changes: dict[str, Any], *, allow_missing: bool = False) -> Schedule:
        """Change some fields; the next fire time follows a new cron or zone from now."""
        with self._changing("schedule.edit", name) as (_, schedule, entry):
            before = {f: getattr(schedule, f, None) for f in changes}
            current = {f: getattr(schedule, f) for f in _TOGETHER}
            imports = not allow_missing and "func" in changes
            clean, found = _checked({**current, **changes}, name=name, imports=imports, hint=MISSING_HINT)
            _refuse(found)
            for field in changes:
                setattr(schedule, field, clean[field])
            if {"cron", "timezone"} & set(changes):
                schedule.next_fire_at = next_fire(schedule, self.clock.now())
            entry.detail["changed"] = {f: [before[f], getattr(schedule, f)] for f in changes}
        return schedule

    def remove(self, name: str) -> None:
        """Delete a schedule and its run history (jobs already in Redis stay)."""
        with self._changing("schedule.rm", name) as (session, schedule, _):
            session.delete(schedule)

    def set_enabled(self, name: str, enabled: bool) -> Schedule:
        """Enable or disable; an enabled schedule fires next after now, not for the time it was off."""
        with self._changing("schedule.enable" if enabled else "schedule.disable", name) as (_, schedule, _):
            if enabled and not schedule.enabled:
                schedule.next_fire_at = next_fire(schedule, self.clock.now())
            schedule.enabled = enabled
        return schedule

    def snooze(self, name: str, until: datetime | None) -> Schedule:
        """Skip fire times until `until` (None wakes it now)."""
        with self._changing("schedule.snooze", name) as (_, schedule, entry):
            schedule.snoozed_until = until
            entry.detail["until"] = until.isoformat() if until else None
        return schedule

    @contextmanager
    def _changing(self, action: str, name: str) -> Iterator[tuple[Session, Schedule, Pending]]:
        """One audited change of one schedule, in one transaction."""
        with self.audit.mutation(action, target=name) as entry, session_scope(self.sessions) as session:
            schedule = self._get(session, name)
            yield session, schedule, entry
            schedule.updated_at = self.clock.now()
            schedule.updated_by = self.audit.actor.user
            entry.done = 1

    def _get(self, session: Session, name: str) -> Schedule:
        schedule = session.scalar(select(Schedule).where(Schedule.name == name))
        if schedule is None:
            raise ScheduleError(f"no schedule named {name!r}")
        return schedule
