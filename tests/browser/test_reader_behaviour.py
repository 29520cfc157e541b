"""Reader behaviour in headless Chromium, on the built default briefing opened from file://.

Popovers (hover, keyboard focus, Esc, touch, inside the viewport), search (a phrase
from the article, Chinese text, keyboard), the theme toggle (remembered across
pages), no horizontal overflow at 360 px, and the page without JavaScript.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reader_support import open_context, url, watch
from site_builder import search


def document_page(pages: list[str]) -> str:
    return next(p for p in pages if p.startswith("documents/"))


def entities(site: Path) -> dict:
    text = (site / "assets" / "entities.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1:].rstrip().rstrip(";"))


def popover(page):
    return page.locator("#sb-popover")


def assert_in_viewport(page, locator):
    box = locator.bounding_box()
    vw = page.evaluate("document.documentElement.clientWidth")
    vh = page.evaluate("innerHeight")
    scroll_y = page.evaluate("scrollY")
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= vw + 0.5, (box, vw)
    top = box["y"]  # bounding_box is relative to the viewport
    assert top >= -0.5 and top + box["height"] <= vh + 0.5, (box, vh, scroll_y)


# ------------------------------------------------------------------ popovers

def test_entity_popover_opens_on_hover(desktop, reader_site, target, reader_pages):
    page = desktop
    page.goto(target.url(document_page(reader_pages)))
    link = page.locator("a.mention").first
    # The site's mention links carry no data-entity: the reader finds the entity from the href
    # (the single-file export, whose hrefs are ?p= keys, adds the attribute).
    eid = link.get_attribute("data-entity")
    if target.name != "single":
        assert eid is None
        eid = re.fullmatch(r"\.\./glossary/([^/]+)\.html", link.get_attribute("href")).group(1)
    name, type_label, summary = entities(reader_site)[eid]
    link.hover()
    pop = popover(page)
    pop.wait_for(state="visible")
    assert pop.get_attribute("role") == "tooltip"
    assert link.get_attribute("aria-describedby") == "sb-popover"
    text = pop.inner_text()
    assert name in text and summary in text and type_label.casefold() in text.casefold()
    assert_in_viewport(page, pop)
    page.mouse.move(2, 2)
    pop.wait_for(state="hidden")
    assert link.get_attribute("aria-describedby") is None
    assert not page.errors


def test_entity_popover_opens_on_keyboard_focus_and_esc_closes(desktop, reader_site, target, reader_pages):
    page = desktop
    page.goto(target.url(document_page(reader_pages)))
    # Tab from the start of the text to the first entity link.
    page.locator(".annotated-text").evaluate("e => { e.tabIndex = -1; e.focus(); }")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('a.mention')"):
            break
    assert page.evaluate("document.activeElement.matches('a.mention')")
    pop = popover(page)
    pop.wait_for(state="visible")
    eid = page.evaluate("document.activeElement.dataset.entity")  # the single-file export's
    if eid is None:  # the site's links name the entity by their href only
        eid = re.fullmatch(r"\.\./glossary/([^/]+)\.html", page.evaluate("document.activeElement.getAttribute('href')")).group(1)
    assert entities(reader_site)[eid][0] in pop.inner_text()
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "sb-popover"
    page.keyboard.press("Escape")
    pop.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.matches('a.mention')")  # focus stays put
    assert not page.errors


def test_annotation_popover_on_hover_and_focus(phone, reader_site, target, reader_pages):
    page = phone
    page.goto(target.url(document_page(reader_pages)))
    mark = page.locator("mark.hl[tabindex]").first
    ann = mark.get_attribute("data-ann").split()[0]
    note_text = page.locator(f"#ann-{ann} .note-body").inner_text().strip()
    mark.hover()
    pop = popover(page)
    pop.wait_for(state="visible")
    assert note_text[:60] in pop.inner_text()
    assert_in_viewport(page, pop)
    assert page.locator(f"#ann-{ann}.is-current").count() == 1  # the note itself is marked
    page.mouse.move(2, 2)
    pop.wait_for(state="hidden")
    mark.focus()
    pop.wait_for(state="visible")
    assert note_text[:60] in pop.inner_text()
    assert mark.get_attribute("aria-describedby") == "sb-popover"
    page.keyboard.press("Escape")
    pop.wait_for(state="hidden")
    # The reference number beside the text previews its note too.
    ref = page.locator(f"#ref-{ann} a")
    ref.focus()
    pop.wait_for(state="visible")
    assert note_text[:60] in pop.inner_text()
    assert page.locator("#sb-popover [id]").count() == 0  # cloned notes carry no duplicate ids
    assert not page.errors


def test_every_highlight_is_reachable_by_keyboard(desktop, reader_site, reader_pages):
    page = desktop
    page.goto(url(reader_site, document_page(reader_pages)))
    reachable = page.evaluate("""() => {
        const ids = new Set();
        document.querySelectorAll('mark.hl[tabindex]').forEach(m => m.dataset.ann.split(' ').forEach(i => ids.add(i)));
        document.querySelectorAll('.ann-ref a').forEach(a => ids.add(a.getAttribute('href').slice(5)));
        return [...ids];
    }""")
    notes = page.eval_on_selector_all("aside.note", "l => l.map(n => n.id.slice(4))")
    assert set(notes) <= set(reachable)


def test_popovers_stay_inside_a_phone_viewport(phone, reader_site, reader_pages):
    page = phone
    page.goto(url(reader_site, document_page(reader_pages)))
    links = page.locator("a.mention")
    for i in range(0, min(links.count(), 40), 3):
        link = links.nth(i)
        link.scroll_into_view_if_needed()
        link.focus()
        pop = popover(page)
        pop.wait_for(state="visible")
        assert_in_viewport(page, pop)
        page.keyboard.press("Escape")
    assert not page.errors


def test_tap_toggles_popover_and_second_tap_follows_link(reader_browser, reader_site, target, reader_pages):
    ctx = open_context(reader_browser, 390, 800, has_touch=True, is_mobile=True)
    page = ctx.new_page()
    errors = watch(page)
    try:
        doc = target.url(document_page(reader_pages))
        page.goto(doc)
        mark = page.locator("mark.hl[tabindex]").first
        mark.scroll_into_view_if_needed()
        mark.tap()
        pop = popover(page)
        pop.wait_for(state="visible")
        assert pop.get_attribute("role") == "dialog"
        mark.tap()
        pop.wait_for(state="hidden")

        link = page.locator("a.mention").first
        link.scroll_into_view_if_needed()
        link.tap()
        pop.wait_for(state="visible")
        assert page.url.split("#")[0] == doc  # the first tap only previews
        assert pop.locator("a.popover-more").count() == 1
        with page.expect_navigation():
            link.tap()
        assert target.page_of(page.url).startswith("glossary/"), page.url
        assert not errors
    finally:
        ctx.close()


def test_note_cards_sit_in_the_margin_level_with_their_text(desktop, reader_site, reader_pages):
    """Wide screens: cards in the margin, in order, without overlap, near their highlights; the text
    is one column.  Narrower: the notes are a list after the text again.  (Density figures and the
    other reading-view checks: test_reading_view.py.)"""
    page = desktop
    page.goto(url(reader_site, document_page(reader_pages)))
    page.wait_for_function("document.querySelector('.annotated-text.notes-margin') !== null")
    boxes = page.evaluate("""() => {
        const t = document.querySelector('.doc-text').getBoundingClientRect();
        return [...document.querySelectorAll('.note-list .note')].map(n => {
            const id = n.dataset.ann, r = n.getBoundingClientRect();
            const a = (document.getElementById('hl-' + id) || document.getElementById('ref-' + id)).getBoundingClientRect();
            return {id, top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, textRight: t.right,
                    anchor: a.top + scrollY};
        });
    }""")
    assert boxes
    for a, b in zip(boxes, boxes[1:]):
        assert b["top"] >= a["bottom"], (a["id"], b["id"])  # in reading order, no overlap
    for b in boxes:
        assert b["left"] > b["textRight"]  # in the margin, clear of the text
        assert abs(b["top"] - b["anchor"]) < 600, b
    page.set_viewport_size({"width": 700, "height": 900})
    page.wait_for_function("document.querySelector('.annotated-text.notes-margin') === null")
    assert page.evaluate("getComputedStyle(document.querySelector('.note')).position") == "static"


# ------------------------------------------------------------------ search

def article_phrase(site: Path, pages: list[str]) -> str:
    """A phrase from the article's own text (not its title)."""
    html = (site / document_page(pages)).read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html.split('class="annotated-text"', 1)[1])
    sentence = next(s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s.split()) > 12)
    return " ".join(sentence.split()[3:9])


