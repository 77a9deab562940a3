"""Helpers for driving the console in pilot tests."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot


async def until(
    pilot: Pilot[None], predicate: Callable[[], object], timeout: float = 10.0, what: str = ""
) -> None:
    """Let the app run until predicate() is truthy; fail the test if it never is."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


def screen_text(app: App[None]) -> str:
    """The screen as the terminal shows it, as plain text lines."""
    console = Console(
        width=app.size.width, height=app.size.height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()
