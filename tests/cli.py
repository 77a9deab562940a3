"""The queuetui command run in this process (click's CliRunner), answering like a finished process.

Tests call it where what a command prints and returns is the point; the few that prove process
behaviour (signals, daemons, exit on parent death, pools) start `python -m queuetui` instead. An
exception the command does not turn into a one-line error is raised here, as the bug it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from click.testing import CliRunner

from queuetui.cli import main


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


def queuetui(
    *args: str, url: str | None = None, env: dict[str, str] | None = None, stdin: str = ""
) -> Completed:
    """Run `queuetui ARGS` (aimed at Redis `url` when given) and return its exit status and output."""
    environment = dict(env if env is not None else os.environ)
    if url:
        environment["QUEUETUI_REDIS_URL"] = url
    result = CliRunner().invoke(main, list(args), env=environment, input=stdin or None)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Completed(result.exit_code, result.stdout, result.stderr)
