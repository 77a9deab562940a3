"""The schedule database: opening it (SQLite file by default, any SQLAlchemy URL) and migrating it.

An empty or older database is brought up to date on first use; `queuetui db upgrade` does the same
explicitly. SQLite runs in WAL mode with a busy timeout, so the console, the scheduler and workers
can share one file. PostgreSQL (tested with psycopg 3, the `queuetui[postgres]` extra; a bare
postgresql:// URL uses it) waits as long for a lock (lock_timeout) and CONNECT_TIMEOUT to connect,
and migrations there hold an advisory lock (SQLite: the write lock, taken before the revision is
read), so processes starting together on a new database migrate it once. A database
that stays locked or unreachable raises DatabaseError, whose message is one line for people.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from queuetui.config import data_dir
from queuetui.db.migrations import HEAD
from queuetui.errors import DatabaseError as DatabaseError
from queuetui.errors import DatabaseURLError as DatabaseURLError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another process's lock before failing (SQLite and PostgreSQL)."""
WAL_RETRY_MS = 20
CONNECT_TIMEOUT = 10
"""Seconds to wait for a PostgreSQL server to accept a connection, unless the URL says otherwise."""
_MIGRATION_LOCK = 0x71756575  # PostgreSQL advisory lock key held while migrating ('queu')
_POSTGRES_EXTRA = "pip install 'queuetui[postgres]'"
VERSIONS = sa.table("alembic_version", sa.column("version_num"))
"""Where Alembic records the revision a database is at (its default version table)."""


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'queuetui.db'}"


def redact(url: str) -> str:
    """The URL with any password hidden (also one given as a query parameter), safe to show and log."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        shown = re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)
    return re.sub(r"([?&][^=&]*password=)[^&]*", r"\1***", shown, flags=re.IGNORECASE)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Switching a new file to WAL while another connection does the same is refused at once, without
    # the busy timeout: the switch is brief, so it is tried again for as long as a lock is waited for.
    for attempt in itertools.count(1):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt * WAL_RETRY_MS >= BUSY_TIMEOUT_MS:
                raise
            time.sleep(WAL_RETRY_MS / 1000)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _postgres_settings(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET lock_timeout = {int(BUSY_TIMEOUT_MS)}")
    cursor.close()
    dbapi_connection.commit()  # a SET rolled back with its transaction would be undone


def _with_driver(parsed: URL) -> URL:
    """A PostgreSQL URL that names no driver gets psycopg 3, the one queuetui[postgres] installs."""
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def _connect_args(parsed: URL) -> dict[str, Any]:
    libpq = parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("psycopg", "psycopg2")
    return {"connect_timeout": CONNECT_TIMEOUT} if libpq and "connect_timeout" not in parsed.query else {}


def _missing_driver(parsed: URL, exc: ImportError) -> str:
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() == "psycopg":
            return f"the PostgreSQL driver psycopg is not installed: {_POSTGRES_EXTRA}"
        return f"its driver is not installed ({exc}); or use postgresql+psycopg:// after {_POSTGRES_EXTRA}"
    return f"its driver is not installed ({exc})"


def _sqlite_file(parsed: URL) -> Path | None:
    """The file a SQLite URL opens and may create (so its folder is made first); None for an in-memory
    database or a URI filename (`?uri=true`) opened with mode=ro or rw, which never creates the file.

    A URI filename is 'file:' then a path, percent-encoded: taken as a path of folders it would make a
    'file:' folder tree in the current directory and then fail to open.
    """
    database = parsed.database or ""
    if database in ("", ":memory:"):
        return None
    if str(parsed.query.get("uri", "")).lower() not in ("true", "1") or not database.startswith("file:"):
        return Path(database)
    mode = str(parsed.query.get("mode", "rwc"))
    path = unquote(urlsplit(database).path)
    if mode != "rwc" or path in ("", ":memory:"):
        return None
    return Path(path)


def create_engine(url: str = "") -> Engine:
    """An engine for `url` (default: the SQLite file in the data dir); DatabaseError if unusable."""
    url = url or default_url()
    try:
        parsed = _with_driver(make_url(url))
    except (ArgumentError, ValueError):
        raise DatabaseURLError(
            f"invalid database URL {redact(url)!r}: expected e.g. sqlite:///path.db "
            "or postgresql://user@host/database"
        ) from None
    if parsed.get_backend_name() == "sqlite" and (file := _sqlite_file(parsed)) is not None:
        folder = file.expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create {folder} for the database: {exc.strerror}") from None
    try:
        engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args=_connect_args(parsed))
    except ImportError as exc:
        shown = redact(parsed.render_as_string(hide_password=False))
        raise DatabaseError(f"cannot use database {shown}: {_missing_driver(parsed, exc)}") from None
    except ArgumentError as exc:
        raise DatabaseError(f"cannot use database {redact(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgres_settings)
    return engine


def _config(connection: sa.Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration's revision (migrations.HEAD, known without loading Alembic)."""
    return HEAD


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database.

    Read with plain SQL from Alembic's version table, as Alembic reads it, so that opening an
    up-to-date database never loads Alembic (about 0.15 s of every start)."""
    with _errors(engine), engine.connect() as connection:
        if not sa.inspect(connection).has_table(VERSIONS.name):
            return None
        revisions = connection.execute(sa.select(VERSIONS.c.version_num)).scalars().all()
    if len(revisions) > 1:  # branches, which queuetui's one line of migrations never makes
        raise DatabaseError(
            f"database {redact(str(engine.url))}: {len(revisions)} revisions recorded "
            f"({', '.join(sorted(revisions))}); expected one"
        )
    return revisions[0] if revisions else None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate the database to the newest revision; (revision before, revision after)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with _errors(engine), engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a table rebuilt by a migration must not cascade its drop to the rows that refer to it
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                # One migrator at a time; the others wait, then find the database up to date.
                if sqlite:  # the write lock now, before reading the revision (a plain BEGIN takes it late)
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                elif connection.dialect.name == "postgresql":
                    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
                before = MigrationContext.configure(connection).get_current_revision()
                if before != head_revision():
                    command.upgrade(_config(connection), "head")
                if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").first()):
                    raise DatabaseError(
                        f"migration left a row of {broken[0]} without its {broken[2]}; not applied"
                    )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
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
        reason = (str(exc.orig or exc).strip() or type(exc.orig or exc).__name__).splitlines()[0]
        hint = " (another process holds a write lock; retry)" if re.search(r"\block", reason) else ""
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
