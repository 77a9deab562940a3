"""Roles: who may do what, from the config's [roles] table, and the one check every mutation passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuetui.config import ConfigError, load_settings
from queuetui.roles import ACTIONS, UNMAPPED, Role, RoleMap, refusal


def test_without_roles_in_the_config_everyone_is_an_operator() -> None:
    assert UNMAPPED is Role.OPERATOR
    assert RoleMap().role_for("anyone", ["staff"]) is Role.OPERATOR


def test_a_user_entry_wins_then_the_highest_group_then_the_default() -> None:
    roles = RoleMap(
        users={"alice": Role.VIEWER, "root": Role.ADMIN},
        groups={"ops": Role.OPERATOR, "sre": Role.ADMIN},
    )
    assert roles.role_for("alice", ["sre"]) is Role.VIEWER
    assert roles.role_for("bob", ["ops", "sre"]) is Role.ADMIN
    assert roles.role_for("carol", ["ops"]) is Role.OPERATOR
    assert roles.role_for("dave", ["staff"]) is Role.VIEWER  # configured roles: strangers only read
    assert RoleMap(users={"x": Role.ADMIN}, default=Role.OPERATOR).role_for("dave", []) is Role.OPERATOR


def test_the_check_refuses_read_only_first_then_by_role() -> None:
    assert refusal("jobs.retry", Role.OPERATOR, read_only=False) is None
    assert refusal("jobs.retry", Role.ADMIN, read_only=True) == "read-only"
    assert refusal("jobs.retry", Role.VIEWER, read_only=False) == "needs operator, you are viewer"
    assert refusal("queues.empty", Role.OPERATOR, read_only=False) == "needs admin, you are operator"
    admin_only = sorted(name for name, a in ACTIONS.items() if a.role is Role.ADMIN)
    assert admin_only == [
        "queues.empty",
        "schedule.import-delete",
        "schedule.rm",
        "workers.kill-horse",
        "workers.shutdown",
    ]
    with pytest.raises(ValueError, match=r"unregistered action 'jobs\.explode'"):
        refusal("jobs.explode", Role.ADMIN, read_only=False)


def test_roles_from_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        'confirm_above = 500\n[roles]\ndefault = "operator"\n'
        '[roles.users]\nalice = "admin"\n[roles.groups]\nauditors = "viewer"\n'
    )
    settings = load_settings(path=cfg)
    assert settings.confirm_above == 500
    assert settings.roles == RoleMap({"alice": Role.ADMIN}, {"auditors": Role.VIEWER}, Role.OPERATOR)
    assert load_settings().roles == RoleMap()  # no config file at the default path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[roles.users]\nalice = "root"\n',
            r"roles\.users\.alice: unknown role 'root' \(one of: viewer, operator, admin\)",
        ),
        ("[roles]\nteams = {}\n", r"unknown key 'roles\.teams' \(known: default, users, groups\)"),
        ("[roles]\nusers = 1\n", r"roles\.users must be a table of names to roles"),
        ("roles = 1\n", "roles must be a table"),
        ("[roles.groups]\nops = 2\n", r"roles\.groups\.ops must be a role name"),
        ("confirm_above = -1\n", "confirm_above must be 0 or more"),
    ],
)
def test_bad_roles_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        load_settings(path=cfg)
    assert "\n" not in str(err.value)
