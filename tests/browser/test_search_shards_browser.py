"""The sharded search index in the browser: a query loads only the shards it needs, from
file://, under a sub-path over http and while typing in the box; the single file holds
every shard and loads none.  The site is a generated briefing built with small groups, so
it has several groups and split keys, as a large briefing has."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import sys
import threading

import pytest

from reader_support import ROOT, open_context, watch
from site_builder import exports, searchshards, urls
from site_builder.build import compile_site
from site_builder.writer import write_site

sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402

QUERY = "xi"  # under five letters: no typo variants, so exactly the shards of its prefix


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharded") / "project"
    generate(root, 30, words=300, entities=60, per_doc=6)
    mp = pytest.MonkeyPatch()
    mp.setattr(searchshards, "UNITS_PER_GROUP", 8)
    mp.setattr(searchshards, "MAX_SHARD_BYTES", 6000)
    try:
        result = compile_site(root, workers=1)
    finally:
        mp.undo()
    assert result.ok, [d.format() for d in result.diagnostics.errors]
    www = tmp_path_factory.mktemp("www")
    site = www / "briefing"
    write_site(root, site, result.files)
    return result.files, site


def manifest(files) -> dict:
    text = files[urls.SEARCH_INDEX_JS].decode("utf-8")
    return json.loads(text[len("window.SB_SEARCH="):].rstrip().rstrip(";"))


def postings_for(files, words) -> set[str]:
    """The postings shards search.js needs for ``words``: in every group, the keys that are a
    prefix of a word's key or that a word's key is a prefix of."""
    out = set()
    for g, (_, _, keys) in enumerate(manifest(files)["g"]):
        for key in keys:
            for w in words:
                full = searchshards.term_key(w, len(w))
                if full.startswith(key) or key.startswith(full):
                    out.add(f"g{g}-{key}")
    return out


def loaded(page) -> list[str]:
    return page.eval_on_selector_all("script[data-search-shard]", "els => els.map(e => e.dataset.searchShard)")


def wait_results(page):
    page.locator(".search-page-results a.search-hit").first.wait_for()
    return page.locator(".search-page-results a.search-hit").evaluate_all("l => l.map(a => a.href)")


def test_a_query_from_disk_loads_only_its_shards(reader_browser, sharded):
    files, site = sharded
    m = manifest(files)
    groups = len(m["g"])
    assert groups > 1
    all_shards = [p for p in files if p.path.startswith(urls.SEARCH_SHARDS_DIR)]
    ctx = open_context(reader_browser, 1280, 800)
    try:
        page = ctx.new_page()
        errors = watch(page)
        page.goto((site / "search.html").resolve().as_uri() + "?q=" + QUERY)
        hits = wait_results(page)
        assert hits and "result" in page.locator(".search-page .search-status").inner_text()
        names = loaded(page)
        assert len(names) == len(set(names))  # each shard loaded once
        metas = {n for n in names if n[0] == "g" and "-" not in n}
        postings = {n for n in names if n[0] == "g" and "-" in n}
        texts = {n for n in names if n[0] != "g"}
        assert metas == {f"g{g}" for g in range(groups)}
        assert postings == postings_for(files, [QUERY])
        # The text of every result shown, and of no more units than the ranking looked at.
        shown = page.locator(".search-page-results a.search-hit").count()
        assert texts and len(texts) <= 60 and shown <= 50
        assert len(names) < len(all_shards) / 2, (len(names), len(all_shards))
        assert not errors, errors
    finally:
        ctx.close()


def test_typing_in_the_box_loads_shards_as_the_words_need_them(reader_browser, sharded):
    files, site = sharded
    doc = next(p for p in sorted(files) if p.path.startswith("documents/"))
    ctx = open_context(reader_browser, 1280, 800)
    try:
        page = ctx.new_page()
        errors = watch(page)
        page.goto((site / doc.path).resolve().as_uri())
        box = page.locator("#search-input")
        box.click()
        page.wait_for_function("window.SB_SEARCH !== undefined")
        assert loaded(page) == []  # the manifest only, until a word is typed
        box.type("semiconductor", delay=20)
        page.locator("#search-panel a.search-hit").first.wait_for()
        postings = {n for n in loaded(page) if n[0] == "g" and "-" in n}
        # Each prefix typed, with its typo variants from five letters on: keys under s, e and es only.
        word = "semiconductor"
        wanted = {word[:i] for i in range(2, len(word) + 1)} | {"s", "es", "e"}
        assert postings <= postings_for(files, wanted)
        assert not any(n.split("-", 1)[1][0] not in "se" for n in postings), postings
        assert not errors, errors
    finally:
        ctx.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serving(site):
    """The site's parent folder over http, so the site is under the sub-path /<site name>/; yields the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site.parent)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def test_under_a_sub_path_over_http(reader_browser, sharded):
    files, site = sharded
    with _serving(site) as port:
        ctx = open_context(reader_browser, 1280, 800)
        try:
            page = ctx.new_page()
            errors = watch(page)
            requests, missing = [], []
            page.on("request", lambda r: requests.append(r.url))
            page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
            base = f"http://127.0.0.1:{port}/briefing/"
            page.goto(base + "search.html?q=" + QUERY)
            hits = wait_results(page)
            assert all(h.startswith(base) for h in hits)
            shard_requests = [u for u in requests if "/assets/search/" in u]
            assert shard_requests and all(u.startswith(base + "assets/search/") and "?v=" in u for u in shard_requests)
            assert [u for u in missing if not u.endswith("/favicon.ico")] == []
            assert not [e for e in errors if "404" not in e], errors
        finally:
            ctx.close()


def test_entity_popover_under_a_sub_path_over_http(reader_browser, sharded):
    """Mention links carry no data-entity: the reader derives the entity from the href, under a
    sub-path over http too."""
    files, site = sharded
    with _serving(site) as port:
        ctx = open_context(reader_browser, 1280, 800)
        try:
            page = ctx.new_page()
            errors = watch(page)
            page.goto(f"http://127.0.0.1:{port}/briefing/documents/doc-00000.html")
            link = page.locator("main a.mention").first
            assert link.get_attribute("data-entity") is None
            eid = link.get_attribute("href").removeprefix("../glossary/").removesuffix(".html")
            text = files[urls.ENTITIES_JS].decode("utf-8")
            name = json.loads(text[text.index("=") + 1:].rstrip().rstrip(";"))[eid][0]
            link.hover()
            pop = page.locator("#sb-popover")
            pop.wait_for(state="visible")
            assert name in pop.inner_text()
            assert not [e for e in errors if "404" not in e], errors  # the browser asks for /favicon.ico
        finally:
            ctx.close()


def test_the_single_file_holds_every_shard_and_loads_none(reader_browser, sharded, tmp_path):
    files, _ = sharded
    path = tmp_path / "briefing.html"
    path.write_bytes(exports.single_file(files))
    ctx = open_context(reader_browser, 1280, 800)
    try:
        page = ctx.new_page()
        errors = watch(page)
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.resolve().as_uri() + "?p=search&q=" + QUERY)
        hits = wait_results(page)
        assert hits and all(h.startswith(path.resolve().as_uri() + "?p=") for h in hits)
        assert loaded(page) == []
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
        assert not errors, errors
    finally:
        ctx.close()
