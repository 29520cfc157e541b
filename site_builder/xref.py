"""Stage 6: cross-references, built once after every document is analysed.

Per document: parse, anchor the annotations, find the mentions
(:func:`analyse_document`).  Then one pass over all documents fills the
backlinks: every mention of every entity with a context snippet, the
annotations that name each entity, declared relations in both directions and
co-mentions (entities named in the same paragraph).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import anchoring, links, mentions, reanchor, urls
from .diagnostics import Diagnostic, Diagnostics, Pos
from .alignmarks import BodyLayout
from .markdown import Block, Markdown, MarkSpan, MentionSpan, Segment, apply_marks
from .model import Annotation, Content, Document

SNIPPET_WIDTH = 70


@dataclass(frozen=True, slots=True)
class MentionRef:
    """One mention of an entity in a document's text.

    Its context (``before``, ``text``, ``after``: see :func:`snippet`) is cut
    from the document's projection when asked for, not stored: a briefing has
    a hundred mentions a document and the pages show a few of them.
    """

    entity: str
    document: str  # slug
    anchor: str  # element id on the document page, e.g. m-cpc-2
    start: int
    end: int
    block: int
    source: str  # the document's plain-text projection (the same object for all its mentions)

    @property
    def context(self) -> tuple[str, str, str]:
        """(before, match, after), as :func:`snippet` cuts them."""
        return snippet(self.source, self.start, self.end)

    @property
    def before(self) -> str:
        return self.context[0]

    @property
    def text(self) -> str:
        return self.context[1]

    @property
    def after(self) -> str:
        return self.context[2]


@dataclass
class DocumentAnalysis:
    """Everything derived from one document alone; picklable, so it can come
    from a worker process or a cache."""

    doc: Document
    marks: list[MarkSpan]
    mentions: list[MentionRef]
    annotations: list[Annotation]  # anchored ones, in reading order
    blocks: list[Block]  # the body as HTML, highlights and mention links in place
    note_html: dict[str, str]  # annotation id -> its body as HTML
    text: str  # the plain-text projection of the body
    diagnostics: list[Diagnostic]
    anchors: tuple[reanchor.Anchored, ...] = ()  # how each annotation anchored, in file order
    orphans: tuple[Annotation, ...] = ()  # annotations that lost their place, in file order
    # Links written by hand in the body and the annotation bodies, checked site-wide (links.check).
    links: list[links.HandLink] = field(default_factory=list)
    # Where each top-level block starts (source line, projection offset) and the {align: …} markers.
    layout: BodyLayout = field(default_factory=BodyLayout)


@dataclass
class XRef:
    mentions: dict[str, list[MentionRef]] = field(default_factory=dict)
    annotations: dict[str, list[Annotation]] = field(default_factory=dict)
    related: dict[str, list[str]] = field(default_factory=dict)  # declared, both directions
    co_mentioned: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def snippet(text: str, start: int, end: int, width: int = SNIPPET_WIDTH) -> tuple[str, str, str]:
    """(before, match, after) around [start, end), cut at word boundaries, whitespace collapsed."""
    a = max(0, start - width)
    if a > 0:
        space = text.find(" ", a, start)
        a = space + 1 if space >= 0 else a
    b = min(len(text), end + width)
    if b < len(text):
        space = text.rfind(" ", end, b)
        b = space if space >= 0 else b
    # Stay inside the paragraph.
    para_start = text.rfind("\n\n", 0, start)
    para_end = text.find("\n\n", end)
    a = max(a, para_start + 2 if para_start >= 0 else 0)
    b = min(b, para_end if para_end >= 0 else len(text))
    before = " ".join(text[a:start].split())
    if text[a:start][-1:].isspace():
        before += " "
    after = " ".join(text[end:b].split())
    if text[end:b][:1].isspace():
        after = " " + after
    return (("…" if a > 0 and text[a - 1] not in "\n" else "") + before, " ".join(text[start:end].split()),
            after + ("…" if b < len(text) and text[b] not in "\n" else ""))


def analyse_document(doc: Document, annotations: tuple[Annotation, ...], md: Markdown,
                     matcher: mentions.Matcher, formers: dict[str, reanchor.Former] | None = None) -> DocumentAnalysis:
    """Parse, anchor, find mentions and render the body of one document.

    ``formers``: the last good anchoring of annotations that have one (see :mod:`anchorstate`).
    """
    diags = Diagnostics()
    parsed = md.parse(doc.body)
    page = urls.document_path(doc.slug)
    for p in parsed.link_problems:
        diags.error("unsafe-url", Pos(doc.path, doc.body_pos.line + p.line - 1, p.col), p.message)
    hand = links.place(parsed.links, Pos(doc.path, doc.body_pos.line, 1), page)
    note_html = {}
    for a in annotations:
        html, problems, refs = md.render_with_links(a.body)
        note_html[a.id] = html
        for p in problems:  # body_pos is where the text starts (the line after a `|`)
            col = a.body_pos.col + p.col - 1  # the lines of a YAML block share its indentation
            diags.error("unsafe-url", Pos(a.body_pos.path, a.body_pos.line + p.line - 1, col), p.message)
        # A note shows on its document page, where a #fragment in it resolves.
        hand += links.place(refs, a.body_pos, page)
    states: list[reanchor.Anchored] = []
    marks = anchoring.anchor_annotations(doc, parsed, annotations, diags, formers or {}, states)
    line_of = anchoring.line_finder(doc, parsed)
    states = [x._replace(line=line_of(x.start)) if x.start >= 0 else x for x in states]
    reanchor.report(doc, annotations, states, line_of, diags)
    orphaned = {x.id for x in states if x.state == reanchor.ORPHANED}
    by_id = {a.id: a for a in annotations}
    ordered = [by_id[m.id] for m in marks]
    found = mentions.find_in_runs(parsed.projection.linkable_runs(), matcher)
    counters: Counter[str] = Counter()
    seg_starts = parsed.projection.segments
    refs = []
    text = parsed.projection.text
    si = 0
    for f in found:
        while seg_starts[si].end <= f.start:
            si += 1
        counters[f.entity] += 1
        refs.append(MentionRef(f.entity, doc.slug, f"m-{f.entity}-{counters[f.entity]}", f.start, f.end,
                               seg_starts[si].block, text))
    hrefs: dict[str, str] = {}  # entity -> its page as linked from this document: once per entity, not per mention
    for e in counters:
        hrefs[e] = urls.relative_url(page, urls.entity_path(e))
    spans = [MentionSpan(m.start, m.end, m.entity, m.anchor, hrefs[m.entity]) for m in refs]
    note_blocks = apply_marks(parsed, marks, spans)
    blocks = md.render_blocks(parsed.tokens, note_blocks)
    layout = parsed.layout
    layout = dataclasses.replace(layout, offsets=_block_offsets(layout.block_tokens, parsed.projection.segments,
                                                                len(text)))
    return DocumentAnalysis(doc, marks, refs, ordered, blocks, note_html, text, diags.items, anchors=tuple(states),
                            orphans=tuple(a for a in annotations if a.id in orphaned), links=hand, layout=layout)


def _block_offsets(block_tokens: tuple[int, ...], segments: list[Segment], end: int) -> tuple[int, ...]:
    """The projection offset where each top-level block's text starts (a block without text: where the next one's
    would)."""
    out: list[int] = []
    si = 0
    for first in block_tokens:
        while si < len(segments) and segments[si].block < first:
            si += 1
        out.append(segments[si].start if si < len(segments) else end)
    return tuple(out)


def add_co_mentions(co: dict[str, Counter[str]], groups) -> None:
    """Count into ``co`` (entity -> other entity -> groups they share) the entities named together
    in each of ``groups`` (sets of entity ids: a document's paragraphs).  The same counts as a loop
    over every pair, counted a group at a time by ``Counter.update`` (a paragraph names several)."""
    for group in groups:
        if len(group) < 2:
            continue
        for e in group:
            c = co.get(e)
            if c is None:
                c = co[e] = Counter()
            c.update(group)
            del c[e]  # never counted before: each group's own count of it is removed at once


def build(content: Content, analyses: list[DocumentAnalysis]) -> XRef:
    x = XRef()
    ids = [e.id for e in content.entities]
    known = set(ids)
    mention_map: dict[str, list[MentionRef]] = defaultdict(list)
    anno_map: dict[str, list[Annotation]] = defaultdict(list)
    co: dict[str, Counter[str]] = {}
    for an in analyses:
        by_block: dict[int, set[str]] = defaultdict(set)
        for m in an.mentions:
            mention_map[m.entity].append(m)
            by_block[m.block].add(m.entity)
        add_co_mentions(co, by_block.values())
        for a in an.annotations:
            for e in a.entities:
                anno_map[e].append(a)
    related: dict[str, set[str]] = defaultdict(set)
    for e in content.entities:
        for r in e.related:
            related[e.id].add(r)
            related[r].add(e.id)
    for eid in ids:
        x.mentions[eid] = mention_map.get(eid, [])
        x.annotations[eid] = anno_map.get(eid, [])
        x.related[eid] = sorted(r for r in related.get(eid, ()) if r in known)
        x.co_mentioned[eid] = sorted(co.get(eid, Counter()).items(), key=lambda kv: (-kv[1], kv[0]))
    return x
