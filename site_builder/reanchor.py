"""Re-anchoring: where an annotation's passage went after the document changed.

An annotation that has anchored before has a record of its last good
anchoring (:class:`Former`, kept in ``anchors.lock.json`` by
:mod:`anchorstate`): the text it covered, 32 characters of context either
side and its offset, all in the normalised text of :mod:`anchoring`.  With
that record, :func:`resolve` decides one of four states:

``exact``
    the quote selector picks one place and the context there is what it was;
``relocated``
    the exact quote is there, but its context changed, or the selector alone
    no longer picks one place (the record chose between several);
``text-changed``
    the quote itself was edited: an approximate match (rapidfuzz) near the
    former context and position;
``orphaned``
    nothing good enough.  Short quotes found only where the context disagrees
    are refused: an orphan is better than a note on the wrong occurrence.

Candidates are the exact occurrences of the quote plus the best approximate
match near the expected position and anywhere in the text (with the refused
exact occurrences blanked out), each scored by quote similarity, context
similarity and distance from the expected position.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Callable, NamedTuple

from rapidfuzz import fuzz

CONTEXT = 32  # characters of recorded context either side
QUOTE_MIN = 0.75  # similarity an edited quote must keep
BRACKET_QUOTE_MIN = 0.5  # ... where the former prefix and suffix both still stand either side of it
LONG_QUOTE_MIN = 0.85  # ... to be accepted where the context disagrees (long quotes only)
CONTEXT_OK = 0.6  # mean context similarity that counts as "the same place"
SIDE_OK = 0.8  # ... or this on one side alone
CONTEXT_STRONG = 0.75  # mean context similarity an edited short quote needs
NEAR = 64  # a unique exact hit this close to the expected position is kept even with new context
W_QUOTE, W_CONTEXT, W_POSITION = 0.45, 0.4, 0.15

EXACT, RELOCATED, TEXT_CHANGED, ORPHANED = "exact", "relocated", "text-changed", "orphaned"
STATES = (EXACT, RELOCATED, TEXT_CHANGED, ORPHANED)


@dataclass(frozen=True, slots=True)
class Former:
    """The last good anchoring of one annotation, in normalised-text offsets."""

    exact: str
    prefix: str
    suffix: str
    start: int
    length: int  # length of the whole normalised text at the time


class Resolution(NamedTuple):
    state: str
    start: int  # normalised offsets; -1 when orphaned
    end: int


def record(text: str, start: int, end: int) -> Former:
    """The record of an anchoring at ``[start, end)`` of the normalised ``text``."""
    return Former(text[start:end], text[max(0, start - CONTEXT):start], text[end:end + CONTEXT], start, len(text))


def is_short(needle: str) -> bool:
    """A quote too short to identify its place by itself."""
    return len(needle) < 32 or len(needle.split()) < 5


def _sim(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return fuzz.ratio(a, b) / 100.0


def _context(text: str, start: int, end: int, former: Former) -> tuple[float, float]:
    before = text[max(0, start - CONTEXT):start]
    after = text[end:end + CONTEXT]
    return _sim(former.prefix, before), _sim(former.suffix, after)


def _agrees(sides: tuple[float, float]) -> bool:
    return (sides[0] + sides[1]) / 2 >= CONTEXT_OK or max(sides) >= SIDE_OK


def expected_start(former: Former, n: int) -> int:
    if former.length <= 0:
        return 0
    return round(former.start * n / former.length)


def _position(start: int, expected: int) -> float:
    return 1.0 / (1.0 + abs(start - expected) / 1000.0)


def _selector_hits(text: str, needle: str, prefix: str, suffix: str, hits: list[int]) -> list[int]:
    if prefix:
        hits = [h for h in hits if prefix_before(text, h, prefix)]
    if suffix:
        hits = [h for h in hits if suffix_after(text, h + len(needle), suffix)]
    return hits


def prefix_before(text: str, at: int, prefix: str) -> bool:
    """``text[:at].rstrip().endswith(prefix)``, without copying the text (so each hit costs its own length)."""
    while at > 0 and text[at - 1].isspace():
        at -= 1
    return text.endswith(prefix, 0, at)


def suffix_after(text: str, at: int, suffix: str) -> bool:
    """``text[at:].lstrip().startswith(suffix)``, without copying the text."""
    n = len(text)
    while at < n and text[at].isspace():
        at += 1
    return text.startswith(suffix, at)


def resolve(text: str, needle: str, prefix: str, suffix: str, former: Former,
            starts: Callable[[str], list[int]] | None = None) -> Resolution:
    """Where ``needle`` (normalised, with its normalised selector ``prefix``/``suffix``)
    belongs in the normalised ``text``, given its last good anchoring.

    ``starts(s)``: every start of ``s`` in ``text``, overlapping ones included
    (``anchoring.Occurrences.starts``, which a document's annotations share).
    With it, a quote whose recorded context still stands around it is placed
    by :func:`_in_place` without scoring each of its occurrences: the same
    answer, in time that does not grow with how often the quote recurs.
    """
    if starts is not None and needle:
        placed = _in_place(text, needle, prefix, suffix, former, starts)
        if placed is not None:
            return placed
    n = len(text)
    L = len(needle)
    hits: list[int] = []
    i = text.find(needle) if needle else -1
    while i >= 0:
        hits.append(i)
        i = text.find(needle, i + 1)
    expected = expected_start(former, n)
    selected = _selector_hits(text, needle, prefix, suffix, hits)
    short = is_short(needle)

    # 1. Exact occurrences, judged by their context.
    scored = [(h, _context(text, h, h + L, former)) for h in hits]
    same = [h for h, sides in scored if sides == (1.0, 1.0)]
    if len(same) == 1:
        h = same[0]
        state = EXACT if selected == [h] and needle == former.exact else RELOCATED
        return Resolution(state, h, h + L)
    if len(same) > 1 and expected in same and selected == [expected] and needle == former.exact:
        # The quote and its whole context recur, and it stands where its record puts it, the one place its
        # selector picks: it did not move (the scoring below would pick the same place, as relocated).
        return Resolution(EXACT, expected, expected + L)
    # Occurrences whose context mostly agrees compete with the approximate matches
    # below: a short quote whose own place was corrected may still stand elsewhere
    # in similar words, and the corrected place with its old context should win.
    candidates: list[tuple[float, int, int]] = [
        (W_QUOTE + W_CONTEXT * sum(s) / 2 + W_POSITION * _position(h, expected), h, h + L)
        for h, s in scored if _agrees(s)]
    fallback = None
    if len(hits) == 1 and (not short or abs(hits[0] - expected) <= NEAR):
        fallback = hits[0]  # one occurrence, new context: long enough, or where it was

    # 2. Approximate matches, with the refused exact occurrences blanked out.
    search = _blank(text, hits, L) if hits else text
    seen: set[tuple[int, int]] = set()
    window = max(256, 2 * L)
    lo = max(0, expected - window)
    hi = min(n, expected + L + window)
    spans = [_approximate(search, needle, a, b, former) for a, b in ((lo, hi), (0, n))]
    spans.append(_bracket(search, former, lo, hi, L))
    for span in spans:
        if span is None or span in seen:
            continue
        seen.add(span)
        s, e = span
        q = _sim(needle, text[s:e])
        sides = _context(text, s, e, former)
        bracketed = sides[0] >= SIDE_OK and sides[1] >= SIDE_OK and len(former.prefix) >= 8 and len(former.suffix) >= 8
        if q < (BRACKET_QUOTE_MIN if bracketed else QUOTE_MIN):
            continue
        if not _agrees(sides) and (short or q < LONG_QUOTE_MIN):
            continue
        if short and not bracketed and sum(sides) / 2 < CONTEXT_STRONG:
            continue  # an edited short quote is only recognised by its surroundings
        score = W_QUOTE * q + W_CONTEXT * sum(sides) / 2 + W_POSITION * _position(s, expected)
        candidates.append((score, s, e))
    if fallback is not None and not candidates:  # only where no passage with the old context exists
        sides = _context(text, fallback, fallback + L, former)
        candidates.append((W_QUOTE + W_CONTEXT * sum(sides) / 2 + W_POSITION * _position(fallback, expected),
                           fallback, fallback + L))
    if not candidates:
        return Resolution(ORPHANED, -1, -1)
    candidates.sort(key=lambda c: (-c[0], c[1]))
    if len(candidates) > 1 and candidates[0][0] == candidates[1][0]:
        return Resolution(ORPHANED, -1, -1)  # two places fit equally well: do not guess
    _, s, e = candidates[0]
    return Resolution(RELOCATED if text[s:e] == needle else TEXT_CHANGED, s, e)


def _in_place(text: str, needle: str, prefix: str, suffix: str, former: Former,
              starts: Callable[[str], list[int]]) -> Resolution | None:
    """:func:`resolve`'s answer when the record's context stands, exactly, around the quote
    (else None): found through the occurrences of context and quote together.

    These are the occurrences that step 1 of :func:`resolve` finds with both context
    similarities 1.0 (``same``).  One: the quote is there, ``exact`` when the selector picks
    that place alone.  Several, one of them where the record expects the quote (the text
    kept its length): that one scores the most any candidate can (quote, context and
    position all 1.0; an approximate or bracketed passage differs from the quote), so it
    wins alone, ``relocated``.  Any other case (an edit nearby) is left to the full scoring.
    ``text`` must be normalised (single spaces), ``needle`` and ``prefix`` stripped; the
    lists ``starts`` returns are only read (it may hand the same list out again).
    """
    n, L = len(text), len(needle)
    fp, fs = former.prefix, former.suffix
    whole = fp + needle + fs
    # _context cuts CONTEXT characters either side, or up to an end of the text: a full-length
    # record side matches wherever the whole string stands, a shorter one only at that end.
    if len(fp) > CONTEXT or len(fs) > CONTEXT:
        return None
    if len(fp) < CONTEXT or len(fs) < CONTEXT:
        w = 0 if len(fp) < CONTEXT else n - len(whole)
        ok = w >= 0 and text.startswith(whole, w) and len(fp) == min(CONTEXT, w + len(fp)) \
            and len(fs) == min(CONTEXT, n - w - len(whole) + len(fs))
        found = [w] if ok else []
    else:
        found = starts(whole)  # ascending
    if len(found) == 1:
        h = found[0] + len(fp)
        if needle != former.exact:
            return Resolution(RELOCATED, h, h + L)
        return Resolution(EXACT if _selected(text, needle, prefix, suffix, starts) == [h] else RELOCATED, h, h + L)
    expected = expected_start(former, n)
    i = bisect_left(found, expected - len(fp))
    if len(found) > 1 and i < len(found) and found[i] == expected - len(fp):
        # Where the record puts it: unmoved (exact) when the selector picks that place alone (see resolve).
        unmoved = needle == former.exact and _selected(text, needle, prefix, suffix, starts) == [expected]
        return Resolution(EXACT if unmoved else RELOCATED, expected, expected + L)
    return None


def _selected(text: str, needle: str, prefix: str, suffix: str, starts: Callable[[str], list[int]]) -> list[int]:
    """:func:`_selector_hits` of every occurrence of ``needle``, through ``starts``: in normalised text the
    prefix ends right before the quote or one space before it, the only whitespace there is."""
    L = len(needle)
    if prefix:
        selected = sorted([w + len(prefix) for w in starts(prefix + needle)]
                          + [w + len(prefix) + 1 for w in starts(prefix + " " + needle)])
    else:
        selected = starts(needle)
    if suffix:
        selected = [x for x in selected if suffix_after(text, x + L, suffix)]
    return selected


def _blank(text: str, hits: list[int], length: int) -> str:
    """``text`` with ``length`` characters from each of ``hits`` (in order, perhaps overlapping) replaced by NUL."""
    parts: list[str] = []
    pos = 0
    for h in hits:
        if h > pos:
            parts.append(text[pos:h])
        end = h + length
        if end > max(h, pos):
            parts.append("\0" * (end - max(h, pos)))
        pos = max(pos, end)
    parts.append(text[pos:])
    return "".join(parts)


def _bracket(search: str, former: Former, lo: int, hi: int, L: int) -> tuple[int, int] | None:
    """The passage between the former prefix and suffix, where both still stand next to
    each other near the expected position (the quote in between was rewritten)."""
    pre, suf = former.prefix, former.suffix
    if len(pre) < 8 or len(suf) < 8:
        return None
    i = search.find(pre, max(0, lo - len(pre)), hi)
    while i >= 0:
        s = i + len(pre)
        j = search.find(suf, s, s + 2 * L + 40 + len(suf))
        if j >= 0:
            while s < j and search[s].isspace():
                s += 1
            e = j
            while e > s and search[e - 1].isspace():
                e -= 1
            if e > s and "\0" not in search[s:e]:
                return (s, e)
        i = search.find(pre, i + 1, hi)
    return None


def _approximate(search: str, needle: str, a: int, b: int, former: Former) -> tuple[int, int] | None:
    """The best approximate match of ``needle`` in ``search[a:b]``, snapped to word edges."""
    if b - a <= 0 or not needle:
        return None
    hay = search[a:b]
    if len(hay) < len(needle):
        return None
    al = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=QUOTE_MIN * 100)
    if al is None:
        return None
    s, e = a + al.dest_start, a + al.dest_end
    return _refine(search, needle, s, e, former)


def _refine(text: str, needle: str, s: int, e: int, former: Former) -> tuple[int, int] | None:
    """Adjust the ends of an equal-length alignment to the word edges that match best,
    the quote and the context either side together (an edit that adds or drops words
    changes the passage's length)."""
    slack = max(12, len(needle) // 3)
    k = 16
    pre, suf = former.prefix[-k:], former.suffix[:k]
    starts = _edges(text, s, slack, start=True)
    ends = _edges(text, e, slack, start=False)
    best, span = -1.0, None
    for a in starts:
        for b in ends:
            if b <= a or "\0" in text[a:b]:
                continue
            r = (fuzz.ratio(needle, text[a:b]) + fuzz.ratio(pre, text[max(0, a - len(pre)):a])
                 + fuzz.ratio(suf, text[b:b + len(suf)]))
            if r > best or (r == best and span is not None and abs(a - s) + abs(b - e) < abs(span[0] - s) + abs(span[1] - e)):
                best, span = r, (a, b)
    return span


def _edges(text: str, at: int, slack: int, *, start: bool) -> list[int]:
    """Word edges within ``slack`` of ``at`` (or ``at`` itself when there are none)."""
    out: set[int] = set()
    lo, hi = max(0, at - slack), min(len(text), at + slack)
    for i in range(lo, hi + 1):
        if start:
            if i < len(text) and not text[i].isspace() and (
                    i == 0 or text[i - 1].isspace() or (text[i].isalnum() and not text[i - 1].isalnum())):
                out.add(i)
        elif i > 0 and not text[i - 1].isspace() and (
                i == len(text) or text[i].isspace() or (text[i - 1].isalnum() and not text[i].isalnum())):
            out.add(i)
    return sorted(out) or [at]


def first(text: str, needle: str, prefix: str, suffix: str) -> Resolution:
    """The anchoring of an annotation with no record, whose selector matched once."""
    hits: list[int] = []
    i = text.find(needle) if needle else -1
    while i >= 0:
        hits.append(i)
        i = text.find(needle, i + 1)
    hits = _selector_hits(text, needle, prefix, suffix, hits)
    return Resolution(EXACT, hits[0], hits[0] + len(needle)) if hits else Resolution(ORPHANED, -1, -1)


class Anchored(NamedTuple):
    """How one annotation anchored in this build."""

    id: str
    state: str
    start: int  # projection offsets; -1 when orphaned
    end: int
    old: str  # the quote as written (normalised)
    new: str  # the text it now anchors to (normalised); "" when orphaned
    record: Former | None  # the record of this anchoring; None when orphaned
    line: int = 0  # source line in the document where it now starts; 0 when orphaned


def anchored(aid: str, res: Resolution, match, text: str, needle: str) -> Anchored:
    if res.start < 0 or match is None:
        return Anchored(aid, ORPHANED, -1, -1, needle, "", None)
    return Anchored(aid, res.state, match.start, match.end, needle, text[res.start:res.end],
                    record(text, res.start, res.end))


def _short(s: str, limit: int = 80) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[:limit - 3] + "..."


def report(doc, annotations, states: list[Anchored], line_of, diags) -> None:
    """Warnings for every annotation that did not anchor ``exact`` (errors under --strict).

    ``line_of(offset)`` gives the document's source line of a projection offset.
    """
    by_id = {a.id: a for a in annotations}
    hint = "run `site-builder anchors --update` to accept the new place"
    for x in states:
        a = by_id[x.id]
        if x.state == RELOCATED:
            diags.warning("anchor-relocated", a.quote_pos,
                          f"annotation '{a.id}' was relocated: its quote is at {doc.path}:{line_of(x.start)}, "
                          "but the text around it changed since it last anchored", hint)
        elif x.state == TEXT_CHANGED:
            diags.warning("anchor-text-changed", a.quote_pos,
                          f"annotation '{a.id}': the quoted text changed in {doc.path}:{line_of(x.start)}",
                          f"was: \"{_short(x.old)}\"", f"now: \"{_short(x.new)}\"", hint + " as its quote")
        elif x.state == ORPHANED:
            diags.warning("anchor-orphaned", a.quote_pos,
                          f"annotation '{a.id}' lost its place: \"{_short(x.old)}\" no longer matches "
                          f"anywhere in {doc.path} well enough",
                          "it is listed under \"Annotations that lost their place\" on the document page; "
                          "quote the passage it belongs to now, or remove the annotation")
