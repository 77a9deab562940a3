"""What the console loads before it draws anything: nothing of the schedule database, the audit trail,
the cron libraries or the views it does not show at start. Each of them is loaded by the view or the
background count that first needs it; on the start path they cost most of a second of every attach."""

from __future__ import annotations

import subprocess
import sys

NOT_AT_START = (
    "sqlalchemy",
    "alembic",
    "mako",
    "croniter",
    "cron_descriptor",
    "cronsim",
    "queuetui.db",
    "queuetui.audit",
    "queuetui.operations",
    "queuetui.schedule",
    "queuetui.metrics.alerts",
)
START_SCREENS = {
    "overview",
    "live",
    "bulk_actions",
    "dry_run",
    "problems",
    "worker_actions",
    "confirm",
    "help",
    "prompt",
}
"""The first screen, what it is built on, and the dialogs its keys open."""

CONSOLE = """
import sys
from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.overview import OverviewScreen

QueueTUI(Settings(redis_url="redis://127.0.0.1:1/0", db_url="sqlite:////nonexistent/q.db"))
OverviewScreen()
print("\\n".join(sorted(sys.modules)))
"""


def loaded_by(code: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running `code` (this one has loaded them all)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_the_console_and_its_overview_are_built_without_the_database_cron_or_other_views() -> None:
    modules = loaded_by(CONSOLE)
    assert {"textual.app", "redis", "queuetui.tui.app", "queuetui.tui.screens.overview"} <= set(modules)
    unwanted = [m for m in modules if any(m == name or m.startswith(f"{name}.") for name in NOT_AT_START)]
    assert unwanted == []
    screens = {m.rsplit(".", 1)[1] for m in modules if m.startswith("queuetui.tui.screens.")}
    assert screens - START_SCREENS == set()


def test_catching_what_the_console_catches_loads_nothing_of_the_database() -> None:
    modules = loaded_by(
        "import sys\n"
        "from queuetui.errors import DatabaseError, DatabaseURLError, ReadOnlyError, Refused, ScheduleError\n"
        "from queuetui.actor import Identity, current_actor, os_user\n"
        "current_actor()\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    assert "queuetui.errors" in modules
    assert [m for m in modules if m.startswith(("sqlalchemy", "queuetui.db", "queuetui.audit"))] == []


def test_the_old_homes_of_the_errors_and_the_actor_are_the_same_classes() -> None:
    from queuetui import actor, audit, errors
    from queuetui.db import engine
    from queuetui.schedule import store

    assert (engine.DatabaseError, engine.DatabaseURLError) == (errors.DatabaseError, errors.DatabaseURLError)
    assert (audit.Refused, audit.ReadOnlyError, audit.RoleError) == (
        errors.Refused,
        errors.ReadOnlyError,
        errors.RoleError,
    )
    assert store.ScheduleError is errors.ScheduleError
    assert (audit.Actor, audit.Identity, audit.current_actor) == (
        actor.Actor,
        actor.Identity,
        actor.current_actor,
    )
