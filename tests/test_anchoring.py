"""Anchoring quotes to the rendered text: normalisation, matching, diagnostics, nesting."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from site_builder import anchoring
from site_builder.anchoring import find, normalize, normalize_str
from site_builder.diagnostics import Diagnostics, Pos
from site_builder.markdown import Markdown
from site_builder.mentions import Matcher
from site_builder.model import Annotation, Document, Entity, Quote, Source
from site_builder.xref import analyse_document

# ------------------------------------------------------------------ helpers


def make_doc(body: str, slug: str = "doc") -> Document:
    return Document(slug=slug, title="T", date="", summary="", tags=(), source=Source(), body=body,
                    path=f"content/documents/{slug}.md", body_pos=Pos(f"content/documents/{slug}.md", 5, 1))


def make_ann(aid: str, exact: str, prefix: str = "", suffix: str = "", kind: str = "note") -> Annotation:
    return Annotation(id=aid, document="doc", kind=kind, quote=Quote(exact, prefix, suffix), body=f"Body of {aid}.",
                      verdict="accurate" if kind == "fact-check" else "",
                      pos=Pos("content/annotations/doc.yml", 2, 5), quote_pos=Pos("content/annotations/doc.yml", 4, 12),
                      body_pos=Pos("content/annotations/doc.yml", 5, 11))


def anchor(body: str, *annotations: Annotation):
    md = Markdown()
    parsed = md.parse(body)
    diags = Diagnostics()
    marks = anchoring.anchor_annotations(make_doc(body), parsed, list(annotations), diags)
    return parsed, marks, diags


def squash(s: str) -> str:
    return " ".join(s.split())


def nows(s: str) -> str:
    """Without any whitespace: highlights do not wrap the line breaks between text pieces."""
    return "".join(s.split())


class TreeChecker(HTMLParser):
    """Checks strict well-nesting (every end tag closes the innermost open element) and
    collects, per annotation id, the text inside <mark data-ann> elements."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.errors: list[str] = []
        self.mark_text: dict[str, list[str]] = {}
        self.ids: list[str] = []
        self.marks = 0
        self.mark_parents: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "mark":
            self.marks += 1
            self.mark_parents.append(self.stack[-1][0] if self.stack else "")
            if any(t == "mark" for t, _ in self.stack):
                self.errors.append("nested <mark>")
        if tag not in self.VOID:
            self.stack.append((tag, a))

    def handle_startendtag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack:
            self.errors.append(f"</{tag}> with nothing open")
            return
        top, _ = self.stack.pop()
        if top != tag:
            self.errors.append(f"</{tag}> closes <{top}>")

    def handle_data(self, data):
        for tag, attrs in self.stack:
            if tag == "mark":
                for aid in attrs.get("data-ann", "").split():
                    self.mark_text.setdefault(aid, []).append(data)

    def close(self):
        super().close()
        if self.stack:
            self.errors.append(f"unclosed: {[t for t, _ in self.stack]}")


def check_html(html: str) -> TreeChecker:
    checker = TreeChecker()
    checker.feed(html)
    checker.close()
    assert not checker.errors, (checker.errors, html)
    return checker


# ------------------------------------------------------------ normalize

def test_normalize_collapses_whitespace_and_folds_quotes():
    n = normalize("a  \n\t b\u00a0c \u201cd\u201d \u2018e\u2019")
    assert n.text == "a b c \"d\" 'e'"


def test_normalize_keeps_single_spaces_and_text():
    raw = "plain text, nothing to fold."
    n = normalize(raw)
    assert n.text == raw
    assert [n.to_raw(i) for i in range(len(raw))] == list(range(len(raw)))


# ----------------------------------------------------------------- find

