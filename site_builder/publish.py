"""Publishing: the files a deployed site needs beside its pages, and the metadata its pages carry.

* :func:`site_files` -> ``.nojekyll``, ``robots.txt``, ``CNAME`` (with ``cname``),
  ``sitemap.xml`` and ``feed.xml`` (Atom; both only with a base URL; made by :mod:`feeds`), the print
  stylesheet ``assets/print.css`` and each document's W3C annotation
  collection ``annotations/<slug>.jsonld``.
* :func:`diagnostics` -> warnings about publishing settings
  (``cname-mismatch``, ``base-url-invalid``; with ``publishing``, the checks of
  ``check --publish``, also ``base-url-missing``).
* :func:`page_meta` and :class:`MetaBuilder` -> what ``templates/_meta.html``
  needs for one page: canonical URL, OpenGraph and Twitter card values, feed and
  annotation links and schema.org JSON-LD (:func:`jsonld_document`,
  :func:`jsonld_entity`, :func:`jsonld_claim_reviews`, :func:`jsonld_website`).

Every link between pages stays relative (so the output works at a domain root,
under ``/repo/`` and from file://); absolute URLs appear only where they must
(canonical links, OpenGraph, the sitemap, the feed, JSON-LD) and only when the
site's address is known: see :func:`base_url`.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from . import feeds, urls, webannotation
from .diagnostics import Diagnostic, Pos, Severity
from .markdown import Markdown
from .model import Annotation, Content, Document, Entity, Site
from .urls import CNAME, FEED, NOJEKYLL, PRINT_CSS, ROBOTS, SITEMAP, OutPath, relative_url

# The sitemap and the feed are made in feeds.py; these names stay importable from here.
from .feeds import ATOM_NS, DESCRIPTION_LIMIT, SITEMAP_NS, atom_feed, rfc3339, sitemap_xml  # noqa: E402,F401
from .feeds import clip as _clip, page_url  # noqa: E402

BASE_URL_ENV = webannotation.BASE_URL_ENV

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
SITE_YML = "content/site.yml"
CARD_WIDTH, CARD_HEIGHT = 1200, 630  # site_builder.cards draws them at this size

# ClaimReview ratings: 1 (false) to 5 (accurate); the verdict's label is the rating's name.
VERDICT_RATINGS = {"false": 1, "misleading": 2, "unsupported": 3, "mostly-accurate": 4, "accurate": 5}
VERDICT_LABELS = webannotation.VERDICT_LABELS
ENTITY_SCHEMA_TYPES = {"person": "Person", "organization": "Organization", "company": "Organization",
                       "government-body": "Organization"}  # every other type: DefinedTerm

# ------------------------------------------------------------- base URL

def base_url(site: Site, environ: dict | None = None) -> str:
    """The site's published address with a trailing slash, or '' when unknown.

    ``base_url`` from site.yml wins; else ``$SITE_BUILDER_BASE_URL`` (the Pages
    workflow sets it from actions/configure-pages, so a deployed site has its
    sitemap, feed and canonical links even when site.yml leaves base_url out);
    else ``https://<cname>/`` when ``cname`` is set.
    """
    return webannotation.site_base(site, environ)


# ---------------------------------------------------------- diagnostics

def diagnostics(content: Content, environ: dict | None = None, *,
                existing: Iterable[Diagnostic] = (), publishing: bool = False) -> list[Diagnostic]:
    """Warnings about publishing settings (never errors: the site still builds and works).

    ``existing``: the build's diagnostics so far; when content/site.yml itself
    has errors its settings are not known, and nothing is said about them.
    ``publishing``: the site is about to be published (``--publish``), so an
    unknown address (``base-url-missing``) matters. A local build works
    without one and says nothing about it.
    """
    if any(d.pos.path == SITE_YML and d.severity is Severity.ERROR for d in existing):
        return []
    site = content.site
    env = os.environ if environ is None else environ
    out: list[Diagnostic] = []
    pos = Pos(SITE_YML, 1, 1)
    if publishing and not base_url(site, env):
        out.append(Diagnostic(
            "base-url-missing", Severity.WARNING, pos,
            "the site's address is unknown, so sitemap.xml, the Atom feed, canonical links and absolute "
            "link-preview URLs are left out: set base_url in content/site.yml to the address the site is "
            f"published at (e.g. https://<owner>.github.io/<repository>/), or set {BASE_URL_ENV}",
        ))
    if site.base_url:
        parts = urlsplit(site.base_url.strip())
        if parts.query or parts.fragment:
            out.append(Diagnostic("base-url-invalid", Severity.WARNING, pos,
                                  f"base_url '{site.base_url}' has a query or fragment; they are ignored"))
        last = parts.path.rstrip("/").rsplit("/", 1)[-1] if not parts.path.endswith("/") else ""
        if last.endswith((".html", ".htm")):
            out.append(Diagnostic("base-url-invalid", Severity.WARNING, pos,
                                  f"base_url '{site.base_url}' names a page; it should be the folder the site is "
                                  "published at, ending in '/'"))
        if site.cname and parts.hostname and parts.hostname.lower() != site.cname.lower():
            out.append(Diagnostic("cname-mismatch", Severity.WARNING, pos,
                                  f"cname is '{site.cname}' but base_url is on '{parts.hostname}': with a custom "
                                  f"domain the site is served from https://{site.cname}/"))
    return out


# ----------------------------------------------------------- site files

def default_pages(content: Content) -> list[OutPath]:
    """The HTML pages every build has (the sitemap's list when the caller passes none)."""
    pages = [urls.HOME, urls.GLOSSARY_INDEX, urls.ANNOTATIONS_INDEX]
    pages += [urls.document_path(d.slug) for d in content.documents]
    pages += [urls.entity_path(e.id) for e in content.entities]
    return pages


def site_files(content: Content, analyses: list, refs=None, *, pages: Iterable[OutPath] | None = None,
               env=None, project_templates: Path | None = None, environ: dict | None = None,
               cache: dict | None = None) -> dict[OutPath, bytes]:
    """Every publishing file of the site (see the module docstring).

    ``pages``: the HTML pages of the build, for the sitemap (default:
    :func:`default_pages`; ``404.html`` is always left out).
    ``env``: the build's Jinja2 environment, whose loader finds
    ``assets/print.css`` (the project's ``templates/assets/print.css`` first);
    or ``project_templates``: the project's ``templates/`` folder.  ``refs`` is
    accepted for symmetry with the other site-wide generators and not needed.
    ``environ``: where ``SITE_BUILDER_BASE_URL`` is read (default ``os.environ``).
    ``cache``: a dict the caller keeps between builds (the live server): each
    document's annotation file is then only re-made when its analysis changed.
    """
    site = content.site
    base = base_url(site, environ)
    # First: it empties ``cache`` when the site's settings changed, and the sitemap and feed keep theirs there too.
    collections = webannotation.collection_files(content, analyses, base=base, cache=cache)
    files: dict[OutPath, bytes] = {NOJEKYLL: b""}
    files[ROBOTS] = robots_txt(base)
    if site.cname:
        files[CNAME] = (site.cname.strip().lower() + "\n").encode("ascii")
    if base:
        page_list = pages if pages is not None else default_pages(content)
        files[SITEMAP], files[FEED] = feeds.sitemap_and_feed(content, analyses, base, page_list, cache)
    files[PRINT_CSS] = print_css(project_templates, env)
    files.update(collections)
    return files


def robots_txt(base: str) -> bytes:
    lines = ["# Everything here is public: crawlers are welcome.", "User-agent: *", "Allow: /"]
    if base:
        lines.append(f"Sitemap: {base}{SITEMAP.path}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def print_css(project_templates: Path | None = None, env=None) -> bytes:
    if env is not None:
        try:
            source, _, _ = env.loader.get_source(env, "assets/print.css")
            return source.encode("utf-8")
        except Exception:  # noqa: BLE001 - jinja2.TemplateNotFound: fall back to the files
            pass
    for folder in (project_templates, PACKAGE_TEMPLATES):
        if folder is not None and (folder / "assets" / "print.css").is_file():
            return (folder / "assets" / "print.css").read_bytes()
    return b""  # pragma: no cover - the package always ships it


# -------------------------------------------------------------- JSON-LD

def _plain(md: Markdown, source: str) -> str:
    """Markdown as the plain text a reader sees (whitespace collapsed)."""
    return " ".join(md.parse(source, body=False).projection.text.split())


def _org(name: str) -> dict:
    return {"@type": "Organization", "name": name}


def _publisher(site: Site) -> dict | None:
    name = site.organisation or site.author
    return _org(name) if name else None


def jsonld_website(site: Site, *, environ: dict | None = None) -> dict:
    """schema.org ``WebSite`` for the home page."""
    base = base_url(site, environ)
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "WebSite", "name": site.title}
    if site.description:
        data["description"] = site.description
    data["inLanguage"] = site.language or "en"
    if base:
        data["url"] = base
    if _publisher(site):
        data["publisher"] = _publisher(site)
    if site.date:
        data["dateModified"] = site.date
    return data


def jsonld_document(site: Site, doc: Document, page_path: OutPath | None = None, *,
                    entities: Iterable[Entity] = (), annotation_count: int | None = None,
                    environ: dict | None = None) -> dict:
    """schema.org ``Article`` for a document page: the annotated reproduction, ``isBasedOn`` the original."""
    base = base_url(site, environ)
    page_path = page_path or urls.document_path(doc.slug)
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Article", "headline": doc.title}
    if doc.summary:
        data["description"] = doc.summary
    data["inLanguage"] = site.language or "en"
    if doc.date:
        data["datePublished"] = doc.date
    if site.date:
        data["dateModified"] = site.date
    if base:
        data["url"] = page_url(base, page_path)
        data["mainEntityOfPage"] = page_url(base, page_path)
    if _publisher(site):
        data["publisher"] = _publisher(site)
        data["author"] = _publisher(site)
    if doc.tags:
        data["keywords"] = ", ".join(doc.tags)
    data["isPartOf"] = {"@type": "WebSite", "name": site.title, **({"url": base} if base else {})}
    src = doc.source
    original: dict[str, Any] = {"@type": "CreativeWork", "name": doc.title}
    if src.author:
        original["author"] = {"@type": "Person", "name": src.author}
    if src.publisher:
        original["publisher"] = _org(src.publisher)
    if src.published:
        original["datePublished"] = src.published
    if src.url:
        original["url"] = src.url
    data["isBasedOn"] = original
    mentioned = [_entity_ref(site, e, base) for e in entities]
    if mentioned:
        data["mentions"] = mentioned
    if annotation_count is not None:
        data["commentCount"] = annotation_count
    return data


def _entity_ref(site: Site, e: Entity, base: str) -> dict:
    ref: dict[str, Any] = {"@type": ENTITY_SCHEMA_TYPES.get(e.type, "DefinedTerm"), "name": e.name}
    if base:
        ref["url"] = page_url(base, urls.entity_path(e.id))
    same = _same_as(e)
    if same:
        ref["sameAs"] = same
    return ref


def _same_as(e: Entity) -> list[str]:
    out = []
    if e.wikidata:
        out.append(f"https://www.wikidata.org/wiki/{e.wikidata}")
    if e.website:
        out.append(e.website)
    return out


def jsonld_entity(site: Site, entity: Entity, page_path: OutPath | None = None, *,
                  environ: dict | None = None) -> dict:
    """schema.org ``Person``, ``Organization`` (organisations, companies, government bodies)
    or ``DefinedTerm`` (models, places, concepts, policies, events) for a glossary page."""
    base = base_url(site, environ)
    page_path = page_path or urls.entity_path(entity.id)
    kind = ENTITY_SCHEMA_TYPES.get(entity.type, "DefinedTerm")
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": kind, "name": entity.name}
    if entity.aliases:
        data["alternateName"] = list(entity.aliases)
    data["description"] = entity.summary
    if base:
        data["url"] = page_url(base, page_path)
    same = _same_as(entity)
    if same:
        data["sameAs"] = same
    if kind == "DefinedTerm":
        data["termCode"] = entity.id
        term_set: dict[str, Any] = {"@type": "DefinedTermSet", "name": f"{site.title}: glossary"}
        if base:
            term_set["url"] = page_url(base, urls.GLOSSARY_INDEX)
        data["inDefinedTermSet"] = term_set
    return data


def jsonld_glossary(site: Site, *, environ: dict | None = None) -> dict:
    """schema.org ``DefinedTermSet`` for the glossary index."""
    base = base_url(site, environ)
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "DefinedTermSet",
                            "name": f"{site.title}: glossary"}
    if base:
        data["url"] = page_url(base, urls.GLOSSARY_INDEX)
    return data


