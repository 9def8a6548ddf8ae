"""Many @observe trees at once, on threads and on asyncio tasks: every event lands
under the right parent, none is lost, none is duplicated."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from aiobs_otel import Observer, observe

FlushJson = Callable[..., dict[str, Any]]


@observe
def innermost(tree: int) -> int:
    return tree


@observe
def inner(tree: int) -> int:
    return innermost(tree)


@observe
def outer(tree: int) -> int:
    return inner(tree)


@observe
async def a_innermost(tree: int) -> int:
    await asyncio.sleep(0)
    return tree


@observe
async def a_inner(tree: int) -> int:
    await asyncio.sleep(0)
    return await a_innermost(tree)


@observe
async def a_outer(tree: int) -> int:
    await asyncio.sleep(0)
    return await a_inner(tree)


def check_trees(
    document: dict[str, Any], names: tuple[str, str, str], trees: set[int], session_id: str
) -> None:
    """Each tree: exactly one event per level, each under its own tree's parent."""
    top, middle, leaf = names
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for event in document["function_events"]:
        key = (event["name"], event["args"][0])
        assert key not in found, f"duplicate event {key}"
        found[key] = event
        assert event["session_id"] == session_id
        assert event["error"] is None
    assert set(found) == {(n, t) for n in names for t in trees}
    for tree in trees:
        a, b, c = found[(top, tree)], found[(middle, tree)], found[(leaf, tree)]
        assert a["parent_span_id"] is None
        assert b["parent_span_id"] == a["span_id"]
        assert c["parent_span_id"] == b["span_id"]
        assert a["trace_id"] == b["trace_id"] == c["trace_id"]
        assert c["result"] == b["result"] == a["result"] == tree
    assert len({found[(top, t)]["trace_id"] for t in trees}) == len(trees)
    roots = document["trace_tree"]
    assert len(roots) == len(trees)
    for root in roots:
        (child,) = root["children"]
        (grandchild,) = child["children"]
        assert root["args"] == child["args"] == grandchild["args"]


def test_eight_threads_each_in_its_own_tree(observer: Observer, flush_json: FlushJson) -> None:
    session_id = observer.observe()
    per_thread = 25
    start = threading.Barrier(8, timeout=60)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                outer(worker * 1000 + i)
        except BaseException as exc:  # surfaced by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    trees = {w * 1000 + i for w in range(8) for i in range(per_thread)}
    check_trees(flush_json(), ("outer", "inner", "innermost"), trees, session_id)


def test_two_hundred_asyncio_tasks(observer: Observer, flush_json: FlushJson) -> None:
    session_id = observer.observe()

    async def main() -> list[int]:
        return await asyncio.gather(*(a_outer(t) for t in range(200)))

    assert asyncio.run(main()) == list(range(200))
    check_trees(flush_json(), ("a_outer", "a_inner", "a_innermost"), set(range(200)), session_id)


def test_flush_while_threads_are_inside_their_trees(
    observer: Observer, flush_json: FlushJson
) -> None:
    """Trees still open when flush() runs end up, whole, in the next export."""
    session_id = observer.observe()
    inside = threading.Barrier(9, timeout=60)  # 8 workers + the main thread
    flushed = threading.Barrier(9, timeout=60)

    @observe
    def hold(tree: int) -> int:
        inside.wait()
        flushed.wait()
        return tree

    @observe
    def mid(tree: int) -> int:
        return hold(tree)

    @observe
    def top(tree: int) -> int:
        return mid(tree)

    threads = [threading.Thread(target=top, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    inside.wait()
    first = flush_json()
    flushed.wait()
    for thread in threads:
        thread.join()
    assert first["function_events"] == []
    check_trees(flush_json(), ("top", "mid", "hold"), set(range(8)), session_id)


def test_label_changes_from_many_threads(observer: Observer) -> None:
    observer.observe()
    start = threading.Barrier(8, timeout=60)

    def work(worker: int) -> None:
        start.wait()
        for i in range(50):
            observer.add_label(f"w{worker}", str(i))
            outer(worker)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    labels = observer.get_labels()
    assert {labels[f"w{w}"] for w in range(8)} == {"49"}
