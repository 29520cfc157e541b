"""Annotation bodies that are one simple paragraph, rendered without markdown-it.

Most annotation bodies are a sentence or two: text with perhaps a word in
``*emphasis*`` or ``**bold**``.  markdown-it spends most of its time on such a
body running every block rule over every line and every inline rule over
every character, for a result that is ``<p>`` + the escaped text + ``</p>``.
:func:`render` gives that HTML directly, but only for a body it can vouch
for: no character that could begin block syntax at the start of a line, no
character that any inline rule acts on except ``*`` in the one shape below,
no control character, no blank line, no space at either end of a line.
Everything else returns None and goes through the full parser, so what the
fast path accepts is small on purpose; ``tests/test_analysis_fastpaths.py``
checks that it gives the parser's HTML byte for byte for random bodies.

Such a body has no link, so it has no link problem and no link reference, and
no link definition or footnote that could leak into another body.
"""

from __future__ import annotations

import re

from markdown_it.common.utils import escapeHtml

# A character of plain text: anything but a control character (a line break is
# checked line by line), and the characters of the inline rules in use: escapes,
# code, emphasis, strikethrough, links, images' brackets, footnotes, autolinks,
# raw HTML, entities.  `|` (tables) too, to be safe.
_PLAIN = r"[^\x00-\x09\x0b-\x1f\x7f*_\[\]<>&\\`~^|]"
# Emphasis or bold of the plainest kind: the run opens after a space (or at the start)
# before an ASCII letter or digit, holds no other `*`, and closes with the same run after
# an ASCII letter or digit, before a space, a line break, common punctuation or the end.
# Such runs can only open and only close (CommonMark's flanking rules), so they pair
# with each other and nothing else.
_EMPHASIS = (r"(?:(?<= )|(?<!.))(?P<run>\*\*?)(?=[A-Za-z0-9])(?P<inner>" + _PLAIN
             + r"*?)(?<=[A-Za-z0-9])(?P=run)(?=[ \n.,;:!?)]|\Z)")
_PIECE = re.compile(f"{_EMPHASIS}|{_PLAIN}+", re.S)
# A line that could start a block other than a paragraph (or continue a paragraph as
# something else): headings, quotes, lists, rules, setext underlines, fences, tables,
# definitions, footnotes, raw HTML, definition lists, alignment markers, numbered lists.
_BLOCK_START = re.compile(r"[#>\-+*=_`~|\[<:{]|\d+[.)]")


def render(source: str) -> str | None:
    """The HTML markdown-it renders for ``source``, when it is one simple paragraph; else None."""
    text = source.rstrip("\n")
    if not text:
        return None
    for line in text.split("\n"):
        if not line or line[0].isspace() or line[-1].isspace() or _BLOCK_START.match(line):
            return None
    out: list[str] = []
    at = 0
    for m in _PIECE.finditer(text):
        if m.start() != at:
            return None  # a character the fast path leaves to the parser
        run = m.group("run")
        if run is None:
            out.append(escapeHtml(m.group()))
        else:
            tag = "em" if len(run) == 1 else "strong"
            out.append(f"<{tag}>{escapeHtml(m.group('inner'))}</{tag}>")
        at = m.end()
    if at != len(text):
        return None
    return "<p>" + "".join(out) + "</p>\n"