def jsonld_claim_reviews(site: Site, doc: Document, annotations: Iterable[Annotation],
                         page_path: OutPath | None = None, *, quotes: dict[str, str] | None = None,
                         md: Markdown | None = None, environ: dict | None = None) -> list[dict]:
    """One schema.org ``ClaimReview`` per fact-check of ``doc``, its verdict as the ``reviewRating``.

    ``quotes``: annotation id -> the claim as it appears in the text (the
    anchored passage); by default the annotation's quote.
    """
    base = base_url(site, environ)
    page_path = page_path or urls.document_path(doc.slug)
    md = md or Markdown(allow_html=site.allow_raw_html)
    quotes = quotes or {}
    author = _publisher(site) or _org(site.title)
    src = doc.source
    appearance: dict[str, Any] = {"@type": "CreativeWork", "name": doc.title}
    if src.url:
        appearance["url"] = src.url
    if src.published:
        appearance["datePublished"] = src.published
    if src.publisher:
        appearance["publisher"] = _org(src.publisher)
    if src.author:
        appearance["author"] = {"@type": "Person", "name": src.author}
    out = []
    for a in annotations:
        if a.kind != "fact-check" or a.verdict not in VERDICT_RATINGS:
            continue
        review: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "ClaimReview",
            "claimReviewed": " ".join(quotes.get(a.id, a.quote.exact).split()),
            "reviewRating": {"@type": "Rating", "ratingValue": VERDICT_RATINGS[a.verdict], "bestRating": 5,
                             "worstRating": 1, "alternateName": VERDICT_LABELS[a.verdict]},
            "itemReviewed": {"@type": "Claim", "appearance": appearance},
            "author": author,
            "reviewBody": _plain(md, a.body),
        }
        if base:
            review["url"] = page_url(base, page_path, f"ann-{a.id}")
        if site.date:
            review["datePublished"] = site.date
        if site.language:
            review["inLanguage"] = site.language
        out.append(review)
    return out


