"""Marks, the dry-run dialog, the typed confirmation, the progress bar and the Audit view, seeded."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import redis
from textual.pilot import Pilot

from queuetui.audit import Actor, Audit, Refused
from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.roles import Role
from queuetui.rqdata.bulk import Progress
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.audit import AuditScreen
from queuetui.tui.screens.dry_run import DryRunScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.widgets.bulk_bar import BulkBar
from queuetui.tui.widgets.live_table import LiveTable
from tests.snapshots.seed import CLOCK, DISPLAY_URL, seed_jobs
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]


def make_app(conn: redis.Redis, confirm_above: int = 100) -> QueueTUI:
    seed_jobs(conn)
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600, confirm_above=confirm_above)
    return QueueTUI(settings, clock=CLOCK, connection=conn)


async def marked(pilot: Pilot[None]) -> JobsScreen:
    """The Failed view of emails with its first, second and fourth rows marked."""
    app = pilot.app
    assert isinstance(app, QueueTUI)
    app.open_jobs("emails", "failed")
    await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="failed")
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    screen.query_one("#jobs", LiveTable).focus()
    await pilot.press("space", "space", "down", "space")
    assert len(screen.marked) == 3
    await pilot.pause()
    return screen


async def dialog(pilot: Pilot[None], *keys: str) -> None:
    await marked(pilot)
    await pilot.press(*keys)
    await until(pilot, lambda: isinstance(pilot.app.screen, DryRunScreen), what="the dry-run dialog")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_marks(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn), terminal_size=size, run_before=marked)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dry_run_dialog(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await dialog(pilot, "R", "f")  # retry, to the front

    assert snap_compare(make_app(conn), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_typed_confirmation(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await dialog(pilot, "asterisk", "D")  # delete all 13, above confirm_above=5
        await pilot.press("1")

    assert snap_compare(make_app(conn, confirm_above=5), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_progress_bar(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        screen = await marked(pilot)
        # A run's progress at a fixed point (a live run's rate and ETA change from one run to the next).
        screen.query_one(BulkBar).running("jobs.retry", Progress(42_000, 17, 100_000, 2.5))
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=size, run_before=run_before)


def seed_audit(db_url: str) -> None:
    """Five entries by two people, through the audit trail's own mutation path, at the frozen time."""
    sessions = open_database(db_url)
    alice = Audit(sessions, actor=Actor("alice", "10.0.0.7", "ops-1"), clock=CLOCK, role=Role.OPERATOR)
    bob = Audit(sessions, actor=Actor("bob", "local", "ops-1"), clock=CLOCK, role=Role.ADMIN)
    with alice.mutation("jobs.retry", "emails failed", "exc:Timeout", requested=120) as entry:
        entry.done = 120
    with alice.mutation("jobs.delete", "emails failed", requested=40_000) as entry:
        entry.done, entry.outcome = 12_000, "cancelled"
    with bob.mutation("queues.empty", "low waiting", requested=9_800) as entry:
        entry.done, entry.failed = 9_790, 10
    with bob.mutation("workers.suspend", "every worker", requested=1) as entry:
        entry.done = 1
    with (
        contextlib.suppress(Refused),
        Audit(
            sessions, read_only=True, actor=Actor("carol", "10.0.0.9", "ops-2"), clock=CLOCK, role=Role.VIEWER
        ).mutation("jobs.retry", "high failed", requested=17),
    ):
        pass


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_audit_view(snap_compare, conn: redis.Redis, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    db_url = f"sqlite:///{tmp_path / 'audit.db'}"
    seed_audit(db_url)
    settings = Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600, db_url=db_url)
    app = QueueTUI(settings, clock=CLOCK, connection=conn)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("colon", *"audit", "enter")
        await until(
            pilot, lambda: isinstance(app.screen, AuditScreen) and app.screen.entries == 5, what="audit"
        )
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
