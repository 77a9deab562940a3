"""A job's log: what `queuetui worker` kept of its log records, followed live while the job runs.

The stored log is read once; then, while the job runs, a thread worker waits on the stream with a
blocking XREAD and posts each batch the worker flushes. Lines are appended to a RichLog (only the
new lines are rendered); nothing is redrawn while no line comes. Data is shown as literal text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import RichLog, Static
from textual.worker import get_current_worker

from queuetui.present.logs import NO_LOG, dropped_line, entry_time
from queuetui.present.text import safe
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.logs import RUNNING, LogEntry, job_status, read_after, read_log
from queuetui.tui.draw import update_static
from queuetui.tui.messages import FetchFailed, LogRead
from queuetui.tui.screens.prompt import PromptScreen
from queuetui.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI

BLOCK_MS = 500
"""How long one XREAD waits for a batch: also how soon the thread sees the screen close."""
VIEW_LIMIT = 20_000
"""Entries the screen holds while following; past it the oldest half is let go (one redraw)."""
LEVEL_STYLES = {
    "DEBUG": "dim",
    "INFO": "green",
    "WARNING": "yellow",
    "ERROR": "bold red",
    "CRITICAL": "bold white on red",
    "STDERR": "red",
}


def entry_text(entry: LogEntry) -> Text:
    """One entry as styled text: time, level, logger, message, then its exception's lines."""
    text = Text.assemble(
        (entry_time(entry), "dim"),
        " ",
        (f"{safe(entry.level):<8}", LEVEL_STYLES.get(entry.level, "")),
        " ",
        (safe(entry.logger), "cyan"),
        ": ",
        safe(entry.message),
    )
    for line in entry.exception.splitlines():
        text.append("\n    " + safe(line), style="red")
    return text


class JobLogScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="log.back"),
        Binding("slash", "search", "Search", id="log.search", tooltip="Find a text in the log"),
        Binding("n", "next_match", "Next match", id="log.next", tooltip="The next line with that text"),
        Binding("w", "toggle_wrap", "Wrap", id="log.wrap", tooltip="Wrap long lines, or scroll sideways"),
        Binding("G", "end", "End", id="log.end", tooltip="Jump to the last line (and follow from there)"),
        Binding("g", "start", "Start", id="log.start", tooltip="Jump to the first line"),
    ]

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.entries: list[LogEntry] = []
        self.line_of: list[int] = []
        """The log widget's line where each entry starts (for search)."""
        self.dropped = 0
        self.status = ""
        self.following = True
        self.exists = True
        self.wrap = False
        self.search_text = ""
        self.match = -1
        self.loaded = False

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("Log of job ", "bold"), safe(self.job_id)), id="view-title")
        yield RichLog(id="log", wrap=False, markup=False, highlight=False, auto_scroll=False)
        yield Static(Text("Reading…"), id="log-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.follow()

    @work(thread=True, exclusive=True, exit_on_error=False, group="log")
    def follow(self) -> None:
        worker = get_current_worker()
        redis = self.console.redis
        try:
            log = read_log(redis, self.job_id)
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        chunk, running = log.chunk, log.running
        self.post_message(LogRead(chunk.entries, chunk.dropped, log.status, True, log.exists, running))
        last_id, status = chunk.last_id, log.status
        while running and not worker.is_cancelled:
            try:
                chunk = read_after(redis, self.job_id, last_id, block_ms=BLOCK_MS)
                if not chunk.entries:
                    status = job_status(redis, self.job_id)
                    running = status in RUNNING
                    if not running:  # it ended: the worker flushed before saying so
                        chunk = read_after(redis, self.job_id, chunk.last_id, block_ms=None)
            except REDIS_ERRORS as exc:
                self.post_message(FetchFailed(describe_error(exc)))
                worker.cancelled_event.wait(1.0)
                continue
            last_id = chunk.last_id
            if chunk.entries or chunk.dropped is not None or not running:
                self.post_message(LogRead(chunk.entries, chunk.dropped, status, following=running))

    @on(FetchFailed)
    def failed(self, message: FetchFailed) -> None:
        update_static(
            self.query_one("#log-status", Static), Text(f"{message.error} (retrying)", style="bold red")
        )

    @on(LogRead)
    def show(self, message: LogRead) -> None:
        log = self.query_one(RichLog)
        if not getattr(log, "_size_known", True):  # RichLog defers writes until it has a size
            self.call_after_refresh(self.show, message)
            return
        self.status, self.following, self.exists = message.status, message.following, message.exists
        if message.dropped is not None:
            self.dropped = message.dropped
        at_end = log.is_vertical_scroll_end or not self.loaded
        with self.app.batch_update():
            if message.first and self.dropped:
                log.write(Text(dropped_line(self.dropped), style="dim italic"), scroll_end=False)
            self._append(message.entries)
            if len(self.entries) > VIEW_LIMIT:
                self.entries = self.entries[VIEW_LIMIT // 2 :]
                self._rewrite()
            if at_end and message.entries:
                log.scroll_end(animate=False, immediate=True)
            self.loaded = True
            self._show_status()

    def _append(self, entries: list[LogEntry]) -> None:
        log = self.query_one(RichLog)
        for entry in entries:
            self.line_of.append(len(log.lines))
            log.write(entry_text(entry), scroll_end=False)
        self.entries.extend(entries)

    def _rewrite(self) -> None:
        """Render every entry again (wrap toggled, or the oldest let go)."""
        log = self.query_one(RichLog)
        log.clear()
        log.wrap = self.wrap
        entries, self.entries, self.line_of = self.entries, [], []
        if self.dropped:
            log.write(Text(dropped_line(self.dropped), style="dim italic"), scroll_end=False)
        self._append(entries)

    def _show_status(self) -> None:
        if not self.exists and not self.entries:
            text = Text(f"{NO_LOG}", style="yellow")
            if self.following:
                text.append(f"; the job is {safe(self.status)}: waiting for lines", style="dim")
        else:
            state = safe(self.status) if self.status else "gone"
            text = Text(f"{len(self.entries):,} lines")
            if self.dropped:
                text.append(f" · {self.dropped:,} earlier dropped")
            text.append(" · ")
            text.append(f"following: the job is {state}" if self.following else f"the job is {state}")
        text.append("  ·  wrap" if self.wrap else "")
        if self.search_text:
            text.append(" · search: ")
            text.append(safe(self.search_text), style="bold")
        update_static(self.query_one("#log-status", Static), text)

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap
        with self.app.batch_update():
            self._rewrite()
            self._show_status()

    def action_end(self) -> None:
        self.query_one(RichLog).scroll_end(animate=False)

    def action_start(self) -> None:
        self.query_one(RichLog).scroll_home(animate=False)

    def action_search(self) -> None:
        def submitted(text: str | None) -> None:
            if text:
                self.search_text, self.match = text, -1
                self.action_next_match()

        self.app.push_screen(
            PromptScreen("search", self.search_text, "text to find (case ignored)"), submitted
        )

    def matches(self, entry: LogEntry) -> bool:
        needle = self.search_text.lower()
        return any(needle in field.lower() for field in (entry.message, entry.logger, entry.exception))

    def action_next_match(self) -> None:
        if not self.search_text:
            return
        count = len(self.entries)
        for step in range(1, count + 1):
            index = (self.match + step) % count
            if self.matches(self.entries[index]):
                self.match = index
                self.query_one(RichLog).scroll_to(y=self.line_of[index], animate=False)
                self._show_status()
                self.notify(f"line {index + 1:,} of {count:,}", timeout=2, markup=False)
                return
        self.notify(f"{safe(self.search_text)!s} is not in the log", timeout=3, markup=False)
