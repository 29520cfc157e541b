"""Stage 4: anchor W3C-style quote selectors to spans of the rendered text.

Matching runs on a normalised copy of the plain-text projection: whitespace
runs collapse to one space and typographic quotes fold to straight ones, so a
quote copied from the page (or typed with straight quotes) anchors whatever
Markdown formatting or line wrapping the source has.  Both sides are compared
in Unicode NFC, so a quote typed with combining accents (NFD) matches text
written with precomposed letters and vice versa.  An offset map takes each
match back to projection offsets, and a highlight is widened to whole
grapheme clusters (:mod:`graphemes`), never splitting a letter from its marks.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Callable

from . import graphemes, reanchor

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
    pre: "NormText | None" = None  # the NFC step, when the projection was not in NFC already

    def to_raw(self, i: int) -> int:
        k = bisect_right(self.starts, i) - 1
        j = self.raw_starts[k] + (i - self.starts[k])
        return j if self.pre is None else self.pre.to_raw(j)


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
# Whitespace runs that need a chunk of the offset map: anything but a single plain space
# (a space followed by more whitespace, or a run that starts with another whitespace character).
_SPACE_RUN = re.compile(r" \s+|[^\S ]\s*")


_COMPOSES_BACKWARDS: frozenset[str] | None = None


def _composes_backwards() -> frozenset[str]:
    """Characters of combining class 0 that NFC may still join to the character before them
    (Hangul vowels and final consonants, a few Indic length marks): computed once, when first needed."""
    global _COMPOSES_BACKWARDS
    if _COMPOSES_BACKWARDS is None:
        found = set()
        for cp in range(0x110000):
            d = unicodedata.decomposition(chr(cp))
            if d and not d.startswith("<"):
                parts = d.split()
                if len(parts) == 2:
                    second = chr(int(parts[1], 16))
                    if unicodedata.combining(second) == 0:
                        found.add(second)
        found.update(chr(c) for c in range(0x1161, 0x1176))
        found.update(chr(c) for c in range(0x11A8, 0x11C3))
        _COMPOSES_BACKWARDS = frozenset(found)
    return _COMPOSES_BACKWARDS


def nfc(raw: str) -> NormText:
    """``raw`` in Unicode NFC, with a map back to ``raw`` offsets.

    Text is cut where NFC cannot join across (before a character of combining
    class 0 that composes with nothing before it), and each piece that NFC
    changes becomes one chunk of the map.
    """
    if unicodedata.is_normalized("NFC", raw):
        return NormText(raw, (0,), (0,))
    backwards = _composes_backwards()
    parts: list[str] = []
    starts = [0]
    raw_starts = [0]
    out_len = 0
    piece_start = 0
    for i in range(1, len(raw) + 1):
        if i < len(raw) and (unicodedata.combining(raw[i]) or raw[i] in backwards):
            continue
        piece = raw[piece_start:i]
        done = unicodedata.normalize("NFC", piece)
        if done != piece:
            if starts[-1] != out_len:
                starts.append(out_len)
                raw_starts.append(piece_start)
            else:
                raw_starts[-1] = piece_start
            starts.append(out_len + len(done))
            raw_starts.append(i)
        parts.append(done)
        out_len += len(done)
        piece_start = i
    return NormText("".join(parts), tuple(starts), tuple(raw_starts))


def normalize(raw: str) -> NormText:
    """NFC, fold typographic quotes and collapse whitespace runs to one space (linear, mostly in C)."""
    pre = nfc(raw)
    if pre.text is raw:
        return _fold(raw)
    folded = _fold(pre.text)
    return NormText(folded.text, folded.starts, folded.raw_starts, pre)


def _fold_chars(raw: str) -> str:
    """``raw.translate(_FOLD_TABLE)``: one ``str.replace`` per character present is many times faster than
    ``translate`` with a mapping (which looks up every character of the text); no replacement makes a
    character another one replaces, since every character _FOLD changes is outside ASCII and its
    replacement is in it."""
    if raw.isascii():
        return raw
    for k, v in _FOLD.items():
        if k in raw:
            raw = raw.replace(k, v)
    return raw


def _fold(raw: str) -> NormText:
    folded = _fold_chars(raw)
    parts: list[str] = []
    starts = [0]
    raw_starts = [0]
    pos = 0  # in folded/raw
    out_len = 0
    for m in _SPACE_RUN.finditer(folded):
        a, b = m.span()
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
    if s.isascii() and _SPACE_RUN.search(s) is None:
        return s  # ASCII is in NFC, has nothing to fold, and no whitespace run to collapse
    return normalize(s).text


# Index a document's text by word when finding its quotes by scanning would read more
# characters than this (quotes times text length): a long document with many annotations.
INDEX_FROM = 2_000_000


class Occurrences:
    """Every start of a needle in a normalised text, overlapping ones included.

    Words in a normalised text are separated by single spaces.  With ``indexed``,
    the text's words are listed with their starts, and a needle with a whole word
    inside it (a space on each side) is looked for only where the rarest such word
    stands: finding N quotes then costs N look-ups instead of N scans of the text,
    with the same answers.  Other needles are found by scanning.
    """

    def __init__(self, text: str, indexed: bool = False) -> None:
        self.text = text
        self.words: dict[str, list[int]] | None = None
        self.scans = 0  # needles found by scanning the text (tests count them)
        if indexed:
            words: dict[str, list[int]] = {}
            pos = 0
            for w in text.split(" "):
                starts = words.get(w)
                if starts is None:
                    words[w] = [pos]
                else:
                    starts.append(pos)
                pos += len(w) + 1
            self.words = words

    def kept_starts(self) -> Callable[[str], list[int]]:
        """:meth:`starts`, each needle's answer kept: for re-anchoring, where the annotations on a
        recurring quote with the same context look up the same string (do not change the lists)."""
        return functools.lru_cache(maxsize=None)(self.starts)

    def starts(self, needle: str) -> list[int]:
        text = self.text
        parts = needle.split(" ") if self.words is not None else ()
        if len(parts) >= 3 and all(parts[1:-1]):
            assert self.words is not None
            best: list[int] | None = None
            best_at = at = len(parts[0]) + 1
            for w in parts[1:-1]:
                starts = self.words.get(w)
                if starts is None:
                    return []
                if best is None or len(starts) < len(best):
                    best, best_at = starts, at
                at += len(w) + 1
            assert best is not None
            return [q - best_at for q in best if q >= best_at and text.startswith(needle, q - best_at)]
        self.scans += 1
        hits: list[int] = []
        i = text.find(needle)
        while i >= 0:
            hits.append(i)
            i = text.find(needle, i + 1)
        return hits


def find(norm: NormText, exact: str, prefix: str = "", suffix: str = "") -> Outcome:
    """Anchor ``exact`` (with optional ``prefix``/``suffix``) in ``norm``."""
    return _outcome(norm, *_search(Occurrences(norm.text), exact, prefix, suffix))


def _search(occurrences: Occurrences, exact: str, prefix: str, suffix: str) -> tuple[str, list[int]]:
    """The normalised quote, and where it starts in the normalised text with this prefix and suffix."""
    needle = normalize_str(exact).strip()
    if not needle:
        return needle, []
    text = occurrences.text
    p = normalize_str(prefix).strip() if prefix.strip() else ""
    if p and occurrences.words is not None:
        # A quote that stands in many places (three common words) is found with its prefix: the
        # prefix ends right before it, or one space before it (the only whitespace normalised
        # text has), and the two strings are looked up together through their rarest word.
        hits = sorted([h + len(p) for h in occurrences.starts(p + needle)]
                      + [h + len(p) + 1 for h in occurrences.starts(p + " " + needle)])
    else:
        hits = occurrences.starts(needle)
        if p:
            hits = [h for h in hits if reanchor.prefix_before(text, h, p)]
    if suffix.strip():
        s = normalize_str(suffix).strip()
        hits = [h for h in hits if reanchor.suffix_after(text, h + len(needle), s)]
    return needle, hits


def _outcome(norm: NormText, needle: str, hits: list[int]) -> Outcome:
    if not needle:
        return Outcome(())
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
    Returns :class:`markdown.MarkSpan` values numbered in reading order.  A
    span is widened to whole grapheme clusters.  Every message names the
    annotation's id.
    """
    from .markdown import MarkSpan  # local: anchoring itself needs no Markdown

    projection = parsed.projection
    norm = normalize(projection.text)
    occurrences = Occurrences(norm.text, indexed=len(annotations) * len(norm.text) > INDEX_FROM)
    kept = occurrences.kept_starts()
    anchored = []
    for a in annotations:
        former = formers.get(a.id) if formers else None
        selector = tuple(normalize_str(x).strip() for x in (a.quote.exact, a.quote.prefix, a.quote.suffix))
        if former is not None:  # it anchored before: exact, relocated, text-changed or orphaned
            res = reanchor.resolve(norm.text, *selector, former, kept)
            m = _to_raw(norm, res.start, res.end) if res.start >= 0 else None
            if m is not None:
                anchored.append((*graphemes.snap(projection.text, m.start, m.end), a))
            if states is not None:
                states.append(reanchor.anchored(a.id, res, m, norm.text, selector[0]))
            continue
        needle, hits = _search(occurrences, a.quote.exact, a.quote.prefix, a.quote.suffix)
        if len(hits) == 1:
            h = hits[0]
            m = _to_raw(norm, h, h + len(needle))
            start, end = graphemes.snap(projection.text, m.start, m.end)
            anchored.append((start, end, a))
            if states is not None:  # what reanchor.first finds, from the same search
                states.append(reanchor.anchored(a.id, reanchor.Resolution(reanchor.EXACT, h, h + len(needle)), m,
                                                norm.text, selector[0]))
            continue
        outcome = _outcome(norm, needle, hits)
        shown = " ".join(a.quote.exact.split())
        if len(shown) > 80:
            shown = shown[:77] + "..."
        shown = visible(shown)
        if not outcome.matches:
            notes = []
            invisible = invisible_difference(projection.text, a.quote.exact)
            if invisible is not None:
                notes.append(_invisible_note(doc, parsed, invisible))
            elif outcome.closest is not None:
                line = _source_line(doc, parsed, outcome.closest.start)
                passage = " ".join(projection.text[outcome.closest.start:outcome.closest.end].split())
                notes.append(f"closest passage ({doc.path}:{line}): \"{visible(passage)}\"")
            what = "quote" if not (a.quote.prefix or a.quote.suffix) else "quote with this prefix/suffix"
            diags.error("quote-not-found", a.quote_pos,
                        f"annotation '{a.id}': {what} not found in {doc.path}: \"{shown}\"", *notes)
        else:
            notes = [f"{doc.path}:{_source_line(doc, parsed, m.start)}: {visible(context(projection.text, m))}"
                     for m in outcome.matches[:10]]
            diags.error("quote-ambiguous", a.quote_pos,
                        f"annotation '{a.id}': quote \"{shown}\" matches {len(outcome.matches)} places in {doc.path}; "
                        "add a prefix or suffix to choose one", *notes)
    anchored.sort(key=lambda t: (t[0], -t[1], t[2].id))
    return [MarkSpan(s, e, a.id, a.kind, i + 1) for i, (s, e, a) in enumerate(anchored)]


