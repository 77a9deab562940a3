"""Views kept mounted between visits, so that going back to one draws it at once.

Building a view (its widgets composed, styled, laid out, its first read applied) took 60-150 ms of
the console's loop on this project's machine, on every visit: the keys an operator uses all day (`w`,
`s`, `enter` into a queue's Failed view, `esc`) each paid it, and so did the view that was left, torn
down. A kept view is only hidden when the operator leaves it: it keeps its cursor, sort and scroll,
draws nothing and reads nothing while hidden (LiveScreen), and reads again as soon as it shows if a
refresh came due meanwhile. Marks are cleared on the way back in: a mark left behind must not ride
into a later bulk action unseen.

The singleton views are also built before their first visit, one at a time while the keyboard is
quiet (QueueTUI.prepare_views), so that even the first `w` or `s` of a session draws at once.

At most LIMIT views are kept, the least recently shown going first (never one on the stack, nor one
whose bulk action is still running); a context switch or a new tenant scope drops them all, as they
read through the old connection or filter.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from textual.app import App
from textual.screen import Screen

LIMIT = 16
"""Views kept: the six singleton views, the new-schedule form and nine job views."""

SETTLE = 4
"""At most so many layouts of a view built ahead before its first show."""

S = TypeVar("S", bound=Screen[Any])


class KeptViews:
    def __init__(self, app: App[Any], limit: int = LIMIT) -> None:
        self.app = app
        self.limit = limit
        self._views: OrderedDict[Hashable, Screen[Any]] = OrderedDict()
        self._leaving: set[Screen[Any]] = set()
        """Views no longer kept that were on the stack when they were let go."""
        self._unshown: dict[Screen[Any], int] = {}
        """Views built ahead (`prepare`) and not shown yet, in the order they were built: how many
        times each was laid out hidden (`settle`)."""

    def __contains__(self, key: Hashable) -> bool:
        return key in self._views

    def __len__(self) -> int:
        return len(self._views)

    def show(
        self,
        key: Hashable,
        make: Callable[[], S],
        again: Callable[[S], object] | None = None,
        callback: Callable[[Any], object] | None = None,
    ) -> S:
        """Show the view kept under `key` (then `again(view)`: what this opening asks of it), or a new
        one from `make()`, kept from now on; `callback` gets what it is dismissed with. A view already
        on the stack (opened again from a view above it) is not taken from under it: a new one shows,
        not kept."""
        app = self.app
        view = self._views.get(key)
        if view is not None and view in app.screen_stack:
            fresh = make()
            app.push_screen(fresh, callback)
            return fresh
        built = view is None
        if view is None:
            view = make()
            app.install_screen(view, f"kept-{id(view)}")
            self._views[key] = view
        else:
            self._views.move_to_end(key)
            self._unshown.pop(view, 0)
            drop_marks = getattr(view, "drop_marks", None)
            if drop_marks is not None:
                drop_marks()
        app.push_screen(view, callback)
        if not built and again is not None:
            again(view)  # type: ignore[arg-type]
        self._trim()
        return view  # type: ignore[return-value]

    def prepare(self, key: Hashable, make: Callable[[], Screen[Any]]) -> None:
        """Build the view kept under `key` now, hidden, unless one is kept: shown later, it draws at
        once. Textual composes and mounts an installed screen off the stack as push_screen does
        first (textual is pinned: these are its own steps). It reads once as it mounts; it is the
        first to go while it has never been shown."""
        if key in self._views:
            return
        app = self.app
        view = make()
        app.install_screen(view, f"kept-{id(view)}")
        app._load_screen_css(view)
        app._get_screen(view)
        self._views[key] = view
        self._views.move_to_end(key, last=False)
        self._unshown[view] = 0
        self._trim()

    def unsettled(self) -> Screen[Any] | None:
        """The first view built ahead that its first show would still lay out, if any."""
        size = self.app.size
        for view, times in self._unshown.items():
            if times < SETTLE and (view._size != size or view._layout_widgets or not _mounted(view)):
                return view
        return None

    def settle(self, view: Screen[Any]) -> None:
        """Lay out and draw `view` (built ahead, never shown) hidden, at the console's size. Its first
        show otherwise places and draws each of its widgets for the first time (the schedule form's 95
        shown widgets: 70-90 ms); then it draws from what they drew here. The widgets take their sizes
        as this lays them out and some ask for another layout: settled again (`unsettled`) until none
        asks. Textual's own steps for a screen's first show (textual is pinned)."""
        if not _mounted(view):
            return  # still mounting: laid out on a later call
        self._unshown[view] += 1
        view._refresh_layout(self.app.size)
        view._compositor.render_update(full=True)

    def _trim(self) -> None:
        stack = self.app.screen_stack
        for key, view in list(self._views.items()):
            if len(self._views) <= self.limit:
                return
            if view not in stack and not getattr(view, "bulk_busy", False):
                self._drop(key)

    def forget(self) -> None:
        """Keep none of the views: those on the stack go when they are left (QueueTUI.pop_screen calls
        `left`), the others now."""
        stack = self.app.screen_stack
        for key in list(self._views):
            view = self._views[key]
            if view in stack:
                del self._views[key]
                self._leaving.add(view)
            else:
                self._drop(key)

    def left(self, view: Screen[Any]) -> None:
        """`view` has just left the stack: one no longer kept is uninstalled, so Textual removes it."""
        if view in self._leaving:
            self._leaving.discard(view)
            self.app.uninstall_screen(view)

    def _drop(self, key: Hashable) -> None:
        view = self._views.pop(key)
        self._unshown.pop(view, 0)
        self.app.uninstall_screen(view)
        view.remove()


def _mounted(view: Screen[Any]) -> bool:
    """Whether every widget of `view` has mounted (a view built ahead mounts over several turns of the
    loop): one laid out before would be drawn half-built."""
    return view.is_mounted and all(widget.is_mounted for widget in view.walk_children())
