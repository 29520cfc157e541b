"""Placing an imported quote in the document: the passage it points to, and the shortest quote for it."""

from __future__ import annotations

from .. import anchoring


def _context_score(norm_text: str, h: int, n: int, prefix: str, suffix: str) -> int:
    score = 0
    p = anchoring.normalize_str(prefix).strip()
    if p:
        before = norm_text[:h].rstrip()
        k = 0
        while k < len(p) and k < len(before) and p[-1 - k] == before[-1 - k]:
            k += 1
        score += k
    s = anchoring.normalize_str(suffix).strip()
    if s:
        after = norm_text[h + n:].lstrip()
        k = 0
        while k < len(s) and k < len(after) and s[k] == after[k]:
            k += 1
        score += k
    return score


def _occurrences(norm: anchoring.NormText, needle: str) -> list[int]:
    hits = []
    i = norm.text.find(needle)
    while i >= 0:
        hits.append(i)
        i = norm.text.find(needle, i + 1)
    return hits


def locate(norm: anchoring.NormText, raw_text: str, exact: str, prefix: str = "", suffix: str = "",
           position: tuple[int, int] | None = None) -> tuple[anchoring.Match | None, str]:
    """The passage an imported TextQuoteSelector points to: (match, '') or (None, problem).

    One occurrence of ``exact`` wins outright; among several, the one at
    ``position`` (our own exports), else the one whose surroundings best agree
    with ``prefix``/``suffix`` (Hypothesis' are taken from the live page, so
    they may include note markers: a best match, not an exact one)."""
    needle = anchoring.normalize_str(exact).strip()
    if not needle:
        return None, "the quoted text is empty"
    hits = _occurrences(norm, needle)
    if not hits:
        closest = anchoring.closest_passage(norm, needle)
        hint = ""
        if closest is not None:
            hint = f"; closest passage: \"{_short(raw_text[closest.start:closest.end], 120)}\""
        return None, f"quote not found in the document: \"{_short(exact)}\"{hint}"
    matches = [anchoring._to_raw(norm, h, h + len(needle)) for h in hits]
    if len(matches) == 1:
        return matches[0], ""
    if position is not None:
        for m in matches:
            if (m.start, m.end) == position:
                return m, ""
    scores = [_context_score(norm.text, h, len(needle), prefix, suffix) for h in hits]
    best = max(scores)
    if best > 0 and scores.count(best) == 1:
        return matches[scores.index(best)], ""
    return None, (f"quote \"{_short(exact)}\" matches {len(matches)} places in the document and its "
                  "prefix/suffix do not pick one")


def _short(text: str, n: int = 80) -> str:
    s = " ".join(text.split())
    return s if len(s) <= n else s[: n - 3] + "..."


def minimal_quote(norm: anchoring.NormText, raw_text: str, match: anchoring.Match) -> dict:
    """The shortest quote (exact, then a few words of suffix and/or prefix) that anchors at ``match``."""
    exact = " ".join(raw_text[match.start:match.end].split())
    if anchoring.find(norm, exact).matches == (match,):
        return {"exact": exact}
    needle = anchoring.normalize_str(exact).strip()
    h = next(h for h in _occurrences(norm, needle) if anchoring._to_raw(norm, h, h + len(needle)) == match)
    before_words = norm.text[:h].split()
    after_words = norm.text[h + len(needle):].split()
    # Whole words of context; the quote itself may start or end inside a word.
    lead_partial = h > 0 and not norm.text[h - 1].isspace()
    trail_partial = h + len(needle) < len(norm.text) and not norm.text[h + len(needle)].isspace()
    for k in range(1, 13):
        for use_prefix, use_suffix in ((False, True), (True, False), (True, True)):
            q = {"exact": exact}
            if use_suffix:
                words = after_words[:k]
                if not words:
                    continue
                q["suffix"] = ("" if trail_partial else " ") + " ".join(words)
            if use_prefix:
                words = before_words[-k:]
                if not words:
                    continue
                q["prefix"] = " ".join(words) + ("" if lead_partial else " ")
            outcome = anchoring.find(norm, exact, q.get("prefix", ""), q.get("suffix", ""))
            if outcome.matches == (match,):
                return q
    # Fall back to everything around it.
    return {"exact": exact, "prefix": " ".join(before_words[-20:]) + " ", "suffix": " " + " ".join(after_words[:20])}
