"""Run one example of aiobs's usage guide: ``python run_guide_example.py CODE_FILE NAME...``.

The code is run as given (the test changed only its import line). Some guide
snippets use names they never define (``time`` in the Veo example, the
``image_object`` "generated or loaded", the ``results`` of "your logic here");
the NAMEs given on the command line are supplied from ``GIVEN`` below, the
stand-ins a reader would write. Nothing else is added.
"""

from __future__ import annotations

import sys
import time as real_time
import types as pytypes
from collections.abc import Callable
from typing import Any

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _image() -> Any:
    from google.genai import types

    return types.Image(image_bytes=PNG, mime_type="image/png")


def _observer() -> Any:
    from aiobs_otel import observer

    return observer


def _observe() -> Any:
    from aiobs_otel import observe

    return observe


def _openai() -> Any:
    from openai import OpenAI

    return OpenAI()


GIVEN: dict[str, Callable[[], Any]] = {
    # the guide polls every 10 s; against the stand-in a short wait does
    "time": lambda: pytypes.SimpleNamespace(sleep=lambda seconds: real_time.sleep(0.01)),
    "image_object": _image,
    "results": lambda: ["An API is a contract between programs."],
    "data": lambda: {"status": "ok"},
    "process": lambda: lambda data: data,
    "client": _openai,
    # snippets that continue the one before them, which imported these
    "observer": _observer,
    "observe": _observe,
}


def main() -> None:
    path, names = sys.argv[1], sys.argv[2:]
    with open(path, encoding="utf-8") as source:
        code = source.read()
    namespace: dict[str, Any] = {"__name__": "__main__"}
    namespace.update({name: GIVEN[name]() for name in names})
    exec(compile(code, path, "exec"), namespace)


if __name__ == "__main__":
    main()