# ------------------------------------------------- invisible characters

# Characters a reader cannot see that make two passages differ: when a quote
# matches once they are ignored, the message says which one is in the way.
INVISIBLE = frozenset(
    "\u00a0\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u202f"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)


@dataclass(frozen=True, slots=True)
class Invisible:
    """Why a quote did not match: ``char`` at ``offset`` of the text (in_text) or of the quote."""

    char: str
    in_text: bool
    offset: int  # projection offset (in_text) or index in the quote


def visible(text: str) -> str:
    """``text`` for a terminal: each invisible character shown as <U+XXXX>, so none can hide or reorder the message."""
    if not any(c in INVISIBLE or c in "\u2028\u2029" for c in text):
        return text
    return "".join(f"<U+{ord(c):04X}>" if c in INVISIBLE or c in "\u2028\u2029" else c for c in text)


def char_label(c: str) -> str:
    """'U+200B ZERO WIDTH SPACE'."""
    return f"U+{ord(c):04X} {unicodedata.name(c, 'character')}"


def _without_invisible(text: str) -> tuple[str, list[int]]:
    kept = [i for i, c in enumerate(text) if c not in INVISIBLE]
    return "".join(text[i] for i in kept), kept


def invisible_difference(raw: str, exact: str) -> Invisible | None:
    """When ``exact`` matches ``raw`` once invisible characters are removed from both,
    the first invisible character that stands in the way; else None."""
    stripped, kept = _without_invisible(raw)
    needle_raw = exact.strip()
    needle = normalize_str("".join(c for c in needle_raw if c not in INVISIBLE)).strip()
    if not needle:
        return None
    norm = normalize(stripped)
    hit = norm.text.find(needle)
    if hit < 0:
        return None
    a = kept[norm.to_raw(hit)]
    b = kept[norm.to_raw(hit + len(needle) - 1)] + 1
    for i in range(a, b):
        if raw[i] in INVISIBLE and raw[i] not in needle_raw:
            return Invisible(raw[i], True, i)
    for i, c in enumerate(needle_raw):
        if c in INVISIBLE and c not in raw[a:b]:
            return Invisible(c, False, i)
    return None


