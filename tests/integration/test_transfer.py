"""Schedules files on a real SQLite file: export, import with its plan, per-row errors, both modes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from queuetui.audit import PROCESS, Actor, Audit, ReadOnlyError, recent
from queuetui.clock import FrozenClock
from queuetui.db.engine import open_database
from queuetui.schedule.store import FIELDS, ScheduleStore
from queuetui.schedule.transfer import (
    FORMATS,
    ImportConflict,
    ImportMode,
    RowError,
    apply,
    export,
    import_run,
    imports,
    plan,
    read,
    run_import,
)
from tests.cli import Completed, queuetui

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ATOMIC, PARTIAL = ImportMode.ATOMIC, ImportMode.PARTIAL


def make_store(path: Path) -> ScheduleStore:
    sessions = open_database(f"sqlite:///{path}")
    clock = FrozenClock(NOW)
    return ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=clock), clock)


@pytest.fixture
def store(tmp_path: Path) -> ScheduleStore:
    return make_store(tmp_path / "q.db")


def state(store: ScheduleStore) -> dict[str, tuple[Any, ...]]:
    """Every schedule with every stored column that an import could touch."""
    extra = ("version", "next_fire_at", "updated_at", "updated_by", "created_by")
    return {s.name: tuple(getattr(s, f) for f in (*FIELDS, *extra)) for s in store.schedules()}


def seed(store: ScheduleStore) -> None:
    store.add(
        "nightly",
        {
            "func": "tests.jobs:add",
            "cron": "30 2 * * *",
            "timezone": "Europe/Rome",
            "args": [1, 2],
            "kwargs": {"note": None, "deep": [1, {"x": 'é, "quoted",\nnewline'}], "big": 2**70},
            "tags": ["eu", "billing"],
            "retry_max": 3,
            "retry_intervals": [10, 60],
            "job_timeout": 300,
            "description": 'Nightly, with "quotes", commas\nand a second line',
            "meta": {"owner": "ops"},
            "webhook_url": "https://hooks.example/x",
            "notify_on_failure": True,
            "overlap": "skip",
            "misfire": "catch-up",
            "misfire_grace": 600,
            "tenant": "acme",
            "enabled": False,
        },
    )
    store.add("hourly", {"func": "tests.jobs:record", "cron": "H * * * *", "queue": "low"})
    store.edit("hourly", {"keep_runs": None, "result_ttl": 0})


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_round_trips_exactly_and_again_changes_nothing(tmp_path: Path, fmt: str) -> None:
    source = make_store(tmp_path / "a.db")
    seed(source)
    text = export(source.schedules(), fmt)
    target = make_store(tmp_path / "b.db")
    result = run_import(target, f"all.{fmt}", text.encode(), fmt)
    assert (result.clean, result.run.outcome, result.run.added, result.plan.errors) == (
        True,
        "applied",
        2,
        [],
    )
    assert export(target.schedules(), fmt) == text
    mine = {name: values[: len(FIELDS)] for name, values in state(target).items()}
    assert mine == {name: values[: len(FIELDS)] for name, values in state(source).items()}
    assert target.get("hourly").keep_runs is None  # not the column's default of 1000
    assert target.get("nightly").next_fire_at == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)

    before = state(target)
    again = run_import(target, f"all.{fmt}", text.encode(), fmt)
    assert (again.run.outcome, again.run.unchanged, again.run.added, again.run.changed) == (
        "applied",
        2,
        0,
        0,
    )
    assert state(target) == before  # not even a version bump
    assert recent(target.sessions)[0].done == 0


def test_the_plan_shows_adds_changes_old_to_new_and_removals_only_when_asked(store: ScheduleStore) -> None:
    seed(store)
    store.add("extra", {"func": "tests.jobs:add", "cron": "@daily"})
    exported = {r["name"]: r for r in json.loads(export(store.schedules(), "json"))}
    exported["nightly"].update(cron="0 4 * * *", tags=["billing"], args=[True, 2])  # true is not 1
    weekly = {"name": "weekly", "func": "tests.jobs:add", "cron": "@weekly"}
    text = json.dumps([exported["hourly"], exported["nightly"], weekly])
    rows = read(text.encode(), "json")

    planned = plan(store, "some.json", "json", rows)
    assert [(i.kind, i.name, i.row, i.changes) for i in planned.items] == [
        ("unchanged", "hourly", 1, {}),
        (
            "change",
            "nightly",
            2,
            {
                "args": ([1, 2], [True, 2]),
                "cron": ("30 2 * * *", "0 4 * * *"),
                "tags": (["billing", "eu"], ["billing"]),
            },
        ),
        ("add", "weekly", 3, {"func": (None, "tests.jobs:add"), "cron": (None, "@weekly")}),
    ]
    assert planned.kept == ["extra"] and planned.errors == []

    result = apply(store, planned)
    assert (result.run.outcome, result.run.added, result.run.changed, result.run.removed) == (
        "applied",
        1,
        1,
        0,
    )
    nightly = store.get("nightly")
    assert (nightly.cron, nightly.tags, json.dumps(nightly.args), nightly.version) == (
        "0 4 * * *", ["billing"], "[true, 2]", 2,
    )  # fmt: skip
    assert nightly.next_fire_at == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 04:00 in Rome, from now
    assert (nightly.updated_by, store.get("weekly").created_by) == ("ops", "ops")
    assert sorted(s.name for s in store.schedules()) == ["extra", "hourly", "nightly", "weekly"]
    entry = recent(store.sessions)[0]
    assert (entry.action, entry.target, entry.filter, entry.done, entry.outcome) == (
        "schedule.import", "some.json", "atomic", 2, "ok",
    )  # fmt: skip
    assert {k: v for k, v in entry.detail.items() if k != PROCESS} == {
        "import": result.run.id, "rows": 3, "failed": 0, "add": ["weekly"], "change": ["nightly"],
        "remove": [], "unchanged": 1,
    }  # fmt: skip

    pruned = run_import(store, "some.json", text.encode(), "json", delete_missing=True)
    assert [(i.kind, i.name) for i in pruned.plan.of("remove")] == [("remove", "extra")]
    assert (pruned.run.removed, pruned.run.unchanged) == (1, 3)
    assert sorted(s.name for s in store.schedules()) == ["hourly", "nightly", "weekly"]


CSV_MIXED = (
    "name,func,cron,timezone,args,enabled,description\n"
    'fresh,tests.jobs:add,0 3 * * *,Europe/Rome,"[1, 2]",true,"two\n'
    'lines"\n'
    "keep,tests.jobs:add,0 5 * * *,UTC,[],true,\n"
    "bad-cron,tests.jobs:add,61 * * * *,UTC,[],true,\n"
    "\n"
    "bad-zone,tests.jobs:add,0 3 * * *,Mars/Base,[],true,\n"
    "fresh,tests.jobs:add,0 4 * * *,UTC,[],true,again\n"
    'untouched,tests.jobs:add,0 6 * * *,UTC,"[1,",true,\n'
    "two-wrongs,tests.jobs:nope,0 3 * * *,UTC,[],maybe,\n"
    "short,tests.jobs:add\n"
    ",tests.jobs:add,0 3 * * *,UTC,,no,nameless\n"
)
CSV_ERRORS = [
    RowError(5, "cron", "61 * * * *", "minute field '61': value out of range 0-59"),
    RowError(7, "timezone", "Mars/Base", "unknown time zone 'Mars/Base'"),
    RowError(8, "name", "fresh", "appears again in the file (first at line 2)"),
    RowError(9, "args", "[1,", "not valid JSON (Expecting value at column 4)"),
    RowError(
        10, "func", "tests.jobs:nope",
        "module 'tests.jobs' has no 'nope' (pass --allow-missing to save it anyway)",
    ),
    RowError(10, "enabled", "maybe", "expected true or false, got 'maybe'"),
    RowError(11, "", "short,tests.jobs:add", "2 cells where the header has 7"),
    RowError(12, "name", "", "must not be empty"),
]  # fmt: skip

TOML_MIXED = """
[[schedule]]
name = "fresh"
func = "tests.jobs:add"
cron = "0 3 * * *"
timezone = "Europe/Rome"
args = [1, 2]
description = "two\\nlines"

