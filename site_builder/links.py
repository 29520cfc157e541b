"""Hand-written links between pages: every one must reach a page, and an id on it, that the build makes.

Authors write relative links in Markdown (document bodies, annotation bodies,
the overview and its takeaways, entity descriptions).  A link to a page the
build does not make (``gone.html``), or to an id that page does not have
(``other.html#no-such-id``, ``#no-such-id``), is a ``link-broken`` error with
the file, line and column of the link.  ``warn: [link-broken]`` in site.yml
makes it a warning.

The known targets are computed from the content, without rendering, so
``check`` reports the same as ``build`` and ``serve``:

* the pages: home, the indexes, the graph, the 404 page, one page per
  document and entity, the further pages of the home page's documents and of
  the annotation index (``page/2.html``, ``annotations/page/2.html`` ...), the
  further pages of an entity named in many documents (``glossary/<id>/2.html``
  ..., counted only when a link names one), the assets, the publishing files;
* the ids on them: every ``id`` attribute in a document's rendered body and
  notes (highlights ``hl-``, reference numbers ``ref-``, mentions ``m-``,
  footnotes, and whatever the Markdown renderer adds), the notes ``ann-<id>``,
  and the ids the templates write (literal ones, and ``prefix-{{ key }}`` ones
  as a prefix).

Links with a scheme (``https:``, ``mailto:``) or starting with ``//`` go
elsewhere and are not checked here (unsafe schemes are ``unsafe-url``).
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Mapping
from typing import Iterable, NamedTuple
from urllib.parse import unquote

from . import labels, urls
from .diagnostics import Diagnostics, Pos, did_you_mean
from .markdown import LinkRef, Markdown
from .model import Content
from .urls import OutPath

CODE = "link-broken"
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_ID_RE = re.compile(r"""\sid=(?:"([^"]*)"|'([^']*)')""")
_TEMPLATE_ID_RE = re.compile(r"""\sid="([^"{]*)(\{\{[^"]*)?\"""")

# Which pages each default template renders; any other template (base.html,
# partials, a project's own) may appear on every page.
_TEMPLATE_PAGES = {
    "document.html": "document", "entity.html": "entity", "index.html": "home", "glossary.html": "glossary",
    "annotations.html": "annotations", "annotations_document.html": "annotations-document", "graph.html": "graph", "404.html": "404", "search.html": "search",
    "report.html": "report",
}
# Ids the builder writes exactly, one per annotation or mention: on a document
# page they are known one by one, so a template's ``ann-{{ ... }}`` pattern does
# not stand in for them there.
_EXACT_PREFIXES = ("ann-", "hl-", "ref-", "m-")
# Ids written by Python code rather than a template (the graph's SVG title).
_CODE_IDS = {"graph": frozenset({"entity-graph-title-wide", "entity-graph-title-narrow"})}


class HandLink(NamedTuple):
    """A link an author wrote, the page it is shown on (relative links resolve from there) and where it is."""

    url: str
    page: OutPath
    pos: Pos


class PageIds(NamedTuple):
    exact: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def has(self, fragment: str) -> bool:
        return fragment in self.exact or any(fragment.startswith(p) and len(fragment) > len(p) for p in self.prefixes)


class TemplateIds(NamedTuple):
    """Ids written by the templates, by the kind of page they appear on ('' = every page)."""

    exact: dict[str, frozenset[str]]
    prefixes: dict[str, tuple[str, ...]]


def template_ids(sources: Iterable[tuple[str, str]]) -> TemplateIds:
    """The ids the templates write: (name, template source) pairs in, ids by page kind out."""
    exact: dict[str, set[str]] = {}
    prefixes: dict[str, set[str]] = {}
    for name, source in sources:
        if not name.endswith(".html"):
            continue
        kind = _TEMPLATE_PAGES.get(name, "")
        for m in _TEMPLATE_ID_RE.finditer(source):
            literal, dynamic = m.group(1), m.group(2)
            if dynamic:
                if literal:
                    prefixes.setdefault(kind, set()).add(literal)
            elif literal:
                exact.setdefault(kind, set()).add(literal)
    return TemplateIds({k: frozenset(v) for k, v in exact.items()},
                       {k: tuple(sorted(v)) for k, v in prefixes.items()})


def html_ids(html: str) -> set[str]:
    return {a if a is not None and a != "" else b for a, b in _ID_RE.findall(html)}


# The pages with a fixed address, by the kind of page the templates write ids for.
_PAGE_KINDS = {
    urls.HOME: "home", urls.GLOSSARY_INDEX: "glossary", urls.ANNOTATIONS_INDEX: "annotations",
    urls.GRAPH: "graph", urls.NOT_FOUND: "404", urls.SEARCH: "search", urls.REPORT: "report",
}


def _kind(path: OutPath) -> str:
    if path in _PAGE_KINDS:
        return _PAGE_KINDS[path]
    if urls.index_page_number(path):  # a further page of the home page's documents or of the annotation index
        return "annotations" if path.startswith("annotations/") else "home"
    if path.startswith("documents/"):
        return "document"
    if path.startswith("glossary/"):
        return "entity"
    if path.startswith("annotations/documents/"):
        return "annotations-document"
    return ""