def _invisible_note(doc, parsed, inv: Invisible) -> str:
    if not inv.in_text:
        return (f"the quote has an invisible {char_label(inv.char)} (character {inv.offset + 1} of the quote) "
                f"that the text does not have: delete it from the quote")
    line, col = _source_line_col(doc, parsed, inv.offset)
    return (f"the text has an invisible {char_label(inv.char)} at {doc.path}:{line}:{col} "
            f"that the quote does not have: remove it from the text, or copy the quote from the source")


def _source_line_col(doc, parsed, offset: int) -> tuple[int, int]:
    """Source line and column (in characters) of the character at a projection offset."""
    text = parsed.projection.text
    line = _source_line(doc, parsed, offset)
    c = text[offset]
    line_start = text.rfind("\n", 0, offset) + 1
    nth = text.count(c, line_start, offset)
    body_lines = doc.body.split("\n")
    index = line - doc.body_pos.line
    if 0 <= index < len(body_lines):
        col = -1
        for _ in range(nth + 1):
            col = body_lines[index].find(c, col + 1)
            if col < 0:
                break
        if col >= 0:
            return line, col + 1
    return line, 1


def line_finder(doc, parsed):
    """``_source_line`` for many offsets of one document: each in logarithmic time."""
    segments = parsed.projection.segments
    ends = [s.end for s in segments]
    breaks: dict[int, list[int]] = {}  # block -> the starts of its line breaks, in order
    for s in segments:
        if s.kind == "break":
            breaks.setdefault(s.block, []).append(s.start)

    def line_of(offset: int) -> int:
        i = bisect_right(ends, offset)
        if i == len(segments):
            return doc.body_pos.line
        seg = segments[i]
        block = parsed.tokens[seg.block]
        first = block.map[0] if block.map else 0
        return doc.body_pos.line + first + bisect_left(breaks.get(seg.block, ()), offset)
    return line_of


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
