"""Settings: defaults < TOML file (XDG config dir) < environment < command-line flags."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from queuetui.roles import Role, RoleMap

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
URL_SCHEMES = ("redis", "rediss", "unix")


class ConfigError(Exception):
    """A setting is wrong; the message is one line that names the fix."""


RULE_KINDS: dict[str, tuple[str, ...]] = {
    "backlog": ("queue", "above", "for"),
    "oldest-waiting": ("queue", "above"),
    "failure-rate": ("queue", "above", "window", "min_jobs"),
    "stuck": ("queue", "grace"),
    "worker-heartbeat": ("above",),
    "schedule-late": ("schedule", "window"),
}
"""Each alert rule kind and the keys it takes beside name and kind."""
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class AlertRule:
    """One alert rule from the [[alerts.rules]] tables of the config file."""

    name: str
    kind: str
    queue: str = ""
    """The queue it watches; empty for every queue."""
    schedule: str = ""
    """schedule-late: the schedule it watches; empty for every schedule."""
    above: float = 0.0
    """The threshold: jobs (backlog), seconds (oldest-waiting, worker-heartbeat), percent (failure-rate)."""
    for_seconds: float = 0.0
    """backlog: how long the backlog must stay above the threshold before the alert fires."""
    window: float = 0.0
    """failure-rate and schedule-late: how far back they look, in seconds."""
    min_jobs: int = 10
    """failure-rate: fewer finished and failed jobs than this in the window never fire."""
    grace: float = 0.0
    """stuck: seconds past the job's own timeout before it counts as stuck."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 25
    starttls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = "queuetui@localhost"
    timeout: float = 10.0


@dataclass(frozen=True)
class AlertSettings:
    rules: tuple[AlertRule, ...] = ()
    webhook_url: str = ""
    email_to: tuple[str, ...] = ()
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    notify_resolved: bool = True
    """Also notify when an alert resolves (each firing is notified once either way)."""


BACKOFFS = ("none", "fixed", "linear", "exponential")
"""How a policy spaces retries: not at all, the same delay, base x attempt, base x 2^(attempt-1)."""
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class RetryPolicy:
    """One named retry policy of [retry.policies]: what `queuetui worker` does when a job raises."""

    name: str
    backoff: str = "none"
    attempts: int = 1
    """Runs in all, the first included: 5 means up to 4 retries."""
    base: float = 0.0
    """Seconds: the fixed delay, and the step of linear and exponential backoff."""
    max: float = 0.0
    """Seconds: no delay is longer."""
    jitter: float = 0.0
    """Each delay moves at random by up to this fraction of itself (0.25: ±25%)."""

    @property
    def retries(self) -> bool:
        return self.backoff != "none" and self.attempts > 1


BUILTIN_RETRY_POLICIES: dict[str, RetryPolicy] = {
    "transient": RetryPolicy("transient", "exponential", attempts=5, base=10.0, max=600.0, jitter=0.25),
    "bug": RetryPolicy("bug"),
}
BUILTIN_RETRY_ERRORS: dict[str, str] = {
    "builtins.TimeoutError": "transient",
    "builtins.ConnectionError": "transient",  # and its subclasses: refused, reset, aborted, broken pipe
    "redis.exceptions.ConnectionError": "transient",
    "redis.exceptions.TimeoutError": "transient",
    "rq.timeouts.JobTimeoutException": "transient",
}
"""Exception classes (full dotted names) to the policy for them when the config file says nothing."""


@dataclass(frozen=True)
class RetrySettings:
    """[retry]: exception classes to retry policies, applied by `queuetui worker` (executor/retry.py)."""

    policies: dict[str, RetryPolicy] = field(default_factory=lambda: dict(BUILTIN_RETRY_POLICIES))
    errors: dict[str, str] = field(default_factory=lambda: dict(BUILTIN_RETRY_ERRORS))
    default: str = "bug"
    """The policy of every exception no entry of `errors` matches."""


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class LogSettings:
    """[logs]: what `queuetui worker` keeps of each job's log records (executor/joblog.py)."""

    max_lines: int = 1000
    """Entries kept per job; the oldest are dropped first, with a marker saying how many."""
    max_bytes: int = 256 * 1024
    """Bytes of entries kept per job (time, level, logger, message and exception text)."""
    capture_output: bool = False
    """Also keep what the job writes to sys.stdout and sys.stderr (still written where it went)."""
    level: str = "INFO"
    """The lowest level captured."""


