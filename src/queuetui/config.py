"""Settings: defaults < TOML file (XDG config dir) < environment < command-line flags."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from queuetui.roles import Role, RoleMap

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
URL_SCHEMES = ("redis", "rediss", "unix", *SENTINEL_SCHEMES)
TLS_SCHEMES = ("rediss", "rediss+sentinel")
DEFAULT_SENTINEL_PORT = 26379
TLS_VERIFY = ("required", "optional", "none")
"""How a TLS connection checks the server's certificate (ssl.CERT_REQUIRED, CERT_OPTIONAL, CERT_NONE)."""
TLS_QUERY = {
    "ssl_ca_certs": "tls_ca_file",
    "ssl_certfile": "tls_cert_file",
    "ssl_keyfile": "tls_key_file",
    "ssl_cert_reqs": "tls_verify",
}
"""TLS options a URL may carry in its query (redis-py's names) and the config keys they stand for."""
_CONTEXT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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
DEFAULT_METRICS_TOP = 10
"""Tenants per queue the metrics sampler records by name when [tenants] metrics_top says nothing."""
MAX_METRICS_TOP = 100
"""At most this many (each is a series of its own: memory)."""
_TENANT_KEY = re.compile(r"^[A-Za-z_][\w-]*$")


@dataclass(frozen=True)
class TenantSettings:
    """[tenants]: where a job's tenant lives in its meta, and how many of a tenant's jobs may run at once."""

    meta_key: str = DEFAULT_TENANT_KEY
    limits: dict[str, int] = field(default_factory=dict)
    """[tenants.limits]: a tenant's name to how many of its jobs may run at once across every worker."""
    default_limit: int = 0
    """[tenants.limits] default: the limit of every other tenant (0: no limit)."""
    metrics_top: int = DEFAULT_METRICS_TOP
    """[tenants] metrics_top: tenants per queue whose throughput and failures the sampler records by
    name (the others count together as '(other)')."""

    def limit_for(self, tenant: str) -> int:
        """How many of `tenant`'s jobs may run at once (0: no limit)."""
        return self.limits.get(tenant, self.default_limit)


@dataclass(frozen=True)
class RedisOptions:
    """How to reach Redis beyond its URL: TLS files and checks, and the Sentinels' own credentials."""

    tls_ca_file: str = ""
    tls_cert_file: str = ""
    """The client certificate (PEM) presented to a server that asks for one."""
    tls_key_file: str = ""
    tls_verify: str = ""
    """required, optional or none; empty means required (redis-py's default)."""
    sentinel_username: str = ""
    sentinel_password: str = field(default="", repr=False)
    """The Sentinels' own password (Sentinel's requirepass), when it differs from the master's."""

    def merged(self, fallback: RedisOptions) -> RedisOptions:
        """These options, each unset one taken from `fallback`."""
        return RedisOptions(
            **{f.name: getattr(self, f.name) or getattr(fallback, f.name) for f in fields(self)}
        )

    @property
    def has_tls(self) -> bool:
        return any((self.tls_ca_file, self.tls_cert_file, self.tls_key_file, self.tls_verify))


CONNECTION_KEYS = tuple(f.name for f in fields(RedisOptions))
"""The connection options the config file takes at the top level and in each context."""


@dataclass(frozen=True)
class Context:
    """One [contexts.NAME] table of the config file: a Redis, its database and how far one may act on it."""

    name: str
    redis_url: str
    db_url: str = ""
    """Empty: a SQLite file of the context's own (context_db_url), so contexts never share schedules."""
    read_only: bool = False
    role: Role | None = None
    """The highest role anyone has in this context, whatever [roles] gives them; None: no limit."""
    production: bool = False
    """Read-only unless the command is given --write; the header shows it in colour."""
    color: str = ""
    """The header's colour for this context's name (a Rich colour: red, #ff8800...)."""
    connection: RedisOptions = field(default_factory=RedisOptions)


@dataclass(frozen=True)
class SentinelURL:
    """A redis+sentinel:// URL taken apart: the Sentinels, the service (master name), the database."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int
    username: str
    password: str = field(repr=False)
    tls: bool
    query: dict[str, str]


@dataclass(frozen=True)
class WebUser:
    """One [serve.users.NAME] table: a browser user of `queuetui serve`, known by the SHA-256 of a token."""

    name: str
    token_sha256: str
    """The token's SHA-256 as 64 lower-case hex digits (the token itself is never stored)."""
    role: Role


