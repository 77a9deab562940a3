"""Everything about one job: call, meta, timeline, results with tracebacks, and its dependency tree:
what it waits on and what waits on it, states coloured, enter opening the job under the cursor."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from queuetui.present.jobs import Section, detail_sections
from queuetui.present.text import safe, safe_block
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.deps import Node, dependency_tree
from queuetui.rqdata.detail import job_detail
from queuetui.rqdata.payload import disassemble
from queuetui.tui.draw import set_border_title, update_static
from queuetui.tui.messages import DetailFetched, FetchFailed
from queuetui.tui.text import line
from queuetui.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI


def render_section(section: Section) -> list[Static]:
    """A section of present.jobs.detail_sections, whose text is already literal (present.text)."""
    widgets = [Static(Text(section.title), classes="section-title")]
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


STATE_STYLES = {
    "finished": "green",
    "failed": "bold red",
    "stopped": "red",
    "canceled": "magenta",
    "gone": "bold magenta",
    "unreadable": "bold magenta",
    "deferred": "yellow",
    "started": "bold cyan",
    "queued": "cyan",
    "scheduled": "blue",
}


def node_label(node: Node) -> Text:
    """A job in the tree: its state coloured, id, function, and why it never runs when it never does."""
    label = Text()
    label.append(f"{safe(node.state):<9}", style=STATE_STYLES.get(node.state, ""))
    label.append(f" {safe(node.id)}", style="bold")
    if node.func:
        label.append(f"  {safe(node.func)}", style="dim")
    if node.allow_failure:
        label.append("  allows failure", style="italic")
    if node.never:
        label.append(f"  never: {safe(node.never)}", style="bold red")
    if node.repeated:
        label.append("  (shown above)", style="dim")
    elif node.cut:
        label.append("  …", style="dim")
    return label


def _add(parent: TreeNode[str], nodes: tuple[Node, ...]) -> None:
    for node in nodes:
        if node.children:
            _add(parent.add(node_label(node), data=node.id, expand=True), node.children)
        else:
            parent.add_leaf(node_label(node), data=node.id)


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
        Binding("l", "log", "Log", id="detail.log", tooltip="The job's log (followed while it runs)"),
        Binding(
            "t",
            "focus_tree",
            "Dependencies",
            id="detail.dependencies",
            tooltip="Move to the dependency tree (enter opens a job, space folds)",
        ),
        Binding("end", "detail_end", "End", id="detail.end", show=False, priority=True),
        Binding("home", "detail_home", "Home", id="detail.home", show=False, priority=True),
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
        yield Static(line(("Job", "bold"), " ", self.job_id), id="view-title")
        yield VerticalScroll(Static("Loading…"), id="detail")
        tree: Tree[str] = Tree("", id="deps")
        tree.auto_expand = False  # enter opens the job; space folds
        set_border_title(tree, "Dependencies (t, enter opens, space folds)")
        tree.display = False
        yield tree
        yield KeysFooter()

    def on_mount(self) -> None:
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def fetch(self) -> None:
        redis = self.console.redis
        try:
            detail = job_detail(redis, self.job_id)
            tree = dependency_tree(redis, self.job_id) if detail.dependencies or detail.dependents else None
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        opcodes = ""
        if self.show_opcodes:
            opcodes = disassemble(detail.payload) if detail.payload else "(no payload)"
        self.post_message(DetailFetched(detail, opcodes, tree))

    @on(FetchFailed)
    def failed(self, message: FetchFailed) -> None:
        self.query_one("#detail", VerticalScroll).remove_children()
        self.query_one("#detail", VerticalScroll).mount(
            Static(line((message.error, "bold red"), " (r retries)"))
        )

    @on(DetailFetched)
    def show(self, message: DetailFetched) -> None:
        self.loaded = message
        self.refresh_bindings()
        detail = message.detail
        sections = detail_sections(detail, self.console.clock.now())
        if message.disassembly:
            sections.append(
                Section("Payload opcodes (read, never run)", body=safe_block(message.disassembly))
            )
        container = self.query_one("#detail", VerticalScroll)
        with self.app.batch_update():
            container.remove_children()
            container.mount_all([w for section in sections for w in render_section(section)])
            status = detail.status or ("gone" if not detail.exists else "?")
            title = line(("Job", "bold"), f" {detail.id}  ·  {status}  ·  {detail.origin or '-'}")
            if detail.problems:
                title += line("  ·  ", ("unreadable", "bold red"))
            update_static(self.query_one("#view-title", Static), title)
            self._show_tree(message)

    def _show_tree(self, message: DetailFetched) -> None:
        tree = self.query_one("#deps", Tree)
        found = message.tree
        tree.display = found is not None
        if found is None:
            return
        tree.clear()
        tree.root.set_label(node_label(found.job))
        tree.root.data = found.job.id
        tree.root.expand()
        for title, nodes, empty in (
            ("waits on", found.waits_on, "waits on nothing"),
            ("waited on by", found.waited_on_by, "nothing waits on it"),
        ):
            if nodes:
                _add(tree.root.add(Text(f"{title} ({len(nodes)})", style="bold"), expand=True), nodes)
            else:
                tree.root.add_leaf(Text(empty, style="dim"))
        if found.truncated:
            tree.root.add_leaf(Text("(the tree stops here: too deep or too many jobs)", style="dim"))

    @on(Tree.NodeSelected, "#deps")
    def open_related(self, event: Tree.NodeSelected[str]) -> None:
        job_id = event.node.data
        if job_id and job_id != self.job_id:
            self.console.open_detail(job_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_tree":
            return self.loaded is not None and self.loaded.tree is not None
        return True

    def action_detail_end(self) -> None:
        """end: the last line of the detail in one press, without an animation (each of its frames is
        bytes over SSH), and kept there while the detail is still laid out (it grows after it shows:
        Textual's end stopped short of it, a second press was needed); in the dependency tree, its last
        node."""
        if isinstance(self.focused, Tree):
            self.focused.action_scroll_end()
        else:
            self.query_one("#detail", VerticalScroll).anchor()

    def action_detail_home(self) -> None:
        if isinstance(self.focused, Tree):
            self.focused.action_scroll_home()
        else:
            detail = self.query_one("#detail", VerticalScroll)
            detail.anchor(False)
            detail.scroll_home(animate=False, immediate=True)

    def action_focus_tree(self) -> None:
        self.query_one("#deps", Tree).focus()

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.job_id)
        self.notify(f"Copied {self.job_id}", timeout=2)

    def action_toggle_disassembly(self) -> None:
        self.show_opcodes = not self.show_opcodes
        self.fetch()

    def action_refresh(self) -> None:
        self.fetch()

    def action_log(self) -> None:
        self.console.open_log(self.job_id)
