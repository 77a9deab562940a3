"""Fewer bytes on the wire: the terminal driver drops colour codes that change nothing.

Textual writes every run of text as reset, full style, text (`ESC[0m ESC[38;5;253;48;5;234m 42`),
so a 120-column table row with ten cells carries more colour codes than text: 300 to 1,000 bytes
where 120 characters changed. Over SSH that is most of what a live screen sends. The compactor keeps
the colours the terminal holds and, where a reset is followed by a style that overrides everything
the reset would clear, sends only what differs (a colour, an attribute); where nothing differs,
nothing. The
terminal ends each write in the state Textual's own bytes would have left it in, and shows the same
characters in the same colours (tests/unit/test_driver.py compares both through a terminal
emulator).

Only SGR (colour and attribute) and cursor-position sequences are understood; before any other
escape sequence, and before text, an owed reset is sent, and after any other sequence the held state
is forgotten, so nothing else can be affected.

It also answers `esc` sooner. A terminal sends the escape key as a lone ESC byte, which also begins
every other key's sequence (arrows, F-keys, mouse reports), so the key is only known once nothing
follows it for a while: Textual waits 100 ms, and its input thread notices the wait is over only
when its next 100 ms poll ends, so every `esc` back to the overview took 100-200 ms. A key's
sequence is one write of the terminal, and over SSH one packet, so its bytes come in together; the
driver waits ESCAPE_DELAY and polls until exactly then. An operator on a link that splits
sequences sets ESCDELAY (milliseconds), which Textual reads as curses does.
"""

from __future__ import annotations

import os
import re
import selectors
from codecs import getincrementaldecoder

from textual import constants
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

ESCAPE_DELAY = 0.025
"""Seconds a lone ESC waits for the rest of a key's sequence before it is the escape key (tmux 3.5
waits 10 ms, Neovim 50 ms), unless ESCDELAY is set."""

TOKEN = re.compile(r"\x1b\[([0-9;]*)m|\x1b\[[0-9;]*[Hf]|\x1b")
"""An SGR sequence (group 1: its codes), a cursor position, or any other escape."""
ATTRIBUTES = frozenset({"1", "2", "3", "4", "5", "7", "8", "9", "53"})

Colour = tuple[str, ...]
State = tuple[frozenset[str], Colour | None, Colour | None]
"""Attributes, foreground and background set since a reset (None: the terminal's default)."""
RESET: State = (frozenset(), None, None)


def parse(codes: str) -> State | None:
    """What `codes` sets on a reset terminal; None when one of them is not understood."""
    attributes: set[str] = set()
    fg: Colour | None = None
    bg: Colour | None = None
    parts = codes.split(";")
    i = 0
    while i < len(parts):
        part = parts[i]
        if part in ("38", "48"):
            mode = parts[i + 1] if i + 1 < len(parts) else ""
            width = {"5": 3, "2": 5}.get(mode, 0)
            if not width or i + width > len(parts):
                return None
            colour = tuple(parts[i + 1 : i + width])
            fg, bg = (colour, bg) if part == "38" else (fg, colour)
            i += width
            continue
        if part in ATTRIBUTES:
            attributes.add(part)
        elif part.isdigit() and (30 <= int(part) <= 37 or 90 <= int(part) <= 97):
            fg = (part,)
        elif part.isdigit() and (40 <= int(part) <= 47 or 100 <= int(part) <= 107):
            bg = (part,)
        else:
            return None
        i += 1
    return frozenset(attributes), fg, bg


class SgrCompactor:
    """Rewrites a stream of terminal output with the colour codes that change nothing left out."""

    def __init__(self) -> None:
        self.held: State | None = None
        """What the terminal holds, when known."""
        self.owed = False
        """A reset was written by Textual and not yet sent."""

    def feed(self, data: str) -> str:
        out: list[str] = []
        position = 0
        for match in TOKEN.finditer(data):
            if match.start() > position:
                self._pay(out)
                out.append(data[position : match.start()])
            position = match.end()
            codes = match.group(1)
            if codes is None:
                if match.group(0) != "\x1b":  # a cursor position: the colours do not matter to it
                    out.append(match.group(0))
                    continue
                self._pay(out)  # anything else: sent as it is, and the held state is forgotten
                out.append(match.group(0))
                self.held = None
                continue
            if codes in ("", "0"):
                self.owed = True
                continue
            self._style(out, match.group(0), codes)
        if position < len(data):
            self._pay(out)
            out.append(data[position:])
        self._pay(out)  # a write never ends owing the terminal a reset
        return "".join(out)

    def _style(self, out: list[str], sequence: str, codes: str) -> None:
        wanted = parse(codes)
        if wanted is None:
            self._pay(out)
            out.append(sequence)
            self.held = None
            return
        if not self.owed:  # added to what is held
            out.append(sequence)
            if self.held is not None:
                attributes, fg, bg = self.held
                self.held = (attributes | wanted[0], wanted[1] or fg, wanted[2] or bg)
            return
        # A reset, then `wanted`: the same as `wanted` alone where it overrides all that is held.
        held, self.owed = self.held, False
        if (
            held is not None
            and held[0] <= wanted[0]
            and (wanted[1] or not held[1])
            and (wanted[2] or not held[2])
        ):
            change = sorted(wanted[0] - held[0])
            for colour, held_colour, extended in ((wanted[1], held[1], "38"), (wanted[2], held[2], "48")):
                if colour is not None and colour != held_colour:
                    change += colour if len(colour) == 1 else (extended, *colour)
            if change:
                out.append(f"\x1b[{';'.join(change)}m")
        else:
            out.append("\x1b[0m")
            out.append(sequence)
        self.held = wanted

    def _pay(self, out: list[str]) -> None:
        if self.owed:
            out.append("\x1b[0m")
            self.owed = False
            self.held = RESET


class CompactDriver(LinuxDriver):
    """Textual's terminal driver, writing through an SgrCompactor."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._compactor = SgrCompactor()
        if not os.environ.get("ESCDELAY"):
            constants.ESCAPE_DELAY = ESCAPE_DELAY  # type: ignore[misc]

    def write(self, data: str) -> None:
        super().write(self._compactor.feed(data))

    def run_input_thread(self) -> None:
        """Textual's input loop (LinuxDriver.run_input_thread), polling until a lone ESC's wait ends
        rather than for a fixed 100 ms."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            for n, (_key, mask) in enumerate(ready):
                if mask & selectors.EVENT_READ:
                    data = decode(os.read(self.fileno, 1024 * 4), final=final and n == len(ready) - 1)
                    if not data:
                        break  # stdin is piped
                    for event in parser.feed(data):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        def poll() -> float:
            due = parser._timeout_time  # when a lone ESC becomes the escape key
            return 0.1 if due is None else min(0.1, max(0.0, due - get_time()))

        try:
            while not self.exit_event.is_set():
                process(selector.select(poll()))
            selector.unregister(self.fileno)
            process(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
