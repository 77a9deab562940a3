"""Everything about one job: call, meta, timeline, results with tracebacks, links to related jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from queuetui.jobtext import Section, detail_sections
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.detail import job_detail
from queuetui.rqdata.payload import disassemble
from queuetui.tui.messages import DetailFetched, FetchFailed

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI


def render_section(section: Section) -> list[Static]:
    widgets = [Static(section.title, classes="section-title")]
    if section.fields:
        width = max(len(k) for k, _ in section.fields)
        text = Text()
        for i, (key, value) in enumerate(section.fields):
            if i:
                text.append("\n")
            text.append(key.ljust(width), style="dim")
            text.append("  ")
            text.append(value)
        widgets.append(Static(text, classes="section-problem" if section.title == "Unreadable" else ""))
    if section.body:
        lexer = {"traceback": "pytb", "value": "python"}.get(section.kind)
        body = Syntax(section.body, lexer, theme="ansi_dark", word_wrap=True) if lexer else Text(section.body)
        widgets.append(Static(body))
    return widgets


class JobDetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding(
            "y", "copy_id", "Copy id", id="detail.copy", tooltip="Copy the job id (OSC 52, works over SSH)"
        ),
        Binding(
            "d",
            "toggle_disassembly",
            "Opcodes",
            id="detail.opcodes",
            tooltip="Show the payload's pickle opcodes",
        ),
        Binding("r", "refresh", "Refresh", id="detail.refresh", tooltip="Read the job again"),
    ]

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.show_opcodes = False
        self.loaded: DetailFetched | None = None

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    def compose(self) -> ComposeResult:
        yield Static(f"[b]Job[/b] {self.job_id}", id="view-title")
        yield VerticalScroll(Static("Loading…"), id="detail")
        links = OptionList(id="links")
        links.border_title = "Related jobs (enter opens)"
        links.display = False
        yield links
        yield Footer()

    def on_mount(self) -> None:
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def fetch(self) -> None:
        redis = self.console.redis
        try:
            detail = job_detail(redis, self.job_id)
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        opcodes = ""
        if self.show_opcodes:
            opcodes = disassemble(detail.payload) if detail.payload else "(no payload)"
        self.post_message(DetailFetched(detail, opcodes))

    @on(FetchFailed)
    def failed(self, message: FetchFailed) -> None:
        self.query_one("#detail", VerticalScroll).remove_children()
        self.query_one("#detail", VerticalScroll).mount(Static(f"[b red]{message.error}[/] (r retries)"))

    @on(DetailFetched)
    def show(self, message: DetailFetched) -> None:
        self.loaded = message
        detail = message.detail
        sections = detail_sections(detail, self.console.clock.now())
        if message.disassembly:
            sections.append(Section("Payload opcodes (read, never run)", body=message.disassembly))
        container = self.query_one("#detail", VerticalScroll)
        with self.app.batch_update():
            container.remove_children()
            container.mount_all([w for section in sections for w in render_section(section)])
            status = detail.status or ("gone" if not detail.exists else "?")
            self.query_one("#view-title", Static).update(
                f"[b]Job[/b] {detail.id}  ·  {status}  ·  {detail.origin or '-'}"
                + ("  ·  [b red]unreadable[/]" if detail.problems else "")
            )
            links = self.query_one("#links", OptionList)
            links.clear_options()
            related = [("depends on", i) for i in detail.dependencies] + [
                ("dependent", i) for i in detail.dependents
            ]
            links.add_options([Option(f"{kind}  {job_id}", id=job_id) for kind, job_id in related])
            links.display = bool(related)

    @on(OptionList.OptionSelected, "#links")
    def open_related(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.console.open_detail(event.option.id)

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.job_id)
        self.notify(f"Copied {self.job_id}", timeout=2)

    def action_toggle_disassembly(self) -> None:
        self.show_opcodes = not self.show_opcodes
        self.fetch()

    def action_refresh(self) -> None:
        self.fetch()
