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


def refused(tag: str = "refused") -> None:
    """Record the run's time in 'test:runs', then fail as a refused connection does (a transient error)."""
    job = get_current_job()
    assert job is not None
    job.connection.rpush("test:runs", repr(time.time()))
    raise ConnectionRefusedError(111, f"{tag}: connection refused")


def tagged_boom() -> None:
    """Set a meta key of the job's own, save it as RQ documents, then fail like a bug."""
    job = get_current_job()
    assert job is not None
    job.meta["progress"] = "half"
    job.save_meta()
    raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")