def test_search_finds_a_phrase_from_the_article(desktop, reader_site, target, reader_pages):
    page = desktop
    page.goto(target.url("index.html"))
    phrase = article_phrase(reader_site, reader_pages)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.type(phrase, delay=5)
    hits = page.locator(".search-results a.search-hit")
    hits.first.wait_for()
    doc = document_page(reader_pages)
    hrefs = hits.evaluate_all("l => l.map(a => a.href)")
    assert any(target.page_of(h) == doc for h in hrefs), (phrase, hrefs)
    hit = hits.nth(next(i for i, h in enumerate(hrefs) if target.page_of(h) == doc))
    marks = hit.locator(".search-snippet mark").all_inner_texts()
    words = {w.casefold() for w in re.findall(r"\w+", phrase)}
    assert marks and all(any(m.casefold().startswith(w) or w.startswith(m.casefold()) for w in words)
                         for m in marks if m.strip()), marks
    # Keyboard: arrow down into the results, Esc closes and returns to the box.
    page.focus("#search-input")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.classList.contains('search-hit')")
    page.keyboard.press("Escape")
    assert page.locator("#search-panel").is_hidden()
    assert page.evaluate("document.activeElement.id") == "search-input"
    assert not page.errors


@pytest.mark.parametrize("query, expected", [("深度求索", "glossary/deepseek.html"),
                                             ("全球南方", "glossary/global-south.html")])
