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
import yaml

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

    cache.files.expect({doc.relative_to(root).as_posix()})  # what the server's watcher reports
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
        "files stat'ed": cache.files.stats,
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
    assert large["files stat'ed"] == small["files stat'ed"] == 1  # the one the watcher reported
    assert large["documents analysed"] == small["documents analysed"] == 1
    assert large["folders listed"] == small["folders listed"] == 0  # no file added or removed
    # Every other digest of plain values in the build (pages, search shards, graph, cards): one
    # more per document would be 32 more here.
    assert 0 < large["digests"] == small["digests"], (small, large)


def _edit(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip() + f"\n\n{line}\n", encoding="utf-8")


def test_only_reported_files_are_checked_and_a_missed_event_is_caught_by_a_full_check(tmp_path):
    from site_builder.serve.rebuild import FULL_CHECK_EVERY, Builder
    from site_builder.serve.reload import Events

    generate(tmp_path, 6, words=200, entities=20, per_doc=2)
    _age(tmp_path)
    builder = Builder(tmp_path, tmp_path / "output", Events(), log=lambda line: None)
    assert builder.build_now(initial=True).ok and builder.cache.files.stats > 6
    docs = sorted((tmp_path / "content/documents").glob("*.md"))
    reported, missed = docs[0], docs[1]
    _edit(reported, "A reported line.")
    _edit(missed, "A line whose event was lost.")
    _age(tmp_path)  # both edits look old: only the hint can leave one of them out
    first = builder.build_now(changed={reported.relative_to(tmp_path).as_posix()})
    assert first.ok and builder.cache.files.stats == 1
    assert b"A reported line." in first.files[f"documents/{reported.stem}.html"]
    assert b"A line whose event was lost." not in first.files[f"documents/{missed.stem}.html"]
    # A folder named by an event (moved, say) has every file under it checked.
    builder.build_now(changed={"content/documents"})
    assert builder.cache.files.stats == len(docs)
    # Every FULL_CHECK_EVERY builds, every file is checked whatever was reported: the lost edit is seen.
    while builder.builds % FULL_CHECK_EVERY:
        builder.build_now(changed=set())
    full = builder.build_now(changed=set())
    assert full.ok and builder.cache.files.stats > len(docs)
    assert b"A line whose event was lost." in full.files[f"documents/{missed.stem}.html"]
    assert _with(full, full.later() if full.later else {}) == compile_site(tmp_path).files


def test_a_hint_counts_only_after_a_load_that_ran_to_its_end(tmp_path):
    generate(tmp_path, 4, words=200, entities=20, per_doc=2)
    _age(tmp_path)
    cache = BuildCache()
    assert compile_site(tmp_path, cache=cache).ok
    cache.files.begin()  # a load that stopped midway (an error inside the loader)
    doc = sorted((tmp_path / "content/documents").glob("*.md"))[0]
    _edit(doc, "Written while the load was broken off.")
    _age(tmp_path)
    cache.files.expect(set())
    again = compile_site(tmp_path, cache=cache)
    assert cache.files.stats > 4 and again.files == compile_site(tmp_path).files


def _with(result, extra) -> dict:
    """The files as the server has them at the end: ``extra`` and the deferred site-wide files in."""
    files = dict(result.files)
    files.update(extra)
    for path, data in (result.pending() if result.pending else {}).items():
        if data is None:
            files.pop(path, None)
        else:
            files[path] = data
    return files


def test_an_edit_renders_the_entity_pages_it_changes_after_the_edited_page(tmp_path):
    generate(tmp_path, 6, words=200, entities=20, per_doc=2)
    cache = BuildCache()
    assert compile_site(tmp_path, cache=cache, defer=True, workers=1).ok
    entity = sorted((tmp_path / "content/glossary").glob("*.yml"))[0]
    name = yaml.safe_load(entity.read_text(encoding="utf-8"))["name"]
    page = f"glossary/{entity.stem}.html"
    doc = sorted((tmp_path / "content/documents").glob("*.md"))[2]
    old = compile_site(tmp_path).files[page]

    _edit(doc, f"A closing line that names {name} once more.")
    edited = compile_site(tmp_path, cache=cache, defer=True, workers=1)
    clean = compile_site(tmp_path).files
    assert clean[page] != old and edited.later is not None
    assert edited.files[page] == old  # left for after the reload event ...
    assert edited.files[f"documents/{doc.stem}.html"] == clean[f"documents/{doc.stem}.html"]
    done = edited.later()
    assert page in done and page in cache.render.rendered
    assert _with(edited, done) == clean  # ... then rendered
    again = compile_site(tmp_path, cache=cache, defer=True, workers=1)
    assert again.later is None and cache.render.rendered == [] and again.files[page] == clean[page]

    # Not run (another save came first): the next build renders the page again, nothing stale.
    _edit(doc, f"And {name} a third time.")
    skipped = compile_site(tmp_path, cache=cache, defer=True, workers=1)
    assert skipped.later is not None
    final = compile_site(tmp_path, cache=cache, workers=1)
    assert final.later is None and page in cache.render.rendered
    assert final.files == compile_site(tmp_path).files

    # A template change is never deferred: its errors are reported by the build itself.
    (tmp_path / "templates").mkdir(exist_ok=True)
    source = (ROOT / "site_builder/templates/entity.html").read_text(encoding="utf-8")
    (tmp_path / "templates/entity.html").write_text(source + "{# changed #}\n", encoding="utf-8")
    _edit(doc, f"And {name} a fourth time.")
    changed = compile_site(tmp_path, cache=cache, defer=True, workers=1)
    assert changed.later is None and page in cache.render.rendered
    assert changed.files[page] == compile_site(tmp_path).files[page]


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
