"""A build-script-like app: it runs three Python subprocesses and, with
``--chat``, makes one OpenAI call itself. Under ``opentelemetry-instrument``
every child inherits the auto-instrumentation (``PYTHONPATH`` carries its
sitecustomize), observes nothing and must write no file.
"""

from __future__ import annotations

import subprocess
import sys

from openai import OpenAI


def main() -> None:
    for step in ("lint", "build", "package"):
        subprocess.run([sys.executable, "-c", f"print({step!r})"], check=True)
    if "--chat" in sys.argv:
        OpenAI().chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Done?"}]
        )


if __name__ == "__main__":
    main()
