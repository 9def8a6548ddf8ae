"""The export as one self-contained HTML page: the tree, and a waterfall of the spans.

No scripts and no external assets: the page opens from disk, offline, and can be
attached to a bug report. Every value from the export is HTML-escaped.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from html import escape

from ..exporters.models import ObservabilityExport
from ._model import Node, SessionView, build_views, format_duration, total_cost

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #1d2433; background: #fbfbfd; }
h1 { font-size: 1.4em; margin: 0 0 .2em; } h2 { font-size: 1.15em; margin: 1.6em 0 .4em; }
.meta, .dim { color: #667; } .labels span { background: #e7eefb; border-radius: 3px;
  padding: 0 .4em; margin-right: .3em; font-size: .9em; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.2em; margin: 0; }
ul.tree { padding-left: 0; } details > summary { cursor: pointer; }
.function { color: #1f4fbf; font-weight: 600; } .provider { color: #177245; font-weight: 600; }
.error, .error .function, .error .provider { color: #c0182b; }
.kind { background: #e6f4f1; color: #0d6b5c; border-radius: 3px; padding: 0 .35em;
  font-size: .85em; }
.model { color: #8a2c8f; } .dur { color: #9a6700; } .tok { color: #667; font-size: .9em; }
.preview { color: #667; font-style: italic; margin-left: 1.2em; }
.errtext { color: #c0182b; margin-left: 1.2em; }
pre { background: #f1f2f6; padding: .6em; overflow: auto; max-height: 24em; font-size: 12px; }
.waterfall { width: 100%; border-collapse: collapse; margin-top: .6em; }
.waterfall td { padding: 2px 4px; border-bottom: 1px solid #eceef3; white-space: nowrap; }
.waterfall td.name { width: 30%; overflow: hidden; text-overflow: ellipsis; max-width: 0; }
.lane { position: relative; height: 14px; background: #f4f5f8; }
.bar { position: absolute; top: 2px; height: 10px; border-radius: 2px; min-width: 2px; }
.bar.function { background: #5b83d6; } .bar.provider { background: #3aa36b; }
.bar.error { background: #d64050; }
"""


def _cost_phrase(export: ObservabilityExport) -> str:
    cost = total_cost(export)
    return f", cost {escape(cost)}" if cost else ""


def render_html(
    export: ObservabilityExport, *, title: str = "aiobs-otel trace", by_trace: bool = False
) -> str:
    views = build_views(export, by_trace=by_trace)
    generated = datetime.fromtimestamp(export.generated_at, timezone.utc)
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">export version {export.version}, generated '
        f"{generated:%Y-%m-%d %H:%M:%S} UTC · {len(export.sessions)} session(s), "
        f"{len(export.events)} provider call(s), {len(export.function_events)} "
        f"function call(s){_cost_phrase(export)}</p>",
    ]
    for view in views:
        body.append(_session(view))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _session(view: SessionView) -> str:
    parts = [f'<section class="session"><h2>{escape(view.title)}</h2>']
    session = view.session
    if session is not None:
        started = datetime.fromtimestamp(session.started_at, timezone.utc)
        line = f"started {started:%Y-%m-%d %H:%M:%S} UTC"
        if session.ended_at is not None:
            line += f", {format_duration((session.ended_at - session.started_at) * 1000)}"
        parts.append(f'<p class="meta">{escape(line)}</p>')
        if session.labels:
            chips = "".join(
                f"<span>{escape(k)}={escape(v)}</span>" for k, v in sorted(session.labels.items())
            )
            parts.append(f'<p class="labels">{chips}</p>')
    if not view.roots:
        parts.append('<p class="dim">(no observations)</p></section>')
        return "".join(parts)
    parts.append('<ul class="tree">')
    parts.extend(_tree_item(root) for root in view.roots)
    parts.append("</ul>")
    parts.append(_waterfall(view))
    parts.append("</section>")
    return "".join(parts)


def _headline(node: Node) -> str:
    name = f"{node.title}()" if node.kind == "function" else node.title
    out = f'<span class="{node.kind}">{escape(name)}</span>'
    if node.kind == "function" and node.span_kind != "function":
        out += f' <span class="kind">{escape(node.span_kind)}</span>'
    if node.source:
        out += f' <span class="model">[{escape(node.source)}]</span>'
    if node.model:
        out += f' <span class="model">{escape(node.model)}</span>'
    out += f' <span class="dur">{escape(format_duration(node.duration_ms))}</span>'
    if node.tokens:
        out += f' <span class="tok">{escape(node.tokens)} tokens</span>'
    if node.cost:
        out += f' <span class="tok">{escape(node.cost)}</span>'
    for evaluation in node.evaluations:
        out += f' <span class="kind">✓ {escape(evaluation)}</span>'
    return out


def _tree_item(node: Node) -> str:
    css = "error" if node.error else ""
    detail = json.dumps(node.detail, indent=2, ensure_ascii=False, default=str)
    note = ""
    if node.error:
        note = f'<div class="errtext">{escape(node.error)}</div>'
    elif node.preview:
        note = f'<div class="preview">{escape(node.preview)}</div>'
    children = ""
    if node.children:
        children = "<ul>" + "".join(_tree_item(c) for c in node.children) + "</ul>"
    return (
        f'<li class="{css}" id="span-{escape(node.span_id or "")}">'
        f"<details><summary>{_headline(node)}</summary><pre>{escape(detail)}</pre></details>"
        f"{note}{children}</li>"
    )


def _waterfall(view: SessionView) -> str:
    rows = [row for root in view.roots for row in root.walk()]
    start = min(node.started_at for _, node in rows)
    end = max(node.started_at + node.duration_ms / 1000 for _, node in rows)
    span = max(end - start, 1e-6)
    lines = ['<table class="waterfall"><tbody>']
    for depth, node in rows:
        left = (node.started_at - start) / span * 100
        width = node.duration_ms / 1000 / span * 100
        kind = f"{node.kind} error" if node.error else node.kind
        name = f"{node.title}()" if node.kind == "function" else node.title
        lines.append(
            f'<tr><td class="name" style="padding-left:{4 + depth * 14}px" '
            f'title="{escape(name)}">{escape(name)}</td>'
            f'<td class="dur">{escape(format_duration(node.duration_ms))}</td>'
            f'<td style="width:60%"><div class="lane"><div class="bar {kind}" '
            f'style="left:{left:.3f}%;width:{width:.3f}%"></div></div></td></tr>'
        )
    lines.append("</tbody></table>")
    return "".join(lines)
