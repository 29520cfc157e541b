"""Stage 7c: page plans and the views they build, from the analyses.

Each page is planned before its view is built: the plan carries a digest of
the page's inputs (the document analysis, the entity records and the link data
the page shows, the digests of its templates), and the view is built only when
that digest changed since the last build of a long-lived process holding a
:class:`RenderCache`.  A clean build is the same code with an empty cache, so
incremental and full builds agree by construction.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from typing import NamedTuple

from markupsafe import Markup

from . import indexplans, translation, urls
from .docparts import DocParts, doc_parts, note_view
from .labels import KIND_PLURALS, TYPE_SINGULAR
from .markdown import Markdown
from .model import Annotation, Content, Entity
from .reading import table_of_contents
from .schema import ANNOTATION_KINDS
from .urls import OutPath
from .views import (
    DOCUMENTS_PER_ENTITY_PAGE, BlockView, DocumentSummary, EntityLink, EntityRef, Group,
    Link, MentionGroup, NoteView, Page, PagePlan, RowView, digest, freeze, lang_of,
)
from .xref import DocumentAnalysis, XRef

TOUCHING_SCANS = 8  # entities looked up by a scan of the documents before they are indexed
_MOD = 1 << 128


class _EntityState(NamedTuple):
    """What the documents contribute to one entity's page, gathered over all of them.

    ``contributions`` adds up each document's contribution digest (which
    names the document) modulo 2**128: a digest of the set of contributions,
    hence of the sequence (documents are in file-name order), that a rebuild
    updates by subtracting a replaced document's digest and adding the new.
    """

    contributions: int
    mentions: int  # over the whole briefing
    co: Counter  # entities mentioned in the same paragraphs -> how often (read-only)
    documents: int = 0  # documents that mention or annotate it (its pages: DOCUMENTS_PER_ENTITY_PAGE each)


class RenderCache:
    """What the renderer keeps between builds (for the live server).

    ``pages`` holds each page's bytes under a key digested from the page's
    inputs (never from its built view, which would cost as much as rendering).
    """

    def __init__(self) -> None:
        self.pages: dict[OutPath, tuple[str, object]] = {}  # (key, bytes or what the sink kept: render.Sink)
        self.rendered: list[OutPath] = []  # pages rendered (not reused) by the last build
        self.docs: dict[str, DocParts] = {}
        self.slugs: tuple[str, ...] = ()  # document order of the last plan
        self.entity_states: dict[str, _EntityState] = {}
        self.ref_digests: dict[str, str] = {}
        self.refs_generation = 0  # advances whenever any entity reference changes
        self.templates: tuple[tuple, dict[str, str]] | None = None
        self.assets: tuple[str, dict[OutPath, bytes]] | None = None
        self.tokens = itertools.count(1)
        self.site_wide: dict[str, tuple[str, dict[OutPath, bytes]]] = {}  # name -> (inputs, files)
        self.publish: dict = {}  # publish.site_files' own per-document cache
        self.cards: dict[str, bytes] = {}  # social cards: content digest -> PNG (cards.site_files)
        self.search: dict = {}  # the search shards' own per-unit and per-group memo (searchshards.Shards)
        self.layouts: dict = {}  # entity graph layouts by size, with their inputs (graph.layout)
        # Input digests kept with what they were computed from: the same inputs cost a comparison.
        self.entity_refs: dict[str, tuple[Entity, EntityRef, str]] = {}  # id -> (entity, reference, digest)
        self.entity_inputs: dict[str, tuple[tuple, str]] = {}
        self.index_inputs: dict[str, tuple[tuple, str]] = {}  # home, glossary, annotation index
        self.page_keys: dict[OutPath, tuple[tuple, str]] = {}  # render.render_all's cache key per page
        self.digests = 0  # page input digests computed by the last build (tests count them)
        # The last build's pages by part of the site (``planindex.PlanIndex``), so that the next plans
        # only the pages of what changed; None after a build that did not end, and never pickled.
        self.plan_index = None
        self.planned = 0  # page plans made by the last build (tests count them)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["plan_index"] = None
        return state



# ---------------------------------------------------------------- views
#
# Every page is planned (``views.PagePlan``) as (path, template, title, section, key, build): the
# key digests the page's inputs and ``build`` makes its view from those same
# inputs only, so a page whose key is unchanged renders to the same bytes and
# is taken from the cache without its view being built at all.

class ViewBuilder:
    """Builds the view of every page from the content and the per-document analyses.

    Documents contribute through :class:`DocParts`, derived once per
    analysis; entity pages and the indexes gather those parts.  The
    cross-reference tables (:class:`xref.XRef`) are not needed for that and
    are built only when asked for (``builder.xref``).
    """

    def __init__(self, content: Content, analyses: list[DocumentAnalysis], xref: XRef | None, md: Markdown,
                 cache: RenderCache | None = None):
        self.content = content
        self.analyses = analyses
        self._xref = xref
        self.md = md
        self.cache = cache if cache is not None else RenderCache()
        self.entities = {e.id: e for e in sorted(content.entities, key=lambda e: e.id)}
        cache = self.cache
        cache.digests = 0
        known = cache.entity_refs
        fresh: dict[str, tuple[Entity, EntityRef, str]] = {}
        for eid, e in self.entities.items():
            hit = known.get(eid)
            if hit is None or hit[0] is not e:  # an entity file parsed again
                ref = EntityRef(e.id, e.name, e.type, TYPE_SINGULAR[e.type], e.summary, Link(urls.entity_path(e.id)),
                                e.language)
                hit = (e, ref, digest(ref))
            fresh[eid] = hit
        cache.entity_refs = fresh
        self.refs = {eid: hit[1] for eid, hit in fresh.items()}
        self.ref_digest = {eid: hit[2] for eid, hit in fresh.items()}
        if self.ref_digest != cache.ref_digests:
            cache.ref_digests = self.ref_digest
            cache.refs_generation += 1
        old = cache.docs
        self.parts = [doc_parts(an, self.refs, self.ref_digest, cache.docs, cache.refs_generation, cache.tokens)
                      for an in analyses]
        docs = {p.an.doc.slug: p for p in self.parts}
        slugs = tuple(docs)
        # Gather each entity's state over all documents, or, when the same documents
        # are there, update the last one by the documents whose parts were replaced.
        # ``replaced``: the documents whose parts are new since the last build (None: a different set of documents).
        self.replaced: list[str] | None = None
        if slugs == cache.slugs and cache.entity_states:
            pairs = [(old.get(slug), p) for slug, p in docs.items() if p is not old.get(slug)]
            self.replaced = [p.an.doc.slug for _, p in pairs]
            states = self._update_states(cache.entity_states, pairs)
        else:
            states = self._gather(self.entities)
        cache.docs, cache.slugs, cache.entity_states = docs, slugs, states
        self.states = states
        related: dict[str, set[str]] = defaultdict(set)
        for e in content.entities:
            for r in e.related:
                related[e.id].add(r)
                related[r].add(e.id)
        self.related = {eid: tuple(sorted(r for r in related.get(eid, ()) if r in self.entities))
                        for eid in self.entities}
        self._links = {eid: EntityLink(*ref[:5], ref.link, states[eid].mentions, ref.lang)
                       for eid, ref in self.refs.items()}
        self._md_cache: dict[str, Markup] = {}
        self._touching_index: dict[str, list[DocParts]] | None = None
        self._touching_scans: dict[str, list[DocParts]] = {}  # entities scanned for before the index
        self.translations = translation.views(content, analyses)

    # -- helpers (also for ``extra_pages`` callers)

    @property
    def xref(self) -> XRef:
        if self._xref is None:
            from . import xref as xref_module
            self._xref = xref_module.build(self.content, self.analyses)
        return self._xref

    @property
    def doc_summaries(self) -> dict[str, DocumentSummary]:
        return {p.an.doc.slug: p.summary for p in self.parts}

    def markdown(self, source: str) -> Markup:
        html = self._md_cache.get(source)
        if html is None:
            html = self._md_cache[source] = Markup(self.md.render(source))
        return html

    @property
    def entity_links(self) -> tuple[EntityLink, ...]:
        """A link to every entity page, in id order (the home page's and the glossary's lists)."""
        return tuple(self._links.values())

    def entity_link(self, eid: str) -> EntityLink:
        """A link to an entity page, with the entity's mention count over the whole briefing."""
        return self._links[eid]

    def entity_ref(self, eid: str) -> EntityRef:
        return self.refs[eid]

    def note(self, a: Annotation, number: int, doc_title: str) -> NoteView:
        an = next(p.an for p in self.parts if p.an.doc.slug == a.document)
        return note_view(a, number, doc_title, an.note_html[a.id], self.refs, doc_lang=an.doc.lang(""))

    # -- pages

    def plans(self) -> list[PagePlan]:
        """Every page of the site, planned (views not built yet), sorted by path."""
        plans = self.index_plans()
        plans.extend(plan for at in range(len(self.parts)) for plan in self.document_plans(at))
        plans.extend(plan for eid in self.entities for plan in self.entity_plans(eid))
        for gone in set(self.cache.entity_inputs) - set(self.entities):
            del self.cache.entity_inputs[gone]
        return sorted(plans, key=lambda p: p.path)

    # The plans of one part of the site (``planindex`` replaces only those of what an edit changed).

    def index_plans(self) -> list[PagePlan]:
        """The pages every build plans again: home and its further pages, glossary, annotation index
        and its further pages, 404 and search."""
        ordered = self.index_order()
        return [*indexplans.home_plans(self, ordered), self._glossary_plan(),
                *indexplans.annotations_plans(self, ordered), self._not_found_plan(), self._search_plan()]

    def index_order(self) -> list[DocParts]:
        """The documents as the home page and the annotation index list them: newest first by date
        (a year or month alone counts as its start), undated ones last, each date's in file-name order."""
        return indexplans.index_order(self.parts)

    def document_plans(self, at: int) -> list[PagePlan]:
        """The pages of the ``at``-th document: its page and, when it has notes or orphans, its annotations page."""
        p = self.parts[at]
        if p.notes or p.orphans:
            return [self._document_plan(p, at), self._annotations_document_plan(p)]
        return [self._document_plan(p, at)]

    def entity_plans(self, eid: str) -> list[PagePlan]:
        """The pages of entity ``eid`` (see ``_entity_plans``)."""
        return self._entity_plans(self.entities[eid])

    def pages(self) -> list[Page]:
        return [plan.build() for plan in self.plans()]

    def home(self) -> Page:
        return indexplans.home_plans(self, self.index_order())[0].build()

    def document(self, an: DocumentAnalysis) -> Page:
        at = next(i for i, p in enumerate(self.parts) if p.an is an)
        return self._document_plan(self.parts[at], at).build()

    def entity(self, e: Entity) -> Page:
        return self._entity_plans(e)[0].build()

    def glossary_index(self) -> Page:
        return self._glossary_plan().build()

    def annotations_index(self) -> Page:
        return indexplans.annotations_plans(self, self.index_order())[0].build()

    def not_found(self) -> Page:
        return self._not_found_plan().build()

    # -- the plans: each digests what its build function reads

    def _digest(self, *parts) -> str:
        """A page's input digest, counted (``RenderCache.digests``)."""
        self.cache.digests += 1
        return digest(*parts)

    def remembered_digest(self, name: str, parts: tuple) -> str:
        """The digest of ``parts`` (plain values), remembered under ``name`` with them: equal parts, the same digest."""
        hit = self.cache.index_inputs.get(name)
        if hit is not None and hit[0] == parts:
            return hit[1]
        value = self._digest(*parts)
        self.cache.index_inputs[name] = (parts, value)
        return value

    def _document_plan(self, p: DocParts, at: int) -> PagePlan:
        """The document page of ``p``, the ``at``-th document (its neighbours are in the pager)."""
        generation = self.cache.refs_generation
        if p.page_inputs is not None and p.page_inputs[0] == generation:
            inputs = p.page_inputs[1]
        else:
            inputs = self._digest(p.token, p.notes_digest, tuple(self.ref_digest.get(e, "") for e in p.page_entities))
            p.page_inputs = (generation, inputs)
        doc = p.an.doc
        path = urls.document_path(doc.slug)
        previous = self.parts[at - 1].docref if at > 0 else None
        following = self.parts[at + 1].docref if at + 1 < len(self.parts) else None
        print_notes = self.content.site.print_notes
        page_lang = doc.lang(self.content.site.language)
        pair = self.translations.get(doc.slug)
        parts = (inputs, previous, following, print_notes, page_lang, pair)
        if p.plan_inputs is not None and p.plan_inputs[0] == parts:
            inputs = p.plan_inputs[1]
        else:
            inputs = self._digest(*parts)
            p.plan_inputs = (parts, inputs)

        def build() -> Page:
            an = p.an
            notes = {n.id: n for n in p.notes}
            numbers = {m.id: m.number for m in an.marks}
            blocks = tuple(
                BlockView(Markup(b.html), tuple(notes[i] for i in sorted(b.notes, key=numbers.__getitem__)))
                for b in an.blocks
            )
            in_doc = tuple(sorted((self.refs[e] for e in p.page_entities if e in self.refs),
                                  key=lambda x: x.name.casefold()))
            src = doc.source
            view = {
                "title": doc.title, "date": doc.date, "summary": doc.summary, "tags": doc.tags,
                "source": {"publisher": src.publisher, "author": src.author, "published": src.published,
                           "url": src.url, "note": src.note},
                "blocks": blocks,
                "entities": tuple((r, p.mention_counts[r.id]) for r in in_doc),
                "notes": p.notes,
                "orphans": p.orphans,
                "kinds_present": tuple(k for k in ANNOTATION_KINDS if p.kinds.get(k)),
                "toc": table_of_contents([b.html for b in an.blocks]),
                "previous": previous,
                "next": following,
                "print_notes": print_notes,
                "translation": pair,
                "rows": tuple(RowView(tuple(blocks[i] for i in r.blocks), Markup(r.original))
                              for r in pair.rows) if pair else (),
            }
            return Page(path, "document.html", doc.title, "documents", freeze(view), lang=page_lang)

        return PagePlan(path, "document.html", doc.title, "documents", inputs, build)

    def _touching(self, eid: str) -> list[DocParts]:
        """The parts of the documents that mention or annotate ``eid``, in document order."""
        if self._touching_index is None and len(self._touching_scans) < TOUCHING_SCANS:
            # An edit re-renders the pages of one or two entities: a scan for each costs less than
            # indexing every entity (the same lists, in the same order).
            found = self._touching_scans.get(eid)
            if found is None:
                found = self._touching_scans[eid] = [p for p in self.parts if eid in p.contrib]
            return found
        if self._touching_index is None:  # one pass for all entity pages (built when many are rendered)
            index: dict[str, list[DocParts]] = defaultdict(list)
            for p in self.parts:
                for e in p.contrib:
                    index[e].append(p)
            self._touching_index = index
        return self._touching_index.get(eid, [])

    def _gather(self, eids) -> dict[str, _EntityState]:
        acc = {eid: [0, 0, Counter(), 0] for eid in eids}
        for p in self.parts:
            for e, c in p.contrib.items():
                a = acc.get(e)
                if a is not None:
                    a[0] += c
                    a[1] += p.mention_counts.get(e, 0)
                    a[3] += 1
                    co = p.co.get(e)
                    if co:
                        a[2].update(co)
        return {e: _EntityState(a[0] % _MOD, a[1], a[2], a[3]) for e, a in acc.items()}

    def _update_states(self, previous: dict[str, _EntityState],
                       replaced: list[tuple[DocParts | None, DocParts]]) -> dict[str, _EntityState]:
        delta: dict[str, list] = {}
        for sign, parts in [(-1, before) for before, _ in replaced if before is not None] + [(1, after) for _, after in replaced]:
            for e, c in parts.contrib.items():
                d = delta.setdefault(e, [0, 0, Counter(), 0])
                d[0] += sign * c
                d[1] += sign * parts.mention_counts.get(e, 0)
                d[3] += sign
                co = parts.co.get(e)
                if co:
                    if sign > 0:
                        d[2].update(co)
                    else:
                        d[2].subtract(co)
        states = {}
        new = [eid for eid in self.entities if eid not in previous]
        states.update(self._gather(new) if new else {})
        for eid in self.entities:
            if eid in states:
                continue
            state = previous[eid]
            d = delta.get(eid)
            if d is not None and (d[0] % _MOD or d[1] or any(d[2].values())):
                co = Counter(state.co)
                co.update(d[2])
                state = _EntityState((state.contributions + d[0]) % _MOD, state.mentions + d[1], +co,
                                     state.documents + d[3])
            states[eid] = state
        return states

    def _entity_plans(self, e: Entity) -> list[PagePlan]:
        """The entity's page and, past DOCUMENTS_PER_ENTITY_PAGE documents, its further pages of
        mentions and annotations (``glossary/<id>/2.html`` ...), each for the next documents in order."""
        eid = e.id
        state = self.states[eid]
        related = self.related.get(eid, ())
        count = max(1, -(-state.documents // DOCUMENTS_PER_ENTITY_PAGE))
        # Its fields, relations, the references it shows (the same while their generation is) and its
        # state (replaced, never changed in place, when a document's contribution to it changes): one
        # digest for each of its pages.
        generation = self.cache.refs_generation
        hit = self.cache.entity_inputs.get(eid)
        if hit is not None and hit[0][3] is state and hit[0][2] == generation and hit[0][1] == related \
                and (hit[0][0] is e or hit[0][0] == e):
            page_inputs = hit[1]
        else:
            shown = sorted(set(related) | set(state.co))
            inputs = self._digest(e.id, e.name, e.type, e.aliases, e.summary, e.description, e.website, e.wikidata,
                                  e.language, related, tuple(self.ref_digest.get(o, "") for o in shown),
                                  state.contributions, state.documents)
            page_inputs = tuple(digest(inputs, number, count) for number in range(1, count + 1))
            self.cache.entity_inputs[eid] = ((e, related, generation, state), page_inputs)
        links = tuple(Link(urls.entity_page_path(eid, n)) for n in range(1, count + 1))

        def plan(number: int) -> PagePlan:
            path = links[number - 1].path
            title = e.name if number == 1 else f"{e.name} (page {number} of {count})"

            def build() -> Page:
                touching = self._touching(eid)
                first = (number - 1) * DOCUMENTS_PER_ENTITY_PAGE
                here = touching[first:first + DOCUMENTS_PER_ENTITY_PAGE]
                mention_groups = tuple(MentionGroup(p.docref, p.mentions[eid], p.mention_counts[eid])
                                       for p in here if eid in p.mentions)
                view = {
                    "id": e.id, "name": e.name, "type": e.type, "type_label": TYPE_SINGULAR[e.type],
                    "aliases": tuple((a, lang_of(a)) for a in e.aliases), "lang": e.language,
                    "summary": e.summary, "description": Markup(""), "website": e.website, "wikidata": e.wikidata,
                    "related": (), "co_mentioned": (),
                    "mention_groups": mention_groups,
                    "mention_total": state.mentions,
                    "annotations": tuple(n for p in here for n in p.annotated.get(eid, ())),
                    "annotation_total": sum(len(p.annotated.get(eid, ())) for p in touching),
                    "page_number": number, "page_count": count, "page_links": links,
                    "documents_from": first + 1 if here else 0, "documents_to": first + len(here),
                    "document_total": len(touching),
                }
                if number == 1:  # the entity's own page: its description and relations too
                    co: Counter[str] = Counter()
                    for p in touching:
                        co.update(p.co.get(eid, {}))
                    view["description"] = self.markdown(e.description) if e.description else Markup("")
                    view["related"] = tuple(self.refs[r] for r in related)
                    view["co_mentioned"] = tuple((self.refs[o], n) for o, n in sorted(co.items(),
                                                 key=lambda kv: (-kv[1], kv[0])) if o not in related)
                return Page(path, "entity.html", title, "glossary", freeze(view))

            return PagePlan(path, "entity.html", title, "glossary", page_inputs[number - 1], build)

        return [plan(n) for n in range(1, count + 1)]

    def _glossary_plan(self) -> PagePlan:
        links = tuple(self._links.values())

        def build() -> Page:
            letters: dict[str, list[EntityLink]] = defaultdict(list)
            for link in links:
                first = link.name[:1].upper()
                key = first if "A" <= first <= "Z" else "#"
                letters[key].append(link)
            # Names that do not start with A-Z (Chinese names, digits) go under "#", id "letter-other".
            az = tuple(Group("other" if k == "#" else k, k, tuple(sorted(v, key=lambda x: x.name.casefold())))
                       for k, v in sorted(letters.items(), key=lambda kv: (kv[0] == "#", kv[0])))
            view = {"az": az, "by_type": indexplans.by_type(links), "total": len(links)}
            return Page(urls.GLOSSARY_INDEX, "glossary.html", "Glossary", "glossary", freeze(view))

        return PagePlan(urls.GLOSSARY_INDEX, "glossary.html", "Glossary", "glossary",
                        self.remembered_digest("glossary", (links,)), build)

    def _annotations_document_plan(self, p: DocParts) -> PagePlan:
        """One document's annotations by kind, with its fact-check table (the old index, per document)."""
        doc = p.an.doc
        path = urls.annotations_path(doc.slug)
        title = f"Annotations: {doc.title}"
        page_lang = doc.lang(self.content.site.language)

        def build() -> Page:
            by_kind: dict[str, list[NoteView]] = defaultdict(list)
            for n in p.notes:
                by_kind[n.kind].append(n)
            groups = tuple(Group(k, KIND_PLURALS[k], tuple(by_kind[k])) for k in ANNOTATION_KINDS if by_kind.get(k))
            view = {"document": p.summary, "groups": groups, "total": len(p.notes), "orphans": p.orphans}
            return Page(path, "annotations_document.html", title, "annotations", freeze(view))

        if p.annotations_inputs is not None and p.annotations_inputs[0] == page_lang:
            inputs = p.annotations_inputs[1]  # p.summary and p.notes_digest are fixed for p
        else:
            inputs = self._digest(p.summary, p.notes_digest, page_lang)
            p.annotations_inputs = (page_lang, inputs)
        return PagePlan(path, "annotations_document.html", title, "annotations", inputs, build)

    def _not_found_plan(self) -> PagePlan:
        return PagePlan(urls.NOT_FOUND, "404.html", "Page not found", "", "",
                        lambda: Page(urls.NOT_FOUND, "404.html", "Page not found", "", freeze({})))

    def _search_plan(self) -> PagePlan:
        # The results page: filled in the browser from ?q= and the search index.
        return PagePlan(urls.SEARCH, "search.html", "Search", "search", "",
                        lambda: Page(urls.SEARCH, "search.html", "Search", "search", freeze({})))
