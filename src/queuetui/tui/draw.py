"""Draw only what changed (over SSH every byte counts): a Static's content and a widget's border title
are set only when they differ from what is shown.

Setting either always repaints: `Static.update` lays the screen out again, which redraws every line
of the terminal, and a border title repaints its whole widget, even for the same text. A new title is
drawn on its own line: the overview's Workers box, whose title counts the busy workers, repainted its
30 lines (12 KB at 120x40) each time a worker took or finished a job.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

_SHOWN = "_queuetui_shown"
_TITLE = "_queuetui_title"


def update_static(static: Static, content: Any, *, layout: bool = True) -> None:
    """`static.update(content)` unless it already shows that content. `layout=False` where the
    widget's size cannot change with its content (a fixed height and width): no layout of the screen."""
    if getattr(static, _SHOWN, None) != content:
        setattr(static, _SHOWN, content)
        static.update(content, layout=layout)


def set_border_title(widget: Widget, title: Any) -> None:
    """`widget.border_title = title` unless it already has that title."""
    if getattr(widget, _TITLE, None) == title:
        return
    setattr(widget, _TITLE, title)
    if not widget.is_mounted or not widget.size:
        widget.border_title = title
        return
    # Textual's setter repaints the whole widget; the title is on its top border line only.
    widget.refresh = lambda *regions, **how: widget  # type: ignore[method-assign]
    try:
        widget.border_title = title
    finally:
        del widget.refresh
    offset = widget.content_offset
    widget.refresh(Region(-offset.x, -offset.y, widget.outer_size.width, 1))


class LeanScreen(Screen[Any]):
    """A screen that does no needless work as it opens.

    - It is not styled again each time it shows. Each widget is styled as it mounts, and a change of
      its classes or focus styles it then; yet each time a screen shows, Textual styles every widget
      of it again, which took 50-115 ms of a view switch (the schedule form's 180 widgets, every
      visit of a kept view). Only a screen that missed a change of the stylesheet or theme while
      hidden (Textual counts them: App._css_update_count) is styled again. Textual calls the
      resume handler below before its own (subclass first).
    - Removed as it opens (the console closing on a `q` typed ahead), it neither mounts nor lays
      itself out: its widgets are already gone, and its handlers would fail to find them."""

    _shown_once = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        app = self.app
        if not self._shown_once or self._css_update_count == app._css_update_count:
            event.refresh_styles = False  # styled against the stylesheet and theme in force
        self._shown_once = True
        self._css_update_count = app._css_update_count  # as Textual's restyle would leave it

    async def _on_message(self, message: Message) -> None:
        if self._pruning and isinstance(message, (events.Mount, events.Resize)):
            return
        await super()._on_message(message)
