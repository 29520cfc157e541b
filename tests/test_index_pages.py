"""The home page's list of documents and the annotation index, paged: past
DOCUMENTS_PER_INDEX_PAGE documents the rest are on page/2.html, annotations/page/2.html ...,
newest first, with prev/next and page numbers; every document is listed once; the
sitemap and the link checker know the new pages; a briefing of few documents keeps one page."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path, PurePosixPath

import pytest

from builder_support import ROOT
from site_builder import indexplans, labels
from site_builder.build import BuildCache, compile_site

sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402
from test_entity_pages import _resolve  # noqa: E402

PER_PAGE = 3
DOCUMENTS = 8  # three home pages: 3 + 3 + 2


@pytest.fixture
def small_pages(monkeypatch):
    """Index pages of PER_PAGE documents (the page plans and the link checker read their own names)."""
    monkeypatch.setattr(indexplans, "DOCUMENTS_PER_INDEX_PAGE", PER_PAGE)
    monkeypatch.setattr(labels, "DOCUMENTS_PER_INDEX_PAGE", PER_PAGE)


def _dated(root: Path) -> dict[str, str]:
    """Gives the generated documents dates out of file-name order (two undated, two on one day);
    returns slug -> date."""
    dates = ["2024-03-01", "", "2025-01-15", "2024-11", "2025-01-15", "", "2023", "2025-06-30"]
    out = {}
    for path, date in zip(sorted((root / "content/documents").glob("*.md")), dates):
        if date:
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("\ntags:", f'\ndate: "{date}"\ntags:', 1), encoding="utf-8")
        out[path.stem] = date
    return out


def _html(files: dict) -> dict[str, str]:
    return {k.path: v.decode("utf-8") for k, v in files.items() if k.path.endswith(".html")}


def _nav(html: str) -> list[str]:
    return re.findall(r'<nav class="entity-pager index-pager".*?</nav>', html, re.S)


def _listed(page: str, html: str, pattern: str) -> list[str]:
    return [PurePosixPath(_resolve(page, href)).stem for href in re.findall(pattern, html)]


HOME_DOC = r'<a class="doc-title" href="([^"]+)"'
INDEX_ROW = r'<tr><th scope="row"><a href="([^"]+)"'


@pytest.mark.parametrize("first, further, pattern", [
    ("index.html", "page/{}.html", HOME_DOC),
    ("annotations/index.html", "annotations/page/{}.html", INDEX_ROW),
])
def test_index_pages_list_every_document_once_newest_first(tmp_path, small_pages, first, further, pattern):
    generate(tmp_path, DOCUMENTS, words=200, entities=30, per_doc=2)
    dates = _dated(tmp_path)
    (tmp_path / "content/site.yml").write_text(
        (tmp_path / "content/site.yml").read_text(encoding="utf-8") + 'base_url: "https://example.org/b/"\n',
        encoding="utf-8")
    compiled = compile_site(tmp_path, workers=1)
    assert compiled.ok, [d.format() for d in compiled.diagnostics.errors]
    html = _html(compiled.files)
    paths = [first] + [further.format(n) for n in (2, 3)]
    assert all(p in html for p in paths) and further.format(4) not in html

    seen = []
    for number, path in enumerate(paths, 1):
        page = html[path]
        listed = _listed(path, page, pattern)
        assert len(listed) == (PER_PAGE if number < 3 else DOCUMENTS - 2 * PER_PAGE), (path, listed)
        seen += listed
        navs = _nav(page)
        assert len(navs) == 2, path  # above and below the list
        top = navs[0]
        first_n = (number - 1) * PER_PAGE + 1
        assert f"Documents {first_n}–{first_n + len(listed) - 1} of {DOCUMENTS}" in top
        assert f"(page {number} of 3)" in top
        assert f'<span aria-current="page">{number}</span>' in top
        # Every page number is a link to that page; previous and next are rel=prev/next, also in the head.
        numbered = re.findall(r'<li><a href="([^"]+)">(\d+)</a></li>', top)
        assert sorted(int(n) for _, n in numbered) == [n for n in (1, 2, 3) if n != number]
        for href, other in numbered:
            assert _resolve(path, href) == paths[int(other) - 1], (path, href)
        for rel, target in (("prev", number - 1), ("next", number + 1)):
            found = re.findall(rf'<a href="([^"]+)" rel="{rel}">', top)
            head = re.findall(rf'<link rel="{rel}" href="([^"]+)">', page)
            if 1 <= target <= 3:
                assert [_resolve(path, h) for h in found + head] == [paths[target - 1]] * 2, (path, rel)
            else:
                assert not found and not head, (path, rel)
        if number > 1:  # a further page: its own title, the counts only on the first
            assert f"(page {number} of 3) · " in re.search(r"<title>(.*?)</title>", page).group(1)
            assert 'id="kind-' not in page and "Key takeaways" not in page
    # Every document exactly once, newest first; undated last, in file-name order; a day's in file order.
    order = sorted(dates, key=lambda s: ((dates[s] + "-01-01")[:10] if dates[s] else ""), reverse=True)
    assert seen == order
    assert order[:3] == ["doc-00007", "doc-00002", "doc-00004"] and order[-2:] == ["doc-00001", "doc-00005"]

    sitemap = compiled.files[next(k for k in compiled.files if k.path == "sitemap.xml")].decode("utf-8")
    for path in paths[1:]:
        assert f"<loc>https://example.org/b/{path}</loc>" in sitemap
        assert 'rel="canonical" href="https://example.org/b/' + path + '"' in html[path]


def test_a_briefing_of_few_documents_keeps_one_index_page(tmp_path):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    compiled = compile_site(tmp_path, workers=1)
    assert compiled.ok
    html = _html(compiled.files)
    assert not any(p.startswith(("page/", "annotations/page/")) for p in html)
    for path in ("index.html", "annotations/index.html"):
        assert "index-pager" not in html[path] and 'rel="next"' not in html[path]


def test_serve_edits_re_render_only_the_index_pages_they_change(tmp_path, small_pages):
    """A document edit re-renders the front page (its counts) and the page listing it, not the other
    further pages; removing documents removes the pages they no longer fill."""
    generate(tmp_path, DOCUMENTS, words=200, entities=30, per_doc=2)
    cache = BuildCache()
    assert compile_site(tmp_path, cache=cache, workers=1).ok
    doc = tmp_path / "content/documents/doc-00004.md"  # undated: file order, so on page/2.html
    doc.write_text(doc.read_text(encoding="utf-8").replace("Synthetic document 4", "Edited document 4"),
                   encoding="utf-8")
    again = compile_site(tmp_path, cache=cache, workers=1)
    assert again.ok
    rendered = {p.path for p in cache.render.rendered}
    assert {"page/2.html", "annotations/page/2.html"} <= rendered
    assert not rendered & {"page/3.html", "annotations/page/3.html"}
    assert "Edited document 4" in _html(again.files)["page/2.html"]
    for n in (5, 6, 7):
        (tmp_path / f"content/documents/doc-0000{n}.md").unlink()
        (tmp_path / f"content/annotations/doc-0000{n}.yml").unlink()
    fewer = compile_site(tmp_path, cache=cache, workers=1)
    assert fewer.ok
    html = _html(fewer.files)
    assert "page/2.html" in html and "page/3.html" not in html and "annotations/page/3.html" not in html
    assert "(page 2 of 2)" in html["page/2.html"]


def test_serve_edits_remake_one_feed_entry_and_no_sitemap(tmp_path, monkeypatch):
    """With the site's address known, an edit of one document makes its feed entry again and
    reuses the sitemap (the same pages) and every other entry; the files equal a clean build's."""
    from site_builder import feeds

    generate(tmp_path, 5, words=150, entities=30, per_doc=2)
    site = tmp_path / "content/site.yml"
    site.write_text(site.read_text(encoding="utf-8") + 'base_url: "https://example.org/b/"\n', encoding="utf-8")
    calls = {"entry": 0, "sitemap": 0}
    entry, sitemap = feeds._feed_entry, feeds.sitemap_xml

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(feeds, "_feed_entry", counted("entry", entry))
    monkeypatch.setattr(feeds, "sitemap_xml", counted("sitemap", sitemap))
    cache = BuildCache()
    assert compile_site(tmp_path, cache=cache, workers=1).ok
    assert calls == {"entry": 5, "sitemap": 1}
    doc = tmp_path / "content/documents/doc-00003.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("Generated for benchmarks.", "An edited summary & more."),
                   encoding="utf-8")
    calls.update(entry=0, sitemap=0)
    edited = compile_site(tmp_path, cache=cache, workers=1)
    assert edited.ok and calls == {"entry": 1, "sitemap": 0}
    clean = compile_site(tmp_path, workers=1)
    for name in ("feed.xml", "sitemap.xml"):
        assert edited.files[_path(edited.files, name)] == clean.files[_path(clean.files, name)], name
    assert b"An edited summary &amp; more." in edited.files[_path(edited.files, "feed.xml")]
    (tmp_path / "content/documents/doc-00004.md").unlink()
    (tmp_path / "content/annotations/doc-00004.yml").unlink()
    calls.update(entry=0, sitemap=0)
    fewer = compile_site(tmp_path, cache=cache, workers=1)
    assert fewer.ok and calls == {"entry": 0, "sitemap": 1}
    feed = fewer.files[_path(fewer.files, "feed.xml")]
    assert feed == compile_site(tmp_path, workers=1).files[_path(fewer.files, "feed.xml")]
    assert feed.count(b"<entry>") == 4 and b"doc-00004" not in feed


def _path(files: dict, name: str):
    return next(k for k in files if k.path == name)
