"""Whether a worker is alive, from what Redis keeps of it.

Liveness comes from the key's time to live, which Redis counts itself, so clocks that differ between
the worker's host and this one do not matter. At every heartbeat RQ sets the worker key's TTL to the
time until the next beat plus 60 s (worker_ttl - 15 s between beats while idle, job_monitoring_interval
while a job runs), so a worker on time always has about 60 s or more left. Less than OVERDUE left means
its heartbeat is late (stale); a key that expired while its name stays in the set, or a hash with RQ's
`death` field, is a worker that is gone (dead).
"""

from __future__ import annotations

from queuetui.rqdata.fields import text

DEFAULT_WORKER_TTL = 420
"""RQ's default worker TTL (rq.defaults.DEFAULT_WORKER_TTL), for workers whose hash does not say theirs."""

OVERDUE = 45.0
"""Seconds left on a worker's key below which its heartbeat is late: RQ leaves 60 s or more at each beat."""
UNEXPIRING_STALE = float(DEFAULT_WORKER_TTL)
"""A key without a TTL (not written by RQ's heartbeat): stale once its heartbeat is this old..."""
UNEXPIRING_DEAD = float(DEFAULT_WORKER_TTL + 60)
"""...and gone once RQ would have let it expire."""

OK = "ok"
STALE = "stale"
DEAD = "dead"


def health(
    raw: dict[bytes, bytes], ttl_ms: int, heartbeat_age: float | None
) -> tuple[str, str, float | None]:
    """(OK, STALE or DEAD; why, for people, '' when OK; seconds its key has left or None) of a worker
    from its hash (HGETALL), the PTTL of its key and the age of its last heartbeat."""
    if ttl_ms == -2:
        return DEAD, "its key expired: no heartbeat for its whole TTL", None
    if not raw:
        return DEAD, "its key holds no worker hash", None
    left = ttl_ms / 1000 if ttl_ms >= 0 else None
    if b"death" in raw:
        return DEAD, f"it registered its death at {text(raw[b'death'])}", left
    if left is not None:
        if left < OVERDUE:
            return STALE, f"heartbeat late: its key expires in {left:.0f}s unless it beats", left
        return OK, "", left
    if heartbeat_age is None or heartbeat_age > UNEXPIRING_DEAD:
        return DEAD, "no heartbeat for longer than RQ's worker TTL (its key never expires)", None
    if heartbeat_age > UNEXPIRING_STALE:
        return STALE, "heartbeat late (its key never expires)", None
    return OK, "", None
