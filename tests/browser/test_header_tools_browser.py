"""The header's search box, results panel and theme button: the default template writes them
empty and the reader scripts fill them in (so that no page carries markup only the scripts use);
a project template that writes the full markup itself keeps it, and the scripts use it as it is."""

from __future__ import annotations

import shutil

import pytest

from reader_support import ROOT, open_context, url, watch
from site_builder.build import compile_site
from site_builder.writer import write_site

# A project's own _header_tools.html with the markup written out (as the default wrote it before).
OWN_MARKUP = """<div class="header-tools">
  <div class="search" data-search data-panel="search-panel" data-root="{{ url(urls.HOME) }}" data-index="{{ url(urls.SEARCH_INDEX_JS) }}" data-page="{{ url(urls.SEARCH) }}" hidden>
    <form class="search-form own-form" role="search" aria-label="Search the briefing" action="{{ url(urls.SEARCH) }}">
      <label class="visually-hidden" for="search-input">Search the briefing</label>
      <input id="search-input" class="search-input" type="search" name="q" placeholder="Search" autocomplete="off" aria-controls="search-panel">
    </form>
    <p class="visually-hidden" role="status" aria-live="polite" data-search-live></p>
  </div>
  <button type="button" class="theme-toggle" data-theme-toggle aria-pressed="false" hidden><span class="own-icon">T</span><span class="visually-hidden">Dark theme</span></button>
</div>
<div class="search-panel own-panel" id="search-panel" hidden>
  <p class="search-status" aria-hidden="true"></p>
  <ol class="search-results" aria-label="Search results"></ol>
  <button type="button" class="search-more" hidden>Show more results</button>
  <a class="search-all" href="{{ url(urls.SEARCH) }}" hidden>All results</a>
</div>
"""


def build(root, out):
    result = compile_site(root, workers=1)
    assert result.ok, [d.format() for d in result.diagnostics.errors]
    write_site(root, out, result.files)
    return out


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    base = tmp_path_factory.mktemp("header-tools")
    own = base / "own"
    shutil.copytree(ROOT / "content", own / "content")
    shutil.copy(ROOT / "anchors.lock.json", own / "anchors.lock.json")
    (own / "templates").mkdir()
    (own / "templates" / "_header_tools.html").write_text(OWN_MARKUP, encoding="utf-8")
    return build(ROOT, base / "default-site"), build(own, base / "own-site")


def search_and_theme(browser, site):
    ctx = open_context(browser, 1280, 900)
    try:
        page = ctx.new_page()
        errors = watch(page)
        doc = next(p for p in sorted(site.glob("documents/*.html")))
        page.goto(url(site, doc.relative_to(site).as_posix()))
        page.locator("[data-theme-toggle]").wait_for(state="visible")
        counts = page.evaluate("""() => ({
            inputs: document.querySelectorAll('#search-input').length,
            panels: document.querySelectorAll('#search-panel').length,
            forms: document.querySelectorAll('[data-search] form').length,
            live: document.querySelectorAll('[data-search-live]').length,
            own: document.querySelectorAll('.own-form, .own-panel, .own-icon').length,
            icons: document.querySelectorAll('[data-theme-toggle] svg').length,
            panelAfterTools: document.querySelector('.header-tools').nextElementSibling.id,
        })""")
        page.fill("#search-input", "deepseek")
        page.locator("#search-panel a.search-hit").first.wait_for()
        page.locator("[data-theme-toggle]").click()
        dark = page.evaluate("document.documentElement.getAttribute('data-theme')")
        assert not errors, errors
        return counts, dark
    finally:
        ctx.close()


def test_the_default_pages_leave_the_search_markup_to_the_scripts(reader_browser, sites):
    default, _ = sites
    html = next(default.glob("documents/*.html")).read_text(encoding="utf-8")
    assert 'data-search data-panel="search-panel"' in html
    assert 'id="search-input"' not in html and 'id="search-panel"' not in html and "icon-moon" not in html
    counts, dark = search_and_theme(reader_browser, default)
    assert counts == {"inputs": 1, "panels": 1, "forms": 1, "live": 1, "own": 0, "icons": 2,
                      "panelAfterTools": "search-panel"}
    assert dark == "dark"


def test_a_templates_own_markup_is_kept_and_used(reader_browser, sites):
    _, own = sites
    counts, dark = search_and_theme(reader_browser, own)
    assert counts == {"inputs": 1, "panels": 1, "forms": 1, "live": 1, "own": 3, "icons": 0,
                      "panelAfterTools": "search-panel"}
    assert dark == "dark"
