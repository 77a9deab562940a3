from __future__ import annotations

from pathlib import Path

import pytest

from queuetui.config import DEFAULT_REDIS_URL, ConfigError, load_settings, redact_url, validate_redis_url


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings()  # the default path, which does not exist: defaults
    assert settings.redis_url == DEFAULT_REDIS_URL
    assert settings.refresh == 1.0


def test_precedence_flag_then_queuetui_env_then_rq_env_then_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('redis_url = "redis://file:6379/0"\nname = "from-file"\nrefresh = 2\n')
    assert load_settings(path=cfg).redis_url == "redis://file:6379/0"
    monkeypatch.setenv("RQ_REDIS_URL", "redis://rq-env:6379/0")
    assert load_settings(path=cfg).redis_url == "redis://rq-env:6379/0"
    monkeypatch.setenv("QUEUETUI_REDIS_URL", "redis://qt-env:6379/0")
    settings = load_settings(path=cfg)
    assert settings.redis_url == "redis://qt-env:6379/0"
    assert settings.source["redis_url"] == "QUEUETUI_REDIS_URL"
    assert settings.refresh == 2.0 and settings.name == "from-file"
    flagged = load_settings(redis_url="redis://flag:6379/1", refresh=0.5, path=cfg)
    assert (flagged.redis_url, flagged.refresh) == ("redis://flag:6379/1", 0.5)


def test_config_file_found_in_xdg_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "queuetui").mkdir()
    (tmp_path / "queuetui" / "config.toml").write_text('name = "prod-eu"\n')
    assert load_settings().name == "prod-eu"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('redis_ur = "x"\n', "unknown key 'redis_ur'"),
        ("refresh = 'fast'\n", "refresh must be a float"),
        ("refresh = true\n", "refresh must be a float"),
        ("refresh = -1\n", "refresh must be a positive number"),
        ("name = [\n", "not valid TOML"),
    ],
)
def test_bad_config_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        load_settings(path=cfg)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost:6379/0",
        "rediss://user:pw@cache.example:6380/2",
        "unix:///run/redis.sock?db=1",
        "redis://localhost",
    ],
)
def test_valid_urls(url: str) -> None:
    assert validate_redis_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://localhost:6379", "scheme must be one of"),
        ("localhost:6379", "scheme must be one of"),
        ("redis://localhost:port/0", "port is not a number"),
        ("redis://localhost:6379/zero", "database must be a number"),
        ("redis://:6379/0", "no host"),
        ("unix://", "needs a socket path"),
    ],
)
def test_invalid_urls(url: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        validate_redis_url(url)


def test_passwords_never_shown() -> None:
    assert redact_url("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"
    assert redact_url("rediss://app:s3cret@host/1") == "rediss://app:***@host/1"
    assert redact_url("redis://host:6379/0") == "redis://host:6379/0"
    with pytest.raises(ConfigError) as err:
        validate_redis_url("redis://:s3cret@host:bad/0")
    assert "s3cret" not in str(err.value)


def test_alert_rules_and_notifications_from_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[alerts]\nwebhook_url = "https://hooks.example/q"\nemail_to = ["ops@example.com"]\n'
        '[alerts.smtp]\nhost = "mail.example"\nport = 587\nstarttls = true\nusername = "q"\n'
        '[[alerts.rules]]\nname = "backlog"\nkind = "backlog"\nqueue = "emails"\nabove = 1000\nfor = "5m"\n'
        '[[alerts.rules]]\nname = "failing"\nkind = "failure-rate"\nabove = 12.5\n'
        '[[alerts.rules]]\nname = "silent"\nkind = "worker-heartbeat"\nabove = 90\n'
    )
    monkeypatch.setenv("QUEUETUI_SMTP_PASSWORD", "s3cret")
    alerts = load_settings(path=cfg).alerts
    backlog, failing, silent = alerts.rules
    assert (backlog.queue, backlog.above, backlog.for_seconds) == ("emails", 1000, 300)
    assert (failing.queue, failing.above, failing.window, failing.min_jobs) == ("", 12.5, 900, 10)
    assert silent.above == 90
    assert (alerts.smtp.host, alerts.smtp.port, alerts.smtp.starttls, alerts.smtp.password) == (
        "mail.example",
        587,
        True,
        "s3cret",
    )
    assert "s3cret" not in repr(alerts)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[alerts]\nwebhok_url = 'x'\n", r"\[alerts\]: unknown key 'webhok_url'"),
        ("alerts = 3\n", "alerts must be a table"),
        ("[alerts]\nwebhook_url = 'ftp://x'\n", "webhook_url must be an http"),
        ("[alerts]\nemail_to = ['ops@example.com']\n", r"email_to needs \[alerts.smtp\] with a host"),
        ("[[alerts.rules]]\nname = 'x'\nkind = 'bogus'\n", "kind must be one of backlog, oldest-waiting"),
        ("[[alerts.rules]]\nname = 'x'\nkind = 'backlog'\n", "'x' needs 'above'"),
        ("[[alerts.rules]]\nname = 'x'\nkind = 'stuck'\nabove = 3\n", r"#1 \(stuck\): unknown key 'above'"),
        (
            "[[alerts.rules]]\nname = 'x'\nkind = 'backlog'\nabove = 1\nfor = 'soon'\n",
            "for must be a duration",
        ),
        ("[[alerts.rules]]\nname = 'x'\nkind = 'failure-rate'\nabove = 150\n", "above is a percentage"),
        ("[[alerts.rules]]\nkind = 'stuck'\n[[alerts.rules]]\nkind = 'stuck'\n", "every rule needs a name"),
        (
            "[[alerts.rules]]\nname='a'\nkind = 'stuck'\n[[alerts.rules]]\nname='a'\nkind = 'stuck'\n",
            "two rules",
        ),
        ("[alerts.smtp]\nhost = 'm'\nport = 'x'\n", "port must be a int"),
    ],
)
def test_bad_alert_settings_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        load_settings(path=cfg)
    assert "\n" not in str(err.value)