@dataclass(frozen=True)
class ServeSettings:
    """[serve]: who may use the console in a browser, and how long and how many sessions last."""

    users: tuple[WebUser, ...] = ()
    idle_timeout: float = 900.0
    """Seconds without a key press or click after which a browser session ends."""
    max_sessions: int = 8
    """Browser sessions at once (each is one console process); more are refused."""


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
    serve: ServeSettings = field(default_factory=ServeSettings)
    """[serve]: the browser users and session limits of `queuetui serve`."""
    logs: LogSettings = field(default_factory=LogSettings)
    """[logs]: the job logs `queuetui worker` keeps in Redis."""
    tenants: TenantSettings = field(default_factory=TenantSettings)
    """[tenants]: the job meta key of a job's tenant and the per-tenant limits of `queuetui worker`."""
    keys: dict[str, str] = field(default_factory=dict)
    """[keys]: a key binding's id (as `?` lists them, e.g. jobs.retry) to the keys that fire it instead."""
    connection: RedisOptions = field(default_factory=RedisOptions)
    """TLS and Sentinel options (top-level keys, or the context's)."""
    contexts: dict[str, Context] = field(default_factory=dict)
    """[contexts.NAME]: every Redis the operator runs, by name."""
    default_context: str = ""
    context: str = ""
    """The context in use ('' when none: the bare redis_url, as before contexts)."""
    production: bool = False
    color: str = ""
    write_context: str = ""
    """The context --write was given for (the one the command started in): writable even in production."""
    source: dict[str, str] = field(default_factory=dict, compare=False)
    base: Settings | None = field(default=None, compare=False, repr=False)
    """The settings before a context was applied, for switching to another (with_context)."""


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
    "serve": dict,
    "logs": dict,
    "contexts": dict,
    "default_context": str,
    **dict.fromkeys(CONNECTION_KEYS, str),
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
    _check_query(url, parts.query)
    if parts.scheme in SENTINEL_SCHEMES:
        parse_sentinel_url(url)
        return url
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


def _check_query(url: str, query: str) -> None:
    """The TLS options of a URL's query: a verification mode redis-py knows, files that exist."""
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "ssl_cert_reqs" and value not in TLS_VERIFY:
            raise ConfigError(
                f"invalid Redis URL {redact_url(url)!r}: ssl_cert_reqs must be one of {', '.join(TLS_VERIFY)}"
            )
        if key in TLS_QUERY and key != "ssl_cert_reqs" and not Path(value).is_file():
            raise ConfigError(f"invalid Redis URL {redact_url(url)!r}: {key}: no such file {value!r}")


def is_sentinel_url(url: str) -> bool:
    """Whether the URL names a master through Sentinels (redis+sentinel://, rediss+sentinel://)."""
    return urlsplit(url).scheme in SENTINEL_SCHEMES


def parse_sentinel_url(url: str) -> SentinelURL:
    """redis+sentinel://[[user]:password@]host:port[,host:port...]/SERVICE[/DB] taken apart; ConfigError
    naming what is wrong."""
    parts = urlsplit(url)
    shown = redact_url(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":") if at else ("", "", "")
    sentinels: list[tuple[str, int]] = []
    for item in hosts.split(","):
        host, colon, port_text = item.strip().rpartition(":")
        if not colon:
            host, port_text = item.strip(), str(DEFAULT_SENTINEL_PORT)
        host = host.strip("[]")
        if not host:
            raise ConfigError(
                f"invalid Sentinel URL {shown!r}: a Sentinel address needs a host, e.g. host:26379"
            )
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(
                f"invalid Sentinel URL {shown!r}: port {port_text!r} of {host} is not a port number"
            )
        sentinels.append((host, int(port_text)))
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise ConfigError(
            f"invalid Sentinel URL {shown!r}: name the master after the Sentinels, e.g. .../mymaster/0"
        )
    if len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ConfigError(f"invalid Sentinel URL {shown!r}: the path is /SERVICE or /SERVICE/DB (a number)")
    query = dict(parse_qsl(parts.query))
    if extra := [key for key in query if key not in TLS_QUERY]:
        raise ConfigError(
            f"invalid Sentinel URL {shown!r}: its query takes only TLS options ({', '.join(TLS_QUERY)}), "
            f"not {', '.join(extra)}"
        )
    if query and parts.scheme != "rediss+sentinel":
        raise ConfigError(f"invalid Sentinel URL {shown!r}: TLS options need rediss+sentinel://")
    return SentinelURL(
        sentinels=tuple(sentinels),
        service=unquote(path[0]),
        db=int(path[1]) if len(path) == 2 else 0,
        username=unquote(username),
        password=unquote(password),
        tls=parts.scheme == "rediss+sentinel",
        query=query,
    )


