"""`queuetui workers`: suspend and resume every worker; stop a worker's job, shut it down, kill its
work horse. Each goes through operations.Operations: refused by role or read-only, else audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from queuetui.cli.options import action_errors, connection_options, db_url_option, services_for
from queuetui.present.text import safe

if TYPE_CHECKING:
    from queuetui.operations import Operations


@click.group()
def workers() -> None:
    """Suspend and resume every worker; stop a worker's job, shut it down, kill its work horse."""


def _worker_action(
    name: str, summary: str, act: Callable[[Operations, str], str], takes_worker: bool = True
) -> None:
    def command(connection: dict[str, Any], db_url: str | None, **kwargs: Any) -> None:
        services = services_for(connection, db_url)
        with action_errors(services.settings):
            click.echo(safe(act(services.operations, kwargs.get("worker", ""))))

    command.__doc__ = summary
    decorated = connection_options(db_url_option(command))
    if takes_worker:
        decorated = click.argument("worker")(decorated)
    workers.command(name)(decorated)


def _stop_job(ops: Operations, worker: str) -> str:
    return f"{worker}: asked to stop job {ops.stop_worker_job(worker)}"


def _shutdown(ops: Operations, worker: str) -> str:
    ops.shutdown_worker(worker)
    return f"{worker}: asked to shut down after its current job"


def _kill_horse(ops: Operations, worker: str) -> str:
    job_id = ops.kill_horse(worker)
    return f"{worker}: work horse killed" + (f" (it ran {job_id})" if job_id else "")


def _resume(ops: Operations, worker: str) -> str:
    ops.resume_workers()
    return "workers resumed: they take jobs again"


_worker_action("stop-job", "Stop the job WORKER is running (it ends as stopped).", _stop_job)
_worker_action("shutdown", "Shut WORKER down once its current job ends (admin).", _shutdown)
_worker_action("kill-horse", "Kill WORKER's work horse, failing its job (admin).", _kill_horse)
_worker_action("resume", "Let every worker take jobs again.", _resume, takes_worker=False)


@workers.command("suspend")
@connection_options
@db_url_option
@click.option("--for", "ttl", type=click.IntRange(1), default=None, metavar="SECONDS",
              help="Resume on its own after this many seconds.")  # fmt: skip
def workers_suspend(connection: dict[str, Any], db_url: str | None, ttl: int | None) -> None:
    """Suspend every worker on this Redis: they finish their jobs and take no new ones."""
    services = services_for(connection, db_url)
    with action_errors(services.settings):
        services.operations.suspend_workers(ttl)
    until = f" for {ttl}s" if ttl else " until `queuetui workers resume`"
    click.echo(f"workers suspended{until} (RQ's suspension is global: every queue, every host)")
