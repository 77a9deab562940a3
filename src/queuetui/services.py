"""The composition root: settings become the Redis client, the schedule database, the audit trail, the
schedule store and the operations, for the CLI, the console and the demo alike.

    services = Services(settings)
    services.operations.plan("jobs.retry", selection)   # opens (and migrates) the database on first use

Each part is built on first use, so a command that only reads Redis never imports SQLAlchemy. Building
the database can raise DatabaseError (DatabaseURLError for a URL that cannot be parsed); a later call
tries again. The parts are built under a lock: the console asks for them from thread workers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from queuetui.clock import SYSTEM, Clock
from queuetui.config import Settings
from queuetui.rqdata.connection import connect

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from queuetui.actor import Identity
    from queuetui.audit import Audit
    from queuetui.operations import Operations
    from queuetui.roles import Role
    from queuetui.schedule.operator import ScheduleOperator
    from queuetui.schedule.store import ScheduleStore


class Services:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = SYSTEM,
        connection: redis.Redis | None = None,
        sessions: sessionmaker[Session] | None = None,
        identity: Identity | None = None,
    ) -> None:
        """`connection` and `sessions` let tests and the demo hand in a client and a database they opened;
        `identity` is who acts when it is not the OS user (a browser user of `queuetui serve`)."""
        self.settings = settings
        self.identity = identity
        self.clock = clock
        self.redis = (
            connection if connection is not None else connect(settings.redis_url, options=settings.connection)
        )
        self._own_connection = connection is None
        self._sessions = sessions
        self._store: ScheduleStore | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the Redis connections this made (not one handed in); the console does on a switch."""
        if self._own_connection:
            self.redis.close()

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The schedule database, opened and migrated on first use; DatabaseError when it cannot be."""
        with self._lock:
            if self._sessions is None:
                from queuetui.db.engine import open_database

                self._sessions = open_database(self.settings.db_url)
            return self._sessions

    @property
    def store(self) -> ScheduleStore:
        """The schedules, audited as the person running queuetui (or the identity handed in)."""
        sessions = self.sessions
        with self._lock:
            if self._store is None:
                from queuetui.audit import Audit, reap_interrupted
                from queuetui.schedule.store import ScheduleStore

                # Runs whose process died (SIGKILL, a crash) are closed as interrupted, with their counts.
                reap_interrupted(sessions, self.clock)
                audit = Audit.for_settings(sessions, self.settings, self.clock, self.identity)
                self._store = ScheduleStore(sessions, audit, self.clock)
            return self._store

    @property
    def audit(self) -> Audit:
        return self.store.audit

    @property
    def operations(self) -> Operations:
        """The audited job, queue and worker actions."""
        from queuetui.operations import Operations

        return Operations(self.redis, self.audit, confirm_above=self.settings.confirm_above)

    @property
    def operator(self) -> ScheduleOperator:
        """Run-now, backfill and pause-all: the schedule actions that write to Redis."""
        from queuetui.schedule.operator import ScheduleOperator

        return ScheduleOperator(self.store, self.redis)


ACL_SETUP = "README: What roles can and cannot stop"
"""Where the Redis ACL user of each role is set up."""


def acl_mismatch(connection: redis.Redis, role: Role) -> str | None:
    """For a viewer, one line saying so when the Redis user it connects as can write (its role then
    stops only mistakes: anything queuetui refuses, redis-cli does); None otherwise. Other roles and
    an answer Redis cannot give (out of memory) cost nothing and say nothing. One round trip (two
    when the user can write: its name); raises the Redis error when the server cannot be reached."""
    from queuetui.roles import Role
    from queuetui.rqdata.acl import can_write, whoami

    if role != Role.VIEWER or not can_write(connection):
        return None
    user = whoami(connection)
    named = f" ({user})" if user else ""
    return (
        f"this context's Redis user{named} can write: role viewer expects a read-only user (see {ACL_SETUP})"
    )


@dataclass(frozen=True)
class ContextSummary:
    """One context at a glance: reachable or why not, its job and worker counts, its firing alerts."""

    name: str
    url: str
    """Its Redis URL, password hidden."""
    production: bool
    read_only: bool
    color: str
    reachable: bool
    error: str = ""
    """Why it is not reachable, in one line."""
    waiting: int = 0
    running: int = 0
    failed: int = 0
    workers: int = 0
    firing: int | None = None
    """Alerts firing in its database; None when the database cannot be read."""


SUMMARY_TIMEOUT = 1.0
"""Seconds to connect to (and wait on) one context's Redis: an unreachable one costs about this much."""


def summarize_context(settings: Settings, name: str, timeout: float = SUMMARY_TIMEOUT) -> ContextSummary:
    """Read context `name`'s overview (rqdata.overview.snapshot: three round trips) and firing alerts;
    a Redis that cannot be reached is a summary that says why, never an exception."""
    from queuetui.config import redact_url, with_context
    from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
    from queuetui.rqdata.overview import snapshot

    scoped = with_context(settings, name)
    shown = ContextSummary(
        name=name,
        url=redact_url(scoped.redis_url),
        production=scoped.production,
        read_only=scoped.read_only,
        color=scoped.color,
        reachable=False,
    )
    client = connect(scoped.redis_url, timeout=timeout, options=scoped.connection)
    try:
        overview = snapshot(client)
    except REDIS_ERRORS as exc:
        return replace(shown, error=describe_error(exc), firing=_firing(scoped.db_url))
    finally:
        client.close()
    return replace(
        shown,
        reachable=True,
        waiting=sum(q.waiting for q in overview.queues),
        running=sum(q.started for q in overview.queues),
        failed=sum(q.failed for q in overview.queues),
        workers=len(overview.workers),
        firing=_firing(scoped.db_url),
    )


def _firing(db_url: str) -> int | None:
    """The context's firing alerts; 0 for a SQLite file never created (nothing ever fired there)."""
    from queuetui.db.engine import DatabaseError, open_database
    from queuetui.metrics.alerts import firing_count

    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).exists():
        return 0
    try:
        sessions = open_database(db_url)
        try:
            return firing_count(sessions)
        finally:
            sessions.kw["bind"].dispose()
    except DatabaseError:
        return None