def context_db_url(name: str) -> str:
    """The SQLite file of a context that names no db_url: its own, beside the default one."""
    return f"sqlite:///{data_dir() / 'contexts' / name / 'queuetui.db'}"


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to show and log (even when malformed)."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def _from_file(path: Path, explicit: bool = False) -> dict[str, Any]:
    if not path.exists():
        if explicit:  # named by --config or QUEUETUI_CONFIG: a typo must not drop its settings
            raise ConfigError(f"{path}: no such config file (named by --config or QUEUETUI_CONFIG)")
        return {}
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    known = list(_TYPES)
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
    if "serve" in data:
        data["serve"] = _serve(data["serve"], path)
    if "logs" in data:
        data["logs"] = _logs(data["logs"], path)
    options = {key: data.pop(key) for key in CONNECTION_KEYS if key in data}
    data["connection"] = _connection(options, f"{path}:")
    if "contexts" in data:
        data["contexts"] = _contexts(data["contexts"], path, data["connection"])
    if (default := data.get("default_context")) and default not in data.get("contexts", {}):
        raise ConfigError(
            f"{path}: default_context names no context: {default!r} "
            f"(contexts: {', '.join(data.get('contexts', {})) or 'none; add a [contexts.NAME] table'})"
        )
    if "tenants" in data:
        data["tenants"] = _tenants(data["tenants"], path)
    for binding, keys in data.get("keys", {}).items():
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigError(
                f'{path}: keys.{binding} must be keys like "ctrl+r" or "f5,ctrl+r", got {keys!r}'
            )
    return data


def _connection(table: dict[str, Any], where: str) -> RedisOptions:
    """The TLS and Sentinel keys of a table (its types already checked): files that exist, a known mode."""
    for key in ("tls_ca_file", "tls_cert_file", "tls_key_file"):
        if table.get(key) and not Path(table[key]).expanduser().is_file():
            raise ConfigError(f"{where} {key}: no such file {table[key]!r}")
    if table.get("tls_verify", "") not in ("", *TLS_VERIFY):
        raise ConfigError(
            f"{where} tls_verify must be one of {', '.join(TLS_VERIFY)}, got {table['tls_verify']!r}"
        )
    if bool(table.get("tls_cert_file")) != bool(table.get("tls_key_file")):
        raise ConfigError(f"{where} a client certificate needs both tls_cert_file and tls_key_file")
    files = {k: str(Path(v).expanduser()) for k, v in table.items() if k.endswith("_file") and v}
    return RedisOptions(**{**table, **files})


CONTEXT_KEYS = ("redis_url", "db_url", "read_only", "role", "production", "color", *CONNECTION_KEYS)


