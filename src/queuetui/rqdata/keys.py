"""RQ's Redis key names, taken from RQ itself so a custom RQ_KEY_PREFIX is honoured."""

from __future__ import annotations

from rq.defaults import RQ_KEY_PREFIX
from rq.executions import WORKER_EXECUTIONS_KEY_TEMPLATE, ExecutionRegistry
from rq.queue import Queue
from rq.rate_limit import RateLimitRegistry
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ReadyJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.worker import Worker

from queuetui.rqdata.fields import text

QUEUES_SET = Queue.redis_queues_keys
QUEUE_PREFIX = Queue.redis_queue_namespace_prefix
WORKERS_SET = Worker.redis_workers_keys
WORKER_PREFIX = Worker.redis_worker_namespace_prefix
RATE_LIMIT_KEYS_SET = RateLimitRegistry.rl_keys_key
JOB_PREFIX = f"{RQ_KEY_PREFIX}:job:"
EXECUTIONS_PREFIX = ExecutionRegistry.key_template.format("")
"""A job's executions (sorted set of execution ids): EXECUTIONS_PREFIX + job id."""
EXECUTION_PREFIX = f"{RQ_KEY_PREFIX}:execution:"
"""One execution's hash: EXECUTION_PREFIX + 'job_id:execution_id'."""

# The registries of one queue, by the names queuetui shows (RQ's words).
REGISTRY_TEMPLATES: dict[str, str] = {
    "started": StartedJobRegistry.key_template,
    "failed": FailedJobRegistry.key_template,
    "scheduled": ScheduledJobRegistry.key_template,
    "deferred": DeferredJobRegistry.key_template,
    "finished": FinishedJobRegistry.key_template,
    "canceled": CanceledJobRegistry.key_template,
    "ready": ReadyJobRegistry.key_template,
}
REGISTRIES = tuple(REGISTRY_TEMPLATES)


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
    return WORKER_EXECUTIONS_KEY_TEMPLATE.format(worker_name)


def rate_limit_keys(limit_key: str) -> tuple[str, str, str]:
    """(config hash, allowed zset, rate-limited zset) of one RQ rate limit."""
    registry = RateLimitRegistry.__new__(RateLimitRegistry)  # key names only: no scripts registered
    registry.key = limit_key
    return registry.config_key, registry.allowed_key, registry.rate_limited_key


def names(members: set[bytes], prefix: str) -> list[str]:
    """Names from a set of keys ('rq:queue:emails' -> 'emails'), skipping members without the prefix."""
    return [m[len(prefix) :] for m in map(text, members) if m.startswith(prefix)]
