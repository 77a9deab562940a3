"""The one-line text field of every prompt, dialog and form: Textual's Input, its editing keys in the
order they were typed.

Textual runs a widget's key bindings (ctrl+u, backspace, home...) once the key has bubbled up to the
app, while it inserts a printable key at once: when keys arrive together (a fast typist, a busy loop,
a slow link), ctrl+u then "10" inserted "10" and then cleared the field. A Field runs its own bindings
as it receives each key, so the field ends as typed.

Input also sets its virtual size from the text's width on every change, and that reactive lays the
whole screen out (a form of ~100 widgets: most of a keystroke's cost). A field's own size never
follows its text, so here the virtual size only repaints the field.
"""

from __future__ import annotations

from textual.events import Key
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class Field(Input):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    async def _on_key(self, event: Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if binding.priority:
                continue  # the app runs priority bindings before the key reaches any widget
            event.stop()
            event.prevent_default()
            await self.run_action(binding.action)
            return
        await super()._on_key(event)
