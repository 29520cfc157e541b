"""Analysing one document costs work linear in its annotations, counted in operations
(lines of site_builder run, never seconds): the issue's target is 100,000 annotations
on one document in at most 11x the time of 10,000."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from site_builder import anchoring, loader, xref
from site_builder.diagnostics import Diagnostics
from site_builder.markdown import Markdown
from site_builder.mentions import Matcher

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from dense import generate  # noqa: E402

PACKAGE = str(ROOT / "site_builder")


def _analyse(root: Path):
    diags = Diagnostics()
    content = loader.load(root, diags, None)
    assert content is not None and not diags.has_errors(False), [d.format() for d in diags.items]
    doc = next(d for d in content.documents if d.slug == "dense")
    anns = next(af.annotations for af in content.annotation_files if af.slug == "dense")
    return doc, anns, Markdown(), Matcher(content.entities)


def counted_lines(call):
    """``call()``'s result and the lines of site_builder's own code it ran."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if not frame.f_code.co_filename.startswith(PACKAGE):
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        result = call()
    finally:
        sys.settrace(None)
    return count, result


def lines_run(root: Path) -> tuple[int, xref.DocumentAnalysis]:
    """Lines of site_builder's own code run while analysing the dense document."""
    doc, anns, md, matcher = _analyse(root)
    return counted_lines(lambda: xref.analyse_document(doc, anns, md, matcher))


def test_analysis_work_grows_linearly_with_annotations(tmp_path, monkeypatch):
    # Quotes found through the word index at every size, as in a long document (scanning the
    # text for each quote runs in C, where lines are not counted, and costs quadratic time).
    monkeypatch.setattr(anchoring, "INDEX_FROM", 0)
    counts = {}
    for n in (100, 200, 400):
        generate(tmp_path / str(n), n)
        counts[n], an = lines_run(tmp_path / str(n))
        assert len(an.marks) == n and not an.diagnostics
    # Twice the annotations (and text) cost about twice the work, not four times.
    assert counts[200] <= 2.3 * counts[100], counts
    assert counts[400] <= 2.3 * counts[200], counts


@pytest.mark.parametrize("indexed_from", [0, 10**12])
def test_quotes_found_through_the_word_index_anchor_the_same(tmp_path, monkeypatch, indexed_from):
    """The word index (used for long, densely annotated documents) gives the same anchors as
    scanning, and finds every quote of the dense document without scanning the text."""
    generate(tmp_path, 150)
    made: list[anchoring.Occurrences] = []

    class Counted(anchoring.Occurrences):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(anchoring, "Occurrences", Counted)
    monkeypatch.setattr(anchoring, "INDEX_FROM", indexed_from)
    doc, anns, md, matcher = _analyse(tmp_path)
    an = xref.analyse_document(doc, anns, md, matcher)
    assert len(an.marks) == 150 and not an.diagnostics
    (occ,) = made
    assert (occ.words is not None) == (indexed_from == 0)
    assert occ.scans == (0 if indexed_from == 0 else 150)
    for m in an.marks:  # every highlight covers its quote
        a = next(x for x in anns if x.id == m.id)
        assert anchoring.normalize_str(an.text[m.start:m.end]).strip() == anchoring.normalize_str(a.quote.exact).strip()
