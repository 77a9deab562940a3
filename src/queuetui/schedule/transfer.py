"""Schedules files: every schedule exported as TOML, JSON or CSV, and such a file imported back.

An import reads the whole file, checks every row with the store's own checks and makes a plan
before anything is written: each row adds a schedule, changes one (field: old -> new) or leaves it
unchanged, matched by name; schedules absent from the file are removed only when asked
(delete_missing), since a file of a few schedules is not a wish to delete the rest. Atomic mode
applies nothing when any row fails; partial mode applies the rows that passed. Either way the
changes are written in one transaction and audited as one mutation, and the import itself (counts,
outcome, and every row error: row, field, value, message) is recorded in schedule_imports.

A key or column a file leaves out is not changed on an existing schedule and takes the usual
default on a new one; every row must give name, func and cron. An empty value ("" or null) of a
nullable number (job_timeout, result_ttl, failure_ttl, keep_runs, keep_days) means none, which is
how TOML, having no null, exports it. In CSV, lists and objects are JSON text in their cell, flags
are true/false, and an empty list or object cell means [] or {}.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import PurePath
from typing import Any

import tomli_w
from sqlalchemy import Boolean, Integer, insert, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from queuetui.audit import ReadOnlyError
from queuetui.db.engine import DatabaseError, session_scope
from queuetui.db.models import Schedule, ScheduleImport, ScheduleImportError
from queuetui.schedule.store import (
    FIELDS,
    REQUIRED,
    ScheduleError,
    ScheduleStore,
    check_fields,
    check_name,
    check_schedule,
    importable,
    next_fire,
)

FORMATS = ("toml", "json", "csv")
COLUMNS = ("name", *FIELDS)
"""What an export writes for each schedule, in this order."""
VALUE_LIMIT = 200
"""Characters of a bad value kept with its error."""
NEW_DEFAULTS = {"timezone": "UTC", "queue": "default"}
"""What a new schedule gets for the fields the cron and function checks read, when a file leaves them out."""

_COLUMNS = {column.name: column for column in Schedule.__table__.columns}
_NULLABLE = {f for f in FIELDS if _COLUMNS[f].nullable}
_INTEGER = {f for f in FIELDS if isinstance(_COLUMNS[f].type, Integer)}
_FLAG = {f for f in FIELDS if isinstance(_COLUMNS[f].type, Boolean)}
_EMPTY: dict[str, Callable[[], Any]] = {
    "args": list,
    "kwargs": dict,
    "meta": dict,
    "tags": list,
    "retry_intervals": list,
}
_ROW_WORDS = {"csv": "line", "toml": "table", "json": "item"}
_NATIVE_IN_TOML = ("args", "kwargs", "meta")
"""Written as TOML values when TOML can hold them (no null inside), else as JSON text."""


class ImportMode(StrEnum):
    ATOMIC = "atomic"  # nothing applied if any row fails
    PARTIAL = "partial"  # the rows that pass applied, the others reported


class ImportConflict(ScheduleError):
    """A schedule changed between the plan and its application: nothing applied; import again."""


class Unreadable(ValueError):
    """The file as a whole cannot be read: not UTF-8, not TOML/JSON/CSV, or missing columns."""


@dataclass(frozen=True)
class RowError:
    row: int | None
    """See ScheduleImportError.row; None for the file as a whole."""
    field: str
    value: str
    message: str


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)
    """What reading found wrong with the row as a whole (a CSV line with the wrong number of cells)."""


@dataclass
class Item:
    """What the import does to one schedule."""

    kind: str  # add | change | unchanged | remove
    name: str
    row: int | None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """field -> (old, new); old is None when added."""
    version: int | None = None
    """The schedule's version when planned: the import refuses to apply over a later change."""


