"""Stage 7c: the plans of the pages that list every document, paged: the home page
(``index.html``, then ``page/2.html`` ...) and the annotation index (``annotations/index.html``,
then ``annotations/page/2.html`` ...), DOCUMENTS_PER_INDEX_PAGE documents a page, newest first.

Split from :mod:`pageviews`, whose ``ViewBuilder`` calls these with itself (``b``: they read
its ``content``, ``parts``, ``md``, ``cache``, ``entity_links``, ``markdown`` and
``remembered_digest``; this module does not import it, being below it): each page's input digest covers the documents it lists (and, on a first page, what it
counts over every document), so an edit re-renders the pages that show the edited document.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from markupsafe import Markup

from . import urls
from .docparts import DocParts
from .labels import KIND_PLURALS, TYPE_LABELS, VERDICT_LABELS
from .schema import ANNOTATION_KINDS, ENTITY_TYPES, VERDICTS
from .urls import OutPath
from .views import (
    DOCUMENTS_PER_INDEX_PAGE, Count, DocumentAnnotations, EntityLink, Group, Link, Page, PagePlan, Pager, freeze,
    page_count, pager,
)


def index_order(parts: list[DocParts]) -> list[DocParts]:
    """The documents as the home page and the annotation index list them: newest first by date
    (a year or month alone counts as its first day, as in the feed), undated ones last, each
    date's in file-name order."""
    return sorted(parts, key=lambda p: _date_key(p.an.doc.date), reverse=True)


def home_plans(b, ordered: list[DocParts]) -> list[PagePlan]:
    """The home page and, past DOCUMENTS_PER_INDEX_PAGE documents, its further pages of documents
    (``page/2.html`` ...), each listing the next documents in ``ordered`` (newest first)."""
    ov = b.content.overview
    parts = b.parts
    per = DOCUMENTS_PER_INDEX_PAGE
    count = page_count(len(ordered), per)
    links = tuple(Link(urls.home_page_path(n)) for n in range(1, count + 1))
    entity_links = b.entity_links

    def here(number: int) -> list[DocParts]:
        return ordered[(number - 1) * per:number * per]

    def paging(number: int) -> Pager | None:
        return pager(number, links, per, len(ordered)) if count > 1 else None

    def build_first() -> Page:
        kinds: Counter[str] = Counter()
        verdicts: Counter[str] = Counter()
        for p in parts:
            kinds.update(p.kinds)
            verdicts.update(p.verdicts)
        view = {
            "title": ov.title,
            "summary": ov.summary,
            "takeaways": tuple(Markup(b.md.render_inline(t)) for t in ov.takeaways),
            "body": b.markdown(ov.body),
            "documents": tuple(p.summary for p in here(1)),
            "document_total": len(ordered),
            "pager": paging(1),
            "entity_groups": by_type(entity_links),
            "kind_counts": tuple(Count(k, KIND_PLURALS[k], kinds[k]) for k in ANNOTATION_KINDS),
            "verdict_counts": tuple(Count(v, VERDICT_LABELS[v][0], verdicts[v], VERDICT_LABELS[v][1])
                                    for v in VERDICTS),
            "annotation_total": sum(kinds.values()),
            "entity_total": len(entity_links),
        }
        return Page(urls.HOME, "index.html", b.content.site.title, "home", freeze(view))

    first_inputs = b.remembered_digest("home", (ov.title, ov.summary, ov.takeaways, ov.body, entity_links,
                                                tuple(p.summary_digest for p in parts),
                                                tuple(p.summary_digest for p in here(1)), count))
    plans = [PagePlan(urls.HOME, "index.html", b.content.site.title, "home", first_inputs, build_first)]

    def further(number: int) -> PagePlan:
        path = links[number - 1].path
        title = f"Documents (page {number} of {count})"

        def build() -> Page:
            # Every field of the first page's view, the overview's empty: a project's own index.html
            # that does not know further pages still renders them (the default shows the list only).
            view = {
                "title": ov.title, "summary": "", "takeaways": (), "body": Markup(""),
                "documents": tuple(p.summary for p in here(number)), "document_total": len(ordered),
                "pager": paging(number), "entity_groups": (), "kind_counts": (), "verdict_counts": (),
                "annotation_total": 0, "entity_total": 0,
            }
            return Page(path, "index.html", title, "documents", freeze(view))

        inputs = b.remembered_digest(path, (ov.title, tuple(p.summary_digest for p in here(number)), count,
                                            len(ordered)))
        return PagePlan(path, "index.html", title, "documents", inputs, build)

    plans.extend(further(n) for n in range(2, count + 1))
    _forget_index_inputs(b.cache, "page/", count)
    return plans


