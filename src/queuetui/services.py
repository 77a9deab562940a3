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
from typing import TYPE_CHECKING

import redis

from queuetui.clock import SYSTEM, Clock
from queuetui.config import Settings
from queuetui.rqdata.connection import connect

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from queuetui.audit import Audit
    from queuetui.operations import Operations
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
    ) -> None:
        """`connection` and `sessions` let tests and the demo hand in a client and a database they opened."""
        self.settings = settings
        self.clock = clock
        self.redis = connection if connection is not None else connect(settings.redis_url)
        self._sessions = sessions
        self._store: ScheduleStore | None = None
        self._lock = threading.Lock()

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
        """The schedules, audited as the person running queuetui."""
        sessions = self.sessions
        with self._lock:
            if self._store is None:
                from queuetui.audit import Audit, reap_interrupted
                from queuetui.schedule.store import ScheduleStore

                # Runs whose process died (SIGKILL, a crash) are closed as interrupted, with their counts.
                reap_interrupted(sessions, self.clock)
                audit = Audit.for_settings(sessions, self.settings, self.clock)
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
