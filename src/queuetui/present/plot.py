"""Plots in terminal cells: a series cut into columns of time, drawn as block characters.

Pure functions, shared by the console's Metrics view and the overview's sparkline column.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

BLOCKS = " ▁▂▃▄▅▆▇█"
"""Eighths of a cell, empty to full."""
GAP = "·"
"""A column with no sample in it (the sampler was not running): not the same as zero."""

Aggregate = Callable[[list[float]], float]


def columns(
    points: Sequence[tuple[float, float]],
    since: float,
    until: float,
    width: int,
    how: Aggregate = sum,
) -> list[float | None]:
    """Cut (time, value) points in [since, until] into `width` equal columns of time, each `how` of its
    values (sum, max...); None for a column without a point."""
    if width <= 0:
        return []
    span = max(until - since, 1e-9)
    cells: list[list[float]] = [[] for _ in range(width)]
    for at, value in points:
        if since <= at <= until:
            cells[min(width - 1, int((at - since) / span * width))].append(value)
    return [how(values) if values else None for values in cells]


def bars(values: Sequence[float | None], height: int = 1, top: float | None = None) -> list[str]:
    """`height` lines of block characters, one character a value, scaled so `top` (default the largest
    value) fills every line; 0 draws nothing, any value above 0 at least the lowest eighth, a None a
    GAP on the bottom line. Lines top first."""
    if height <= 0:
        return []
    known = [v for v in values if v is not None and math.isfinite(v)]
    peak = top if top is not None else max(known, default=0.0)
    levels = height * 8
    heights: list[int | None] = []
    for value in values:
        if value is None or not math.isfinite(value):
            heights.append(None)
        elif value <= 0 or peak <= 0:
            heights.append(0)
        else:
            heights.append(max(1, min(levels, round(value / peak * levels))))
    lines = []
    for row in range(height - 1, -1, -1):
        floor = row * 8
        cells = []
        for level in heights:
            if level is None:
                cells.append(GAP if row == 0 else " ")
            else:
                cells.append(BLOCKS[max(0, min(8, level - floor))])
        lines.append("".join(cells))
    return lines


def sparkline(values: Sequence[float | None], top: float | None = None) -> str:
    """One line of `bars`."""
    return bars(values, 1, top)[0]
