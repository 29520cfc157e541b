"""The search results page (search.html?q=...): a shareable address, loaded cold, on the
built site, the unpacked zip and the single file; the box's "All results" and Enter lead
there; it works from file:// and under a sub-path over http; axe finds nothing with
results shown, in both themes."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from reader_support import AXE_JS, format_axe, need, open_context, run_axe, watch


def results(page):
    hits = page.locator(".search-page-results a.search-hit")
    hits.first.wait_for()
    return hits


@pytest.mark.parametrize("query, first", [("politburo", "glossary/political-bureau.html"),
                                          ("deep seek", "glossary/deepseek.html"),
                                          ("semiconductr", "")])
def test_results_page_from_a_cold_load(desktop, target, query, first):
    page = desktop
    page.goto(target.url("search.html", query="q=" + query.replace(" ", "+")))
    hits = results(page)
    assert page.locator("#search-page-input").input_value() == query
    hrefs = hits.evaluate_all("l => l.map(a => a.href)")
    assert all(target.page_of(h) for h in hrefs), hrefs  # every result is a page of this form of the reader
    if first:
        assert target.page_of(hrefs[0]) == first, hrefs[:3]
    status = page.locator(".search-page .search-status").inner_text()
    assert "result" in status
    if query != "deep seek":  # "seek" alone is in no text: the others match only "deep"
        assert "some of the words" not in status
    assert page.title().startswith(f"Search: {query}")
    assert not page.errors


def test_editing_the_query_updates_the_address(desktop, target):
    page = desktop
    page.goto(target.url("search.html"))
    page.locator("#search-page-input").fill("export controls")
    results(page)
    page.wait_for_function("new URLSearchParams(location.search).get('q') === 'export controls'")
    shared = page.url
    page.goto("about:blank")
    page.goto(shared)  # the address shows the same search
    hits = results(page)
    assert page.locator("#search-page-input").input_value() == "export controls"
    assert hits.count() > 0


def test_all_results_and_enter_lead_to_the_results_page(desktop, target):
    page = desktop
    page.goto(target.url("index.html"))
    page.fill("#search-input", "deepseek")
    page.locator("#search-panel a.search-hit").first.wait_for()
    all_link = page.locator("#search-panel a.search-all")
    assert all_link.is_visible()
    with page.expect_navigation():
        all_link.click()
    assert target.page_of(page.url) == "search.html"
    assert parse_qs(urlsplit(page.url).query)["q"] == ["deepseek"]
    assert target.page_of(results(page).first.evaluate("a => a.href")) == "glossary/deepseek.html"
    # Enter in the header's box, on any page.
    page.goto(target.url("glossary/index.html"))
    page.fill("#search-input", "global south")
    with page.expect_navigation():
        page.press("#search-input", "Enter")
    assert target.page_of(page.url) == "search.html"
    assert page.locator("#search-page-input").input_value() == "global south"
    results(page)
    assert not page.errors


def test_a_result_leads_to_its_target(desktop, target):
    """Links made by the script (results) land on their target, in-file for the single file."""
    page = desktop
    page.goto(target.url("search.html", query="q=first-mover"))
    hits = results(page)
    note = page.locator(".search-page-results a.search-hit-a").first
    href = note.evaluate("a => a.href")
    doc, fragment = target.page_of(href), target.fragment_of(href)
    assert doc.startswith("documents/") and fragment.startswith("ann-"), href
    with page.expect_navigation():
        note.click()
    assert target.page_of(page.url) == doc
    assert page.evaluate("decodeURIComponent(location.hash.slice(1))") == fragment
    assert page.locator(f"[id='{fragment}']").count() == 1
    assert hits is not None and not page.errors


def test_results_page_under_a_sub_path_over_http(reader_browser, reader_site, tmp_path):
    served = tmp_path / "www"
    shutil.copytree(reader_site, served / "repo")
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ctx = open_context(reader_browser)
    try:
        page = ctx.new_page()
        errors = watch(page)
        missing: list[str] = []
        page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
        base = f"http://127.0.0.1:{server.server_address[1]}/repo/"
        page.goto(base + "documents/" + next(p.name for p in (reader_site / "documents").glob("*.html")))
        page.fill("#search-input", "politburo")
        page.locator("#search-panel a.search-hit").first.wait_for()
        with page.expect_navigation():
            page.press("#search-input", "Enter")
        assert page.url == base + "search.html?q=politburo"
        first = results(page).first.evaluate("a => a.href")
        assert first == base + "glossary/political-bureau.html"
        missing = [u for u in missing if not u.endswith("/favicon.ico")]  # the browser asks for one; sites may have none
        assert not missing, missing
        assert not [e for e in errors if not e.startswith("Failed to load resource")], errors
    finally:
        ctx.close()
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
def test_axe_on_the_results_page(reader_browser, reader_site, scheme, width):
    need(AXE_JS.exists(), f"{AXE_JS} is missing (npm ci)")
    ctx = open_context(reader_browser, width, 800, scheme)
    try:
        page = ctx.new_page()
        page.goto((reader_site / "search.html").resolve().as_uri() + "?q=deepseek")
        results(page)
        found = {"search.html?q=deepseek": run_axe(page)}
        sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert sizes[0] <= sizes[1], sizes
    finally:
        ctx.close()
    found = {k: v for k, v in found.items() if v}
    assert not found, format_axe(found)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_on_the_exports(reader_browser, target, reader_pages, scheme):
    """The zip and the single file are as accessible as the site (the overview, a document with a
    popover open, the graph and the results page)."""
    need(AXE_JS.exists(), f"{AXE_JS} is missing (npm ci)")
    doc = next(p for p in reader_pages if p.startswith("documents/"))
    ctx = open_context(reader_browser, 1280, 800, scheme)
    found = {}
    try:
        page = ctx.new_page()
        errors = watch(page)
        for path, query in (("index.html", ""), (doc, ""), ("graph.html", ""), ("search.html", "q=deepseek")):
            page.goto(target.url(path, query=query))
            if query:
                results(page)
            if path == doc:
                page.locator("a.mention").first.focus()
                page.wait_for_selector("#sb-popover:not([hidden])")
            found[path] = run_axe(page)
        assert not errors, errors
    finally:
        ctx.close()
    found = {k: v for k, v in found.items() if v}
    assert not found, format_axe(found)
