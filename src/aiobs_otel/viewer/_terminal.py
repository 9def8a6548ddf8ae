"""The export as a tree in the terminal, with rich (the ``view`` extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exporters.models import ObservabilityExport
from ..install_hints import pip_install
from ._model import Node, SessionView, build_views, format_duration, total_cost

if TYPE_CHECKING:
    from rich.console import Console
    from rich.tree import Tree

MISSING_RICH = (
    f"aiobs-otel view needs the 'rich' package: {pip_install('view')} "
    "(or write a page with --html OUT, which does not)"
)


def render_terminal(
    export: ObservabilityExport, console: Console, *, by_trace: bool = False
) -> None:
    """Print one tree per session (``by_trace``: per trace), then a one-line summary."""
    from rich.text import Text

    views = build_views(export, by_trace=by_trace)
    for view in views:
        console.print(_session_tree(view))
        console.print()
    events, functions = len(export.events), len(export.function_events)
    errors = sum(1 for e in export.events if e.error)
    errors += sum(1 for f in export.function_events if f.error)
    summary = Text(
        f"{len(export.sessions)} session(s), {events} provider call(s), "
        f"{functions} function call(s)"
    )
    if errors:
        summary.append(f", {errors} error(s)", style="bold red")
    cost = total_cost(export)
    if cost:
        summary.append(f", cost {cost}")
    console.print(summary)


def _session_tree(view: SessionView) -> Tree:
    from rich.text import Text
    from rich.tree import Tree

    head = Text(view.title, style="bold")
    session = view.session
    if session is not None and session.ended_at is not None:
        head.append(f"  {format_duration((session.ended_at - session.started_at) * 1000)}")
        head.stylize("bold")
    if session is not None and session.labels:
        user = {k: v for k, v in session.labels.items() if not k.startswith("aiobs_")}
        shown = user or session.labels
        head.append("  " + " ".join(f"{k}={v}" for k, v in sorted(shown.items())), style="cyan")
    tree = Tree(head)
    if not view.roots:
        tree.add(Text("(no observations)", style="dim"))
    for root in view.roots:
        _add(tree, root)
    return tree


def _add(parent: Any, node: Node) -> None:
    tree = parent.add(_label(node))
    for child in node.children:
        _add(tree, child)


def _label(node: Node) -> Any:
    from rich.text import Text

    failed = node.error is not None
    if node.kind == "function":
        text = Text(f"{node.title}()", style="bold red" if failed else "bold blue")
        if node.span_kind != "function":
            text.append(f" [{node.span_kind}]", style="cyan")
    else:
        text = Text(node.title, style="bold red" if failed else "green")
    if node.source:
        text.append(f"  [{node.source}]", style="dim cyan")
    if node.model:
        text.append(f"  {node.model}", style="magenta")
    text.append(f"  {format_duration(node.duration_ms)}", style="yellow")
    if node.tokens:
        text.append(f"  {node.tokens} tokens", style="dim")
    if node.cost:
        text.append(f"  {node.cost}", style="green")
    for evaluation in node.evaluations:
        text.append(f"\n✓ {evaluation}", style="cyan")
    if failed:
        text.append(f"\n{node.error}", style="red")
    elif node.preview:
        text.append(f"\n{node.preview}", style="dim italic")
    return text
