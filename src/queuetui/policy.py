"""The system policy: roles, read-only and the database fixed by the machine's administrator.

    /etc/queuetui/policy.toml       owned by root, not writable by group or others

    read_only = true                 # every mutation refused; nothing the user sets turns it off
    db_url = "postgresql://..."     # the schedule database and audit trail; --db-url cannot move it
    [roles]                          # as in the user's config; the user's own [roles] is then ignored
    default = "viewer"
    [roles.users]
    alice = "operator"

The user's own config, the environment and the flags can only tighten what the policy says (turn
read-only on), never loosen it. A policy file whose owner or mode would let someone other than root
change it is refused outright (queuetui will not start), because trusting it would make every
restriction in it a suggestion. The path is a module constant, not an environment variable, so a user
cannot point queuetui at a policy of their own; tests change POLICY_PATH and pass `trusted_owner`.

What a client-side policy cannot do: stop anyone holding the Redis password from running redis-cli.
The real boundary is one Redis ACL user per role (README, "Roles and the Redis ACL").
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from queuetui.config import ConfigError, Settings, _roles
from queuetui.roles import RoleMap

POLICY_PATH = Path("/etc/queuetui/policy.toml")
"""Where the system policy lives. Not configurable by the user; tests replace it (monkeypatch)."""
TRUSTED_OWNER = 0
"""The uid that must own the policy file and its directory: root. Tests replace it with their own."""
POLICY_KEYS = ("read_only", "db_url", "roles")


@dataclass(frozen=True)
class Policy:
    """What the administrator fixed; every field None or empty when there is no policy file."""

    path: Path | None = None
    read_only: bool = False
    db_url: str | None = None
    roles: RoleMap | None = None


def load_policy(path: Path | None = None, trusted_owner: int | None = None) -> Policy:
    """The system policy at `path` (default POLICY_PATH); an empty Policy when there is none.

    ConfigError when the file is not owned by `trusted_owner` (root outside tests), is writable by
    group or others, sits in a directory others can write, or is not valid UTF-8 TOML.
    """
    path = path or POLICY_PATH
    trusted_owner = TRUSTED_OWNER if trusted_owner is None else trusted_owner
    try:
        info = path.stat()
    except FileNotFoundError:
        return Policy()
    except OSError as exc:
        raise ConfigError(f"system policy {path}: cannot read ({exc.strerror})") from None
    _check_trusted(path, info, trusted_owner)
    _check_trusted(path.parent, path.parent.stat(), trusted_owner)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"system policy {path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"system policy {path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"system policy {path}: cannot read ({exc.strerror})") from None
    return _parse(path, data)


def _check_trusted(path: Path, info: os.stat_result, trusted_owner: int) -> None:
    if info.st_uid != trusted_owner:
        raise ConfigError(
            f"system policy {path}: owned by uid {info.st_uid}, not root: refusing to trust it "
            f"(fix: chown root:root {path})"
        )
    sticky_dir = stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not sticky_dir:
        raise ConfigError(
            f"system policy {path}: writable by group or others (mode {stat.filemode(info.st_mode)}): "
            f"refusing to trust it (fix: chmod go-w {path})"
        )


def _parse(path: Path, data: dict[str, Any]) -> Policy:
    where = f"system policy {path}"
    for key in data:
        if key not in POLICY_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(POLICY_KEYS)})")
    read_only = data.get("read_only", False)
    if not isinstance(read_only, bool):
        raise ConfigError(f"{where}: read_only must be true or false, got {read_only!r}")
    db_url = data.get("db_url")
    if db_url is not None and (not isinstance(db_url, str) or not db_url):
        raise ConfigError(f"{where}: db_url must be a database URL, got {db_url!r}")
    roles = data.get("roles")
    if roles is not None and not isinstance(roles, dict):
        raise ConfigError(f"{where}: roles must be a table, got {roles!r}")
    return Policy(path, read_only, db_url, _roles(Path(where), roles) if roles is not None else None)


def enforce(settings: Settings, policy: Policy) -> Settings:
    """`settings` with the policy's word last: its roles and database, read-only if either says so.

    ConfigError when a flag or variable asks for another database than the policy's.
    """
    if policy.path is None:
        return settings
    source = dict(settings.source)
    if policy.roles is not None:
        settings = replace(settings, roles=policy.roles)
        source["roles"] = str(policy.path)
    if policy.read_only:
        settings = replace(settings, read_only=True)
        source["read_only"] = str(policy.path)
    if policy.db_url is not None:
        asked = source.get("db_url")
        if asked is not None and settings.db_url != policy.db_url:
            raise ConfigError(
                f"the system policy {policy.path} fixes the database (and with it the audit trail); "
                f"{asked} cannot move it: remove it"
            )
        settings = replace(settings, db_url=policy.db_url)
        source["db_url"] = str(policy.path)
    return replace(settings, source=source)


def load_enforced(policy_path: Path | None = None, **flags: Any) -> Settings:
    """config.load_settings(**flags) under the system policy: what the CLI and the console start with."""
    from queuetui.config import load_settings

    return enforce(load_settings(**flags), load_policy(policy_path))
