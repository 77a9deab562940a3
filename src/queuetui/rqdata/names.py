"""Is a name the operator typed a real queue or job? One or two round trips, reads only."""

from __future__ import annotations

import difflib

import redis

from queuetui.rqdata import keys
from queuetui.rqdata.fields import text


def queue_names(connection: redis.Redis) -> list[str]:
    """Every queue RQ knows (the members of rq:queues), sorted; one SMEMBERS."""
    members = connection.smembers(keys.QUEUES_SET)
    return sorted(text(m).removeprefix(keys.QUEUE_PREFIX) for m in members)


def unknown_queue(connection: redis.Redis, name: str) -> str:
    """'' when `name` is a queue; else one line saying it is not, with the nearest names."""
    names = queue_names(connection)
    if name in names:
        return ""
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else f" (queues: {', '.join(names[:8]) or 'none'})"
    return f"no queue named {name!r} in this Redis{hint}"


def job_stored(connection: redis.Redis, job_id: str) -> bool:
    """Whether Redis holds a job hash under `job_id` (one EXISTS)."""
    return bool(connection.exists(keys.job_key(job_id)))