DEFAULT_TENANT_KEY = "tenant"
"""The job meta key that holds a job's tenant when [tenants] meta_key says nothing."""
_TENANT_KEY = re.compile(r"^[A-Za-z_][\w-]*$")


@dataclass(frozen=True)
class TenantSettings:
    """[tenants]: where a job's tenant lives in its meta, and how many of a tenant's jobs may run at once."""

    meta_key: str = DEFAULT_TENANT_KEY
    limits: dict[str, int] = field(default_factory=dict)
    """[tenants.limits]: a tenant's name to how many of its jobs may run at once across every worker."""
    default_limit: int = 0
    """[tenants.limits] default: the limit of every other tenant (0: no limit)."""

    def limit_for(self, tenant: str) -> int:
        """How many of `tenant`'s jobs may run at once (0: no limit)."""
        return self.limits.get(tenant, self.default_limit)


@dataclass(frozen=True)
class Settings:
    redis_url: str = DEFAULT_REDIS_URL
    name: str = ""
    refresh: float = 1.0
    db_url: str = ""
    """The schedule database (any SQLAlchemy URL); empty means the SQLite file in data_dir()."""
    read_only: bool = False
    """Refuse every mutation (audit.Audit enforces it, in one place)."""
    confirm_above: int = 100
    """Bulk actions on more jobs than this ask the operator to type the count to confirm."""
    throttle: float = 0.0
    """The console's bulk actions act on at most this many jobs a second (0: as fast as Redis goes)."""
    roles: RoleMap = field(default_factory=RoleMap)
    """[roles]: OS users and groups mapped to viewer, operator or admin (roles.RoleMap)."""
    alerts: AlertSettings = field(default_factory=AlertSettings)
    """The [alerts] table: rules and where their notifications go (metrics/alerts.py)."""
    retry: RetrySettings = field(default_factory=RetrySettings)
    """[retry]: what `queuetui worker` does with jobs that fail and carry no Retry of their own."""
    logs: LogSettings = field(default_factory=LogSettings)
    """[logs]: the job logs `queuetui worker` keeps in Redis."""
    tenants: TenantSettings = field(default_factory=TenantSettings)
    """[tenants]: the job meta key of a job's tenant and the per-tenant limits of `queuetui worker`."""
    keys: dict[str, str] = field(default_factory=dict)
    """[keys]: a key binding's id (as `?` lists them, e.g. jobs.retry) to the keys that fire it instead."""
    source: dict[str, str] = field(default_factory=dict, compare=False)


_TYPES: dict[str, type] = {
    "redis_url": str,
    "name": str,
    "refresh": float,
    "db_url": str,
    "read_only": bool,
    "confirm_above": int,
    "throttle": float,
    "roles": dict,
    "alerts": dict,
    "keys": dict,
    "retry": dict,
    "logs": dict,
    "tenants": dict,
}
_TRUE = {"1", "true", "yes", "on"}


