"""`:audit`: the audit trail, newest first: who did what, to which jobs, how many, with what outcome.

Read from the database in a thread worker (audit.recent, what `queuetui audit` prints); `/` filters it
by action (a name or a prefix: jobs.*) and by actor.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from queuetui import fmt
from queuetui.audit import recent
from queuetui.db.engine import DatabaseError
from queuetui.db.models import AuditEntry
from queuetui.tui.messages import AuditFetched, FetchFailed
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.prompt import PromptScreen, refusal
from queuetui.tui.text import literal
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable
from queuetui.tui.widgets.status_bar import StatusBar

LIMIT = 500
COLUMNS = [
    ("When", "at", 11),
    ("Who", "who", 14),
    ("Role", "role", 8),
    ("Action", "action", 15),
    ("Done", "counts", 17),
    ("Outcome", "outcome", 14),
    ("Target [filter]", "target", 40),
]


def parse_audit_filter(text: str) -> tuple[str, str]:
    """'action:jobs.* actor:alice' -> (action, actor); a bare word is an action; ValueError otherwise."""
    action = actor = ""
    for word in text.split():
        field, _, value = word.partition(":")
        if not value:
            action = word
        elif field == "action":
            action = value
        elif field == "actor":
            actor = value
        else:
            raise ValueError(f"{word!r}: filter by action:NAME (or a prefix, jobs.*) and actor:USER")
    return action, actor


def entry_row(entry: AuditEntry) -> tuple[str, list[Cell]]:
    counts = f"{entry.done:,}/{entry.requested:,}" + (f" {entry.failed:,}✗" if entry.failed else "")
    outcome_style = "green" if entry.outcome == "ok" else ("yellow" if entry.outcome != "running" else "")
    if entry.outcome.startswith(("failed", "refused")):
        outcome_style = "red"
    target = entry.target + (f" [{entry.filter}]" if entry.filter else "")
    return str(entry.id), [  # Text, not markup: a filter like [exc:Timeout] is shown as typed
        Text(fmt.short_time(entry.at)),
        literal(f"{entry.actor}@{entry.client}"),
        literal(entry.role),
        literal(entry.action),
        Text(counts, justify="right"),
        literal(entry.outcome, outcome_style),
        literal(target),
    ]


class AuditScreen(LiveScreen):
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="audit.filter", tooltip="action:jobs.* actor:alice"),
        Binding("escape", "back", "Back", id="audit.back", tooltip="Clear the filter, or go back"),
    ]

    def __init__(self, filter_text: str = "") -> None:
        super().__init__()
        self.filter_text = filter_text
        self.entries = 0

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            yield LiveTable(id="audit", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#audit", LiveTable)
        for label, key, width in COLUMNS:
            table.add_column(Text(label), width=width, key=key)
        self._show_title()
        self.start_live()

    def _show_title(self) -> None:
        title = f"Audit ({self.entries:,}{'+' if self.entries >= LIMIT else ''}, newest first)"
        if self.filter_text:
            title += f"  filter: {self.filter_text}"
        self.query_one("#audit", LiveTable).border_title = literal(title)

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        action, actor = parse_audit_filter(self.filter_text)
        try:
            sessions = self.console.services.sessions
            entries = recent(sessions, LIMIT, action=action, actor=actor)
        except DatabaseError as exc:
            self.post_message(FetchFailed(str(exc)))
            return
        self.post_message(AuditFetched(entries))

    @on(AuditFetched)
    def _show(self, message: AuditFetched) -> None:
        self.entries = len(message.entries)
        with self.app.batch_update():
            self.query_one("#audit", LiveTable).sync([entry_row(e) for e in message.entries])
            self._show_title()
        self.fetched()

    def apply_filter(self, text: str) -> None:
        self.filter_text = text.strip()
        self._show_title()
        self.fetch()

    def action_filter(self) -> None:
        def submitted(text: str | None) -> None:
            if text is not None:
                self.apply_filter(text)

        prompt = PromptScreen(
            "filter the audit trail", self.filter_text, "action:jobs.* actor:alice (empty clears)",
            refusal(parse_audit_filter),
        )  # fmt: skip
        self.app.push_screen(prompt, submitted)

    def action_back(self) -> None:
        if self.filter_text:
            self.apply_filter("")
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()
