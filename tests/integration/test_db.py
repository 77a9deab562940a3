"""The schedule database on a real SQLite file and a real PostgreSQL database: first-use migration,
schema, UTC times, locks, an unreachable server, bad input."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.orm import Session

from queuetui.db import engine as db
from queuetui.db.migrations import HEAD
from queuetui.db.models import AuditEntry, Base, Schedule, ScheduleRun
from tests.integration.test_cli import queuetui


def _schedule(**fields: object) -> Schedule:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    values: dict[str, object] = {"name": "nightly", "func": "app.jobs:report", "cron": "0 3 * * *"}
    return Schedule(**{**values, "created_at": now, "updated_at": now, **fields})


def test_an_empty_database_is_migrated_on_first_use_to_the_models_schema(empty_db_url: str) -> None:
    sessions = db.open_database(empty_db_url)
    engine = sessions.kw["bind"]
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as connection:
        # Reflection may drop an index column's DESC, so that one index is compared by its definition.
        def comparable(thing: object, name: str | None, kind: str, *_: object) -> bool:
            return not (kind == "index" and name == "ix_schedules_list")

        context = MigrationContext.configure(connection, opts={"include_object": comparable})
        assert compare_metadata(context, Base.metadata) == []
        if engine.dialect.name == "sqlite":
            index = "SELECT sql FROM sqlite_master WHERE name = 'ix_schedules_list'"
        else:
            index = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_schedules_list'"
        definition = connection.exec_driver_sql(index).scalar() or ""
        assert re.search(
            r"ix_schedules_list ON (public\.)?schedules (USING btree )?\(enabled DESC, next_fire_at, name\)",
            definition,
        ), definition
    assert db.upgrade(engine) == (db.head_revision(), db.head_revision())


def test_head_names_the_newest_migration_as_alembic_reads_the_scripts() -> None:
    """An up-to-date database is recognised by HEAD without Alembic: a migration added without moving
    HEAD would otherwise never be applied to a database at the previous one."""
    assert ScriptDirectory(str(db.MIGRATIONS)).get_heads() == [HEAD]
    assert db.head_revision() == HEAD


OPEN_AND_LIST = """
import sys
from queuetui.db.engine import open_database
open_database(sys.argv[1]).kw["bind"].dispose()
print("\\n".join(sorted(sys.modules)))
"""


def opened_loading(url: str) -> set[str]:
    """The top-level packages a fresh process has loaded once it has opened the database at `url`."""
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_LIST, url], capture_output=True, text=True, check=True, timeout=60
    )
    return {name.partition(".")[0] for name in done.stdout.split()}


def test_opening_an_up_to_date_database_does_not_load_alembic(empty_db_url: str) -> None:
    assert "alembic" in opened_loading(empty_db_url)  # an empty one is migrated
    assert db.current_revision(db.create_engine(empty_db_url)) == HEAD
    assert "alembic" not in opened_loading(empty_db_url)


def test_a_version_table_with_several_revisions_is_a_one_line_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    engine = db.open_database(url).kw["bind"]
    with engine.begin() as connection:
        connection.execute(sa.insert(db.VERSIONS).values(version_num="0001"))
    with pytest.raises(
        db.DatabaseError,
        match=rf"^database sqlite:///.*: 2 revisions recorded \(0001, {HEAD}\); expected one$",
    ):
        db.open_database(url)


def test_a_database_at_the_first_revision_is_upgraded_keeping_its_rows(empty_db_url: str) -> None:
    engine = db.create_engine(empty_db_url)
    with engine.begin() as connection:
        command.upgrade(db._config(connection), "0001")
        row = {"actor": "ops", "client": "local", "action": "schedule.add", "target": "x", "filter": ""}
        at = datetime(2026, 11, 23, tzinfo=UTC)
        columns = ("at", "actor", "client", "action", "target", "filter", "count", "outcome", "detail")
        audit_at_0001 = sa.table("audit", *(sa.column(c) for c in columns))  # as 0001 made it
        connection.execute(
            sa.insert(audit_at_0001).values(
                **row, at=at.replace(tzinfo=None), count=1, outcome="ok", detail="{}"
            )
        )
        schedule = _schedule(name="kept")
        with Session(connection) as session:  # a schedule with a run: rebuilding the table must not cascade
            session.add(schedule)
            session.flush()
            session.add(ScheduleRun(schedule_id=schedule.id, fire_time=at, job_id="qt-1-x", state="finished"))
            session.flush()
    sessions = db.open_database(empty_db_url)
    assert db.current_revision(engine) == db.head_revision()
    with db.session_scope(sessions) as session:
        (kept,) = session.scalars(sa.select(AuditEntry)).all()
        session.add(AuditEntry(at=kept.at, actor="ops", action="schedule.rm", outcome="failed: " + "x" * 300))
    assert (kept.action, kept.outcome, kept.at) == ("schedule.add", "ok", datetime(2026, 11, 23, tzinfo=UTC))
    assert (kept.done, kept.requested) == (1, 1)  # what 0001 counted was done
    with db.session_scope(sessions) as session:
        assert [r.job_id for r in session.scalars(sa.select(ScheduleRun))] == ["qt-1-x"]


def test_a_deleted_schedules_id_is_never_handed_out_again(db_url: str) -> None:
    """Ids are in job ids and fired markers: a reused one would find its fire times already fired."""
    sessions = db.open_database(db_url)
    with db.session_scope(sessions) as session:
        first, second = _schedule(name="first"), _schedule(name="second")
        session.add_all([first, second])
    with db.session_scope(sessions) as session:
        session.execute(sa.delete(Schedule).where(Schedule.name == "second"))
    with db.session_scope(sessions) as session:
        third = _schedule(name="third")
        session.add(third)
    assert (first.id, second.id, third.id) == (1, 2, 3)


def test_a_new_sqlite_file_gets_its_folder_and_wal_mode(tmp_path: Path) -> None:
    engine = db.open_database(f"sqlite:///{tmp_path / 'new' / 'q.db'}").kw["bind"]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_sqlite_uri_filename_opens_that_file_and_makes_no_file_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`?uri=true` makes the database 'file:' then a path: its folder is made, not a 'file:' tree here."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "abs dir" / "q.db"
    for url in (f"sqlite:///file:{target}?mode=rwc&uri=true", "sqlite:///file:rel/q.db?uri=true"):
        db.open_database(url).kw["bind"].dispose()
    assert target.is_file() and (tmp_path / "rel" / "q.db").is_file()
    read_only = db.open_database("sqlite:///file:rel/q.db?mode=ro&uri=true")
    assert db.current_revision(read_only.kw["bind"]) == db.head_revision()
    with pytest.raises(db.DatabaseError, match="unable to open database file"):
        db.open_database("sqlite:///file:nowhere/q.db?mode=ro&uri=true")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abs dir", "rel"]


def test_schedulers_starting_together_on_an_empty_postgresql_database_migrate_it_once(
    postgres_url: str,
) -> None:
    with ThreadPoolExecutor(4) as pool:
        opened = list(pool.map(db.open_database, [postgres_url] * 4))
    engine = opened[0].kw["bind"]
    assert db.current_revision(engine) == db.head_revision()


def test_schedulers_starting_together_on_a_new_sqlite_file_migrate_it_once(tmp_path: Path) -> None:
    for attempt in range(5):  # the race is narrow: several fresh files make it likely to show
        url = f"sqlite:///{tmp_path / f'new{attempt}.db'}"
        with ThreadPoolExecutor(3) as pool:  # each opens its own engine, so its own connection
            opened = list(pool.map(db.open_database, [url] * 3))
        assert db.current_revision(opened[0].kw["bind"]) == db.head_revision()


def test_times_are_stored_in_utc_and_come_back_aware(db_url: str) -> None:
    sessions = db.open_database(db_url)
    rome = timezone(timedelta(hours=1))
    with db.session_scope(sessions) as session:
        session.add(_schedule(next_fire_at=datetime(2026, 11, 24, 3, tzinfo=rome)))
    engine = sessions.kw["bind"]
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT next_fire_at FROM schedules")).scalar()
    assert str(stored).startswith("2026-11-24 02:00:00")
    with db.session_scope(sessions) as session:
        loaded = session.scalars(sa.select(Schedule)).one()
    assert loaded.next_fire_at == datetime(2026, 11, 24, 2, tzinfo=UTC)
    assert loaded.next_fire_at.tzinfo is UTC
    with pytest.raises(db.DatabaseError, match="naive datetime"), db.session_scope(sessions) as session:
        session.add(_schedule(name="naive", next_fire_at=datetime(2026, 11, 24, 3)))
    with db.session_scope(sessions) as session:
        assert session.scalars(sa.select(Schedule.name)).all() == ["nightly"]  # nothing half-saved


def test_a_locked_database_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "q.db"
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(db.DatabaseError) as caught:
            db.open_database(f"sqlite:///{path}")
    finally:
        holder.rollback()
        holder.close()
    message = str(caught.value)
    assert "database is locked" in message and "retry" in message and "\n" not in message
    assert db.current_revision(db.create_engine(f"sqlite:///{path}")) is None


def test_a_postgresql_lock_held_too_long_is_a_one_line_error(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    sessions = db.open_database(postgres_url)
    with sessions.kw["bind"].connect() as holder:
        holder.exec_driver_sql("LOCK TABLE schedules IN ACCESS EXCLUSIVE MODE")  # until rolled back
        with pytest.raises(db.DatabaseError) as caught, db.session_scope(sessions) as session:
            session.add(_schedule())
        holder.rollback()
    message = str(caught.value)
    assert "canceling statement due to lock timeout" in message and "retry" in message
    assert "\n" not in message
    with db.session_scope(sessions) as session:
        assert session.scalars(sa.select(Schedule.name)).all() == []


def test_an_unreachable_postgresql_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(db.DatabaseError) as caught:
        db.open_database(f"postgresql://ops:secret@/q?host={tmp_path}")  # no server's socket there
    message = str(caught.value)
    assert message.startswith("database postgresql+psycopg://ops:***@/q?host=")
    assert "No such file or directory" in message and "secret" not in message and "\n" not in message
    refused = queuetui("db", "current", "--db-url", "postgresql://ops:secret@127.0.0.1:1/q?connect_timeout=5")
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith("queuetui: error: database postgresql+psycopg://ops:***@127.0.0.1:1/q")
    assert "Connection refused" in refused.stderr and "secret" not in refused.stderr


def test_a_missing_driver_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as on a machine without queuetui[postgres]
    with pytest.raises(db.DatabaseError) as caught:
        db.create_engine("postgresql://ops:secret@db.example/q")
    assert str(caught.value) == (
        "cannot use database postgresql+psycopg://ops:***@db.example/q: "
        "the PostgreSQL driver psycopg is not installed: pip install 'queuetui[postgres]'"
    )
    with pytest.raises(db.DatabaseError, match=r"^cannot use database postgresql\+pg8000://db.example/q: "):
        db.create_engine("postgresql+pg8000://db.example/q")
    assert db.redact("postgresql://ops@db.example/q?sslmode=require&password=secret") == (
        "postgresql://ops@db.example/q?password=***&sslmode=require"
    )


def test_db_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    head = db.head_revision()
    first = queuetui("db", "current", "--db-url", url)
    head = db.head_revision()
    assert first.returncode == 0 and f"revision none (empty), behind (newest is {head})" in first.stdout
    upgraded = queuetui("db", "upgrade", "--db-url", url)
    assert upgraded.returncode == 0
    assert f"upgraded from an empty database to revision {head}" in upgraded.stdout
    again = queuetui("db", "upgrade", "--db-url", url)
    assert again.stdout.strip().endswith(f"already at revision {head}")
    malformed = queuetui("db", "upgrade", "--db-url", "postgresql://ops:secret@db:port/q")
    assert malformed.returncode == 2
    assert malformed.stderr == (
        "queuetui: error: invalid database URL 'postgresql://ops:***@db:port/q': "
        "expected e.g. sqlite:///path.db or postgresql://user@host/database\n"
    )
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, it is just long enough to be read as one......" * 20)
    broken = queuetui("db", "upgrade", "--db-url", f"sqlite:///{garbage}")
    assert broken.returncode == 1
    assert broken.stderr == f"queuetui: error: database sqlite:///{garbage}: file is not a database\n"
