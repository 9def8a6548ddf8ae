"""Issue 17, failure 7: files honour the umask; a flush killed mid-write
leaves a temp file that the next flush to that directory removes (never
another live process's); odd mappings and slow reprs are handled once, safely."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from _reliability_support import clean_env, load, write_script
from aiobs_otel import Observer, observe


@observe
def work(value: int) -> int:
    return value * 2


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_export_files_honour_the_umask(
    observer: Observer, tmp_path: Path, umask: int, mode: int
) -> None:
    observer.observe()
    work(1)
    previous = os.umask(umask)
    try:
        path = Path(observer.flush(path=str(tmp_path / "run.json")))
        (tmp_path / "plain.txt").write_text("made by open()")  # what any new file gets
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == mode


KILLED_FLUSH = """
    import os, sys, time
    from aiobs_otel import observer, observe

    @observe
    def work(value):
        return value

    observer.observe()
    work(1)

    def stall(fd):  # the flush is killed here: the temp file is written, not renamed
        print("WRITING", flush=True)
        time.sleep(60)

    os.fsync = stall
    observer.flush(path=sys.argv[1])
"""


@pytest.fixture
def live_process() -> Iterator[int]:
    """Another live process (its temp files must be left alone)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def test_the_next_flush_removes_what_a_killed_flush_left(
    observer: Observer, tmp_path: Path, live_process: int
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "run.json"
    target.write_text('{"previous": "export"}')
    script = write_script(tmp_path / "src", KILLED_FLUSH)
    flusher = subprocess.Popen([sys.executable, str(script), str(target)], env=clean_env(),
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert flusher.stdout is not None
    assert flusher.stdout.readline().strip() == "WRITING"
    flusher.send_signal(signal.SIGKILL)  # kill -9 mid-flush
    flusher.wait(10)
    (left,) = out.glob(f".aiobs-{flusher.pid}-*.json.tmp")
    assert load(target) == {"previous": "export"}  # the old file, whole

    others = out / f".aiobs-{live_process}-writing.json.tmp"  # a live process's, mid-write
    fresh = out / ".aiobs-nopid.json.tmp"  # unknown owner, recent: may still be written
    old = out / ".aiobs-ancient.json.tmp"  # unknown owner, 20 minutes old
    for path in (others, fresh, old):
        path.write_text("{")
    os.utime(old, (time.time() - 1200, time.time() - 1200))

    observer.observe()
    work(2)
    observer.flush(path=str(target))
    assert not left.exists() and not old.exists()
    assert others.exists() and fresh.exists()
    assert len(load(target)["function_events"]) == 1


class ExplodingDict(dict):  # type: ignore[type-arg]
    def items(self) -> Any:
        raise RuntimeError("items() exploded")

    def keys(self) -> Any:
        raise RuntimeError("keys() exploded")


class ExplodingMapping(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("__getitem__ exploded")

    def __iter__(self) -> Iterator[str]:
        return iter(["a"])

    def __len__(self) -> int:
        return 1


def test_a_mapping_that_raises_does_not_make_the_event_vanish(
    observer: Observer, flush_json: Callable[..., dict[str, Any]]
) -> None:
    @observe
    def handle(payload: Any, **options: Any) -> Any:
        return payload

    observer.observe()
    odd = ExplodingDict(a=1)
    assert handle(odd, extra=ExplodingMapping()) is odd  # the user's value, untouched
    (event,) = flush_json()["function_events"]
    assert event["name"] == "handle"
    assert event["args"] == ["<unserializable ExplodingDict: RuntimeError>"]
    assert event["kwargs"] == {"extra": "<unserializable ExplodingMapping: RuntimeError>"}
    assert event["result"] == "<unserializable ExplodingDict: RuntimeError>"


class SlowRepr:
    calls = 0

    def __repr__(self) -> str:
        SlowRepr.calls += 1
        time.sleep(0.005)
        return "<SlowRepr>"


@pytest.mark.parametrize(
    "options", [{}, {"kind": "tool"}, {"capture_locals": True}], ids=["plain", "tool", "locals"]
)
@pytest.mark.parametrize(
    "make_args",
    [
        lambda obj: (obj,),  # JSON's fast path
        lambda obj: ([obj, float("nan")],),  # JSON refuses NaN: the safe walk
        lambda obj: (obj, "x" * 20_000),  # over 16 KiB: the truncating walk
    ],
    ids=["fast", "nan", "long"],
)
def test_a_slow_repr_runs_once_per_call(
    observer: Observer, flush_json: Callable[..., dict[str, Any]],
    options: dict[str, Any], make_args: Callable[[SlowRepr], tuple[Any, ...]],
) -> None:  # fmt: skip
    @observe(**options)
    def echo(value: Any, extra: Any = None) -> Any:
        same = value  # a local holding it too (capture_locals)
        return same

    observer.observe()
    obj = SlowRepr()
    SlowRepr.calls = 0
    echo(*make_args(obj))
    assert SlowRepr.calls == 1  # args, result, locals and tool attributes share it
    (event,) = flush_json()["function_events"]
    assert event["args"][0] in ("<SlowRepr>", ["<SlowRepr>", "NaN"])
