"""An entity's further pages (glossary/<id>/2.html, ...) in the browser: valid HTML (vnu),
no axe-core violations in either theme, and the pager leads from page to page.

A generated briefing of three documents is built with one document per entity page, so an
entity named in all three (Xi Jinping, in every generated document) has three pages."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from reader_build import compile_reader
from reader_support import AXE_JS, ROOT, VNU_JAR, format_axe, need, open_context, run_axe, run_vnu, url, watch
from site_builder import pageviews

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory) -> Path:
    from site_builder.writer import write_site

    root = tmp_path_factory.mktemp("paged-project")
    generate(root, 3, words=200, entities=40, per_doc=3)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pageviews, "DOCUMENTS_PER_ENTITY_PAGE", 1)
        files = compile_reader(root)
    out = tmp_path_factory.mktemp("paged-site") / "site"
    write_site(root, out, files)
    return out


def test_vnu_accepts_the_entity_pages(paged_site: Path):
    java = shutil.which("java")
    need(java is not None, "java is not installed")
    need(VNU_JAR.exists(), f"{VNU_JAR} is missing (npm ci)")
    assert (paged_site / "glossary/xi-jinping/2.html").exists()
    errors = [m for m in run_vnu(paged_site, java) if "/glossary/" in m.get("url", "")]
    assert not errors, [f"{m.get('url', '').rsplit('/site/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
                        for m in errors[:20]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_and_the_pager(reader_browser, paged_site: Path, scheme: str):
    need(AXE_JS.exists(), f"{AXE_JS} is missing (npm ci)")
    ctx = open_context(reader_browser, scheme=scheme)
    page = ctx.new_page()
    errors = watch(page)
    found = {}
    try:
        page.goto(url(paged_site, "glossary/xi-jinping.html"))
        found["glossary/xi-jinping.html"] = run_axe(page)
        count = page.locator("nav.entity-pager").first.locator("li").count() - 1  # the pages and "Next"
        assert count == 3
        for number in range(2, count + 1):
            page.locator("nav.entity-pager").first.get_by_role("link", name="Next").click()
            page.wait_for_url(f"**/glossary/xi-jinping/{number}.html")
            assert page.locator("nav.entity-pager [aria-current=page]").first.inner_text() == str(number)
            assert page.locator("h1").inner_text() == "Xi Jinping"
            found[f"glossary/xi-jinping/{number}.html"] = run_axe(page)
        page.locator("nav.entity-pager").first.get_by_role("link", name="Previous").click()
        page.wait_for_url(f"**/glossary/xi-jinping/{count - 1}.html" if count > 2 else "**/glossary/xi-jinping.html")
    finally:
        ctx.close()
    found = {k: v for k, v in found.items() if v}
    assert not found, format_axe(found)
    assert not errors, errors
