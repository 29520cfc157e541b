"""Which blocks of a translation sit beside which blocks of its original.

Without markers the two are aligned block by block, in order, and must have
the same number of top-level blocks.  Where the paragraphs do not correspond
one to one, the author writes the same ``{align: LABEL}`` line (see
:mod:`alignmarks`) before the corresponding blocks of both documents.  The
markers cut both texts into *sections*: the text before the first marker, and
each marker's text up to the next marker.  Within a section

* the same number of blocks on both sides are paired in order;
* one block on either side makes the whole section one row (a translation
  paragraph that renders two of the original, or two that render one);
* anything else (three beside two, or nothing beside something) is an error,
  most often a missing marker.

An original may have several translations: its markers are the places any of
them may align at, and a translation uses the ones it needs.  A marker of the
original that no translation names, or one of a translation that the original
lacks, is an error (a marker on one side only), and so are duplicate labels,
labels in a different order on the two sides, and malformed markers.

Everything here is pure: :func:`align` returns the rows or the problems, so
the build reports them (``translation.check``) and the renderer lays out the
rows (``translation.views``) from the same computation.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import NamedTuple

from .alignmarks import AlignMarker, BodyLayout
from .diagnostics import Pos, did_you_mean

HOW = "write the same line {align: LABEL} before the corresponding blocks of both documents"


class Side(NamedTuple):
    """One document of a pair, as the alignment sees it."""

    slug: str
    path: str  # the source file, for positions
    body_line: int  # the file line where the Markdown body starts
    blocks: int  # number of top-level blocks
    layout: BodyLayout

    def pos(self, m: AlignMarker) -> Pos:
        return Pos(self.path, self.body_line + m.line - 1, m.col)

    def line(self, block: int) -> int:
        return self.body_line + self.layout.block_line(block) - 1


class Row(NamedTuple):
    """One row of the page: these blocks of the translation beside these of the original."""

    translation: tuple[int, ...]
    original: tuple[int, ...]


class Problem(NamedTuple):
    code: str
    pos: Pos
    message: str
    notes: tuple[str, ...] = ()


class Alignment(NamedTuple):
    rows: tuple[Row, ...]  # empty when there are problems
    problems: tuple[Problem, ...]


def marker_problems(side: Side) -> list[Problem]:
    """Malformed markers, markers with no block after them, and labels used twice in one document."""
    out: list[Problem] = []
    seen: dict[str, AlignMarker] = {}
    ends = len(side.layout.block_lines)
    for m in side.layout.markers:
        if m.problem:
            out.append(Problem("align-marker-invalid", side.pos(m), m.problem))
        elif m.block >= ends:
            out.append(Problem("align-marker-invalid", side.pos(m),
                               f"marker '{m.label}' ends the text: a marker goes before the block its section "
                               "starts with"))
        elif m.label in seen:
            first = seen[m.label]
            out.append(Problem("align-marker-duplicate", side.pos(m),
                               f"marker '{m.label}' is used twice in '{side.slug}' (first at line "
                               f"{side.pos(first).line}): each label starts one section",
                               ("give each marker its own label",)))
        else:
            seen[m.label] = m
    return out


def good_markers(side: Side) -> list[AlignMarker]:
    """The usable markers of a document, in order (the first of a duplicated label)."""
    seen: set[str] = set()
    out = []
    ends = len(side.layout.block_lines)
    for m in side.layout.markers:
        if not m.problem and m.block < ends and m.label not in seen:
            seen.add(m.label)
            out.append(m)
    return out


def _by_order(n: int, t0: int = 0, o0: int = 0) -> list[Row]:
    return [Row((t0 + i,), (o0 + i,)) for i in range(n)]


def _lines(side: Side, start: int, end: int) -> str:
    if end <= start:
        return "none"
    lines = [str(side.line(i)) for i in range(start, end)]
    if len(lines) == 1:
        return f"1 block, line {lines[0]}"
    return f"{len(lines)} blocks, lines {', '.join(lines[:-1])} and {lines[-1]}"


def _kept_in_order(positions: list[int]) -> set[int]:
    """Indices of a longest strictly increasing subsequence of ``positions`` (the markers in order)."""
    tails: list[int] = []  # positions[...] values
    tail_at: list[int] = []  # index of each tail
    back: list[int] = [-1] * len(positions)
    for i, p in enumerate(positions):
        k = bisect_left(tails, p)
        if k == len(tails):
            tails.append(p)
            tail_at.append(i)
        else:
            tails[k], tail_at[k] = p, i
        back[i] = tail_at[k - 1] if k > 0 else -1
    kept: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        kept.add(i)
        i = back[i]
    return kept


def align(tr: Side, orig: Side, translation_pos: Pos) -> Alignment:
    """The rows of a translation beside its original, or why they cannot be aligned."""
    mine = good_markers(tr)
    if not mine:
        if tr.blocks == orig.blocks:
            return Alignment(tuple(_by_order(tr.blocks)), ())
        notes = [f"{HOW} where they part and where they meet again (see 'Original beside translation' in "
                 "docs/content-format.md)"]
        theirs = good_markers(orig)
        if theirs:
            notes.append(f"'{orig.slug}' has markers already: "
                         + ", ".join(f"{m.label} (line {orig.pos(m).line})" for m in theirs))
        first = _first_difference(tr, orig)
        return Alignment((), (Problem(
            "translation-misaligned", translation_pos,
            f"'{tr.slug}' has {tr.blocks} blocks (paragraphs, headings, lists) and its original '{orig.slug}' "
            f"{orig.blocks}: without alignment markers they are shown side by side block by block, so both need "
            f"the same number; the first that differ is block {first + 1} ({_where(first, tr, orig)})",
            tuple(notes)),))
    theirs = {m.label: m for m in good_markers(orig)}
    problems: list[Problem] = []
    known = []
    for m in mine:
        if m.label in theirs:
            known.append(m)
            continue
        hint = did_you_mean(m.label, list(theirs))
        problems.append(Problem(
            "align-marker-unmatched", tr.pos(m),
            f"marker '{m.label}' is not in the original '{orig.slug}'{hint}",
            (f"{HOW}; the original's markers are: {', '.join(theirs)}" if theirs
             else f"the original has no markers: {HOW}",)))
    order = [list(theirs).index(m.label) for m in known]
    kept = _kept_in_order(order)
    for i, m in enumerate(known):
        if i in kept:
            continue
        other = next((known[j] for j in range(i) if j in kept and order[j] > order[i]), None)
        if other is not None:
            where = f"here it follows '{other.label}' (line {tr.pos(other).line}), in '{orig.slug}' it comes before it"
        else:
            other = next(known[j] for j in range(i + 1, len(known)) if j in kept and order[j] < order[i])
            where = f"here it comes before '{other.label}' (line {tr.pos(other).line}), in '{orig.slug}' after it"
        problems.append(Problem(
            "align-marker-order", tr.pos(m),
            f"marker '{m.label}' is out of order: {where} (line {orig.pos(theirs[m.label]).line})",
            ("the sections of a translation follow the original's order: move the marker, or give it "
             "another label",)))
    if problems:
        return Alignment((), tuple(problems))
    t_bounds = [0] + [m.block for m in known] + [tr.blocks]
    o_bounds = [0] + [theirs[m.label].block for m in known] + [orig.blocks]
    rows: list[Row] = []
    for k in range(len(t_bounds) - 1):
        t0, t1, o0, o1 = t_bounds[k], t_bounds[k + 1], o_bounds[k], o_bounds[k + 1]
        a, b = t1 - t0, o1 - o0
        if a == b:
            rows.extend(_by_order(a, t0, o0))
        elif a and b and (a == 1 or b == 1):
            rows.append(Row(tuple(range(t0, t1)), tuple(range(o0, o1))))
        else:
            name = f"the section '{known[k - 1].label}'" if k else f"the text before marker '{known[0].label}'"
            pos = tr.pos(known[k - 1]) if k else translation_pos
            advice = ("a section pairs its blocks in order when both sides have as many, or shows them as one row "
                      "when one side has a single block")
            fix = (f"{HOW} where they part: one of them is missing" if a and b
                   else "each side of a section needs at least one block: move or remove a marker")
            problems.append(Problem(
                "translation-misaligned", pos,
                f"{name} cannot be aligned: '{tr.slug}' has {_lines(tr, t0, t1)}, its original '{orig.slug}' "
                f"{_lines(orig, o0, o1)}", (advice, fix)))
    if problems:
        return Alignment((), tuple(problems))
    return Alignment(tuple(rows), ())


def _where(block: int, *sides: Side) -> str:
    """Where ``block`` is in each side: 'line 9 of 'a', line 8 of 'b'' (or that a side has no such block)."""
    return ", ".join(f"line {s.line(block)} of '{s.slug}'" if block < s.blocks else f"'{s.slug}' has none"
                     for s in sides)


def _first_difference(tr: Side, orig: Side) -> int:
    """The first block whose kinds differ (a list beside a paragraph), else the first block one side lacks."""
    a, b = tr.layout.block_kinds, orig.layout.block_kinds
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(tr.blocks, orig.blocks))
