"""queuetui spells RQ's key names itself (reading Redis must not import RQ): they must stay RQ's."""

from __future__ import annotations

import redis
from rq.defaults import DEFAULT_WORKER_TTL, RQ_KEY_PREFIX
from rq.executions import WORKER_EXECUTIONS_KEY_TEMPLATE, ExecutionRegistry
from rq.group import Group
from rq.job import Job
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

from queuetui.rqdata import keys, liveness


def test_key_names_are_rqs_own() -> None:
    assert keys.RQ_KEY_PREFIX == RQ_KEY_PREFIX
    assert Queue.redis_queues_keys == keys.QUEUES_SET
    assert Queue.redis_queue_namespace_prefix == keys.QUEUE_PREFIX
    assert Worker.redis_workers_keys == keys.WORKERS_SET
    assert Worker.redis_worker_namespace_prefix == keys.WORKER_PREFIX
    assert RateLimitRegistry.rl_keys_key == keys.RATE_LIMIT_KEYS_SET
    assert ExecutionRegistry.key_template.format("") == keys.EXECUTIONS_PREFIX
    assert keys.worker_executions_key("w1") == WORKER_EXECUTIONS_KEY_TEMPLATE.format("w1")
    assert (keys.GROUPS_SET, keys.GROUP_PREFIX) == (Group.REDIS_GROUP_KEY, Group.REDIS_GROUP_NAME_PREFIX)
    assert liveness.DEFAULT_WORKER_TTL == DEFAULT_WORKER_TTL
    registries = {
        "started": StartedJobRegistry,
        "failed": FailedJobRegistry,
        "scheduled": ScheduledJobRegistry,
        "deferred": DeferredJobRegistry,
        "finished": FinishedJobRegistry,
        "canceled": CanceledJobRegistry,
        "ready": ReadyJobRegistry,
    }
    assert {name: cls.key_template for name, cls in registries.items()} == keys.REGISTRY_TEMPLATES


def test_job_and_rate_limit_key_names_are_rqs_own() -> None:
    job = Job(id="j1", connection=redis.Redis())  # key names only: it never connects
    assert keys.job_key("j1") == job.key
    assert keys.dependents_key("j1") == job.dependents_key
    assert keys.dependencies_key("j1") == job.dependencies_key
    limit = RateLimitRegistry.__new__(RateLimitRegistry)
    limit.key = "emails"
    assert keys.rate_limit_keys("emails") == (limit.config_key, limit.allowed_key, limit.rate_limited_key)
