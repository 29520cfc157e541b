"""Stage 7: Jinja2 views -> in-memory output files.

Templates get views shaped for them (plain dataclasses below), never the model
itself.  Jinja2 runs with ``StrictUndefined`` and autoescape: every string from
content is escaped unless it is HTML that markdown-it produced (which escapes
raw HTML unless the site opted in).  Templates come from the project's
``templates/`` first, then the package's defaults, file by file.

Each page is rendered from a view; the view's inputs are hashed, so a caller
holding a :class:`RenderCache` re-renders only pages whose inputs changed.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

import jinja2
from markupsafe import Markup
from pygments.formatters import HtmlFormatter

from . import urls
from .diagnostics import Pos
from .markdown import Markdown
from .model import Annotation, Content, Entity
from .schema import ANNOTATION_KINDS, ENTITY_TYPES, VERDICTS
from .urls import OutPath, relative_url
from .xref import DocumentAnalysis, XRef

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"

KIND_LABELS = {
    "note": "Note", "context": "Context", "fact-check": "Fact-check", "quote": "Quote", "question": "Open question",
}
KIND_PLURALS = {
    "note": "Notes", "context": "Context", "fact-check": "Fact-checks", "quote": "Quotes", "question": "Open questions",
}
VERDICT_LABELS = {
    "accurate": ("Accurate", "✓"), "mostly-accurate": ("Mostly accurate", "≈"), "misleading": ("Misleading", "!"),
    "unsupported": ("Unsupported", "?"), "false": ("False", "✗"),
}
TYPE_LABELS = {
    "person": "People", "organization": "Organisations", "company": "Companies",
    "government-body": "Government bodies", "ai-model": "AI models", "place": "Places", "concept": "Concepts",
    "policy": "Policies", "event": "Events",
}
TYPE_SINGULAR = {
    "person": "Person", "organization": "Organisation", "company": "Company", "government-body": "Government body",
    "ai-model": "AI model", "place": "Place", "concept": "Concept", "policy": "Policy", "event": "Event",
}
_CJK_RE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def lang_of(text: str) -> str:
    """'zh' for Chinese-script text (for the lang attribute), '' otherwise."""
    return "zh" if _CJK_RE.search(text) else ""


# ------------------------------------------------------------------ views

class Link(NamedTuple):
    path: OutPath
    fragment: str = ""


class EntityLink(NamedTuple):
    id: str
    name: str
    type: str
    type_label: str
    summary: str
    link: Link
    count: int = 0


class SourceView(NamedTuple):
    title: str
    publisher: str
    date: str
    url: str


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
    entities: tuple[EntityLink, ...]
    sources: tuple[SourceView, ...]
    tags: tuple[str, ...]
    document_title: str
    link: Link  # the note on its document page


class BlockView(NamedTuple):
    html: Markup
    notes: tuple[NoteView, ...]


class DocumentSummary(NamedTuple):
    slug: str
    title: str
    date: str
    summary: str
    link: Link
    annotation_count: int
    mention_count: int


class MentionView(NamedTuple):
    before: str
    text: str
    after: str
    link: Link


class MentionGroup(NamedTuple):
    document: DocumentSummary
    mentions: tuple[MentionView, ...]


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
    return env


def template_sources(env: jinja2.Environment) -> dict[str, str]:
    """Name -> digest of every template (so template edits invalidate cached pages)."""
    out = {}
    for name in sorted(env.list_templates()):
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        out[name] = hashlib.sha256(source.encode()).hexdigest()
    return out


class RenderCache:
    """Rendered bytes of each page, keyed by a digest of its view and templates."""

    def __init__(self) -> None:
        self.pages: dict[OutPath, tuple[str, bytes]] = {}
        self.rendered: list[OutPath] = []  # pages rendered (not reused) by the last build


def _digest(page: Page, templates_digest: str) -> str:
    h = hashlib.sha256(templates_digest.encode())
    h.update(pickle.dumps((page.path, page.template, page.title, page.section, page.view, page.extra),
                          protocol=5))
    return h.hexdigest()


def render_pages(pages: list[Page], env: jinja2.Environment, site: SiteView,
                 cache: RenderCache | None = None) -> dict[OutPath, bytes]:
    templates_digest = hashlib.sha256(repr(template_sources(env)).encode()).hexdigest()
    out: dict[OutPath, bytes] = {}
    rendered = []
    for page in pages:
        key = _digest(page, templates_digest) if cache is not None else ""
        if cache is not None:
            hit = cache.pages.get(page.path)
            if hit is not None and hit[0] == key:
                out[page.path] = hit[1]
                continue
        data = _render_one(page, env, site).encode("utf-8")
        out[page.path] = data
        rendered.append(page.path)
        if cache is not None:
            cache.pages[page.path] = (key, data)
    if cache is not None:
        for stale in set(cache.pages) - set(out):
            del cache.pages[stale]
        cache.rendered = rendered
    return out


class TemplateProblem(Exception):
    """A template failed to compile or render; carries a position for the diagnostic."""

    def __init__(self, pos: Pos, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


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
        raise TemplateProblem(Pos(f"templates/{page.template}"), f"template not found: {exc.name}") from exc
    except jinja2.UndefinedError as exc:
        lineno, name = _traceback_line(exc, env)
        raise TemplateProblem(_template_pos(env, name or page.template, lineno),
                              f"while rendering {page.path}: {exc.message}") from exc


def _traceback_line(exc: BaseException, env: jinja2.Environment) -> tuple[int | None, str | None]:
    """Line and template name of the innermost template frame of a rendering error."""
    tb = exc.__traceback__
    found: tuple[int | None, str | None] = (None, None)
    while tb is not None:
        template = env.loader and tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None:
            found = (template.get_corresponding_lineno(tb.tb_lineno), template.name)
        tb = tb.tb_next
    return found


def _render_template(page: Page, env: jinja2.Environment, site: SiteView) -> str:
    def url(target: OutPath | Link, fragment: str = "") -> str:
        if isinstance(target, Link):
            return relative_url(page.path, target.path, target.fragment)
        return relative_url(page.path, target, fragment)

    template = env.get_template(page.template)
    return template.render(
        page=page, view=page.view, site=site, url=url, urls=urls, extra=dict(page.extra),
        kind_labels=KIND_LABELS, verdict_labels=VERDICT_LABELS,
    )


# ---------------------------------------------------------------- views

class ViewBuilder:
    """Builds the view of every page from the content and cross-references."""

    def __init__(self, content: Content, analyses: list[DocumentAnalysis], xref: XRef, md: Markdown):
        self.content = content
        self.analyses = analyses
        self.xref = xref
        self.md = md
        self.entities = {e.id: e for e in sorted(content.entities, key=lambda e: e.id)}
        self.doc_summaries = {an.doc.slug: self._doc_summary(an) for an in analyses}
        self.doc_order = {an.doc.slug: i for i, an in enumerate(analyses)}
        self.numbers = {(an.doc.slug, m.id): m.number for an in analyses for m in an.marks}
        self._links: dict[str, EntityLink] = {}
        self.note_html = {(an.doc.slug, aid): html for an in analyses for aid, html in an.note_html.items()}
        self._md_cache: dict[str, Markup] = {}

    def markdown(self, source: str) -> Markup:
        html = self._md_cache.get(source)
        if html is None:
            html = self._md_cache[source] = Markup(self.md.render(source))
        return html

    def entity_link(self, eid: str) -> EntityLink:
        link = self._links.get(eid)
        if link is None:
            link = self._links[eid] = self._entity_link(eid)
        return link

    def _entity_link(self, eid: str) -> EntityLink:
        e = self.entities[eid]
        return EntityLink(e.id, e.name, e.type, TYPE_SINGULAR[e.type], e.summary, Link(urls.entity_path(e.id)),
                          len(self.xref.mentions.get(e.id, ())))

    def _doc_summary(self, an: DocumentAnalysis) -> DocumentSummary:
        d = an.doc
        return DocumentSummary(d.slug, d.title, d.date, d.summary, Link(urls.document_path(d.slug)),
                               len(an.annotations), len(an.mentions))

    def note(self, a: Annotation, number: int, doc_title: str) -> NoteView:
        label, symbol = VERDICT_LABELS.get(a.verdict, ("", ""))
        return NoteView(
            id=a.id, number=number, kind=a.kind, kind_label=KIND_LABELS[a.kind], verdict=a.verdict,
            verdict_label=label, verdict_symbol=symbol, quote=" ".join(a.quote.exact.split()),
            body=Markup(self.note_html[(a.document, a.id)]), original=a.original.text if a.original else "",
            original_lang=a.original.lang if a.original else "",
            entities=tuple(self.entity_link(e) for e in a.entities if e in self.entities),
            sources=tuple(SourceView(s.title, s.publisher, s.date, s.url) for s in a.sources),
            tags=a.tags, document_title=doc_title,
            link=Link(urls.document_path(a.document), f"ann-{a.id}"),
        )

    # -- pages

    def pages(self) -> list[Page]:
        pages = [self.home(), self.glossary_index(), self.annotations_index(), self.not_found()]
        pages.extend(self.document(an) for an in self.analyses)
        pages.extend(self.entity(e) for e in self.entities.values())
        return sorted(pages, key=lambda p: p.path)

    def home(self) -> Page:
        ov = self.content.overview
        kinds: Counter[str] = Counter()
        verdicts: Counter[str] = Counter()
        for an in self.analyses:
            for a in an.annotations:
                kinds[a.kind] += 1
                if a.verdict:
                    verdicts[a.verdict] += 1
        by_type = self._entities_by_type()
        view = {
            "title": ov.title,
            "summary": ov.summary,
            "takeaways": tuple(Markup(self.md.render_inline(t)) for t in ov.takeaways),
            "body": self.markdown(ov.body),
            "documents": tuple(self.doc_summaries[an.doc.slug] for an in self.analyses),
            "entity_groups": by_type,
            "kind_counts": tuple(Count(k, KIND_PLURALS[k], kinds[k]) for k in ANNOTATION_KINDS),
            "verdict_counts": tuple(Count(v, VERDICT_LABELS[v][0], verdicts[v], VERDICT_LABELS[v][1]) for v in VERDICTS),
            "annotation_total": sum(kinds.values()),
            "entity_total": len(self.entities),
        }
        return Page(urls.HOME, "index.html", self.content.site.title, "home", _freeze(view))

    def _entities_by_type(self) -> tuple[Group, ...]:
        groups: dict[str, list[EntityLink]] = defaultdict(list)
        for e in self.entities.values():
            groups[e.type].append(self.entity_link(e.id))
        return tuple(
            Group(t, TYPE_LABELS[t], tuple(sorted(groups[t], key=lambda x: x.name.casefold())))
            for t in ENTITY_TYPES if groups.get(t)
        )

    def document(self, an: DocumentAnalysis) -> Page:
        doc = an.doc
        numbers = {m.id: m.number for m in an.marks}
        notes = {a.id: self.note(a, numbers[a.id], doc.title) for a in an.annotations}
        blocks = tuple(
            BlockView(Markup(b.html), tuple(notes[i] for i in sorted(b.notes, key=numbers.__getitem__)))
            for b in an.blocks
        )
        counts = Counter(m.entity for m in an.mentions)
        in_doc = tuple(sorted((self.entity_link(eid) for eid in counts), key=lambda x: x.name.casefold()))
        src = doc.source
        view = {
            "title": doc.title, "date": doc.date, "summary": doc.summary, "tags": doc.tags,
            "source": {"publisher": src.publisher, "author": src.author, "published": src.published,
                       "url": src.url, "note": src.note},
            "blocks": blocks,
            "entities": tuple((link, counts[link.id]) for link in in_doc),
            "notes": tuple(notes[a.id] for a in an.annotations),
            "kinds_present": tuple(k for k in ANNOTATION_KINDS if any(a.kind == k for a in an.annotations)),
        }
        return Page(urls.document_path(doc.slug), "document.html", doc.title, "documents", _freeze(view))

    def entity(self, e: Entity) -> Page:
        groups: dict[str, list[MentionView]] = defaultdict(list)
        for m in self.xref.mentions.get(e.id, ()):
            groups[m.document].append(MentionView(m.before, m.text, m.after,
                                                  Link(urls.document_path(m.document), m.anchor)))
        mention_groups = tuple(MentionGroup(self.doc_summaries[slug], tuple(ms))
                               for slug, ms in sorted(groups.items(), key=lambda kv: self.doc_order[kv[0]]))
        anns = self.xref.annotations.get(e.id, [])
        numbers = self.numbers
        view = {
            "id": e.id, "name": e.name, "type": e.type, "type_label": TYPE_SINGULAR[e.type],
            "aliases": tuple((a, lang_of(a)) for a in e.aliases),
            "summary": e.summary, "description": self.markdown(e.description) if e.description else Markup(""),
            "website": e.website, "wikidata": e.wikidata,
            "related": tuple(self.entity_link(r) for r in self.xref.related.get(e.id, ())),
            "co_mentioned": tuple((self.entity_link(o), n) for o, n in self.xref.co_mentioned.get(e.id, ())
                                  if o not in self.xref.related.get(e.id, ())),
            "mention_groups": mention_groups,
            "mention_total": sum(len(g.mentions) for g in mention_groups),
            "annotations": tuple(self.note(a, numbers[(a.document, a.id)], self.doc_summaries[a.document].title)
                                 for a in anns),
        }
        return Page(urls.entity_path(e.id), "entity.html", e.name, "glossary", _freeze(view))

    def glossary_index(self) -> Page:
        letters: dict[str, list[EntityLink]] = defaultdict(list)
        for e in self.entities.values():
            first = e.name[:1].upper()
            key = first if "A" <= first <= "Z" else "#"
            letters[key].append(self.entity_link(e.id))
        az = tuple(Group(k, k, tuple(sorted(v, key=lambda x: x.name.casefold())))
                   for k, v in sorted(letters.items(), key=lambda kv: (kv[0] == "#", kv[0])))
        view = {"az": az, "by_type": self._entities_by_type(), "total": len(self.entities)}
        return Page(urls.GLOSSARY_INDEX, "glossary.html", "Glossary", "glossary", _freeze(view))

    def annotations_index(self) -> Page:
        by_kind: dict[str, list[NoteView]] = defaultdict(list)
        for an in self.analyses:
            numbers = {m.id: m.number for m in an.marks}
            for a in an.annotations:
                by_kind[a.kind].append(self.note(a, numbers[a.id], an.doc.title))
        groups = tuple(Group(k, KIND_PLURALS[k], tuple(by_kind[k])) for k in ANNOTATION_KINDS if by_kind.get(k))
        verdicts = tuple(Count(v, VERDICT_LABELS[v][0], sum(1 for n in by_kind.get("fact-check", ()) if n.verdict == v),
                               VERDICT_LABELS[v][1]) for v in VERDICTS)
        view = {"groups": groups, "verdicts": verdicts, "total": sum(len(g.items) for g in groups)}
        return Page(urls.ANNOTATIONS_INDEX, "annotations.html", "Annotations", "annotations", _freeze(view))

    def not_found(self) -> Page:
        return Page(urls.NOT_FOUND, "404.html", "Page not found", "", _freeze({}))


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


def static_assets(env: jinja2.Environment) -> dict[OutPath, bytes]:
    """The stylesheet (overridable like a template: templates/assets/style.css) and Pygments CSS, light and dark."""
    source, _, _ = env.loader.get_source(env, "assets/style.css")  # type: ignore[union-attr]
    css = source.encode("utf-8")
    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style="monokai").get_style_defs(".highlight")
    dark_block = "\n".join("  " + line for line in dark.splitlines())
    pyg = f"/* Pygments: light and dark */\n{light}\n@media (prefers-color-scheme: dark) {{\n{dark_block}\n}}\n"
    return {urls.STYLESHEET: css, urls.PYGMENTS_CSS: pyg.encode("utf-8")}


def render_site(content: Content, analyses: list[DocumentAnalysis], xref: XRef, md: Markdown,
                env: jinja2.Environment, cache: RenderCache | None = None,
                extra_pages: Callable[[ViewBuilder], list[Page]] | None = None) -> dict[OutPath, bytes]:
    builder = ViewBuilder(content, analyses, xref, md)
    pages = builder.pages()
    if extra_pages is not None:
        pages.extend(extra_pages(builder))
    files = render_pages(pages, env, site_view(content), cache)
    files.update(static_assets(env))
    return files