def _contexts(value: dict[str, Any], path: Path, top: RedisOptions) -> dict[str, Context]:
    """[contexts.NAME] tables: each a Redis URL and what goes with it."""
    contexts = {}
    for name, table in value.items():
        where = f"{path}: [contexts.{name}]"
        if not _CONTEXT_NAME.match(name):
            raise ConfigError(
                f"{where}: a context name is letters, digits, '.', '_' or '-' (up to 64), e.g. prod-eu"
            )
        table = _table(table, where, CONTEXT_KEYS)
        if "redis_url" not in table:
            raise ConfigError(f'{where}: needs redis_url, e.g. redis_url = "redis://host:6379/0"')
        types = {"read_only": bool, "production": bool}
        values = {key: _typed(table, key, types.get(key, str), where) for key in table}
        try:
            validate_redis_url(values["redis_url"])
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if "role" in values:
            try:
                values["role"] = Role.named(values["role"])
            except ValueError as exc:
                raise ConfigError(f"{where}: role: {exc}") from None
        if values.get("color"):
            from rich.color import Color, ColorParseError

            try:
                Color.parse(values["color"])
            except ColorParseError:
                raise ConfigError(
                    f"{where}: color {values['color']!r} is not a colour; try a name (red) or #rrggbb"
                ) from None
        options = {key: values.pop(key) for key in CONNECTION_KEYS if key in values}
        own = _connection(options, f"{where}:")
        if own.has_tls and urlsplit(values["redis_url"]).scheme not in TLS_SCHEMES:
            raise ConfigError(f"{where}: TLS options need a rediss:// (or rediss+sentinel://) redis_url")
        contexts[name] = Context(name=name, connection=own.merged(top), **values)
    return contexts


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


_WEB_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _serve(value: object, path: Path) -> ServeSettings:
    where = f"{path}: [serve]"
    table = _table(value, where, ("users", "idle_timeout", "max_sessions"))
    idle = 900.0
    if "idle_timeout" in table:
        idle = parse_duration(table["idle_timeout"], f"{where}: idle_timeout")
    if idle <= 0:
        raise ConfigError(f"{where}: idle_timeout must be more than 0 seconds, got {table['idle_timeout']!r}")
    most = _typed(table, "max_sessions", int, where) if "max_sessions" in table else 8
    if most < 1:
        raise ConfigError(f"{where}: max_sessions must be 1 or more, got {most}")
    given = table.get("users", {})
    if not isinstance(given, dict):
        raise ConfigError(f"{where}: users must be [serve.users.NAME] tables, got {given!r}")
    users = tuple(_web_user(name, spec, f"{path}: [serve.users.{name}]") for name, spec in given.items())
    hashes = [u.token_sha256 for u in users]
    if duplicate := next((u.name for u in users if hashes.count(u.token_sha256) > 1), None):
        raise ConfigError(f"{where}: {duplicate!r} shares its token with another user; give each its own")
    return ServeSettings(users, float(idle), most)


def _web_user(name: str, value: object, where: str) -> WebUser:
    if not _WEB_USER_NAME.match(name):
        raise ConfigError(f"{where}: a user name is 1-64 letters, digits, '_', '.', '@' or '-'")
    table = _table(value, where, ("token_sha256", "role"))
    for key in ("token_sha256", "role"):
        if key not in table:
            raise ConfigError(f"{where}: needs {key}")
    digest = _typed(table, "token_sha256", str, where)
    if not _SHA256_HEX.match(digest):
        raise ConfigError(
            f"{where}: token_sha256 must be 64 lower-case hex digits "
            f"(printf %s TOKEN | sha256sum), got {digest!r}"
        )
    try:
        role = Role.named(_typed(table, "role", str, where))
    except ValueError as exc:
        raise ConfigError(f"{where}: role: {exc}") from None
    return WebUser(name, digest, role)


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
    table = _table(value, where, ("meta_key", "limits", "metrics_top"))
    key = _typed(table, "meta_key", str, where) if "meta_key" in table else DEFAULT_TENANT_KEY
    if not _TENANT_KEY.match(key):
        raise ConfigError(f"{where}: meta_key must be a name like tenant or customer_id, got {key!r}")
    top = table.get("metrics_top", DEFAULT_METRICS_TOP)
    if not isinstance(top, int) or isinstance(top, bool) or not 0 <= top <= MAX_METRICS_TOP:
        raise ConfigError(
            f"{where}: metrics_top must be a number of tenants from 0 to {MAX_METRICS_TOP}, got {top!r}"
        )
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
    return TenantSettings(key, limits, default, top)


