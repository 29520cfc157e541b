"""Stage 5: find glossary entity mentions in text, with one matcher for all entities.

All aliases go into a trie, and the trie is compiled into a single regular
expression whose alternatives at every node try longer continuations first, so
the scan is leftmost-longest and costs time linear in the text (times the trie
depth), not one regex per entity.  Case-insensitive aliases are matched on a
lower-cased copy of the text, case-sensitive ones (acronyms such as CPC, by
default) on the text itself; the two result lists are merged longest-first.

Latin-script aliases need word boundaries (``Xi`` never matches inside
``Xinhua``); CJK aliases need none, since Chinese and Japanese have no spaces.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from .graphemes import is_boundary
from .model import Entity

_CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# A "word character" for boundary purposes: letters, digits and underscore, except CJK.
_WORD_CLASS = f"[^\\W{_CJK}]"
_WORD_RE = re.compile(_WORD_CLASS)
# Above this many distinct first characters of aliases that begin with a word character, the
# pattern tests the word boundary before the trie (see _compile); both forms match the same.
LOOKBEHIND_FIRST = 8


def is_word_char(c: str) -> bool:
    return bool(_WORD_RE.match(c))


def fold_case(text: str) -> str:
    """Lower-case without changing length (so offsets stay valid)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


@dataclass(frozen=True, slots=True)
class Alias:
    text: str
    entity: str
    case_sensitive: bool


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    entity: str


def alias_is_case_sensitive(alias: str, setting: str) -> bool:
    if setting == "true":
        return True
    if setting == "false":
        return False
    letters = [c for c in alias if c.isalpha() and c.lower() != c.upper()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def aliases_of(entities: Iterable[Entity]) -> list[Alias]:
    out = []
    for e in entities:
        if not e.link:
            continue
        for text in (e.name, *e.aliases):
            text = unicodedata.normalize("NFC", " ".join(text.split()))
            if text:
                out.append(Alias(text, e.id, alias_is_case_sensitive(text, e.case_sensitive)))
    return out


class _Trie:
    __slots__ = ("children", "entity")

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.entity: str | None = None


def _compile(aliases: list[Alias], fold: bool) -> tuple[re.Pattern | None, dict[str, str]]:
    root = _Trie()
    for a in aliases:
        key = fold_case(a.text) if fold else a.text
        node = root
        for ch in key:
            node = node.children.setdefault(ch, _Trie())
        if node.entity is None:  # the first entity to claim an alias keeps it
            node.entity = a.entity
    if not root.children:
        return None, {}
    groups: dict[str, str] = {}

    def emit(node: _Trie, ch: str) -> str:
        parts = [emit(child, c) for c, child in sorted(node.children.items())]
        if node.entity is not None:
            name = f"e{len(groups)}"
            groups[name] = node.entity
            parts.append(f"(?P<{name}>)")
        body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        return (r"\s+" if ch == " " else re.escape(ch)) + body

    word = [(c, emit(child, c)) for c, child in sorted(root.children.items()) if is_word_char(c)]
    other = [emit(child, c) for c, child in sorted(root.children.items()) if not is_word_char(c)]
    # An alias that ends in a word character must not be followed by one.  The check is
    # written once, after the whole trie (the engine backtracks into the trie for a shorter
    # alias when it fails), rather than after each alias: compiling the word class is the
    # costly part of compiling the pattern, and a glossary has hundreds of aliases.
    ending = f"(?:(?<!{_WORD_CLASS})|(?!{_WORD_CLASS}))"
    # At most one branch of the root can match at a place (each begins with its own
    # character), so their order is free.  An alias that begins with a word character
    # must not follow one; two forms of the same test, chosen by speed alone:
    if word and len(word) > LOOKBEHIND_FIRST:
        # Many first characters (case-folded names begin with most letters): test once at
        # each place whether a word character precedes, before trying the trie, so that
        # the engine leaves the middle of a word at once.
        head = f"(?<!{_WORD_CLASS})(?:" + "|".join(body for _, body in word) + ")"
        # (A lone look-behind at the very start is also the fast form for Python's engine:
        # wrapped in a group of its own the same pattern scans at half the speed.)
        if not other:
            return re.compile(head + ending), groups
        # Where no word character may start, the other aliases (CJK names, a leading
        # punctuation mark) are tried only at one of their first characters: one class test,
        # not one test per branch, at each place in the middle of a word.
        firsts = "[" + "".join(re.escape(c) for c in sorted(root.children) if not is_word_char(c)) + "]"
        return re.compile(f"(?:{head}|(?={firsts})(?:" + "|".join(other) + f")){ending}"), groups
    branches = other[:]
    for c, body in word:
        # Few first characters (capitals of acronyms): the literal comes first so the regex
        # engine skips ahead to candidate characters; the two-character look-behind then
        # checks that no word character precedes it.
        first = re.escape(c)
        branches.append(f"{first}(?<!{_WORD_CLASS}{first})" + body[len(first):])
    return re.compile("(?:" + "|".join(branches) + ")" + ending), groups


class Matcher:
    """Finds every alias of every entity in one pass over a text."""

    def __init__(self, entities: Iterable[Entity]):
        aliases = aliases_of(entities)
        self.aliases = aliases
        self._cs, self._cs_groups = _compile([a for a in aliases if a.case_sensitive], fold=False)
        self._ci, self._ci_groups = _compile([a for a in aliases if not a.case_sensitive], fold=True)

    def find(self, text: str) -> list[Found]:
        if self._ci is None:
            return self._scan(self._cs, self._cs_groups, text) if self._cs is not None else []
        if self._cs is None:
            return self._scan(self._ci, self._ci_groups, fold_case(text))
        # Interleave the two passes: leftmost, then longest (case-sensitive on a tie), never
        # overlapping.  A pass whose next match overlaps the one kept searches again from
        # its end, so a dropped match never hides a later one of the same pass.  (The pass
        # whose match is kept goes on from that match's end, which is where its iterator is.)
        texts = (text, fold_case(text))
        patterns = (self._cs, self._ci)
        groups = (self._cs_groups, self._ci_groups)
        its = [patterns[0].finditer(texts[0]), patterns[1].finditer(texts[1])]
        nxt = [next(its[0], None), next(its[1], None)]
        out: list[Found] = []
        while True:
            a, b = nxt
            if a is None:
                if b is None:
                    return out
                k = 1
            elif b is None:
                k = 0
            else:
                sa, sb = a.start(), b.start()
                k = 0 if sa < sb or (sa == sb and a.end() >= b.end()) else 1
            m = nxt[k]
            end = m.end()
            out.append(Found(m.start(), end, groups[k][m.lastgroup]))
            nxt[k] = next(its[k], None)
            j = 1 - k
            other = nxt[j]
            if other is not None and other.start() < end:
                its[j] = patterns[j].finditer(texts[j], end)
                nxt[j] = next(its[j], None)

    @staticmethod
    def _scan(pattern: re.Pattern, groups: dict[str, str], text: str) -> list[Found]:
        out = []
        for m in pattern.finditer(text):
            name = m.lastgroup
            if name is None:  # pragma: no cover - every alternative ends in a group
                continue
            out.append(Found(m.start(), m.end(), groups[name]))
        return out


# Addresses written out in the text: a name inside one is part of the address, not a mention.
_BARE_ADDRESS = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)[^\s<>\"]*"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)

