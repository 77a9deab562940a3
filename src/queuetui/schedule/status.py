"""Who leads the schedulers and how they are doing: heartbeats in Redis, read by `queuetui scheduler status`.

Each scheduler's lease keeper writes a small heartbeat (JSON) under HEARTBEAT_PREFIX + instance,
expiring after HEARTBEAT_TTL seconds, and the instance's name in the INSTANCES sorted set (score: the
time of its last heartbeat), at each lease pass. A heartbeat that expired is an instance gone without
a clean shutdown: the set still remembers its last beat for FORGET_AFTER seconds. The status read
costs two round trips to Redis and two small queries to the database (the fence row, the oldest due
fire time); what cannot be read is named, the rest still shown.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from queuetui.daemon.lease import LEASE_KEY
from queuetui.db.engine import DatabaseError, session_scope
from queuetui.db.models import Schedule, SchedulerFence

HEARTBEAT_PREFIX = "queuetui:scheduler:instance:"
INSTANCES = "queuetui:scheduler:instances"
HEARTBEAT_TTL = 10
"""Seconds a heartbeat lives unless written again."""
FORGET_AFTER = 86400
"""Seconds an instance that stopped beating is still listed (with its last heartbeat)."""


@dataclass(frozen=True)
class Heartbeat:
    instance: str
    host: str
    pid: int
    role: str
    """'leading', 'standing by' or 'stepped down' (its database failed too long)."""
    lease: str
    """Its lease value while leading, '' otherwise."""
    leading_since: float | None
    last_tick: float | None
    """When its last tick started (epoch seconds)."""
    last_commit: float | None
    """When its last tick's batch committed."""
    lag: float | None
    """Seconds the oldest due fire time was late at its last tick (leading only)."""
    database: str
    beat: float


def beat(connection: redis.Redis, heartbeat: Heartbeat) -> None:
    """Write an instance's heartbeat (one round trip) and drop instances silent for FORGET_AFTER."""
    with connection.pipeline(transaction=False) as pipe:
        pipe.set(HEARTBEAT_PREFIX + heartbeat.instance, json.dumps(asdict(heartbeat)), ex=HEARTBEAT_TTL)
        pipe.zadd(INSTANCES, {heartbeat.instance: heartbeat.beat})
        pipe.zremrangebyscore(INSTANCES, "-inf", heartbeat.beat - FORGET_AFTER)
        pipe.execute()


def forget(connection: redis.Redis, instance: str) -> None:
    """Remove an instance's heartbeat (a clean shutdown)."""
    with connection.pipeline(transaction=False) as pipe:
        pipe.delete(HEARTBEAT_PREFIX + instance)
        pipe.zrem(INSTANCES, instance)
        pipe.execute()


def _iso(moment: float | datetime | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.isoformat()
    return datetime.fromtimestamp(moment, UTC).isoformat()


def read(
    connection: redis.Redis, sessions: sessionmaker[Session] | None, now: float | None = None
) -> dict[str, Any]:
    """The schedulers' state as JSON-ready data: leader, instances, last write, lag of the oldest due fire."""
    now = time.time() if now is None else now
    with connection.pipeline(transaction=False) as pipe:
        pipe.get(LEASE_KEY)
        pipe.pttl(LEASE_KEY)
        pipe.zrange(INSTANCES, 0, -1, withscores=True)
        lease, lease_ms, members = pipe.execute()
    names = [name.decode() for name, _ in members]
    beats = connection.mget([HEARTBEAT_PREFIX + name for name in names]) if names else []
    lease_value = lease.decode() if lease else ""
    token, _, holder = lease_value.partition(":")
    instances = []
    leader_beat: dict[str, Any] = {}
    for (name, score), raw in zip(members, beats, strict=True):
        data = json.loads(raw) if raw else {}
        if data.get("role") == "leading" and data.get("lease") == lease_value:
            leader_beat = data
        instances.append(
            {
                "instance": name.decode(),
                "alive": raw is not None,
                "role": data.get("role", "gone"),
                "host": data.get("host"),
                "pid": data.get("pid"),
                "database": data.get("database"),
                "last_heartbeat": _iso(score),
                "heartbeat_age": round(now - score, 3),
            }
        )
    result: dict[str, Any] = {
        "leader": {
            "instance": holder or None,
            "token": int(token) if token else None,
            "lease": lease_value or None,
            "expires_in": round(lease_ms / 1000, 3) if lease_value and lease_ms > 0 else None,
            "since": _iso(leader_beat.get("leading_since")),
            "last_tick": _iso(leader_beat.get("last_tick")),
            "last_commit": _iso(leader_beat.get("last_commit")),
        },
        "instances": instances,
        "database": None,
    }
    if sessions is not None:
        result["database"] = _database(sessions, now)
    return result


def _database(sessions: sessionmaker[Session], now: float) -> dict[str, Any]:
    """The fence row (the last committed leader write) and the lag of the oldest due fire time."""
    try:
        with session_scope(sessions) as session:
            fence = session.get(SchedulerFence, "scheduler")
            oldest = session.scalar(select(func.min(Schedule.next_fire_at)).where(Schedule.enabled.is_(True)))
    except DatabaseError as exc:
        return {"error": str(exc)}
    lag = max(0.0, now - oldest.timestamp()) if oldest is not None else 0.0
    return {
        "fence_token": fence.token if fence else None,
        "last_write_by": (fence.holder or None) if fence else None,
        "last_write_at": _iso(fence.written_at) if fence else None,
        "oldest_due": _iso(oldest) if oldest is not None and lag else None,
        "lag": round(lag, 3),
    }
