"""A Chinese document in the browser: screenshots at desktop and phone sizes, the font used for Han
text is a CJK font (no missing-glyph boxes), no line starts with a closing punctuation mark, axe and
the Nu HTML Checker pass, and search finds and labels results in both languages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder_support import assert_no_traceback, fixture_copy, run_cli  # noqa: E402
from reader_support import AXE_JS, VNU_JAR, format_axe, need, open_context, run_axe, run_vnu, url, watch  # noqa: E402

# Marks that may not begin a line in Chinese (closing brackets and quotes, stops, commas...).
CLOSING = "，。、；：？！）》」』】〕〉”’…·—%"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("multilingual-browser")
    out = folder / "out"
    proc = run_cli("build", "--root", fixture_copy("multilingual", folder), "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert_no_traceback(proc)
    return out


# For every character of the document's paragraphs: whether it begins a visual line.
LINE_STARTS = """() => {
    const starts = [];
    for (const p of document.querySelectorAll('.doc-text p')) {
        const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
        let lastTop = null, lines = 0;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.data.length; i++) {
                const r = document.createRange();
                r.setStart(node, i); r.setEnd(node, i + 1);
                const rects = r.getClientRects();
                if (!rects.length || !node.data[i].trim()) continue;
                const top = rects[rects.length - 1].top;
                if (lastTop === null || top > lastTop + 4) { starts.push(node.data[i]); lines++; }
                lastTop = top;
            }
        }
    }
    return starts;
}"""


def _fonts_for_paragraphs(page) -> dict[str, int]:
    """The platform fonts Chromium used for the document's paragraphs, with glyph counts (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    used: dict[str, int] = {}
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": ".doc-text p"})["nodeIds"]:
        for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
            used[font["familyName"]] = used.get(font["familyName"], 0) + font["glyphCount"]
    return used


@pytest.mark.parametrize("width, height", [(1280, 800), (375, 812)])
def test_chinese_document_renders_with_cjk_fonts_and_breaks_lines_correctly(chromium_browser, site, tmp_path,
                                                                          width, height):
    ctx = open_context(chromium_browser, width, height)
    try:
        page = ctx.new_page()
        errors = watch(page)
        page.goto(url(site, "documents/notice-zh.html"))
        page.wait_for_load_state("load")
        shot = tmp_path / f"notice-zh-{width}x{height}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        assert page.evaluate("document.documentElement.lang") == "zh-Hans"
        # Every glyph of the paragraphs comes from a CJK font: Han text in a font without Han
        # glyphs would show boxes (or come from an arbitrary fallback).
        fonts = _fonts_for_paragraphs(page)
        assert fonts, "no fonts reported"
        assert all("CJK" in family for family in fonts), fonts
        assert any(family.endswith(" SC") for family in fonts), fonts  # Simplified Chinese forms for zh-Hans
        # The computed style of the text: strict line breaking, no italics for emphasis.
        style = page.evaluate("""() => { const s = getComputedStyle(document.querySelector('.doc-text p'));
            return {lineBreak: s.lineBreak, lineHeight: parseFloat(s.lineHeight) / parseFloat(s.fontSize)}; }""")
        assert style["lineBreak"] == "strict"
        assert style["lineHeight"] >= 1.8
        starts = page.evaluate(LINE_STARTS)
        if width == 375:
            assert len(starts) >= 12, starts  # the paragraphs wrap: the check has lines to look at
        bad = [c for c in starts if c in CLOSING]
        assert not bad, f"lines start with closing punctuation: {bad}"
        # The notes in English keep a Latin font; the interface stays English.
        assert page.evaluate("document.querySelector('.site-header').lang") == "en"
        assert not errors, errors
    finally:
        ctx.close()


def test_emphasis_in_han_text_is_not_slanted(chromium_browser, site):
    ctx = open_context(chromium_browser, 1280, 800)
    try:
        page = ctx.new_page()
        page.goto(url(site, "documents/notice-zh.html"))
        style = page.evaluate("""() => {
            const em = document.createElement('em'); em.textContent = '重点';
            document.querySelector('.doc-text p').appendChild(em);
            const s = getComputedStyle(em);
            const en = document.createElement('em'); en.textContent = 'key'; en.lang = 'en';
            document.querySelector('.doc-text p').appendChild(en);
            return {style: s.fontStyle, emphasis: s.textEmphasisStyle, en: getComputedStyle(en).fontStyle};
        }""")
        assert style["style"] == "normal" and style["emphasis"] in ("dot", "filled dot"), style
        assert style["en"] == "italic"
    finally:
        ctx.close()


def test_axe_passes_on_the_chinese_and_english_pages(chromium_browser, site):
    need(AXE_JS.exists(), "axe-core is not installed (npm ci)")
    found = {}
    ctx = open_context(chromium_browser, 1280, 800)
    try:
        page = ctx.new_page()
        for rel in ("documents/notice-zh.html", "documents/notice-en.html", "index.html",
                    "glossary/example-ai-alliance.html"):
            page.goto(url(site, rel))
            page.wait_for_load_state("load")
            violations = run_axe(page)
            if violations:
                found[rel] = violations
    finally:
        ctx.close()
    assert not found, format_axe(found)


