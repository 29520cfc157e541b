"""Links in parsed Markdown: each one found with its source position, unsafe schemes reported.

Split from :mod:`markdown` (which re-exports these names): the link checks read the
tokens of a parse and know nothing of the MarkdownIt that made them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from markdown_it.token import Token

SAFE_LINK_SCHEMES = ("http", "https", "mailto")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True, slots=True)
class LinkProblem:
    line: int  # 1-based line in the Markdown source
    col: int
    url: str
    message: str


@dataclass(frozen=True, slots=True)
class LinkRef:
    """A link written in the Markdown source (``[text](url)`` or ``<url>``), with its position."""

    line: int  # 1-based line in the Markdown source
    col: int
    url: str


def check_link(url: str) -> str | None:
    """An error message when ``url`` has an unsafe scheme, else None."""
    cleaned = _CONTROL_RE.sub("", url)
    m = _SCHEME_RE.match(cleaned)
    if not m:
        return None
    scheme = m.group(1).lower()
    if scheme in SAFE_LINK_SCHEMES:
        return None
    return f"unsafe link scheme '{scheme}:' in '{url}'; allowed: relative links, #fragments, {', '.join(SAFE_LINK_SCHEMES)}"


def _locator(source: str):
    lines = source.split("\n")
    # Where each URL was last found in a block, so a URL written twice gets two positions.
    after: dict[tuple[int, str], tuple[int, int]] = {}

    def locate(url: str, block: Token) -> tuple[int, int]:
        first, last = block.map if block.map else (0, 1)
        # markdown-it percent-encodes the URL it keeps: look for it as written too.
        for written in dict.fromkeys((url, unquote(url))):
            ln0, c0 = after.get((first, written), (first, -1))
            for ln in range(ln0, min(last, len(lines))):
                col = lines[ln].find(written, c0 + 1 if ln == ln0 else 0)
                if col >= 0:
                    after[(first, written)] = (ln, col)
                    return ln + 1, col + 1
        return first + 1, 1
    return locate


def find_links(tokens: list[Token], source: str) -> list[LinkRef]:
    """Every link (not image) in parsed Markdown, in source order, with its line and column."""
    locate = _locator(source)
    out: list[LinkRef] = []

    def visit(toks: list[Token], block: Token | None) -> None:
        for tok in toks:
            if tok.type == "link_open":
                url = tok.attrs.get("href") if tok.attrs else None
                if isinstance(url, str):
                    line, col = locate(url, block or tok)
                    out.append(LinkRef(line, col, url))
            if tok.children:
                visit(tok.children, tok)
    visit(tokens, None)
    return out


def find_link_problems(tokens: list[Token], source: str) -> list[LinkProblem]:
    problems = []
    locate = _locator(source)

    def visit(toks: list[Token], block: Token | None) -> None:
        for tok in toks:
            for attr in ("href", "src"):
                url = tok.attrs.get(attr) if tok.attrs else None
                if isinstance(url, str):
                    problem = check_link(url)
                    if problem:
                        line, col = locate(url, block or tok)
                        problems.append(LinkProblem(line, col, url, problem))
            if tok.children:
                visit(tok.children, tok)
    visit(tokens, None)
    return problems
