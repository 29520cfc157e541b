"""The home page's further pages of documents (page/2.html ...) and the annotation index's
(annotations/page/2.html ...) in the browser: valid HTML (vnu), no axe-core violations in either
theme or on a phone, and the pager leads from page to page from disk and under a sub-path, where
the search box of a further page finds the briefing's documents.

A generated briefing of seven documents is built with three documents an index page, so each
list has three pages (3 + 3 + 1)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from reader_build import compile_reader
from reader_support import AXE_JS, ROOT, VNU_JAR, format_axe, need, open_context, run_axe, run_vnu, url, watch
from site_builder import indexplans, labels
from test_search_shards_browser import _serving

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402

LISTS = [("index.html", "page/{}.html"), ("annotations/index.html", "annotations/page/{}.html")]


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory) -> Path:
    from site_builder.writer import write_site

    root = tmp_path_factory.mktemp("index-paged-project")
    generate(root, 7, words=150, entities=30, per_doc=2)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(indexplans, "DOCUMENTS_PER_INDEX_PAGE", 3)
        m.setattr(labels, "DOCUMENTS_PER_INDEX_PAGE", 3)
        files = compile_reader(root)
    out = tmp_path_factory.mktemp("index-paged-site") / "briefing"
    write_site(root, out, files)
    return out


def _pages() -> list[str]:
    return [p for first, further in LISTS for p in (first, further.format(2), further.format(3))]


def test_vnu_accepts_the_index_pages(paged_site: Path):
    java = shutil.which("java")
    need(java is not None, "java is not installed")
    need(VNU_JAR.exists(), f"{VNU_JAR} is missing (npm ci)")
    assert all((paged_site / p).exists() for p in _pages()) and not (paged_site / "page/4.html").exists()
    errors = [m for m in run_vnu(paged_site, java) if m.get("url", "").rsplit("/briefing/", 1)[-1] in _pages()]
    assert not errors, [f"{m.get('url', '').rsplit('/briefing/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
                        for m in errors[:20]]


@pytest.mark.parametrize("scheme, width, height", [("light", 1280, 800), ("dark", 1280, 800), ("light", 375, 812)])
def test_axe_and_the_pager_from_disk(reader_browser, paged_site: Path, scheme: str, width: int, height: int):
    need(AXE_JS.exists(), f"{AXE_JS} is missing (npm ci)")
    ctx = open_context(reader_browser, width, height, scheme=scheme)
    page = ctx.new_page()
    errors = watch(page)
    found = {}
    try:
        for first, further in LISTS:
            page.goto(url(paged_site, first))
            found[first] = run_axe(page)
            nav = page.locator("nav.index-pager").first
            assert nav.locator("[aria-current=page]").inner_text() == "1"
            for number in (2, 3):
                page.locator("nav.index-pager").first.get_by_role("link", name="Next").click()
                page.wait_for_url("**/" + further.format(number))
                assert page.locator("nav.index-pager [aria-current=page]").first.inner_text() == str(number)
                found[further.format(number)] = run_axe(page)
            assert page.locator("nav.index-pager").first.get_by_role("link", name="Next").count() == 0
            # The last page lists one document, and its link opens it.
            links = page.locator("main tbody th a" if first.startswith("annotations") else "main a.doc-title")
            assert links.count() == 1
            page.locator("nav.index-pager").last.get_by_role("link", name="1", exact=True).click()
            page.wait_for_url("**/" + first)
    finally:
        ctx.close()
    found = {k: v for k, v in found.items() if v}
    assert not found, format_axe(found)
    assert not errors, errors


def test_the_pages_under_a_sub_path(reader_browser, paged_site: Path):
    with _serving(paged_site) as port:
        ctx = open_context(reader_browser, 1280, 800)
        try:
            page = ctx.new_page()
            errors = watch(page)
            missing = []
            page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
            base = f"http://127.0.0.1:{port}/briefing/"
            page.goto(base + "index.html")
            page.locator("nav.index-pager").first.get_by_role("link", name="3", exact=True).click()
            page.wait_for_url(base + "page/3.html")
            page.locator("main a.doc-title").first.click()
            page.wait_for_url(base + "documents/doc-00006.html")
            page.goto(base + "annotations/page/2.html")
            page.get_by_role("link", name="the first page").click()
            page.wait_for_url(base + "annotations/index.html")
            page.goto(base + "page/2.html")
            page.locator("nav.index-pager").first.get_by_role("link", name="Previous").click()
            page.wait_for_url(base + "index.html")
            # The search box of a further page (two folders down) finds the briefing's documents.
            page.goto(base + "annotations/page/2.html")
            page.locator("#search-input").fill("Synthetic document")
            page.locator("#search-input").press("Enter")
            page.wait_for_url(base + "search.html?q=*")
            page.locator(".search-page-results a.search-hit").first.wait_for()
            hits = page.locator(".search-page-results a.search-hit").evaluate_all("l => l.map(a => a.href)")
            assert hits and all(h.startswith(base) for h in hits), hits
            assert [u for u in missing if not u.endswith("/favicon.ico")] == []
            assert not [e for e in errors if "404" not in e], errors
        finally:
            ctx.close()