def config_path() -> Path:
    """Where the config file lives: $QUEUETUI_CONFIG, else $XDG_CONFIG_HOME/queuetui/config.toml."""
    if explicit := os.environ.get("QUEUETUI_CONFIG"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "queuetui" / "config.toml"


def data_dir() -> Path:
    """Where queuetui keeps its data: $XDG_DATA_HOME/queuetui, else ~/.local/share/queuetui."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "queuetui"


def validate_redis_url(url: str) -> str:
    """Return the URL if redis-py can use it, else raise ConfigError with a one-line reason."""
    parts = urlsplit(url)
    if parts.scheme not in URL_SCHEMES:
        raise ConfigError(
            f"invalid Redis URL {redact_url(url)!r}: scheme must be one of "
            f"{', '.join(s + '://' for s in URL_SCHEMES)}"
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise ConfigError(f"invalid Redis URL {redact_url(url)!r}: unix:// needs a socket path")
        return url
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"invalid Redis URL {redact_url(url)!r}: the port is not a number") from None
    if not parts.hostname:
        raise ConfigError(f"invalid Redis URL {redact_url(url)!r}: no host")
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"invalid Redis URL {redact_url(url)!r}: port out of range")
    db = parts.path.lstrip("/")
    if db and not db.isdigit():
        raise ConfigError(f"invalid Redis URL {redact_url(url)!r}: the database must be a number, e.g. /0")
    return url


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to show and log (even when malformed)."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def _from_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    known = [f.name for f in fields(Settings) if f.name != "source"]
    for key, value in data.items():
        if key not in _TYPES:
            raise ConfigError(f"{path}: unknown key {key!r} (known keys: {', '.join(known)})")
        expected = _TYPES[key]
        ok = isinstance(value, expected) or (expected is float and isinstance(value, int))
        if not ok or (isinstance(value, bool) and expected is not bool):
            kind = "table" if expected is dict else expected.__name__
            raise ConfigError(f"{path}: {key} must be a {kind}, got {value!r}")
    if "confirm_above" in data and data["confirm_above"] < 0:
        raise ConfigError(f"{path}: confirm_above must be 0 or more, got {data['confirm_above']}")
    if "throttle" in data and data["throttle"] < 0:
        raise ConfigError(f"{path}: throttle must be 0 or more jobs a second, got {data['throttle']}")
    if "roles" in data:
        data["roles"] = _roles(path, data["roles"])
    if "alerts" in data:
        data["alerts"] = _alerts(data["alerts"], path)
    if "retry" in data:
        data["retry"] = _retry(data["retry"], path)
    if "logs" in data:
        data["logs"] = _logs(data["logs"], path)
    if "tenants" in data:
        data["tenants"] = _tenants(data["tenants"], path)
    for binding, keys in data.get("keys", {}).items():
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigError(
                f'{path}: keys.{binding} must be keys like "ctrl+r" or "f5,ctrl+r", got {keys!r}'
            )
    return data


def _roles(path: Path, table: dict[str, Any]) -> RoleMap:
    """[roles] default = "viewer", [roles.users] alice = "admin", [roles.groups] ops = "operator"."""

    def role(where: str, value: Any) -> Role:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: {where} must be a role name, got {value!r}")
        try:
            return Role.named(value)
        except ValueError as exc:
            raise ConfigError(f"{path}: {where}: {exc}") from None

    maps: dict[str, dict[str, Role]] = {"users": {}, "groups": {}}
    default = None
    for key, value in table.items():
        if key == "default":
            default = role("roles.default", value)
        elif key in maps and isinstance(value, dict):
            maps[key] = {name: role(f"roles.{key}.{name}", r) for name, r in value.items()}
        elif key in maps:
            raise ConfigError(f"{path}: roles.{key} must be a table of names to roles, got {value!r}")
        else:
            raise ConfigError(f"{path}: unknown key 'roles.{key}' (known: default, users, groups)")
    return RoleMap(maps["users"], maps["groups"], default)


def parse_duration(value: object, where: str) -> float:
    """Seconds from a number of seconds or a string like '90s', '5m', '2h', '1d'; ConfigError if neither."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str) and value[-1:] in _DURATION_UNITS:
        try:
            number = float(value[:-1])
        except ValueError:
            number = -1.0
        if number >= 0:
            return number * _DURATION_UNITS[value[-1]]
    raise ConfigError(f"{where} must be a duration like 90s, 5m, 2h or 1d (or seconds), got {value!r}")


def _table(value: object, where: str, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table, got {value!r}")
    for key in value:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(known)})")
    return value


