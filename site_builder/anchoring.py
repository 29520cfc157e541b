"""Stage 4: anchor W3C-style quote selectors to spans of the rendered text.

Matching runs on a normalised copy of the plain-text projection: whitespace
runs collapse to one space and typographic quotes fold to straight ones, so a
quote copied from the page (or typed with straight quotes) anchors whatever
Markdown formatting or line wrapping the source has.  An offset map takes each
match back to projection offsets.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

_FOLD = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00a0": " ", "\u202f": " ", "\u2009": " ",
}


@dataclass(frozen=True, slots=True)
class NormText:
    text: str
    to_raw: tuple[int, ...]  # normalised index -> projection index


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


def normalize(raw: str) -> NormText:
    out: list[str] = []
    to_raw: list[int] = []
    in_space = False
    for i, ch in enumerate(raw):
        ch = _FOLD.get(ch, ch)
        if ch.isspace():
            if in_space:
                continue
            in_space = True
            ch = " "
        else:
            in_space = False
        out.append(ch)
        to_raw.append(i)
    return NormText("".join(out), tuple(to_raw))


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
    return Match(norm.to_raw[start], norm.to_raw[end - 1] + 1)


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

def anchor_annotations(doc, parsed, annotations, diags) -> list:
    """Anchor every annotation of ``doc``; report the ones that do not anchor.

    Returns :class:`markdown.MarkSpan` values numbered in reading order.
    """
    from .markdown import MarkSpan  # local: anchoring itself needs no Markdown

    projection = parsed.projection
    norm = normalize(projection.text)
    anchored = []
    for a in annotations:
        outcome = find(norm, a.quote.exact, a.quote.prefix, a.quote.suffix)
        if outcome.ok:
            m = outcome.matches[0]
            anchored.append((m.start, m.end, a))
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
