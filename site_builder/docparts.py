"""Stage 7b: what each document contributes to pages, derived once per analysis.

A document's notes as views, its summary, its mentions grouped by entity
(the first few in context), the entities it names in the same paragraphs and
a contribution digest per entity: the page plans in :mod:`pageviews` gather
these instead of reading every analysis again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterator

from markupsafe import Markup

from . import urls
from .labels import KIND_LABELS, VERDICT_LABELS
from .model import Annotation
from .reading import card_summary
from .views import (
    MENTIONS_PER_DOCUMENT, DocumentRef, DocumentSummary, EntityRef, Link, MentionView, NoteView, SourceView, digest,
    verdict_changes,
)
from .xref import DocumentAnalysis, add_co_mentions


class DocParts:
    """Everything one document contributes to pages, derived once per analysis.

    Kept across builds by the renderer's cache (``pageviews.RenderCache``) and reused while the document's
    analysis object and the entity references its notes show are the same.
    Each ``*digest`` and ``contrib`` value digests exactly the views beside it.
    """

    __slots__ = ("an", "token", "note_entities", "note_key", "notes", "notes_digest", "summary", "summary_digest",
                 "docref", "kinds", "verdicts", "mentions", "mention_counts", "co", "annotated", "contrib",
                 "page_entities", "page_inputs", "orphans", "generation", "plan_inputs", "annotations_inputs")

    an: DocumentAnalysis
    token: int  # unique per analysis object: the document page's own input
    note_entities: tuple[str, ...]  # entities named by its annotations (their chips)
    note_key: tuple[str, ...]  # digests of those entities' references
    notes: tuple[NoteView, ...]  # in reading order
    notes_digest: str
    summary: DocumentSummary
    summary_digest: str  # the summary and the counts by kind and verdict
    docref: DocumentRef
    kinds: Counter
    verdicts: Counter
    mentions: dict[str, tuple[MentionView, ...]]  # entity -> its first MENTIONS_PER_DOCUMENT mentions here
    mention_counts: dict[str, int]
    co: dict[str, Counter]  # entity -> other entities in the same paragraphs
    annotated: dict[str, tuple[NoteView, ...]]  # entity -> notes that name it
    contrib: dict[str, int]  # entity -> digest of all the above for that entity (as an integer)
    page_entities: tuple[str, ...]  # entities listed on the document page
    page_inputs: tuple[int, str] | None  # (entity references generation, document page inputs)
    orphans: tuple[NoteView, ...]  # annotations that lost their place, in file order
    generation: int  # the entity references generation ``note_key`` was last checked at
    # The document page's and its annotations page's input digests, each with what it was computed from.
    plan_inputs: tuple[tuple, str] | None
    annotations_inputs: tuple[str, str] | None


def note_view(a: Annotation, number: int, doc_title: str, note_html: str, refs: dict[str, EntityRef],
              orphaned: bool = False, doc_lang: str = "") -> NoteView:
    label, symbol = VERDICT_LABELS.get(a.verdict, ("", ""))
    return NoteView(
        id=a.id, number=number, kind=a.kind, kind_label=KIND_LABELS[a.kind], verdict=a.verdict,
        verdict_label=label, verdict_symbol=symbol, quote=" ".join(a.quote.exact.split()),
        body=Markup(note_html), original=a.original.text if a.original else "",
        original_lang=a.original.lang if a.original else "",
        entities=tuple(refs[e] for e in a.entities if e in refs),
        sources=tuple(SourceView(s.title, s.publisher, s.date, s.url, s.excerpt, s.lang) for s in a.sources),
        tags=a.tags, document_title=doc_title,
        link=Link(urls.document_path(a.document), f"ann-{a.id}"),
        updated=a.updated, verdict_changes=verdict_changes(a), orphaned=orphaned,
        summary=card_summary(a.summary, note_html), lang=a.language, quote_lang=doc_lang,
    )


def doc_parts(an: DocumentAnalysis, refs: dict[str, EntityRef], ref_digest: dict[str, str],
              known: dict[str, DocParts], generation: int, tokens: Iterator[int]) -> DocParts:
    """The parts of ``an``: those ``known`` from the last build while its analysis is the same object and the
    entity references its notes show are unchanged (``generation``: that of the entity references), else
    derived again (``tokens``: where a new analysis gets its unique token)."""
    slug = an.doc.slug
    hit = known.get(slug)
    if hit is not None and hit.an is an:
        if hit.generation == generation:
            return hit  # no entity reference changed since its notes were checked
        note_key = tuple(ref_digest.get(e, "") for e in hit.note_entities)
        if note_key == hit.note_key:
            hit.generation = generation
            return hit
    p = DocParts()
    p.an = an
    p.token = hit.token if hit is not None and hit.an is an else next(tokens)
    d = an.doc
    p.note_entities = tuple(sorted({e for a in (*an.annotations, *an.orphans) for e in a.entities}))
    p.note_key = tuple(ref_digest.get(e, "") for e in p.note_entities)
    numbers = {m.id: m.number for m in an.marks}
    doc_lang = d.lang("")
    p.notes = tuple(note_view(a, numbers[a.id], d.title, an.note_html[a.id], refs, doc_lang=doc_lang)
                    for a in an.annotations)
    p.orphans = tuple(note_view(a, 0, d.title, an.note_html[a.id], refs, orphaned=True, doc_lang=doc_lang)
                      for a in an.orphans)
    note_digests = [digest(n) for n in p.notes]
    p.notes_digest = digest(tuple(note_digests), p.orphans)
    p.kinds = Counter(a.kind for a in an.annotations)
    p.verdicts = Counter(a.verdict for a in an.annotations if a.verdict)
    link = Link(urls.document_path(slug))
    p.summary = DocumentSummary(slug, d.title, d.date, d.summary, link, len(an.annotations), len(an.mentions),
                                doc_lang)
    p.summary_digest = digest(p.summary, sorted(p.kinds.items()), sorted(p.verdicts.items()))
    p.docref = DocumentRef(slug, d.title, d.date, d.summary, link, doc_lang)
    mentions: dict[str, list[MentionView]] = defaultdict(list)
    by_block: dict[int, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for m in an.mentions:
        counts[m.entity] += 1
        if counts[m.entity] <= MENTIONS_PER_DOCUMENT:  # the entity page shows these in context
            mentions[m.entity].append(MentionView(*m.context, Link(link.path, m.anchor)))
        by_block[m.block].add(m.entity)
    p.mentions = {e: tuple(v) for e, v in mentions.items()}
    p.mention_counts = dict(counts)
    co: dict[str, Counter] = {}
    add_co_mentions(co, by_block.values())
    p.co = co
    annotated: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(an.annotations):
        for e in a.entities:
            annotated[e].append(i)
    p.annotated = {e: tuple(p.notes[i] for i in idx) for e, idx in annotated.items()}
    docref = repr(p.docref)  # in every entity's contribution: written out once
    p.contrib = {
        e: int(digest(docref, p.mentions.get(e), p.mention_counts.get(e), sorted(p.co.get(e, {}).items()),
                       tuple(note_digests[i] for i in annotated.get(e, ()))), 16)
        for e in set(p.mentions) | set(annotated)
    }
    p.page_entities = tuple(sorted(p.mentions))
    p.page_inputs = None
    p.generation = generation
    p.plan_inputs = None
    p.annotations_inputs = None
    return p
