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


def chatty(lines: int = 3, prefix: str = "line") -> int:
    """Log `lines` INFO records on logger 'app.chatty': a job whose log `queuetui worker` keeps."""
    import logging

    log = logging.getLogger("app.chatty")
    for i in range(1, lines + 1):
        log.info("%s %d", prefix, i)
    return lines


def say(*messages: str) -> None:
    """Log each message as it is, then one error with its traceback."""
    import logging

    log = logging.getLogger("app.say")
    for message in messages:
        log.warning(message)
    try:
        raise KeyError("gone")
    except KeyError:
        log.exception("lookup failed")


def hold_logging(key: str, timeout: float = 30.0) -> str:
    """Log 'waiting', run until `key` exists in Redis, then log 'released': a running job with a log."""
    import logging

    log = logging.getLogger("app.hold")
    log.info("waiting for %s", key)
    result = hold(key, timeout)
    log.info("released")
    return result


def chatty_then_boom(lines: int = 2) -> None:
    """Log `lines` lines, then fail."""
    chatty(lines)
    raise ValueError("after logging")


def whose() -> str:
    """The tenant `queuetui worker` says this job runs for, pushed onto test:tenants and returned."""
    from queuetui.tenancy import current_tenant

    job = get_current_job()
    assert job is not None
    job.connection.rpush("test:tenants", f"{job.id}={current_tenant()}")
    return current_tenant()


def nap(tag: str, seconds: float = 0.05) -> str:
    """Sleep `seconds`, then append tag to 'test:order' (a job that holds its worker a moment)."""
    time.sleep(seconds)
    return record(tag)


_COUNT_RUNNING = """
local running = redis.call('INCRBY', KEYS[1], ARGV[1])
if running > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], running) end
return running
"""


def tenant_nap(tag: str, seconds: float = 0.05) -> str:
    """nap(), counting its tenant's jobs running at once: the most in 'test:most:<tenant>'."""
    from queuetui.tenancy import current_tenant

    job = get_current_job()
    assert job is not None
    tenant = current_tenant()
    keys = [f"test:running:{tenant}", f"test:most:{tenant}"]
    job.connection.eval(_COUNT_RUNNING, 2, *keys, 1)
    try:
        return nap(tag, seconds)
    finally:
        job.connection.eval(_COUNT_RUNNING, 2, *keys, -1)


def talk(lines: int = 2) -> None:
    """Print `lines` lines, one to stderr, log one, and end with output that has no newline."""
    import logging
    import sys

    for i in range(1, lines + 1):
        print(f"out {i}")
    print("err 1", file=sys.stderr)
    logging.getLogger("app.talk").info("logged")
    sys.stdout.write("no newline")


def log_from_threads(threads: int, lines: int) -> int:
    """Log `lines` INFO records from each of `threads` threads at once; returns how many in all."""
    import logging
    import threading

    log = logging.getLogger("app.threads")
    together = threading.Barrier(threads)

    def run(n: int) -> None:
        together.wait()
        for i in range(lines):
            log.info("thread %d line %d", n, i)

    running = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return threads * lines
