"""Text is text: NFC on both sides of a quote, highlights on grapheme cluster boundaries,
invisible characters named in diagnostics, no mentions inside bare addresses, aliases
compared in NFC, blank values and empty annotation files rejected."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from builder_support import error_lines, make_project, run_cli
from site_builder import anchoring, graphemes, mentions
from site_builder.diagnostics import Diagnostics
from site_builder.markdown import Markdown
from site_builder.model import Annotation, Document, Entity, Pos, Quote, Source

# ------------------------------------------------------------- graphemes

# Pieces that clusters are made of: bases, combining marks, ZWJ, emoji, modifiers,
# variation selectors, regional indicators, Hangul jamo, spaces.
PIECES = ["a", "e", "Z", " ", "\u0301", "\u0308", "\u0323", "\u200d", "\U0001F469", "\U0001F4BB",
          "\U0001F3FD", "\ufe0f", "\u2764", "\U0001F1EB", "\U0001F1F7", "\u1100", "\u1161", "\u11a8",
          "\uac00", "\u05d0", "\u0627", "\u093f", "\n"]
cluster_text = st.lists(st.sampled_from(PIECES), max_size=24).map("".join)


@settings(max_examples=300, deadline=None)
@given(cluster_text, st.integers(0, 30), st.integers(0, 30))
def test_snap_gives_whole_clusters_around_the_span(text, a, b):
    a, b = min(a, b, len(text)), min(max(a, b), len(text))
    start, end = graphemes.snap(text, a, b)
    assert start <= a and end >= b
    assert graphemes.is_boundary(text, start) and graphemes.is_boundary(text, end)
    # Smallest: no boundary strictly inside the widened parts.
    assert all(not graphemes.is_boundary(text, i) for i in range(start + 1, a + (a == start)) if i < a)
    assert all(not graphemes.is_boundary(text, i) for i in range(b + 1, end))


@settings(max_examples=300, deadline=None)
@given(cluster_text)
def test_no_boundary_before_a_mark_or_inside_a_pair(text):
    for i in range(1, len(text)):
        c = text[i]
        if unicodedata.category(c) in ("Mn", "Mc", "Me") or c in ("\u200d", "\ufe0f", "\U0001F3FD"):
            if text[i - 1] not in "\n":
                assert not graphemes.is_boundary(text, i), (text, i)


def test_cluster_examples():
    cases = {
        "e\u0301": [0, 2],                                        # e + combining acute
        "\U0001F469\u200d\U0001F4BB": [0, 3],                     # woman technologist (ZWJ)
        "\u2764\ufe0f": [0, 2],                                   # heart + variation selector
        "\U0001F44D\U0001F3FD": [0, 2],                           # thumbs up + skin tone
        "\U0001F1EB\U0001F1F7\U0001F1E9\U0001F1EA": [0, 2, 4],    # two flags: FR DE
        "\u1100\u1161\u11a8": [0, 3],                             # Hangul jamo L V T
        "ab": [0, 1, 2],
    }
    for text, bounds in cases.items():
        assert [i for i in range(len(text) + 1) if graphemes.is_boundary(text, i)] == bounds, text


# ----------------------------------------------------------------- NFC

@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES + ["\u00c5", "\u212b", "A\u030a", "\u1e9b\u0323", "o\u0308\u0304"]),
                max_size=20).map("".join))
def test_nfc_map_agrees_with_unicodedata(raw):
    n = anchoring.nfc(raw)
    assert n.text == unicodedata.normalize("NFC", raw)
    offsets = [n.to_raw(i) for i in range(len(n.text))]
    assert offsets == sorted(offsets)
    assert all(0 <= o < len(raw) for o in offsets)


def _doc(body: str) -> Document:
    return Document("d", "D", "", "", (), Source(), body, "content/documents/d.md", Pos("content/documents/d.md", 5, 1))


def _anchor(body: str, *quotes: str):
    md = Markdown()
    parsed = md.parse(body)
    anns = [Annotation(f"a{i}", "d", "note", Quote(q), "b", quote_pos=Pos("content/annotations/d.yml", 4 + i, 12))
            for i, q in enumerate(quotes)]
    diags = Diagnostics()
    marks = anchoring.anchor_annotations(_doc(body), parsed, anns, diags)
    return parsed.projection.text, marks, diags


def test_nfd_quote_anchors_nfc_text_and_nfc_quote_anchors_nfd_text():
    nfc_body, nfd_body = "Le caf\u00e9 du coin.", "Le cafe\u0301 du coin."
    text, marks, diags = _anchor(nfc_body, "cafe\u0301 du")
    assert not diags.items and text[marks[0].start:marks[0].end] == "caf\u00e9 du"
    text, marks, diags = _anchor(nfd_body, "caf\u00e9 du")
    assert not diags.items and text[marks[0].start:marks[0].end] == "cafe\u0301 du"


def test_highlight_never_splits_a_cluster():
    # The quote ends on a base letter whose accent follows as a combining mark (q with an acute
    # has no precomposed form, so NFC keeps the mark apart), or on the first emoji of a ZWJ sequence.
    text, marks, diags = _anchor("Voici q\u0301 et \U0001F469\u200d\U0001F4BB ici.", "Voici q", "\U0001F469")
    assert not diags.items
    spans = sorted(text[m.start:m.end] for m in marks)
    assert spans == sorted(["Voici q\u0301", "\U0001F469\u200d\U0001F4BB"])


def test_rendered_highlight_keeps_the_mark_with_its_letter(tmp_path):
    root = make_project(tmp_path / "p", {
        "content/documents/d.md": '---\ntitle: "D"\n---\n\nVoici q\u0301 et Marie.\n',
        "content/annotations/d.yml": 'annotations:\n  - id: a\n    kind: note\n    quote: "Voici q"\n    body: B.\n',
    })
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "out/documents/d.html").read_text(encoding="utf-8")
    assert '>Voici q\u0301</mark>' in html


# ------------------------------------------------------- invisible characters

def test_invisible_character_in_the_text_is_named_with_its_position():
    body = "First line.\nThe zero\u200bwidth word and a soft\u00adhyphen.\n"
    _, _, diags = _anchor(body, "zerowidth word", "softhyphen", "zero\u200bwidth")
    by_message = {d.message: d.notes for d in diags.items}
    assert by_message == {
        "annotation 'a0': quote not found in content/documents/d.md: \"zerowidth word\"": (
            "the text has an invisible U+200B ZERO WIDTH SPACE at content/documents/d.md:6:9 that the quote "
            "does not have: remove it from the text, or copy the quote from the source",),
        "annotation 'a1': quote not found in content/documents/d.md: \"softhyphen\"": (
            "the text has an invisible U+00AD SOFT HYPHEN at content/documents/d.md:6:31 that the quote "
            "does not have: remove it from the text, or copy the quote from the source",),
    }


def test_invisible_character_in_the_quote_is_named():
    _, _, diags = _anchor("A plain sentence.", "plain\u2060 sentence", "\ufeffA plain")
    notes = [d.notes[0] for d in diags.items]
    assert notes == [
        "the quote has an invisible U+2060 WORD JOINER (character 6 of the quote) that the text does not have: "
        "delete it from the quote",
        "the quote has an invisible U+FEFF ZERO WIDTH NO-BREAK SPACE (character 1 of the quote) that the text "
        "does not have: delete it from the quote",
    ]


def test_diagnostics_show_bidi_controls_as_code_points():
    _, _, diags = _anchor("Some text.", "evil \u202etxet")
    assert diags.items[0].message == \
        "annotation 'a0': quote not found in content/documents/d.md: \"evil <U+202E>txet\""


# --------------------------------------------------------------- mentions

def _mentions(text: str, *entities: Entity) -> list[str]:
    return [text[f.start:f.end] for f in mentions.find_in_runs([(0, text)], mentions.Matcher(entities))]


def test_no_mentions_inside_bare_urls_or_addresses():
    acme = Entity("acme", "Acme", "company", "x")
    text = ("See https://example.org/Acme/page, http://acme.example/ and www.acme.org/Acme "
            "or write to press@acme.org; Acme itself (Acme) answers.")
    assert _mentions(text, acme) == ["Acme", "Acme"]


def test_no_mention_that_splits_a_combining_mark():
    jose = Entity("jose", "Jose", "person", "x")
    assert _mentions("Jose\u0301 and Jose.", jose) == ["Jose"]


def test_bare_url_mention_not_linked_in_the_built_page(tmp_path):
    root = make_project(tmp_path / "p", {
        "content/documents/d.md": '---\ntitle: "D"\n---\n\nAcme is at https://example.org/Acme/page today.\n',
        "content/glossary/acme.yml": 'name: Acme\ntype: company\nsummary: A company.\n',
    })
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "out/documents/d.html").read_text(encoding="utf-8")
    assert html.count('class="mention"') == 1
    assert "https://example.org/Acme/page today." in html


def test_aliases_that_differ_only_by_normalisation_conflict(tmp_path):
    root = make_project(tmp_path / "p", {
        "content/documents/d.md": '---\ntitle: "D"\n---\n\nThe Caf\u00e9 and the bar.\n',
        "content/glossary/cafe.yml": 'name: "Caf\u00e9"\ntype: place\nsummary: A place.\n',
        "content/glossary/other.yml": 'name: Other\ntype: place\nsummary: B.\naliases: ["Cafe\\u0301"]\n',
    })
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 1
    assert ("content/glossary/other.yml:1:1: error: alias 'Caf\u00e9' is also a name or alias of 'cafe': "
            "mentions would be ambiguous [alias-conflict]") in error_lines(proc.stderr)


# ----------------------------------------------------------- empty content

def test_empty_annotation_file_stops_the_build(tmp_path):
    doc = '---\ntitle: "D"\n---\n\nText.\n'
    for name, text in {"empty": "", "comments": "# nothing\n", "blank": "\n\n  \n"}.items():
        root = make_project(tmp_path / name, {"content/documents/d.md": doc, "content/annotations/d.yml": text})
        out = tmp_path / name / "out"
        proc = run_cli("build", "--root", root, "--out", out)
        assert proc.returncode == 1, (name, proc.stderr)
        assert ("content/annotations/d.yml:1:1: error: the file is empty or holds only comments: the "
                "'annotations' key is required (write 'annotations: []' for a document without annotations) "
                "[missing-field]") in error_lines(proc.stderr)
        assert not out.exists()


def test_explicitly_empty_annotation_list_is_fine(tmp_path):
    root = make_project(tmp_path / "p", {"content/documents/d.md": '---\ntitle: "D"\n---\n\nText.\n',
                                         "content/annotations/d.yml": "annotations: []\n"})
    assert run_cli("check", "--root", root).returncode == 0


def test_blank_titles_and_takeaways_are_errors(tmp_path):
    root = make_project(tmp_path / "p", {
        "content/index.md": '---\ntitle: "Overview"\ntakeaways:\n  - "One."\n  - " "\n---\n\nText.\n',
        "content/documents/d.md": '---\ntitle: "\\u3000"\n---\n\nText.\n',
    })
    proc = run_cli("check", "--root", root)
    assert error_lines(proc.stderr) == {
        "content/index.md:5:5: error: 'takeaways' item 2 is empty or holds only whitespace or invisible characters [empty-value]",
        "content/documents/d.md:2:8: error: required field 'title' is empty [missing-field]",
    }


WORDS = ["café", "naïve", "Ångström", "São", "Paulo", "Dvořák", "ề", "q\u0301", "👩\u200d💻", "🇫🇷", "x"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12), st.data(),
       st.sampled_from(["NFC", "NFD"]), st.sampled_from(["NFC", "NFD"]))
def test_any_word_span_anchors_whatever_the_normal_forms(words, data, text_form, quote_form):
    # Unique words so the span occurs once; the text and the quote each in either normal form.
    words = list(dict.fromkeys(words))
    i = data.draw(st.integers(0, len(words) - 1))
    j = data.draw(st.integers(i + 1, len(words)))
    text = unicodedata.normalize(text_form, " ".join(words))
    quote = unicodedata.normalize(quote_form, " ".join(words[i:j]))
    norm = anchoring.normalize(text)
    outcome = anchoring.find(norm, quote)
    if len(outcome.matches) != 1:  # a short word inside a longer one ('x' in a flag?) may repeat
        assert len(outcome.matches) > 1
        return
    m = outcome.matches[0]
    start, end = graphemes.snap(text, m.start, m.end)
    assert unicodedata.normalize("NFC", text[start:end]) == unicodedata.normalize("NFC", " ".join(words[i:j]))
