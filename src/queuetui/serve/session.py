"""The console process of one browser session, started by the serve process (server.py) for a user it
authenticated.

Who the user is comes only from a pipe the serve process writes and this process inherits (its number is
the one argument): no flag, no environment variable, nothing the browser sends. The role it grants is
capped at the role of the OS account this process runs as, and the audit names that account beside the
web user, so whoever starts this module by hand with a pipe of their own gains no right their account
lacks and cannot pass as the server.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from queuetui.actor import Actor, Identity, current_actor
from queuetui.config import ConfigError, Settings, load_settings
from queuetui.roles import Role, user_groups


def read_handover(fd: int) -> dict[str, Any]:
    """What the serve process wrote to the inherited pipe `fd`: the user, their role and address, and the
    connection options; the pipe is read to its end and closed."""
    with os.fdopen(fd, "rb") as pipe:
        handed = json.loads(pipe.read())
    if not isinstance(handed, dict):
        raise ValueError("the handover is not a JSON object")
    return handed


def identity_from(handed: dict[str, Any], settings: Settings) -> Identity:
    """The web user as the audit records them, with their role capped at this OS account's own."""
    account = current_actor()
    own_role = settings.roles.role_for(account.user, user_groups(account.user))
    role = min(Role.named(str(handed["role"])), own_role)
    client = f"web {handed['address']} via {account.user}"
    return Identity(Actor(str(handed["user"]), client, account.host), role)


def main(argv: list[str] | None = None) -> None:
    """Run the console for the user handed over on the pipe named by the one argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        sys.exit("usage: python -m queuetui.serve.session FD  (started by `queuetui serve`, not by hand)")
    handed = read_handover(int(args[0]))
    connection = dict(handed["connection"])
    connection["path"] = Path(connection["path"]) if connection.get("path") else None
    try:
        settings = load_settings(**connection)
    except ConfigError as exc:
        sys.exit(f"queuetui: error: {exc}")
    from queuetui.tui.app import QueueTUI

    QueueTUI(settings, identity=identity_from(handed, settings)).run()


if __name__ == "__main__":
    main()
