"""queuetui serve without a browser: the [serve] config, the gate's tokens and cookies, the identity a
session takes from its pipe (its role capped at the OS account's), and the command's refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from queuetui.audit import current_actor
from queuetui.config import ConfigError, Settings, WebUser, load_settings
from queuetui.roles import Role, RoleMap
from queuetui.serve.gate import Gate, WebIdentity, sha256_hex
from queuetui.serve.session import identity_from, read_handover
from tests.cli import queuetui

DIGEST = sha256_hex("s3cret")


def test_serve_users_from_the_config(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[serve]\nidle_timeout = "5m"\nmax_sessions = 2\n'
        f'[serve.users.vera]\ntoken_sha256 = "{DIGEST}"\nrole = "viewer"\n'
    )
    serve = load_settings(path=cfg).serve
    assert serve.users == (WebUser("vera", DIGEST, Role.VIEWER),)
    assert (serve.idle_timeout, serve.max_sessions) == (300.0, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[serve]\nport = 1\n", "[serve]: unknown key 'port'"),
        ("[serve]\nmax_sessions = 0\n", "max_sessions must be 1 or more"),
        ('[serve]\nidle_timeout = "soon"\n', "idle_timeout must be a duration"),
        ('[serve.users.vera]\nrole = "viewer"\n', "[serve.users.vera]: needs token_sha256"),
        ('[serve.users.vera]\ntoken_sha256 = "abc"\nrole = "viewer"\n', "64 lower-case hex digits"),
        (f'[serve.users.vera]\ntoken_sha256 = "{DIGEST}"\nrole = "boss"\n', "unknown role 'boss'"),
        (
            f'[serve.users.vera]\ntoken_sha256 = "{DIGEST}"\nrole = "viewer"\ntoken = "x"\n',
            "unknown key 'token'",
        ),
        (f'[serve.users."a b"]\ntoken_sha256 = "{DIGEST}"\nrole = "viewer"\n', "a user name is 1-64"),
        (
            f'[serve.users.a]\ntoken_sha256 = "{DIGEST}"\nrole = "viewer"\n'
            f'[serve.users.b]\ntoken_sha256 = "{DIGEST}"\nrole = "admin"\n',
            "shares its token",
        ),
    ],
)
def test_bad_serve_tables_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_settings(path=cfg)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_gate_knows_tokens_and_the_cookies_it_issued() -> None:
    local = WebIdentity("alice", Role.OPERATOR)
    gate = Gate((WebUser("vera", DIGEST, Role.VIEWER),), (local, "local-token"))
    assert gate.by_token("s3cret") == WebIdentity("vera", Role.VIEWER)
    assert gate.by_token("local-token") == local
    assert gate.by_token("") is None and gate.by_token("s3cret ") is None
    cookie = gate.issue_cookie(local)
    assert gate.by_cookie(cookie) == local and gate.by_cookie(cookie[:-1]) is None
    assert Gate((), None).by_token("local-token") is None


def test_a_session_takes_its_user_from_the_pipe_capped_at_its_own_account() -> None:
    read_end, write_end = os.pipe()
    handed = {"user": "vera", "role": "admin", "address": "203.0.113.7", "connection": {}}
    os.write(write_end, json.dumps(handed).encode())
    os.close(write_end)
    received = read_handover(read_end)
    account = current_actor().user
    capped = identity_from(received, Settings(roles=RoleMap(default=Role.OPERATOR)))
    assert (capped.actor.user, capped.role) == ("vera", Role.OPERATOR)
    assert capped.actor.client == f"web 203.0.113.7 via {account}"
    admin = identity_from(received, Settings(roles=RoleMap(users={account: Role.ADMIN})))
    assert admin.role == Role.ADMIN
    viewer = identity_from(
        {**received, "role": "viewer"}, Settings(roles=RoleMap(users={account: Role.ADMIN}))
    )
    assert viewer.role == Role.VIEWER


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "needs --tls-cert/--tls-key, or --insecure-http"),
        (["--tls-cert", "x.pem"], "--tls-cert and --tls-key go together"),
        (["--no-local-token"], "nobody could come in"),
        (["--public-url", "ftp://x"], "--public-url must start with http"),
    ],
)
def test_serve_refuses_what_would_be_unsafe_or_useless(args: list[str], message: str) -> None:
    result = queuetui("serve", *args)
    assert result.returncode == 2 and message in result.stderr
