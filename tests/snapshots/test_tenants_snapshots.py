"""The Tenants view of the seeded queue, with the console scoped to a tenant (shown in the header)."""

from __future__ import annotations

import pytest
import redis
from textual.pilot import Pilot

from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.tenants import TenantsScreen
from tests.snapshots.test_jobs_snapshots import SIZES, make_app
from tests.tui.helpers import until


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_tenants_view(snap_compare, conn: redis.Redis, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, QueueTUI)
        app.tenant = "acme"  # as `:tenant acme` leaves it, without its passing notice
        app.run_command("tenants emails")
        await until(
            pilot, lambda: isinstance(app.screen, TenantsScreen) and app.screen.result, what="tenant counts"
        )
        await pilot.pause()

    assert snap_compare(make_app(conn), terminal_size=size, run_before=run_before)
