"""``build`` writes each page into a staging folder as it is rendered (outputstore.py) and swaps it in
only when the whole build succeeded; page bytes live in the cache's file store, not in memory."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder import cli, diskcache, outputstore, render
from site_builder.build import BuildCache, compile_site
from site_builder.writer import Staging
from test_serve import REPO, copy_project, tree


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


def build(root: Path, out: Path, *extra: str) -> dict[str, bytes]:
    assert cli.main(["build", "--root", str(root), "--out", str(out), *extra]) == 0
    return tree(out)


def _break_one_entity_page(root: Path) -> None:
    """The entity template fails on the DeepSeek page only: an undefined name (StrictUndefined)."""
    source = (REPO / "site_builder/templates/entity.html").read_text(encoding="utf-8")
    broken = source.replace("{% block main %}", '{% block main %}{% if view.name == "DeepSeek" %}{{ no_such_name }}{% endif %}', 1)
    assert broken != source
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates/entity.html").write_text(broken, encoding="utf-8")


def test_a_template_error_midway_leaves_the_output_as_it_was_and_no_staging_folder(project, tmp_path, monkeypatch,
                                                                                   capsys):
    out = tmp_path / "site"
    before = build(project, out)
    _break_one_entity_page(project)
    put = outputstore.DiskSink.put
    written: list = []

    def counting(self, path, data):
        written.append(path)
        return put(self, path, data)

    monkeypatch.setattr(outputstore.DiskSink, "put", counting)
    assert cli.main(["build", "--root", str(project), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "templates/entity.html" in err and "was left unchanged" in err
    pages = sum(1 for p in before if p.endswith(".html"))
    assert 0 < len(written) < pages  # some pages had gone to the staging folder when the error came
    assert tree(out) == before  # byte for byte the last good site
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project", "site"]  # no staging folder left
    # The cache saved after the failure refers to the pages it stored; fixed, the build equals a clean one.
    (project / "templates/entity.html").unlink()
    monkeypatch.setattr(outputstore.DiskSink, "put", put)
    assert build(project, out) == before == build(project, tmp_path / "clean", "--no-cache")


def test_a_bad_output_folder_leaves_no_staging_folder(project, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("not a site", encoding="utf-8")
    assert cli.main(["build", "--root", str(project), "--out", str(taken)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project", "taken"]
    assert (taken / "mine.txt").read_text(encoding="utf-8") == "not a site"


def test_each_page_goes_to_the_staging_folder_as_it_is_rendered(project, tmp_path, monkeypatch):
    """Counted: in one process, no more than one rendered page is ever held before the sink takes it."""
    rendered = [0]
    real = render._render_plan

    def counting(*args):
        data = real(*args)
        rendered[0] += 1
        return data

    monkeypatch.setattr(render, "_render_plan", counting)
    held: list[int] = []
    with Staging(project, tmp_path / "site") as staging:
        sink = outputstore.DiskSink(staging, diskcache.store(project))
        put = sink.put

        def taking(path, data):
            held.append(rendered[0] - sink.written)  # pages rendered but not yet in the staging folder
            return put(path, data)

        sink.put = taking  # type: ignore[method-assign]
        cache = BuildCache()
        result = compile_site(project, cache=cache, workers=1, sink=sink)
        assert result.ok
        pages = [p for p, kept in result.files.items() if isinstance(kept, outputstore.Stored)]
        assert len(pages) == rendered[0] > 40 and max(held) == 1
        # No page's bytes are kept, in the output files or in the cache; each is in the store.
        assert all(isinstance(kept, outputstore.Stored) for _, kept in cache.render.pages.values())
        store = diskcache.store(project)
        for path in pages:
            assert store.path(result.files[path].digest).read_bytes() == (staging.folder / path.path).read_bytes()


_BOUNDED = """
import functools, operator
from site_builder import forkmap
assert forkmap.forkable()
jobs = [functools.partial(operator.mul, 2, i) for i in range(1000)]
assert list(forkmap.run(jobs, 2)) == [2 * i for i in range(1000)]
print(forkmap.held_at_most, forkmap.AHEAD, forkmap.RANGE)
"""


def test_forked_workers_send_back_a_bounded_number_of_results():
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork start method here")
    # In a fresh process: threads other tests leave running would keep forkmap from forking.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", _BOUNDED], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    held, ahead, size = map(int, proc.stdout.split())
    # Never more results waiting than the ranges sent out ahead, whatever the number of jobs.
    assert 0 < held <= 2 * ahead * size < 1000


def test_a_store_with_files_missing_makes_the_next_build_render_them(project, tmp_path):
    clean = build(project, tmp_path / "clean", "--no-cache")
    build(project, tmp_path / "site")
    build(project, tmp_path / "site")  # anchors.lock.json settled: the next build with no change reuses the output
    folder = project / diskcache.FOLDER / diskcache.STORE
    stored = sorted(p for p in folder.rglob("*") if p.is_file())
    assert len(stored) >= len(clean) - 5  # every output file is in the store (identical files once)
    stored[0].unlink()
    # An untouched output folder is left alone (test_noop_output.py); touched, it is put back from the store.
    (tmp_path / "site/index.html").unlink()
    assert build(project, tmp_path / "site") == clean  # the saved output lacks a file: the full path
    shutil.rmtree(folder)
    (tmp_path / "site/index.html").unlink()
    assert build(project, tmp_path / "site") == clean  # every page rendered again
    # Files no build refers to are removed: edit a document, and its old page leaves the store.
    count = len([p for p in folder.rglob("*") if p.is_file()])
    doc = project / "content/documents/xi-first-mover-ai.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    edited = build(project, tmp_path / "site")
    assert edited == build(project, tmp_path / "clean", "--no-cache")
    assert len([p for p in folder.rglob("*") if p.is_file()]) <= count + 2


def test_the_cache_written_in_parts_keeps_each_analysis_one_object(project, tmp_path):
    """The render cache's parts refer to the analyses by identity, through the parts of the cache file."""
    build(project, tmp_path / "site")
    cache = diskcache.load(project)
    assert cache is not None and cache.analyses and cache.render.docs and cache.render.search
    for slug, entry in cache.analyses.items():
        assert cache.render.docs[slug].an is entry.analysis
        assert cache.used[slug][0] is entry.analysis
    assert all(isinstance(kept, outputstore.Stored) for _, kept in cache.render.pages.values())