@dataclass
class Plan:
    file: str
    format: str
    rows: int = 0
    items: list[Item] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Schedules absent from the file and kept because delete_missing was not asked."""
    delete_missing: bool = False
    unreadable: bool = False

    def of(self, kind: str) -> list[Item]:
        return [i for i in self.items if i.kind == kind]

    @property
    def failed(self) -> int:
        """Rows with at least one error."""
        return len({e.row for e in self.errors if e.row is not None})


@dataclass
class ImportResult:
    plan: Plan
    run: ScheduleImport
    """The import as recorded; its outcome says whether anything was applied."""

    @property
    def clean(self) -> bool:
        """Applied (or, for a dry run, would apply) without a single failed row."""
        return self.run.outcome in ("applied", "dry run") and not self.plan.errors


def format_of(path: str, given: str | None = None) -> str:
    """The file's format: `given`, else its extension; Unreadable when neither says."""
    if given:
        return given
    suffix = PurePath(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise Unreadable(f"cannot tell the format of {path!r} from its name: give --format toml|json|csv")
    return suffix


def shown(value: Any, limit: int = VALUE_LIMIT) -> str:
    """A value as a person reads it in a diff or an error: text as is, the rest as JSON; shortened."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def row_label(format: str, row: int | None) -> str:
    """'line 7' (CSV), 'table 3' (TOML [[schedule]]), 'item 3' (JSON), 'file' for the whole file."""
    return "file" if row is None else f"{_ROW_WORDS.get(format, 'row')} {row}"


# Export


def export(schedules: Iterable[Schedule], format: str) -> str:
    """The schedules as a file in `format`, in the order given (the store lists them by name)."""
    rows = [{"name": s.name, **{f: getattr(s, f) for f in FIELDS}} for s in schedules]
    if format == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if format == "toml":
        header = '# queuetui schedules; empty numbers ("") mean none. `queuetui schedules import FILE`\n\n'
        return header + tomli_w.dumps({"schedule": [_toml_row(r) for r in rows]})
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([_csv_cell(r[c]) for c in COLUMNS] for r in rows)
        return out.getvalue()
    raise ValueError(f"unknown format {format!r}: expected one of {', '.join(FORMATS)}")


def _toml_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if value is None:
            value = ""
        elif key in _NATIVE_IN_TOML and not _toml_safe(value):
            value = json.dumps(value, ensure_ascii=False)
        out[key] = value
    return out


def _toml_safe(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _toml_safe(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_toml_safe(v) for v in value)
    return value is not None


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# Reading a file


def read(data: bytes, format: str) -> list[Row]:
    """The file's rows as it gives them; Unreadable (one line, with where) when it cannot be read."""
    text = _decode(data)
    if format == "toml":
        rows = _read_toml(text)
    elif format == "json":
        rows = _read_json(text)
    elif format == "csv":
        rows = _read_csv(text)
    else:
        raise Unreadable(f"unknown format {format!r}: expected one of {', '.join(FORMATS)}")
    for row in rows:
        for key in _NULLABLE & row.values.keys():
            if row.values[key] == "":
                row.values[key] = None
    return rows


def _decode(data: bytes) -> str:
    bom = len(b"\xef\xbb\xbf") if data.startswith(b"\xef\xbb\xbf") else 0  # as spreadsheets save UTF-8
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = data.count(b"\n", 0, offset) + 1
        raise Unreadable(
            f"not UTF-8: byte 0x{data[offset]:02x} at offset {offset} (line {line}); save the file as UTF-8"
        ) from None


def _read_toml(text: str) -> list[Row]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Unreadable(f"not valid TOML: {exc}") from None
    others = sorted(set(document) - {"schedule"})
    if others:
        raise Unreadable(f"unexpected top-level key {others[0]!r}: schedules are [[schedule]] tables")
    tables = document.get("schedule", [])
    if not isinstance(tables, list):
        raise Unreadable("'schedule' must be an array of tables, written [[schedule]]")
    return [Row(n, table) for n, table in enumerate(tables, 1)]  # tomllib makes every element a table


def _read_json(text: str) -> list[Row]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(document, list):
        raise Unreadable("expected a JSON list of schedule objects, [{...}, ...]")
    rows = []
    for n, item in enumerate(document, 1):
        if isinstance(item, dict):
            rows.append(Row(n, item))
        else:
            rows.append(Row(n, {}, [RowError(n, "", shown(item), "expected a JSON object")]))
    return rows


def _read_csv(text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[Row] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise Unreadable(
                f"no header line: the first line names the columns, e.g. {','.join(COLUMNS[:4])}"
            )
        _check_header(header)
        start = reader.line_num + 1
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problem = f"{len(cells)} cells where the header has {len(header)}"
                rows.append(Row(number, {}, [RowError(number, "", shown(",".join(cells)), problem)]))
                continue
            rows.append(Row(number, {c: _from_cell(c, v) for c, v in zip(header, cells, strict=True)}))
    except csv.Error as exc:
        raise Unreadable(f"not valid CSV at line {reader.line_num}: {exc}") from None
    return rows


def _check_header(header: list[str]) -> None:
    doubled = sorted({h for h in header if header.count(h) > 1})
    if doubled:
        raise Unreadable(f"column {doubled[0]!r} appears twice in the header")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise Unreadable(f"unknown columns: {', '.join(unknown)} (columns are {', '.join(COLUMNS)})")
    missing = [c for c in ("name", *REQUIRED) if c not in header]
    if missing:
        raise Unreadable(f"missing required columns: {', '.join(missing)}")


_WHOLE = re.compile(r"[+-]?\d+")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


def _from_cell(column: str, cell: str) -> Any:
    """A CSV cell as the value it stands for; a cell that is not one stays text for the check to name."""
    if column in _INTEGER:
        return int(cell) if _WHOLE.fullmatch(cell.strip()) else cell
    if column in _FLAG:
        word = cell.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else cell
    if column in _EMPTY and not cell.strip():
        return _EMPTY[column]()
    return cell


# The plan


def plan(
    store: ScheduleStore,
    file: str,
    format: str,
    rows: list[Row],
    *,
    allow_missing: bool = False,
    delete_missing: bool = False,
) -> Plan:
    """What importing `rows` would do, and every error of every row; reads, never writes."""
    existing = {s.name: s for s in store.schedules()}
    result = Plan(file, format, rows=len(rows), delete_missing=delete_missing)
    first_seen: dict[str, int] = {}
    problems: dict[str, str] = {}

    def function_problem(ref: str) -> str:
        if ref not in problems:  # one import per distinct function, however many rows name it
            problems[ref] = importable(ref)
        return problems[ref]

    nameless = []
    for row in rows:
        errors, name, clean = _check_row(row, existing, first_seen, function_problem, allow_missing, format)
        if errors:
            result.errors.extend(errors)
        if name is None:
            nameless.append(row_label(format, row.number))
        elif not errors:
            result.items.append(_item(row.number, name, clean, existing.get(name)))
    if delete_missing and nameless:
        # A row whose name cannot be read may be meant for any schedule: none is removed as missing.
        more = f" and {len(nameless) - 3} more" if len(nameless) > 3 else ""
        problem = f"nothing removed: no name could be read at {', '.join(nameless[:3])}{more}"
        result.errors.append(RowError(None, "", "", f"--delete-missing: {problem}"))
    for name, schedule in existing.items():
        if name in first_seen:
            continue
        if delete_missing and not nameless:
            result.items.append(Item("remove", name, None, version=schedule.version))
        else:
            result.kept.append(name)
    return result


def _check_row(
    row: Row,
    existing: dict[str, Schedule],
    first_seen: dict[str, int],
    function_problem: Callable[[str], str],
    allow_missing: bool,
    format: str,
) -> tuple[list[RowError], str | None, dict[str, Any]]:
    """The row's errors (with the values as given), its name and its values to store."""
    if row.errors:
        return row.errors, None, {}
    values = dict(row.values)
    found: list[ScheduleError] = []
    name = None
    try:
        name = check_name(values.pop("name", None))
    except ScheduleError as exc:
        found.append(exc)
    if name is not None:
        if name in first_seen:
            where = row_label(format, first_seen[name])
            found.append(ScheduleError(f"name: appears again in the file (first at {where})"))
        else:
            first_seen[name] = row.number
    found += [ScheduleError(f"{f}: required") for f in REQUIRED if f not in values]
    clean, field_errors = check_fields(values)
    found += field_errors
    base = existing.get(name) if name is not None else None

    def merged(key: str) -> Any:
        if key in values:
            return clean.get(key)  # None when the value failed its own check: not checked again
        return getattr(base, key) if base is not None else NEW_DEFAULTS[key]

    func = clean.get("func")
    if allow_missing or (base is not None and base.func == func):
        func = None  # an unchanged function is not imported again: re-importing a file changes nothing
    found += check_schedule(name or "", clean.get("cron"), merged("timezone"), merged("queue"), func,
                            function_problem)  # fmt: skip
    order = {key: n for n, key in enumerate(row.values)}  # errors in the order of the row's own fields
    found.sort(key=lambda exc: order.get(exc.field, -1))
    return [_row_error(row, exc) for exc in found], name, clean


def _row_error(row: Row, exc: ScheduleError) -> RowError:
    key = exc.field
    message = str(exc).removeprefix(f"{key}: ") if key else str(exc)
    value = shown(row.values[key]) if key in row.values else ""
    return RowError(row.number, key, value, message)


def _item(number: int, name: str, clean: dict[str, Any], base: Schedule | None) -> Item:
    if base is None:
        return Item("add", name, number, {f: (None, v) for f, v in clean.items()})
    changes = {f: (getattr(base, f), v) for f, v in clean.items() if not _same(getattr(base, f), v)}
    return Item("change" if changes else "unchanged", name, number, changes, base.version)


def _same(old: Any, new: Any) -> bool:
    """Equal as stored: lists and objects compared as JSON, where 1, 1.0 and true differ."""
    if isinstance(old, list | dict) or isinstance(new, list | dict):
        return json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)
    return bool(old == new) and type(old) is type(new)


# Applying and recording


class _Rejected(Exception):
    """Atomic mode with failed rows: raised inside the audited block so the trail says why."""


def run_import(
    store: ScheduleStore,
    file: str,
    data: bytes,
    format: str,
    *,
    mode: ImportMode = ImportMode.ATOMIC,
    dry_run: bool = False,
    allow_missing: bool = False,
    delete_missing: bool = False,
) -> ImportResult:
    """Read, check, plan and (unless a dry run) apply a schedules file; the import is recorded.

    ReadOnlyError when read-only and not a dry run; ImportConflict when a schedule changed between
    the plan and its application; DatabaseError when the database fails. Nothing is half-written.
    """
    try:
        rows = read(data, format)
    except Unreadable as exc:
        unreadable = Plan(file, format, errors=[RowError(None, "", "", str(exc))], unreadable=True)
        return ImportResult(unreadable, _record_alone(store, unreadable, mode, dry_run, "unreadable"))
    planned = plan(store, file, format, rows, allow_missing=allow_missing, delete_missing=delete_missing)
    if dry_run:
        return ImportResult(planned, _record_alone(store, planned, mode, True, "dry run"))
    return apply(store, planned, mode)


def apply(store: ScheduleStore, planned: Plan, mode: ImportMode = ImportMode.ATOMIC) -> ImportResult:
    """Apply a plan as shown (a schedule changed since is an ImportConflict), in one transaction."""
    failed = planned.failed
    with_errors = "partly applied" if planned.errors else "applied"
    what = f"{mode.value}, delete missing" if planned.delete_missing else mode.value
    try:
        action = "schedule.import-delete" if planned.delete_missing else "schedule.import"  # deleting: admin
        with store.audit.mutation(action, target=planned.file, filter=what) as entry:
            if mode is ImportMode.ATOMIC and planned.errors:
                raise _Rejected(f"{failed} of {planned.rows} rows failed; nothing applied (atomic)")
            with session_scope(store.sessions) as session:
                _write(store, session, planned)
                run = _record(store, session, planned, mode, False, with_errors)
            entry.done = sum(len(planned.of(k)) for k in ("add", "change", "remove"))
            entry.detail = _audit_detail(planned, run.id)
    except _Rejected:
        return ImportResult(planned, _record_alone(store, planned, mode, False, "rejected"))
    except ReadOnlyError:
        _record_alone(store, planned, mode, False, "refused: read-only")
        raise
    except (ScheduleError, DatabaseError) as exc:
        # The database may be the thing that failed: then the import goes unrecorded, the error stands.
        with contextlib.suppress(DatabaseError):
            _record_alone(store, planned, mode, False, f"failed: {exc}")
        raise
    return ImportResult(planned, run)


def _write(store: ScheduleStore, session: Session, planned: Plan) -> None:
    now, user = store.clock.now(), store.audit.actor.user
    versions = {name: version for name, version in session.execute(select(Schedule.name, Schedule.version))}
    for item in planned.items:
        if item.kind == "add" and item.name in versions:
            raise ImportConflict(f"name: {item.name!r} was added since the import was planned; import again")
        if item.kind in ("change", "remove") and versions.get(item.name) != item.version:
            raise ImportConflict(f"name: {item.name!r} changed since the import was planned; import again")
    touched = {i.name: i for i in planned.items if i.kind in ("change", "remove")}
    names = list(touched)
    for start in range(0, len(names), 500):  # only the schedules that change are loaded whole
        for schedule in session.scalars(
            select(Schedule).where(Schedule.name.in_(names[start : start + 500]))
        ):
            item = touched[schedule.name]
            if item.kind == "remove":
                session.delete(schedule)
                continue
            was_enabled = schedule.enabled
            for key, (_, new) in item.changes.items():
                setattr(schedule, key, new)
                flag_modified(schedule, key)  # the ORM compares with ==, and [1] == [True]
            if {"cron", "timezone"} & item.changes.keys() or (schedule.enabled and not was_enabled):
                schedule.next_fire_at = next_fire(schedule, now)
            schedule.updated_at, schedule.updated_by = now, user
    # One executemany per set of columns the file gave, not one ORM object each (10,000 new rows: about
    # 4 s -> 1.4 s). The table's own insert, since the ORM's would take a None (keep_runs) for its default.
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for item in planned.of("add"):
        row = _new_row(item, now, user)
        by_columns.setdefault(tuple(row), []).append(row)
    for rows in by_columns.values():
        session.execute(insert(Schedule.metadata.tables["schedules"]), rows)


def _new_row(item: Item, now: datetime, user: str) -> dict[str, Any]:
    row = {"name": item.name, **NEW_DEFAULTS, **{key: new for key, (_, new) in item.changes.items()}}
    probe = Schedule(name=item.name, cron=row["cron"], timezone=row["timezone"])
    return {**row, "created_at": now, "created_by": user, "updated_at": now, "updated_by": user,
            "next_fire_at": next_fire(probe, now)}  # fmt: skip


def _audit_detail(planned: Plan, run_id: int) -> dict[str, Any]:
    """Counts, and the names touched (the first 100 of each kind: the import run keeps the rest)."""
    detail: dict[str, Any] = {"import": run_id, "rows": planned.rows, "failed": planned.failed}
    for kind in ("add", "change", "remove"):
        names = [i.name for i in planned.of(kind)]
        detail[kind] = names[:100] + ([f"... {len(names) - 100} more"] if len(names) > 100 else [])
    detail["unchanged"] = len(planned.of("unchanged"))
    return detail


def _record_alone(
    store: ScheduleStore, planned: Plan, mode: ImportMode, dry_run: bool, outcome: str
) -> ScheduleImport:
    with session_scope(store.sessions) as session:
        return _record(store, session, planned, mode, dry_run, outcome)


def _record(
    store: ScheduleStore, session: Session, planned: Plan, mode: ImportMode, dry_run: bool, outcome: str
) -> ScheduleImport:
    actor = store.audit.actor
    run = ScheduleImport(
        at=store.clock.now(),
        actor=actor.user,
        client=actor.client,
        file=planned.file,
        format=planned.format,
        mode=mode.value,
        dry_run=dry_run,
        delete_missing=planned.delete_missing,
        rows=planned.rows,
        added=len(planned.of("add")),
        changed=len(planned.of("change")),
        unchanged=len(planned.of("unchanged")),
        removed=len(planned.of("remove")),
        failed=planned.failed,
        outcome=outcome.splitlines()[0] if outcome else outcome,
    )
    run.errors = [ScheduleImportError(row=e.row, field=e.field, value=e.value, message=e.message)
                  for e in planned.errors]  # fmt: skip
    session.add(run)
    session.flush()
    return run


# Reading the record


def imports(store: ScheduleStore, limit: int = 50) -> list[ScheduleImport]:
    """The newest imports first, without their errors."""
    with session_scope(store.sessions) as session:
        query = select(ScheduleImport).order_by(ScheduleImport.id.desc()).limit(limit)
        return list(session.scalars(query))


def import_run(store: ScheduleStore, run_id: int) -> ScheduleImport:
    """One import with its errors in file order; ScheduleError when there is none with that id."""
    with session_scope(store.sessions) as session:
        errors = selectinload(ScheduleImport.errors)
        run = session.scalar(select(ScheduleImport).where(ScheduleImport.id == run_id).options(errors))
        if run is None:
            raise ScheduleError(f"no import {run_id}")
        return run
