"""The single-file export is self-contained or fails: remote images, fonts, stylesheets and
scripts are inlined with --fetch-remote (from a local server here) or reported with their position."""

from __future__ import annotations

import base64
import functools
import http.server
import threading
from pathlib import Path

import pytest

from builder_support import assert_no_traceback, error_lines, make_project, run_cli
from site_builder import remote
from test_publish_support import chromium  # noqa: F401

PACKAGE = Path(__file__).resolve().parents[1] / "site_builder" / "templates"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture
def server(tmp_path):
    """A local HTTP server (127.0.0.1) with an image, a stylesheet that loads a font, and a script."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "chart.png").write_bytes(PNG)
    (root / "bg.png").write_bytes(PNG)
    (root / "font.woff2").write_bytes(b"wOF2-not-a-real-font")
    (root / "fonts.css").write_text('@font-face { font-family: Remote; src: url("font.woff2") format("woff2"); }\n'
                                    "body { --remote-loaded: yes; }\n", encoding="utf-8")
    (root / "extra.js").write_text("window.REMOTE_SCRIPT_RAN = true;\n", encoding="utf-8")
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _project(tmp_path: Path, base: str) -> Path:
    doc = f'---\ntitle: "Doc"\n---\n\nSome text.\n\n![A chart]({base}/chart.png)\n'
    root = make_project(tmp_path / "p", {"content/documents/doc.md": doc})
    page = (PACKAGE / "base.html").read_text(encoding="utf-8")
    anchor = '<script src="{{ url(urls.THEME_JS) }}"></script>'
    assert anchor in page
    page = page.replace(anchor, f'<link rel="stylesheet" href="{base}/fonts.css">\n'
                                f'<script src="{base}/extra.js"></script>\n' + anchor, 1)
    style = (PACKAGE / "assets" / "style.css").read_text(encoding="utf-8")
    style += f'\n.site-header {{ background-image: url("{base}/bg.png"); }}\n'
    (root / "templates" / "assets").mkdir(parents=True)
    (root / "templates" / "base.html").write_text(page, encoding="utf-8")
    (root / "templates" / "assets" / "style.css").write_text(style, encoding="utf-8")
    return root


def _line_of(path: Path, needle: str) -> tuple[int, int]:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i, line.index(needle) + 1
    raise AssertionError(needle)


def test_remote_references_are_errors_with_their_position(tmp_path):
    base = "http://192.0.2.1:9"  # TEST-NET: never fetched without --fetch-remote
    root = _project(tmp_path, base)
    out = tmp_path / "one.html"
    proc = run_cli("export", "--root", root, "--single-file", out)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    tail = ("would be loaded from the network when the single-file export is opened; pass --fetch-remote to "
            "download and inline it, or remove the reference [remote-reference]")
    doc_line, doc_col = _line_of(root / "content/documents/doc.md", f"{base}/chart.png")
    css_line, css_col = _line_of(root / "templates/assets/style.css", f"{base}/bg.png")
    page_line, page_col = _line_of(root / "templates/base.html", f"{base}/fonts.css")
    js_line, js_col = _line_of(root / "templates/base.html", f"{base}/extra.js")
    assert error_lines(proc.stderr) == {
        f"content/documents/doc.md:{doc_line}:{doc_col}: error: the image {base}/chart.png {tail}",
        f"templates/assets/style.css:{css_line}:{css_col}: error: the stylesheet resource {base}/bg.png {tail}",
        f"templates/base.html:{page_line}:{page_col}: error: the stylesheet {base}/fonts.css {tail}",
        f"templates/base.html:{js_line}:{js_col}: error: the script {base}/extra.js {tail}",
    }
    assert "nothing was written" in proc.stderr
    assert not out.exists()


def test_frames_are_errors_even_with_fetch(tmp_path):
    root = make_project(tmp_path / "p", {
        "content/site.yml": 'title: "T"\nallow_raw_html: true\n',
        "content/documents/doc.md": '---\ntitle: "Doc"\n---\n\nText.\n\n<iframe src="https://192.0.2.1/embed"></iframe>\n'})
    proc = run_cli("export", "--root", root, "--single-file", tmp_path / "one.html", "--fetch-remote")
    assert proc.returncode == 1
    assert ("content/documents/doc.md:7:14: error: the iframe https://192.0.2.1/embed would load another page from "
            "the network when the single-file export is opened, and cannot be inlined; remove it or make it a link "
            "[remote-reference]") in error_lines(proc.stderr)


def test_fetch_remote_inlines_everything(tmp_path, server):
    base, seen = server
    root = _project(tmp_path, base)
    out = tmp_path / "one.html"
    proc = run_cli("export", "--root", root, "--single-file", out, "--fetch-remote")
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert sorted(set(seen)) == ["/bg.png", "/chart.png", "/extra.js", "/font.woff2", "/fonts.css"]
    data = out.read_bytes()
    assert b"127.0.0.1" not in data
    assert remote.verify(data) == []
    assert b"window.REMOTE_SCRIPT_RAN = true;" in data
    assert base64.b64encode(b"wOF2-not-a-real-font") in data  # the font the remote stylesheet loads
    assert base64.b64encode(PNG) in data


def test_fetch_failure_is_an_error_naming_the_reference(tmp_path, server):
    base, _ = server
    root = make_project(tmp_path / "p", {
        "content/documents/doc.md": f'---\ntitle: "Doc"\n---\n\n![gone]({base}/missing.png)\n'})
    proc = run_cli("export", "--root", root, "--single-file", tmp_path / "one.html", "--fetch-remote")
    assert proc.returncode == 1
    (line,) = error_lines(proc.stderr)
    assert line.startswith(f"content/documents/doc.md:5:9: error: cannot fetch the image {base}/missing.png "
                           "for the single-file export: ")
    assert not (tmp_path / "one.html").exists()


def test_verify_finds_what_would_load():
    page = (b'<html><head><style>@import "https://x.example/a.css"; p{background:url(//x.example/b.png)}</style>'
            b'</head><body><p>url(https://x.example/not-css.png) is text</p><img src="https://x.example/c.png">'
            b'<a href="https://x.example/fine">a link loads nothing</a><video poster="http://x.example/d.png"></video>'
            b'<div style="background:url(https://x.example/e.png)"></div></body></html>')
    assert remote.verify(page) == ["https://x.example/a.css", "//x.example/b.png", "https://x.example/c.png",
                                   "http://x.example/d.png", "https://x.example/e.png"]


def test_the_example_briefing_has_no_remote_reference():
    from test_publish_support import ROOT, full_files
    local = remote.localise(full_files(ROOT).files, root=ROOT)
    assert local.diagnostics == []


def test_exported_file_makes_no_network_request_in_a_browser(chromium, tmp_path, server):  # noqa: F811
    base, _ = server
    root = _project(tmp_path, base)
    out = tmp_path / "one.html"
    proc = run_cli("export", "--root", root, "--single-file", out, "--fetch-remote")
    assert proc.returncode == 0, proc.stderr

    def check(browser):
        page = browser.new_page()
        requests: list[str] = []

        def route(r):
            requests.append(r.request.url)
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                r.abort()
        page.route("**/*", route)
        page.on("request", lambda req: requests.append(req.url))
        try:
            page.goto(out.as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("window.REMOTE_SCRIPT_RAN") is True
            assert page.evaluate("getComputedStyle(document.body).getPropertyValue('--remote-loaded').trim()") == "yes"
            # With JavaScript the file shows one page at a time: open the document's page in it.
            page.goto(out.as_uri() + "?p=doc-doc")
            page.wait_for_load_state("load")
            assert page.evaluate("document.querySelector('img[alt=\"A chart\"]').naturalWidth") == 1
            assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
        finally:
            page.close()

    chromium(check)
