"""exports.zip_site and `site-builder export --zip`: the whole site, working when unpacked anywhere."""

from __future__ import annotations

import io
import zipfile

import pytest

from site_builder import exports, publish, urls
from site_builder.urls import OutPath
from test_publish_links import assert_no_broken
from test_publish_support import ROOT, broken_links, chromium, full_files, run_cli  # noqa: F401


@pytest.fixture(scope="module")
def site():
    return full_files(ROOT).files


def test_zip_holds_every_file_under_one_folder(site):
    data = exports.zip_site(site, folder="my-briefing", title="T")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert all(n.startswith("my-briefing/") for n in names)
        assert names == sorted(names)
        for path, content in site.items():
            assert zf.read(f"my-briefing/{path.path}") == content
        assert "my-briefing/README.txt" in names and b"index.html" in zf.read("my-briefing/README.txt")
        assert "my-briefing/.nojekyll" in names
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert (info.external_attr >> 16) & 0o777 == 0o644


def test_zip_is_reproducible(site, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert exports.zip_site(site) == exports.zip_site(dict(reversed(list(site.items()))))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    with zipfile.ZipFile(io.BytesIO(exports.zip_site(site))) as zf:
        assert zf.infolist()[0].date_time[:3] == (2023, 11, 14)


def test_unpacked_zip_works_from_disk(site, tmp_path):
    data = exports.zip_site(site, folder="briefing")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path / "somewhere" / "else")
    folder = tmp_path / "somewhere" / "else" / "briefing"
    files = {OutPath(p.relative_to(folder).as_posix()): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert_no_broken(broken_links(files, "file"), files)


def test_cli_export_zip(tmp_path):
    target = tmp_path / "out" / "briefing.zip"
    proc = run_cli("export", "--zip", target, "--root", ROOT)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
    assert "briefing/index.html" in names
    assert f"briefing/{publish.NOJEKYLL.path}" in names
    assert f"briefing/{urls.NOT_FOUND.path}" in names
    assert any(n.startswith("briefing/annotations/") and n.endswith(".jsonld") for n in names)


def test_cli_export_both_at_once(tmp_path):
    proc = run_cli("export", "--zip", tmp_path / "a.zip", "--single-file", tmp_path / "a.html", "--root", ROOT)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a.zip").stat().st_size > 0 and (tmp_path / "a.html").stat().st_size > 0


def test_unpacked_zip_in_a_browser(chromium, site, tmp_path):  # noqa: F811
    with zipfile.ZipFile(io.BytesIO(exports.zip_site(site, folder="b"))) as zf:
        zf.extractall(tmp_path)

    def check(browser):
        page = browser.new_page()
        try:
            page.goto((tmp_path / "b" / "index.html").as_uri())
            page.locator("main a[href^='documents/']").first.click()
            page.wait_for_load_state()
            assert "/b/documents/" in page.url
            page.locator("a.mention").first.click()
            page.wait_for_load_state()
            assert "/b/glossary/" in page.url and page.locator("h1").inner_text()
        finally:
            page.close()

    chromium(check)