def _forget_index_inputs(cache, prefix: str, count: int) -> None:
    """Drops the remembered inputs (``RenderCache.index_inputs``) of further index pages past ``count``
    (the briefing got shorter)."""
    memo = cache.index_inputs
    if f"{prefix}{count + 1}.html" in memo:
        for name in [n for n in memo if n.startswith(prefix) and urls.index_page_number(OutPath(n)) > count]:
            del memo[name]


def annotations_plans(b, ordered: list[DocParts]) -> list[PagePlan]:
    """The annotation index: counts by kind and verdict, and a row per document linking its own page,
    DOCUMENTS_PER_INDEX_PAGE rows a page (``annotations/page/2.html`` ...), newest first.

    Each page grows by one short row per document it lists, never by annotation (docs/performance.md)."""
    parts = b.parts
    per = DOCUMENTS_PER_INDEX_PAGE
    count = page_count(len(ordered), per)
    links = tuple(Link(urls.annotations_index_path(n)) for n in range(1, count + 1))
    # The first page shows the totals by kind and verdict (from every document); the others, their rows.
    totals = b.remembered_digest("annotations", (tuple((p.summary_digest, len(p.orphans)) for p in parts),))

    def plan(number: int) -> PagePlan:
        path = links[number - 1].path
        title = "Annotations" if number == 1 else f"Annotations (page {number} of {count})"
        here = ordered[(number - 1) * per:number * per]

        def build() -> Page:
            kinds: Counter[str] = Counter()
            verdicts: Counter[str] = Counter()
            orphans = 0
            for p in parts if number == 1 else ():  # the totals are on the first page only
                kinds.update(p.kinds)
                verdicts.update(p.verdicts)
                orphans += len(p.orphans)
            view = {
                "kind_counts": tuple(Count(k, KIND_PLURALS[k], kinds[k]) for k in ANNOTATION_KINDS),
                "kind_labels": tuple(KIND_PLURALS[k] for k in ANNOTATION_KINDS),
                "kind_keys": ANNOTATION_KINDS,
                "verdict_counts": tuple(Count(v, VERDICT_LABELS[v][0], verdicts[v], VERDICT_LABELS[v][1])
                                        for v in VERDICTS),
                "total": sum(kinds.values()),
                "documents": tuple(_annotation_row(p) for p in here),
                "document_total": len(ordered),
                "orphans": orphans,
                "pager": pager(number, links, per, len(ordered)) if count > 1 else None,
            }
            return Page(path, "annotations.html", title, "annotations", freeze(view))

        inputs = b.remembered_digest(path if number > 1 else "annotations-1",
                                     (totals if number == 1 else len(ordered),
                                      tuple((p.summary_digest, len(p.orphans)) for p in here), count))
        return PagePlan(path, "annotations.html", title, "annotations", inputs, build)

    _forget_index_inputs(b.cache, "annotations/page/", count)
    return [plan(n) for n in range(1, count + 1)]


def _annotation_row(p: DocParts) -> DocumentAnnotations:
    d = p.an.doc
    has_page = bool(p.notes or p.orphans)
    return DocumentAnnotations(
        d.title, d.date, Link(urls.annotations_path(d.slug)) if has_page else None, p.summary.link, len(p.notes),
        tuple(p.kinds.get(k, 0) for k in ANNOTATION_KINDS),
        tuple((v, *VERDICT_LABELS[v], p.verdicts[v]) for v in VERDICTS if p.verdicts.get(v)),
        len(p.orphans), p.summary.lang)


def _date_key(date: str) -> str:
    """A document date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) as a key that sorts by time."""
    return (date + "-01-01")[:10] if date else ""


def by_type(links: tuple[EntityLink, ...]) -> tuple[Group, ...]:
    groups: dict[str, list[EntityLink]] = defaultdict(list)
    for link in links:
        groups[link.type].append(link)
    return tuple(
        Group(t, TYPE_LABELS[t], tuple(sorted(groups[t], key=lambda x: x.name.casefold())))
        for t in ENTITY_TYPES if groups.get(t)
    )
