"""Running the console headless in its own process for a benchmark, and reading its memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_console_script(script: str, url: str, seconds: int, grace: int = 120) -> dict[str, Any]:
    """Run bench/<script> against `url` for `seconds`; return the JSON report it prints last."""
    path = Path(__file__).parent / script
    out = subprocess.run(
        [sys.executable, str(path), url, str(seconds)],
        capture_output=True,
        text=True,
        timeout=seconds + grace,
    )
    if out.returncode != 0:
        raise SystemExit(f"{script} failed: {out.stderr.strip().splitlines()[-3:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
