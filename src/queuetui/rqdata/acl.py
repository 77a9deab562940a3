"""Whether the Redis user queuetui connects as may write: the boundary a viewer's role relies on.

Redis 6.2 (the embedded server, and many in production) has no ACL DRYRUN, and ACL GETUSER needs
admin rights a viewer's user must not have. So the check asks Redis to run one write command that
changes nothing even where it is allowed: ZADD XX of a member to a key that never exists (XX only
updates members already there). Redis checks the ACL before running a command: a user without the
right gets NOPERM (and Redis adds one entry to its ACL LOG), a read-only replica READONLY, any other
user a reply of 0 with nothing written. The key sits under RQ's prefix, so a user whose writes are
limited to other key patterns is not mistaken for one that can write to RQ's keys.
"""

from __future__ import annotations

import redis

from queuetui.rqdata.fields import text
from queuetui.rqdata.keys import RQ_KEY_PREFIX

PROBE_KEY = f"{RQ_KEY_PREFIX}:queuetui:acl-probe"
"""Never created: ZADD XX to it writes nothing whether or not it is allowed."""


def can_write(connection: redis.Redis) -> bool | None:
    """True when the connection's user may write RQ's keys, False when Redis refuses (ACL or a
    read-only replica), None when it cannot tell (out of memory refuses writes to everyone). One
    round trip; raises the Redis error when the server cannot be reached."""
    try:
        connection.zadd(PROBE_KEY, {"probe": 0}, xx=True)
    except (redis.exceptions.NoPermissionError, redis.exceptions.ReadOnlyError):
        return False
    except redis.exceptions.OutOfMemoryError:
        return None
    return True


def whoami(connection: redis.Redis) -> str:
    """The ACL user the connection is logged in as: ACL WHOAMI, else (a user not allowed it, a Redis
    before 6) the user its URL names; '' when neither says."""
    try:
        return text(connection.execute_command("ACL", "WHOAMI"))
    except redis.exceptions.ResponseError:
        return str(connection.connection_pool.connection_kwargs.get("username") or "")
