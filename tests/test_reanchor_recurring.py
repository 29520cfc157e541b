"""Re-anchoring with a lock file where quotes recur many times (docs/performance.md, mention-tokens).

``reanchor.resolve`` scored every occurrence of a quote with two fuzzy
comparisons, for each annotation: a document whose quote recurs at each of
its N annotations cost N x N comparisons.  Given the occurrences of the
document's text (``starts``), a quote whose recorded context still stands
around it is placed without scoring them (``reanchor._in_place``).  These
tests check that the answer is the same as the full scoring's, on random
texts and edits, and count the work (lines run, never seconds).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder import anchoring, anchorstate, loader, reanchor, xref
from site_builder.diagnostics import Diagnostics
from site_builder.markdown import Markdown
from site_builder.mentions import Matcher

from builder_support import make_project, run_cli
from test_analysis_linear import counted_lines

WORDS = ["the", "same", "phrase", "recurs", "here", "and", "there", "again", "a", "b"]


@st.composite
def cases(draw):
    """A normalised text of few words (so quotes recur), a quote anchored once at one of its
    occurrences with a record, then the text perhaps edited; the quote's selector as written."""
    # Sentences, some repeated word for word (so a quote and its context both recur).
    sentences = draw(st.lists(st.lists(st.sampled_from(WORDS), min_size=2, max_size=14), min_size=1, max_size=4))
    order = draw(st.lists(st.integers(0, len(sentences) - 1), min_size=1, max_size=24))
    words = [w for k in order for w in sentences[k]]
    text = " ".join(words)
    i = draw(st.integers(0, len(words) - 1))
    j = draw(st.integers(i + 1, min(len(words), i + 4)))
    start = len(" ".join(words[:i])) + (1 if i else 0)
    needle = " ".join(words[i:j])
    former = reanchor.record(text, start, start + len(needle))
    prefix = " ".join(words[max(0, i - draw(st.integers(0, 3))):i])
    suffix = " ".join(words[j:j + draw(st.integers(0, 2))])
    edits = draw(st.lists(st.tuples(st.integers(0, len(words)), st.sampled_from(["", "new", "the same"])),
                          max_size=3))
    for at, put in edits:  # replace one word, or insert before it
        words = words[:at] + ([put] if put else []) + words[at + 1:] if draw(st.booleans()) \
            else words[:at] + [put or "x"] + words[at:]
    if draw(st.booleans()):
        needle = " ".join(needle.split()[:-1]) or needle  # the quote edited too
    return " ".join(w for w in words if w), needle, prefix, suffix, former


placed = {"fast": 0, "full": 0}


@settings(max_examples=1500, deadline=None)
@given(cases(), st.booleans())
def test_placing_by_the_recorded_context_gives_what_scoring_every_occurrence_gives(case, indexed):
    text, needle, prefix, suffix, former = case
    occurrences = anchoring.Occurrences(text, indexed=indexed)
    full = reanchor.resolve(text, needle, prefix, suffix, former)
    assert reanchor.resolve(text, needle, prefix, suffix, former, occurrences.starts) == full, case
    placed["fast" if reanchor._in_place(text, needle, prefix, suffix, former, occurrences.starts) else "full"] += 1


def test_the_cases_above_take_both_ways():
    # Run after the property test (file order): most unedited cases are placed by their context.
    if placed["fast"] + placed["full"]:
        assert placed["fast"] > 100 and placed["full"] > 100, placed


def _recurring_project(root: Path, n: int) -> Path:
    """One document where one quote stands n times, each annotation choosing its place by a prefix
    (and every sentence's 32 characters either side repeating too, for half of them)."""
    sentences, annotations = [], []
    for i in range(n):
        lead = f"Item {i}: in this sentence, as every item says," if i % 2 else f"Item {i}: a plain sentence where"
        rest = ", and the same words follow it in each." if i % 2 else f" for {i} reasons."
        sentences.append(f"{lead} the agreed phrase recurs{rest}")
        annotations.append(f'  - {{"id": "a{i}", "kind": "note", "quote": {{"exact": "the agreed phrase recurs", '
                           f'"prefix": "{lead}"}}, "body": "Note {i}."}}')
    paragraphs = [" ".join(sentences[k:k + 5]) for k in range(0, n, 5)]
    return make_project(root, {
        "content/documents/doc.md": '---\ntitle: "Doc"\n---\n\n' + "\n\n".join(paragraphs) + "\n",
        "content/annotations/doc.yml": "annotations:\n" + "\n".join(annotations) + "\n",
    })


def _lines_to_reanchor(root: Path) -> tuple[int, xref.DocumentAnalysis]:
    """Lines of site_builder run while analysing the document again with the records of its first analysis."""
    diags = Diagnostics()
    content = loader.load(root, diags, None)
    assert content is not None and not diags.has_errors(False)
    doc = content.documents[0]
    anns = content.annotation_files[0].annotations
    md, matcher = Markdown(), Matcher(content.entities)
    first = xref.analyse_document(doc, anns, md, matcher)
    assert not first.diagnostics and all(x.state == reanchor.EXACT for x in first.anchors)
    formers = {x.id: x.record for x in first.anchors}
    count, an = counted_lines(lambda: xref.analyse_document(doc, anns, md, matcher, formers))
    assert [(m.start, m.end, m.id) for m in an.marks] == [(m.start, m.end, m.id) for m in first.marks]
    # A build from the cache checks the new records the same way, through shared occurrences too:
    # they reproduce this anchoring only where every annotation stays exact.
    assert anchorstate.reproduces(first.text, anns, first.anchors, {}, formers) == \
        all(x.state == reanchor.EXACT for x in an.anchors)
    return count, an


def test_re_anchoring_a_quote_that_recurs_at_every_annotation_costs_linear_work(tmp_path, monkeypatch):
    monkeypatch.setattr(anchoring, "INDEX_FROM", 0)  # the word index at every size, as in a long document
    counts = {}
    for n in (100, 200, 400):
        counts[n], an = _lines_to_reanchor(_recurring_project(tmp_path / str(n), n))
        assert len(an.marks) == n
        # The odd items' context repeats at every odd item: each stands where its record and its
        # selector put it, so it is exact (not reported relocated on every build).
        assert {x.state for x in an.anchors} == {reanchor.EXACT}
    # Twice the annotations (and text) cost about twice the work; scoring every occurrence was 4x.
    assert counts[200] <= 2.3 * counts[100], counts
    assert counts[400] <= 2.3 * counts[200], counts


def test_an_unchanged_briefing_whose_quotes_recur_with_their_context_builds_again_without_warnings(tmp_path):
    """The second build reads the lock file the first wrote: a quote whose 32 characters either side
    recur elsewhere, placed by its prefix, has not moved, so no anchor-relocated warning (an error
    under --strict) is reported for it; an edit that moves the text still reports one."""
    root = _recurring_project(tmp_path / "p", 12)

    def build(*extra: str):
        return run_cli("build", "--root", root, "--out", tmp_path / "out", "--no-cache", *extra)

    first = build()
    assert first.returncode == 0 and "warning:" not in first.stderr, first.stderr
    assert anchorstate.path_of(root).is_file()
    again = build("--strict")
    assert again.returncode == 0 and "warning:" not in again.stderr, again.stderr
    doc = root / "content/documents/doc.md"
    text = doc.read_text(encoding="utf-8")
    doc.write_text(text.replace("Item 3: in this sentence", "Item 3: in this longer sentence", 1), encoding="utf-8")
    moved = build()
    assert "[anchor-relocated]" in moved.stderr, moved.stderr
