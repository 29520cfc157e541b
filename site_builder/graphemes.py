"""Where a highlight or a mention may begin or end: between user-perceived characters.

A small subset of Unicode's extended grapheme cluster rules (UAX #29), enough
that a highlight never separates a base character from its combining marks,
an emoji from its skin-tone modifier or variation selector, the parts of a
ZWJ sequence (👩‍💻) or the two halves of a flag (🇫🇷):

* no break before a combining or spacing mark, a variation selector, an emoji
  modifier, a tag character or ZERO WIDTH JOINER (GB9, GB9a);
* no break after ZERO WIDTH JOINER when a letter or a symbol follows (GB11,
  approximated: emoji are symbols);
* regional indicators pair up from the start of their run (GB12, GB13);
* no break inside a Hangul syllable written as conjoining jamo (GB6 to GB8).

Offsets are ``str`` indices (code points).  The module has no dependencies.
"""

from __future__ import annotations

import unicodedata

ZWJ = "\u200d"
_RI_FIRST, _RI_LAST = 0x1F1E6, 0x1F1FF


def _is_extend(c: str) -> bool:
    o = ord(c)
    if c == ZWJ or 0xFE00 <= o <= 0xFE0F or 0xE0100 <= o <= 0xE01EF or 0x1F3FB <= o <= 0x1F3FF \
            or 0xE0020 <= o <= 0xE007F:
        return True
    return unicodedata.category(c) in ("Mn", "Me", "Mc")


def _is_ri(c: str) -> bool:
    return _RI_FIRST <= ord(c) <= _RI_LAST


def _hangul(c: str) -> str:
    """'L', 'V', 'T', 'LV', 'LVT' or '' (conjoining jamo and precomposed syllables)."""
    o = ord(c)
    if 0x1100 <= o <= 0x115F or 0xA960 <= o <= 0xA97C:
        return "L"
    if 0x1160 <= o <= 0x11A7 or 0xD7B0 <= o <= 0xD7C6:
        return "V"
    if 0x11A8 <= o <= 0x11FF or 0xD7CB <= o <= 0xD7FB:
        return "T"
    if 0xAC00 <= o <= 0xD7A3:
        return "LV" if (o - 0xAC00) % 28 == 0 else "LVT"
    return ""


def is_boundary(text: str, i: int) -> bool:
    """True if a cluster boundary lies before ``text[i]`` (the ends of the text are boundaries)."""
    if i <= 0 or i >= len(text):
        return True
    before, after = text[i - 1], text[i]
    if before == "\r" and after == "\n":
        return False
    if before in "\r\n" or after in "\r\n":
        return True
    if _is_extend(after):
        return False
    if before == ZWJ and unicodedata.category(after)[0] in "LS":
        return False
    if _is_ri(before) and _is_ri(after):
        run = 0
        j = i - 1
        while j >= 0 and _is_ri(text[j]):
            run += 1
            j -= 1
        return run % 2 == 0
    hb, ha = _hangul(before), _hangul(after)
    if hb and ha:
        if hb == "L" and ha in ("L", "V", "LV", "LVT"):
            return False
        if hb in ("LV", "V") and ha in ("V", "T"):
            return False
        if hb in ("LVT", "T") and ha == "T":
            return False
    return True


def snap(text: str, start: int, end: int) -> tuple[int, int]:
    """The smallest span of whole clusters that contains ``[start, end)``."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    while not is_boundary(text, start):
        start -= 1
    while not is_boundary(text, end):
        end += 1
    return start, end