def _typed(table: dict[str, Any], key: str, expected: type, where: str) -> Any:
    value = table[key]
    ok = isinstance(value, expected) or (expected is float and isinstance(value, int))
    if not ok or (isinstance(value, bool) and expected is not bool):
        raise ConfigError(f"{where}: {key} must be a {expected.__name__}, got {value!r}")
    return value


def _alerts(value: object, path: Path) -> AlertSettings:
    where = f"{path}: [alerts]"
    table = _table(value, where, ("rules", "webhook_url", "email_to", "smtp", "notify_resolved"))
    webhook = _typed(table, "webhook_url", str, where) if "webhook_url" in table else ""
    if webhook and urlsplit(webhook).scheme not in ("http", "https"):
        raise ConfigError(f"{where}: webhook_url must be an http:// or https:// URL, got {webhook!r}")
    email_to = table.get("email_to", [])
    if not isinstance(email_to, list) or not all(isinstance(a, str) and "@" in a for a in email_to):
        raise ConfigError(f"{where}: email_to must be a list of addresses, got {email_to!r}")
    smtp = _smtp(table.get("smtp", {}), f"{path}: [alerts.smtp]")
    if email_to and not smtp.host:
        raise ConfigError(f"{where}: email_to needs [alerts.smtp] with a host")
    rules_value = table.get("rules", [])
    if not isinstance(rules_value, list):
        raise ConfigError(f"{where}: rules must be [[alerts.rules]] tables, got {rules_value!r}")
    rules = tuple(_rule(rule, f"{path}: [[alerts.rules]] #{i + 1}") for i, rule in enumerate(rules_value))
    names = [r.name for r in rules]
    if duplicate := next((n for n in names if names.count(n) > 1), None):
        raise ConfigError(f"{where}: two rules are named {duplicate!r}; names must be unique")
    resolved = _typed(table, "notify_resolved", bool, where) if "notify_resolved" in table else True
    return AlertSettings(rules, webhook, tuple(email_to), smtp, resolved)


def _smtp(value: object, where: str) -> SmtpSettings:
    table = _table(value, where, ("host", "port", "starttls", "username", "password", "from", "timeout"))
    types = {"host": str, "port": int, "starttls": bool, "username": str, "password": str, "from": str,
             "timeout": float}  # fmt: skip
    values = {key: _typed(table, key, types[key], where) for key in table}
    if "from" in values:
        values["sender"] = values.pop("from")
    if "port" in values and not 0 < values["port"] < 65536:
        raise ConfigError(f"{where}: port out of range: {values['port']}")
    return SmtpSettings(**values)


def _rule(value: object, where: str) -> AlertRule:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table, got {value!r}")
    kind = value.get("kind")
    if kind not in RULE_KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(RULE_KINDS)}, got {kind!r}")
    table = _table(value, f"{where} ({kind})", ("name", "kind", *RULE_KINDS[kind]))
    where = f"{where} ({kind})"
    name = _typed(table, "name", str, where) if "name" in table else ""
    if not name.strip():
        raise ConfigError(f"{where}: every rule needs a name")
    if kind in ("backlog", "oldest-waiting", "failure-rate") and "above" not in table:
        raise ConfigError(f"{where}: {name!r} needs 'above' (its threshold)")
    fields: dict[str, Any] = {"name": name, "kind": kind}
    for key in ("queue", "schedule"):
        if key in table:
            fields[key] = _typed(table, key, str, where)
    if "above" in table:
        above = table["above"]
        in_time = kind in ("oldest-waiting", "worker-heartbeat")
        fields["above"] = (
            parse_duration(above, f"{where}: above") if in_time else _typed(table, "above", float, where)
        )
        if kind == "failure-rate" and not 0 <= fields["above"] < 100:
            raise ConfigError(f"{where}: above is a percentage from 0 to 100, got {above!r}")
    if "for" in table:
        fields["for_seconds"] = parse_duration(table["for"], f"{where}: for")
    default_window = {"failure-rate": 900.0, "schedule-late": 3600.0}.get(kind, 0.0)
    fields["window"] = (
        parse_duration(table["window"], f"{where}: window") if "window" in table else default_window
    )
    if "min_jobs" in table:
        fields["min_jobs"] = _typed(table, "min_jobs", int, where)
    if "grace" in table:
        fields["grace"] = parse_duration(table["grace"], f"{where}: grace")
    return AlertRule(**fields)