@pytest.mark.parametrize("needle", [
    "the “first mover” edge",
    'the "first mover" edge',
    "the  \"first\n mover\"   edge",
    "  the \u201cfirst mover\u201d edge ",
])
def test_find_is_whitespace_and_quote_insensitive(needle):
    raw = "Xi wants\nthe \u201cfirst   mover\u201d edge in AI."
    out = find(normalize(raw), needle)
    assert out.ok
    m = out.matches[0]
    assert raw[m.start:m.end] == "the \u201cfirst   mover\u201d edge"


def test_find_straight_quotes_in_text_match_curly_needle():
    raw = "He said \"it's done\" today."
    out = find(normalize(raw), "\u201cit\u2019s done\u201d")
    assert out.ok
    m = out.matches[0]
    assert raw[m.start:m.end] == "\"it's done\""


def test_find_ambiguous_returns_every_match():
    raw = "AI is big. Really, AI is big. And AI is big again."
    out = find(normalize(raw), "AI is big")
    assert not out.ok
    assert [raw[m.start:m.end] for m in out.matches] == ["AI is big"] * 3
    assert len({m.start for m in out.matches}) == 3


def test_prefix_and_suffix_pick_one_match():
    raw = "the party said yes, and then the party said no, and the party said maybe"
    norm = normalize(raw)
    assert len(find(norm, "party said").matches) == 3
    by_suffix = find(norm, "party said", suffix="no")
    assert by_suffix.ok and raw[by_suffix.matches[0].end:].startswith(" no")
    by_prefix = find(norm, "party said", prefix="and the")
    assert by_prefix.ok and raw[:by_prefix.matches[0].start].endswith("and the ")
    # The prefix "then the" and the suffix "no" agree; "and the" + "no" do not.
    assert find(norm, "party said", prefix="then the", suffix="no").ok
    both_wrong = find(norm, "party said", prefix="and the", suffix="no")
    assert not both_wrong.matches


def test_prefix_is_whitespace_and_quote_insensitive():
    raw = "He said \u201cgo\u201d  now. She said \u201cgo\u201d later."
    out = find(normalize(raw), "go", prefix='She said "', suffix='"  later')
    assert out.ok
    assert raw[:out.matches[0].start].endswith("She said \u201c")


def test_not_found_gives_closest_passage():
    raw = "China wants breakthroughs in high-end chips and foundational software for AI."
    out = find(normalize(raw), "breakthroughs in high end chip and foundation software")
    assert not out.matches
    assert out.closest is not None
    passage = raw[out.closest.start:out.closest.end]
    assert passage.startswith("breakthroughs in high-end chips")
    assert "foundational" in passage


def test_not_found_without_anything_close():
    out = find(normalize("alpha beta gamma"), "zzzzzzzzzzzzzzzzzzzzzzz qqqqqqq")
    assert not out.matches and out.closest is None


def test_blank_quote_matches_nothing():
    assert find(normalize("some text"), "   ").matches == ()


# --------------------------------------------------------- properties

_ALPHABET = st.sampled_from(list("abcAB .,\u2019\u2018\u201c\u201d'\"") + [" ", "  ", "\n", "\t", "\u00a0", "\u2009", "x\ny"])
texts = st.lists(_ALPHABET, min_size=1, max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(raw=texts, data=st.data())
def test_property_find_returns_span_that_normalises_to_needle(raw, data):
    i = data.draw(st.integers(0, len(raw) - 1))
    j = data.draw(st.integers(i + 1, len(raw)))
    needle = raw[i:j]
    wanted = normalize_str(needle).strip()
    assume(wanted)
    out = find(normalize(raw), needle)
    assert out.matches, (raw, needle)
    for m in out.matches:
        assert 0 <= m.start < m.end <= len(raw)
        assert normalize_str(raw[m.start:m.end]) == wanted
    # The occurrence the needle was cut from is among the matches.
    assert any(i <= m.start and m.end <= j for m in out.matches)


@settings(max_examples=300, deadline=None)
@given(raw=texts)
def test_property_to_raw_maps_each_normalised_char_back(raw):
    norm = normalize(raw)
    fold = str.maketrans(anchoring._FOLD)
    previous = -1
    for i, c in enumerate(norm.text):
        r = norm.to_raw(i)
        assert previous < r < len(raw)
        previous = r
        original = raw[r].translate(fold)
        if c == " ":
            assert original.isspace()
        else:
            assert original == c


@settings(max_examples=100, deadline=None)
@given(words=st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "AI", "chips", "\u201cquoted\u201d"]),
                      min_size=3, max_size=25),
       data=st.data())
