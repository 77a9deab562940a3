"""Typed messages that thread workers post back to the main thread."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from queuetui.rqdata.overview import Overview


@dataclass
class OverviewFetched(Message):
    """A fresh overview snapshot arrived."""

    overview: Overview


@dataclass
class FetchFailed(Message):
    """A fetch failed for an expected reason (Redis unreachable, refused, timed out)."""

    error: str
