"""The one path every mutation goes through: refused in read-only mode, recorded in the audit trail.

    with audit.mutation("schedule.add", target="nightly") as entry:
        ...             # the change itself
        entry.count = 1

records who (OS user and SSH client address), what, on which target and filter, how many, the
outcome ('ok', 'failed: <one line>', 'refused: read-only') and when, in the schedule database.
A refused or failed mutation is recorded too: the trail shows attempts, not only successes.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from queuetui.clock import SYSTEM, Clock
from queuetui.schedule.db import session_scope
from queuetui.schedule.models import AuditEntry


class ReadOnlyError(Exception):
    """A mutation asked of a read-only queuetui."""


@dataclass(frozen=True)
class Actor:
    user: str
    client: str
    """The SSH client address, or 'local'."""


def current_actor() -> Actor:
    """The OS user running queuetui, and the address they came from over SSH."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    ssh = os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_CLIENT") or ""
    return Actor(user, ssh.split()[0] if ssh.split() else "local")


@dataclass
class Pending:
    """What the mutation reports about itself while it runs."""

    count: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


class Audit:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        read_only: bool = False,
        actor: Actor | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.sessions = sessions
        self.read_only = read_only
        self.actor = actor or current_actor()
        self.clock = clock

    @contextmanager
    def mutation(self, action: str, target: str = "", filter: str = "") -> Iterator[Pending]:
        """Run one mutation: refuse it when read-only, record its outcome either way."""
        pending = Pending()
        if self.read_only:
            self._record(action, target, filter, pending, "refused: read-only")
            raise ReadOnlyError(f"{action} refused: queuetui is read-only (--read-only); nothing changed")
        try:
            yield pending
        except BaseException as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._record(action, target, filter, pending, f"failed: {reason}")
            raise
        self._record(action, target, filter, pending, "ok")

    def _record(self, action: str, target: str, filter: str, pending: Pending, outcome: str) -> None:
        with session_scope(self.sessions) as session:
            session.add(
                AuditEntry(
                    at=self.clock.now(),
                    actor=self.actor.user,
                    client=self.actor.client,
                    action=action,
                    target=target,
                    filter=filter,
                    count=pending.count,
                    outcome=outcome,
                    detail=pending.detail,
                )
            )


def recent(sessions: sessionmaker[Session], limit: int = 100) -> list[AuditEntry]:
    """The newest audit entries first."""
    with session_scope(sessions) as session:
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        return list(session.scalars(query))