def _retry(value: object, path: Path) -> RetrySettings:
    where = f"{path}: [retry]"
    table = _table(value, where, ("default", "policies", "errors"))
    policies = dict(BUILTIN_RETRY_POLICIES)
    given = table.get("policies", {})
    if not isinstance(given, dict):
        raise ConfigError(f"{where}: policies must be [retry.policies.NAME] tables, got {given!r}")
    for name, policy in given.items():
        policies[name] = _retry_policy(name, policy, f"{path}: [retry.policies.{name}]")
    default = _typed(table, "default", str, where) if "default" in table else RetrySettings.default
    if default not in policies:
        raise ConfigError(f"{where}: default names no policy: {default!r} (policies: {', '.join(policies)})")
    errors = dict(BUILTIN_RETRY_ERRORS)
    given = table.get("errors", {})
    if not isinstance(given, dict):
        raise ConfigError(f'{where}: errors must be a table like "module.Error" = "policy", got {given!r}')
    for name, policy_name in given.items():
        if not _DOTTED.match(name):
            raise ConfigError(
                f"{path}: [retry.errors]: {name!r} is not an exception class name like module.Error"
            )
        if not isinstance(policy_name, str) or policy_name not in policies:
            known = ", ".join(policies)
            raise ConfigError(f"{where}: errors.{name} names no policy: {policy_name!r} (policies: {known})")
        errors[name if "." in name else f"builtins.{name}"] = policy_name
    return RetrySettings(policies, errors, default)


def _retry_policy(name: str, value: object, where: str) -> RetryPolicy:
    table = _table(value, where, ("backoff", "attempts", "base", "max", "jitter"))
    backoff = table.get("backoff")
    if backoff not in BACKOFFS:
        raise ConfigError(f"{where}: backoff must be one of {', '.join(BACKOFFS)}, got {backoff!r}")
    if backoff == "none":
        if extra := [k for k in table if k != "backoff"]:
            raise ConfigError(f"{where}: backoff = none retries nothing, so {', '.join(extra)} cannot apply")
        return RetryPolicy(name)
    transient = BUILTIN_RETRY_POLICIES["transient"]
    attempts = _typed(table, "attempts", int, where) if "attempts" in table else transient.attempts
    if attempts < 2:
        raise ConfigError(f"{where}: attempts counts the first run too: 2 or more (or backoff = none)")
    base = parse_duration(table["base"], f"{where}: base") if "base" in table else transient.base
    if base <= 0:
        raise ConfigError(f"{where}: base must be more than 0 seconds, got {table['base']!r}")
    most = parse_duration(table["max"], f"{where}: max") if "max" in table else max(transient.max, base)
    if most < base:
        raise ConfigError(
            f"{where}: max ({table['max']!r}) is shorter than base ({table.get('base', base)!r})"
        )
    jitter = _typed(table, "jitter", float, where) if "jitter" in table else transient.jitter
    if not 0 <= jitter < 1:
        raise ConfigError(f"{where}: jitter is a fraction of the delay from 0 to below 1, got {jitter!r}")
    return RetryPolicy(name, backoff, attempts, float(base), float(most), float(jitter))


