"""Each analysis's blocks in a file of the cache folder (analysisfiles.py): never stale, never needed.

A build from the cache equals a clean build byte for byte whatever happened to
the files: damaged, truncated, swapped with another document's, missing; the
blocks are then computed again from the document (counted), and files no
saved analysis refers to are removed.
"""

from __future__ import annotations

import pickle
import shutil
import sys
from pathlib import Path

import pytest

from site_builder import analysisfiles, build as build_module, cli, diskcache, forkmap
from test_serve import REPO, tree

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate  # noqa: E402

DOCS = 6


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "p"
    generate(root, DOCS, words=150, entities=30, per_doc=3)
    return root


def build(root: Path, out: Path, *extra: str) -> dict[str, bytes]:
    assert cli.main(["build", "--root", str(root), "--out", str(out), *extra]) == 0
    return tree(out)


def handles(root: Path) -> dict[str, analysisfiles.StoredBlocks]:
    cache = diskcache.load(root)
    assert cache is not None
    return {slug: entry.analysis.blocks for slug, entry in cache.analyses.items()}


def render_every_page_again(root: Path, out: Path) -> None:
    """Make the next build render every page (reading every document's blocks) while reusing the analyses."""
    shutil.rmtree(root / diskcache.FOLDER / diskcache.STORE)
    shutil.rmtree(out)


def files(root: Path) -> set[str]:
    return {p.name for p in diskcache.analyses_folder(root).iterdir()}


@pytest.mark.parametrize("pooled", [False, True], ids=["in the build", "in forked workers"])
def test_the_blocks_live_in_one_file_per_document_and_not_in_the_cache_file(project, tmp_path, monkeypatch, pooled):
    if pooled:
        monkeypatch.setattr(build_module, "POOL_THRESHOLD", 1)  # the workers write the files
    else:
        monkeypatch.setattr(forkmap, "THRESHOLD", 10**6)  # pages rendered (and blocks read) in this process
    clean = build(project, tmp_path / "clean", "--no-cache")
    assert build(project, tmp_path / "out") == clean
    held = handles(project)
    assert len(held) == DOCS and all(isinstance(h, analysisfiles.StoredBlocks) for h in held.values())
    assert files(project) == {f"{h.key}{analysisfiles.SUFFIX}" for h in held.values()}
    # No block's HTML is in the cache file: only the handles (key and count).
    folder = diskcache.analyses_folder(project)
    some = analysisfiles.read(folder, next(iter(held.values())).key)
    assert some and all(len(b.html) > 20 for b in some[:1])
    assert some[0].html.encode() not in diskcache.cache_file(project).read_bytes()
    # Every page rendered again from the files equals a clean build.
    render_every_page_again(project, tmp_path / "out")
    reads, recomputed = analysisfiles.reads, analysisfiles.recomputed
    assert build(project, tmp_path / "out") == clean
    if not pooled:  # (forked page workers count their own)
        assert analysisfiles.reads - reads >= DOCS and analysisfiles.recomputed == recomputed


def test_a_damaged_truncated_swapped_or_missing_file_is_never_used(project, tmp_path, monkeypatch):
    monkeypatch.setattr(forkmap, "THRESHOLD", 10**6)  # pages rendered (and files read) in this process
    clean = build(project, tmp_path / "clean", "--no-cache")
    build(project, tmp_path / "out")
    build(project, tmp_path / "out")  # the first build wrote anchors.lock.json: its analyses are the next build's
    held = list(handles(project).values())
    folder = diskcache.analyses_folder(project)
    damaged, truncated, swapped, missing = (analysisfiles.path(folder, h.key) for h in held[:4])
    data = bytearray(damaged.read_bytes())
    data[-10] ^= 0xFF  # one byte of the HTML changed: the digest at the start no longer matches
    damaged.write_bytes(bytes(data))
    truncated.write_bytes(truncated.read_bytes()[:-100])
    # Another document's file under this one's name: its digest is right, its key is not this one's.
    swapped.write_bytes(analysisfiles.path(folder, held[5].key).read_bytes())
    missing.unlink()
    for h in held[:4]:
        assert analysisfiles.read(folder, h.key) is None
    render_every_page_again(project, tmp_path / "out")
    before = analysisfiles.recomputed
    assert build(project, tmp_path / "out") == clean
    assert analysisfiles.recomputed - before == 4  # those four computed again, the others read
    for h in held[:4]:  # and written again, whole
        assert analysisfiles.read(folder, h.key) is not None


def test_a_file_of_other_inputs_is_never_read_and_unused_files_are_pruned(project, tmp_path):
    clean_out = tmp_path / "clean"
    build(project, tmp_path / "out")
    build(project, tmp_path / "out")
    before = handles(project)
    folder = diskcache.analyses_folder(project)
    stray = analysisfiles.path(folder, "0" * 32)
    stray.write_bytes(b"left by a crashed build")
    doc = project / "content/documents/doc-00002.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nOne more plain sentence.\n", encoding="utf-8")
    cached = build(project, tmp_path / "out")
    assert cached == build(project, clean_out, "--no-cache")
    after = handles(project)
    changed = [slug for slug in after if after[slug].key != before[slug].key]
    assert changed == ["doc-00002"]  # the edited document's inputs have another digest
    # Its old file, and the stray one, are gone; every file left is one the cache refers to.
    assert files(project) == {f"{h.key}{analysisfiles.SUFFIX}" for h in after.values()}
    assert not analysisfiles.path(folder, before["doc-00002"].key).exists() and not stray.exists()
    # The edited text is in the page, read from the new file.
    assert b"One more plain sentence." in cached["documents/doc-00002.html"]


def test_the_key_covers_every_input_and_depends_on_values_only():
    salt = analysisfiles.salt("tool", [], False)
    doc = {"text": "a", "slug": "x"}
    same = pickle.loads(pickle.dumps(doc))
    assert analysisfiles.key(salt, doc, (), {}) == analysisfiles.key(salt, same, (), {})
    shared = "s" * 30
    assert analysisfiles.key(salt, (shared, shared), (), {}) == analysisfiles.key(salt, ("s" * 30, "s" * 30), (), {})
    keys = {
        analysisfiles.key(salt, doc, (), {}),
        analysisfiles.key(salt, {"text": "b", "slug": "x"}, (), {}),
        analysisfiles.key(salt, doc, ("annotation",), {}),
        analysisfiles.key(salt, doc, (), {"a1": "former"}),
        analysisfiles.key(analysisfiles.salt("tool", [], True), doc, (), {}),
        analysisfiles.key(analysisfiles.salt("another tool", [], False), doc, (), {}),
    }
    assert len(keys) == 6


def test_the_live_server_keeps_its_blocks_in_memory(project):
    from site_builder.build import BuildCache, compile_site

    cache = BuildCache()
    assert compile_site(project, cache=cache).ok
    assert all(isinstance(e.analysis.blocks, list) for e in cache.analyses.values())
    assert not (project / diskcache.FOLDER).exists()
