"""One edit in the live server costs work in proportion to the edit, not to the briefing.

Counted in operations (page input digests, digests of any kind, folders
listed, files parsed, documents analysed, pages rendered), never in seconds;
the byte-for-byte equality of incremental and clean builds is in
test_serve.py and test_build_cache.py.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import types
from pathlib import Path

import pytest

from site_builder import views
from site_builder.build import BuildCache, compile_site
from site_builder.serve.collector import Collector

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402


def _age(root: Path) -> None:
    """Date every source file and folder a minute back, as if written long before the server started."""
    old = time.time_ns() - 60_000_000_000
    for folder, dirs, files in os.walk(root / "content"):
        for name in files:
            os.utime(os.path.join(folder, name), ns=(old, old))
        os.utime(folder, ns=(old, old))


def _one_edit(root: Path, n: int, monkeypatch) -> dict[str, object]:
    """The work of one rebuild after a sentence is appended to one document of a warm server's cache."""
    generate(root, n, words=300, entities=60, per_doc=10)
    _age(root)
    cache = BuildCache()
    assert compile_site(root, cache=cache, defer=True, workers=1).ok
    assert compile_site(root, cache=cache, defer=True, workers=1).ok
    doc = sorted((root / "content/documents").glob("*.md"))[n // 2]
    doc.write_text(doc.read_text(encoding="utf-8").rstrip() + "\n\nA plain closing line.\n", encoding="utf-8")
    digests = [0]
    blake2b = views.hashlib.blake2b

    def counted(*args, **kwargs):
        digests[0] += 1
        return blake2b(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(views, "hashlib", types.SimpleNamespace(blake2b=counted))
        result = compile_site(root, cache=cache, defer=True, workers=1)
    assert result.ok
    return {
        "page digests": cache.render.digests,
        # Less one per entity the edited document names (its contribution to that entity's page).
        "digests": digests[0] - len(cache.render.docs[doc.stem].contrib),
        "pages rendered": [p.path.replace(doc.stem, "EDITED") for p in cache.render.rendered],
        "folders listed": cache.files.listed,
        "files parsed": len(cache.files.parsed),
        "documents analysed": len(cache.analysed),
    }


def test_the_work_of_one_edit_does_not_grow_with_the_briefing(tmp_path, monkeypatch):
    small = _one_edit(tmp_path / "small", 16, monkeypatch)
    large = _one_edit(tmp_path / "large", 48, monkeypatch)
    # The edited document's page (its own inputs and its render key) and its annotations page:
    # no other page's input digest is computed again, however many there are.
    assert 0 < large["page digests"] == small["page digests"] <= 8, (small, large)
    assert large["pages rendered"] == small["pages rendered"] == ["documents/EDITED.html"]
    assert large["files parsed"] == small["files parsed"] == 1
    assert large["documents analysed"] == small["documents analysed"] == 1
    assert large["folders listed"] == small["folders listed"] == 0  # no file added or removed
    # Every other digest of plain values in the build (pages, search shards, graph, cards): one
    # more per document would be 32 more here.
    assert 0 < large["digests"] == small["digests"], (small, large)


def test_a_file_added_to_a_listed_folder_is_seen(tmp_path):
    generate(tmp_path, 4, words=200, entities=20, per_doc=2)
    _age(tmp_path)
    cache = BuildCache()
    assert compile_site(tmp_path, cache=cache).ok
    assert compile_site(tmp_path, cache=cache).ok and cache.files.listed == 0  # listings reused
    folder = tmp_path / "content/documents"
    (folder / "zz-added.md").write_text("---\ntitle: Added\n---\n\nA new document.\n", encoding="utf-8")
    added = compile_site(tmp_path, cache=cache)
    assert added.ok and cache.files.listed == 1 and "documents/zz-added.html" in added.files
    (folder / "zz-added.md").unlink()
    removed = compile_site(tmp_path, cache=cache)
    assert removed.ok and "documents/zz-added.html" not in removed.files
    assert removed.files == compile_site(tmp_path).files


def test_the_server_freezes_what_each_build_leaves_and_collects_in_full_now_and_then():
    collector = Collector(full_every=3)
    keep = [[object()] for _ in range(1000)]  # a long-lived cache
    thresholds = gc.get_threshold()
    try:
        collector.after_build()  # the first build: a full collection, then everything is frozen
        assert collector.full_collections == 1 and gc.get_freeze_count() >= len(keep)
        assert gc.get_threshold()[2] >= 100  # the few unfrozen old objects are collected less often
        before = gc.get_freeze_count()
        keep.append([[] for _ in range(500)])
        collector.after_build()
        assert collector.full_collections == 1 and gc.get_freeze_count() >= before + 500
        # A cycle dropped while frozen is freed by the next full collection.
        cycle: list = []
        cycle.append(cycle)
        freed = []
        import weakref

        class Node:
            pass

        node = Node()
        node.self = node
        ref = weakref.ref(node, lambda r: freed.append(r))
        collector.after_build()  # frozen, with the cycle alive
        del node, cycle
        gc.collect()
        assert ref() is not None  # frozen: not collected
        collector.after_build()  # the third since the last full collection
        assert collector.full_collections == 2 and ref() is None and freed
    finally:
        collector.release()
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


@pytest.fixture(autouse=True)
def _unfrozen():
    yield
    gc.unfreeze()