def _logs(value: object, path: Path) -> LogSettings:
    where = f"{path}: [logs]"
    table = _table(value, where, ("max_lines", "max_bytes", "capture_output", "level"))
    types = {"max_lines": int, "max_bytes": int, "capture_output": bool, "level": str}
    values = {key: _typed(table, key, types[key], where) for key in table}
    if values.get("max_lines", 1) < 1:
        raise ConfigError(f"{where}: max_lines must be 1 or more, got {values['max_lines']}")
    if values.get("max_bytes", 1024) < 1024:
        raise ConfigError(f"{where}: max_bytes must be 1024 or more, got {values['max_bytes']}")
    if "level" in values:
        values["level"] = values["level"].upper()
        if values["level"] not in LOG_LEVELS:
            known = ", ".join(LOG_LEVELS)
            raise ConfigError(f"{where}: level must be one of {known}, got {table['level']!r}")
    return LogSettings(**values)


def _tenants(value: object, path: Path) -> TenantSettings:
    where = f"{path}: [tenants]"
    table = _table(value, where, ("meta_key", "limits"))
    key = _typed(table, "meta_key", str, where) if "meta_key" in table else DEFAULT_TENANT_KEY
    if not _TENANT_KEY.match(key):
        raise ConfigError(f"{where}: meta_key must be a name like tenant or customer_id, got {key!r}")
    given = table.get("limits", {})
    if not isinstance(given, dict):
        raise ConfigError(f"{where}: limits must be a [tenants.limits] table like acme = 2, got {given!r}")
    limits: dict[str, int] = {}
    for name, limit in given.items():
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ConfigError(
                f"{path}: [tenants.limits]: {name} must be a number of jobs, 0 or more (0: no limit), "
                f"got {limit!r}"
            )
        limits[name] = limit
    default = limits.pop("default", 0)
    return TenantSettings(key, limits, default)


def load_settings(
    redis_url: str | None = None,
    name: str | None = None,
    refresh: float | None = None,
    path: Path | None = None,
    db_url: str | None = None,
    read_only: bool | None = None,
) -> Settings:
    """Resolve settings from flags, environment, the config file and defaults; raise ConfigError."""
    settings = Settings()
    source: dict[str, str] = {}
    file_path = path or config_path()
    for key, value in _from_file(file_path).items():
        settings = replace(settings, **{key: value})
        source[key] = str(file_path)
    for var in ("RQ_REDIS_URL", "QUEUETUI_REDIS_URL"):  # later wins: QUEUETUI_ beats RQ_
        if env := os.environ.get(var):
            settings = replace(settings, redis_url=env)
            source["redis_url"] = var
    if env_name := os.environ.get("QUEUETUI_NAME"):
        settings = replace(settings, name=env_name)
        source["name"] = "QUEUETUI_NAME"
    if env_db := os.environ.get("QUEUETUI_DB_URL"):
        settings = replace(settings, db_url=env_db)
        source["db_url"] = "QUEUETUI_DB_URL"
    if db_url is not None:
        settings = replace(settings, db_url=db_url)
        source["db_url"] = "--db-url"
    if env_read_only := os.environ.get("QUEUETUI_READ_ONLY"):
        settings = replace(settings, read_only=env_read_only.strip().lower() in _TRUE)
        source["read_only"] = "QUEUETUI_READ_ONLY"
    if read_only:  # the flag can only tighten: --read-only beats a config that allows writes
        settings = replace(settings, read_only=True)
        source["read_only"] = "--read-only"
    if env_password := os.environ.get("QUEUETUI_SMTP_PASSWORD"):  # kept out of the file, where it may be
        smtp = replace(settings.alerts.smtp, password=env_password)
        settings = replace(settings, alerts=replace(settings.alerts, smtp=smtp))
        source["alerts.smtp.password"] = "QUEUETUI_SMTP_PASSWORD"
    if redis_url is not None:
        settings = replace(settings, redis_url=redis_url)
        source["redis_url"] = "--redis-url"
    if name is not None:
        settings = replace(settings, name=name)
        source["name"] = "--name"
    if refresh is not None:
        settings = replace(settings, refresh=refresh)
        source["refresh"] = "--refresh"
    if not settings.refresh > 0:
        raise ConfigError(f"refresh must be a positive number of seconds, got {settings.refresh}")
    validate_redis_url(settings.redis_url)
    return replace(settings, refresh=float(settings.refresh), source=source)
