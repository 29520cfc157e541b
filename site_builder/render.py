"""Stage 7: Jinja2 views -> in-memory output files.

Templates get views shaped for them (plain dataclasses below), never the model
itself.  Jinja2 runs with ``StrictUndefined`` and autoescape: every string from
content is escaped unless it is HTML that markdown-it produced (which escapes
raw HTML unless the site opted in).  Templates come from the project's
``templates/`` first, then the package's defaults, file by file.

Each page is planned before its view is built: the plan carries a digest of
the page's inputs (the document analysis, the entity records and the link data
the page shows, the digests of its templates), and the view is built, and the
page rendered, only when that digest changed since the last build of a
long-lived process holding a :class:`RenderCache`.  A clean build is the same
code with an empty cache, so incremental and full builds agree by construction.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import pickle
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, NamedTuple

import jinja2
import jinja2.meta
from markupsafe import Markup
from pygments.formatters import HtmlFormatter

from . import bidi, forkmap, language, publish, translation, urls
from .diagnostics import Pos
from .markdown import Markdown
from .model import Annotation, Content, Entity
from .reading import card_summary, table_of_contents
from .schema import ANNOTATION_KINDS, ENTITY_TYPES, VERDICTS
from .urls import OutPath, relative_url
from .xref import DocumentAnalysis, XRef

from .labels import (  # noqa: F401  (re-exported: render.TYPE_SINGULAR etc. keep working)
    KIND_LABELS, KIND_PLURALS, PACKAGE_TEMPLATES, TYPE_LABELS, TYPE_SINGULAR, VERDICT_LABELS,
)
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
MENTIONS_PER_DOCUMENT = 5


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


# ------------------------------------------------------------- rendering

def make_environment(project_templates: Path | None) -> jinja2.Environment:
    search = [str(project_templates)] if project_templates and project_templates.is_dir() else []
    search.append(str(PACKAGE_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["bdi"] = _bdi_filter
    env.filters["isolate"] = _isolate_filter
    env.filters["text_direction"] = language.direction
    env.globals["lang_attr"] = _lang_attr
    env.globals["link_lang"] = _link_lang
    env.globals["hreflang"] = _hreflang
    return env


def _page_dir(ctx) -> str:
    return language.direction(ctx.get("page_lang") or getattr(ctx.get("site"), "language", "") or "")


@jinja2.pass_context
def _lang_attr(ctx, tag: str) -> Markup:
    """`` lang="…"`` (and ``dir``) for text in language ``tag`` ("" = the site's) when the page's differs."""
    return _lang_attrs(tag or ctx["site"].language, ctx["page_lang"])


@functools.lru_cache(maxsize=1024)
def _lang_attrs(tag: str, page: str) -> Markup:
    if language.same_language(tag, page):
        return Markup("")
    out = f' lang="{Markup.escape(tag)}"'
    if language.direction(tag) != language.direction(page):
        out += f' dir="{language.direction(tag)}"'
    return Markup(out)


@jinja2.pass_context
def _hreflang(ctx, tag: str) -> Markup:
    """`` hreflang="…"`` alone, for a link whose text mixes the page's language and the target's."""
    if not _lang_attr(ctx, tag):
        return Markup("")
    return Markup(f' hreflang="{Markup.escape(tag or ctx["site"].language)}"')


@jinja2.pass_context
def _link_lang(ctx, tag: str) -> Markup:
    """``hreflang`` and ``lang`` for a link to a page in language ``tag`` ("" = the site's) when the page's differs."""
    attrs = _lang_attr(ctx, tag)
    if not attrs:
        return attrs
    return Markup(f' hreflang="{Markup.escape(tag or ctx["site"].language)}"') + attrs


@jinja2.pass_context
def _bdi_filter(ctx, value) -> Markup:
    """An author string in HTML content, bidi-isolated (see :mod:`bidi`)."""
    return bidi.bdi(value, _page_dir(ctx))


@jinja2.pass_context
def _isolate_filter(ctx, value) -> str:
    """An author string in <title> or an attribute, between isolate marks when it needs them."""
    return bidi.isolate(value, _page_dir(ctx))


def template_sources(env: jinja2.Environment) -> dict[str, str]:
    """Name -> digest of every template (so template edits invalidate cached pages)."""
    out = {}
    for name in sorted(env.list_templates()):
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        out[name] = hashlib.sha256(source.encode()).hexdigest()
    return out


def template_digests(env: jinja2.Environment, sources: dict[str, str] | None = None) -> dict[str, str]:
    """Name -> digest of the template *and every template it extends, imports or includes*.

    A page is keyed by the digest of its own template, so editing ``entity.html``
    re-renders the entity pages only, while ``base.html`` reaches every page.
    A template whose references cannot be read statically (a name computed at
    render time, or a syntax error) depends on every template.
    """
    sources = sources if sources is not None else template_sources(env)
    deps: dict[str, set[str] | None] = {}
    for name in sources:
        if not name.endswith((".html", ".htm", ".xml", ".txt", ".j2", ".jinja")):
            deps[name] = set()
            continue
        try:
            source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            found = list(jinja2.meta.find_referenced_templates(env.parse(source)))
        except (jinja2.TemplateError, OSError):
            found = [None]
        deps[name] = None if None in found else set(found)
    out = {}
    everything = _digest(sorted(sources.items()))
    for name in sources:
        seen: set[str] = set()
        stack = [name]
        dynamic = False
        while stack and not dynamic:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            d = deps.get(n, set())
            if d is None:
                dynamic = True
            else:
                stack.extend(d)
        out[name] = everything if dynamic else _digest(sorted((n, sources.get(n, "")) for n in seen))
    return out


def _digest(*parts: Any) -> str:
    """A digest of plain values (strings, numbers, tuples and NamedTuples of them) by their repr."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class _DocParts:
    """Everything one document contributes to pages, derived once per analysis.

    Kept across builds by :class:`RenderCache` and reused while the document's
    analysis object and the entity references its notes show are the same.
    Each ``*_digest`` and ``contrib`` value digests exactly the views beside it.
    """

    __slots__ = ("an", "token", "note_entities", "note_key", "notes", "notes_digest", "summary", "summary_digest",
                 "docref", "kinds", "verdicts", "mentions", "mention_counts", "co", "annotated", "contrib",
                 "page_entities", "page_inputs", "orphans")

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


class RenderCache:
    """What the renderer keeps between builds (for the live server).

    ``pages`` holds each page's bytes under a key digested from the page's
    inputs (never from its built view, which would cost as much as rendering).
    """

    def __init__(self) -> None:
        self.pages: dict[OutPath, tuple[str, bytes]] = {}
        self.rendered: list[OutPath] = []  # pages rendered (not reused) by the last build
        self.docs: dict[str, _DocParts] = {}
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


def _page_digest(page: Page, templates_digest: str) -> str:
    h = hashlib.sha256(templates_digest.encode())
    h.update(pickle.dumps((page.path, page.template, page.title, page.section, page.view, page.extra),
                          protocol=5))
    return h.hexdigest()


class SiteWide(NamedTuple):
    """The site-wide emitters the build hands to :func:`render_all` (see ``emitters.py``).

    ``outputs(builder, env, site, common, templates)`` lists (name, inputs
    digest, make) for each file set computed from the whole briefing;
    ``cards(content, analyses, titles, cache)`` returns the social cards.
    """

    outputs: Callable[..., list[tuple[str, str, Callable[[], dict[OutPath, bytes]]]]]
    cards: Callable[..., dict[OutPath, bytes]]


class TemplateProblem(Exception):
    """A template failed to compile or render; carries a position for the diagnostic."""

    def __init__(self, pos: Pos, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message

    def __reduce__(self):  # raised in a rendering worker, re-raised in the parent
        return (TemplateProblem, (self.pos, self.message))


def _template_pos(env: jinja2.Environment, name: str | None, lineno: int | None) -> Pos:
    filename = None
    if name:
        try:
            _, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            filename = None
    if filename and Path(filename).is_relative_to(PACKAGE_TEMPLATES):
        shown = f"<site_builder>/templates/{name}"
    else:
        shown = f"templates/{name}" if name else "templates"
    return Pos(shown, lineno or 0, 1)


def _render_one(page: Page, env: jinja2.Environment, site: SiteView) -> str:
    try:
        return _render_template(page, env, site)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(_template_pos(env, exc.name, exc.lineno), f"template syntax error: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateProblem(Pos(f"templates/{page.template}", 1, 1), f"template not found: {exc.name}") from exc
    except jinja2.UndefinedError as exc:
        lineno, name = _traceback_line(exc, env)
        raise TemplateProblem(_template_pos(env, name or page.template, lineno),
                              f"while rendering {page.path}: {exc.message}") from exc
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
        # Any other failure inside a (project's) template: report it, never a traceback.
        lineno, name = _traceback_line(exc, env)
        raise TemplateProblem(_template_pos(env, name or page.template, lineno),
                              f"while rendering {page.path}: {type(exc).__name__}: {exc}") from exc


def _traceback_line(exc: BaseException, env: jinja2.Environment) -> tuple[int | None, str | None]:
    """Line and template name of the innermost template frame of a rendering error."""
    tb = exc.__traceback__
    found: tuple[int | None, str | None] = (None, None)
    folders = [Path(p).resolve() for p in getattr(env.loader, "searchpath", ())]
    while tb is not None:
        frame_globals = tb.tb_frame.f_globals
        template = env.loader and frame_globals.get("__jinja_template__")
        if template is not None:
            found = (template.get_corresponding_lineno(tb.tb_lineno), template.name)
        elif "__jinja_exception__" in frame_globals:
            # A frame Jinja rewrote to stand at the template's own file and line.
            filename = Path(tb.tb_frame.f_code.co_filename).resolve()
            for folder in folders:
                if filename.is_relative_to(folder):
                    found = (tb.tb_lineno, filename.relative_to(folder).as_posix())
                    break
        tb = tb.tb_next
    return found


def _with_meta(page: Page, metas: "publish.MetaBuilder") -> Page:
    """The page with its head metadata (canonical URL, OpenGraph, JSON-LD) in ``extra.meta``."""
    if any(k == "meta" for k, _ in page.extra):
        return page
    return page._replace(extra=page.extra + (("meta", metas.for_page(page.path, page.title)),))


def _render_plan(plan: "PagePlan", env: jinja2.Environment, site: SiteView, metas: "publish.MetaBuilder") -> bytes:
    """One planned page, its view built and rendered (a job for :func:`forkmap.run`)."""
    return _render_one(_with_meta(plan.build(), metas), env, site).encode("utf-8")


def _render_template(page: Page, env: jinja2.Environment, site: SiteView) -> str:
    # The 404 page is served at any depth (GitHub Pages answers /repo/a/b/c with
    # it), so its links are absolute when the site's address is known.
    base = (dict(page.extra).get("meta") or {}).get("base_url", "") if page.path == urls.NOT_FOUND else ""

    def url(target: OutPath | Link, fragment: str = "") -> str:
        if isinstance(target, Link):
            target, fragment = target.path, target.fragment
        if base:
            return urls.absolute_url(base, target) + (f"#{fragment}" if fragment else "")
        return relative_url(page.path, target, fragment)

    template = env.get_template(page.template)
    return template.render(
        page=page, view=page.view, site=site, url=url, urls=urls, extra=dict(page.extra),
        page_lang=page.lang or site.language,
        kind_labels=KIND_LABELS, verdict_labels=VERDICT_LABELS,
    )


# ---------------------------------------------------------------- views
#
# Every page is planned as (path, template, title, section, key, build): the
# key digests the page's inputs and ``build`` makes its view from those same
# inputs only, so a page whose key is unchanged renders to the same bytes and
# is taken from the cache without its view being built at all.

class PagePlan(NamedTuple):
    path: OutPath
    template: str
    title: str
    section: str
    inputs: str  # digest of everything ``build`` reads
    build: Callable[[], Page]


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


def _doc_parts(an: DocumentAnalysis, refs: dict[str, EntityRef], ref_digest: dict[str, str],
               cache: RenderCache) -> _DocParts:
    slug = an.doc.slug
    hit = cache.docs.get(slug)
    if hit is not None and hit.an is an:
        note_key = tuple(ref_digest.get(e, "") for e in hit.note_entities)
        if note_key == hit.note_key:
            return hit
    p = _DocParts()
    p.an = an
    p.token = hit.token if hit is not None and hit.an is an else next(cache.tokens)
    d = an.doc
    p.note_entities = tuple(sorted({e for a in (*an.annotations, *an.orphans) for e in a.entities}))
    p.note_key = tuple(ref_digest.get(e, "") for e in p.note_entities)
    numbers = {m.id: m.number for m in an.marks}
    doc_lang = d.lang("")
    p.notes = tuple(note_view(a, numbers[a.id], d.title, an.note_html[a.id], refs, doc_lang=doc_lang)
                    for a in an.annotations)
    p.orphans = tuple(note_view(a, 0, d.title, an.note_html[a.id], refs, orphaned=True, doc_lang=doc_lang)
                      for a in an.orphans)
    note_digests = [_digest(n) for n in p.notes]
    p.notes_digest = _digest(tuple(note_digests), p.orphans)
    p.kinds = Counter(a.kind for a in an.annotations)
    p.verdicts = Counter(a.verdict for a in an.annotations if a.verdict)
    link = Link(urls.document_path(slug))
    p.summary = DocumentSummary(slug, d.title, d.date, d.summary, link, len(an.annotations), len(an.mentions),
                                doc_lang)
    p.summary_digest = _digest(p.summary, sorted(p.kinds.items()), sorted(p.verdicts.items()))
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
    co: dict[str, Counter] = defaultdict(Counter)
    for group in by_block.values():
        for e in group:
            for other in group:
                if other != e:
                    co[e][other] += 1
    p.co = dict(co)
    annotated: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(an.annotations):
        for e in a.entities:
            annotated[e].append(i)
    p.annotated = {e: tuple(p.notes[i] for i in idx) for e, idx in annotated.items()}
    p.contrib = {
        e: int(_digest(p.docref, p.mentions.get(e), p.mention_counts.get(e), sorted(p.co.get(e, {}).items()),
                       tuple(note_digests[i] for i in annotated.get(e, ()))), 16)
        for e in set(p.mentions) | set(annotated)
    }
    p.page_entities = tuple(sorted(p.mentions))
    p.page_inputs = None
    return p


class ViewBuilder:
    """Builds the view of every page from the content and the per-document analyses.

    Documents contribute through :class:`_DocParts`, derived once per
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
        self.refs = {eid: EntityRef(e.id, e.name, e.type, TYPE_SINGULAR[e.type], e.summary,
                                    Link(urls.entity_path(e.id)), e.language) for eid, e in self.entities.items()}
        self.ref_digest = {eid: _digest(r) for eid, r in self.refs.items()}
        cache = self.cache
        if self.ref_digest != cache.ref_digests:
            cache.ref_digests = self.ref_digest
            cache.refs_generation += 1
        old = cache.docs
        self.parts = [_doc_parts(an, self.refs, self.ref_digest, cache) for an in analyses]
        docs = {p.an.doc.slug: p for p in self.parts}
        slugs = tuple(docs)
        # Gather each entity's state over all documents, or, when the same documents
        # are there, update the last one by the documents whose parts were replaced.
        if slugs == cache.slugs and cache.entity_states:
            states = self._update_states(cache.entity_states, [(old.get(slug), p) for slug, p in docs.items()
                                                               if p is not old.get(slug)])
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
        plans = [self._home_plan(), self._glossary_plan(), self._annotations_plan(), self._not_found_plan(),
                 self._search_plan()]
        plans.extend(self._document_plan(p) for p in self.parts)
        plans.extend(self._annotations_document_plan(p) for p in self.parts if p.notes or p.orphans)
        plans.extend(self._entity_plan(e) for e in self.entities.values())
        return sorted(plans, key=lambda p: p.path)

    def pages(self) -> list[Page]:
        return [plan.build() for plan in self.plans()]

    def home(self) -> Page:
        return self._home_plan().build()

    def document(self, an: DocumentAnalysis) -> Page:
        return self._document_plan(next(p for p in self.parts if p.an is an)).build()

    def entity(self, e: Entity) -> Page:
        return self._entity_plan(e).build()

    def glossary_index(self) -> Page:
        return self._glossary_plan().build()

    def annotations_index(self) -> Page:
        return self._annotations_plan().build()

    def not_found(self) -> Page:
        return self._not_found_plan().build()

    # -- the plans: each digests what its build function reads

    def _home_plan(self) -> PagePlan:
        ov = self.content.overview
        parts = self.parts
        links = tuple(self._links.values())
        inputs = _digest(ov.title, ov.summary, ov.takeaways, ov.body, links, tuple(p.summary_digest for p in parts))

        def build() -> Page:
            kinds: Counter[str] = Counter()
            verdicts: Counter[str] = Counter()
            for p in parts:
                kinds.update(p.kinds)
                verdicts.update(p.verdicts)
            view = {
                "title": ov.title,
                "summary": ov.summary,
                "takeaways": tuple(Markup(self.md.render_inline(t)) for t in ov.takeaways),
                "body": self.markdown(ov.body),
                "documents": tuple(p.summary for p in parts),
                "entity_groups": _by_type(links),
                "kind_counts": tuple(Count(k, KIND_PLURALS[k], kinds[k]) for k in ANNOTATION_KINDS),
                "verdict_counts": tuple(Count(v, VERDICT_LABELS[v][0], verdicts[v], VERDICT_LABELS[v][1])
                                        for v in VERDICTS),
                "annotation_total": sum(kinds.values()),
                "entity_total": len(links),
            }
            return Page(urls.HOME, "index.html", self.content.site.title, "home", _freeze(view))

        return PagePlan(urls.HOME, "index.html", self.content.site.title, "home", inputs, build)

    def _document_plan(self, p: _DocParts) -> PagePlan:
        generation = self.cache.refs_generation
        if p.page_inputs is not None and p.page_inputs[0] == generation:
            inputs = p.page_inputs[1]
        else:
            inputs = _digest(p.token, p.notes_digest, tuple(self.ref_digest.get(e, "") for e in p.page_entities))
            p.page_inputs = (generation, inputs)
        doc = p.an.doc
        path = urls.document_path(doc.slug)
        at = next(i for i, q in enumerate(self.parts) if q is p)
        previous = self.parts[at - 1].docref if at > 0 else None
        following = self.parts[at + 1].docref if at + 1 < len(self.parts) else None
        print_notes = self.content.site.print_notes
        page_lang = doc.lang(self.content.site.language)
        pair = self.translations.get(doc.slug)
        inputs = _digest(inputs, previous, following, print_notes, page_lang, pair)

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
            return Page(path, "document.html", doc.title, "documents", _freeze(view), lang=page_lang)

        return PagePlan(path, "document.html", doc.title, "documents", inputs, build)

    def _touching(self, eid: str) -> list[_DocParts]:
        """The parts of the documents that mention or annotate ``eid``, in document order."""
        return [p for p in self.parts if eid in p.contrib]

    def _gather(self, eids) -> dict[str, _EntityState]:
        acc = {eid: [0, 0, Counter()] for eid in eids}
        for p in self.parts:
            for e, c in p.contrib.items():
                a = acc.get(e)
                if a is not None:
                    a[0] += c
                    a[1] += p.mention_counts.get(e, 0)
                    co = p.co.get(e)
                    if co:
                        a[2].update(co)
        return {e: _EntityState(a[0] % _MOD, a[1], a[2]) for e, a in acc.items()}

    def _update_states(self, previous: dict[str, _EntityState],
                       replaced: list[tuple[_DocParts | None, _DocParts]]) -> dict[str, _EntityState]:
        delta: dict[str, list] = {}
        for sign, parts in [(-1, before) for before, _ in replaced if before is not None] + [(1, after) for _, after in replaced]:
            for e, c in parts.contrib.items():
                d = delta.setdefault(e, [0, 0, Counter()])
                d[0] += sign * c
                d[1] += sign * parts.mention_counts.get(e, 0)
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
            if d is not None:
                co = Counter(state.co)
                co.update(d[2])
                state = _EntityState((state.contributions + d[0]) % _MOD, state.mentions + d[1], +co)
            states[eid] = state
        return states

    def _entity_plan(self, e: Entity) -> PagePlan:
        eid = e.id
        state = self.states[eid]
        related = self.related.get(eid, ())
        shown = sorted(set(related) | set(state.co))
        inputs = _digest(e.id, e.name, e.type, e.aliases, e.summary, e.description, e.website, e.wikidata, e.language,
                         related, tuple(self.ref_digest.get(o, "") for o in shown), state.contributions)
        path = urls.entity_path(eid)

        def build() -> Page:
            touching = self._touching(eid)
            co: Counter[str] = Counter()
            for p in touching:
                co.update(p.co.get(eid, {}))
            mention_groups = tuple(MentionGroup(p.docref, p.mentions[eid], p.mention_counts[eid])
                                   for p in touching if eid in p.mentions)
            view = {
                "id": e.id, "name": e.name, "type": e.type, "type_label": TYPE_SINGULAR[e.type],
                "aliases": tuple((a, lang_of(a)) for a in e.aliases), "lang": e.language,
                "summary": e.summary, "description": self.markdown(e.description) if e.description else Markup(""),
                "website": e.website, "wikidata": e.wikidata,
                "related": tuple(self.refs[r] for r in related),
                "co_mentioned": tuple((self.refs[o], n) for o, n in sorted(co.items(), key=lambda kv: (-kv[1], kv[0]))
                                      if o not in related),
                "mention_groups": mention_groups,
                "mention_total": sum(g.total for g in mention_groups),
                "annotations": tuple(n for p in touching for n in p.annotated.get(eid, ())),
            }
            return Page(path, "entity.html", e.name, "glossary", _freeze(view))

        return PagePlan(path, "entity.html", e.name, "glossary", inputs, build)

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
            view = {"az": az, "by_type": _by_type(links), "total": len(links)}
            return Page(urls.GLOSSARY_INDEX, "glossary.html", "Glossary", "glossary", _freeze(view))

        return PagePlan(urls.GLOSSARY_INDEX, "glossary.html", "Glossary", "glossary", _digest(links), build)

    def _annotations_plan(self) -> PagePlan:
        """The annotation index: counts by kind and verdict, and a row per document linking its own page.

        It grows by one short row per document, never by annotation (docs/performance.md)."""
        parts = self.parts

        def build() -> Page:
            kinds: Counter[str] = Counter()
            verdicts: Counter[str] = Counter()
            rows = []
            for p in parts:
                kinds.update(p.kinds)
                verdicts.update(p.verdicts)
                rows.append(_annotation_row(p))
            view = {
                "kind_counts": tuple(Count(k, KIND_PLURALS[k], kinds[k]) for k in ANNOTATION_KINDS),
                "kind_labels": tuple(KIND_PLURALS[k] for k in ANNOTATION_KINDS),
                "kind_keys": ANNOTATION_KINDS,
                "verdict_counts": tuple(Count(v, VERDICT_LABELS[v][0], verdicts[v], VERDICT_LABELS[v][1])
                                        for v in VERDICTS),
                "total": sum(kinds.values()),
                "documents": tuple(rows),
                "orphans": sum(r.orphans for r in rows),
            }
            return Page(urls.ANNOTATIONS_INDEX, "annotations.html", "Annotations", "annotations", _freeze(view))

        return PagePlan(urls.ANNOTATIONS_INDEX, "annotations.html", "Annotations", "annotations",
                        _digest(tuple((p.summary_digest, len(p.orphans)) for p in parts)), build)

    def _annotations_document_plan(self, p: _DocParts) -> PagePlan:
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
            return Page(path, "annotations_document.html", title, "annotations", _freeze(view))

        return PagePlan(path, "annotations_document.html", title, "annotations",
                        _digest(p.summary, p.notes_digest, page_lang), build)

    def _not_found_plan(self) -> PagePlan:
        return PagePlan(urls.NOT_FOUND, "404.html", "Page not found", "", "",
                        lambda: Page(urls.NOT_FOUND, "404.html", "Page not found", "", _freeze({})))

    def _search_plan(self) -> PagePlan:
        # The results page: filled in the browser from ?q= and the search index.
        return PagePlan(urls.SEARCH, "search.html", "Search", "search", "",
                        lambda: Page(urls.SEARCH, "search.html", "Search", "search", _freeze({})))


def _annotation_row(p: _DocParts) -> DocumentAnnotations:
    d = p.an.doc
    has_page = bool(p.notes or p.orphans)
    return DocumentAnnotations(
        d.title, d.date, Link(urls.annotations_path(d.slug)) if has_page else None, p.summary.link, len(p.notes),
        tuple(p.kinds.get(k, 0) for k in ANNOTATION_KINDS),
        tuple((v, *VERDICT_LABELS[v], p.verdicts[v]) for v in VERDICTS if p.verdicts.get(v)),
        len(p.orphans), p.summary.lang)


def _by_type(links: tuple[EntityLink, ...]) -> tuple[Group, ...]:
    groups: dict[str, list[EntityLink]] = defaultdict(list)
    for link in links:
        groups[link.type].append(link)
    return tuple(
        Group(t, TYPE_LABELS[t], tuple(sorted(groups[t], key=lambda x: x.name.casefold())))
        for t in ENTITY_TYPES if groups.get(t)
    )


class FrozenDict(dict):
    """A dict usable as a view: hashable by content (for render caching), read-only by convention."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def _freeze(view: dict) -> FrozenDict:
    return FrozenDict((k, _freeze(v) if isinstance(v, dict) and not isinstance(v, FrozenDict) else v)
                      for k, v in view.items())


def site_view(content: Content) -> SiteView:
    s = content.site
    return SiteView(s.title, s.subtitle, s.description, s.language, s.author, s.organisation, s.date)


def static_assets(env: jinja2.Environment, cache: RenderCache | None = None) -> dict[OutPath, bytes]:
    """The stylesheet (overridable like a template: templates/assets/style.css) and Pygments CSS, light and dark."""
    source, _, _ = env.loader.get_source(env, "assets/style.css")  # type: ignore[union-attr]
    if cache is not None and cache.assets is not None and cache.assets[0] == source:
        return dict(cache.assets[1])
    css = source.encode("utf-8")
    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark_style = HtmlFormatter(style="monokai")
    # Dark code colours follow the theme toggle (data-theme on <html>) and,
    # when the reader has not chosen, the system preference.
    chosen = dark_style.get_style_defs(':root[data-theme="dark"] .highlight')
    system = dark_style.get_style_defs(':root:not([data-theme="light"]) .highlight')
    system_block = "\n".join("  " + line for line in system.splitlines())
    pyg = (f"/* Pygments: light, dark by choice, dark by system preference */\n{light}\n{chosen}\n"
           f"@media (prefers-color-scheme: dark) {{\n{system_block}\n}}\n")
    files = {urls.STYLESHEET: css, urls.PYGMENTS_CSS: pyg.encode("utf-8")}
    if cache is not None:
        cache.assets = (source, files)
    return dict(files)


def _templates_for(env: jinja2.Environment, cache: RenderCache) -> dict[str, str]:
    sources = template_sources(env)
    key = (id(env), tuple(sorted(sources.items())))
    if cache.templates is not None and cache.templates[0] == key:
        return cache.templates[1]
    digests = template_digests(env, sources)
    cache.templates = (key, digests)
    return digests


class Rendered(NamedTuple):
    files: dict[OutPath, bytes]
    # Site-wide files whose inputs changed but that were left at their last version
    # (``defer=True``): calling this computes them (None for a file they no longer
    # make, which goes).  None when nothing was deferred.
    pending: Callable[[], dict[OutPath, bytes | None]] | None = None


def has_template(env: jinja2.Environment, name: str) -> bool:
    try:
        env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        return False
    return True


_has_template = has_template  # its earlier name, for code written against it


def render_all(content: Content, analyses: list[DocumentAnalysis], xref: XRef | None, md: Markdown,
               env: jinja2.Environment, cache: RenderCache | None = None,
               extra_pages: Callable[[ViewBuilder], list[Page]] | None = None, defer: bool = False,
               emitters: "SiteWide | None" = None, workers: int = 1) -> Rendered:
    """Render every page and site-wide file; with a cache, only those whose inputs changed since the last call.

    ``workers``: processes that may render the pages (see :mod:`forkmap`).

    With ``defer``, the slow site-wide files (search index, entity graph) whose
    inputs changed keep their last version, and ``pending`` computes the new
    ones, so a live preview can show the edited pages first.
    """
    cache = cache if cache is not None else RenderCache()
    builder = ViewBuilder(content, analyses, xref, md, cache)
    site = site_view(content)
    templates = _templates_for(env, cache)
    everything = _digest(sorted(templates.items()))
    common = _digest(content.site)  # the site view, and allow_raw_html for the Markdown rendered here
    out: dict[OutPath, bytes] = {}
    rendered: list[OutPath] = []
    metas = publish.MetaBuilder(content, analyses)
    titles: list[tuple[OutPath, str]] = []  # every page and its title, for the social cards
    plans = builder.plans()
    keys = []
    todo: list[Callable[[], bytes]] = []
    for plan in plans:
        titles.append((plan.path, plan.title))
        key = _digest(common, templates.get(plan.template, everything), plan.path, plan.template, plan.title,
                      plan.section, plan.inputs)
        keys.append(key)
        hit = cache.pages.get(plan.path)
        if hit is None or hit[0] != key:
            todo.append(functools.partial(_render_plan, plan, env, site, metas))
    # The pages to render, in forked workers for a large briefing (see forkmap), in plan order.
    results = forkmap.run(todo, workers)
    for plan, key in zip(plans, keys):
        hit = cache.pages.get(plan.path)
        if hit is not None and hit[0] == key:
            out[plan.path] = hit[1]
            continue
        data = next(results)
        out[plan.path] = data
        cache.pages[plan.path] = (key, data)
        rendered.append(plan.path)
    if extra_pages is not None:
        templates_digest = _digest(common, everything)
        for page in extra_pages(builder):
            titles.append((page.path, page.title))
            key = _page_digest(page, templates_digest)
            hit = cache.pages.get(page.path)
            if hit is not None and hit[0] == key:
                out[page.path] = hit[1]
                continue
            data = _render_one(_with_meta(page, metas), env, site).encode("utf-8")
            out[page.path] = data
            cache.pages[page.path] = (key, data)
            rendered.append(page.path)
    for stale in set(cache.pages) - set(out):
        del cache.pages[stale]
    cache.rendered = rendered
    out.update(static_assets(env, cache))
    html_pages = [p for p in out if p.path.endswith(".html")] + ([urls.GRAPH] if has_template(env, "graph.html") else [])
    # Not deferred: a deleted document's annotation file must go at once.
    out.update(publish.site_files(content, analyses, None, pages=html_pages, env=env, cache=cache.publish))
    if emitters is None:
        return Rendered(out)
    if publish.base_url(content.site):  # og:image needs an absolute URL: no address, no cards
        if has_template(env, "graph.html"):
            titles.append((urls.GRAPH, "Entity graph"))
        out.update(emitters.cards(content, analyses, titles, cache.cards))

    later = []
    settled: set[OutPath] = set()  # files of the outputs not deferred
    for name, inputs, make in emitters.outputs(builder, env, site, common, templates):
        hit = cache.site_wide.get(name)
        if hit is not None and hit[0] == inputs:
            out.update(hit[1])
            settled.update(hit[1])
        elif defer and hit is not None:
            out.update(hit[1])
            later.append((name, inputs, make))
        else:
            files = make()
            cache.site_wide[name] = (inputs, files)
            out.update(files)
            settled.update(files)
    if not later:
        return Rendered(out)

    def pending() -> dict[OutPath, bytes | None]:
        done: dict[OutPath, bytes | None] = {}
        gone: set[OutPath] = set()
        for name, inputs, make in later:
            before = cache.site_wide.get(name)
            try:
                files = make()
            except TemplateProblem:
                continue  # reported by the next build, which renders it again
            cache.site_wide[name] = (inputs, files)
            done.update(files)
            if before is not None:  # a search group whose document left it: its old text shard goes
                gone.update(p for p in before[1] if p not in files)
        for path in gone - settled - set(done):
            done[path] = None
        return done

    return Rendered(out, pending)


def render_site(content: Content, analyses: list[DocumentAnalysis], xref: XRef | None, md: Markdown,
                env: jinja2.Environment, cache: RenderCache | None = None,
                extra_pages: Callable[[ViewBuilder], list[Page]] | None = None,
               emitters: SiteWide | None = None) -> dict[OutPath, bytes]:
    """Render every page and site-wide file (see :func:`render_all`); the output files by path.

    ``xref`` may be None: the pages need only the analyses (``ViewBuilder.xref`` builds it on demand).
    """
    return render_all(content, analyses, xref, md, env, cache, extra_pages, emitters=emitters).files
