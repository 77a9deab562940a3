"""The expected failures the CLI and the console catch, by type (never by message): the database that
cannot be used, a mutation refused, a schedule that cannot be saved.

They live apart from the code that raises them so that catching one costs no import of SQLAlchemy or
the schedule store: the console's start path catches them before it has opened any database. The
modules that raise them (db.engine, audit, schedule.store) export them under their usual names.
"""

from __future__ import annotations


class DatabaseError(Exception):
    """The schedule database cannot be used; the message is one line that names the fix."""


class DatabaseURLError(DatabaseError):
    """The database URL cannot be parsed: bad input rather than a database that is down."""


class Refused(Exception):
    """A mutation this queuetui may not do (read-only, or the user's role); nothing changed."""


class ReadOnlyError(Refused):
    """A mutation asked of a read-only queuetui."""


class RoleError(Refused):
    """A mutation the user's role does not allow."""


class ScheduleError(ValueError):
    """A schedule that cannot be saved; the message is one line naming the field."""

    @property
    def field(self) -> str:
        """The field at fault: the message's first word, before its colon."""
        head, colon, _ = str(self).partition(": ")
        return head if colon and head.isidentifier() else ""
