"""Stage 7a: the views templates get: plain, hashable records shaped for the pages.

Templates never see the model itself, only these: links, entity references,
note and mention views, counts and groups, the site view and the ``Page``
(path, template, title, section and its frozen view).  Everything here is
a value, so a page's view can be digested to decide whether it must be
rendered again.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Callable, NamedTuple

from markupsafe import Markup

from . import language
from .model import Annotation, Content
from .urls import OutPath

from .labels import DOCUMENTS_PER_ENTITY_PAGE, DOCUMENTS_PER_INDEX_PAGE, VERDICT_LABELS, page_count  # noqa: F401


_CJK_RE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def lang_of(text: str) -> str:
    """The language of a name in a CJK script (zh for Han, ja with Kana, ko for Hangul), for its
    lang attribute; '' otherwise (other scripts do not tell the language apart well enough)."""
    if not _CJK_RE.search(text):
        return ""
    found = language.detect(text)
    return found.language if found.script in ("Han", "Kana", "Hangul") else ""


# ------------------------------------------------------------------ views

class Link(NamedTuple):
    path: OutPath
    fragment: str = ""


class EntityRef(NamedTuple):
    """An entity as linked from document and entity pages and from notes."""

    id: str
    name: str
    type: str
    type_label: str
    summary: str
    link: Link
    lang: str = ""  # the entity's declared language; "" = the site's


class EntityLink(NamedTuple):
    """An entity as listed by the indexes (overview, glossary), with its mention count over the briefing."""

    id: str
    name: str
    type: str
    type_label: str
    summary: str
    link: Link
    count: int = 0
    lang: str = ""


class SourceView(NamedTuple):
    title: str
    publisher: str
    date: str
    url: str
    excerpt: str = ""
    lang: str = ""


class VerdictChange(NamedTuple):
    """A fact-check's verdict changed on ``date`` from ``old`` to ``new`` (verdict values)."""

    date: str
    old: str
    old_label: str
    old_symbol: str
    new: str
    new_label: str
    new_symbol: str
    change: str  # the history entry's description


def verdict_changes(a: Annotation) -> tuple[VerdictChange, ...]:
    out = []
    prev = ""
    for h in a.history:
        if not h.verdict:
            continue
        if prev and h.verdict != prev:
            out.append(VerdictChange(h.date, prev, *VERDICT_LABELS[prev], h.verdict, *VERDICT_LABELS[h.verdict],
                                     h.change))
        prev = h.verdict
    return tuple(out)


class NoteView(NamedTuple):
    id: str
    number: int
    kind: str
    kind_label: str
    verdict: str
    verdict_label: str
    verdict_symbol: str
    quote: str
    body: Markup
    original: str
    original_lang: str
    entities: tuple[EntityRef, ...]
    sources: tuple[SourceView, ...]
    tags: tuple[str, ...]
    document_title: str
    link: Link  # the note on its document page
    summary: str  # one line for the note's card: the author's summary or the body's first sentence
    updated: str = ""
    verdict_changes: tuple[VerdictChange, ...] = ()  # oldest first
    orphaned: bool = False  # lost its place in the text: listed under "Annotations that lost their place"
    lang: str = ""  # of the body: the annotation's declared language; "" = the site's
    quote_lang: str = ""  # of the quoted text: its document's language; "" = the site's


class BlockView(NamedTuple):
    html: Markup
    notes: tuple[NoteView, ...]


class RowView(NamedTuple):
    """A translation page's row: its blocks beside the original's (translation.ParallelRow)."""

    blocks: tuple[BlockView, ...]
    original: Markup


class DocumentSummary(NamedTuple):
    slug: str
    title: str
    date: str
    summary: str
    link: Link
    annotation_count: int
    mention_count: int
    lang: str = ""  # the document's language; "" = the site's


class DocumentRef(NamedTuple):
    """A document as linked from entity pages."""

    slug: str
    title: str
    date: str
    summary: str
    link: Link
    lang: str = ""  # the document's language; "" = the site's


class MentionView(NamedTuple):
    before: str
    text: str
    after: str
    link: Link


