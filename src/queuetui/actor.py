"""Who acts: the OS account running queuetui (and where it says it came from over SSH), or a web user
of `queuetui serve` with their role. Audit records them; the console asks for its role by them before
it opens the database, so this module needs neither SQLAlchemy nor the audit trail."""

from __future__ import annotations

import os
import pwd
import socket
from dataclasses import dataclass, field

from queuetui.roles import Role


@dataclass(frozen=True)
class Actor:
    user: str
    client: str
    """The SSH client address, or 'local'."""
    host: str = field(default_factory=socket.gethostname)
    """The host queuetui runs on."""


@dataclass(frozen=True)
class Identity:
    """Who acts and with which role, when it is not the OS user at this terminal: a browser user of
    `queuetui serve`, authenticated by the server that started the console for them."""

    actor: Actor
    role: Role


def os_user() -> str:
    """The name of the OS account running queuetui, from its uid (never LOGNAME, USER or the like)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def current_actor() -> Actor:
    """The OS user running queuetui (by uid), where they say they came from over SSH, and this host.

    SSH_CONNECTION is set by sshd, but the user can set it too: the client is recorded as what the
    environment claims ("ssh 203.0.113.9 (from environment)"), never as a verified address.
    """
    ssh = os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_CLIENT") or ""
    client = f"ssh {ssh.split()[0]} (from environment)" if ssh.split() else "local"
    return Actor(os_user(), client)