def test_search_finds_chinese_text(phone, reader_site, target, query, expected):
    page = phone
    page.goto(target.url("glossary/index.html"))
    page.fill("#search-input", query)
    hits = page.locator(".search-results a.search-hit")
    hits.first.wait_for()
    hrefs = hits.evaluate_all("l => l.map(a => a.href)")
    assert any(target.page_of(h) == expected for h in hrefs), hrefs
    # Every result really contains the text (bigrams are verified as a substring).
    pages = {target.page_of(h) for h in hrefs}
    for path in pages:
        assert path, hrefs  # every result is a page of this form of the reader
        assert query in (reader_site / path).read_text(encoding="utf-8"), path
    assert page.locator(".search-results mark", has_text=query).count() >= 1
    assert not page.errors


def test_search_engine_matches_python_folding(desktop, reader_site):
    page = desktop
    page.goto(url(reader_site, "index.html"))
    samples = ["DeepSeek-R1", "Zürich ÉCOLE", "ΟΔΟΣ", "İstanbul", "China’s 深度求索 AI", "Ærø Łódź ﬁ",
               "".join(chr(c) for c in range(0x20, 0x800)), "".join(chr(c) for c in range(0x1e00, 0x2200)),
               "".join(chr(c) for c in range(0x3000, 0x3100)) + "ＡＢＣ가나다"]
    js = page.evaluate("s => s.map(x => window.SBSearch.fold(x))", samples)
    assert js == [search.fold(s) for s in samples]
    js_terms = page.evaluate("s => s.map(x => window.SBSearch.analyse(window.SBSearch.fold(x)))", samples)
    for s, terms in zip(samples, js_terms):
        py = set(search.tokenize(search.fold(s)))
        for t in terms:
            if "word" in t:
                assert t["word"] in py
            else:
                run = t["cjk"]
                assert all(run[i:i + 2] in py for i in range(len(run) - 1)) or run in py


def test_search_ranks_an_entity_name_first(desktop, reader_site, target):
    page = desktop
    page.goto(target.url("index.html"))
    page.fill("#search-input", "deepseek")
    first = page.locator(".search-results a.search-hit").first
    first.wait_for()
    assert target.page_of(first.evaluate("a => a.href")) == "glossary/deepseek.html"


# ------------------------------------------------------------------ theme, layout, no JS

def test_theme_toggle_is_remembered_across_pages(desktop, reader_site, target, reader_pages):
    page = desktop
    page.goto(target.url("index.html"))
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle = page.locator("[data-theme-toggle]")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    page.locator("nav a", has_text="Glossary").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark_bg
    assert page.locator("[data-theme-toggle]").get_attribute("aria-pressed") == "true"
    page.goto(target.url(document_page(reader_pages)))
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark_bg
    page.locator("[data-theme-toggle]").click()
    page.goto(target.url("graph.html"))
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == light_bg


def test_system_dark_preference_is_followed(reader_browser, reader_site, target):
    ctx = open_context(reader_browser, scheme="dark")
    try:
        page = ctx.new_page()
        page.goto(target.url("index.html"))
        assert page.evaluate("document.documentElement.dataset.theme") is None
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(253, 252, 248)"
        assert page.locator("[data-theme-toggle]").get_attribute("aria-pressed") == "true"
    finally:
        ctx.close()


def test_nothing_overflows_at_360px(phone, reader_site, reader_pages):
    page = phone
    wide = []
    for path in reader_pages:
        page.goto(url(reader_site, path))
        sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if sizes[0] > sizes[1]:
            culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className)""")
            wide.append((path, sizes, culprits))
    assert not wide, wide
    # With the search panel open too.
    page.goto(url(reader_site, document_page(reader_pages)))
    page.fill("#search-input", "artificial intelligence")
    page.locator(".search-results a.search-hit").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert not page.errors


def test_skip_link_moves_focus_to_main(desktop, reader_site):
    page = desktop
    page.goto(url(reader_site, "index.html"))
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    assert skip.bounding_box()["y"] >= 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_without_javascript(reader_browser, reader_site, reader_pages):
    ctx = reader_browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(url(reader_site, document_page(reader_pages)))
        link = page.locator("a.mention").first
        assert link.get_attribute("href").startswith("../glossary/")
        assert page.locator("#sb-popover").count() == 0
        assert page.locator("[data-search]").is_hidden()
        assert page.locator("[data-theme-toggle]").is_hidden()
        notes = page.locator("aside.note")
        assert notes.count() > 0 and notes.first.is_visible()
        with page.expect_navigation():
            link.click()
        assert "/glossary/" in page.url
        page.goto(url(reader_site, "graph.html"))
        node = page.locator("svg.entity-graph a").first
        assert node.is_visible()
        with page.expect_navigation():
            node.click()
        assert "/glossary/" in page.url
    finally:
        ctx.close()


def test_no_script_errors_on_any_page(desktop, reader_site, reader_pages):
    page = desktop
    for path in reader_pages:
        page.goto(url(reader_site, path))
        page.wait_for_load_state("load")
    assert not page.errors