def load_settings(
    redis_url: str | None = None,
    name: str | None = None,
    refresh: float | None = None,
    path: Path | None = None,
    db_url: str | None = None,
    read_only: bool | None = None,
    context: str | None = None,
    write: bool | None = None,
) -> Settings:
    """Resolve settings from flags, environment, the config file and defaults; raise ConfigError.

    A context (--context, else $QUEUETUI_CONTEXT, else the file's default_context) replaces the Redis URL,
    database and limits; a -u or --db-url flag still beats it. A Redis URL from the environment or a
    flag with no context named explicitly means that bare URL, as before contexts, not the default one.
    """
    settings = Settings()
    source: dict[str, str] = {}
    file_path = path or config_path()
    explicit = path is not None or bool(os.environ.get("QUEUETUI_CONFIG"))
    for key, value in _from_file(file_path, explicit).items():
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
    env_read_only = os.environ.get("QUEUETUI_READ_ONLY", "")
    if env_read_only.strip().lower() in _TRUE:  # like the flag, it can only tighten a config's setting
        settings = replace(settings, read_only=True)
        source["read_only"] = "QUEUETUI_READ_ONLY"
    if read_only:  # the flag can only tighten: --read-only beats a config that allows writes
        settings = replace(settings, read_only=True)
        source["read_only"] = "--read-only"
    if env_password := os.environ.get("QUEUETUI_SMTP_PASSWORD"):  # kept out of the file, where it may be
        smtp = replace(settings.alerts.smtp, password=env_password)
        settings = replace(settings, alerts=replace(settings.alerts, smtp=smtp))
        source["alerts.smtp.password"] = "QUEUETUI_SMTP_PASSWORD"
    if env_sentinel := os.environ.get("QUEUETUI_SENTINEL_PASSWORD"):
        settings = _with_sentinel_password(settings, env_sentinel)
        source["sentinel_password"] = "QUEUETUI_SENTINEL_PASSWORD"
    if name is not None:
        settings = replace(settings, name=name)
        source["name"] = "--name"
    if refresh is not None:
        settings = replace(settings, refresh=refresh)
        source["refresh"] = "--refresh"
    if not settings.refresh > 0:
        raise ConfigError(f"refresh must be a positive number of seconds, got {settings.refresh}")
    chosen, origin = context, "--context"
    if not chosen and (env_context := os.environ.get("QUEUETUI_CONTEXT")):
        chosen, origin = env_context, "QUEUETUI_CONTEXT"
    if (
        not chosen
        and redis_url is None
        and source.get("redis_url") not in ("RQ_REDIS_URL", "QUEUETUI_REDIS_URL")
    ):
        chosen, origin = settings.default_context, "default_context"
    settings = replace(
        settings,
        write_context=(chosen or "") if write else "",
        refresh=float(settings.refresh),
        source=source,
    )
    if chosen:
        settings = with_context(settings, chosen)
        settings.source["context"] = origin
    if redis_url is not None:
        settings = replace(settings, redis_url=redis_url)
        settings.source["redis_url"] = "--redis-url"
    if db_url is not None:
        settings = replace(settings, db_url=db_url)
        settings.source["db_url"] = "--db-url"
    validate_redis_url(settings.redis_url)
    return settings


def _with_sentinel_password(settings: Settings, password: str) -> Settings:
    contexts = {
        name: replace(c, connection=replace(c.connection, sentinel_password=password))
        for name, c in settings.contexts.items()
    }
    return replace(
        settings, connection=replace(settings.connection, sentinel_password=password), contexts=contexts
    )


def with_context(settings: Settings, name: str) -> Settings:
    """The settings of context `name`, from the settings before any context (or another context's).

    Read-only only tightens: the context's read_only, and a production context unless --write was
    given for it, add to a read-only that flags or the file already asked for.
    """
    base = settings.base or settings
    found = base.contexts.get(name)
    if found is None:
        known = ", ".join(base.contexts) or "none; add [contexts.NAME] tables to the config file"
        raise ConfigError(f"no context named {name!r} (contexts: {known})")
    read_only = base.read_only or found.read_only or (found.production and base.write_context != name)
    roles = replace(base.roles, ceiling=found.role) if found.role is not None else base.roles
    return replace(
        base,
        redis_url=found.redis_url,
        db_url=found.db_url or context_db_url(name),
        read_only=read_only,
        roles=roles,
        connection=found.connection,
        context=name,
        production=found.production,
        color=found.color,
        source={**base.source, "redis_url": f"[contexts.{name}]", "db_url": f"[contexts.{name}]"},
        base=base,
    )