def test_property_quote_anchors_through_markdown(words, data):
    """Any run of words anchors through Markdown emphasis and line wrapping, and the highlight
    covers exactly those words."""
    styles = data.draw(st.lists(st.sampled_from(["", "**", "*", "`"]), min_size=len(words), max_size=len(words)))
    seps = data.draw(st.lists(st.sampled_from([" ", "\n", "  "]), min_size=len(words), max_size=len(words)))
    source = "".join(f"{s}{w}{s}{sep}" for w, s, sep in zip(words, styles, seps)).strip() + "\n"
    i = data.draw(st.integers(0, len(words) - 1))
    j = data.draw(st.integers(i + 1, len(words)))
    quote = " ".join(words[i:j])
    parsed, marks, diags = anchor(source, make_ann("q", quote))
    text = parsed.projection.text
    if marks:
        (m,) = marks
        assert normalize_str(text[m.start:m.end]) == normalize_str(quote)
    else:  # only possible when the same words occur twice
        assert [d.code for d in diags.items] == ["quote-ambiguous"]
        assert len(find(normalize(text), quote).matches) > 1


# ------------------------------------------------- through the pipeline

BODY = """\
Xi wants China to **lead in
basic research** and to [build chips](http://x) at home.

A second paragraph says AI is *strategic*.
"""


def test_quote_spanning_bold_link_and_line_break_anchors():
    parsed, marks, diags = anchor(BODY, make_ann("span", "lead in basic research and to build chips at home"))
    assert not diags.items
    (m,) = marks
    assert squash(parsed.projection.text[m.start:m.end]) == "lead in basic research and to build chips at home"


def test_quote_spanning_bold_and_link_is_highlighted_in_html():
    md = Markdown()
    doc = make_doc(BODY)
    quote = "lead in basic research and to build chips"
    an = analyse_document(doc, (make_ann("span", quote),), md, Matcher(()))
    assert not an.diagnostics
    html = "".join(b.html for b in an.blocks)
    checker = check_html(html)
    assert nows("".join(checker.mark_text["span"])) == nows(quote)
    # the link and the emphasis survive, with the highlight inside them
    assert '<a href="http://x">' in html and "<strong>" in html
    assert checker.ids.count("hl-span") == 1 and checker.ids.count("ref-span") == 1
    assert 'href="#ann-span"' in html


def test_anchor_reports_not_found_with_closest_passage():
    _, marks, diags = anchor(BODY, make_ann("nf", "build chip at hom"))
    assert marks == []
    (d,) = diags.items
    assert d.code == "quote-not-found"
    assert d.pos == Pos("content/annotations/doc.yml", 4, 12)
    assert len(d.notes) == 1
    assert d.notes[0].startswith("closest passage (content/documents/doc.md:6)")
    assert "build chips at home" in d.notes[0]


def test_anchor_reports_ambiguity_with_every_place():
    body = "AI is big.\n\nAI is big.\nAI is big.\n"
    _, marks, diags = anchor(body, make_ann("amb", "AI is big"))
    assert marks == []
    (d,) = diags.items
    assert d.code == "quote-ambiguous"
    assert "matches 3 places" in d.message
    # body_pos is line 5: the matches are on lines 5, 7 and 8
    assert [n.split(": ", 1)[0] for n in d.notes] == ["content/documents/doc.md:5", "content/documents/doc.md:7",
                                                      "content/documents/doc.md:8"]


