"""One token per mention link (docs/performance.md, mention-tokens).

``apply_marks`` makes a whole, unhighlighted mention one ``mention`` token
instead of three (``mention_open``, the text, ``mention_close``).  The HTML
must be byte for byte what the three tokens gave: here the three-token form
is put back (``_whole_mention`` patched to append them, as the code did
before) and both are rendered from random Markdown, mentions and highlights.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder import markdown
from site_builder.markdown import Markdown, MarkSpan, MentionSpan, apply_marks

PIECES = ["alpha", "Beta", "AT&T", "x<y", "a>b", '"quoted"', "it's", "Ünïcode", "中国", "&amp;", "*em*",
          "**strong**", "_under_", "[a link](https://example.org/?a=1&b=2)", "`co<de>`", "\n", "  \n", "\\*",
          "<b>raw</b>", "word,", "end."]
ATTRS = ["m-cpc-1", "m-a&b-2", 'm-"q"-3', "m-<x>-4", "m-e'-5"]
HREFS = ["../glossary/cpc.html", "../glossary/a&b.html", '../glossary/"q".html', "cpc.html#x<y>"]


def _three_tokens(out, mn, text):
    """The form before one token per mention: open, the text as a text token, close."""
    out.append(markdown._token("mention_open", meta={"href": mn.href, "anchor": mn.anchor, "entity": mn.entity}))
    out.append(markdown._token("text", text))
    out.append(markdown._token("mention_close"))


@st.composite
def documents(draw):
    """Markdown, then mentions (inside linkable runs, as the matcher finds them) and highlights over its text."""
    paragraphs = draw(st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14), min_size=1, max_size=4))
    heads = draw(st.lists(st.booleans(), min_size=len(paragraphs), max_size=len(paragraphs)))
    source = "\n\n".join(("## " if h else "") + " ".join(p).replace(" \n ", "\n").strip()
                         for p, h in zip(paragraphs, heads))
    text = Markdown().parse(source).projection.text
    runs = list(Markdown().parse(source).projection.linkable_runs())
    mentions = []
    for start, run in runs:
        at = 0
        while at < len(run) and draw(st.booleans()):
            a = draw(st.integers(at, len(run) - 1))
            b = draw(st.integers(a + 1, min(len(run), a + 12)))
            if run[a].isspace() or run[b - 1].isspace():
                break  # a name never begins or ends with a space
            mentions.append(MentionSpan(start + a, start + b, "e", draw(st.sampled_from(ATTRS)),
                                        draw(st.sampled_from(HREFS))))
            at = b
    marks = []
    for n in range(draw(st.integers(0, 4)) if text else 0):
        a = draw(st.integers(0, len(text) - 1))
        b = draw(st.integers(a + 1, min(len(text), a + 40)))
        marks.append(MarkSpan(a, b, f"a{n}", draw(st.sampled_from(["note", "fact-check", "quote"])), n + 1))
    return source, mentions, marks


def _render(source, mentions, marks):
    md = Markdown()
    parsed = md.parse(source)
    notes = apply_marks(parsed, marks, mentions)
    kinds = [c.type for t in parsed.tokens if t.type == "inline" for c in t.children or ()]
    return [(b.html, b.notes) for b in md.render_blocks(parsed.tokens, notes)], kinds


@settings(max_examples=400, deadline=None)
@given(documents())
def test_one_token_per_mention_renders_what_three_tokens_rendered(doc):
    source, mentions, marks = doc
    one, kinds = _render(source, mentions, marks)
    saved = markdown._whole_mention
    markdown._whole_mention = _three_tokens
    try:
        three, three_kinds = _render(source, mentions, marks)
    finally:
        markdown._whole_mention = saved
    assert one == three, source
    # Every mention is either one token or opened once (when a highlight edge or a line break cuts it).
    assert kinds.count("mention") + kinds.count("mention_open") == len(mentions)
    assert kinds.count("mention_open") == kinds.count("mention_close")
    if not marks:
        assert kinds.count("mention") == sum("\n" not in _text_of(source, m) for m in mentions)
    assert three_kinds.count("mention") == 0


def _text_of(source: str, m: MentionSpan) -> str:
    return Markdown().parse(source).projection.text[m.start:m.end]


def test_a_paragraph_of_mentions_has_one_token_per_mention_and_one_per_text_between_them():
    md = Markdown()
    source = "CPC and CPC, then CPC met <CPC> & CPC."
    parsed = md.parse(source)
    text = parsed.projection.text
    starts = [i for i in range(len(text)) if text.startswith("CPC", i)]
    spans = [MentionSpan(s, s + 3, "cpc", f"m-cpc-{i + 1}", "../glossary/cpc.html") for i, s in enumerate(starts)]
    apply_marks(parsed, [], spans)
    children = [t for t in parsed.tokens if t.type == "inline"][0].children
    assert [c.type for c in children].count("mention") == len(spans) == 5
    assert len(children) == 2 * len(spans)  # mention, text, mention, ..., mention, text
    html = md.render_blocks(parsed.tokens, {})[0].html
    assert html == ('<p dir="auto"><a class="mention" id="m-cpc-1" href="../glossary/cpc.html">CPC</a> and '
                    '<a class="mention" id="m-cpc-2" href="../glossary/cpc.html">CPC</a>, then '
                    '<a class="mention" id="m-cpc-3" href="../glossary/cpc.html">CPC</a> met &lt;'
                    '<a class="mention" id="m-cpc-4" href="../glossary/cpc.html">CPC</a>&gt; &amp; '
                    '<a class="mention" id="m-cpc-5" href="../glossary/cpc.html">CPC</a>.</p>\n')


def test_a_highlighted_or_cut_mention_keeps_its_open_and_close_tokens():
    md = Markdown()
    source = "The Communist Party of China met."
    parsed = md.parse(source)
    text = parsed.projection.text
    s = text.index("Communist")
    mention = MentionSpan(s, s + len("Communist Party of China"), "cpc", "m-cpc-1", "cpc.html")
    mark = MarkSpan(text.index("Party"), text.index("met") + 3, "a1", "note", 1)  # begins inside the mention
    notes = apply_marks(parsed, [mark], [mention])
    kinds = [c.type for t in parsed.tokens if t.type == "inline" for c in t.children]
    assert "mention" not in kinds and kinds.count("mention_open") == 1
    html = md.render_blocks(parsed.tokens, notes)[0].html
    assert html.startswith('<p dir="auto">The <a class="mention" id="m-cpc-1" href="cpc.html">Communist '
                           '<span class="hl-anchor" id="hl-a1"></span><mark class="hl hl-note" data-ann="a1">'
                           'Party of China</mark></a>')


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sets(st.sampled_from("abcdefg")), max_size=8), st.lists(st.sets(st.sampled_from("abcdefg")),
                                                                          max_size=8))
def test_co_mentions_counted_a_paragraph_at_a_time_are_the_counts_of_every_pair(first, second):
    from collections import Counter, defaultdict

    from site_builder.xref import add_co_mentions

    pairs: dict = defaultdict(Counter)
    co: dict = {}
    for groups in (first, second):  # two documents into one table, as xref.build adds them
        for group in groups:
            for e in group:
                for other in group:
                    if other != e:
                        pairs[e][other] += 1
        add_co_mentions(co, groups)
    assert co == dict(pairs)
    assert all(e not in c and all(n > 0 for n in c.values()) for e, c in co.items())
