"""Contexts, Sentinel URLs and TLS options in the config file: resolution, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from queuetui.config import (
    ConfigError,
    load_settings,
    parse_sentinel_url,
    redact_url,
    validate_redis_url,
    with_context,
)
from queuetui.roles import Role
from queuetui.rqdata.connection import SentinelConnection, connect


@pytest.fixture
def pem(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text("not read until a connection is made\n")
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


CONFIG = """
redis_url = "redis://top:6379/0"
db_url = "sqlite:////tmp/top.db"
default_context = "staging"
[roles]
default = "admin"
[contexts.staging]
redis_url = "redis://staging:6379/0"
db_url = "sqlite:////tmp/staging.db"
[contexts.prod]
redis_url = "redis://:pw@prod:6379/0"
production = true
role = "operator"
color = "#ff8800"
[contexts.audit-only]
redis_url = "redis://prod:6379/0"
read_only = true
"""


def test_no_contexts_is_todays_behaviour(tmp_path: Path) -> None:
    settings = load_settings(path=write(tmp_path, 'redis_url = "redis://h:1/0"\n'))
    assert (settings.redis_url, settings.context, settings.read_only, settings.production) == (
        "redis://h:1/0", "", False, False,
    )  # fmt: skip


def test_default_context_and_choices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, CONFIG)
    staging = load_settings(path=path)
    assert (staging.context, staging.redis_url, staging.db_url) == (
        "staging", "redis://staging:6379/0", "sqlite:////tmp/staging.db",
    )  # fmt: skip
    prod = load_settings(path=path, context="prod")
    assert prod.redis_url == "redis://:pw@prod:6379/0" and prod.production and prod.read_only
    assert prod.db_url.endswith("contexts/prod/queuetui.db")  # its own file, never the top-level one
    assert prod.roles.role_for("anyone", []) == Role.OPERATOR  # the context's ceiling under [roles]
    assert staging.roles.role_for("anyone", []) == Role.ADMIN
    assert not load_settings(path=path, context="prod", write=True).read_only
    assert load_settings(path=path, context="audit-only", write=True).read_only
    monkeypatch.setenv("QUEUETUI_CONTEXT", "prod")
    assert load_settings(path=path).context == "prod"
    assert load_settings(path=path, context="staging").context == "staging"  # the flag beats the env


def test_a_bare_url_beats_only_the_default_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, CONFIG)
    bare = load_settings(path=path, redis_url="redis://flag:6379/0")
    assert (bare.context, bare.redis_url) == ("", "redis://flag:6379/0")
    monkeypatch.setenv("QUEUETUI_REDIS_URL", "redis://env:6379/0")
    assert load_settings(path=path).context == ""
    named = load_settings(path=path, context="prod")
    assert named.redis_url == "redis://:pw@prod:6379/0"  # a context named explicitly beats the env URL
    overridden = load_settings(path=path, context="prod", redis_url="redis://flag:6379/0")
    assert (overridden.context, overridden.redis_url) == ("prod", "redis://flag:6379/0")


def test_switching_never_mixes_contexts(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG)
    started = load_settings(path=path, context="prod", write=True)
    assert not started.read_only
    staging = with_context(started, "staging")
    assert (staging.redis_url, staging.db_url, staging.production) == (
        "redis://staging:6379/0", "sqlite:////tmp/staging.db", False,
    )  # fmt: skip
    assert staging.roles.role_for("anyone", []) == Role.ADMIN
    back = with_context(staging, "prod")
    assert not back.read_only  # --write was for prod, the context the console started in
    other = load_settings(path=path, write=True)  # started in staging with --write
    assert with_context(other, "prod").read_only
    with pytest.raises(ConfigError, match=r"no context named 'x' \(contexts: staging, prod, audit-only\)"):
        with_context(started, "x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[contexts.a]\ndb_url = "x"\n', r"\[contexts.a\]: needs redis_url, e.g. redis_url = "),
        ('[contexts."a b"]\nredis_url = "redis://h:1/0"\n', "a context name is letters, digits"),
        (
            '[contexts.a]\nredis_url = "redis://h:1/0"\nprod = true\n',
            "unknown key 'prod' \\(known keys: redis_url",
        ),
        ('[contexts.a]\nredis_url = "redis://h:1/0"\nproduction = "yes"\n', "production must be a bool"),
        ('[contexts.a]\nredis_url = "http://h/"\n', r"\[contexts.a\]: invalid Redis URL"),
        ('[contexts.a]\nredis_url = "redis://h:1/0"\nrole = "boss"\n', "role: unknown role 'boss'"),
        ('[contexts.a]\nredis_url = "redis://h:1/0"\ncolor = "blurple"\n', "is not a colour; try a name"),
        (
            '[contexts.a]\nredis_url = "redis://h:1/0"\ntls_ca_file = "/nope.pem"\n',
            "tls_ca_file: no such file",
        ),
        ('tls_verify = "sometimes"\n', "tls_verify must be one of required, optional, none"),
        ('default_context = "b"\n', "default_context names no context: 'b' \\(contexts: none; add"),
        ("contexts = 3\n", "contexts must be a table"),
    ],
)
def test_config_errors_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(path=write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_tls_keys_need_a_tls_url(tmp_path: Path, pem: Path) -> None:
    text = f'[contexts.a]\nredis_url = "redis://h:1/0"\ntls_ca_file = "{pem}"\n'
    with pytest.raises(ConfigError, match="TLS options need a rediss://"):
        load_settings(path=write(tmp_path, text))
    ok = f'[contexts.a]\nredis_url = "rediss://h:1/0"\ntls_ca_file = "{pem}"\ntls_verify = "none"\n'
    settings = load_settings(path=write(tmp_path, ok), context="a")
    assert (settings.connection.tls_ca_file, settings.connection.tls_verify) == (str(pem), "none")


def test_sentinel_urls() -> None:
    parsed = parse_sentinel_url("redis+sentinel://app:p%40ss@s1:26379,s2,[::1]:26380/jobs/2")
    assert parsed.sentinels == (("s1", 26379), ("s2", 26379), ("::1", 26380))
    assert (parsed.service, parsed.db, parsed.username, parsed.password, parsed.tls) == (
        "jobs",
        2,
        "app",
        "p@ss",
        False,
    )
    assert parse_sentinel_url("rediss+sentinel://s1:1/jobs").tls
    assert redact_url("redis+sentinel://:secret@s1:1,s2:2/jobs/0") == "redis+sentinel://:***@s1:1,s2:2/jobs/0"
    for bad, message in (
        ("redis+sentinel://s1:1", "name the master after the Sentinels"),
        ("redis+sentinel://s1:1/jobs/x", "the path is /SERVICE or /SERVICE/DB"),
        ("redis+sentinel://s1:99999/jobs", "is not a port number"),
        ("redis+sentinel://s1:1/jobs?socket_timeout=3", "takes only TLS options"),
        ("redis+sentinel://s1:1/jobs?ssl_cert_reqs=none", "TLS options need rediss\\+sentinel://"),
        ("rediss://h:1/0?ssl_cert_reqs=maybe", "ssl_cert_reqs must be one of"),
    ):
        with pytest.raises(ConfigError, match=message):
            validate_redis_url(bad)


def test_connect_builds_a_sentinel_client_and_tls_options(pem: Path, tmp_path: Path) -> None:
    from queuetui.config import RedisOptions

    client = connect("redis+sentinel://:pw@127.0.0.1:1/jobs/3", options=RedisOptions(sentinel_password="sp"))
    pool = client.connection_pool
    assert pool.connection_class is SentinelConnection and pool.service_name == "jobs"
    assert (pool.connection_kwargs["db"], pool.connection_kwargs["password"]) == (3, "pw")
    sentinel = pool.sentinel_manager.sentinels[0].connection_pool.connection_kwargs
    assert (sentinel["port"], sentinel["password"]) == (1, "sp")
    tls = connect("rediss://h:1/0", options=RedisOptions(tls_ca_file=str(pem), tls_verify="optional"))
    kwargs = tls.connection_pool.connection_kwargs
    assert (kwargs["ssl_ca_certs"], kwargs["ssl_cert_reqs"]) == (str(pem), "optional")
    plain = connect("redis://h:1/0", options=RedisOptions(tls_ca_file=str(pem)))
    assert "ssl_ca_certs" not in plain.connection_pool.connection_kwargs
    assert isinstance(client, redis.Redis)