_ADDRESS_HINT = re.compile(r"@|://|(?i:www\.|mailto:)")


def _boundary(text: str, i: int) -> bool:
    """:func:`graphemes.is_boundary`, answered at once between two characters that never join
    (below U+0300, where combining marks begin, or common punctuation such as curly quotes
    and dashes), except CR LF."""
    if 0 < i < len(text):
        a, b = text[i - 1], text[i]
        if (a < "\u0300" or "\u2010" <= a <= "\u2027") and (b < "\u0300" or "\u2010" <= b <= "\u2027") and a != "\r":
            return True
    return is_boundary(text, i)


def find_in_runs(runs: Iterable[tuple[int, str]], matcher: Matcher) -> list[Found]:
    """Mentions in (offset, text) runs, with offsets into the whole projection.

    A match inside a bare URL or e-mail address, or one that would split a
    letter from its combining marks (``Jose`` in ``José`` written with a
    combining accent), is not a mention.
    """
    out = []
    for offset, text in runs:
        found = matcher.find(text)
        if not found:
            continue
        # Every address has '@', '://', 'www.' or 'mailto:'; most runs have none, and the address
        # pattern is slow to rule out (it tries each word as the start of an e-mail address).
        addresses = ([m.span() for m in _BARE_ADDRESS.finditer(text)]
                     if _ADDRESS_HINT.search(text) is not None else [])
        for f in found:
            if addresses and any(a < f.end and f.start < b for a, b in addresses):
                continue
            if not (_boundary(text, f.start) and _boundary(text, f.end)):
                continue
            out.append(Found(offset + f.start, offset + f.end, f.entity))
    return out
