"""Settings: defaults < TOML file (XDG config dir) < environment < command-line flags."""

from __future__ import annotations

import os
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
