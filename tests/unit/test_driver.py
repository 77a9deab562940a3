"""The compacting driver shows exactly what Textual's own bytes show: the same characters in the same
colours and attributes, the terminal left in the same state after every write, in fewer bytes."""

from __future__ import annotations

import random

import pyte

from queuetui.tui.driver import SgrCompactor, parse

ROW = (
    "\x1b[6;1H\x1b[38;5;24;48;5;235m│\x1b[0m\x1b[38;5;253;48;5;234m default   \x1b[0m"
    "\x1b[38;5;253;48;5;234m \x1b[0m\x1b[38;5;246;48;5;234m      0\x1b[0m\x1b[38;5;253;48;5;234m \x1b[0m"
    "\x1b[38;5;253;48;5;234m \x1b[0m\x1b[1;38;5;197;48;5;234m     5\x1b[0m\x1b[38;5;253;48;5;234m \x1b[0m\r\n"
)
"""A row of the overview's queue table as Textual writes it."""


def shown(chunks: list[str], columns: int = 40, lines: int = 8) -> list[object]:
    """What a terminal shows after each chunk: every cell's character and look, and the pen's look."""
    screen = pyte.Screen(columns, lines)
    stream = pyte.Stream(screen)
    states: list[object] = []
    for chunk in chunks:
        stream.feed(chunk)
        cells = [tuple(screen.buffer[y][x]) for y in range(lines) for x in range(columns)]
        states.append((cells, tuple(screen.cursor.attrs)))
    return states


def compacted(chunks: list[str]) -> list[str]:
    compactor = SgrCompactor()
    return [compactor.feed(chunk) for chunk in chunks]


def test_a_table_row_shows_the_same_in_fewer_bytes() -> None:
    out = compacted([ROW])
    assert shown(out, 120, 10) == shown([ROW], 120, 10)
    assert len(out[0]) < 0.75 * len(ROW)
    assert out[0].count("\x1b[38;5;253;48;5;234m") == 2  # once for the first cell, once after the bold 5


def test_codes_it_does_not_know_are_sent_as_they_are() -> None:
    assert parse("38;5;12;48;2;1;2;3") == (frozenset(), ("5", "12"), ("2", "1", "2", "3"))
    assert parse("22") is None and parse("38;5") is None
    chunk = "\x1b[0m\x1b[22mA\x1b[0m\x1b[22mB"
    assert compacted([chunk]) == [chunk]


PIECES = [
    "\x1b[0m",
    "\x1b[m",
    "\x1b[1m",
    "\x1b[4m",
    "\x1b[22m",
    "\x1b[39m",
    "\x1b[7;31m",
    "\x1b[38;5;253;48;5;234m",
    "\x1b[38;5;246;48;5;234m",
    "\x1b[1;38;5;197;48;5;234m",
    "\x1b[38;2;10;20;30m",
    "\x1b[48;5;17m",
    "\x1b[44m",
    "\x1b[3;1H",
    "\x1b[1;5H",
    "\x1b[K",
    "\x1b[2J",
    "\r\n",
    "ab",
    " ",
    "│x",
    "\x1b7",
    "\x1b8",
]


def test_random_streams_show_the_same_after_every_write() -> None:
    rng = random.Random(20261207)
    for _ in range(300):
        chunks = ["".join(rng.choices(PIECES, k=rng.randint(1, 30))) for _ in range(rng.randint(1, 6))]
        assert shown(compacted(chunks)) == shown(chunks), chunks