def test_keys_remap_bindings_by_id_and_refuse_anything_but_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[keys]\n"jobs.retry" = "ctrl+r"\n"jobs.delete" = "f8,ctrl+d"\n')
    assert load_settings(path=cfg).keys == {"jobs.retry": "ctrl+r", "jobs.delete": "f8,ctrl+d"}
    cfg.write_text('[keys]\n"jobs.retry" = 5\n')
    with pytest.raises(ConfigError, match=r"keys\.jobs\.retry must be keys like"):
        load_settings(path=cfg)


def test_the_demo_s_alert_rules_parse(tmp_path: Path) -> None:
    from queuetui.demo.backend import DEMO_CONFIG

    path = tmp_path / "demo.toml"
    path.write_text(DEMO_CONFIG)
    rules = load_settings(path=path).alerts.rules
    assert [(r.name, r.kind) for r in rules] == [
        ("default-backlog", "backlog"),
        ("critical-failures", "failure-rate"),
        ("workers", "worker-heartbeat"),
    ]


def test_logs_table(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[logs]\nmax_lines = 50\nmax_bytes = 4096\ncapture_output = true\nlevel = "debug"\n')
    logs = load_settings(path=cfg).logs
    assert (logs.max_lines, logs.max_bytes, logs.capture_output, logs.level) == (50, 4096, True, "DEBUG")
    for body, error in (
        ("[logs]\nmax_line = 5\n", r"unknown key 'max_line'"),
        ("[logs]\nmax_lines = 0\n", r"max_lines must be 1 or more"),
        ("[logs]\nmax_bytes = 10\n", r"max_bytes must be 1024 or more"),
        ('[logs]\nmax_lines = "many"\n', r"max_lines must be a int"),
        ('[logs]\nlevel = "LOUD"\n', r"level must be one of DEBUG, INFO"),
    ):
        cfg.write_text(body)
        with pytest.raises(ConfigError, match=error):
            load_settings(path=cfg)


def test_tenants_table(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("")
    assert load_settings(path=cfg).tenants.meta_key == "tenant"
    cfg.write_text('[tenants]\nmeta_key = "customer"\n[tenants.limits]\nacme = 2\ndefault = 5\n')
    tenants = load_settings(path=cfg).tenants
    assert (tenants.meta_key, tenants.limits, tenants.default_limit) == ("customer", {"acme": 2}, 5)
    assert (tenants.limit_for("acme"), tenants.limit_for("globex")) == (2, 5)
    assert tenants.metrics_top == 10
    cfg.write_text("[tenants]\nmetrics_top = 3\n")
    assert load_settings(path=cfg).tenants.metrics_top == 3
    for body, error in (
        ("[tenants]\nmetrics_top = -1\n", r"metrics_top must be a number of tenants from 0 to 100"),
        ("[tenants]\nmetrics_top = 1000\n", r"metrics_top must be a number of tenants from 0 to 100"),
        ('[tenants]\nmetrics_top = "ten"\n', r"metrics_top must be a number of tenants"),
        ("[tenants]\nkey = 5\n", r"unknown key 'key'"),
        ('[tenants]\nmeta_key = "a b"\n', r"meta_key must be a name"),
        ("[tenants.limits]\nacme = -1\n", r"acme must be a number of jobs"),
        ('[tenants.limits]\nacme = "two"\n', r"acme must be a number of jobs"),
    ):
        cfg.write_text(body)
        with pytest.raises(ConfigError, match=error):
            load_settings(path=cfg)


def test_keys_entries_are_checked_against_the_console_s_bindings_and_key_names() -> None:
    from queuetui.tui.keymap import binding_ids, check_keymap, is_key

    assert {"jobs.retry", "app.quit", "schedules.run-now"} <= binding_ids()
    check_keymap({"jobs.retry": "ctrl+r", "jobs.delete": "f8, ctrl+shift+d", "app.help": "?,question_mark"})
    for keys, message in (
        (
            {"jobs.retyr": "ctrl+r"},
            "config: keys.jobs.retyr: no key binding has this id (did you mean jobs.retry",
        ),
        (
            {"nothing.like.it": "x"},
            "keys.nothing.like.it: no key binding has this id (? in the console lists",
        ),
        ({"jobs.retry": "ctrl+rr"}, "config: keys.jobs.retry: 'ctrl+rr' is not a key name"),
        ({"jobs.retry": "f5,esc"}, "keys.jobs.retry: 'esc' is not a key name"),
        ({"jobs.retry": "control+r"}, "keys.jobs.retry: 'control+r' is not a key name"),
    ):
        with pytest.raises(ConfigError) as err:
            check_keymap(keys)
        assert message in str(err.value) and "\n" not in str(err.value)
    assert not any(is_key(k) for k in ("", "ctrl+", "ctrl+ctrl+r", "+", "pgdn"))
