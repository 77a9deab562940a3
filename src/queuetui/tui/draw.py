"""Draw only what changed (over SSH every byte counts): a Static's content and a widget's border title
are set only when they differ from what is shown.

Setting either always repaints: `Static.update` lays the screen out again, which redraws every line
of the terminal, and a border title repaints its whole widget, even for the same text.
"""

from __future__ import annotations

from typing import Any

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
    if getattr(widget, _TITLE, None) != title:
        setattr(widget, _TITLE, title)
        widget.border_title = title
