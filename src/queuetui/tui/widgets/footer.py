"""The footer of every screen: the screen's keys, with `?` (every key) always first.

Textual's footer lists a screen's own keys before the app's, so on a narrow terminal the keys an
operator needs to find the others (`?`, `:`) were the ones cut off. The command palette's ^p is left
out: `:` is queuetui's command line, and ^p still works.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

FIRST = ("question_mark", "colon")


class KeysFooter(Footer):
    def __init__(self) -> None:
        super().__init__(show_command_palette=False, compact=True)
        self._composed_for: tuple[Any, ...] | None = None

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
        widgets = list(super().compose())
        first = [w for key in FIRST for w in widgets if getattr(w, "key", None) == key]  # its FooterKeys
        yield from first
        yield from (w for w in widgets if w not in first)
