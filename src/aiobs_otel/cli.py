"""The ``aiobs-otel`` command: ``demo``, ``view FILE.json [--html OUT]``, ``standin``.

Exit codes: 0 success, 1 a missing optional dependency or a failed run,
2 bad usage or bad input (missing file, not JSON, not an ObservabilityExport).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from .version import __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "view":
        return _view(args.files, args.html)
    if args.command == "standin":
        return _standin(args.port)
    if args.command == "demo":
        return _demo(args)
    parser.print_help()
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiobs-otel", description="OpenTelemetry-native LLM observability, aiobs-style."
    )
    parser.add_argument("--version", action="version", version=f"aiobs-otel {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run an offline research -> summarize -> critique pipeline and show its trace",
    )
    demo.add_argument("topic", nargs="?", help="what the pipeline researches")
    demo.add_argument("--out", metavar="FILE.json", help="default: ./<session-id>.json")
    view = commands.add_parser(
        "view", help="show ObservabilityExport JSON files as trees (several: one tree per trace)"
    )
    view.add_argument("files", metavar="FILE.json", nargs="+")
    view.add_argument("--html", metavar="OUT", help="write a self-contained HTML page instead")
    standin = commands.add_parser(
        "standin", help="serve the offline OpenAI / Gemini stand-in until Ctrl-C"
    )
    standin.add_argument("--port", type=int, default=0, help="default: any free port")
    return parser


def _view(files: list[str], html_out: str | None) -> int:
    """One file: a tree per session. Several (one per service): a tree per trace."""
    from .viewer import MISSING_RICH, ViewerInputError, load_export, merge_exports, render_html

    try:
        exports = [load_export(file) for file in files]
    except ViewerInputError as exc:
        print(f"aiobs-otel view: {exc}", file=sys.stderr)
        return 2
    by_trace = len(exports) > 1
    export = merge_exports(exports, files) if by_trace else exports[0]
    if html_out is not None:
        try:
            with open(html_out, "w", encoding="utf-8") as out:
                page = render_html(export, title=f"aiobs-otel trace: {' '.join(files)}",
                                   by_trace=by_trace)  # fmt: skip
                out.write(page)
        except OSError as exc:
            print(f"aiobs-otel view: cannot write {html_out}: {exc}", file=sys.stderr)
            return 2
        print(f"Wrote {html_out}")
        return 0
    try:
        from rich.console import Console
    except ImportError:
        print(f"aiobs-otel view: {MISSING_RICH}", file=sys.stderr)
        return 1
    from .viewer import render_terminal

    render_terminal(export, Console(), by_trace=by_trace)
    return 0


def _standin(port: int) -> int:
    from .demo import StandIn

    try:
        server = StandIn(port=port).start()
    except OSError as exc:
        print(f"aiobs-otel standin: cannot listen on port {port}: {exc}", file=sys.stderr)
        return 2
    print(f"Provider stand-in listening on {server.url} (Ctrl-C to stop). For the clients:")
    print(f"  export OPENAI_BASE_URL={server.openai_base_url} OPENAI_API_KEY=test")
    print(f"  export GOOGLE_GEMINI_BASE_URL={server.gemini_base_url} GOOGLE_API_KEY=test")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    # Imported here: the demo pulls in both SDKs, which `view` does not need.
    from .demo import pipeline

    return int(pipeline.main(args.topic, args.out))


if __name__ == "__main__":
    raise SystemExit(main())
