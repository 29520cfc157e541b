"""Every link and fragment resolves: from file://, under a GitHub Pages project path, at a domain root.

Also the 404 page as GitHub Pages serves it (for any missing address, at any depth), in
Chromium against a small local server that behaves like Pages.
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from site_builder import urls
from site_builder.urls import OutPath
from test_publish_support import (DOMAIN_BASE, PROJECT_BASE, broken_links, chromium, full_files,  # noqa: F401
                                  project_copy, write_out)


def declared_but_missing(files: dict) -> set[str]:
    """Output paths urls.py declares (other work in progress) that the build does not produce."""
    declared = {v.path for v in vars(urls).values() if isinstance(v, OutPath)}
    return {p for p in declared if OutPath(p) not in files}


def assert_no_broken(problems: list[str], files: dict) -> None:
    if not problems:
        return
    shown = sorted(set(problems))
    raise AssertionError(f"{len(shown)} broken references:\n" + "\n".join(shown[:40]))


def test_the_checker_finds_broken_links_and_fragments():
    files = {
        OutPath("index.html"): b'<a href="documents/a.html#nope">x</a><a href="missing.html">y</a>'
                               b'<a href="documents/">z</a><a href="#top">t</a><p id="top"></p>',
        OutPath("documents/a.html"): b'<a href="../../outside.html">o</a><a href="../index.html#top">ok</a>',
    }
    disk = broken_links(files, "file")
    assert any("no #nope in documents/a.html" in p for p in disk)
    assert any("no file missing.html" in p for p in disk)
    assert any("points at a folder" in p for p in disk)
    assert any("leaves the site folder" in p for p in disk)
    assert not any("#top" in p for p in disk)
    served = broken_links(files, "http", PROJECT_BASE)
    assert any("leaves the project path" in p for p in served)
    assert any("no file documents/index.html" in p for p in served)


@pytest.fixture(scope="module")
def project_site(tmp_path_factory):
    root = project_copy(tmp_path_factory.mktemp("project") / "p", base_url=PROJECT_BASE)
    return full_files(root).files


@pytest.fixture(scope="module")
def plain_site(tmp_path_factory):
    root = project_copy(tmp_path_factory.mktemp("plain") / "p", base_url="")
    return full_files(root).files


def test_links_resolve_from_disk(plain_site):
    assert_no_broken(broken_links(plain_site, "file"), plain_site)


def test_links_resolve_from_disk_with_base_url(project_site):
    # absolute links (canonical, og:url) must point at files of the site too
    assert_no_broken(broken_links(project_site, "file", PROJECT_BASE), project_site)


def test_links_resolve_under_a_project_path(project_site):
    assert_no_broken(broken_links(project_site, "http", PROJECT_BASE), project_site)


def test_links_resolve_at_a_domain_root(tmp_path):
    root = project_copy(tmp_path / "p", base_url="", cname="briefing.example.org")
    files = full_files(root).files
    assert files[OutPath("CNAME")] == b"briefing.example.org\n"
    assert_no_broken(broken_links(files, "http", DOMAIN_BASE), files)


def test_plain_site_works_under_any_path(plain_site):
    # without base_url every link is relative, so any mount point works
    for base in (PROJECT_BASE, DOMAIN_BASE, "http://127.0.0.1:8000/deep/er/path/"):
        assert_no_broken(broken_links(plain_site, "http", base), plain_site)


def test_no_page_links_to_a_folder(plain_site):
    # from file:// a link to a folder shows a directory listing, not index.html
    problems = [p for p in broken_links(plain_site, "file") if "points at a folder" in p]
    assert not problems, problems[:5]


# ---------------------------------------------------------------- 404 in a browser

class _PagesHandler(http.server.SimpleHTTPRequestHandler):
    """GitHub Pages in miniature: files under /repo/, folders -> index.html, else 404.html with status 404."""

    prefix = "/repo/"
    folder: Path

    def log_message(self, *args):  # quiet
        pass

    def _resolve(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith(self.prefix):
            return None
        rel = path[len(self.prefix):]
        target = self.folder / rel
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def _send(self, head_only: bool):
        target = self._resolve()
        status = 200
        if target is None:
            target, status = self.folder / "404.html", 404
        data = target.read_bytes()
        ctype = {"html": "text/html; charset=utf-8", "css": "text/css", "js": "text/javascript"}.get(
            target.suffix.lstrip("."), "application/octet-stream")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head_only:
            self.wfile.write(data)

    def do_GET(self):
        self._send(False)

    def do_HEAD(self):
        self._send(True)


@pytest.fixture()
def pages_server(tmp_path, plain_site):
    folder = write_out(plain_site, tmp_path / "site")
    handler = type("Handler", (_PagesHandler,), {"folder": folder})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/repo/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("missing", ["no-such-page.html", "a/b/c", "documents/gone/deeper/page.html"])
def test_404_without_base_url_finds_the_site_root_in_a_browser(chromium, pages_server, missing):  # noqa: F811

    def check(browser):
        page = browser.new_page()
        try:
            response = page.goto(pages_server + missing)
            assert response.status == 404
            assert page.locator("h1").inner_text() == "Page not found"
            overview = page.locator("main a", has_text="Go to the overview")
            page.wait_for_function(
                "(expected) => document.querySelector('main a').href === expected", arg=pages_server + "index.html",
                timeout=10000)
            # the stylesheet now comes from the site root, and the links lead back into the site
            page.wait_for_function(
                "() => [...document.styleSheets].some(s => s.href && s.href.endsWith('/repo/assets/style.css')"
                " && s.cssRules.length > 0)", timeout=10000)
            overview.click()
            page.wait_for_load_state()
            assert page.url == pages_server + "index.html"
            assert page.locator("h1").count() >= 1
        finally:
            page.close()

    chromium(check)
