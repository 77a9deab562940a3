"""A job's dependency tree as JSON (`jobs deps --json`) and as indented text."""

from __future__ import annotations

from queuetui.present.text import safe
from queuetui.rqdata.deps import MAX_DEPTH, MAX_NODES, Node, Tree


def tree_json(tree: Tree) -> dict[str, object]:
    """The tree for `--json`."""

    def node(n: Node) -> dict[str, object]:
        data: dict[str, object] = {
            "id": n.id,
            "state": n.state,
            "func": n.func,
            "queue": n.origin,
            "allow_failure": n.allow_failure,
            "never": n.never or None,
        }
        if n.repeated:
            data["repeated"] = True
        if n.cut:
            data["cut"] = True
        return data | {"children": [node(c) for c in n.children]}

    return {
        "job": node(tree.job),
        "waits_on": [node(n) for n in tree.waits_on],
        "waited_on_by": [node(n) for n in tree.waited_on_by],
        "truncated": tree.truncated,
    }


def node_line(node: Node) -> str:
    """One node as a line of text: state, id, function and what matters about it."""
    parts = [f"{node.state:<9} {node.id}"]
    if node.func:
        parts.append(node.func)
    if node.allow_failure:
        parts.append("(allows failure)")
    if node.never:
        parts.append(f"never: {node.never}")
    if node.repeated:
        parts.append("(shown above)")
    elif node.cut:
        parts.append("…")
    return safe("  ".join(parts))


def tree_text(tree: Tree) -> str:
    """The tree as indented text for the terminal."""
    out = [node_line(tree.job)]

    def walk(nodes: tuple[Node, ...], indent: str) -> None:
        for i, n in enumerate(nodes):
            last = i == len(nodes) - 1
            out.append(f"{indent}{'└─' if last else '├─'} {node_line(n)}")
            walk(n.children, indent + ("   " if last else "│  "))

    out.append(f"waits on ({len(tree.waits_on)})" if tree.waits_on else "waits on nothing")
    walk(tree.waits_on, "  ")
    out.append(f"waited on by ({len(tree.waited_on_by)})" if tree.waited_on_by else "nothing waits on it")
    walk(tree.waited_on_by, "  ")
    if tree.truncated:
        out.append(f"(stopped at {MAX_DEPTH} levels or {MAX_NODES} jobs)")
    return "\n".join(out)
