"""Right-to-left text and directional controls: author strings are bidi-isolated in titles,
names and chips; text blocks, notes, popovers and search results lay out by their own direction."""

from __future__ import annotations

import re

from builder_support import ROOT, make_project, run_cli
from site_builder import bidi

EVIL = "Acme \u202eevil"  # a RIGHT-TO-LEFT OVERRIDE that is never closed
ARABIC = "\u0627\u0644\u0630\u0643\u0627\u0621 \u0627\u0644\u0627\u0635\u0637\u0646\u0627\u0639\u064a"  # "artificial intelligence"


def _build(tmp_path, language: str = "en"):
    root = make_project(tmp_path / "p", {
        "content/site.yml": f'title: "Briefing"\nlanguage: {language}\n',
        "content/documents/d.md": (f'---\ntitle: "{ARABIC}"\nsource:\n  publisher: "{EVIL}"\n---\n\n'
                                   f"{ARABIC} and Acme met.\n\nA second paragraph in English.\n"),
        "content/annotations/d.yml": ('annotations:\n  - id: a\n    kind: note\n    quote: "Acme met"\n'
                                      '    body: A note.\n    entities: [acme]\n'),
        "content/glossary/acme.yml": 'name: "Acme \\u202Eevil"\ntype: company\nsummary: A company.\naliases: [Acme]\n',
    })
    out = tmp_path / "out"
    proc = run_cli("build", "--root", root, "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_isolation_rules():
    assert not bidi.needs_isolation("Xi Jinping (CPC)")
    assert not bidi.needs_isolation("中国共产党")
    assert bidi.needs_isolation(EVIL) and bidi.needs_isolation(ARABIC)
    assert bidi.needs_isolation("Xi", "rtl")
    assert str(bidi.bdi("<b>" + EVIL)) == "<bdi>&lt;b&gt;" + EVIL + "</bdi>"
    assert bidi.isolate(EVIL) == "\u2068" + EVIL + "\u2069"
    assert bidi.direction("ar") == "rtl" and bidi.direction("he-IL") == "rtl" and bidi.direction("en") == "ltr"


def test_rtl_override_in_a_name_is_isolated_everywhere_it_is_shown(tmp_path):
    out = _build(tmp_path)
    entity = (out / "glossary/acme.html").read_text(encoding="utf-8")
    doc = (out / "documents/d.html").read_text(encoding="utf-8")
    glossary = (out / "glossary/index.html").read_text(encoding="utf-8")
    home = (out / "index.html").read_text(encoding="utf-8")
    isolated = f"<bdi>{EVIL}</bdi>"
    # <title>: isolate marks (no element can go there).
    assert f"<title>\u2068{EVIL}\u2069 · Briefing</title>" in entity
    assert f"<title>\u2068{ARABIC}\u2069 · Briefing</title>" in doc
    assert f"<h1>{isolated}</h1>" in entity
    assert f"Annotations about {isolated}" in entity
    assert f'<a class="chip" href="../glossary/acme.html">{isolated}</a>' in doc  # the note's entity chip
    assert f'<a href="../glossary/acme.html">{isolated}</a>' in doc  # entities in this document
    assert f"<dd>{isolated}</dd>" in doc  # publisher
    assert f"<h1><bdi>{ARABIC}</bdi></h1>" in doc
    assert f">{isolated}</a>" in glossary and f">{isolated}</a>" in home
    assert f"<bdi>{ARABIC}</bdi></a>" in home  # the document's title in the list
    # Every occurrence of the override in any page is inside an isolate.
    for page in out.rglob("*.html"):
        # JSON-LD is data for machines, not text laid out for readers.
        html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", page.read_text(encoding="utf-8"),
                      flags=re.S)
        for m in re.finditer("\u202e", html):
            before = html[:m.start()]
            assert before.rfind("<bdi>") > before.rfind("</bdi>") or before.rfind("\u2068") > before.rfind("\u2069"), \
                (page.name, html[m.start() - 60:m.start() + 20])


def test_text_blocks_and_notes_take_their_own_direction(tmp_path):
    out = _build(tmp_path)
    doc = (out / "documents/d.html").read_text(encoding="utf-8")
    # Every top-level block of the text takes its own direction.
    assert doc.count('<p dir="auto">') >= 2
    assert doc.count('<div class="block-text doc-text" dir="auto">') == 1
    assert '<div class="note-body" dir="auto">' in doc
    notes = (out / "annotations/documents/d.html").read_text(encoding="utf-8")  # the document's annotation page
    assert '<blockquote class="note-quote"><p dir="auto">' in notes
    assert "<html lang=\"en\">" in doc


def test_rtl_site_declares_its_direction_and_isolates_every_name(tmp_path):
    out = _build(tmp_path, language="ar")
    doc = (out / "documents/d.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in doc
    assert '<a class="site-title" href="../index.html"><bdi>Briefing</bdi></a>' in doc
    assert "<title>\u2068" in doc


def test_popovers_and_search_results_set_dir_auto():
    reader = (ROOT / "site_builder/templates/assets/reader.js").read_text(encoding="utf-8")
    search = (ROOT / "site_builder/templates/assets/search.js").read_text(encoding="utf-8")
    assert reader.count('.dir = "auto"') >= 3
    assert search.count('.dir = "auto"') >= 2 and "\\u2068" in search


def test_diagnostics_never_print_a_raw_directional_control(tmp_path):
    root = make_project(tmp_path / "p", {
        "content/glossary/a.yml": 'name: "Acme \\u202Eevil"\ntype: company\nsummary: S.\n',
        "content/glossary/b.yml": 'name: "Acme \\u202Eevil"\ntype: company\nsummary: S.\n',
    })
    proc = run_cli("check", "--root", root)
    assert "\u202e" not in proc.stderr
    assert "alias 'Acme <U+202E>evil' is also a name or alias of 'a'" in proc.stderr


def test_browser_lays_out_the_interface_around_an_override_in_order(tmp_path, chromium_browser):
    """In Chromium, the mention count after an entity whose name holds an unclosed U+202E
    stays to the right of the name, and the header and chips keep their order."""
    out = _build(tmp_path)
    page = chromium_browser.new_page()
    try:
        page.goto((out / "documents/d.html").as_uri())
        expand = page.locator("[data-notes-expand]")
        if expand.is_visible():  # note cards in the margin start closed: open them to measure a chip
            expand.click()
        boxes = page.evaluate("""() => {
            const li = document.querySelector('.doc-entities li');
            const name = li.querySelector('a').getBoundingClientRect();
            const count = li.querySelector('.muted').getBoundingClientRect();
            const chip = document.querySelector('.note-entities .chip').getBoundingClientRect();
            const label = document.querySelector('.note-entities .visually-hidden');
            return {name: [name.left, name.right], count: [count.left, count.right], chip: chip.width,
                    dir: getComputedStyle(document.querySelectorAll('.block-text p')[1]).direction};
        }""")
        assert boxes["count"][0] >= boxes["name"][1] - 1, boxes
        assert boxes["chip"] > 0
        assert boxes["dir"] == "ltr"  # the English paragraph; the Arabic one takes rtl
        first_block_dir = page.evaluate("() => getComputedStyle(document.querySelectorAll('.block-text p')[0]).direction")
        assert first_block_dir == "rtl"
    finally:
        page.close()
