"""Rendering helpers for the document page's reading view (no I/O, no templates).

* :func:`card_summary` -> the one line a note's card shows in the margin: the
  author's ``summary``, or the first sentence of the note's body.
* :func:`table_of_contents` -> the headings of a rendered document, for its
  table of contents (the ids come from :mod:`site_builder.markdown`).
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

SUMMARY_LIMIT = 160  # characters; a longer first sentence is cut at a word boundary

_TAG_RE = re.compile(r"<[^>]+>")
# A sentence ends at . ! ? (then a space and a capital, digit or quote) or at a CJK full stop.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[A-Z0-9“\"'(])|(?<=[。！？])")
_ABBREVIATIONS = ("e.g.", "i.e.", "cf.", "vs.", "Mr.", "Ms.", "Dr.", "St.", "No.", "U.S.", "U.K.", "Inc.", "Co.")
_HEADING_RE = re.compile(r'<h([2-4]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)


class TocEntry(NamedTuple):
    level: int  # 2, 3 or 4
    id: str  # the heading's id, without '#'
    text: str  # the heading's plain text


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_TAG_RE.sub(" ", fragment)).split())


def first_sentence(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """The first sentence of plain ``text``, cut to ``limit`` characters at a word boundary."""
    text = " ".join(text.split())
    end = len(text)
    for m in _SENTENCE_END_RE.finditer(text):
        head = text[:m.start()].rstrip("\"'”’)")
        if head.endswith(_ABBREVIATIONS):
            continue
        end = m.start()
        break
    sentence = text[:end].strip()
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:—–-") + "…"


def card_summary(summary: str, body_html: str) -> str:
    """What a note's card shows: the author's summary if there is one, else the body's first sentence."""
    if summary.strip():
        return " ".join(summary.split())
    return first_sentence(plain_text(body_html))


def table_of_contents(blocks_html: list[str]) -> tuple[TocEntry, ...]:
    """The h2-h4 headings of a document's rendered blocks, in order."""
    out = []
    for b in blocks_html:
        for m in _HEADING_RE.finditer(b):
            text = plain_text(re.sub(r'<a class="heading-anchor".*?</a>', "", m.group(3), flags=re.S))
            out.append(TocEntry(int(m.group(1)), m.group(2), text))
    return tuple(out)
