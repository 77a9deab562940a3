"""Draw only what changed (over SSH every byte counts): a Static's content and a widget's border title
are set only when they differ from what is shown.

Setting either always repaints: `Static.update` lays the screen out again, which redraws every line
of the terminal, and a border title repaints its whole widget, even for the same text. A new title is
drawn on its own line: the overview's Workers box, whose title counts the busy workers, repainted its
30 lines (12 KB at 120x40) each time a worker took or finished a job.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Region
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