def test_nu_html_checker_accepts_the_multilingual_site(site):
    import shutil

    need(VNU_JAR.exists() and shutil.which("java") is not None, "vnu-jar or Java is missing")
    assert run_vnu(site) == []


@pytest.mark.parametrize("query, expect_url, expect_lang, title_lang", [
    ("算力", "documents/notice-zh.html", "Chinese", "zh-Hans"),
    ("comput", "documents/notice-en.html", "English", ""),
])
def test_search_finds_and_labels_both_languages(chromium_browser, site, query, expect_url, expect_lang, title_lang):
    ctx = open_context(chromium_browser, 1280, 800)
    try:
        page = ctx.new_page()
        errors = watch(page)
        page.goto(url(site, "search.html") + "?q=" + query)
        page.wait_for_selector(".search-page-results li")
        hits = page.evaluate("""() => [...document.querySelectorAll('.search-page-results .search-hit')].map(a => ({
            href: a.getAttribute('href'), lang: (a.querySelector('.search-lang') || {}).textContent || '',
            titleLang: a.querySelector('.search-title').lang}))""")
        mine = [h for h in hits if h["href"].split("#")[0].split("?")[0].endswith(expect_url) and "#ann-" not in h["href"]]
        assert mine, hits
        assert expect_lang in mine[0]["lang"], mine
        assert mine[0]["titleLang"] == title_lang
        assert not errors, errors
    finally:
        ctx.close()


def test_translation_sits_beside_its_original_and_marks_counterparts(chromium_browser, site):
    ctx = open_context(chromium_browser, 1280, 800)
    try:
        page = ctx.new_page()
        errors = watch(page)
        page.goto(url(site, "documents/notice-en.html"))
        page.wait_for_load_state("load")
        # Each row: the translation's cell (a paragraph, or the two paragraphs that render one of the original,
        # grouped by the {align: …} markers) and the original's, tops level, side by side, rows not overlapping.
        rows = page.evaluate("""() => [...document.querySelectorAll('.doc-text > .parallel-original')].map(o => {
            const cell = o.previousElementSibling, t = cell.getBoundingClientRect(), r = o.getBoundingClientRect();
            const first = (cell.matches('.parallel-group') ? cell.firstElementChild : cell).getBoundingClientRect();
            return {tRight: t.right, oLeft: r.left, tTop: t.top, oTop: r.top, oWidth: r.width, firstTop: first.top,
                    bottom: Math.max(t.bottom, r.bottom), paragraphs: cell.matches('.parallel-group')
                    ? cell.querySelectorAll(':scope > p').length : 1}; })""")
        assert [r["paragraphs"] for r in rows] == [1, 1, 1, 1, 2, 1]
        for r in rows:
            assert r["oLeft"] >= r["tRight"] and abs(r["oTop"] - r["tTop"]) < 2 and r["oWidth"] > 200, r
            assert abs(r["firstTop"] - r["oTop"]) < 2, r
        for above, below in zip(rows, rows[1:]):
            assert below["tTop"] >= above["bottom"] and below["oTop"] >= above["bottom"], (above, below)
        assert "{align" not in page.inner_text("body")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        assert page.is_hidden("[data-original-toggle]")
        page.click("mark.hl[data-ann='inclusive-computing']")
        assert page.evaluate("[...document.querySelectorAll('mark.counterpart.is-current')].map(m => m.textContent)") \
            == ["普惠算力"]
        assert not errors, errors
    finally:
        ctx.close()


def test_original_is_a_toggle_on_phones(chromium_browser, site):
    ctx = open_context(chromium_browser, 375, 812)
    try:
        page = ctx.new_page()
        page.goto(url(site, "documents/notice-en.html"))
        page.wait_for_load_state("load")
        button = page.locator("[data-original-toggle]")
        assert button.is_visible() and button.get_attribute("aria-pressed") == "false"
        assert page.locator(".parallel-original").first.is_hidden()
        button.click()
        assert button.get_attribute("aria-pressed") == "true" and button.text_content() == "Hide the original"
        assert page.locator(".parallel-original").first.is_visible()
        first = page.evaluate("""() => { const o = document.querySelector('.parallel-original').getBoundingClientRect(),
            t = document.querySelector('.doc-text > p').getBoundingClientRect(); return o.top >= t.bottom; }""")
        assert first  # stacked under its paragraph
        # The two paragraphs that render one of the original stand together, the original under both.
        group = page.evaluate("""() => { const g = document.querySelector('.doc-text > .parallel-group');
            const o = g.nextElementSibling, ps = g.querySelectorAll('p');
            return {next: o.className, stacked: o.getBoundingClientRect().top >= ps[1].getBoundingClientRect().bottom,
                    visible: o.getBoundingClientRect().height > 0}; }""")
        assert group == {"next": "parallel-original", "stacked": True, "visible": True}
        button.click()
        assert button.get_attribute("aria-pressed") == "false" and page.locator(".parallel-original").first.is_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert not run_axe(page)
    finally:
        ctx.close()
