"""Tenants: which customer a job runs for, carried in its meta (key [tenants] meta_key, default 'tenant').

    from queuetui.tenancy import enqueue, tenant_scope, current_tenant

    enqueue(queue, send_report, 42, tenant="acme")    # meta {"tenant": "acme"}
    with tenant_scope("acme"):
        TenantQueue("reports", connection=r).enqueue(send_report, 42)   # the same
        enqueue(queue, send_report, 43)                                  # the same

Inside a job run by `queuetui worker`, `current_tenant()` is the job's tenant ("" for none).
Enqueues outside a scope, and RQ's own Queue, are left as they are: the scope only adds meta to the
enqueues that go through this module or TenantQueue.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from rq import Queue
from rq.job import Job

from queuetui.config import DEFAULT_TENANT_KEY


@dataclass(frozen=True)
class _Scope:
    tenant: str
    meta_key: str


_scope: ContextVar[_Scope | None] = ContextVar("queuetui_tenant_scope", default=None)
_running: ContextVar[str] = ContextVar("queuetui_current_tenant", default="")


def _check(tenant: str) -> str:
    if not isinstance(tenant, str) or not tenant:
        raise ValueError(f"a tenant is a non-empty name, got {tenant!r}")
    return tenant


@contextmanager
def tenant_scope(tenant: str, meta_key: str = DEFAULT_TENANT_KEY) -> Iterator[str]:
    """Every enqueue through this module or TenantQueue inside the block is `tenant`'s."""
    token = _scope.set(_Scope(_check(tenant), meta_key))
    try:
        yield tenant
    finally:
        _scope.reset(token)


def scoped_tenant() -> str:
    """The tenant of the innermost tenant_scope ("" outside any)."""
    scope = _scope.get()
    return scope.tenant if scope else ""


def with_tenant(meta: Mapping[str, Any] | None, tenant: str | None = None, meta_key: str | None = None) -> (
    dict[str, Any] | None
):  # fmt: skip
    """`meta` with the tenant (given, else the scope's) under its key; unchanged when there is none."""
    scope = _scope.get()
    if tenant is None and scope is None:
        return dict(meta) if meta is not None else None
    name = _check(tenant) if tenant is not None else scope.tenant  # type: ignore[union-attr]
    key = meta_key or (scope.meta_key if scope else DEFAULT_TENANT_KEY)
    return {**(meta or {}), key: name}


def enqueue(
    queue: Queue, f: Any, *args: Any, tenant: str | None = None, meta_key: str | None = None, **kwargs: Any
) -> Job:
    """`queue.enqueue(f, *args, **kwargs)` with the tenant (given, else the scope's) in the job's meta."""
    kwargs["meta"] = with_tenant(kwargs.get("meta"), tenant, meta_key)
    return queue.enqueue(f, *args, **kwargs)


class TenantQueue(Queue):
    """An RQ Queue whose every job created inside a tenant_scope carries the scope's tenant."""

    def create_job(self, *args: Any, **kwargs: Any) -> Job:
        """RQ's create_job, with the scope's tenant added to the meta."""
        if _scope.get() is not None and not _has_tenant(kwargs.get("meta")):
            kwargs["meta"] = with_tenant(kwargs.get("meta"))
        return super().create_job(*args, **kwargs)


def _has_tenant(meta: Mapping[str, Any] | None) -> bool:
    scope = _scope.get()
    return bool(meta and scope and scope.meta_key in meta)


def tenant_of(meta: Mapping[str, Any] | None, meta_key: str = DEFAULT_TENANT_KEY) -> str:
    """The tenant recorded in a job's meta ("" when none or not a string)."""
    value = (meta or {}).get(meta_key)
    return value if isinstance(value, str) else ""


def current_tenant() -> str:
    """The tenant of the job `queuetui worker` is running in this process ("" for none)."""
    return _running.get()


@contextmanager
def running_for(tenant: str) -> Iterator[None]:
    """Make `tenant` the current_tenant() for the block (the worker wraps each job's run in it)."""
    token = _running.set(tenant)
    try:
        yield
    finally:
        _running.reset(token)
