"""The schedule database: opening it (SQLite file by default, any SQLAlchemy URL) and migrating it.

An empty or older database is brought up to date on first use; `queuetui db upgrade` does the same
explicitly. SQLite runs in WAL mode with a busy timeout, so the console, the scheduler and workers
can share one file; a database that stays locked or unreachable raises DatabaseError, whose message
is one line for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from queuetui.config import data_dir

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000


class DatabaseError(Exception):
    """The schedule database cannot be used; the message is one line that names the fix."""


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'queuetui.db'}"


def redact(url: str) -> str:
    """The URL with any password hidden, safe to show and log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: switching to WAL may wait too
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str = "") -> Engine:
    """An engine for `url` (default: the SQLite file in the data dir); DatabaseError if unusable."""
    url = url or default_url()
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseError(
            f"invalid database URL {redact(url)!r}: expected e.g. sqlite:///path.db"
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create {folder} for the database: {exc.strerror}") from None
    try:
        engine = sa.create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"cannot use database {redact(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None, "the migrations directory has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with _errors(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate the database to the newest revision; (revision before, revision after)."""
    with _errors(engine), engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        if before != head_revision():
            command.upgrade(_config(connection), "head")
    return before, head_revision()


def open_database(url: str = "") -> sessionmaker[Session]:
    """Sessions on an up-to-date database at `url`, migrating it on first use."""
    engine = create_engine(url)
    if current_revision(engine) != head_revision():
        upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def _errors(engine: Engine) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        reason = str(exc.orig or exc).splitlines()[0]
        hint = " (another process holds a write lock; retry)" if "locked" in reason else ""
        raise DatabaseError(f"database {redact(str(engine.url))}: {reason}{hint}") from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DatabaseError(f"database {redact(str(engine.url))}: {reason}") from None


@contextmanager
def session_scope(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back (nothing half-saved) on error."""
    engine = sessions.kw["bind"]
    with _errors(engine), sessions.begin() as session:
        yield session