def document_ids(an) -> frozenset[str]:
    """The ids on a document page that come from its analysis: the rendered text and the notes."""
    ids: set[str] = set()
    for block in an.blocks:
        ids |= html_ids(block.html)
    for a in an.annotations:
        ids.add(f"ann-{a.id}")
        ids.add(f"ann-{a.id}-full")  # the full note inside its card (the sidenote macro)
        ids |= html_ids(an.note_html.get(a.id, ""))
    return frozenset(ids)


class Targets(Mapping):
    """Every file the build makes -> for an HTML page, the ids on it (None: not an HTML page).

    The ids of a page are worked out when a link first asks for them, so a
    build pays only for the pages that hand-written links reach.
    """

    def __init__(self, paths: dict[OutPath, str | None], templates: TemplateIds, analyses: dict[OutPath, object],
                 memo: dict | None, entities: frozenset[str] = frozenset()):
        self._paths = paths  # path -> page kind ('' for a page of no particular kind), None: not a page
        self._templates = templates
        self._analyses = analyses
        self._memo = memo
        self._ids: dict[OutPath, PageIds] = {}
        self._entities = entities
        self._entity_pages: dict[str, int] | None = None  # entity -> its pages, counted when a link asks
        self._further: set[OutPath] = set()  # entities' further pages that links asked for (see refresh)

    def __contains__(self, path: object) -> bool:
        if path in self._paths:
            return True
        if not isinstance(path, str) or not path.startswith("glossary/") or "\\" in path:
            return False
        eid = urls.entity_of_further_page(OutPath(path))
        if eid is None or eid not in self._entities:
            return False
        number = int(path.rpartition("/")[2][:-5])
        if number < 2 or number > self.entity_pages(eid) or path != urls.entity_page_path(eid, number):
            return False
        self._paths[OutPath(path)] = "entity"
        self._further.add(OutPath(path))
        return True

    def entity_pages(self, eid: str) -> int:
        """How many pages entity ``eid`` has: one per DOCUMENTS_PER_ENTITY_PAGE documents that mention
        or annotate it (as ``pageviews`` plans them), at least one."""
        if self._entity_pages is None:
            documents: dict[str, int] = {}
            for an in self._analyses.values():
                touching = {m.entity for m in an.mentions}
                touching.update(e for a in an.annotations for e in a.entities)
                for e in touching:
                    documents[e] = documents.get(e, 0) + 1
            per = labels.DOCUMENTS_PER_ENTITY_PAGE
            self._entity_pages = {e: labels.page_count(n, per) for e, n in documents.items()}
        return self._entity_pages.get(eid, 1)

    def __iter__(self):
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, path: OutPath) -> PageIds | None:
        kind = self._paths[path]
        if kind is None:
            return None
        hit = self._ids.get(path)
        if hit is None:
            hit = self._ids[path] = self._page_ids(path, kind)
        return hit

    def _page_ids(self, path: OutPath, kind: str) -> PageIds:
        t = self._templates
        exact = set(t.exact.get("", frozenset())) | t.exact.get(kind, frozenset()) | _CODE_IDS.get(kind, frozenset())
        prefixes = t.prefixes.get("", ()) + t.prefixes.get(kind, ())
        an = self._analyses.get(path)
        if an is not None:
            exact |= self._document_ids(an)
            prefixes = tuple(p for p in prefixes if p not in _EXACT_PREFIXES)
        return PageIds(frozenset(exact), tuple(dict.fromkeys(prefixes)))

    def _document_ids(self, an) -> frozenset[str]:
        if self._memo is None:
            return document_ids(an)
        hit = self._memo.get(an.doc.slug)
        if hit is not None and hit[0] is an:
            return hit[1]
        ids = document_ids(an)
        self._memo[an.doc.slug] = (an, ids)
        return ids

    def refresh(self, analyses) -> None:
        """Take new analyses of documents the site already has (the live server's edit), in place:
        whether each has an annotations page, and its pages' ids, worked out again when asked."""
        for an in analyses:
            page, notes = urls.document_path(an.doc.slug), urls.annotations_path(an.doc.slug)
            self._analyses[page] = an
            if an.annotations or an.orphans:
                self._paths[notes] = "annotations-document"
            else:
                self._paths.pop(notes, None)
            self._ids.pop(page, None)
            self._ids.pop(notes, None)
        # An edit may change how many documents name an entity, so its further pages are counted again.
        self._entity_pages = None
        for path in self._further:
            self._paths.pop(path, None)
        self._further.clear()


