"""RQ's Redis key names, spelled as RQ 3 spells them (tests/unit/test_keys.py holds them against RQ's own
attributes), so that reading Redis does not import RQ: `queuetui stats` starts faster than `rq info`."""

from __future__ import annotations

from queuetui.rqdata.fields import text

RQ_KEY_PREFIX = "rq"
QUEUES_SET = f"{RQ_KEY_PREFIX}:queues"
QUEUE_PREFIX = f"{RQ_KEY_PREFIX}:queue:"
WORKERS_SET = f"{RQ_KEY_PREFIX}:workers"
WORKER_PREFIX = f"{RQ_KEY_PREFIX}:worker:"
RATE_LIMIT_KEYS_SET = f"{RQ_KEY_PREFIX}:rl-keys"
JOB_PREFIX = f"{RQ_KEY_PREFIX}:job:"
EXECUTIONS_PREFIX = f"{RQ_KEY_PREFIX}:executions:"
"""A job's executions (sorted set of execution ids): EXECUTIONS_PREFIX + job id."""
EXECUTION_PREFIX = f"{RQ_KEY_PREFIX}:execution:"
"""One execution's hash: EXECUTION_PREFIX + 'job_id:execution_id'."""
WORKER_EXECUTIONS_TEMPLATE = f"{RQ_KEY_PREFIX}:worker:{{0}}:executions"
GROUPS_SET = f"{RQ_KEY_PREFIX}:groups"
GROUP_PREFIX = f"{RQ_KEY_PREFIX}:group:"

# The registries of one queue, by the names queuetui shows (RQ's words).
REGISTRY_TEMPLATES: dict[str, str] = {
    "started": f"{RQ_KEY_PREFIX}:wip:{{0}}",
    "failed": f"{RQ_KEY_PREFIX}:failed:{{0}}",
    "scheduled": f"{RQ_KEY_PREFIX}:scheduled:{{0}}",
    "deferred": f"{RQ_KEY_PREFIX}:deferred:{{0}}",
    "finished": f"{RQ_KEY_PREFIX}:finished:{{0}}",
    "canceled": f"{RQ_KEY_PREFIX}:canceled:{{0}}",
    "ready": f"{RQ_KEY_PREFIX}:ready:{{0}}",
}
REGISTRIES = tuple(REGISTRY_TEMPLATES)

# Where RQ keeps a job of each status: its queue ('waiting') or one of its registries.
STATUS_REGISTRY = {
    "queued": "waiting",
    "started": "started",
    "failed": "failed",
    "stopped": "failed",
    "finished": "finished",
    "scheduled": "scheduled",
    "deferred": "deferred",
    "canceled": "canceled",
    "ready_to_enqueue": "ready",
}


def queue_key(name: str) -> str:
    return QUEUE_PREFIX + name


def registry_key(queue: str, registry: str) -> str:
    return REGISTRY_TEMPLATES[registry].format(queue)


def job_key(job_id: str) -> str:
    return JOB_PREFIX + job_id


def dependencies_key(job_id: str) -> str:
    """RQ's own spelling of a job's dependencies set (Job.dependencies_key), with its double colon."""
    return f"{JOB_PREFIX}:{job_id}:dependencies"


def dependents_key(job_id: str) -> str:
    """The set of the jobs that wait on `job_id` (Job.dependents_key); RQ deletes it once it enqueued them."""
    return f"{JOB_PREFIX}{job_id}:dependents"


def worker_executions_key(worker_name: str) -> str:
    return WORKER_EXECUTIONS_TEMPLATE.format(worker_name)


def rate_limit_keys(limit_key: str) -> tuple[str, str, str]:
    """(config hash, allowed zset, rate-limited zset) of one RQ rate limit."""
    config = f"{RQ_KEY_PREFIX}:rl:{limit_key}"
    return config, f"{config}:allowed", f"{config}:rate_limited"


def names(members: set[bytes], prefix: str) -> list[str]:
    """Names from a set of keys ('rq:queue:emails' -> 'emails'), skipping members without the prefix."""
    return [m[len(prefix) :] for m in map(text, members) if m.startswith(prefix)]
