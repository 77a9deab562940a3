"""Deterministic batches (RQ groups) for snapshot tests: fixed names, job ids and times."""

from __future__ import annotations

import redis

from queuetui.rqdata import keys
from queuetui.rqdata.batches import GROUPS_SET, group_key
from tests.snapshots.seed import TRACEBACK, _at, _job, _result

# name: [(status, how many, created seconds before NOW)], in the order the jobs were created
BATCHES: dict[str, list[tuple[str, int, int]]] = {
    "import-2026-11-23": [
        ("finished", 8, 3000),
        ("failed", 3, 2400),
        ("started", 2, 1800),
        ("queued", 6, 1500),
        ("scheduled", 2, 1500),
        ("deferred", 1, 1500),
        ("canceled", 1, 1500),
    ],
    "nightly-reports": [("finished", 12, 36000)],
    "welcome-emails": [("queued", 180, 420)],
    "resize-thumbnails": [("finished", 10, 7200), ("failed", 5, 7100)],
    "0f8fad5bd9cb469fa16570867728950e": [("deferred", 4, 90)],
}
GONE = {"import-2026-11-23": 2, "resize-thumbnails": 35}
"""Ids whose job hashes expired: still in the group's set, as RQ leaves them until a worker cleans it."""
REGISTRY = {"failed": "failed", "started": "started", "scheduled": "scheduled", "deferred": "deferred",
            "finished": "finished", "canceled": "canceled"}  # fmt: skip


def seed_batches(conn: redis.Redis) -> None:
    """Fill Redis with the same batches every time (queue 'emails' holds their jobs)."""
    conn.flushall()
    conn.sadd(keys.QUEUES_SET, keys.queue_key("emails"))
    for b, (name, parts) in enumerate(BATCHES.items()):
        n = 0
        for status, count, created in parts:
            for _ in range(count):
                n += 1
                job_id = f"b{b}-{n:04d}"
                ended = (
                    {"ended_at": _at(created - n - 40)}
                    if status in ("finished", "failed", "canceled")
                    else {}
                )
                _job(conn, job_id, status, created=created - n, group_id=name, **ended)
                if status == "failed":
                    message = TRACEBACK.format(type="TimeoutError", message=f"timed out after {n}s")
                    _result(conn, job_id, _at(created - n - 40), "app-2.911", exc_string=message)
                if status == "queued":
                    conn.rpush(keys.queue_key("emails"), job_id)
                else:
                    conn.zadd(keys.registry_key("emails", REGISTRY[status]), {job_id: 1_900_000_000 + n})
                conn.sadd(group_key(name), job_id)
        for i in range(GONE.get(name, 0)):
            conn.sadd(group_key(name), f"b{b}-gone-{i}")
        conn.sadd(GROUPS_SET, name)
