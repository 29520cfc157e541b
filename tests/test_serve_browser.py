"""``site-builder serve`` end to end in real headless Chromium.

Debian's ``chromium`` driven by the Python ``playwright`` package with
``executable_path`` set (never ``playwright install``).  Skips where Chromium
or playwright is missing, unless SITE_BUILDER_REQUIRE_BROWSER=1 demands them.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_serve import DOC, DOC_PAGE, copy_project  # noqa: E402

from site_builder.serve import LivePreview  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
REQUIRE = os.environ.get("SITE_BUILDER_REQUIRE_BROWSER") == "1"


def _need(ok: bool, why: str) -> None:
    if not ok:
        if REQUIRE:
            pytest.fail(f"{why}; SITE_BUILDER_REQUIRE_BROWSER=1 requires it")
        pytest.skip(why)


@pytest.fixture(scope="module")
def browser(chromium_browser):
    return chromium_browser


@pytest.fixture
def served(tmp_path):
    project = copy_project(tmp_path / "project")
    with LivePreview(project, port=0, quiet=0.05, log=lambda line: None) as preview:
        yield project, preview


def test_open_page_reloads_itself_after_a_save_and_keeps_its_scroll_position(browser, served):
    project, preview = served
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    try:
        page.goto(preview.url + DOC_PAGE)
        page.wait_for_function("() => document.querySelector('script[data-site-builder-live]') !== null")
        page.evaluate("window.__notReloaded = true")
        page.evaluate("window.scrollTo(0, 900)")
        page.wait_for_function("() => window.scrollY >= 899")
        # Let the event stream connect (its hello event) before saving.
        page.wait_for_timeout(300)
        doc = project / DOC
        doc.write_text(doc.read_text(encoding="utf-8").rstrip() + "\n\nA line the browser should show.\n",
                       encoding="utf-8")
        page.wait_for_function("() => document.body.innerText.includes('A line the browser should show.')",
                               timeout=20000)
        assert page.evaluate("window.__notReloaded === undefined")  # a real reload, not a patch
        page.wait_for_function("() => Math.abs(window.scrollY - 900) <= 2", timeout=5000)
    finally:
        context.close()


def test_failed_build_shows_an_overlay_until_the_next_good_build(browser, served):
    project, preview = served
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(preview.url)
        page.wait_for_timeout(300)
        site = project / "content/site.yml"
        original = site.read_text(encoding="utf-8")
        site.write_text(original + "subtitle: [unclosed\n", encoding="utf-8")
        overlay = page.locator("#site-builder-overlay")
        overlay.wait_for(state="visible", timeout=20000)
        text = overlay.inner_text()
        assert "Build failed" in text
        assert "content/site.yml:" in text and "error: YAML syntax error" in text
        # A page opened while the build is broken shows the overlay too.
        other = context.new_page()
        other.goto(preview.url + "glossary/")
        other.locator("#site-builder-overlay").wait_for(state="visible", timeout=20000)
        site.write_text(original, encoding="utf-8")
        page.locator("#site-builder-overlay").wait_for(state="detached", timeout=20000)
        other.locator("#site-builder-overlay").wait_for(state="detached", timeout=20000)
    finally:
        context.close()