def test_marks_are_numbered_in_reading_order():
    body = "one two three four five six\n"
    _, marks, diags = anchor(body, make_ann("late", "five"), make_ann("early", "two three"), make_ann("mid", "four"))
    assert not diags.items
    assert [(m.id, m.number) for m in marks] == [("early", 1), ("mid", 2), ("late", 3)]


# ------------------------------------------- overlapping and nested marks

NESTED_BODY = """\
# Heading about alpha

Alpha beta gamma delta epsilon zeta eta theta.
Iota **kappa lambda** [mu nu](https://example.org/) xi omicron.

- pi rho sigma
- tau upsilon phi

> chi psi omega
"""

OVERLAPS = {
    "outer": "beta gamma delta epsilon zeta",
    "inner": "gamma delta",
    "overlap": "epsilon zeta eta theta. Iota kappa",
    "same-start": "beta gamma",
    "cross-link": "lambda mu nu xi",
    "inside-link": "nu",
    "cross-list": "rho sigma tau upsilon",
    "quote-block": "psi omega",
    "whole": "Alpha beta gamma delta epsilon zeta eta theta. Iota kappa lambda mu nu xi omicron.",
}


def test_overlapping_and_nested_annotations_render_well_nested_html():
    md = Markdown()
    anns = tuple(make_ann(k, v) for k, v in OVERLAPS.items())
    an = analyse_document(make_doc(NESTED_BODY), anns, md, Matcher(()))
    assert not an.diagnostics, [d.format() for d in an.diagnostics]
    html = "".join(b.html for b in an.blocks)
    checker = check_html(html)
    for aid, quote in OVERLAPS.items():
        assert nows("".join(checker.mark_text.get(aid, []))) == nows(quote), aid
        assert checker.ids.count(f"hl-{aid}") == 1
        assert checker.ids.count(f"ref-{aid}") == 1
    assert len(checker.ids) == len(set(checker.ids))
    # Every highlight sits in text-level parents, never wraps a block.
    assert set(checker.mark_parents) <= {"p", "strong", "em", "a", "li", "h1", "code"}
    # Notes go beside the block where each annotation ends.
    notes_at = {aid: i for i, b in enumerate(an.blocks) for aid in b.notes}
    assert set(notes_at) == set(OVERLAPS)
    block_of = {i: b.html for i, b in enumerate(an.blocks)}
    assert "tau upsilon" in block_of[notes_at["cross-list"]]
    assert "omicron" in block_of[notes_at["whole"]]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_property_random_overlapping_spans_stay_well_nested(data):
    words = ["w%02d" % i for i in range(24)]
    # Words with emphasis, code and a link, across two paragraphs and a list.
    source = (" ".join(words[:4]) + " **" + " ".join(words[4:7]) + "** [" + " ".join(words[7:10])
              + "](https://example.org/) " + " ".join(words[10:12]) + "\n\n" + " ".join(words[12:18])
              + "\n\n- " + " ".join(words[18:21]) + "\n- " + " ".join(words[21:]) + "\n")
    n = data.draw(st.integers(1, 6))
    anns = []
    for k in range(n):
        i = data.draw(st.integers(0, len(words) - 1))
        j = data.draw(st.integers(i + 1, min(len(words), i + 12)))
        anns.append(make_ann(f"a{k}", " ".join(words[i:j])))
    entities = [Entity(id="w", name=data.draw(st.sampled_from(words)), type="concept", summary="s")]
    an = analyse_document(make_doc(source), tuple(anns), Markdown(), Matcher(entities))
    assert not an.diagnostics
    html = "".join(b.html for b in an.blocks)
    checker = check_html(html)
    for a in anns:
        assert nows("".join(checker.mark_text[a.id])) == nows(a.quote.exact)
    assert len(checker.ids) == len(set(checker.ids))
