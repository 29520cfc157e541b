"""The live server plans only the pages an edit can change (site_builder/planindex.py).

Work is counted (page plans made, site-wide checks' per-document steps),
never timed; after every kind of edit the incremental output and diagnostics
equal a clean build's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from site_builder import searchshards, webannotation
from site_builder.build import BuildCache, compile_site

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402
from test_serve_edit import _age, _with  # noqa: E402


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip() + f"\n\n{line}\n", encoding="utf-8")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _served(result, later: bool = True) -> dict:
    """The files as the server has them once the build's later pages and deferred files are in."""
    return _with(result, result.later() if later and result.later is not None else {})


def _counting(monkeypatch, module, name: str, counts: dict) -> None:
    real = getattr(module, name)

    def counted(*args, **kwargs):
        counts[name] = counts.get(name, 0) + 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


def _work_of_one_edit(root: Path, n: int, monkeypatch) -> dict:
    generate(root, n, words=300, entities=60, per_doc=10)
    _age(root)
    cache = BuildCache()
    first = compile_site(root, cache=cache, defer=True, workers=1)
    assert first.ok
    pages = sum(1 for p in first.files if p.endswith(".html"))
    assert compile_site(root, cache=cache, defer=True, workers=1).ok
    doc = sorted((root / "content/documents").glob("*.md"))[n // 2]
    _append(doc, "A plain closing line.")
    cache.files.expect({doc.relative_to(root).as_posix()})
    counts: dict[str, int] = {}
    with monkeypatch.context() as m:
        _counting(m, webannotation, "collection", counts)  # a document's W3C annotation collection made
        _counting(m, searchshards, "Unit", counts)  # a search unit (and its key) made
        result = compile_site(root, cache=cache, defer=True, workers=1)
    assert result.ok
    return {"pages": pages, "planned": cache.render.planned, **counts}


def test_an_edit_plans_the_same_few_pages_however_large_the_briefing(tmp_path, monkeypatch):
    small = _work_of_one_edit(tmp_path / "small", 16, monkeypatch)
    large = _work_of_one_edit(tmp_path / "large", 48, monkeypatch)
    assert large["pages"] > small["pages"] + 60  # a page per document, its annotations page, ...
    # The five index pages, and the edited document's two pages and its two neighbours' (their pager).
    assert small["planned"] == large["planned"] == 5 + 3 * 2, (small, large)
    # One collection and one search unit: the edited document's (the overview's unit is made every time).
    assert small["collection"] == large["collection"] == 1, (small, large)
    assert small["Unit"] == large["Unit"] == 2, (small, large)


def _names(root: Path) -> list[str]:
    return [yaml.safe_load(p.read_text(encoding="utf-8"))["name"] for p in sorted((root / "content/glossary").glob("*.yml"))]


def test_every_kind_of_edit_with_kept_plans_equals_a_clean_build(tmp_path):
    generate(tmp_path, 12, words=200, entities=20, per_doc=3)
    docs = sorted((tmp_path / "content/documents").glob("*.md"))
    anns = tmp_path / "content/annotations"
    names = _names(tmp_path)
    entity = sorted((tmp_path / "content/glossary").glob("*.yml"))[3]
    first_title = yaml.safe_load(docs[5].read_text(encoding="utf-8").split("---")[1])["title"]
    saved = tmp_path / "saved.yml"
    edits = [
        # (label, change, whether the server renders the later entity pages before the next edit,
        #  whether the plans of the last build can be kept)
        ("a sentence naming an entity", lambda: _append(docs[2], f"{names[0]} and {names[1]} met."), True, True),
        ("the same, its entity pages never rendered", lambda: _append(docs[2], f"{names[0]} again."), False, True),
        ("another document, naming none of them", lambda: _append(docs[7], "A plain line."), True, True),
        ("another document, naming them", lambda: _append(docs[8], f"{names[0]} and {names[4]} once more."), True, True),
        ("a title (the neighbours' pager)", lambda: _replace(docs[5], first_title, "Edited title"), True, True),
        ("the first document", lambda: _append(docs[0], f"{names[2]} at the start."), True, True),
        ("the last document", lambda: _append(docs[-1], f"{names[2]} at the end."), True, True),
        ("an annotation's kind", lambda: _replace(anns / f"{docs[3].stem}.yml", "kind: note", "kind: context"),
         True, True),
        ("a document loses its annotations page", lambda: (anns / f"{docs[4].stem}.yml").rename(saved), True, False),
        ("and gets it back", lambda: saved.rename(anns / f"{docs[4].stem}.yml"), True, False),
        ("an entity's summary", lambda: _replace(entity, "summary: ", "summary: Edited. "), True, False),
        ("a plain line", lambda: _append(docs[9], "Nothing named here."), True, True),
        ("a new document", lambda: (docs[0].parent / "zz-new.md").write_text(
            f"---\ntitle: New\n---\n\n{names[5]} in a new document.\n", encoding="utf-8"), True, False),
        ("an edit after it", lambda: _append(docs[6], f"{names[5]} once more."), True, True),
        ("it is deleted", lambda: (docs[0].parent / "zz-new.md").unlink(), True, False),
    ]
    cache = BuildCache()
    assert compile_site(tmp_path, cache=cache, defer=True, workers=1).ok
    for label, change, later, kept in edits:
        change()
        result = compile_site(tmp_path, cache=cache, defer=True, workers=1)
        clean = compile_site(tmp_path)
        assert result.ok and clean.ok, label
        assert [d.format() for d in result.diagnostics.sorted()] == [d.format() for d in clean.diagnostics.sorted()]
        pages = sum(1 for p in clean.files if p.endswith(".html"))
        assert (cache.render.planned < pages // 2) == kept, (label, cache.render.planned, pages)
        if later:
            assert _served(result) == clean.files, label
        else:
            assert result.later is not None, label  # left as it was: the next build must see to it
    final = compile_site(tmp_path, cache=cache, workers=1)
    assert final.files == compile_site(tmp_path).files


def test_an_edit_reports_and_clears_the_site_wide_checks_as_a_clean_build_does(tmp_path):
    generate(tmp_path, 6, words=200, entities=20, per_doc=2)
    docs = sorted((tmp_path / "content/documents").glob("*.md"))
    anns = tmp_path / "content/annotations"
    ann = anns / f"{docs[1].stem}.yml"
    lonely = tmp_path / "content/glossary/zz-lonely-lab.yml"
    counterpart = "\n    counterpart:\n      quote: {exact: \"Item\"}\n"
    edits = [
        ("an entity nobody names", lambda: lonely.write_text(
            "name: Zyxwv Lonely Lab\ntype: company\nsummary: Made by the test.\n", encoding="utf-8"), ["entity-unused"]),
        ("a document names it", lambda: _append(docs[2], "Zyxwv Lonely Lab spoke."), []),
        ("and a second one", lambda: _append(docs[4], "Zyxwv Lonely Lab again."), []),
        ("the first no longer does", lambda: _replace(docs[2], "Zyxwv Lonely Lab spoke.", "Nobody spoke."), []),
        ("the second that names it is deleted", lambda: (docs[4].unlink(), (anns / f"{docs[4].stem}.yml").unlink()),
         ["entity-unused"]),
        ("a counterpart without an original", lambda: ann.write_text(
            ann.read_text(encoding="utf-8").rstrip() + counterpart, encoding="utf-8"),
         ["counterpart-without-original", "entity-unused"]),
        ("taken out again", lambda: ann.write_text(
            ann.read_text(encoding="utf-8").replace(counterpart.rstrip() + "\n", "\n"), encoding="utf-8"),
         ["entity-unused"]),
        ("a translation of nothing", lambda: _replace(docs[3], "title:", "translation_of: nowhere\ntitle:"),
         ["entity-unused", "translation-unknown"]),
        ("fixed", lambda: _replace(docs[3], "translation_of: nowhere\n", ""), ["entity-unused"]),
    ]
    cache = BuildCache()
    assert compile_site(tmp_path, cache=cache, defer=True, workers=1).ok
    for label, change, codes in edits:
        change()
        result = compile_site(tmp_path, cache=cache, defer=True, workers=1)
        clean = compile_site(tmp_path)
        mine = [d.format() for d in result.diagnostics.sorted()]
        assert mine == [d.format() for d in clean.diagnostics.sorted()], label
        assert sorted({d.code for d in result.diagnostics.sorted()}) == codes, (label, mine)
