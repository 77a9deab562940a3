"""The schedule database on a real SQLite file: first-use migration, schema, UTC times, bad input."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from queuetui.schedule import db
from queuetui.schedule.models import Base, Schedule
from tests.integration.test_cli import queuetui


def _schedule(**fields: object) -> Schedule:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    values: dict[str, object] = {"name": "nightly", "func": "app.jobs:report", "cron": "0 3 * * *"}
    return Schedule(**{**values, "created_at": now, "updated_at": now, **fields})


def test_an_empty_database_is_migrated_on_first_use_to_the_models_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'q.db'}"
    sessions = db.open_database(url)
    engine = sessions.kw["bind"]
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as connection:
        # SQLite's reflection drops an index column's DESC, so that one index is compared by its SQL.
        def comparable(thing: object, name: str | None, kind: str, *_: object) -> bool:
            return not (kind == "index" and name == "ix_schedules_list")

        context = MigrationContext.configure(connection, opts={"include_object": comparable})
        assert compare_metadata(context, Base.metadata) == []
        index_sql = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_schedules_list'"
        ).scalar()
        assert index_sql == "CREATE INDEX ix_schedules_list ON schedules (enabled DESC, next_fire_at, name)"
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert db.upgrade(engine) == (db.head_revision(), db.head_revision())


def test_times_are_stored_in_utc_and_come_back_aware(tmp_path: Path) -> None:
    sessions = db.open_database(f"sqlite:///{tmp_path / 'q.db'}")
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


def test_db_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    head = db.head_revision()
    first = queuetui("db", "current", "--db-url", url)
    assert first.returncode == 0 and f"revision none (empty), behind (newest is {head})" in first.stdout
    upgraded = queuetui("db", "upgrade", "--db-url", url)
    assert (
        upgraded.returncode == 0 and f"upgraded from an empty database to revision {head}" in upgraded.stdout
    )
    again = queuetui("db", "upgrade", "--db-url", url)
    assert again.stdout.strip().endswith(f"already at revision {head}")
    malformed = queuetui("db", "upgrade", "--db-url", "postgresql://ops:secret@db:port/q")
    assert malformed.returncode == 2
    assert malformed.stderr == (
        "queuetui: error: invalid database URL 'postgresql://ops:***@db:port/q': "
        "expected e.g. sqlite:///path.db\n"
    )
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, it is just long enough to be read as one......" * 20)
    broken = queuetui("db", "upgrade", "--db-url", f"sqlite:///{garbage}")
    assert broken.returncode == 1
    assert broken.stderr == f"queuetui: error: database sqlite:///{garbage}: file is not a database\n"
