"""The scheduler's leader lease in Redis, with a fencing token.

Several schedulers may run; the one whose value sits in LEASE_KEY leads. The same class, given
other keys, elects the one metrics sampler that writes (metrics/sampler.py). The value is
'<fencing token>:<instance>', the token drawn from an INCR counter, so each term of leadership has
its own token and a deposed leader's token never matches again. Taking a free lease, renewing and
releasing are scripts (compare-and-set), so a scheduler can only extend or drop its own lease, and
a standby that finds the lease held draws no token.

"Holding" is proven three times: locally, a scheduler counts its lease as lost `margin` seconds
before the expiry it last secured (measured from before the renewal was sent, so a slow reply only
shortens it); in Redis, every enqueue checks the token in the same script that enqueues
(schedule/firing.py); and in the database, every write of a tick carries the token and is refused
once a newer one was written (schedule/scheduler.py), so even a leader that stalled past its lease
changes nothing.

A Keeper thread renews the lease every `renew_every` seconds, apart from the work done under it:
a tick stuck on the database does not cost its scheduler the lease. While another instance leads,
it tries to take the lease every `poll_every` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import redis

LEASE_KEY = "queuetui:scheduler:lease"
FENCE_KEY = "queuetui:scheduler:fence"

_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder then return {0, holder} end
local value = redis.call('INCR', KEYS[2]) .. ':' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, value}
"""
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
        self.holder = ""
        """The value of the lease as last seen: ours, another instance's, or '' when free."""
        self.since = 0.0
        """Wall-clock time (epoch seconds) this term of leadership began; 0 while not leading."""
        self._valid_until = 0.0
        self._lock = threading.Lock()  # the keeper thread and the ticking thread share the state

    @property
    def held(self) -> bool:
        """True while the lease is provably ours (local clock, with the safety margin)."""
        return bool(self.value) and self.monotonic() < self._valid_until

    @property
    def token(self) -> int:
        """The fencing token of the term we hold; 0 while not leading."""
        value = self.value
        return int(value.split(":", 1)[0]) if value else 0

    def acquire_or_renew(self) -> bool:
        """Renew the lease we hold, or take it if it is free; True if we lead afterwards."""
        with self._lock:
            sent = self.monotonic()
            ttl_ms = int(self.ttl * 1000)
            if self.value:
                if self.connection.eval(_RENEW, 1, self.key, self.value, ttl_ms):
                    self._valid_until = sent + self.ttl - self.margin
                    return True
                self.value = ""
                self.since = 0.0
            taken, value = self.connection.eval(_ACQUIRE, 2, self.key, self.fence_key, self.instance, ttl_ms)
            self.holder = value.decode() if isinstance(value, bytes) else str(value)
            if taken:
                self.value = self.holder
                self.since = time.time()
                self._valid_until = sent + self.ttl - self.margin
                return True
            return False

    def release(self) -> None:
        """Give the lease up at once (a clean shutdown), so a standby takes over without waiting."""
        with self._lock:
            value, self.value, self.since = self.value, "", 0.0
            if value:
                self.connection.eval(_RELEASE, 1, self.key, value)

    def drop(self) -> None:
        """Forget the lease locally (after an error that leaves it unproven)."""
        with self._lock:
            self.value = ""
            self.since = 0.0


class Keeper(threading.Thread):
    """Keeps a lease on a thread of its own: renews it while held, tries to take it while not.

    `hold_off(seconds)` keeps it from taking the lease for a while (a leader that stepped down).
    `on_change(leading)` is called after the first pass and whenever leadership starts or ends;
    `on_error(exc)` for a Redis
    error; `on_pass()` after each pass that reached Redis (heartbeats).
    """

    def __init__(
        self,
        lease: Lease,
        stop: threading.Event,
        *,
        renew_every: float,
        poll_every: float,
        on_change: Callable[[bool], None] = lambda leading: None,
        on_error: Callable[[redis.RedisError], None] = lambda exc: None,
        on_pass: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(name=f"lease-keeper-{lease.instance}", daemon=True)
        self.lease = lease
        self.stop = stop
        self.renew_every = renew_every
        self.poll_every = poll_every
        self.on_change = on_change
        self.on_error = on_error
        self.on_pass = on_pass
        self._hold_off_until = 0.0

    def hold_off(self, seconds: float) -> None:
        """Do not take the lease for `seconds` (a lease held now is kept: release it first)."""
        self._hold_off_until = time.monotonic() + seconds

    def run(self) -> None:
        """Renew or take the lease until `stop` is set (then the caller releases it)."""
        leading: bool | None = None
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                if self.lease.value or started >= self._hold_off_until:
                    self.lease.acquire_or_renew()
                self.on_pass()
            except redis.RedisError as exc:
                self.on_error(exc)
            if self.lease.held != leading:
                leading = self.lease.held
                self.on_change(leading)
            pause = self.renew_every if self.lease.value else self.poll_every
            self.stop.wait(max(0.0, pause - (time.monotonic() - started)))


def leader(connection: redis.Redis, key: str = LEASE_KEY) -> str:
    """The lease's value ('<token>:<instance>'), or '' when no one leads (the scheduler's by default)."""
    value = connection.get(key)
    return value.decode() if isinstance(value, bytes) else str(value or "")