class MentionGroup(NamedTuple):
    document: DocumentRef
    mentions: tuple[MentionView, ...]  # the first MENTIONS_PER_DOCUMENT, in text order
    total: int = 0  # every mention of the entity in the document


# An entity page shows at most this many mentions in context per document and counts the
# rest, so a page stays small however many documents a briefing keeps (docs/performance.md).
MENTIONS_PER_DOCUMENT = 2
# ... and the mentions and annotations of at most DOCUMENTS_PER_ENTITY_PAGE documents; the rest are on
# further pages (glossary/<id>/2.html, ...), so no entity page grows with the briefing. The home page
# and the annotation index list DOCUMENTS_PER_INDEX_PAGE documents a page (page/2.html, ...).
# Both are defined in labels.py (imported above), where the link checker, below this module, reads them too.


class Pager(NamedTuple):
    """Where a page of a paged list is: its number, the links of all pages, which things it shows."""

    number: int  # 1-based
    links: tuple[Link, ...]  # every page's link, in order
    first: int  # 1-based position of the first thing shown here (0: none)
    last: int
    total: int  # things over all pages
    shown: tuple[int, ...]  # the page numbers the navigation names, 0 for a gap ("…")

    @property
    def count(self) -> int:
        return len(self.links)

    @property
    def previous(self) -> Link | None:
        return self.links[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> Link | None:
        return self.links[self.number] if self.number < len(self.links) else None


def pager(number: int, links: tuple[Link, ...], per_page: int, total: int, around: int = 2) -> Pager:
    """Page ``number`` of ``links``: the first and last page, and ``around`` pages either side of it, are named."""
    count = len(links)
    names = sorted({1, count} | set(range(max(1, number - around), min(count, number + around) + 1)))
    shown: list[int] = []
    for n in names:
        if shown and n == shown[-1] + 2:
            shown.append(n - 1)  # a gap of one page: name it rather than "…"
        elif shown and n > shown[-1] + 2:
            shown.append(0)
        shown.append(n)
    first = (number - 1) * per_page
    last = min(total, first + per_page)
    return Pager(number, links, first + 1 if last > first else 0, last, total, tuple(shown))


class DocumentAnnotations(NamedTuple):
    """A document's row in the annotation index: its counts, and its own annotation page when it has one."""

    title: str
    date: str
    link: Link | None  # its page of annotations (annotations/documents/<slug>.html); None when it has none
    document: Link
    total: int
    kinds: tuple[int, ...]  # in ANNOTATION_KINDS order
    verdicts: tuple[tuple[str, str, str, int], ...]  # (verdict, label, symbol, count), those present
    orphans: int
    lang: str = ""


class Count(NamedTuple):
    key: str
    label: str
    count: int
    symbol: str = ""


class Group(NamedTuple):
    key: str
    label: str
    items: tuple[Any, ...]


class SiteView(NamedTuple):
    title: str
    subtitle: str
    description: str
    language: str
    author: str
    organisation: str
    date: str


class Page(NamedTuple):
    """What every template gets: the page's own path, the site, and its view."""

    path: OutPath
    template: str
    title: str
    section: str
    view: Any = None
    extra: tuple = ()  # (name, value) pairs for templates that need more
    lang: str = ""  # the page's language (<html lang>) when it is not the site's



class PagePlan(NamedTuple):
    """A page planned (``pageviews``): where it goes, its template, and ``build``, which makes its view."""

    path: OutPath
    template: str
    title: str
    section: str
    inputs: str  # digest of everything ``build`` reads
    build: Callable[[], Page]



def digest(*parts: Any) -> str:
    """A digest of plain values (strings, numbers, tuples and NamedTuples of them) by their repr."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()



class FrozenDict(dict):
    """A dict usable as a view: hashable by content (for render caching), read-only by convention."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def freeze(view: dict) -> FrozenDict:
    return FrozenDict((k, freeze(v) if isinstance(v, dict) and not isinstance(v, FrozenDict) else v)
                      for k, v in view.items())


def site_view(content: Content) -> SiteView:
    s = content.site
    return SiteView(s.title, s.subtitle, s.description, s.language, s.author, s.organisation, s.date)

