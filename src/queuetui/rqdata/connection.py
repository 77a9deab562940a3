"""Opening Redis connections and turning their failures into one-line messages."""

from __future__ import annotations

import re

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

# Failures of Redis itself (unreachable, timed out, refused, wrong password, loading), reported to
# people in one line by the CLI and the console alike; anything else is a bug.
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)


def connect(url: str, timeout: float = 5.0) -> redis.Redis:
    """A redis-py client for an RQ deployment (bytes responses, as RQ requires); connects lazily."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        health_check_interval=30,
        # One quick retry for a blip; the console does its own, visible, backoff beyond that.
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=1),
    )


_CODE = re.compile(r"(?:Command # \d+ \(.*?\) of pipeline caused error: )?([A-Z]{3,}) ", re.S)


def error_code(exc: BaseException) -> str | None:
    """Redis's error code of a reply error (WRONGTYPE, NOAUTH, OOM...): the error's type in the protocol,
    which redis-py 8.2 keeps as status_code and earlier ones only at the head of the reply (after
    "Command # N (...) of pipeline caused error: " in a pipeline)."""
    if not isinstance(exc, redis.ResponseError):
        return None
    code = getattr(exc, "status_code", None)
    if code:
        return str(code)
    found = _CODE.match(str(exc))
    return found.group(1) if found else None


def describe_error(exc: BaseException) -> str:
    """A one-line, human description of a Redis failure, by its type (and Redis's error code)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    code = error_code(exc)
    if isinstance(exc, redis.AuthenticationError) and code == "NOAUTH":
        return "Redis wants a password: put it in the Redis URL (redis://:PASSWORD@host:6379/0)"
    if isinstance(exc, redis.AuthenticationError):  # NOAUTH before redis-py 8.2 too: it drops the code
        return (
            f"authentication failed: {text} (Redis wants a password, or this one is wrong: put the right "
            "one in the Redis URL, redis://[USER]:PASSWORD@host:6379/0)"
        )
    if isinstance(exc, redis.exceptions.OutOfMemoryError):
        return (
            "Redis is out of memory and refuses writes (maxmemory reached, eviction policy noeviction): "
            "free memory or raise maxmemory, then try again"
        )
    if isinstance(exc, redis.exceptions.NoPermissionError):
        return (
            f"Redis refuses a command to this user (ACL): {text}; queuetui needs reads, Lua scripting "
            "(EVALSHA, SCRIPT LOAD) and, for actions, the writes of RQ"
        )
    if isinstance(exc, redis.exceptions.ReadOnlyError):
        return "Redis is a read-only replica: point the Redis URL at the primary to act on jobs"
    if isinstance(exc, redis.exceptions.BusyLoadingError):
        return "Redis is loading its data set: try again in a moment"
    if isinstance(exc, redis.ResponseError) and code == "WRONGTYPE":
        return f"a key holds another type than RQ writes there (bad data, not a Redis failure): {text}"
    if isinstance(exc, redis.TimeoutError | TimeoutError):
        return f"Redis timed out: {text}"
    if isinstance(exc, redis.ConnectionError | ConnectionError):
        return f"cannot reach Redis: {text}"
    return f"{type(exc).__name__}: {text}"
