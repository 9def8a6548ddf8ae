"""One Arize Phoenix server for the whole test session
(``pytest_plugins = ("phoenix_fixtures",)``): it takes about 20 s to start, so
the Phoenix tests share it; each test writes to its own project."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from _zero_code_support import PhoenixServer, phoenix_python


@pytest.fixture(scope="session")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoenixServer]:
    server = PhoenixServer(phoenix_python(), tmp_path_factory.mktemp("phoenix"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
