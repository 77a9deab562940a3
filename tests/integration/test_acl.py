"""The Redis ACL users of the README, created in a real Redis: a viewer's user cannot write, and the
check queuetui runs at start for a viewer (services.acl_mismatch) tells a user that can write."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import redis

from queuetui.roles import Role
from queuetui.rqdata import acl
from queuetui.services import acl_mismatch
from tests.cli import queuetui
from tests.workload import seed_every_registry

README = Path(__file__).parents[2] / "README.md"


def readme_acl_users(conn: redis.Redis, url: str) -> dict[str, str]:
    """Run the README's ACL SETUSER lines as they are (passwords filled in); each role's Redis URL."""
    urls = {}
    for line in re.findall(r"^ACL SETUSER queuetui-.*$", README.read_text(), flags=re.MULTILINE):
        role = line.split()[2].removeprefix("queuetui-")
        conn.execute_command(*line.replace(f"{role.upper()}-PASSWORD", f"pw-{role}").split())
        urls[role] = url.replace("redis://", f"redis://queuetui-{role}:pw-{role}@", 1)
    assert sorted(urls) == ["admin", "operator", "viewer"]
    return urls


@pytest.fixture
def users(conn: redis.Redis, redis_url: str) -> dict[str, str]:
    return readme_acl_users(conn, redis_url)


def test_only_the_viewer_s_user_is_read_only_and_the_probe_writes_nothing(
    conn: redis.Redis, users: dict[str, str]
) -> None:
    seed_every_registry(conn)
    before = {key: conn.type(key) for key in conn.scan_iter()}
    answers = {}
    for role, url in users.items():
        client = redis.Redis.from_url(url)
        answers[role] = (acl.can_write(client), acl_mismatch(client, Role.VIEWER))
        assert acl_mismatch(client, Role.OPERATOR) is None and acl_mismatch(client, Role.ADMIN) is None
        client.close()
    assert answers["viewer"] == (False, None)
    for role in ("operator", "admin"):
        assert answers[role] == (
            True,
            f"this context's Redis user (queuetui-{role}) can write: role viewer expects a read-only user "
            "(see README: What roles can and cannot stop)",
        )
    assert acl_mismatch(conn, Role.VIEWER) is not None  # the default user, as Redis ships it
    assert {key: conn.type(key) for key in conn.scan_iter()} == before
    assert not conn.exists(acl.PROBE_KEY)


def test_the_viewer_s_user_reads_everything_queuetui_shows(conn: redis.Redis, users: dict[str, str]) -> None:
    """The README's viewer ACL is enough for queuetui's reads (its read-only scripts included)."""
    seed_every_registry(conn)
    env = {**os.environ, "QUEUETUI_REDIS_URL": users["viewer"]}
    stats = queuetui("stats", "--json", env=env)
    assert stats.returncode == 0, stats.stderr
    assert "default" in {q["name"] for q in json.loads(stats.stdout)["queues"]}
    listed = queuetui("jobs", "list", "-q", "default", "-r", "failed", "-f", "func:boom", "--json", env=env)
    assert listed.returncode == 0 and [j["id"] for j in json.loads(listed.stdout)["jobs"]] == ["fail-1"]
    refused = queuetui("jobs", "delete", "-q", "default", "-r", "failed", "--yes", env=env)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert conn.zcard("rq:failed:default") == 1
