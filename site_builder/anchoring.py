"""Stage 4: anchor W3C-style quote selectors to spans of the rendered text.

Matching runs on a normalised copy of the plain-text projection: whitespace
runs collapse to one space and typographic quotes fold to straight ones, so a
quote copied from the page (or typed with straight quotes) anchors whatever
Markdown formatting or line wrapping the source has.  An offset map takes each
match back to projection offsets.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_right
from dataclasses import dataclass

from . import reanchor

_FOLD = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00a0": " ", "\u202f": " ", "\u2009": " ",
}


@dataclass(frozen=True, slots=True)
class NormText:
    """Normalised text plus a piecewise-linear map back to projection offsets.

    ``starts[k]`` is where chunk k begins in the normalised text and
    ``raw_starts[k]`` where it begins in the projection; inside a chunk
    offsets map one to one (a collapsed whitespace run is one chunk of length 1).
    """

    text: str
    starts: tuple[int, ...]
    raw_starts: tuple[int, ...]

    def to_raw(self, i: int) -> int:
        k = bisect_right(self.starts, i) - 1
        return self.raw_starts[k] + (i - self.starts[k])


@dataclass(frozen=True, slots=True)
class Match:
    start: int  # projection offsets
    end: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """One of: a single match; several (ambiguous); none (with the closest passage)."""

    matches: tuple[Match, ...]
    closest: Match | None = None

    @property
    def ok(self) -> bool:
        return len(self.matches) == 1


_FOLD_TABLE = str.maketrans(_FOLD)
_SPACE_RUN = re.compile(r"\s+")


def normalize(raw: str) -> NormText:
    """Fold typographic quotes and collapse whitespace runs to one space (linear, in C)."""
    folded = raw.translate(_FOLD_TABLE)
    parts: list[str] = []
    starts = [0]
    raw_starts = [0]
    pos = 0  # in folded/raw
    out_len = 0
    for m in _SPACE_RUN.finditer(folded):
        a, b = m.span()
        if b - a == 1 and folded[a] == " ":
            continue  # a single plain space needs no chunk of its own
        parts.append(folded[pos:a])
        out_len += a - pos
        if out_len != starts[-1] or a != raw_starts[-1]:
            starts.append(out_len)
            raw_starts.append(a)
        parts.append(" ")
        out_len += 1
        pos = b
        starts.append(out_len)
        raw_starts.append(b)
    parts.append(folded[pos:])
    # Drop zero-length chunks that share a start with the next one.
    s2: list[int] = []
    r2: list[int] = []
    for s, r in zip(starts, raw_starts):
        if s2 and s2[-1] == s:
            s2[-1], r2[-1] = s, r
        else:
            s2.append(s)
            r2.append(r)
    return NormText("".join(parts), tuple(s2), tuple(r2))


def normalize_str(s: str) -> str:
    return normalize(s).text


def find(norm: NormText, exact: str, prefix: str = "", suffix: str = "") -> Outcome:
    """Anchor ``exact`` (with optional ``prefix``/``suffix``) in ``norm``."""
    needle = normalize_str(exact).strip()
    if not needle:
        return Outcome(())
    text = norm.text
    hits: list[int] = []
    i = text.find(needle)
    while i >= 0:
        hits.append(i)
        i = text.find(needle, i + 1)
    if prefix.strip():
        p = normalize_str(prefix).strip()
        hits = [h for h in hits if text[:h].rstrip().endswith(p)]
    if suffix.strip():
        s = normalize_str(suffix).strip()
        hits = [h for h in hits if text[h + len(needle):].lstrip().startswith(s)]
    matches = tuple(_to_raw(norm, h, h + len(needle)) for h in hits)
    if matches:
        return Outcome(matches)
    return Outcome((), closest_passage(norm, needle))


def _to_raw(norm: NormText, start: int, end: int) -> Match:
    return Match(norm.to_raw(start), norm.to_raw(end - 1) + 1)


def closest_passage(norm: NormText, needle: str) -> Match | None:
    """The passage of ``norm`` most like ``needle``, starting at a word boundary."""
    text = norm.text
    if not text:
        return None
    n = len(needle)
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == " "]
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(needle)
    scored = []
    for s in starts:
        window = text[s:s + n]
        matcher.set_seq1(window)
        if matcher.real_quick_ratio() < 0.3:
            continue
        scored.append((matcher.quick_ratio(), s))
    scored.sort(reverse=True)
    best, best_start = 0.0, None
    for _, s in scored[:40]:
        matcher.set_seq1(text[s:s + n])
        r = matcher.ratio()
        if r > best:
            best, best_start = r, s
    if best_start is None or best < 0.4:
        return None
    end = min(len(text), best_start + n)
    while end < len(text) and text[end] != " ":
        end += 1
    return _to_raw(norm, best_start, end)


def context(raw: str, m: Match, width: int = 30) -> str:
    """'…before [exact] after…' on one line, for diagnostics and snippets."""
    before = " ".join(raw[max(0, m.start - width):m.start].split())
    after = " ".join(raw[m.end:m.end + width].split())
    inner = " ".join(raw[m.start:m.end].split())
    return f"…{before} [{inner}] {after}…"


# ------------------------------------------------------------ per document

def anchor_annotations(doc, parsed, annotations, diags, formers=None, states=None) -> list:
    """Anchor every annotation of ``doc``; report the ones that do not anchor.

    ``formers`` maps annotation ids to their last good anchoring
    (:class:`reanchor.Former`); those annotations are re-anchored by
    :func:`reanchor.resolve` and never fail here.  ``states``, a list, receives
    a :class:`reanchor.Anchored` for every annotation that anchored or drifted.
    Returns :class:`markdown.MarkSpan` values numbered in reading order.
    """
    from .markdown import MarkSpan  # local: anchoring itself needs no Markdown

    projection = parsed.projection
    norm = normalize(projection.text)
    anchored = []
    for a in annotations:
        former = formers.get(a.id) if formers else None
        selector = tuple(normalize_str(x).strip() for x in (a.quote.exact, a.quote.prefix, a.quote.suffix))
        if former is not None:  # it anchored before: exact, relocated, text-changed or orphaned
            res = reanchor.resolve(norm.text, *selector, former)
            m = _to_raw(norm, res.start, res.end) if res.start >= 0 else None
            if m is not None:
                anchored.append((m.start, m.end, a))
            if states is not None:
                states.append(reanchor.anchored(a.id, res, m, norm.text, selector[0]))
            continue
        outcome = find(norm, a.quote.exact, a.quote.prefix, a.quote.suffix)
        if outcome.ok:
            m = outcome.matches[0]
            anchored.append((m.start, m.end, a))
            if states is not None:
                states.append(reanchor.anchored(a.id, reanchor.first(norm.text, *selector), m, norm.text, selector[0]))
            continue
        shown = " ".join(a.quote.exact.split())
        if len(shown) > 80:
            shown = shown[:77] + "..."
        if not outcome.matches:
            note = ""
            if outcome.closest is not None:
                line = _source_line(doc, parsed, outcome.closest.start)
                passage = " ".join(projection.text[outcome.closest.start:outcome.closest.end].split())
                note = f"closest passage ({doc.path}:{line}): \"{passage}\""
            what = "quote" if not (a.quote.prefix or a.quote.suffix) else "quote with this prefix/suffix"
            diags.error("quote-not-found", a.quote_pos,
                        f"{what} not found in {doc.path}: \"{shown}\"", note)
        else:
            notes = [f"{doc.path}:{_source_line(doc, parsed, m.start)}: {context(projection.text, m)}"
                     for m in outcome.matches[:10]]
            diags.error("quote-ambiguous", a.quote_pos,
                        f"quote \"{shown}\" matches {len(outcome.matches)} places in {doc.path}; "
                        "add a prefix or suffix to choose one", *notes)
    anchored.sort(key=lambda t: (t[0], -t[1], t[2].id))
    return [MarkSpan(s, e, a.id, a.kind, i + 1) for i, (s, e, a) in enumerate(anchored)]


def _source_line(doc, parsed, offset: int) -> int:
    """Source line (in the document file) of a projection offset."""
    for seg in parsed.projection.segments:
        if seg.end > offset:
            block = parsed.tokens[seg.block]
            first = block.map[0] if block.map else 0
            # Count soft breaks before the offset within this inline token.
            extra = sum(1 for s in parsed.projection.segments
                        if s.block == seg.block and s.kind == "break" and s.start < offset)
            return doc.body_pos.line + first + extra
    return doc.body_pos.line
