"""Counting round trips to Redis: one per packet sent, so a pipeline counts once.

The handshake a new connection makes (HELLO, CLIENT SETINFO) happens once per connection, not
per call, and is not counted.
"""

from __future__ import annotations

from typing import Any

import redis


class RoundTripCounter:
    def __init__(self) -> None:
        self.count = 0


def counting_client(url: str, counter: RoundTripCounter, **kwargs: Any) -> redis.Redis:
    """A client for `url` whose every round trip adds one to `counter.count`."""
    base: type[redis.Connection] = redis.Connection

    class CountingConnection(base):  # type: ignore[valid-type,misc]
        handshaking = False

        def on_connect_check_health(self, check_health: bool = True) -> None:
            self.handshaking = True
            try:
                super().on_connect_check_health(check_health)
            finally:
                self.handshaking = False

        def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            if not self.handshaking:
                counter.count += 1
            super().send_packed_command(command, check_health)

    pool = redis.ConnectionPool.from_url(url, connection_class=CountingConnection, **kwargs)
    return redis.Redis(connection_pool=pool)
