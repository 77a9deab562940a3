"""The footer of every screen: the keys that fit on one line, in the order an operator uses them, then
`? more` (every key of the screen).

Textual's footer lists every shown key and lets the line run off the right edge, so on a narrow
terminal, and even at 120 columns on the busier views, keys were cut off mid-word (`esc` and `q`
never showed). Here a key shows whole or not at all: the screen's own keys first in the order it
declares them (the view's work: mark, act, filter...), then `esc` back, `:` command, the live keys, `q`
and `P` (suspend every worker); a key that does not fit leaves its place to a shorter one after it;
`? more` always ends the line. The command palette's ^p is left out: `:` is queuetui's command line,
and ^p still works.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP = "question_mark"
LAST = ("escape", "colon", "r", "p", "q", "P")
"""The keys every screen shares, after its own, in this order."""
MARGIN = 1
"""A compact footer key's right margin."""


def key_width(key: FooterKey) -> int:
    """Cells a compact footer key takes: its key, a space, its description, its margin."""
    return len(key.key_display) + (1 + len(key.description) if key.description else 0) + MARGIN


class KeysFooter(Footer):
    def __init__(self) -> None:
        super().__init__(show_command_palette=False, compact=True)
        self._composed_for: tuple[Any, ...] | None = None
        self._width = 0

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Compose the keys again only when they change. Textual's footer does it on every focus move
        and screen switch: a dozen widgets mounted and styled, the line redrawn, each time."""
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            keys = tuple(
                (binding.key, binding.description, enabled, tooltip)
                for _, binding, enabled, tooltip in screen.active_bindings.values()
                if binding.show
            )
            if keys == self._composed_for:
                return
            self._composed_for = keys
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        keys = [w for w in super().compose() if isinstance(w, FooterKey)]
        for key in keys:
            # Bound to the footer's `compact`, each key's watcher adds this class once mounted, and
            # styles the key again (about 3 ms a key, a dozen keys a screen): added here, it is
            # already there.
            key.add_class("-compact", update=False)
        more = next((k for k in keys if k.key == HELP), None)
        shared = sorted((k for k in keys if k.key in LAST), key=lambda k: LAST.index(k.key))
        own = [k for k in keys if k.key != HELP and k.key not in LAST]
        room = (self._width or self.app.size.width) - (key_width(more) if more is not None else 0)
        for key in [*own, *shared]:
            if key_width(key) > room:
                continue  # a shorter key further on may still fit
            room -= key_width(key)
            yield key
        if more is not None:
            more.description = "more"
            yield more

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._width:
            self._width = event.size.width
            self.call_after_refresh(self.recompose)
