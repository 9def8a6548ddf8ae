"""One custom provider, written as aiobs's "Extending aiobs" guide shows, under
aiobs 0.1.5 or aiobs-otel.

    python custom_provider.py aiobs OUT.json        # in .venv-aiobs015
    python custom_provider.py aiobs_otel OUT.json   # in .venv

The provider patches a tiny "SDK" (``EchoSDK.complete``) and hands each call
to ``collector._record_event`` as aiobs's normalised payload. The script makes
a good call, a failing call and a call whose payload is malformed, flushes to
OUT.json, then resets the observer and prints JSON: what each call raised,
and whether ``reset()`` undid the patch.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from typing import Any

SDK = sys.argv[1]
if SDK == "aiobs":
    import aiobs.collector

    aiobs.collector.SHEPHERD_SERVER_URL = os.environ["SHEPHERD_URL"]
package: Any = importlib.import_module(SDK)
observer, BaseProvider = package.observer, package.BaseProvider


class EchoSDK:
    def complete(self, prompt: str, *, model: str = "echo-1") -> str:
        if prompt == "fail":
            raise ConnectionError("echo server unreachable")
        return prompt.upper()


ORIGINAL = EchoSDK.complete


class EchoProvider(BaseProvider):  # type: ignore[misc, valid-type]
    name = "echo"

    @classmethod
    def is_available(cls) -> bool:
        return True

    def install(self, collector: Any) -> Any:
        def wrapped(sdk: EchoSDK, prompt: str, *, model: str = "echo-1") -> str:
            started = time.time()
            response, error = None, None
            try:
                text = ORIGINAL(sdk, prompt, model=model)
                response = {"text": text, "model": model, "usage": {"characters": len(text)}}
                return text
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                ended = time.time()
                payload: dict[str, Any] = {
                    "provider": "echo",
                    "api": "echo.complete",
                    "request": {"model": model, "prompt": prompt, "other": {"tags": ["a", "b"]}},
                    "response": response,
                    "error": error,
                    "started_at": started,
                    "ended_at": ended,
                    "duration_ms": round((ended - started) * 1000, 3),
                    "callsite": {"file": "app.py", "line": 7, "function": "ask"},
                }
                if prompt == "malformed":  # what a buggy provider might send
                    payload.update(started_at="yesterday", duration_ms=None, api=None)
                collector._record_event(payload)

        EchoSDK.complete = wrapped  # type: ignore[method-assign]

        def unpatch() -> None:
            EchoSDK.complete = ORIGINAL  # type: ignore[method-assign]

        return unpatch


def main() -> None:
    observer.register_provider(EchoProvider())
    observer.observe(session_name="custom-provider")
    patched = EchoSDK.complete is not ORIGINAL
    raised: dict[str, str | None] = {}
    for prompt in ("hello", "fail", "malformed"):
        try:
            EchoSDK().complete(prompt)
            raised[prompt] = None
        except Exception as exc:
            raised[prompt] = f"{type(exc).__name__}: {exc}"
    observer.end()
    observer.flush(path=sys.argv[2])
    observer.reset()
    print(json.dumps({"patched": patched, "raised": raised,
                      "unpatched": EchoSDK.complete is ORIGINAL}))  # fmt: skip


if __name__ == "__main__":
    main()
