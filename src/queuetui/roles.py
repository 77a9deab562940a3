"""Who may do what: the roles, the one registry of every action that changes something, and the check.

Every mutation is named here with the least role that may do it; audit.Audit.mutation refuses a name
that is not here, so an action cannot exist without a rule (and the tests enumerate this registry).
Roles come from the config file, which maps OS users and groups to roles (config.RoleMap). They keep
an operator from a mistake they did not mean; they are a security boundary only where the config
file is one the user cannot edit (QUEUETUI_CONFIG pointing to a root-owned file).
"""

from __future__ import annotations

import grp
import os
import pwd
from dataclasses import dataclass, field
from enum import IntEnum


class Role(IntEnum):
    VIEWER = 1
    """Reads everything, changes nothing."""
    OPERATOR = 2
    """Retries, cancels, stops, deletes jobs; suspends workers; edits schedules."""
    ADMIN = 3
    """Also empties queues, shuts down or kills workers, deletes schedules."""

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def named(cls, name: str) -> Role:
        """The role called `name`; ValueError naming the choices otherwise."""
        try:
            return cls[name.upper()]
        except KeyError:
            choices = ", ".join(r.label for r in cls)
            raise ValueError(f"unknown role {name!r} (one of: {choices})") from None


@dataclass(frozen=True)
class Action:
    name: str
    role: Role
    summary: str


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("jobs.retry", Role.OPERATOR, "put failed jobs back on their queue"),
        Action("jobs.requeue", Role.OPERATOR, "put failed, canceled or finished jobs on a queue"),
        Action("jobs.move", Role.OPERATOR, "move waiting jobs to another queue"),
        Action("jobs.cancel", Role.OPERATOR, "cancel waiting, scheduled or deferred jobs"),
        Action("jobs.stop", Role.OPERATOR, "stop running jobs"),
        Action("jobs.delete", Role.OPERATOR, "delete jobs"),
        Action("jobs.enqueue-now", Role.OPERATOR, "enqueue scheduled jobs now"),
        Action("jobs.release", Role.OPERATOR, "enqueue deferred jobs now, whatever their dependencies"),
        Action("queues.empty", Role.ADMIN, "delete every job waiting in a queue"),
        Action("workers.suspend", Role.OPERATOR, "suspend every worker"),
        Action("workers.resume", Role.OPERATOR, "resume every worker"),
        Action("workers.stop-job", Role.OPERATOR, "stop the job a worker runs"),
        Action("workers.shutdown", Role.ADMIN, "shut a worker down after its job"),
        Action("workers.kill-horse", Role.ADMIN, "kill a worker's work horse"),
        Action("schedule.add", Role.OPERATOR, "create a schedule"),
        Action("schedule.edit", Role.OPERATOR, "change a schedule"),
        Action("schedule.enable", Role.OPERATOR, "enable a schedule"),
        Action("schedule.disable", Role.OPERATOR, "disable a schedule"),
        Action("schedule.snooze", Role.OPERATOR, "snooze or wake a schedule"),
        Action("schedule.run-now", Role.OPERATOR, "enqueue a schedule's job now"),
        Action("schedule.backfill", Role.OPERATOR, "enqueue a schedule's past fire times"),
        Action("schedule.rm", Role.ADMIN, "delete a schedule and its history"),
        Action("schedule.import", Role.OPERATOR, "add and change schedules from a file"),
        Action("schedule.import-delete", Role.ADMIN, "import a file and delete the schedules it leaves out"),
        Action("scheduler.pause", Role.OPERATOR, "pause every schedule"),
        Action("scheduler.resume", Role.OPERATOR, "resume every schedule"),
    )
}

UNMAPPED = Role.OPERATOR
"""The role of every user when the config maps no roles: a local operator's own console."""


@dataclass(frozen=True)
class RoleMap:
    """The config's [roles] table: roles by OS user and by group, and the role of anyone else."""

    users: dict[str, Role] = field(default_factory=dict)
    groups: dict[str, Role] = field(default_factory=dict)
    default: Role | None = None
    """The role of users in neither table: viewer once any role is configured, else UNMAPPED."""
    ceiling: Role | None = None
    """No one has a higher role than this (a context's `role`); None: no limit."""

    @property
    def configured(self) -> bool:
        return bool(self.users or self.groups or self.default is not None)

    def role_for(self, user: str, groups: list[str]) -> Role:
        """The user's own entry, else the highest role of their groups, else the default; at most the
        ceiling."""
        role = self._mapped(user, groups)
        return role if self.ceiling is None else min(role, self.ceiling)

    def _mapped(self, user: str, groups: list[str]) -> Role:
        if user in self.users:
            return self.users[user]
        from_groups = [self.groups[g] for g in groups if g in self.groups]
        if from_groups:
            return max(from_groups)
        if self.default is not None:
            return self.default
        return Role.VIEWER if self.configured else UNMAPPED


def user_groups(user: str) -> list[str]:
    """The names of the OS groups `user` belongs to (primary and supplementary)."""
    try:
        gid = pwd.getpwnam(user).pw_gid
        ids = os.getgrouplist(user, gid)
    except KeyError:
        ids = os.getgroups()
    names = []
    for group_id in ids:
        try:
            names.append(grp.getgrgid(group_id).gr_name)
        except KeyError:
            names.append(str(group_id))
    return names


def refusal(action: str, role: Role, read_only: bool) -> str | None:
    """Why `action` is refused to `role` (read-only first), or None when it is allowed."""
    rule = ACTIONS.get(action)
    if rule is None:
        raise ValueError(f"unregistered action {action!r}: add it to roles.ACTIONS with its role")
    if read_only:
        return "read-only"
    if role < rule.role:
        return f"needs {rule.role.label}, you are {role.label}"
    return None
