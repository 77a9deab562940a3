"""The `queuetui` command: the console by default, one module a noun for the rest.

Each command is imported only when it runs (or when --help lists it), so `queuetui stats` loads
neither Textual nor SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path

import click

from queuetui.cli.options import config_option, context_option, name_option, url_option, write_option

COMMANDS = {
    "console": "queuetui.cli.console:console",
    "demo": "queuetui.cli.console:demo",
    "stats": "queuetui.cli.overview:stats",
    "jobs": "queuetui.cli.jobs:jobs",
    "queues": "queuetui.cli.queues:queues",
    "workers": "queuetui.cli.workers:workers",
    "batches": "queuetui.cli.batches:batches",
    "tenants": "queuetui.cli.tenants:tenants",
    "schedules": "queuetui.cli.schedules:schedules",
    "cron": "queuetui.cli.cron:cron",
    "audit": "queuetui.cli.audit:audit",
    "alerts": "queuetui.cli.alerts:alerts",
    "worker": "queuetui.cli.daemons:worker",
    "scheduler": "queuetui.cli.daemons:scheduler",
    "monitor": "queuetui.cli.daemons:monitor",
    "exporter": "queuetui.cli.daemons:exporter",
    "db": "queuetui.cli.db:db",
    "contexts": "queuetui.cli.contexts:contexts",
    "serve": "queuetui.cli.serve:serve",
}
"""Every command by name: the module and the click command in it."""


class LazyGroup(click.Group):
    """A group whose commands are imported from COMMANDS when they are first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        import importlib

        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@url_option
@context_option
@write_option
@name_option
@config_option
@click.option("--refresh", type=float, default=None, help="Seconds between live refreshes (default 1).")
@click.option(
    "--read-only", is_flag=True, default=False,
    help="Refuse every change (retry, cancel, schedule edits...). Env: QUEUETUI_READ_ONLY=1.",
)  # fmt: skip
@click.version_option(package_name="queuetui")
@click.pass_context
def main(
    ctx: click.Context,
    redis_url: str | None,
    context: str | None,
    write: bool,
    name: str | None,
    config_path: Path | None,
    refresh: float | None,
    read_only: bool,
) -> None:
    """queuetui: an operations console for RQ. With no command, opens the console."""
    ctx.obj = {
        "redis_url": redis_url,
        "name": name,
        "path": config_path,
        "refresh": refresh,
        "read_only": read_only,
        "context": context,
        "write": write,
    }
    if ctx.invoked_subcommand is None:
        from queuetui.cli.console import console

        ctx.invoke(console, refresh=refresh)