[[schedule]]
name = "keep"
func = "tests.jobs:add"
cron = "0 5 * * *"

[[schedule]]
name = "bad-cron"
func = "tests.jobs:add"
cron = "0 25 * * *"
colour = "red"

[[schedule]]
name = "bad-zone"
func = "tests.jobs:add"
cron = "0 3 * * *"
timezone = "Mars/Base"
job_timeout = -1

[[schedule]]
name = "fresh"
func = "tests.jobs:add"
cron = "0 4 * * *"

[[schedule]]
name = "untouched"
func = "tests.jobs:add"
cron = "0 6 * * *"
args = [2026-01-01T00:00:00Z]

[[schedule]]
name = "nofunc"
cron = "@daily"
enabled = "yes"
"""
TOML_ERRORS = [
    RowError(3, "cron", "0 25 * * *", "hour field '25': value out of range 0-23"),
    RowError(3, "colour", "red", "not a schedule field"),
    RowError(4, "timezone", "Mars/Base", "unknown time zone 'Mars/Base'"),
    RowError(4, "job_timeout", "-1", "expected a whole number of seconds >= 0, got -1"),
    RowError(5, "name", "fresh", "appears again in the file (first at table 1)"),
    RowError(
        6, "args", '["2026-01-01 00:00:00+00:00"]',
        "not JSON (Object of type datetime is not JSON serializable)",
    ),
    RowError(7, "func", "", "required"),
    RowError(7, "enabled", "yes", "expected true or false, got 'yes'"),
]  # fmt: skip

JSON_MIXED = json.dumps(
    [
        {"name": "fresh", "func": "tests.jobs:add", "cron": "0 3 * * *", "timezone": "Europe/Rome",
         "args": [1, 2], "description": "two\nlines"},
        {"name": "keep", "func": "tests.jobs:add", "cron": "0 5 * * *", "keep_runs": ""},
        {"name": "bad-cron", "func": "tests.jobs:add", "cron": "*/0 * * * *"},
        "not an object",
        {"name": "bad-zone", "func": "tests.jobs:add", "cron": "0 3 * * *", "timezone": "Europe/Atlantis"},
        {"name": "fresh", "func": "tests.jobs:add", "cron": "0 4 * * *"},
        {"name": "untouched", "func": "tests.jobs:add", "cron": "0 6 * * *", "kwargs": "{oops}"},
        {"func": "tests.jobs:add", "cron": "@daily"},
    ],
    indent=1,
)  # fmt: skip
JSON_ERRORS = [
    RowError(3, "cron", "*/0 * * * *", "minute field '*/0': step must be a whole number of at least 1"),
    RowError(4, "", "not an object", "expected a JSON object"),
    RowError(5, "timezone", "Europe/Atlantis", "unknown time zone 'Europe/Atlantis'"),
    RowError(6, "name", "fresh", "appears again in the file (first at item 1)"),
    RowError(
        7, "kwargs", "{oops}",
        "not valid JSON (Expecting property name enclosed in double quotes at column 2)",
    ),
    RowError(8, "name", "", "must not be empty"),
]  # fmt: skip

MIXED = {"csv": (CSV_MIXED, CSV_ERRORS), "toml": (TOML_MIXED, TOML_ERRORS), "json": (JSON_MIXED, JSON_ERRORS)}
NAMELESS = {"csv": "line 11, line 12", "toml": "", "json": "item 4, item 8"}


def seed_for_mixed(store: ScheduleStore) -> None:
    store.add("keep", {"func": "tests.jobs:add", "cron": "0 4 * * *", "keep_runs": 10})
    store.add("untouched", {"func": "tests.jobs:add", "cron": "0 1 * * *", "args": [7]})
    store.add("absent", {"func": "tests.jobs:add", "cron": "@hourly"})


@pytest.mark.parametrize("mode", [ATOMIC, PARTIAL])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_mixing_good_and_bad_rows(store: ScheduleStore, fmt: str, mode: ImportMode) -> None:
    seed_for_mixed(store)
    before = state(store)
    text, row_errors = MIXED[fmt]
    result = run_import(store, f"mixed.{fmt}", text.encode(), fmt, mode=mode, delete_missing=True)

    # A row without a readable name might have meant any schedule: then nothing is removed as missing.
    nameless = NAMELESS[fmt]
    removed = [] if nameless else ["absent"]
    why = f"--delete-missing: nothing removed: no name could be read at {nameless}"
    expected = [*row_errors, RowError(None, "", "", why)] if nameless else row_errors
    assert result.plan.errors == expected
    # 'untouched' is named by a row that failed: neither changed (not even half) nor removed as missing.
    kinds = [(i.kind, i.name) for i in result.plan.items]
    assert kinds == [("add", "fresh"), ("change", "keep"), *[("remove", name) for name in removed]]
    failed = len({e.row for e in row_errors})
    recorded = import_run(store, result.run.id)
    assert [RowError(e.row, e.field, e.value, e.message) for e in recorded.errors] == expected
    counts = (recorded.rows, recorded.added, recorded.changed, recorded.removed, recorded.failed)
    assert counts == (failed + 2, 1, 1, len(removed), failed)
    assert (recorded.mode, recorded.dry_run, recorded.file, recorded.actor) == (
        mode,
        False,
        f"mixed.{fmt}",
        "ops",
    )
    entry = recent(store.sessions)[0]
    assert entry.action == "schedule.import-delete" and not result.clean  # it asked to delete

    if mode is ATOMIC:
        assert recorded.outcome == "rejected" and state(store) == before
        assert entry.outcome == f"failed: {failed} of {failed + 2} rows failed; nothing applied (atomic)"
        return
    assert recorded.outcome == "partly applied" and entry.outcome == "ok" and entry.done == 2 + len(removed)
    after = state(store)
    assert after["untouched"] == before["untouched"]
    fresh, keep = store.get("fresh"), store.get("keep")
    assert (fresh.cron, fresh.timezone, fresh.args, fresh.description) == (
        "0 3 * * *", "Europe/Rome", [1, 2], "two\nlines",
    )  # fmt: skip
    assert (keep.cron, keep.version) == ("0 5 * * *", 2)
    assert keep.keep_runs == (None if fmt == "json" else 10)  # "" means none; a key left out is left alone
    assert sorted(after) == sorted({"absent", "fresh", "keep", "untouched"} - set(removed))


LATIN_1 = "name,func,cron\nnuit,tests.jobs:add,0 3 * * *\ncaf\xe9,tests.jobs:add,@daily\n".encode("latin-1")
BAD_FILES = {
    "latin-1": ("csv", LATIN_1, "not UTF-8: byte 0xe9 at offset 48 (line 3); save the file as UTF-8"),
    "malformed JSON": (
        "json",
        b'[{"name": "a", "func": "tests.jobs:add",\n  "cron": "@daily",}]',
        "not valid JSON: Expecting property name enclosed in double quotes at line 2, column 20",
    ),
    "malformed TOML": (
        "toml",
        b'[[schedule]]\nname = "a"\ncron = @daily\n',
        "not valid TOML: Invalid value (at line 3, column 8)",
    ),
    "missing columns": ("csv", b"name,cron,timezone\na,@daily,UTC\n", "missing required columns: func"),
    "unknown column": (
        "csv",
        b"name,func,cron,colour\n",
        f"unknown columns: colour (columns are name, {', '.join(FIELDS)})",
    ),
    "not a list": ("json", b'{"name": "a"}', "expected a JSON list of schedule objects, [{...}, ...]"),
    "wrong TOML tables": (
        "toml",
        b'[[schedules]]\nname = "a"\n',
        "unexpected top-level key 'schedules': schedules are [[schedule]] tables",
    ),
    "empty CSV": (
        "csv",
        b"",
        "no header line: the first line names the columns, e.g. name,description,func,args",
    ),
}


@pytest.mark.parametrize("mode", [ATOMIC, PARTIAL])
@pytest.mark.parametrize("case", BAD_FILES)
def test_an_unreadable_file_is_one_error_and_changes_nothing(
    store: ScheduleStore, case: str, mode: ImportMode
) -> None:
    seed_for_mixed(store)
    before = state(store)
    fmt, data, message = BAD_FILES[case]
    result = run_import(store, f"bad.{fmt}", data, fmt, mode=mode)
    assert result.plan.unreadable and result.plan.errors == [RowError(None, "", "", message)]
    recorded = import_run(store, result.run.id)
    assert (recorded.outcome, recorded.rows, recorded.failed) == ("unreadable", 0, 0)
    assert [(e.row, e.message) for e in recorded.errors] == [(None, message)]
    assert state(store) == before


def test_a_schedule_changed_after_the_plan_stops_the_whole_import(store: ScheduleStore) -> None:
    seed_for_mixed(store)
    text = '[{"name": "a-new", "func": "tests.jobs:add", "cron": "@daily"},' \
           ' {"name": "keep", "func": "tests.jobs:add", "cron": "0 9 * * *"}]'  # fmt: skip
    planned = plan(store, "x.json", "json", read(text.encode(), "json"))
    assert [i.kind for i in planned.items] == ["add", "change"]
    store.edit("keep", {"description": "an operator was quicker"})
    before = state(store)
    with pytest.raises(ImportConflict, match=r"^name: 'keep' changed since the import was planned"):
        apply(store, planned)
    assert state(store) == before  # the add planned before it was rolled back with it
    (run,) = imports(store)
    assert run.outcome.startswith("failed: name: 'keep' changed since")
    assert recent(store.sessions)[0].outcome.startswith("failed: name: 'keep' changed")


def test_a_function_not_importable_here_needs_allow_missing_unless_it_is_unchanged(
    store: ScheduleStore,
) -> None:
    store.add("legacy", {"func": "app.gone:task", "cron": "@daily"}, allow_missing=True)
    text = export(store.schedules(), "json")
    assert run_import(store, "same.json", text.encode(), "json").clean  # unchanged: not imported again
    moved = text.replace("app.gone:task", "app.gone:other").encode()
    refused = run_import(store, "moved.json", moved, "json")
    assert [(e.row, e.field, e.message.split(" (")[0]) for e in refused.plan.errors] == [
        (1, "func", "cannot import module 'app.gone'"),
    ]
    allowed = run_import(store, "moved.json", moved, "json", allow_missing=True)
    assert allowed.clean and store.get("legacy").func == "app.gone:other"


def test_read_only_refuses_an_import_but_allows_a_dry_run(store: ScheduleStore) -> None:
    seed_for_mixed(store)
    before = state(store)
    store.audit.read_only = True
    data = b'[[schedule]]\nname = "new"\nfunc = "tests.jobs:add"\ncron = "@daily"\n'
    dry = run_import(store, "x.toml", data, "toml", dry_run=True)
    assert (dry.clean, dry.run.outcome, dry.run.added, dry.run.dry_run) == (True, "dry run", 1, True)
    with pytest.raises(ReadOnlyError):
        run_import(store, "x.toml", data, "toml")
    assert state(store) == before
    assert [(r.outcome, r.added) for r in imports(store)] == [("refused: read-only", 1), ("dry run", 1)]
    assert recent(store.sessions)[0].outcome == "refused: read-only"


def big_csv(
    n: int, bad_every: int = 100
) -> tuple[str, list[RowError], dict[str, tuple[str, str, list[int]]]]:
    """n rows (line i + 2 holds schedule i); every bad_every-th row is wrong in one of five ways."""
    zones = ["UTC", "Europe/Rome", "America/New_York", "Asia/Tokyo"]
    lines, errors, good = ["name,func,cron,timezone,args"], [], {}
    for i in range(n):
        name, cron, zone, args, func = (
            f"job-{i:05d}",
            f"{i % 60} {i % 24} * * *",
            zones[i % 4],
            f"[{i}]",
            "add",
        )
        line = i + 2
        if i % bad_every == bad_every - 1:
            kind = (i // bad_every) % 5
            if kind == 0:
                cron = f"{i % 60} 24 * * *"
                errors.append(RowError(line, "cron", cron, "hour field '24': value out of range 0-23"))
            elif kind == 1:
                zone = "Mars/Olympus"
                errors.append(RowError(line, "timezone", zone, "unknown time zone 'Mars/Olympus'"))
            elif kind == 2:
                name = "job-00000"
                errors.append(RowError(line, "name", name, "appears again in the file (first at line 2)"))
            elif kind == 3:
                args = "[1,"
                errors.append(RowError(line, "args", args, "not valid JSON (Expecting value at column 4)"))
            else:
                func = "gone"
                message = "module 'tests.jobs' has no 'gone' (pass --allow-missing to save it anyway)"
                errors.append(RowError(line, "func", "tests.jobs:gone", message))
        else:
            good[name] = (cron, zone, [i])
        lines.append(f'{name},tests.jobs:{func},{cron},{zone},"{args}"')
    return "\n".join(lines) + "\n", errors, good


@pytest.mark.parametrize("mode", [ATOMIC, PARTIAL])
def test_two_thousand_rows_exact_errors_nothing_lost_nothing_half_written(
    store: ScheduleStore, mode: ImportMode
) -> None:
    text, errors, good = big_csv(2_000, bad_every=20)  # bench/transfer.py imports 10,000 and more
    assert len(errors) == 100 and len(good) == 1_900
    result = run_import(store, "big.csv", text.encode(), "csv", mode=mode)
    assert result.plan.errors == errors
    recorded = import_run(store, result.run.id)
    assert [RowError(e.row, e.field, e.value, e.message) for e in recorded.errors] == errors
    assert (recorded.rows, recorded.added, recorded.failed) == (2_000, 1_900, 100)
    if mode is ATOMIC:
        assert recorded.outcome == "rejected" and store.schedules() == []
        return
    assert recorded.outcome == "partly applied"
    assert {s.name: (s.cron, s.timezone, s.args) for s in store.schedules()} == good
    assert all(s.next_fire_at is not None and s.version == 1 for s in store.schedules())

    again = run_import(store, "big.csv", text.encode(), "csv", mode=mode)
    assert (again.run.added, again.run.changed, again.run.unchanged, again.run.failed) == (0, 0, 1_900, 100)
    moved = text.replace(",UTC,", ",Europe/Lisbon,")
    changed = run_import(store, "big.csv", moved.encode(), "csv", mode=mode)
    in_utc = sum(zone == "UTC" for _, zone, _ in good.values())
    assert (changed.run.changed, changed.run.unchanged) == (in_utc, 1_900 - in_utc) and in_utc > 400
    assert sum(s.timezone == "Europe/Lisbon" for s in store.schedules()) == in_utc


def test_an_import_killed_while_it_writes_leaves_nothing_half_written(tmp_path: Path) -> None:
    text, _, good = big_csv(10_000, bad_every=10**9)
    (tmp_path / "big.csv").write_text(text)
    db = tmp_path / "q.db"
    make_store(db)  # migrated before, so the only writer is the import itself
    command = [sys.executable, "-m", "queuetui", "schedules", "import", str(tmp_path / "big.csv")]
    importer = subprocess.Popen([*command, "--db-url", f"sqlite:///{db}"], stdout=subprocess.DEVNULL)
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    caught = False
    while importer.poll() is None:
        try:  # SQLite's write lock is free unless the import is inside its transaction
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:
            importer.kill()
            caught = True
            break
        time.sleep(0.001)
    importer.wait(timeout=60)
    probe.close()
    assert caught, "the import ended before it could be caught writing"
    store = make_store(db)
    written = {s.name: (s.cron, s.timezone, s.args) for s in store.schedules()}
    recorded = imports(store)
    # Killed inside its transaction: nothing. Caught writing the audit entry just after: everything.
    assert (written, recorded) == ({}, []) or (written == good and len(recorded) == 1)
    result = run_import(store, "big.csv", text.encode(), "csv")
    assert result.clean and {s.name: (s.cron, s.timezone, s.args) for s in store.schedules()} == good


def cli(*args: str, stdin: str = "") -> Completed:
    return queuetui(*args, stdin=stdin)


def test_export_and_import_from_the_command_line(tmp_path: Path) -> None:
    seed(make_store(tmp_path / "a.db"))
    a, b = ["--db-url", f"sqlite:///{tmp_path / 'a.db'}"], ["--db-url", f"sqlite:///{tmp_path / 'b.db'}"]
    toml = cli("schedules", "export", *a)
    assert toml.returncode == 0 and toml.stdout.count("[[schedule]]") == 2
    out = tmp_path / "all.csv"
    written = cli("schedules", "export", "-o", str(out), *a)
    assert written.returncode == 0 and written.stderr == f"exported 2 schedules to {out} (csv)\n"

    dry = cli("schedules", "import", str(out), "--dry-run", *b)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "+ hourly  H * * * * (UTC)  tests.jobs:record",
        "+ nightly  30 2 * * * (Europe/Rome)  tests.jobs:add",
        "import 1 (atomic): dry run: 2 to add, 0 to change, 0 unchanged, 0 to remove; nothing changed",
    ]
    assert json.loads(cli("schedules", "list", "--json", *b).stdout)["total"] == 0
    applied = cli("schedules", "import", str(out), *b)
    assert applied.returncode == 0 and applied.stdout.splitlines()[-1] == (
        "import 2 (atomic): applied: 2 added, 0 changed, 0 unchanged, 0 removed"
    )
    again = cli("schedules", "import", str(out), *b)
    assert again.returncode == 0 and again.stdout == (
        "import 3 (atomic): applied: 0 added, 0 changed, 2 unchanged, 0 removed\n"
    )
    assert cli("schedules", "export", *b).stdout == toml.stdout
    piped = cli("schedules", "import", "-", "--format", "toml", "--dry-run", *b, stdin=toml.stdout)
    assert piped.returncode == 0 and "dry run: 0 to add, 0 to change, 2 unchanged" in piped.stdout


def test_import_reports_row_errors_with_exit_codes_and_keeps_them(tmp_path: Path) -> None:
    db = ["--db-url", f"sqlite:///{tmp_path / 'q.db'}"]
    seed_for_mixed(make_store(tmp_path / "q.db"))
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(CSV_MIXED)
    rejected = cli("schedules", "import", str(mixed), "--json", *db)
    assert rejected.returncode == 1
    report = json.loads(rejected.stdout)
    assert (report["outcome"], report["counts"]["failed"], report["add"]) == (
        "rejected",
        7,
        [{"name": "fresh", "row": 2}],
    )
    assert report["change"] == [{"name": "keep", "row": 4, "changes": {"cron": ["0 4 * * *", "0 5 * * *"]}}]
    assert [(e["where"], e["field"], e["value"], e["message"]) for e in report["errors"]] == [
        (f"line {e.row}", e.field, e.value, e.message) for e in CSV_ERRORS
    ]
    partial = cli("schedules", "import", str(mixed), "--partial", *db)
    assert partial.returncode == 1
    lines = partial.stdout.splitlines()
    assert lines[:3] == [
        "+ fresh  0 3 * * * (Europe/Rome)  tests.jobs:add",
        "~ keep  cron: 0 4 * * * -> 0 5 * * *",
        "! line 5: cron '61 * * * *': minute field '61': value out of range 0-59",
    ]
    assert lines[-2:] == [
        "= kept, not in the file: absent (--delete-missing removes them)",
        "import 2 (partial): partly applied: 1 added, 1 changed, 0 unchanged, 0 removed; "
        "7 of 9 rows failed, not applied",
    ]
    assert "! line 11: 2 cells where the header has 7" in lines

    listed = json.loads(cli("schedules", "imports", "--json", *db).stdout)["imports"]
    assert [(i["id"], i["mode"], i["outcome"], i["counts"]["failed"]) for i in listed] == [
        (2, "partial", "partly applied", 7),
        (1, "atomic", "rejected", 7),
    ]
    shown = cli("schedules", "imports", "1", *db)
    assert shown.returncode == 0 and len(shown.stdout.splitlines()) == 2 + len(CSV_ERRORS)
    assert "line 9     args             '[1,'" in shown.stdout
    assert cli("schedules", "imports", "9", *db).stderr == "queuetui: error: no import 9\n"

    latin = tmp_path / "latin.csv"
    latin.write_bytes(LATIN_1)
    unreadable = cli("schedules", "import", str(latin), *db)
    assert (unreadable.returncode, unreadable.stdout) == (2, "")
    assert unreadable.stderr == (
        f"queuetui: error: {latin}: not UTF-8: byte 0xe9 at offset 48 (line 3); save the file as UTF-8 "
        "(recorded as import 3)\n"
    )
    unknown = cli("schedules", "import", str(tmp_path / "x.txt"), *db)
    assert unknown.returncode == 2 and "cannot tell the format of" in unknown.stderr
    clean = tmp_path / "one.json"
    clean.write_text('[{"name": "one", "func": "tests.jobs:add", "cron": "@daily"}]')
    refused = cli("--read-only", "schedules", "import", str(clean), *db)
    assert refused.returncode == 1 and "schedule.import refused: queuetui is read-only" in refused.stderr
    assert cli("--read-only", "schedules", "import", str(clean), "--dry-run", *db).returncode == 0
    names = [s["name"] for s in json.loads(cli("schedules", "export", "--format", "json", *db).stdout)]
    assert names == ["absent", "fresh", "keep", "untouched"]
