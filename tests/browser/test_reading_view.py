"""The document page's reading view in headless Chromium (issue 10).

One text column with the notes as compact cards in the margin on wide screens,
placed level with their highlights without overlap; the notes as a numbered list
after the text on narrow screens, in the list mode and without JavaScript; note
numbers right after their words; selection both ways; every fragment link of the
site landing in the top third of the window; keyboard and touch access.  The
figures measured here are quoted in docs/reader.md (run with -s to print them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reader_build import compile_reader
from reader_support import ROOT, open_context, url, watch
from reading_view_support import MEASURE, TARGET_STATE, figures, fragment_links, landing_problem

sys.path.insert(0, str(ROOT / "benchmarks"))
import dense  # noqa: E402

DOC = "documents/xi-first-mover-ai.html"


@pytest.fixture(scope="module")
def dense_site(tmp_path_factory) -> Path:
    """A briefing whose document has 200 annotations (benchmarks/dense.py), built."""
    from site_builder.writer import write_site

    root = tmp_path_factory.mktemp("dense") / "briefing"
    dense.generate(root, 200)
    out = root.parent / "site"
    write_site(root, out, compile_reader(root))
    return out


def _open(browser, width, height, **kw):
    ctx = open_context(browser, width, height, **kw)
    page = ctx.new_page()
    page.errors = watch(page)
    return ctx, page


def _settle(page):
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _check_margin_layout(m: dict, name: str):
    rows = m["rows"]
    assert m["margin"], f"{name}: the notes are not in the margin"
    assert rows
    for a, b in zip(rows, rows[1:]):
        assert b["top"] >= a["bottom"] - 0.5, f"{name}: card {b['id']} overlaps card {a['id']}"  # and in order
    for r in rows:
        assert r["left"] > m["textRight"], f"{name}: card {r['id']} covers the text"


# ------------------------------------------------------------------ layout and density

def test_example_briefing_density_at_1280(reader_browser, reader_site):
    ctx, page = _open(reader_browser, 1280, 800)
    try:
        page.goto(url(reader_site, DOC))
        _settle(page)
        m = page.evaluate(MEASURE)
        _check_margin_layout(m, "example")
        f = figures(m, 800)
        print(f"\nexample briefing at 1280x800: {f}")
        assert f.height < 1.5 * f.bare, f
        assert f.median < 150, f
        assert f.maximum < 600, f
        assert not page.errors
    finally:
        ctx.close()


def test_two_hundred_annotations_density_at_1280(reader_browser, dense_site):
    ctx, page = _open(reader_browser, 1280, 800)
    try:
        page.goto(url(dense_site, "documents/dense.html"))
        _settle(page)
        m = page.evaluate(MEASURE)
        _check_margin_layout(m, "dense")
        f = figures(m, 800)
        print(f"\n200 annotations at 1280x800: {f}")
        assert f.notes == 200
        assert f.height < 1.5 * f.bare, f
        assert f.median < 150, f
        assert f.maximum < 600, f
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [375, 900])
def test_narrow_screens_list_the_notes_after_the_text(reader_browser, reader_site, width):
    ctx, page = _open(reader_browser, width, 812)
    try:
        page.goto(url(reader_site, DOC))
        _settle(page)
        state = page.evaluate("""() => {
            const text = document.querySelector('.doc-text').getBoundingClientRect();
            const notes = document.querySelector('#notes').getBoundingClientRect();
            const first = document.querySelector('.note-list .note');
            return {margin: !!document.querySelector('.notes-margin'), textBottom: text.bottom, notesTop: notes.top,
                    body: getComputedStyle(first.querySelector('.note-body')).display,
                    summary: getComputedStyle(first.querySelector('.note-summary')).display,
                    position: getComputedStyle(first).position};
        }""")
        assert not state["margin"]
        assert state["notesTop"] >= state["textBottom"]  # the text is never broken apart
        assert state["body"] != "none" and state["summary"] == "none" and state["position"] == "static"
        assert not page.errors
    finally:
        ctx.close()


def test_without_javascript_the_notes_are_a_linked_list(reader_browser, reader_site):
    ctx = reader_browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    try:
        page = ctx.new_page()
        page.goto(url(reader_site, DOC))
        links = page.evaluate("""() => [...document.querySelectorAll('.note-list .note')].map(n => {
            const id = n.dataset.ann;
            return {back: n.querySelector('.note-number').getAttribute('href'),
                    forth: document.querySelector('#ref-' + CSS.escape(id) + ' a').getAttribute('href'), id,
                    shown: n.querySelector('.note-body').getBoundingClientRect().height > 0};
        })""")
        assert links
        for n in links:
            assert n["back"] == f"#ref-{n['id']}" and n["forth"] == f"#ann-{n['id']}" and n["shown"], n
        assert page.locator("[data-notes-controls]").is_hidden()
        assert page.locator(".skip-notes").is_visible()
    finally:
        ctx.close()


# ------------------------------------------------------------------ numbers, cards, selection

def test_note_numbers_follow_the_words_they_annotate(reader_browser, reader_site):
    ctx, page = _open(reader_browser, 375, 812)
    try:
        page.goto(url(reader_site, DOC))
        gaps = page.evaluate("""() => [...document.querySelectorAll('.doc-text sup.ann-ref')].map(sup => {
            const id = sup.id.slice(4);
            const marks = document.querySelectorAll('.doc-text mark[data-ann~="' + id + '"]');
            if (!marks.length) return [id, 'no highlight'];
            const r = document.createRange();
            r.setStartAfter(marks[marks.length - 1]);
            r.setEndBefore(sup);
            const between = r.cloneContents();  // other numbers ending at the same words may sit between
            between.querySelectorAll('.ann-ref').forEach(s => s.remove());
            return [id, between.textContent];
        })""")
        assert len(gaps) == page.locator(".note-list .note").count()
        bad = [(i, g) for i, g in gaps if g.strip()]
        assert not bad, bad
    finally:
        ctx.close()


def test_cards_open_in_place_and_the_view_is_remembered(reader_browser, reader_site):
    ctx, page = _open(reader_browser, 1280, 800)
    try:
        page.goto(url(reader_site, DOC))
        card = page.locator(".note-list .note").nth(2)
        body = card.locator(".note-body")
        assert body.is_hidden() and card.locator(".note-summary").is_visible()
        card.locator(".note-summary").click()
        body.wait_for(state="visible")
        assert card.locator(".note-toggle").get_attribute("aria-expanded") == "true"
        nxt = page.locator(".note-list .note").nth(3)
        assert nxt.bounding_box()["y"] >= card.bounding_box()["y"] + card.bounding_box()["height"] - 0.5
        card.locator(".note-toggle").focus()
        page.keyboard.press("Enter")
        body.wait_for(state="hidden")
        # Expand all, then the list mode: both remembered across a reload.
        page.click("[data-notes-expand]")
        assert page.locator(".note-list .note .note-body").first.is_visible()
        page.reload()
        _settle(page)
        assert page.locator("[data-notes-expand]").get_attribute("aria-pressed") == "true"
        assert page.locator(".note-list .note .note-body").first.is_visible()
        page.click("[data-notes-list]")
        assert page.locator(".notes-margin").count() == 0
        page.reload()
        _settle(page)
        assert page.locator(".notes-margin").count() == 0
        assert page.locator("[data-notes-list]").get_attribute("aria-pressed") == "true"
        page.click("[data-notes-list]")
        page.locator(".notes-margin").wait_for()
        assert not page.errors
    finally:
        ctx.close()


def test_highlight_and_card_select_each_other(reader_browser, reader_site):
    ctx, page = _open(reader_browser, 1280, 800)
    try:
        page.goto(url(reader_site, DOC))
        mark = page.locator(".doc-text mark.hl[tabindex]").nth(4)
        ann = mark.get_attribute("data-ann").split()[0]
        card = page.locator(f"#ann-{ann}")
        mark.hover()
        page.wait_for_function(f"document.getElementById('ann-{ann}').classList.contains('is-current')")
        page.mouse.move(1, 1)
        page.wait_for_function(f"!document.getElementById('ann-{ann}').classList.contains('is-current')")
        card.hover()
        page.wait_for_function(f"document.querySelector('mark[data-ann~=\"{ann}\"]').classList.contains('is-current')")
        page.mouse.move(1, 1)
        mark.focus()
        assert "is-current" in card.get_attribute("class")
        card.locator(".note-toggle").focus()
        assert page.evaluate(f"document.querySelector('mark[data-ann~=\"{ann}\"]').classList.contains('is-current')")
    finally:
        ctx.close()


# ------------------------------------------------------------------ fragment links

@pytest.mark.parametrize("size", [(1280, 800), (375, 812)], ids=["desktop", "phone"])
def test_every_fragment_link_lands(reader_browser, reader_site, reader_pages, size):
    links = fragment_links(reader_site, reader_pages)
    targets = sorted({(link.target, link.fragment) for link in links})
    assert len(targets) > 150
    ctx, page = _open(reader_browser, *size)
    problems = []
    try:
        # Cold loads: every target, straight from its address.
        for target, frag in targets:
            page.goto(url(reader_site, target) + "#" + frag)
            _settle(page)
            why = landing_problem(page.evaluate(TARGET_STATE, frag))
            if why:
                problems.append(f"cold {target}#{frag}: {why}")
        # Same-page clicks: each link, clicked on its page as it was loaded.
        by_page: dict[str, list[str]] = {}
        for link in links:
            if link.source == link.target:
                by_page.setdefault(link.source, []).append(link.fragment)
        clicks = 0
        for source, frags in sorted(by_page.items()):
            page.goto(url(reader_site, source))
            _settle(page)
            for frag in frags:
                page.evaluate("""(frag) => {
                    const a = [...document.querySelectorAll('a[href]')].find(a => a.getAttribute('href') === '#' + frag
                        && !a.closest('.popover'));
                    a.click();
                }""", frag)
                _settle(page)
                clicks += 1
                why = landing_problem(page.evaluate(TARGET_STATE, frag))
                if why:
                    problems.append(f"click on {source}: #{frag}: {why}")
        assert clicks > 100
    finally:
        ctx.close()
    assert not problems, f"{len(problems)} of {len(targets)} targets:\n" + "\n".join(problems[:40])


# ------------------------------------------------------------------ keyboard and touch

def test_one_tab_stop_per_annotation(reader_browser, reader_site):
    ctx, page = _open(reader_browser, 1280, 800)
    try:
        page.goto(url(reader_site, DOC))
        stops = page.evaluate("""() => {
            const out = [];
            document.querySelectorAll('.doc-text mark.hl[data-ann], .doc-text .ann-ref a').forEach(e => {
                if (e.tabIndex < 0) return;
                out.push(e.matches('a') ? [e.getAttribute('href').slice(5)] : e.dataset.ann.split(' '));
            });
            return out;
        }""")
        notes = page.eval_on_selector_all(".note-list .note", "l => l.map(n => n.dataset.ann)")
        assert len(stops) <= len(notes)  # not one per highlighted piece
        assert set(notes) <= {i for ids in stops for i in ids}  # every annotation reachable
        # Tabbing through the text meets each of them once, plus the entity links.
        page.locator("[data-notes-list]").focus()
        seen = []
        for _ in range(400):
            page.keyboard.press("Tab")
            where = page.evaluate("""() => { const a = document.activeElement;
                return a.closest('.doc-text') ? (a.matches('mark') ? 'mark:' + a.dataset.ann :
                    a.closest('.ann-ref') ? 'ref:' + a.getAttribute('href').slice(5) : 'link') : null; }""")
            if where is None:
                break
            if where != "link":
                seen.append(where)
        assert len(seen) == len(stops)
        assert len(seen) == len(set(seen))
    finally:
        ctx.close()


def test_skip_to_notes_and_escape_returns_focus(reader_browser, reader_site):
    ctx, page = _open(reader_browser, 1280, 800)
    try:
        page.goto(url(reader_site, DOC))
        page.locator(".skip-notes").focus()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "notes"
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('.note-list')")
        # Enter on a highlight pins its popover and moves focus in; one Escape closes it and
        # gives focus back to the highlight.
        mark = page.locator(".doc-text mark.hl[tabindex]").nth(3)
        mark.focus()
        page.keyboard.press("Enter")
        pop = page.locator("#sb-popover")
        pop.wait_for(state="visible")
        assert pop.get_attribute("role") == "dialog"
        assert page.evaluate("!!document.activeElement.closest('#sb-popover')")
        page.keyboard.press("Escape")
        pop.wait_for(state="hidden")
        assert page.evaluate("document.activeElement.matches('mark.hl[tabindex]')")
        assert mark.evaluate("m => m === document.activeElement")
        assert not page.errors
    finally:
        ctx.close()


def test_slash_focuses_search_without_jumping(reader_browser, reader_site):
    ctx, page = _open(reader_browser, 1280, 800)
    try:
        page.goto(url(reader_site, DOC))
        page.evaluate("window.scrollTo(0, 1500)")
        before = page.evaluate("scrollY")
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "search-input"
        assert abs(page.evaluate("scrollY") - before) <= 1
        box = page.locator("#search-input").bounding_box()
        assert 0 <= box["y"] < 800  # in the window, above the text
        page.keyboard.type("DeepSeek")
        page.locator(".search-results a.search-hit").first.wait_for()
        assert abs(page.evaluate("scrollY") - before) <= 1
        page.keyboard.press("Escape")
        assert abs(page.evaluate("scrollY") - before) <= 1
    finally:
        ctx.close()


SMALL_TARGETS = """() => {
    // Links inside a line of text are exempt (WCAG 2.5.8 "inline"), note numbers are not.
    const inline = (e) => e.matches('a') && !e.closest('.ann-ref') && getComputedStyle(e).display === 'inline'
        && e.parentElement.closest('p, li, dd, td, th, h1, h2, h3, h4, figcaption, blockquote')
        && e.parentElement.closest('p, li, dd, td, th, h1, h2, h3, h4, figcaption, blockquote').textContent.trim() !== e.textContent.trim();
    return [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"]), .ann-ref a')]
        .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
        .filter(e => !e.matches('mark, main, section, .skip-link') && !e.closest('svg'))  // graph nodes: spaced apart
        .filter(e => !inline(e))
        .map(e => { const r = e.getBoundingClientRect();
            return {what: e.outerHTML.slice(0, 90), w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10}; })
        .filter(t => t.w < 24 || t.h < 24);
}"""


def test_touch_targets_are_at_least_24px_on_a_phone(reader_browser, reader_site, reader_pages):
    ctx, page = _open(reader_browser, 375, 812, has_touch=True, is_mobile=True)
    small = {}
    try:
        for path in reader_pages:
            page.goto(url(reader_site, path))
            found = page.evaluate(SMALL_TARGETS)
            if found:
                small[path] = found[:6]
        page.goto(url(reader_site, DOC))
        sizes = page.evaluate("[...document.querySelectorAll('.ann-ref a')].map(a => a.getBoundingClientRect())"
                              ".map(r => [r.width, r.height])")
        assert sizes and all(w >= 24 and h >= 24 for w, h in sizes)
    finally:
        ctx.close()
    assert not small, small


# ------------------------------------------------------------------ long documents

def test_contents_headings_and_neighbours(reader_browser, dense_site):
    ctx, page = _open(reader_browser, 1280, 800)
    try:
        page.goto(url(dense_site, "documents/dense.html"))
        toc = page.eval_on_selector_all(".toc a", "l => l.map(a => [a.getAttribute('href'), a.textContent])")
        heads = page.eval_on_selector_all(".doc-text h2", "l => l.map(h => ['#' + h.id, h.firstChild.textContent.trim()])")
        assert toc and toc == heads
        assert all(page.locator(f"{h} .heading-anchor").get_attribute("href") == h for h, _ in heads)
        nxt = page.locator(".doc-pager a[rel=next]")
        assert nxt.get_attribute("href") == "short.html"
        page.goto(url(dense_site, "documents/short.html"))
        assert page.locator(".doc-pager a[rel=prev]").get_attribute("href") == "dense.html"
        assert page.locator(".toc").count() == 0
    finally:
        ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_with_cards_open_and_as_a_list(reader_browser, reader_site, scheme):
    from reader_support import AXE_JS, format_axe, need, run_axe

    need(AXE_JS.exists(), f"{AXE_JS} is missing (npm ci)")
    ctx, page = _open(reader_browser, 1280, 800, scheme=scheme)
    found = {}
    try:
        page.goto(url(reader_site, DOC))
        page.locator(".note-list .note .note-summary").first.click()
        page.locator(".doc-text mark.hl[tabindex]").nth(2).hover()
        found["a card open, a highlight selected"] = run_axe(page)
        page.click("[data-notes-expand]")
        found["all notes expanded"] = run_axe(page)
        page.click("[data-notes-list]")
        found["notes as a list"] = run_axe(page)
    finally:
        ctx.close()
    found = {k: v for k, v in found.items() if v}
    assert not found, format_axe(found)


def test_back_to_top_keeps_off_the_text_on_a_phone(reader_browser, reader_site):
    """On a phone the floating button hides while reading down and shows when scrolling back up."""
    ctx = open_context(reader_browser, 375, 812)
    page = ctx.new_page()
    errors = watch(page)
    try:
        page.goto(url(reader_site, DOC))
        back = page.locator(".back-to-top")
        page.evaluate("window.scrollTo(0, 0)")
        assert not back.is_visible()
        for y in (900, 1400, 1900):  # reading down, more than a screen
            page.evaluate(f"window.scrollTo(0, {y})")
            page.wait_for_timeout(50)
        assert not back.is_visible(), "the button covers the text while reading down"
        page.evaluate("window.scrollTo(0, 1700)")  # back up
        page.wait_for_timeout(50)
        assert back.is_visible()
        page.evaluate("window.scrollTo(0, 2200)")
        page.wait_for_timeout(50)
        assert not back.is_visible()
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")  # the end
        page.wait_for_timeout(50)
        assert back.is_visible()
        back.locator("a").click()
        page.wait_for_timeout(300)
        assert page.evaluate("window.scrollY") < 50
    finally:
        ctx.close()
    assert not errors


def test_back_to_top_on_a_wide_screen_shows_after_one_screen(reader_browser, reader_site):
    ctx = open_context(reader_browser, 1280, 800)
    page = ctx.new_page()
    try:
        page.goto(url(reader_site, DOC))
        back = page.locator(".back-to-top")
        assert not back.is_visible()
        page.evaluate("window.scrollTo(0, 1600)")
        page.wait_for_timeout(50)
        page.evaluate("window.scrollTo(0, 1500)")
        page.wait_for_timeout(50)
        page.evaluate("window.scrollTo(0, 2000)")
        page.wait_for_timeout(50)
        assert back.is_visible()
    finally:
        ctx.close()
