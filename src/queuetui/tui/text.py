"""Data as console text, never parsed as markup: the literal text present.text makes of it, in a
`rich.text.Text` (table cells, bodies) or a `textual.content.Content` (titles, banners, dialogs).

Textual parses a plain `str` as markup in table cells, titles, Static, notify, Tree labels and option
prompts, so a queue named `mk[/]x` would crash a screen and `[@click=app.quit]` would be a live link.
Neither a Text nor a Content is parsed: styles come from our code only, the text is data as it is.
"""

from __future__ import annotations

from rich.console import JustifyMethod
from rich.style import StyleType
from rich.text import Text
from textual.content import Content

from queuetui.present.text import BLOCK_LIMIT, LINE_LIMIT, safe, safe_block

Part = str | tuple[str, str]
"""A piece of a line: text, or (text, style) with a style as Textual markup names it ('bold red')."""


def literal(
    value: object,
    style: StyleType = "",
    *,
    justify: JustifyMethod | None = None,
    no_wrap: bool | None = None,
    limit: int = LINE_LIMIT,
) -> Text:
    """One line of data, literal and safe, in `style`: a table cell."""
    return Text(safe(value, limit), style=style, justify=justify, no_wrap=no_wrap)


def literal_block(value: object, style: StyleType = "", limit: int = BLOCK_LIMIT) -> Text:
    """Several lines of data (a traceback, a value), literal and safe, in `style`."""
    return Text(safe_block(value, limit), style=style)


def line(*parts: Part) -> Content:
    """Our words and data in one line, styled as markup would style them ('[b red]'), parsed never:
    every part is made safe (present.text.safe), so a part may be data as well as our own words."""
    return Content.assemble(
        *((safe(part[0]), part[1]) if isinstance(part, tuple) else safe(part) for part in parts)
    )


SEPARATOR = Content("  ·  ")
"""Between the parts of a view's title."""
