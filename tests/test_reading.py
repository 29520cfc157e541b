"""The document page's reading view, without a browser: note numbers right after their
words, card summaries, heading ids and the table of contents, previous/next links, the
``summary`` and ``print_notes`` settings through the real CLI."""

from __future__ import annotations

import re

from builder_support import make_project, run_cli

from site_builder.markdown import Markdown, MarkSpan, MentionSpan, apply_marks
from site_builder.reading import card_summary, first_sentence, table_of_contents


def _render(source: str, marks, mentions=()):
    md = Markdown()
    parsed = md.parse(source)
    notes = apply_marks(parsed, list(marks), list(mentions))
    return md.render_blocks(parsed.tokens, notes)


def _span(text: str, part: str, aid: str, number: int, kind: str = "note") -> MarkSpan:
    start = text.index(part)
    return MarkSpan(start, start + len(part), aid, kind, number)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()


def test_the_number_follows_the_last_highlighted_word_not_the_paragraph_end():
    src = "Alpha beta gamma delta. Epsilon zeta eta theta."
    blocks = _render(src, [_span(src, "beta gamma", "a", 1), _span(src, "zeta", "b", 2)])
    html = blocks[0].html
    assert re.search(r'gamma</mark><sup class="ann-ref ann-ref-note" id="ref-a">', html)
    assert re.search(r'zeta</mark><sup class="ann-ref ann-ref-note" id="ref-b">', html)
    assert _text(html) == "Alpha beta gamma1 delta. Epsilon zeta2 eta theta."


def test_nested_spans_ending_together_keep_their_numbers_in_order():
    src = "One two three four five."
    blocks = _render(src, [_span(src, "two three four", "outer", 1), _span(src, "three four", "inner", 2)])
    assert _text(blocks[0].html) == "One two three four12 five."


def test_a_number_never_goes_inside_a_mention_or_link():
    src = "The Communist Party of China met. See [the report](https://example.org/r) today."
    # A mark ending inside a mention or a link: its number waits for it to close.
    md = Markdown()
    parsed = md.parse(src)
    proj = parsed.projection.text
    ls = proj.index("the report")
    marks = [MarkSpan(proj.index("Party"), proj.index("Party") + 5, "m", "note", 1),
             MarkSpan(ls, ls + 3, "l", "note", 2)]
    ms = proj.index("Communist")
    mentions = [MentionSpan(ms, ms + len("Communist Party of China"), "cpc", "m-cpc-1", "cpc.html")]
    notes = apply_marks(parsed, marks, mentions)
    html = "".join(b.html for b in md.render_blocks(parsed.tokens, notes))
    assert re.search(r'of China</a><sup class="ann-ref ann-ref-note" id="ref-m">', html)
    assert re.search(r'</mark> report</a><sup class="ann-ref ann-ref-note" id="ref-l">', html)


def test_headings_get_unique_ids_and_a_link_to_themselves():
    md = Markdown()
    parsed = md.parse("## Export controls\n\nText.\n\n## Export controls\n\n### 深度求索 and `code`\n\n# Title\n")
    blocks = [b.html for b in md.render_blocks(parsed.tokens, {})]
    html = "".join(blocks)
    assert '<h2 id="sec-export-controls">' in html and '<h2 id="sec-export-controls-2">' in html
    assert '<a class="heading-anchor" href="#sec-export-controls" aria-label="Link to this section">#</a>' in html
    assert "<h1>Title</h1>" in html  # h1 is the page's own title level: left alone
    toc = table_of_contents(blocks)
    assert [(t.level, t.id, t.text) for t in toc] == [
        (2, "sec-export-controls", "Export controls"), (2, "sec-export-controls-2", "Export controls"),
        (3, "sec-深度求索-and-code", "深度求索 and code")]


def test_card_summary_is_the_authors_or_the_first_sentence():
    assert card_summary("  Short   line. ", "<p>Ignored.</p>") == "Short line."
    assert card_summary("", "<p>The <em>U.S.</em> rule, e.g. this one, applies. Then more.</p>") == \
        "The U.S. rule, e.g. this one, applies."
    assert card_summary("", "<p>首先。然后。</p>") == "首先。"
    long = first_sentence("word " * 100)
    assert len(long) <= 160 and long.endswith("…") and not long.endswith(" …")
    assert card_summary("", "<p>&quot;Quoted&quot; start. Next.</p>") == '"Quoted" start.'


DOC = "---\ntitle: {title}\n---\n\n## Part one\n\nAlpha beta gamma. Delta epsilon.\n"


def test_build_writes_cards_contents_and_neighbours(tmp_path):
    root = make_project(tmp_path / "p", {
        "content/documents/a-first.md": DOC.format(title="First"),
        "content/documents/b-second.md": DOC.format(title="Second"),
        "content/annotations/a-first.yml": (
            "annotations:\n"
            "  - id: one\n    kind: note\n    quote: {exact: beta}\n    summary: An author's one line.\n"
            "    body: The body. Second sentence.\n"
            "  - id: two\n    kind: context\n    quote: {exact: Delta}\n    body: First sentence here. Second one.\n"),
    })
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    first = (tmp_path / "out" / "documents" / "a-first.html").read_text(encoding="utf-8")
    second = (tmp_path / "out" / "documents" / "b-second.html").read_text(encoding="utf-8")
    assert '<span class="note-summary" dir="auto"> An author&#39;s one line.</span>' in first
    assert '<span class="note-summary" dir="auto"> First sentence here.</span>' in first
    assert '<a href="#sec-part-one" dir="auto">Part one</a>' in first  # the table of contents
    assert 'href="b-second.html" rel="next"' in first and 'rel="prev"' not in first
    assert 'href="a-first.html" rel="prev"' in second
    # The text is one column, followed by the notes list.
    assert first.index('class="block-text doc-text"') < first.index('<ol class="note-list">')
    assert 'class="print-notes' not in first  # endnotes by default


def test_print_notes_is_checked(tmp_path):
    root = make_project(tmp_path / "p")
    site = root / "content" / "site.yml"
    site.write_text(site.read_text(encoding="utf-8") + "print_notes: margin\n", encoding="utf-8")
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode != 0
    assert "print_notes" in proc.stderr or "endnotes" in proc.stderr
    assert "Traceback" not in proc.stderr
