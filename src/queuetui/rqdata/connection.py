"""Opening Redis connections and turning their failures into one-line messages.

A redis+sentinel:// URL gives a client whose pool asks the Sentinels for the master on every new
connection (redis-py's SentinelConnectionPool): after a failover, the next connection goes to the
promoted replica, so the console, the scheduler, the sampler and the worker follow it by themselves.
"""

from __future__ import annotations

import re
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from redis.sentinel import (
    MasterNotFoundError,
    Sentinel,
    SentinelManagedConnection,
    SentinelManagedSSLConnection,
)
from redis.utils import SENTINEL

from queuetui.config import RedisOptions, is_sentinel_url, parse_sentinel_url

# Failures of Redis itself (unreachable, timed out, refused, wrong password, loading), reported to
# people in one line by the CLI and the console alike; anything else is a bug.
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)


class SentinelConnection(SentinelManagedConnection):
    """A connection to the master that drops itself when a read fails, as redis-py's plain Connection does.

    redis-py (8.1) reads with disconnect_on_error=False here: a BLPOP cut short by a signal (RQ's warm
    shutdown) stays connected with its reply pending, and the next command on it waits out the BLPOP.
    """

    def read_response(
        self,
        disable_decoding: Any = False,
        *,
        timeout: float | object = SENTINEL,
        disconnect_on_error: bool | None = True,
        push_request: bool | None = False,
    ) -> Any:
        """Read a reply; on any error, disconnect (the reply stream can no longer be trusted)."""
        return super().read_response(
            disable_decoding,
            timeout=timeout,
            disconnect_on_error=disconnect_on_error,
            push_request=push_request,
        )


class SentinelSSLConnection(SentinelConnection, SentinelManagedSSLConnection):
    """SentinelConnection over TLS."""


def tls_options(options: RedisOptions) -> dict[str, Any]:
    """redis-py's keyword arguments for the TLS options that are set."""
    given = {
        "ssl_ca_certs": options.tls_ca_file,
        "ssl_certfile": options.tls_cert_file,
        "ssl_keyfile": options.tls_key_file,
        "ssl_cert_reqs": options.tls_verify,
    }
    return {key: value for key, value in given.items() if value}


def connect(url: str, timeout: float = 5.0, options: RedisOptions | None = None) -> redis.Redis:
    """A redis-py client for an RQ deployment (bytes responses, as RQ requires); connects lazily.

    `options` adds TLS files and checks (for rediss:// URLs; the URL's own query wins) and the
    Sentinels' credentials (for redis+sentinel:// URLs).
    """
    options = options or RedisOptions()
    common: dict[str, Any] = {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "health_check_interval": 30,
        # One quick retry for a blip; the console does its own, visible, backoff beyond that.
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=1),
    }
    if is_sentinel_url(url):
        return _sentinel_client(url, common, options)
    if url.startswith("rediss://"):
        common.update(tls_options(options))
    return redis.Redis.from_url(url, **common)


def _sentinel_client(url: str, common: dict[str, Any], options: RedisOptions) -> redis.Redis:
    target = parse_sentinel_url(url)
    tls: dict[str, Any] = {}
    if target.tls:
        tls = {"ssl": True, **tls_options(options), **target.query}
    connection_class = SentinelSSLConnection if target.tls else SentinelConnection
    sentinel_kwargs: dict[str, Any] = {
        "socket_connect_timeout": common["socket_connect_timeout"],
        "socket_timeout": common["socket_timeout"],
        **tls,
    }
    if options.sentinel_password:
        sentinel_kwargs["password"] = options.sentinel_password
        sentinel_kwargs["username"] = options.sentinel_username or None
    sentinel = Sentinel(list(target.sentinels), sentinel_kwargs=sentinel_kwargs)
    master: redis.Redis = sentinel.master_for(
        target.service,
        db=target.db,
        username=target.username or None,
        password=target.password or None,
        connection_class=connection_class,
        **{key: value for key, value in tls.items() if key != "ssl"},
        **common,
    )
    return master


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
    if isinstance(exc, MasterNotFoundError):
        return f"no master from the Sentinels yet (a failover may be under way): {text}"
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
