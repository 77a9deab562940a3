"""Schedules in the database (SQLite and PostgreSQL): validated field by field, saved whole or not at
all, audited."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from queuetui.audit import PROCESS, Actor, Audit, ReadOnlyError, recent
from queuetui.clock import FrozenClock
from queuetui.db.engine import open_database
from queuetui.schedule.scheduler import PAUSE_KEY
from queuetui.schedule.store import ScheduleError, ScheduleStore, problems
from tests.integration.test_cli import queuetui

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _store(db_url: str) -> ScheduleStore:
    sessions = open_database(db_url)
    clock = FrozenClock(NOW)
    return ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=clock), clock)


@pytest.fixture
def store(db_url: str) -> ScheduleStore:
    return _store(db_url)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> ScheduleStore:
    """For checks made before the database is reached: once is enough."""
    return _store(f"sqlite:///{tmp_path / 'q.db'}")


def test_add_computes_the_next_fire_time_in_the_schedules_zone(store: ScheduleStore) -> None:
    added = store.add(
        "nightly",
        {"func": "tests.jobs:add", "cron": "30 2 * * *", "timezone": "Europe/Rome", "args": "[1, 2]"},
    )
    assert added.next_fire_at == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # 02:30 CET
    (only,) = store.schedules()
    assert (only.name, only.args, only.queue, only.enabled, only.created_by) == (
        "nightly",
        [1, 2],
        "default",
        True,
        "ops",
    )
    edited = store.edit("nightly", {"cron": "0 9 * * 1-5", "timezone": "UTC"})
    assert edited.next_fire_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC) and edited.version == 2
    assert recent(store.sessions)[0].detail["changed"]["cron"] == ["30 2 * * *", "0 9 * * 1-5"]


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"func": "tests.jobs:add", "cron": "61 * * * *"}, "cron: minute field '61'"),
        (
            {"func": "tests.jobs:add", "cron": "0 3 * * *", "timezone": "Mars/Base"},
            "timezone: unknown time zone 'Mars/Base'",
        ),
        ({"func": "app.gone:task", "cron": "0 3 * * *"}, "func: cannot import module 'app.gone'"),
        ({"func": "tests.jobs:nope", "cron": "0 3 * * *"}, "func: module 'tests.jobs' has no 'nope'"),
        (
            {"func": "not a reference", "cron": "0 3 * * *"},
            "func: 'not a reference' is not 'package.module:function'",
        ),
        ({"func": "tests.jobs:add", "cron": "0 3 * * *", "args": "[1,"}, "args: not valid JSON"),
        ({"func": "tests.jobs:add", "cron": "0 3 * * *", "kwargs": "[1]"}, "kwargs: expected a JSON object"),
        (
            {"func": "tests.jobs:add", "cron": "0 3 * * *", "overlap": "maybe"},
            "overlap: 'maybe' is not one of",
        ),
        (
            {"func": "tests.jobs:add", "cron": "0 3 * * *", "misfire_grace": -5},
            "misfire_grace: expected a whole",
        ),
        (
            {"func": "tests.jobs:add", "cron": "0 3 * * *", "webhook_url": "ftp://x"},
            "webhook_url: 'ftp://x' is not",
        ),
        ({"cron": "0 3 * * *"}, "func: required"),
        ({"func": "tests.jobs:add", "cron": "0 3 * * *", "enabled": "no"}, "enabled: expected true or false"),
        ({"func": "tests.jobs:add", "cron": "0 3 * * *", "tags": 5}, "tags: expected a list, got 5"),
        ({"func": "tests.jobs:add", "cron": "0 3 * * *", "args": 5}, "args: expected a list, got 5"),
        ({"func": "tests.jobs:add", "cron": 5}, "cron: expected text, got 5"),
        ({"func": "tests.jobs:add", "cron": "0 3 * * *", "queue": "q" * 201}, "queue: longer than 200"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    sqlite_store: ScheduleStore, values: dict[str, object], error: str
) -> None:
    with pytest.raises(ScheduleError, match="^" + re.escape(error)):
        sqlite_store.add("broken", values)
    assert sqlite_store.schedules() == []
    field, message = next(iter(sqlite_store.check("broken", values).items()))  # what the console's form shows
    assert f"{field}: {message}".startswith(error)


def test_a_missing_function_is_saved_only_when_allowed_and_names_are_unique(store: ScheduleStore) -> None:
    store.add("later", {"func": "app.gone:task", "cron": "@daily"}, allow_missing=True)
    with pytest.raises(ScheduleError, match=r"^name: longer than 200 characters$"):
        store.add("n" * 201, {"func": "tests.jobs:add", "cron": "@hourly"})
    with pytest.raises(ScheduleError, match=r"^queue: longer than 200 characters$"):
        store.edit("later", {"queue": "q" * 201})
    with pytest.raises(ScheduleError, match=r"^name: a schedule named 'later' already exists$"):
        store.add("later", {"func": "tests.jobs:add", "cron": "@hourly"})
    assert [(s.name, s.func) for s in store.schedules()] == [("later", "app.gone:task")]


def test_enable_disable_snooze_remove_and_read_only(store: ScheduleStore) -> None:
    store.add("report", {"func": "tests.jobs:add", "cron": "*/5 * * * *"})
    assert not store.set_enabled("report", False).enabled
    store.clock.advance(3600)  # type: ignore[attr-defined]
    enabled = store.set_enabled("report", True)
    assert enabled.next_fire_at == datetime(2026, 11, 23, 13, 5, tzinfo=UTC)  # after now, nothing owed
    until = datetime(2026, 11, 24, tzinfo=UTC)
    assert store.snooze("report", until).snoozed_until == until
    store.audit.read_only = True
    with pytest.raises(ReadOnlyError):
        store.remove("report")
    store.audit.read_only = False
    store.remove("report")
    assert store.schedules() == []
    actions = [(e.action, e.outcome) for e in recent(store.sessions)]
    assert actions == [
        ("schedule.rm", "ok"),
        ("schedule.rm", "refused: read-only"),
        ("schedule.snooze", "ok"),
        ("schedule.enable", "ok"),
        ("schedule.disable", "ok"),
        ("schedule.add", "ok"),
    ]


def test_schedules_cli(tmp_path: Path) -> None:
    db = ["--db-url", f"sqlite:///{tmp_path / 'q.db'}"]
    options = ["--func", "tests.jobs:add", "--cron", "0 3 * * *", "--tz", "Europe/Rome", "--args", "[1, 2]"]
    added = queuetui(
        "schedules", "add", "nightly", *options, "--tag", "billing", "--retry-intervals", "10,60", *db
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added nightly: 0 3 * * * (Europe/Rome), next fire ")
    shown = json.loads(queuetui("schedules", "show", "nightly", "--json", *db).stdout)
    assert (shown["args"], shown["tags"], shown["retry_intervals"]) == ([1, 2], ["billing"], [10, 60])
    assert shown["next_fire_at"].endswith("+00:00")
    bad = queuetui("schedules", "add", "x", "--func", "tests.jobs:add", "--cron", "0 25 * * *", *db)
    assert bad.returncode == 2 and bad.stderr.startswith("queuetui: error: cron: hour field '25'")
    assert len(bad.stderr.splitlines()) == 1
    refused = queuetui("--read-only", "schedules", "disable", "nightly", *db)
    assert refused.returncode == 1 and "read-only" in refused.stderr
    assert queuetui("schedules", "disable", "nightly", *db).returncode == 0
    listed = json.loads(queuetui("schedules", "list", "--json", *db).stdout)
    assert [(s["name"], s["enabled"]) for s in listed["schedules"]] == [("nightly", False)]
    history = json.loads(queuetui("schedules", "history", "nightly", "--json", *db).stdout)
    assert history == {"schedule": "nightly", "runs": []}
    missing = queuetui("schedules", "show", "nope", *db)
    assert missing.returncode == 2 and missing.stderr == "queuetui: error: no schedule named 'nope'\n"


def test_pause_all_and_resume(tmp_path: Path, conn: redis.Redis, redis_url: str) -> None:
    db = ["--db-url", f"sqlite:///{tmp_path / 'q.db'}"]
    paused = queuetui("schedules", "pause-all", *db, url=redis_url)
    assert paused.returncode == 0, paused.stderr
    assert conn.get(PAUSE_KEY) is not None
    refused = queuetui("--read-only", "schedules", "pause-all", "--resume", *db, url=redis_url)
    assert refused.returncode == 1 and conn.get(PAUSE_KEY) is not None
    assert queuetui("schedules", "pause-all", "--resume", *db, url=redis_url).returncode == 0
    assert conn.get(PAUSE_KEY) is None


def test_run_now_from_the_cli_and_a_failed_change_audited_with_its_reason(
    tmp_path: Path, conn: redis.Redis, redis_url: str
) -> None:
    db_url = f"sqlite:///{tmp_path / 'q.db'}"
    added = queuetui(
        "schedules", "add", "nightly", "--func", "tests.jobs:add", "--cron", "@daily", "--db-url", db_url
    )
    assert added.returncode == 0, added.stderr
    ran = queuetui("schedules", "run-now", "nightly", "--db-url", db_url, url=redis_url)
    assert ran.returncode == 0, ran.stderr
    (job_id,) = [i.decode() for i in conn.lrange("rq:queue:default", 0, -1)]
    assert ran.stdout == f"nightly: enqueued {job_id}\n" and job_id.startswith("qt-1-run-now-")
    down = queuetui("schedules", "run-now", "nightly", "--db-url", db_url, url="redis://127.0.0.1:1/0")
    assert down.returncode == 1 and len(down.stderr.splitlines()) == 1
    entry, succeeded, _ = recent(open_database(db_url))
    assert succeeded.outcome == "ok" and {k: v for k, v in succeeded.detail.items() if k != PROCESS} == {
        "job_id": job_id
    }
    assert entry.action == "schedule.run-now" and entry.outcome.startswith("failed: ")
    assert entry.outcome.removeprefix("failed: ") != "1"  # the Redis error, not the exit status
    assert entry.done == 0


def test_cli_list_is_the_consoles_list_with_search_and_paging(tmp_path: Path) -> None:
    db = ["--db-url", f"sqlite:///{tmp_path / 'q.db'}"]
    for name, cron, tag in (("a-hourly", "0 * * * *", "ops"), ("b-daily", "0 3 * * *", "reports")):
        added = queuetui(
            "schedules", "add", name, "--func", "tests.jobs:add", "--cron", cron, "--tag", tag, *db
        )
        assert added.returncode == 0, added.stderr
    table = queuetui("schedules", "list", *db)
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["Schedule", "When", "Cron", "Zone"]
    assert [line.split()[0] for line in lines[1:]] == ["a-hourly", "b-daily"]  # soonest next run first
    assert "Every hour" in lines[1] and table.stderr == "2 of 2 schedules\n"
    found = json.loads(queuetui("schedules", "list", "-s", "tag:reports", "--json", *db).stdout)
    assert (found["total"], [s["name"] for s in found["schedules"]]) == (1, ["b-daily"])
    assert found["schedules"][0]["description"] == "At 03:00" and found["schedules"][0]["state"] == "enabled"
    paged = json.loads(queuetui("schedules", "list", "--offset", "1", "--limit", "1", "--json", *db).stdout)
    assert [s["name"] for s in paged["schedules"]] == ["b-daily"]
    bad = queuetui("schedules", "list", "-s", "is:sleepy", *db)
    assert bad.returncode == 2 and bad.stderr.startswith("queuetui: error: --search: is:sleepy: expected")


def test_problems_lists_every_field_at_fault_and_check_adds_the_name_saving_nothing(
    store: ScheduleStore,
) -> None:
    values = {"func": "tests.jobs:add", "cron": "0 3 * * *", "args": "[1, 2]"}
    assert problems(values, name="nightly") == {}
    bad = {
        "func": "app.gone:task",
        "cron": "0 25 * * *",
        "timezone": "Mars/Base",
        "kwargs": "[1]",
        "queue": " ",
    }
    assert problems(bad, name="") == {
        "name": "must not be empty",
        "kwargs": "expected a JSON object",
        "timezone": "unknown time zone 'Mars/Base'",
        "cron": "hour field '25': value out of range 0-23",
        "queue": "must not be empty",
        "func": "cannot import module 'app.gone' (ModuleNotFoundError: No module named 'app')",
    }
    assert "func" not in problems(bad, name="x", imports=False)
    store.add("nightly", values)
    audited = len(recent(store.sessions))
    assert store.check("nightly", values) == {"name": "a schedule named 'nightly' already exists"}
    assert store.check("nightly", {"cron": "0 4 * * *"}, editing=True) == {}
    assert store.check("nightly", {"func": "app.gone:task"}, editing=True, allow_missing=True) == {}
    assert set(store.check("nightly", {"func": "app.gone:task"}, editing=True)) == {"func"}
    assert store.check("other", {"cron": "0 4 * * *"}, editing=True) == {"name": "no schedule named 'other'"}
    assert len(recent(store.sessions)) == audited and len(store.schedules()) == 1


def test_an_edit_is_checked_with_the_fields_it_leaves_alone(store: ScheduleStore) -> None:
    store.add("later", {"func": "app.gone:task", "cron": "H 3 * * *"}, allow_missing=True)
    assert store.edit("later", {"timezone": "Europe/Rome"}).timezone == "Europe/Rome"  # func not re-imported
    with pytest.raises(ScheduleError, match=r"^timezone: unknown time zone 'Rome'$"):
        store.edit("later", {"timezone": "Rome"})
    with pytest.raises(ScheduleError, match=r"^func: cannot import module 'app.also_gone'.*--allow-missing"):
        store.edit("later", {"func": "app.also_gone:task"})
    assert recent(store.sessions)[0].outcome.startswith("failed: func: cannot import")
