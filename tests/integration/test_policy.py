"""Roles and read-only that mean what they say: the OS account (by uid), a system policy file nothing the
user sets can loosen, read-only that only tightens, and the daemons refusing to write when read-only."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from queuetui import policy
from queuetui.audit import recent
from queuetui.config import ConfigError, load_settings
from queuetui.db.engine import open_database
from queuetui.roles import Role
from tests.cli import queuetui


def write_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> Path:
    """A policy file owned by this test's own uid (trusted in its place of root), mode 0644."""
    directory = tmp_path / "etc-queuetui"
    directory.mkdir(mode=0o755)
    path = directory / "policy.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o644)
    monkeypatch.setattr(policy, "POLICY_PATH", path)
    monkeypatch.setattr(policy, "TRUSTED_OWNER", os.getuid())
    return path


def user_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


VIEWER_POLICY = '[roles]\ndefault = "viewer"\n[roles.users]\nalice = "admin"\n'


@pytest.mark.parametrize(
    ("env", "flags"),
    [
        ({"LOGNAME": "alice", "USER": "alice"}, []),  # a name the policy makes admin
        ({}, ["--config", "/dev/null"]),  # an empty user config
        ({}, ["--config", "MYCONFIG"]),  # the user's own config, making everyone admin
        ({"QUEUETUI_CONFIG": "MYCONFIG"}, []),
    ],
    ids=["logname", "config-dev-null", "own-config", "env-config"],
)
def test_no_name_config_or_flag_lifts_the_policy_role(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    redis_url: str,
    env: dict[str, str],
    flags: list[str],
) -> None:
    write_policy(monkeypatch, tmp_path, VIEWER_POLICY)
    mine = user_config(tmp_path, '[roles]\ndefault = "admin"\n')
    flags = [str(mine) if f == "MYCONFIG" else f for f in flags]
    env = {k: str(mine) if v == "MYCONFIG" else v for k, v in env.items()}
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = queuetui("workers", "resume", *flags, "--db-url", db, url=redis_url, env={**os.environ, **env})
    assert result.returncode == 1
    assert "workers.resume refused: needs operator, you are viewer" in result.stderr
    [entry] = recent(open_database(db))
    assert (entry.actor, entry.role, entry.outcome) == (
        pwd.getpwuid(os.getuid()).pw_name,
        "viewer",
        "refused: needs operator, you are viewer",
    )


def test_a_missing_named_config_is_an_error_not_an_escape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(path=tmp_path / "nope.toml")
    monkeypatch.setenv("QUEUETUI_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings()


def test_a_config_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path=path)


def test_read_only_from_the_config_is_not_lifted_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = user_config(tmp_path, "read_only = true\n")
    monkeypatch.setenv("QUEUETUI_READ_ONLY", "0")
    assert load_settings(path=path).read_only
    monkeypatch.setenv("QUEUETUI_READ_ONLY", "1")
    assert load_settings(path=user_config(tmp_path, "")).read_only


def test_policy_read_only_and_database_cannot_be_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pinned = f"sqlite:///{tmp_path / 'audit.db'}"
    path = write_policy(monkeypatch, tmp_path, f'read_only = true\ndb_url = "{pinned}"\n')
    enforced = policy.load_enforced(path=user_config(tmp_path, "read_only = false\n"))
    assert (enforced.read_only, enforced.db_url, enforced.source["read_only"]) == (True, pinned, str(path))
    with pytest.raises(ConfigError, match="fixes the database"):
        policy.load_enforced(db_url=f"sqlite:///{tmp_path / 'elsewhere.db'}")
    monkeypatch.setenv("QUEUETUI_DB_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    with pytest.raises(ConfigError, match="QUEUETUI_DB_URL cannot move it"):
        policy.load_enforced()


def test_the_db_url_flag_cannot_move_the_audit_trail_under_a_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    write_policy(monkeypatch, tmp_path, f'db_url = "sqlite:///{tmp_path / "audit.db"}"\n')
    result = queuetui("workers", "resume", "--db-url", f"sqlite:///{tmp_path / 'mine.db'}", url=redis_url)
    assert result.returncode == 2
    assert "fixes the database" in result.stderr
    assert not (tmp_path / "mine.db").exists()


@pytest.mark.parametrize(
    ("mode", "owner", "problem"),
    [(0o664, None, "writable by group or others"), (0o644, 4242, "not root")],
    ids=["group-writable", "someone-elses"],
)
def test_a_policy_others_could_change_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int, owner: int | None, problem: str
) -> None:
    path = write_policy(monkeypatch, tmp_path, VIEWER_POLICY)
    path.chmod(mode)
    trusted = os.getuid() if owner is None else owner
    with pytest.raises(ConfigError, match=problem):
        policy.load_policy(path, trusted_owner=trusted)


def test_policy_roles_replace_the_users_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_policy(monkeypatch, tmp_path, VIEWER_POLICY)
    settings = policy.load_enforced(path=user_config(tmp_path, '[roles]\ndefault = "admin"\n'))
    assert settings.roles.role_for("bob", []) is Role.VIEWER
    assert settings.roles.role_for("alice", []) is Role.ADMIN


@pytest.mark.parametrize("daemon", ["worker", "scheduler", "monitor"])
def test_read_only_daemons_that_write_do_not_start(redis_url: str, tmp_path: Path, daemon: str) -> None:
    args = ["--read-only", daemon]
    if daemon != "worker":
        args += ["--db-url", f"sqlite:///{tmp_path / 'q.db'}"]
    result = queuetui(*args, url=redis_url)
    assert result.returncode == 1
    assert f"queuetui is read-only (--read-only): {daemon} " in result.stderr
    assert "so it does not start" in result.stderr
