"""``python -m aiobs_otel``: the ``aiobs-otel`` command."""

from .cli import main

raise SystemExit(main())