# ------------------------------------------------------------ page meta

def page_meta(site: Site, page_path: OutPath, title: str, description: str = "", kind: str = "page", *,
              jsonld: Iterable[dict] = (), published: str = "", modified: str = "", tags: Iterable[str] = (),
              annotations: OutPath | None = None, environ: dict | None = None) -> dict:
    """Everything ``templates/_meta.html`` writes for one page, as plain (picklable) data.

    ``kind``: ``home``, ``document`` (OpenGraph ``article``), ``entity``,
    ``glossary``, ``annotations``, ``not-found`` (``noindex``, no canonical) or
    ``page``.  ``annotations``: the document's W3C collection, linked from the page.
    Hrefs in the result are relative to ``page_path`` (absolute on the 404 page when the base URL
    is known; ``base_url`` in the result tells the renderer to make the 404 page's own links absolute).
    """
    base = base_url(site, environ)
    canonical = page_url(base, page_path) if base and kind != "not-found" else ""
    desc = _clip(description or site.description or site.subtitle)

    def href(target: OutPath) -> str:
        # The 404 page is served at whatever address was missing: absolute links when they can be.
        if kind == "not-found" and base:
            return base + target.path
        return relative_url(page_path, target)

    # The social card (site_builder.cards): og:image must be absolute, so only with the address known.
    image = page_url(base, urls.card_path(page_path)) if base and kind != "not-found" else ""
    links = [{"rel": "stylesheet", "href": href(PRINT_CSS), "media": "print", "type": "", "title": ""}]
    if base:
        links.append({"rel": "alternate", "type": "application/atom+xml", "href": href(FEED),
                      "title": f"{site.title} (Atom feed)", "media": ""})
    if annotations is not None:
        links.append({"rel": "alternate", "type": webannotation.MEDIA_TYPE, "href": href(annotations),
                      "title": "Annotations (W3C Web Annotation, JSON-LD)", "media": ""})
    return {
        "kind": kind,
        "title": title if kind != "home" else site.title,
        "description": desc,
        "site_name": site.title,
        "og_type": "article" if kind == "document" else "website",
        "locale": (site.language or "en").replace("-", "_"),
        "url": canonical,
        "canonical": canonical,
        "base_url": base,
        "robots": "noindex" if kind == "not-found" else "",
        "twitter_card": "summary_large_image" if image else "summary",
        "image": image,
        "image_width": CARD_WIDTH,
        "image_height": CARD_HEIGHT,
        "image_alt": site.title if kind == "home" else f"{title} · {site.title}",
        "published": published,
        "modified": modified,
        "tags": list(tags),
        "links": links,
        "annotations_href": href(annotations) if annotations is not None else "",
        "annotations_type": webannotation.MEDIA_TYPE if annotations is not None else "",
        "jsonld": list(jsonld),
    }


