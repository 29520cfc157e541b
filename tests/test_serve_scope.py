"""An edit in the live server looks only at what it touched (site_builder/editscope.py, loader.FileCache.folder).

The loader takes each folder's files as the last load took them except the
files the watcher reported; the analysis, and the anchor records, are made
again only for the documents those files name.  Work is counted, never
timed, at two sizes; after every kind of edit, reported as the watcher
reports it, the output and the diagnostics equal a clean build's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from site_builder import anchorstate, build, sourcefiles
from site_builder.build import BuildCache, compile_site

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402
from test_serve_edit import _age  # noqa: E402
from test_serve_plans import _append, _counting, _replace, _served  # noqa: E402


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _work(root: Path, n: int, monkeypatch, edit) -> dict:
    """The work of one rebuild after ``edit(root)`` (which returns the paths it changed) on a warm cache."""
    generate(root, n, words=300, entities=60, per_doc=10)
    _age(root)
    cache = BuildCache()
    assert compile_site(root, cache=cache, defer=True, workers=1).ok
    assert compile_site(root, cache=cache, defer=True, workers=1).ok
    changed = edit(root)
    _age(root)  # only the report can tell the loader what changed
    cache.files.expect(changed)
    counts: dict[str, int] = {}
    sizes: list[int] = []
    real_updated = anchorstate.updated

    def updated(state, annotations, *args, **kwargs):
        sizes.append(len(annotations))  # the annotation files whose records are made again
        return real_updated(state, annotations, *args, **kwargs)

    with monkeypatch.context() as m:
        for module, name in ((anchorstate, "formers"), (anchorstate, "reproduces"), (build, "_same_document"),
                             (sourcefiles, "scan")):
            _counting(m, module, name, counts)
        m.setattr(anchorstate, "updated", updated)
        result = compile_site(root, cache=cache, defer=True, workers=1)
    assert result.ok
    assert _served(result) == compile_site(root).files
    return {"files looked up": cache.files.looked, "files stat'ed": cache.files.stats,
            "analysed": len(cache.analysed), "anchor files": sizes, **counts}


def _edit_document(root: Path) -> set[str]:
    doc = sorted((root / "content/documents").glob("*.md"))[len(list((root / "content/documents").glob("*.md"))) // 2]
    _append(doc, "A plain closing line.")
    return {_rel(root, doc)}


def _edit_annotations(root: Path) -> set[str]:
    files = sorted((root / "content/annotations").glob("*.yml"))
    path = files[len(files) // 2]
    _replace(path, "kind: note", "kind: context")
    return {_rel(root, path)}


def test_the_loader_and_the_analysis_look_only_at_the_reported_files_at_any_size(tmp_path, monkeypatch):
    for edit in (_edit_document, _edit_annotations):
        small = _work(tmp_path / f"small-{edit.__name__}", 16, monkeypatch, edit)
        large = _work(tmp_path / f"large-{edit.__name__}", 48, monkeypatch, edit)
        assert small == large, (edit.__name__, small, large)
        assert small["files stat'ed"] == 1  # the reported file, nothing else
        assert small["files looked up"] == 3  # and site.yml and index.md, taken from the cache without a stat
        assert small.get("scan", 0) == 0  # the symbolic links' walk over the folders is not made again
        # One document checked (its anchor records, its inputs), and re-analysed: the touched one.
        assert small["analysed"] == small["formers"] == small["_same_document"] == 1, small
        assert small["anchor files"] == [1], small


def test_a_full_check_still_looks_at_every_file(tmp_path, monkeypatch):
    small = _work(tmp_path / "small", 16, monkeypatch, lambda root: None)  # no report: every file checked
    large = _work(tmp_path / "large", 48, monkeypatch, lambda root: None)
    assert large["files stat'ed"] - small["files stat'ed"] == 2 * 32  # each document's Markdown and annotations
    assert small["scan"] == large["scan"] == 1


def _add_alias(path: Path, alias: str) -> None:
    value = yaml.safe_load(path.read_text(encoding="utf-8"))
    value["aliases"] = [*value.get("aliases", []), alias]
    path.write_text(yaml.safe_dump(value, allow_unicode=True), encoding="utf-8")


def test_every_kind_of_reported_edit_equals_a_clean_build(tmp_path):
    generate(tmp_path, 10, words=200, entities=20, per_doc=3)
    docs = sorted((tmp_path / "content/documents").glob("*.md"))
    anns = tmp_path / "content/annotations"
    entity = sorted((tmp_path / "content/glossary").glob("*.yml"))[2]
    name = yaml.safe_load(entity.read_text(encoding="utf-8"))["name"]
    broken_doc = docs[3].read_text(encoding="utf-8")
    broken_ann = (anns / f"{docs[6].stem}.yml").read_text(encoding="utf-8")
    saved = tmp_path / "saved.yml"
    rel = lambda p: _rel(tmp_path, p)  # noqa: E731
    edits = [
        # (label, change, the paths the watcher reports, the error codes after it)
        ("a sentence", lambda: _append(docs[2], "A plain line."), {rel(docs[2])}, []),
        ("an entity named", lambda: _append(docs[4], f"{name} spoke."), {rel(docs[4])}, []),
        ("an annotation", lambda: _replace(anns / f"{docs[5].stem}.yml", "kind: note", "kind: context"),
         {rel(anns / f"{docs[5].stem}.yml")}, []),
        ("a document's front matter broken", lambda: docs[3].write_text("---\ntitle: [\n---\n\nText.\n", encoding="utf-8"),
         {rel(docs[3])}, ["unknown-document", "yaml-syntax"]),  # its annotations have no document now
        ("an edit elsewhere meanwhile", lambda: _append(docs[1], "Another line."), {rel(docs[1])},
         ["unknown-document", "yaml-syntax"]),
        ("fixed", lambda: docs[3].write_text(broken_doc, encoding="utf-8"), {rel(docs[3])}, []),
        ("an annotation file broken", lambda: (anns / f"{docs[6].stem}.yml").write_text("annotations: [\n", encoding="utf-8"),
         {rel(anns / f"{docs[6].stem}.yml")}, ["yaml-syntax"]),
        ("and fixed", lambda: (anns / f"{docs[6].stem}.yml").write_text(broken_ann, encoding="utf-8"),
         {rel(anns / f"{docs[6].stem}.yml")}, []),
        ("annotations moved away", lambda: (anns / f"{docs[7].stem}.yml").rename(saved),
         {rel(anns / f"{docs[7].stem}.yml")}, []),
        ("and back", lambda: saved.rename(anns / f"{docs[7].stem}.yml"), {rel(anns / f"{docs[7].stem}.yml")}, []),
        ("an entity's alias", lambda: _add_alias(entity, "Qwzx Alias"), {rel(entity)}, []),
        ("the alias used", lambda: _append(docs[8], "Qwzx Alias was there."), {rel(docs[8])}, []),
        ("a new document", lambda: (docs[0].parent / "zz-new.md").write_text(
            f"---\ntitle: New\n---\n\n{name} in a new document.\n", encoding="utf-8"), {rel(docs[0].parent / "zz-new.md")}, []),
        ("an edit after it", lambda: _append(docs[0].parent / "zz-new.md", "More."), {rel(docs[0].parent / "zz-new.md")}, []),
        ("it is deleted", lambda: (docs[0].parent / "zz-new.md").unlink(), {rel(docs[0].parent / "zz-new.md")}, []),
        ("a document deleted with its annotations", lambda: (docs[9].unlink(), (anns / f"{docs[9].stem}.yml").unlink()),
         {rel(docs[9]), rel(anns / f"{docs[9].stem}.yml")}, []),
        ("the site's settings", lambda: _replace(tmp_path / "content/site.yml", "title:", "allow_raw_html: true\ntitle:"),
         {"content/site.yml"}, []),
        ("a sentence after that", lambda: _append(docs[2], "A last line."), {rel(docs[2])}, []),
    ]
    _age(tmp_path)
    cache = BuildCache()
    assert compile_site(tmp_path, cache=cache, defer=True, workers=1).ok
    for label, change, reported, codes in edits:
        change()
        _age(tmp_path)  # every file looks old: what the loader sees of the edit is the report alone
        cache.files.expect(reported)
        result = compile_site(tmp_path, cache=cache, defer=True, workers=1)
        clean = compile_site(tmp_path)
        mine = [d.format() for d in result.diagnostics.sorted()]
        assert mine == [d.format() for d in clean.diagnostics.sorted()], label
        assert sorted({d.code for d in result.diagnostics.sorted() if d.severity.value == "error"}) == codes, (label, mine)
        assert result.ok == clean.ok == (not codes), label
        if result.ok:
            assert _served(result) == clean.files, label
        assert cache.files.stats <= len(reported) + 2, (label, cache.files.stats)  # and the folders' own files


def test_the_link_checker_keeps_its_targets_and_still_finds_every_broken_link(tmp_path, monkeypatch):
    from site_builder import links

    generate(tmp_path, 8, words=200, entities=20, per_doc=2)
    docs = sorted((tmp_path / "content/documents").glob("*.md"))
    rel = lambda p: _rel(tmp_path, p)  # noqa: E731
    edits = [
        # (label, change, reported, broken links expected, whether the last targets can be kept)
        ("a link to another document", lambda: _append(docs[1], f"See [the next one]({docs[2].stem}.html)."),
         {rel(docs[1])}, 0, True),
        ("a link to an id that is not there", lambda: _append(docs[2], f"See [it]({docs[3].stem}.html#sec-nowhere)."),
         {rel(docs[2])}, 1, True),
        ("the id made on that page", lambda: _append(docs[3], "## Nowhere\n\nA section."), {rel(docs[3])}, 0, True),
        ("and taken away", lambda: _replace(docs[3], "## Nowhere", "## Somewhere"), {rel(docs[3])}, 1, True),
        ("a link to its annotations page", lambda: _append(docs[4], f"[Notes](../annotations/documents/{docs[5].stem}.html)."),
         {rel(docs[4])}, 1, True),
        ("that document loses its annotations", lambda: (tmp_path / f"content/annotations/{docs[5].stem}.yml").write_text(
            "annotations: []\n", encoding="utf-8"), {f"content/annotations/{docs[5].stem}.yml"}, 2, True),
        ("the linked document is deleted", lambda: docs[2].unlink(), {rel(docs[2])}, None, False),
    ]
    _age(tmp_path)
    cache = BuildCache()
    compile_site(tmp_path, cache=cache, defer=True, workers=1)
    made = []
    real = links.site_targets
    monkeypatch.setattr(links, "site_targets", lambda *a, **k: made.append(1) or real(*a, **k))
    for label, change, reported, broken, kept in edits:
        change()
        _age(tmp_path)
        cache.files.expect(reported)
        made.clear()
        result = compile_site(tmp_path, cache=cache, defer=True, workers=1)
        assert (not made) == kept, label
        clean = compile_site(tmp_path)
        mine = [d.format() for d in result.diagnostics.sorted()]
        assert mine == [d.format() for d in clean.diagnostics.sorted()], label
        if broken is not None:
            assert sum(d.code == links.CODE for d in result.diagnostics.sorted()) == broken, (label, mine)


def test_lost_events_make_the_next_rebuild_check_every_file(tmp_path):
    """watchdog reports an overflowed queue as an ``events_lost`` event: the edits it lost are built."""
    import types

    from site_builder.serve.rebuild import Builder
    from site_builder.serve.reload import Events
    from site_builder.serve.watch import Watcher

    generate(tmp_path, 6, words=200, entities=20, per_doc=2)
    _age(tmp_path)
    builder = Builder(tmp_path, tmp_path / "output", Events(), log=lambda line: None)
    watcher = Watcher(tmp_path, builder.notify, builder.lost)
    builder.start()
    try:
        first = builder.build_now(initial=True)
        builder.publish(first)
        docs = sorted((tmp_path / "content/documents").glob("*.md"))
        _append(docs[3], "A first line.")  # the first rebuild checks every file anyway
        watcher.event(types.SimpleNamespace(event_type="modified", is_directory=False, src_path=str(docs[3])))
        assert builder.wait_idle(60)
        _append(docs[1], "A line whose event was lost.")
        _age(tmp_path)  # it looks old: only a full check finds it
        _append(docs[2], "A reported line.")
        watcher.event(types.SimpleNamespace(event_type="modified", is_directory=False, src_path=str(docs[2])))
        assert builder.wait_idle(60)
        served = lambda doc: (tmp_path / "output" / f"documents/{doc.stem}.html").read_bytes()  # noqa: E731
        assert b"A reported line." in served(docs[2])
        assert b"A line whose event was lost." not in served(docs[1])  # only the reported file was looked at
        watcher.event(types.SimpleNamespace(event_type="events_lost", is_directory=True, src_path=str(tmp_path)))
        assert builder.wait_idle(60)
        assert builder.cache.files.stats > len(docs)  # every file checked
        assert b"A line whose event was lost." in served(docs[1])
    finally:
        builder.stop()
