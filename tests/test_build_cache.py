"""The persistent build cache (.site-builder-cache/): a build from it equals a clean build, byte for byte."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from site_builder import cli, diskcache, outputstore
from site_builder.build import compile_site
from site_builder.writer import Staging
from test_serve import REPO, _edits, copy_project, tree


@pytest.fixture
def project(tmp_path) -> Path:
    root = copy_project(tmp_path / "project")
    # Every template overridden by a copy, as in test_serve's incremental test, so the edits can change one.
    shutil.copytree(REPO / "site_builder/templates", root / "templates", dirs_exist_ok=True)
    return root


def build(root: Path, out: Path, *extra: str) -> dict[str, bytes]:
    assert cli.main(["build", "--root", str(root), "--out", str(out), *extra]) == 0
    return tree(out)


def test_a_cached_build_equals_a_clean_build_after_every_kind_of_edit(project, tmp_path):
    first = build(project, tmp_path / "cached")
    assert diskcache.cache_file(project).is_file()
    assert first == build(project, tmp_path / "clean", "--no-cache")
    for label, change in _edits(project):
        change()
        cached = build(project, tmp_path / "cached")
        clean = build(project, tmp_path / "clean", "--no-cache")
        assert cached.keys() == clean.keys(), label
        differing = [p for p in clean if cached[p] != clean[p]]
        assert not differing, (label, differing)
        # Nothing changed since: the saved output is written again, unchanged.
        assert build(project, tmp_path / "again") == clean, label


def test_a_build_with_nothing_changed_reuses_everything(project, tmp_path):
    build(project, tmp_path / "out")
    # The first build records each annotation's anchoring in anchors.lock.json, an input of the next.
    build(project, tmp_path / "out")
    cache = diskcache.load(project)
    assert cache is not None
    # As ``build`` does: the pages go to a staging folder, the unchanged ones copied from the cache's store.
    with Staging(project, tmp_path / "out") as staging:
        sink = outputstore.DiskSink(staging, diskcache.store(project))
        assert compile_site(project, cache=cache, sink=sink).ok
        assert sink.written == len(cache.render.pages)  # every page copied into the staging folder
    # Every source file is read again and compared by digest, but none is parsed, analysed or rendered.
    assert cache.files.parsed == [] and cache.analysed == [] and cache.render.rendered == []


def test_the_cache_is_never_published_and_is_ignored_by_git(project, tmp_path):
    files = build(project, tmp_path / "out")
    assert not any(diskcache.FOLDER in p for p in files)
    folder = project / diskcache.FOLDER
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert f"{diskcache.FOLDER}/" in (REPO / ".gitignore").read_text().splitlines()
    assert f"{diskcache.FOLDER}/" in (REPO / "site_builder/scaffold/gitignore").read_text().splitlines()


def test_the_cache_is_safe_to_delete_or_damage(project, tmp_path):
    clean = build(project, tmp_path / "clean", "--no-cache")
    assert not (project / diskcache.FOLDER).exists()  # --no-cache neither reads nor writes it
    build(project, tmp_path / "out")
    diskcache.cache_file(project).write_bytes(b"not a pickle")
    assert build(project, tmp_path / "out") == clean
    shutil.rmtree(project / diskcache.FOLDER)
    assert build(project, tmp_path / "out") == clean


def test_another_tool_version_never_reads_the_cache(project, tmp_path, monkeypatch):
    build(project, tmp_path / "out")
    old = diskcache.cache_file(project)
    monkeypatch.setattr(diskcache, "_TOOL_DIGEST", "0" * 24)
    assert diskcache.load(project) is None
    build(project, tmp_path / "out")
    assert not old.exists() and diskcache.cache_file(project).is_file()  # the old version's file is removed


def test_a_file_replaced_with_the_same_stat_signature_is_still_seen(project, tmp_path):
    # A copy that keeps modification times (cp -p, rsync -a) can keep size and mtime: the digest decides.
    build(project, tmp_path / "out")
    doc = project / "content/documents/xi-first-mover-ai.md"
    before = doc.stat()
    text = doc.read_text(encoding="utf-8")
    doc.write_text(text.replace("a", "e", 1), encoding="utf-8")
    os.utime(doc, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert build(project, tmp_path / "out") == build(project, tmp_path / "clean", "--no-cache")


def test_a_build_with_no_source_changed_writes_the_saved_output(project, tmp_path, monkeypatch, capsys):
    first = build(project, tmp_path / "out", "--publish")
    assert capsys.readouterr().err.count("base-url-missing") == 1
    first = build(project, tmp_path / "out", "--publish")  # anchors.lock.json, written by the first, is settled
    capsys.readouterr()
    monkeypatch.setattr(diskcache, "load", lambda root: pytest.fail("the build cache was read"))
    assert build(project, tmp_path / "again", "--publish") == first
    assert capsys.readouterr().err.count("base-url-missing") == 1  # the diagnostics are replayed
    # Any byte changed under content/ or templates/ (even a file the build ignores) takes the full path.
    (project / "content" / "notes.txt").write_text("x", encoding="utf-8")
    assert diskcache.load_output(project, diskcache.source_key(project, False, publishing=True)) is None
    assert diskcache.source_key(project, False) != diskcache.source_key(project, True)
    assert diskcache.source_key(project, False) != diskcache.source_key(project, False, publishing=True)
    # So does a change of the recorded anchorings, which decide the drift states.
    key = diskcache.source_key(project, False)
    lock = project / "anchors.lock.json"
    lock.write_text(lock.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert diskcache.source_key(project, False) != key


def test_a_project_with_symbolic_links_always_takes_the_full_path(project):
    (project / "content" / "link.md").symlink_to(project / "content" / "index.md")
    assert diskcache.source_key(project, False) is None


def test_the_graph_page_is_rendered_again_only_when_its_view_changes(project, tmp_path, monkeypatch):
    """A document edit that changes no entity, link or count keeps the graph page's bytes."""
    import jinja2

    from site_builder.build import BuildCache
    from site_builder.urls import GRAPH

    rendered: list[str] = []
    real = jinja2.Template.render

    def counting(self, *args, **kwargs):
        rendered.append(self.name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", counting)
    cache = BuildCache()
    first = compile_site(project, cache=cache)
    assert first.ok and "graph.html" in rendered
    doc = next((project / "content" / "documents").glob("*.md"))
    doc.write_text(doc.read_text(encoding="utf-8").rstrip("\n") + "\n\nA plain closing line.\n", encoding="utf-8")
    rendered.clear()
    second = compile_site(project, cache=cache)
    assert second.ok and rendered and "graph.html" not in rendered
    assert second.files[GRAPH] == compile_site(project).files[GRAPH]

    entity = sorted((project / "content" / "glossary").glob("*.yml"))[0]
    text = entity.read_text(encoding="utf-8")
    name_line = next(line for line in text.splitlines() if line.startswith("name:"))
    entity.write_text(text.replace(name_line, name_line + " (edited)", 1), encoding="utf-8")
    rendered.clear()
    third = compile_site(project, cache=cache)
    assert third.ok and "graph.html" in rendered
    assert third.files[GRAPH] == compile_site(project).files[GRAPH]