class MetaBuilder:
    """``page_meta`` for every page of a build, from the content: ``MetaBuilder(content, analyses).for_page(path, title)``.

    Dispatches on the page's path: the home page, a document, a glossary
    entry, the glossary and annotation indexes, the 404 page, anything else.
    """

    def __init__(self, content: Content, analyses: list, refs=None, *, environ: dict | None = None):
        self.content = content
        self.site = content.site
        self.environ = environ
        self._analyses = analyses
        self._md: Markdown | None = None  # made when a page needs it (most rebuilds render one page or none)

    # Each lookup is made when a page first needs it (an edit in the live server renders one page or none).

    @functools.cached_property
    def analyses(self) -> dict:
        return {an.doc.slug: an for an in self._analyses}

    @functools.cached_property
    def entities(self) -> dict[str, Entity]:
        return {e.id: e for e in self.content.entities}

    @functools.cached_property
    def docs_by_path(self) -> dict[OutPath, Document]:
        return {urls.document_path(d.slug): d for d in self.content.documents}

    @functools.cached_property
    def entities_by_path(self) -> dict[OutPath, Entity]:
        return {urls.entity_path(e.id): e for e in self.content.entities}

    @property
    def md(self) -> Markdown:
        if self._md is None:
            self._md = Markdown(allow_html=self.site.allow_raw_html)
        return self._md

    def for_page(self, path: OutPath, title: str) -> dict:
        site, env = self.site, self.environ
        if path == urls.HOME:
            return page_meta(site, path, site.title, site.description or self.content.overview.summary, "home",
                             jsonld=[jsonld_website(site, environ=env)], modified=site.date, environ=env)
        if path == urls.NOT_FOUND:
            return page_meta(site, path, title, site.description, "not-found", environ=env)
        doc = self.docs_by_path.get(path)
        if doc is not None:
            an = self.analyses.get(doc.slug)
            entities, quotes, anns, count = [], {}, [], None
            if an is not None:
                seen = []
                for m in an.mentions:
                    if m.entity not in seen and m.entity in self.entities:
                        seen.append(m.entity)
                entities = [self.entities[e] for e in seen]
                spans = {m.id: (m.start, m.end) for m in an.marks}
                quotes = {aid: an.text[s:e] for aid, (s, e) in spans.items()}
                anns = an.annotations
                count = len(an.annotations)
            jsonld = [jsonld_document(site, doc, path, entities=entities, annotation_count=count, environ=env)]
            jsonld += jsonld_claim_reviews(site, doc, anns, path, quotes=quotes, md=self.md, environ=env)
            description = doc.summary or (an.text if an is not None else "")
            return page_meta(site, path, doc.title, description, "document", jsonld=jsonld, published=doc.date,
                             modified=site.date, tags=doc.tags,
                             annotations=webannotation.collection_path(doc.slug), environ=env)
        entity = self.entities_by_path.get(path)
        if entity is not None:
            return page_meta(site, path, entity.name, entity.summary, "entity",
                             jsonld=[jsonld_entity(site, entity, path, environ=env)], environ=env)
        if path == urls.GLOSSARY_INDEX:
            return page_meta(site, path, title, f"Glossary of {site.title}: people, organisations, models and "
                             "concepts named in the briefing.", "glossary",
                             jsonld=[jsonld_glossary(site, environ=env)], environ=env)
        if path == urls.ANNOTATIONS_INDEX:
            return page_meta(site, path, title, f"The annotations of {site.title}, counted by kind, verdict and "
                             "document.", "annotations", environ=env)
        if urls.index_page_number(path):  # a further page of the home page's documents or the annotation index
            what = "annotations by document" if path.startswith("annotations/") else "documents"
            return page_meta(site, path, title, f"The {what} of {site.title}, newest first: "
                             f"page {urls.index_page_number(path)}.", "annotations" if what != "documents"
                             else "page", environ=env)
        if path.startswith("annotations/documents/"):
            return page_meta(site, path, title, f"Every annotation of one document of {site.title}, by kind, with "
                             "the fact-checks and their verdicts.", "annotations", environ=env)
        return page_meta(site, path, title, site.description, "page", environ=env)


# ------------------------------------------------------- 404 and links

def not_found_url(site: Site, target: OutPath, fragment: str = "", *, environ: dict | None = None) -> str:
    """The URL the 404 page should use for ``target``: absolute under the base URL when known
    (GitHub Pages serves 404.html at whatever depth was requested), else relative to the site root."""
    base = base_url(site, environ)
    if base:
        return base + target.path + (f"#{fragment}" if fragment else "")
    return relative_url(urls.NOT_FOUND, target, fragment)
