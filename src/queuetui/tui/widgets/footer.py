"""The footer of every screen: the keys that fit on one line, in the order an operator uses them, then
`? more` (every key of the screen).

Textual's footer lists every shown key and lets the line run off the right edge, so on a narrow
terminal, and even at 120 columns on the busier views, keys were cut off mid-word (`esc` and `q`
never showed). Here a key shows whole or not at all: the screen's own keys first in the order it
declares them (the view's work: mark, act, filter...), then `esc` back, `:` command, the live keys, `q`
and `P` (suspend every worker); a key that does not fit leaves its place to a shorter one after it;
`? more` always ends the line. The command palette's ^p is left out: `:` is queuetui's command line,
and ^p still works.

The line is one widget drawing one Text: Textual's footer mounts a widget per key (a dozen a screen,
each styled, laid out and drawn), which was half the cost of building a new view. A key still runs
when clicked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

HELP = "question_mark"
LAST = ("escape", "colon", "r", "p", "q", "P")
"""The keys every screen shares, after its own, in this order."""
MARGIN = 1
"""The cells between two keys."""


@dataclass(frozen=True)
class FooterKey:
    key: str
    """The binding's key, as a Key event names it (simulated on a click)."""
    display: str
    description: str
    enabled: bool


def key_width(key: FooterKey) -> int:
    """Cells a footer key takes: its key, a space, its description, the margin after it."""
    return len(key.display) + (1 + len(key.description) if key.description else 0) + MARGIN


def fitting(keys: list[FooterKey], width: int) -> list[FooterKey]:
    """The keys shown in `width` cells: the screen's own first, then the shared ones in LAST's order,
    each whole or not at all (a shorter key further on may take the room of one that did not fit),
    then `? more`."""
    more = next((k for k in keys if k.key == HELP), None)
    shared = sorted((k for k in keys if k.key in LAST), key=lambda k: LAST.index(k.key))
    own = [k for k in keys if k.key != HELP and k.key not in LAST]
    room = width - (key_width(more) if more is not None else 0)
    shown = []
    for key in [*own, *shared]:
        if key_width(key) <= room:
            room -= key_width(key)
            shown.append(key)
    if more is not None:
        shown.append(FooterKey(more.key, more.display, "more", more.enabled))
    return shown


class KeysFooter(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keys-footer--key", "keys-footer--description"}
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.keys: tuple[FooterKey, ...] = ()
        """Every key the screen shows in a footer, in its order."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.keys = self._read(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _read(self, screen: Screen[Any]) -> tuple[FooterKey, ...]:
        keys: dict[str, FooterKey] = {}
        for _, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show and binding.action not in keys:  # one key per action, as Textual's footer
                keys[binding.action] = FooterKey(
                    binding.key, self.app.get_key_display(binding), binding.description, enabled
                )
        return tuple(keys.values())

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Redraw the line only when the keys change (a focus move usually changes none)."""
        if self.is_attached and screen is self.screen:
            keys = self._read(screen)
            if keys != self.keys:
                self.keys = keys
                self.refresh()

    @property
    def shown(self) -> list[FooterKey]:
        """The keys on the line now, `? more` last."""
        return fitting(list(self.keys), self.size.width)

    def _spans(self) -> Iterator[tuple[int, int, FooterKey]]:
        x = 0
        for key in self.shown:
            yield x, x + key_width(key) - MARGIN, key
            x += key_width(key)

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")
        line = Text(no_wrap=True, end="")
        for key in self.shown:
            item = Text.assemble((key.display, key_style))
            if key.description:
                item.append(" " + key.description, description_style)
            if not key.enabled:
                item.stylize("dim")
            line.append_text(item)
            line.append(" " * MARGIN)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans():
            if start <= event.x < end:
                if key.enabled:
                    self.app.simulate_key(key.key)
                else:
                    self.app.bell()
                return
