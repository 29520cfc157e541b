"""Entity pages paged by documents: an entity named in many documents gets further pages
(glossary/<id>/2.html, ...), each with the mentions and annotations of the next documents,
so no entity page grows with the briefing; nothing is dropped on the way."""

from __future__ import annotations

import re
import sys
from pathlib import Path, PurePosixPath

from site_builder import pageviews
from site_builder.build import compile_site

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402

PER_PAGE = 3


def _pages(files: dict, eid: str) -> list[tuple[str, str]]:
    """The entity's pages in order: (path, html)."""
    by_path = {k.path: v.decode("utf-8") for k, v in files.items() if k.path.endswith(".html")}
    out = [(f"glossary/{eid}.html", by_path[f"glossary/{eid}.html"])]
    n = 2
    while f"glossary/{eid}/{n}.html" in by_path:
        out.append((f"glossary/{eid}/{n}.html", by_path[f"glossary/{eid}/{n}.html"]))
        n += 1
    return out


def _resolve(page: str, href: str) -> str:
    parts: list[str] = []
    for part in (PurePosixPath(page).parent / href.split("#", 1)[0]).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def test_an_entity_in_many_documents_is_paged_and_nothing_is_lost(tmp_path, monkeypatch):
    generate(tmp_path, 8, words=300, entities=40, per_doc=4)
    whole = compile_site(tmp_path, workers=1)
    assert whole.ok
    monkeypatch.setattr(pageviews, "DOCUMENTS_PER_ENTITY_PAGE", PER_PAGE)
    paged = compile_site(tmp_path, workers=1)
    assert paged.ok, [d.format() for d in paged.diagnostics.errors]
    names = {k.path for k in paged.files}

    (one_path, one), = _pages(whole.files, "xi-jinping")
    pages = _pages(paged.files, "xi-jinping")
    docs = re.findall(r"<h3><a href=\"\.\./documents/([^\"]+)\"", one)
    assert len(docs) > 2 * PER_PAGE  # the generator names Xi Jinping in every document
    assert len(pages) == -(-len(docs) // PER_PAGE)

    seen_docs, seen_cards = [], []
    for number, (path, html) in enumerate(pages, 1):
        # Each page: its documents' groups, the totals over all pages, and a pager.
        groups = re.findall(r"<h3><a href=\"(?:\.\./)+documents/([^\"]+)\"", html)
        assert 0 < len(groups) <= PER_PAGE
        seen_docs += groups
        seen_cards += re.findall(r"<article class=\"note-card.*?</article>", html, re.S)
        assert re.search(r'id="mentions-h">Mentions <span class="muted">\((\d+)\)', html).group(1) == \
            re.search(r'id="mentions-h">Mentions <span class="muted">\((\d+)\)', one).group(1)
        assert f"(page {number} of {len(pages)})" in html
        first = (number - 1) * PER_PAGE + 1
        assert f"Documents {first}–{first + len(groups) - 1} of {len(docs)}" in html
        assert ('rel="prev"' in html) == (number > 1) and ('rel="next"' in html) == (number < len(pages))
        # Every relative link of the page lands on a file of the build.
        for href in re.findall(r'(?:href|src)="([^"#:]+)(?:#[^"]*)?"', html):
            assert _resolve(path, href) in names, (path, href)
        # The description and relations are on the first page only.
        assert ('id="related-h"' in html) == (number == 1)
    assert seen_docs == docs  # every document once, in order
    # Every annotation card of the single page is on exactly one of the pages (links one folder deeper).
    flat = [re.sub(r'href="(\.\./)+', 'href="', c) for c in seen_cards]
    assert sorted(flat) == sorted(re.sub(r'href="(\.\./)+', 'href="', c)
                                  for c in re.findall(r"<article class=\"note-card.*?</article>", one, re.S))


def test_an_entity_in_few_documents_has_one_page_without_a_pager(tmp_path):
    generate(tmp_path, 3, words=200, entities=40, per_doc=2)
    result = compile_site(tmp_path, workers=1)
    assert result.ok
    assert not any(k.path.startswith("glossary/xi-jinping/") for k in result.files)
    assert "entity-pager" not in result.files[next(k for k in result.files if k.path == "glossary/xi-jinping.html")].decode()


def test_a_rebuild_with_the_cache_pages_as_a_clean_build_does(tmp_path, monkeypatch):
    """The page count follows the documents an entity is in, through the incremental entity state."""
    from site_builder.build import BuildCache

    generate(tmp_path, 5, words=300, entities=40, per_doc=3)
    monkeypatch.setattr(pageviews, "DOCUMENTS_PER_ENTITY_PAGE", 2)
    cache = BuildCache()
    first = compile_site(tmp_path, cache=cache, workers=1)
    assert first.ok and len(_pages(first.files, "xi-jinping")) == 3
    docs = sorted((tmp_path / "content/documents").glob("*.md"))
    # Two documents leave (one page fewer), then come back under new names (one page more).
    gone = [(d, d.read_text(encoding="utf-8")) for d in docs[:2]]
    notes = [tmp_path / f"content/annotations/{d.stem}.yml" for d, _ in gone]
    kept = {n: n.read_text(encoding="utf-8") for n in notes if n.exists()}
    for d, _ in gone:
        d.unlink()
    for n in kept:
        n.unlink()
    for step in ("removed", "added"):
        if step == "added":
            for i, (_, text) in enumerate(gone):
                (tmp_path / f"content/documents/zz-new-{i}.md").write_text(text, encoding="utf-8")
        cached = compile_site(tmp_path, cache=cache, workers=1)
        clean = compile_site(tmp_path, workers=1)
        assert cached.ok and clean.ok, [d.format() for d in cached.diagnostics.errors]
        assert cached.files == clean.files, step
        expect = 2 if step == "removed" else 3
        assert len(_pages(clean.files, "xi-jinping")) == expect, step


def test_an_edit_that_adds_a_page_rebuilds_as_a_clean_build_does(tmp_path, monkeypatch):
    """The same documents, one edited to name an entity: the entity state is updated, not gathered again."""
    import yaml

    from site_builder.build import BuildCache

    generate(tmp_path, 5, words=300, entities=40, per_doc=3)
    monkeypatch.setattr(pageviews, "DOCUMENTS_PER_ENTITY_PAGE", 2)
    cache = BuildCache()
    first = compile_site(tmp_path, cache=cache, workers=1)
    assert first.ok
    by_path = {k.path: v.decode("utf-8") for k, v in first.files.items()}
    docs = sorted((tmp_path / "content/documents").glob("*.md"))
    for entry in sorted((tmp_path / "content/glossary").glob("*.yml")):
        eid = entry.stem
        named = {d.stem for d in docs if f'href="../glossary/{eid}.html"' in by_path[f"documents/{d.stem}.html"]}
        if len(named) in (2, 4) and len(_pages(first.files, eid)) == len(named) // 2:
            break
    else:
        raise AssertionError("no entity named in two or four documents")
    name = yaml.safe_load(entry.read_text(encoding="utf-8"))["name"]
    other = next(d for d in docs if d.stem not in named)
    other.write_text(other.read_text(encoding="utf-8") + f"\n{name} said so.\n", encoding="utf-8")
    cached = compile_site(tmp_path, cache=cache, workers=1)
    clean = compile_site(tmp_path, workers=1)
    assert cached.ok and clean.ok
    assert len(_pages(clean.files, eid)) == len(named) // 2 + 1
    assert cached.files == clean.files


# ------------------------------------------------------------ note cards reused

def _example(tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "anchors.lock.json", tmp_path / "anchors.lock.json")
    return tmp_path


def test_note_cards_are_rendered_once_and_reused_with_the_same_bytes(tmp_path, monkeypatch):
    from site_builder import templating

    root = _example(tmp_path)
    envs = []
    make = templating.make_environment
    monkeypatch.setattr(templating, "make_environment", lambda folder: envs.append(make(folder)) or envs[-1])
    reused = compile_site(root, workers=1)
    assert reused.ok
    cards = sum(v.count(b'<article class="note-card') for k, v in reused.files.items() if k.path.startswith("glossary/"))
    assert 0 < len(envs[-1].site_builder_reused) < cards  # the example's notes name several entities each
    monkeypatch.setattr(templating, "_REUSABLE", set())
    assert compile_site(root, workers=1).files == reused.files


def test_a_project_note_card_is_called_for_every_page(tmp_path):
    from site_builder.labels import PACKAGE_TEMPLATES

    root = _example(tmp_path)
    macros = (PACKAGE_TEMPLATES / "_macros.html").read_text(encoding="utf-8")
    head = '<article class="note-card note-{{ note.kind }}"{{ lang_attr(note.lang) }}>'
    assert head in macros
    (root / "templates").mkdir()
    (root / "templates/_macros.html").write_text(
        macros.replace(head, head + '<span class="on">{{ page.path }}</span>'), encoding="utf-8")
    result = compile_site(root, workers=1)
    assert result.ok
    for path, data in result.files.items():
        if path.path.startswith("glossary/") and b"note-card" in data:
            shown = set(re.findall(r'<span class="on">([^<]+)</span>', data.decode("utf-8")))
            assert shown == {path.path}, path


def test_further_pages_share_the_entity_card(tmp_path, monkeypatch):
    """An entity's further pages draw no card of their own: their og:image is the entity's card."""
    generate(tmp_path, 8, words=300, entities=40, per_doc=4)
    site = tmp_path / "content" / "site.yml"
    site.write_text(site.read_text(encoding="utf-8") + "\nbase_url: https://example.org/briefing/\n",
                    encoding="utf-8")
    monkeypatch.setattr(pageviews, "DOCUMENTS_PER_ENTITY_PAGE", PER_PAGE)
    built = compile_site(tmp_path, workers=1)
    assert built.ok, [d.format() for d in built.diagnostics.errors]
    names = {k.path for k in built.files}
    pages = _pages(built.files, "xi-jinping")
    assert len(pages) > 1
    assert "cards/glossary/xi-jinping.png" in names
    assert not any(n.startswith("cards/glossary/xi-jinping/") for n in names)
    for _, html in pages:
        assert '<meta property="og:image" content="https://example.org/briefing/cards/glossary/xi-jinping.png">' \
            in html
