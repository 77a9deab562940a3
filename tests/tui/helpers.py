"""Helpers for driving the console in pilot tests."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
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
