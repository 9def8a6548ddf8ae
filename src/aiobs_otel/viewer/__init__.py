"""``aiobs-otel view``: an ObservabilityExport as a terminal tree or an HTML page."""

from ._html import render_html
from ._model import Node, SessionView, ViewerInputError, build_views, load_export
from ._terminal import MISSING_RICH, render_terminal
from .merge import merge_exports

__all__ = [
    "MISSING_RICH",
    "Node",
    "SessionView",
    "ViewerInputError",
    "build_views",
    "load_export",
    "merge_exports",
    "render_html",
    "render_terminal",
]
