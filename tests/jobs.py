"""Deterministic job functions for tests; workers import them as tests.jobs.*"""

from __future__ import annotations

import time

import redis
from rq import get_current_job


def add(a: int, b: int) -> int:
    return a + b


def boom(message: str = "boom") -> None:
    raise ValueError(message)


def record(tag: str) -> str:
    """Append tag to the list 'test:order' on the job's own Redis, to check execution order."""
    job = get_current_job()
    assert job is not None
    job.connection.rpush("test:order", tag)
    return tag


def hold(key: str, timeout: float = 30.0) -> str:
    """Run until `key` exists in Redis (or timeout): keeps a job in the started registry."""
    job = get_current_job()
    assert job is not None
    connection: redis.Redis = job.connection
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not connection.exists(key):
        time.sleep(0.05)
    return "released"


def needs(key: str) -> str:
    """Fail until `key` exists in Redis: a job whose cause of failure an operator can fix, then retry."""
    job = get_current_job()
    assert job is not None
    if not job.connection.exists(key):
        raise RuntimeError(f"{key} is missing")
    return f"{key} found"
