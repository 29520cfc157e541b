"""exports.single_file and `site-builder export --single-file`: one self-contained HTML file."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from site_builder import exports, publish, urls
from site_builder.urls import OutPath
from test_publish_support import ROOT, chromium, full_files, project_copy, run_cli  # noqa: F401


class _Doc(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.external: list[tuple[str, str, str]] = []  # resources loaded from elsewhere
        self.styles = 0
        self.scripts = 0
        self.sections: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "link" and a.get("href"):
            self.external.append((tag, "href", a["href"]))
        if tag in ("script", "img", "iframe", "source", "audio", "video") and a.get("src") \
                and not a["src"].startswith("data:"):
            self.external.append((tag, "src", a["src"]))
        if tag == "style":
            self.styles += 1
        if tag == "script":
            self.scripts += 1
        if tag == "section" and "sf-page" in (a.get("class") or ""):
            self.sections.append(a.get("id"))


@pytest.fixture(scope="module")
def site():
    return full_files(ROOT).files


@pytest.fixture(scope="module")
def single(site):
    return exports.single_file(site)


def parse(data: bytes) -> _Doc:
    d = _Doc()
    d.feed(data.decode("utf-8"))
    d.close()
    return d


def test_holds_overview_documents_glossary_and_annotation_index(site, single):
    doc = parse(single)
    pages = exports.bundle_pages(site)
    assert doc.sections == [exports.page_key(p) for p in pages]
    assert doc.sections[0] == "overview"
    assert "glossary" in doc.sections and doc.sections[-2:] == ["graph", "search"]
    # the annotation index, then each document's annotation page
    at = doc.sections.index("annotations")
    assert doc.sections[at + 1:-2] == [f"annotations-{p.path[10:-5]}" for p in pages if p.path.startswith("documents/")]
    docs = [p for p in site if p.path.startswith("documents/") and p.path.endswith(".html")]
    entities = [p for p in site if p.path.startswith("glossary/") and p != urls.GLOSSARY_INDEX]
    assert {f"doc-{p.path[10:-5]}" for p in docs} <= set(doc.sections)
    assert {f"entity-{p.path[9:-5]}" for p in entities} <= set(doc.sections)
    assert "404" not in single.decode()[:0] and "page-404" not in doc.sections
    # every annotation of every document is in the file, with its anchor
    text = single.decode("utf-8")
    for p in docs:
        slug = p.path[10:-5]
        for note_id in re.findall(r'id="ann-([^"]+)"', site[p].decode()):
            assert f'id="doc-{slug}__ann-{note_id}"' in text


def test_ids_are_unique_and_every_internal_link_is_an_in_file_anchor(single):
    doc = parse(single)
    assert len(doc.ids) == len(set(doc.ids))
    ids = set(doc.ids)
    for href in doc.hrefs:
        if href.startswith(("http://", "https://", "mailto:")):
            continue
        assert href.startswith("#"), f"not an in-file link: {href}"
        assert href[1:] in ids, f"dangling anchor: {href}"


def test_nothing_is_loaded_from_beside_the_file(single):
    doc = parse(single)
    assert doc.external == [], doc.external
    assert doc.styles == 1  # all CSS in one <style>
    text = single.decode("utf-8")
    # CSS url()s point at data: URIs or other sites, never at files beside the export
    for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", text):
        assert ref.startswith(("data:", "http://", "https://", "#")), ref


def test_each_asset_is_inlined_once(site, single):
    text = single.decode("utf-8")
    for asset in (urls.STYLESHEET, urls.PYGMENTS_CSS, publish.PRINT_CSS):
        if asset in site:
            assert text.count(f"/* {asset.path} */") == 1, asset
    # the stylesheet's first rule appears once, not once per page
    first_rule = site[urls.STYLESHEET].decode().split("}", 1)[0]
    assert text.count(first_rule) == 1
    # the print stylesheet only applies to print
    assert "@media print {\n/* site_builder print stylesheet" in text
    # far smaller than the pages it holds plus one copy of their CSS per page (it also carries
    # the reader's scripts and data, each once)
    html_total = sum(len(d) for p, d in site.items() if p.path.endswith(".html") and p != urls.NOT_FOUND)
    scripts = sum(len(d) for p, d in site.items() if p.path.endswith(".js"))
    assert len(single) < html_total + scripts
    for script in (urls.READER_JS, urls.SEARCH_JS, urls.ENTITIES_JS, urls.THEME_JS):
        assert text.count(site[script].decode().strip().splitlines()[0]) == 1, script
    assert text.count("window.SB_SEARCH=") == 1


def test_scripts_are_inlined_once_and_data_json_left_out():
    files = {
        urls.HOME: (b'<!DOCTYPE html><html lang="en"><head><title>Site</title>'
                    b'<link rel="stylesheet" href="assets/a.css"><script src="assets/early.js"></script>'
                    b'<script src="assets/late.js" defer></script>'
                    b'<script type="application/ld+json">{"@type": "WebSite"}</script></head>'
                    b'<body><main><p id="x">Hi <a href="documents/d.html#p">doc</a> <img src="assets/i.png"></p>'
                    b'<a href="feed.xml" type="application/atom+xml" rel="alternate">feed</a></main></body></html>'),
        OutPath("documents/d.html"): (b'<html><head><title>D \xc2\xb7 Site</title><link rel="stylesheet" href="../assets/a.css">'
                                      b'<script src="../assets/late.js" defer></script></head><body><main>'
                                      b'<p id="p">P <a href="../index.html">home</a> <a href="#p">self</a>'
                                      b'<svg viewBox="0 0 1 1"><path d="M0 0" /></svg></p></main></body></html>'),
        OutPath("assets/a.css"): b"body { background: url(i.png); }",
        OutPath("assets/i.png"): b"\x89PNG fake",
        OutPath("assets/early.js"): b"window.early = 1; // </script> inside",
        OutPath("assets/late.js"): b"window.lateCount = 1; /* LATE */",
        OutPath("feed.xml"): b"<feed/>",
    }
    text = exports.single_file(files).decode("utf-8")
    assert text.count("/* LATE */") == 1 and text.count("window.early") == 1
    head, body = text.split("</head>", 1)
    assert "window.early" in head and "/* LATE */" in body
    assert "<\\/script> inside" in text
    assert "application/ld+json" not in text
    assert text.count("background: url(\"data:image/png;base64,") == 1
    assert 'src="data:image/png;base64,' in text
    assert 'href="#doc-d__p"' in text and 'href="#overview"' in text
    assert '<a>feed</a>' in text  # no page for it in the file, and no base URL: plain text
    with_base = exports.single_file(files, base_url="https://org.github.io/repo").decode()
    assert '<a href="https://org.github.io/repo/feed.xml" type="application/atom+xml" rel="alternate">feed</a>' \
        in with_base
    assert "<title>Site</title>" in text
    assert '<path d="M0 0" />' in text


def test_cli_export_single_file_is_offline_and_complete(tmp_path):
    target = tmp_path / "share" / "briefing.html"
    proc = run_cli("export", "--single-file", target, "--root", ROOT)
    assert proc.returncode == 0, proc.stderr
    assert target.is_file() and "wrote" in proc.stderr
    assert list(target.parent.iterdir()) == [target]  # nothing beside it
    doc = parse(target.read_bytes())
    assert doc.external == []
    assert doc.sections[0] == "overview"


def test_cli_export_requires_a_target_and_fails_on_content_errors(tmp_path):
    proc = run_cli("export", "--root", ROOT)
    assert proc.returncode == 2 and "--single-file" in proc.stderr
    bad = project_copy(tmp_path / "p")
    (bad / "content" / "annotations" / "xi-first-mover-ai.yml").write_text(
        "annotations:\n  - id: x\n    kind: note\n    quote: not in the text at all\n    body: b\n", encoding="utf-8")
    proc = run_cli("export", "--single-file", tmp_path / "x.html", "--root", bad)
    assert proc.returncode == 1 and "quote-not-found" in proc.stderr
    assert not (tmp_path / "x.html").exists()


# -------------------------------------------------------------- in a browser

def test_single_file_opens_from_disk_and_links_work(chromium, tmp_path, single):  # noqa: F811
    path = tmp_path / "briefing.html"
    path.write_bytes(single)

    def check(browser):
        # Without JavaScript: every page, one after the other, with in-file links.
        page = browser.new_context(java_script_enabled=False).new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(path.as_uri())
            assert page.title()
            # styles applied from the inline stylesheet
            assert page.evaluate("getComputedStyle(document.querySelector('.site-title')).fontWeight") in ("700", "bold")
            # an entity mention in a document -> that glossary entry, in the same file
            mention = page.locator("section[id^='doc-'] a.mention").first
            target = mention.get_attribute("href")
            assert target.startswith("#entity-")
            mention.click()
            assert page.evaluate("location.hash") == target
            assert page.evaluate("location.href.split('#')[0]") == path.as_uri()
            entry = page.locator(f"[id='{target[1:]}']")
            assert entry.is_visible() and entry.locator("h1").inner_text()
            # back in the document, an annotation marker -> its note
            page.go_back()
            ref = page.locator("section[id^='doc-'] sup.ann-ref a").first
            target = note_target = ref.get_attribute("href")
            assert "__ann-" in target
            ref.click()
            assert page.evaluate("location.hash") == target
            note = page.locator(f"[id='{target[1:]}']")
            assert note.is_visible()
            # and from the annotation index to a highlight in the document
            link = page.locator("section[id^='annotations-'] .note-quote a").first
            link.click()
            assert page.evaluate("location.hash").startswith("#doc-")
            assert page.locator(f"[id='{page.evaluate('location.hash.slice(1)')}']").count() == 1
            assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
            assert errors == []
        finally:
            page.close()
        # With JavaScript: one page at a time, with the site's own ids; an in-file anchor of the
        # version without scripts leads to the same place.
        page = browser.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(path.as_uri() + "#" + note_target[1:])
            page.wait_for_load_state()
            doc_key, note_id = note_target[1:].split("__")
            assert page.evaluate("location.search") == f"?p={doc_key}"
            assert page.evaluate("location.hash") == f"#{note_id}"
            assert page.locator("section.sf-page").count() == 0
            assert page.locator(f"[id='{note_id}']").is_visible()
            assert page.locator("[id*='__']").count() == 0  # the site's ids, unprefixed
            assert page.locator(".site-header nav a[aria-current=page]").count() == 0
            page.locator(".site-header nav a", has_text="Glossary").click()
            page.wait_for_load_state()
            assert page.evaluate("location.search") == "?p=glossary"
            assert page.locator(".site-header nav a[aria-current=page]").inner_text() == "Glossary"
            assert page.title().startswith("Glossary")
            assert errors == []
        finally:
            page.close()

    chromium(check)
