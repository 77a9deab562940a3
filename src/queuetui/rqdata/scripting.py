"""Read-only Lua scripts, and the servers that refuse them.

A script does many reads in one round trip. Where scripting is refused (an ACL without @scripting, a
proxy without EVAL) the caller reads another way; the refusal is remembered per connection pool, so
it costs one failed call, not one per read. Scripts use pcall on anything that bad data can make
fail, so an error reply means the server refused, not that a key held the wrong type.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import redis

from queuetui.rqdata.connection import error_code


class ScriptingRefused(Exception):
    """The server refuses Lua scripts: read in pipelines instead."""


def wrong_type(exc: BaseException) -> bool:
    """Whether `exc` is Redis's WRONGTYPE reply: a key holds another type than the command reads (bad
    data, not a failure of the server). By the reply's error code."""
    return error_code(exc) == "WRONGTYPE"


_REFUSED: weakref.WeakSet[redis.ConnectionPool] = weakref.WeakSet()


def run(connection: redis.Redis, source: str, args: list[Any], keys: Sequence[str] = ()) -> Any:
    """The reply of a read-only script (EVALSHA, loaded on first use); ScriptingRefused if refused.

    A WRONGTYPE error is bad data, not a refusal: it is raised as it came.
    """
    if connection.connection_pool in _REFUSED:
        raise ScriptingRefused
    try:
        return connection.register_script(source)(keys=list(keys), args=args)
    except redis.ResponseError as exc:
        if wrong_type(exc):
            raise
        refuse(connection)
        raise ScriptingRefused(str(exc)) from exc


def refuse(connection: redis.Redis) -> None:
    """Take this connection's server to refuse scripts from now on (also how tests read in pipelines)."""
    _REFUSED.add(connection.connection_pool)
