"""Alignment markers in document bodies: a markdown-it plugin.

A line that holds only ``{align: LABEL}`` marks where a *section* of a
document begins, for showing a translation beside its original when their
paragraphs do not correspond one to one (see :mod:`alignment`).  The marker
is written between blocks, renders nothing and takes no part in the text
(the projection, anchoring, mentions, search):

* a block rule turns the line into an ``align_marker`` token (it may also end
  a paragraph, so a marker written right under a paragraph line still counts);
* a core rule, right after block parsing, takes those tokens out of the
  stream and records each marker with the top-level block it stands before,
  its line and column, and the source line of every top-level block.

The rule runs only on document bodies (``Markdown.parse`` asks for it with
``env["align"]``); in a note or a description the same line stays text.  A
line that nearly is a marker (``{aling: 3}``, ``{align: two words}``) becomes a
marker with a ``problem``, so the build reports it instead of printing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

KEYWORD = "align"
ENV_KEY = "align"
_LINE_RE = re.compile(r"\{\s*([A-Za-z][A-Za-z_-]*)\s*:\s*([^{}]*?)\s*\}\s*$")
_LABEL_RE = re.compile(r"[^\W_][\w.\-]*")
_LABEL_DROP_RE = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True, slots=True)
class AlignMarker:
    """One ``{align: LABEL}`` line of a document body."""

    label: str
    block: int  # index of the top-level block it stands before (= number of blocks above it)
    line: int  # 1-based line in the Markdown source
    col: int
    problem: str = ""  # why it cannot be used ("" = a good marker)


@dataclass(frozen=True, slots=True)
class BodyLayout:
    """Where the top-level blocks of a body start, and its alignment markers."""

    markers: tuple[AlignMarker, ...] = ()
    block_lines: tuple[int, ...] = ()  # 1-based source line of each top-level block
    block_tokens: tuple[int, ...] = ()  # index in the token stream of each top-level block's first token
    block_kinds: tuple[str, ...] = ()  # the HTML element of each top-level block: p, h2, ul, table...
    offsets: tuple[int, ...] = field(default=())  # projection offset of each block (filled in by the analysis)

    def block_line(self, i: int) -> int:
        """The source line of block ``i`` (the last known one past the end, e.g. for footnotes)."""
        if not self.block_lines:
            return 1
        return self.block_lines[min(i, len(self.block_lines) - 1)]


def _problem(keyword: str, label: str, nested: bool) -> str | None:
    """None when the line is no marker at all (plain text), "" for a good marker, else what is wrong."""
    kw = keyword.lower()
    if kw != KEYWORD:
        if not (kw.startswith(KEYWORD) or SequenceMatcher(None, kw, KEYWORD).ratio() >= 0.75):
            return None
        return f"unknown marker '{{{keyword}: …}}' (did you mean '{{{KEYWORD}: {label or 'LABEL'}}}'?)"
    if not label:
        return "the marker names no label: write {align: LABEL}, e.g. {align: 3}"
    if not _LABEL_RE.fullmatch(label):
        example = _LABEL_DROP_RE.sub("-", label).strip("-_.") or "3"
        return (f"'{label}' is not a marker label: one word of letters, digits, '.', '-' or '_' "
                f"(e.g. {{align: {example}}})")
    if nested:
        return "an alignment marker must stand between top-level blocks, not inside a list or a quotation"
    return ""


def _block_rule(state, start_line: int, end_line: int, silent: bool) -> bool:
    if state.env.get(ENV_KEY) is None:
        return False
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False  # indented code
    pos = state.bMarks[start_line] + state.tShift[start_line]
    line = state.src[pos:state.eMarks[start_line]]
    if not line.startswith("{"):
        return False
    m = _LINE_RE.match(line)
    if m is None:
        return False
    problem = _problem(m.group(1), m.group(2), state.level > 0)
    if problem is None:
        return False
    if silent:
        return True
    token = state.push("align_marker", "", 0)
    token.map = [start_line, start_line + 1]
    col = pos - state.src.rfind("\n", 0, pos)  # 1-based, counted from the source line's start (also in a quote)
    token.meta = {"label": m.group(2), "col": col, "problem": problem}
    state.line = start_line + 1
    return True


def _core_rule(state) -> None:
    """Take the markers out of the token stream; record them and where each top-level block starts."""
    if state.env.get(ENV_KEY) is None:
        return
    tokens = []
    markers: list[AlignMarker] = []
    lines: list[int] = []
    starts: list[int] = []
    kinds: list[str] = []
    depth = 0
    for tok in state.tokens:
        if tok.type == "align_marker":
            meta = tok.meta
            markers.append(AlignMarker(meta["label"], len(lines), tok.map[0] + 1, meta["col"], meta["problem"]))
            continue
        if depth == 0:
            lines.append((tok.map[0] + 1) if tok.map else (lines[-1] if lines else 1))
            starts.append(len(tokens))
            kinds.append(tok.tag or tok.type)
        depth += tok.nesting
        tokens.append(tok)
    state.tokens = tokens
    state.env[ENV_KEY] = BodyLayout(tuple(markers), tuple(lines), tuple(starts), tuple(kinds))


def plugin(md) -> None:
    """Install the marker rules on a MarkdownIt."""
    md.block.ruler.before("paragraph", "align_marker", _block_rule, {"alt": ["paragraph"]})
    md.core.ruler.after("block", "briefing_align", _core_rule)
    md.add_render_rule("align_marker", lambda self, tokens, idx, options, env: "")
