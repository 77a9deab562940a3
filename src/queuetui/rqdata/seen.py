"""What the queues hold, for completion in the schedule form: queue names and the functions jobs call.

Bounded whatever the queue sizes: the newest NEWEST ids of each queue's waiting, finished and failed
jobs (at most MAX_IDS in all), read in three round trips plus one per chunk of rows. Payloads are
decoded as data (the restricted unpickler); nothing is written, nothing is imported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import redis

from queuetui.rqdata import keys
from queuetui.rqdata.payload import decode_call
from queuetui.rqdata.priority import priority_order
from queuetui.rqdata.rows import job_id_of, read_raw

NEWEST = 200
MAX_IDS = 3000
CHUNK = 500


@dataclass(frozen=True)
class Seen:
    queues: tuple[str, ...]
    """Every queue RQ knows, in priority order."""
    functions: tuple[str, ...]
    """Functions of the newest jobs, the most frequent first."""


def seen(connection: redis.Redis, newest: int = NEWEST) -> Seen:
    """The queues and the functions their newest jobs call (`newest` >= 1 of each kind per queue)."""
    newest = max(1, newest)
    members: set[bytes] = connection.smembers(keys.QUEUES_SET)  # type: ignore[assignment]
    queues = priority_order(keys.names(members, keys.QUEUE_PREFIX))
    pipe = connection.pipeline(transaction=False)
    for queue in queues:
        pipe.lrange(keys.queue_key(queue), -newest, -1)
        pipe.zrevrange(keys.registry_key(queue, "finished"), 0, newest - 1)
        pipe.zrevrange(keys.registry_key(queue, "failed"), 0, newest - 1)
    ids: dict[str, None] = {}  # newest first, each once
    replies = iter(pipe.execute() if queues else [])
    for waiting, finished, failed in zip(replies, replies, replies, strict=True):
        for members in (waiting[::-1], finished, failed):  # a queue's newest job is at its tail
            ids.update(dict.fromkeys(job_id_of(member) for member in members))
    chosen = list(ids)[:MAX_IDS]
    counts: Counter[str] = Counter()
    for start in range(0, len(chosen), CHUNK):
        for _, _, data, _ in read_raw(connection, chosen[start : start + CHUNK], ("status",), True, False):
            if data is not None and (name := decode_call(data).func_name):
                counts[name] += 1
    return Seen(tuple(queues), tuple(name for name, _ in counts.most_common()))
