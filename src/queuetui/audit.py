"""The one path every mutation goes through: refused by read-only mode or by role, else audited.

    with audit.mutation("jobs.retry", target="emails failed", filter="exc:Timeout") as entry:
        entry.set_ids(ids)          # the jobs asked for: all of them, or a count and a sample
        ...                         # the change itself
        entry.done, entry.failed = 40, 2

records who (OS user, SSH client address, host, role), in which context, what, on which target and
filter, which jobs, how many were asked for, done and failed, the outcome ('ok', 'partial', 'cancelled',
'failed: <one line>', 'refused: read-only', 'refused: needs admin, you are operator') and when it
started and ended, in the schedule database. The row is written when the mutation starts and completed when it
ends, so a process killed halfway leaves a row that says 'running'. Refused and failed attempts are
recorded too: the trail shows attempts, not only successes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from queuetui.actor import Actor as Actor
from queuetui.actor import Identity as Identity
from queuetui.actor import current_actor as current_actor
from queuetui.actor import os_user as os_user
from queuetui.clock import SYSTEM, Clock
from queuetui.config import Settings
from queuetui.db.engine import session_scope
from queuetui.db.models import AuditEntry
from queuetui.errors import ReadOnlyError as ReadOnlyError
from queuetui.errors import Refused as Refused
from queuetui.errors import RoleError as RoleError
from queuetui.roles import Role, refusal, user_groups

IDS_KEPT = 1000
"""Up to this many job ids are recorded in full; above it, a count and SAMPLE of them."""
SAMPLE = 100
PROBLEMS_KEPT = 1000


@dataclass
class Pending:
    """What the mutation reports about itself while it runs."""

    requested: int = 0
    """How many things were asked for (jobs, schedules); at least done + failed."""
    done: int = 0
    failed: int = 0
    outcome: str = ""
    """Leave empty for 'ok' (or 'partial' when some failed); 'cancelled' when stopped halfway."""
    job_ids: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    checkpoint: Callable[[], None] = field(default=lambda: None, repr=False)
    """Write what is done so far to the entry (a bulk run calls it after each chunk)."""

    def set_ids(self, ids: list[str]) -> None:
        """The jobs asked for: every id up to IDS_KEPT, else the first SAMPLE (the count is `requested`)."""
        self.requested = max(self.requested, len(ids))
        self.job_ids = list(ids) if len(ids) <= IDS_KEPT else list(ids[:SAMPLE])


class Audit:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        read_only: bool = False,
        actor: Actor | None = None,
        clock: Clock = SYSTEM,
        role: Role = Role.ADMIN,
        context: str = "",
    ) -> None:
        """An audit trail acting as `actor` with `role`, in `context` (config [contexts.NAME], or '').

        The role defaults to admin for code that acts for itself (the scheduler, tests); the CLI and
        the console build theirs with for_settings, which gives the role the config maps the OS user to.
        """
        self.sessions = sessions
        self.read_only = read_only
        self.actor = actor or current_actor()
        self.clock = clock
        self.role = role
        self.context = context

    @classmethod
    def for_settings(
        cls,
        sessions: sessionmaker[Session],
        settings: Settings,
        clock: Clock = SYSTEM,
        identity: Identity | None = None,
    ) -> Audit:
        """The audit trail of the person running queuetui (their role from the config), or of `identity`;
        read-only and the context from the settings."""
        if identity is not None:
            actor, role = identity.actor, identity.role
        else:
            actor = current_actor()
            role = settings.roles.role_for(actor.user, user_groups(actor.user))
        return cls(
            sessions,
            read_only=settings.read_only,
            actor=actor,
            clock=clock,
            role=role,
            context=settings.context,
        )

    def refusal(self, action: str) -> str | None:
        """Why `action` would be refused now (so a UI can hide it), or None when it is allowed."""
        return refusal(action, self.role, self.read_only)

    @contextmanager
    def mutation(
        self,
        action: str,
        target: str = "",
        filter: str = "",
        *,
        job_ids: Sequence[str] = (),
        requested: int = 0,
    ) -> Iterator[Pending]:
        """Run one mutation: refuse it (read-only, role) or record its outcome, whatever it is.

        `job_ids` and `requested` say what was asked for, so a refusal records it too.
        """
        pending = Pending(requested=requested)
        pending.set_ids(list(job_ids))
        reason = self.refusal(action)
        if reason is not None:
            entry_id = self._start(action, target, filter, pending)
            self._finish(entry_id, pending, f"refused: {reason}")
            error = ReadOnlyError if reason == "read-only" else RoleError
            hint = "queuetui is read-only (--read-only)" if reason == "read-only" else reason
            raise error(f"{action} refused: {hint}; nothing changed")
        entry_id = self._start(action, target, filter, pending)
        pending.checkpoint = lambda: self._checkpoint(entry_id, pending)
        try:
            yield pending
        except BaseException as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._finish(entry_id, pending, f"failed: {message}")
            raise
        self._finish(entry_id, pending, pending.outcome or ("partial" if pending.failed else "ok"))

    def _start(self, action: str, target: str, filter: str, pending: Pending | None = None) -> int:
        pending = pending or Pending()
        with session_scope(self.sessions) as session:
            entry = AuditEntry(
                at=self.clock.now(),
                actor=self.actor.user,
                client=self.actor.client,
                host=self.actor.host,
                role=self.role.label,
                context=self.context,
                action=action,
                target=target,
                filter=filter,
                outcome="running",
                requested=pending.requested,
                done=0,
                failed=0,
                job_ids=pending.job_ids,
                # Who holds the entry open: a later queuetui on this host closes it if that pid is gone.
                detail={PROCESS: {"host": self.actor.host, "pid": os.getpid()}},
            )
            session.add(entry)
            session.flush()
            return entry.id

    def _finish(self, entry_id: int, pending: Pending, outcome: str) -> None:
        with session_scope(self.sessions) as session:
            entry = session.get_one(AuditEntry, entry_id)
            entry.ended_at = self.clock.now()
            entry.requested = max(pending.requested, pending.done + pending.failed)
            entry.done = pending.done
            entry.failed = pending.failed
            entry.job_ids = pending.job_ids
            entry.detail = {**pending.detail, PROCESS: (entry.detail or {}).get(PROCESS)}
            entry.outcome = outcome

    def _checkpoint(self, entry_id: int, pending: Pending) -> None:
        with session_scope(self.sessions) as session:
            entry = session.get_one(AuditEntry, entry_id)
            entry.done = pending.done
            entry.failed = pending.failed
            entry.job_ids = pending.job_ids
            entry.detail = {**pending.detail, PROCESS: (entry.detail or {}).get(PROCESS)}


PROCESS = "process"
"""The detail key of the host and pid that run a mutation (what reap_interrupted checks)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def reap_interrupted(sessions: sessionmaker[Session], clock: Clock = SYSTEM, host: str | None = None) -> int:
    """Close the 'running' entries of this host whose process is gone, as interrupted; how many.

    The outcome says what they had done by their last checkpoint: 'interrupted: process 4121 on app-1
    ended before it finished; 40 of 1,000 done, 2 failed'. Entries of other hosts stay as they are
    (their own queuetui closes them): a pid means nothing on another machine.
    """
    host = host or socket.gethostname()
    closed = 0
    with session_scope(sessions) as session:
        for entry in session.scalars(select(AuditEntry).where(AuditEntry.outcome == "running")):
            process = (entry.detail or {}).get(PROCESS) or {}
            pid = process.get("pid")
            if process.get("host") != host or not isinstance(pid, int) or _alive(pid):
                continue
            entry.ended_at = clock.now()
            entry.outcome = (
                f"interrupted: process {pid} on {host} ended before it finished; "
                f"{entry.done:,} of {entry.requested:,} done, {entry.failed:,} failed"
            )
            closed += 1
    return closed


def recent(
    sessions: sessionmaker[Session],
    limit: int = 100,
    *,
    action: str = "",
    actor: str = "",
    since: datetime | None = None,
) -> list[AuditEntry]:
    """The newest audit entries first; `action` is a name or a prefix ending in '*' ('jobs.*')."""
    with session_scope(sessions) as session:
        query = select(AuditEntry)
        if action.endswith("*"):
            query = query.where(AuditEntry.action.startswith(action[:-1], autoescape=True))
        elif action:
            query = query.where(AuditEntry.action == action)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        return list(session.scalars(query))