def site_targets(content: Content, analyses, templates: TemplateIds, files: Iterable[OutPath] = (),
                 memo: dict | None = None) -> Targets:
    """Every file the build makes, and the ids on each page (see :class:`Targets`).

    ``files``: the other files of the build (publishing files, annotation
    exports) besides the pages and the reader assets.  ``memo`` (kept by a
    long-lived process) holds each document's ids with the analysis they were
    read from, so an unchanged document is not scanned again.
    """
    paths: dict[OutPath, str | None] = {}
    for page, kind in _PAGE_KINDS.items():
        if page != urls.REPORT or content.site.report_page:
            paths[page] = kind
    for e in content.entities:
        paths[urls.entity_path(e.id)] = "entity"
    for d in content.documents:
        paths[urls.document_path(d.slug)] = "document"
    for number in range(2, labels.page_count(len(analyses), labels.DOCUMENTS_PER_INDEX_PAGE) + 1):
        paths[urls.home_page_path(number)] = "home"
        paths[urls.annotations_index_path(number)] = "annotations"
    for an in analyses:
        if an.annotations or an.orphans:
            paths[urls.annotations_path(an.doc.slug)] = "annotations-document"
    by_page = {urls.document_path(an.doc.slug): an for an in analyses}
    if memo is not None:
        for slug in set(memo) - {d.slug for d in content.documents}:
            del memo[slug]
    for path in (urls.STYLESHEET, urls.PYGMENTS_CSS, urls.PRINT_CSS, urls.THEME_JS, urls.READER_JS, urls.SEARCH_JS,
                 urls.SEARCH_INDEX_JS, urls.ENTITIES_JS, *files):
        paths.setdefault(path, None)
    return Targets(paths, templates, by_page, memo, frozenset(e.id for e in content.entities))


def collect(md: Markdown, source: str, first: Pos, page: OutPath) -> list[HandLink]:
    """The links in a piece of Markdown that starts at ``first`` and is shown on ``page``."""
    return place(md.links(source), first, page)


def place(refs: Iterable[LinkRef], first: Pos, page: OutPath) -> list[HandLink]:
    """Source positions for links found in Markdown that starts at ``first``.

    Every line of the text is taken to start at ``first``'s column: the first
    line of a file's body (column 1), and every line of a YAML block scalar,
    whose lines share their indentation.
    """
    out = []
    for r in refs:
        col = first.col + r.col - 1
        out.append(HandLink(r.url, page, Pos(first.path, first.line + r.line - 1, col)))
    return out


def content_links(content: Content, md: Markdown, memo: dict | None = None) -> list[HandLink]:
    """The hand-written links of the overview, its takeaways and the entity descriptions.

    (Document and annotation bodies are parsed per document, and their links
    come with the analysis.)  ``memo`` keeps them between builds by source.
    """
    memo = memo if memo is not None else {}
    fresh: dict = {}

    def get(source: str, first: Pos, page: OutPath) -> list[HandLink]:
        key = (source, first, page)
        hit = memo.get(key)
        if hit is None:
            hit = collect(md, source, first, page)
        fresh[key] = hit
        return hit

    out = list(get(content.overview.body, content.overview.body_pos, urls.HOME))
    where = content.overview.takeaway_pos
    for i, t in enumerate(content.overview.takeaways):
        out.extend(get(t, where[i] if i < len(where) else Pos("content/index.md", 1, 1), urls.HOME))
    for e in content.entities:
        if e.description:
            out.extend(get(e.description, e.description_pos, urls.entity_path(e.id)))
    memo.clear()
    memo.update(fresh)
    return out


def resolve(page: OutPath, url: str) -> tuple[str, str] | str | None:
    """(target path, fragment) of a relative link on ``page``; None for a link elsewhere;
    a message when the link cannot reach a page of the site."""
    url = url.strip()
    if not url or _SCHEME_RE.match(url) or url.startswith("//"):
        return None
    path, _, fragment = url.partition("#")
    path = path.partition("?")[0]
    path = unquote(path)
    fragment = unquote(fragment)
    if path.startswith("/"):
        return ("starts with '/', the root of the web server: the site may be published under a sub-path "
                "or opened from disk, so write the link relative to this page")
    if not path:
        return page.path, fragment
    folder = posixpath.dirname(page.path)
    joined = posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)
    if joined == ".." or joined.startswith("../"):
        return "goes above the site's top folder"
    if path.endswith("/") or joined == ".":
        joined = "index.html" if joined == "." else joined + "/index.html"
    return joined, fragment


def check(hand: Iterable[HandLink], targets: Mapping[OutPath, PageIds | None], diags: Diagnostics) -> None:
    """Report every hand-written link that reaches no page, or no id on its page, of the site."""
    for link in hand:
        where = resolve(link.page, link.url)
        if where is None:
            continue
        if isinstance(where, str):
            diags.error(CODE, link.pos, f"link '{link.url}' {where}")
            continue
        path, fragment = where
        target = OutPath(path) if path in targets else None
        if target is None:
            close = difflib.get_close_matches(path, sorted(p for p in targets if p.endswith(".html")), n=1, cutoff=0.6)
            suggestion = f" (did you mean '{urls.relative_url(link.page, close[0], fragment)}'?)" if close else ""
            diags.error(CODE, link.pos, f"link '{link.url}' goes to {path}, which the site does not have{suggestion}")
            continue
        ids = targets[target]
        if fragment and ids is not None and not ids.has(fragment):
            hint = did_you_mean(fragment, ids.exact)
            diags.error(CODE, link.pos, f"link '{link.url}': {path} has no element with the id '{fragment}'{hint}")
