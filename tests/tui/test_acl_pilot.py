"""At start the console tells a viewer whose Redis user can write: the role alone stops nobody with
that password (README: What roles can and cannot stop)."""

from __future__ import annotations

from pathlib import Path

import redis

from queuetui.config import Settings
from queuetui.roles import Role, RoleMap
from queuetui.tui.app import QueueTUI
from tests.integration.test_acl import readme_acl_users
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until


def app_for(url: str, db: Path, role: Role) -> QueueTUI:
    settings = Settings(redis_url=url, refresh=3600, db_url=f"sqlite:///{db}", roles=RoleMap(default=role))
    return QueueTUI(settings, clock=CLOCK)


async def acl_checked(app: QueueTUI) -> str | None:
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen_stack[1:], what="the overview")
        await until(pilot, lambda: not any(w.group == "acl" for w in app.workers), what="the ACL check")
        await pilot.pause()
        shown = [n.message for n in app._notifications if n.title == "Redis ACL"]
        assert [str(m) for m in shown] == ([app.acl_problem] if app.acl_problem else [])
        return app.acl_problem


async def test_a_viewer_on_a_user_that_can_write_is_told(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    users = readme_acl_users(conn, redis_url)
    told = await acl_checked(app_for(users["operator"], tmp_path / "q.db", Role.VIEWER))
    assert told == (
        "this context's Redis user (queuetui-operator) can write: role viewer expects a read-only user "
        "(see README: What roles can and cannot stop)"
    )
    assert await acl_checked(app_for(users["viewer"], tmp_path / "q.db", Role.VIEWER)) is None
    assert await acl_checked(app_for(redis_url, tmp_path / "q.db", Role.OPERATOR)) is None
