"""The scheduler's leader lease in Redis, with a fencing token.

Several schedulers may run; the one whose value sits in LEASE_KEY leads. The same class, given
other keys, elects the one metrics sampler that writes (metrics/sampler.py). The value is
'<fencing token>:<instance>', the token drawn from an INCR counter, so each term of leadership has
its own token and a deposed leader's token never matches again. The lease expires on its own
(`ttl` seconds) unless renewed; renewal and release are compare-and-set scripts, so a scheduler
can only extend or drop its own lease.

"Holding" is proven twice: locally, a scheduler counts its lease as lost `margin` seconds before
the expiry it last secured (measured from before the renewal was sent, so a slow reply only
shortens it); and in Redis, every enqueue checks the token in the same script that enqueues
(schedule/firing.py), so even a leader that stalled past its lease cannot enqueue.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

LEASE_KEY = "queuetui:scheduler:lease"
FENCE_KEY = "queuetui:scheduler:fence"

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease:
    def __init__(
        self,
        connection: redis.Redis,
        instance: str,
        *,
        ttl: float = 5.0,
        margin: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        key: str = LEASE_KEY,
        fence_key: str = FENCE_KEY,
    ) -> None:
        self.connection = connection
        self.key = key
        """Where the lease lives: the scheduler's by default; the metrics sampler has its own."""
        self.fence_key = fence_key
        self.instance = instance
        self.ttl = ttl
        self.margin = margin
        self.monotonic = monotonic
        self.value = ""
        """'<token>:<instance>' while this scheduler leads; empty otherwise."""
        self._valid_until = 0.0

    @property
    def held(self) -> bool:
        """True while the lease is provably ours (local clock, with the safety margin)."""
        return bool(self.value) and self.monotonic() < self._valid_until

    def acquire_or_renew(self) -> bool:
        """Renew the lease we hold, or take it if it is free; True if we lead afterwards."""
        sent = self.monotonic()
        ttl_ms = int(self.ttl * 1000)
        if self.value:
            if self.connection.eval(_RENEW, 1, self.key, self.value, ttl_ms):
                self._valid_until = sent + self.ttl - self.margin
                return True
            self.value = ""
        token = int(self.connection.incr(self.fence_key))
        value = f"{token}:{self.instance}"
        if self.connection.set(self.key, value, nx=True, px=ttl_ms):
            self.value = value
            self._valid_until = sent + self.ttl - self.margin
            return True
        return False

    def release(self) -> None:
        """Give the lease up at once (a clean shutdown), so a standby takes over without waiting."""
        if self.value:
            self.connection.eval(_RELEASE, 1, self.key, self.value)
        self.value = ""

    def drop(self) -> None:
        """Forget the lease locally (after an error that leaves it unproven)."""
        self.value = ""


def leader(connection: redis.Redis, key: str = LEASE_KEY) -> str:
    """The lease's value ('<token>:<instance>'), or '' when no one leads (the scheduler's by default)."""
    value = connection.get(key)
    return value.decode() if isinstance(value, bytes) else str(value or "")
