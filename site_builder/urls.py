"""Output paths and the URLs between them.

Three kinds of path never mix: a source path (``content/glossary/cpc.yml``,
relative to the project root, used in diagnostics), an :class:`OutPath` (where a
file lands in the output, always a file, never a folder) and a URL, which is
only ever computed *from one page to another* by :func:`relative_url`, so the
same output works at a domain root, under a project path and from file://.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote


class OutPath(str):
    """A file's path inside the output folder, POSIX style, e.g. ``glossary/cpc.html``.

    A ``str`` subclass (cheap to hash, sort and pickle) that can only be made
    from a valid output file path.
    """

    __slots__ = ()

    def __new__(cls, path: str) -> "OutPath":
        if not path or path.startswith("/") or path.endswith("/") or ".." in path.split("/") or "\\" in path:
            raise ValueError(f"not an output file path: {path!r}")
        return super().__new__(cls, path)

    @property
    def path(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"OutPath({str.__repr__(self)})"

    def __reduce__(self):
        return (OutPath, (str(self),))


HOME = OutPath("index.html")
GLOSSARY_INDEX = OutPath("glossary/index.html")
ANNOTATIONS_INDEX = OutPath("annotations/index.html")  # the overview: counts per document
NOT_FOUND = OutPath("404.html")
STYLESHEET = OutPath("assets/style.css")
PYGMENTS_CSS = OutPath("assets/pygments.css")
GRAPH = OutPath("graph.html")
SEARCH = OutPath("search.html")  # the search results page (search.html?q=...)
REPORT = OutPath("report.html")  # the editorial report, with report_page: true
# Reader assets (site_builder.search.site_files): scripts, never fetched, so they work from file://.
THEME_JS = OutPath("assets/theme.js")
READER_JS = OutPath("assets/reader.js")
SEARCH_JS = OutPath("assets/search.js")
SEARCH_INDEX_JS = OutPath("assets/search-index.js")  # the manifest of the sharded index (site_builder.searchshards)
SEARCH_SHARDS_DIR = "assets/search/"  # its shards, loaded on demand: assets/search/<name>.js
ENTITIES_JS = OutPath("assets/entities.js")
# Publishing files (site_builder.publish.site_files).
NOJEKYLL = OutPath(".nojekyll")
ROBOTS = OutPath("robots.txt")
CNAME = OutPath("CNAME")
SITEMAP = OutPath("sitemap.xml")
FEED = OutPath("feed.xml")
PRINT_CSS = OutPath("assets/print.css")


@lru_cache(maxsize=None)
def document_path(slug: str) -> OutPath:
    return OutPath(f"documents/{slug}.html")


@lru_cache(maxsize=None)
def entity_path(entity_id: str) -> OutPath:
    return OutPath(f"glossary/{entity_id}.html")


def entity_page_path(entity_id: str, number: int) -> OutPath:
    """Page ``number`` of an entity's mentions and annotations: the entity page itself, then
    ``glossary/<id>/2.html`` and on (see labels.DOCUMENTS_PER_ENTITY_PAGE)."""
    return entity_path(entity_id) if number <= 1 else OutPath(f"glossary/{entity_id}/{number}.html")


def home_page_path(number: int) -> OutPath:
    """Page ``number`` of the home page's list of documents: the home page, then ``page/2.html`` and on
    (see labels.DOCUMENTS_PER_INDEX_PAGE)."""
    return HOME if number <= 1 else OutPath(f"page/{number}.html")


def annotations_index_path(number: int) -> OutPath:
    """Page ``number`` of the annotation index: ``annotations/index.html``, then ``annotations/page/2.html`` and on."""
    return ANNOTATIONS_INDEX if number <= 1 else OutPath(f"annotations/page/{number}.html")


@lru_cache(maxsize=1 << 16)  # asked for every page on every build (social cards, publishing)
def index_page_number(page: OutPath) -> int:
    """The number of a further page of the home page or the annotation index (``page/3.html``: 3), else 0."""
    p = page.path
    if p.startswith("annotations/"):
        p = p[len("annotations/"):]
    head, sep, tail = p.partition("/")
    if head != "page" or not sep or not tail.endswith(".html") or not tail[:-5].isdigit() or "/" in tail:
        return 0
    return int(tail[:-5])


@lru_cache(maxsize=None)
def annotations_path(slug: str) -> OutPath:
    """The annotation index page of one document."""
    return OutPath(f"annotations/documents/{slug}.html")


@lru_cache(maxsize=1 << 16)  # asked for every page on every build (social cards, publishing)
def entity_of_further_page(page: OutPath) -> str | None:
    """The entity whose further page (``glossary/<id>/2.html`` ...) ``page`` is, else None."""
    head, sep, tail = page.path.partition("/")
    if head != "glossary" or not sep:
        return None
    eid, sep, number = tail.partition("/")
    return eid if sep and number.endswith(".html") and number[:-5].isdigit() else None


@lru_cache(maxsize=1 << 16)  # asked for every page on every build (social cards, publishing)
def card_path(page: OutPath) -> OutPath:
    """The social card (og:image) of ``page``: ``documents/x.html`` -> ``cards/documents/x.png``.
    An entity's further pages share the card of its page, the further pages of the home page's
    documents and of the annotation index that of their first page."""
    eid = entity_of_further_page(page)
    if eid is not None:
        p = entity_path(eid).path
    elif index_page_number(page):
        p = ANNOTATIONS_INDEX.path if page.startswith("annotations/") else HOME.path
    else:
        p = page.path
    return OutPath("cards/" + (p[:-5] if p.endswith(".html") else p) + ".png")


def relative_url(from_page: OutPath, to: OutPath, fragment: str = "") -> str:
    """The relative URL of ``to`` as seen from ``from_page``; ``#fragment`` appended."""
    if to == from_page and fragment:
        return f"#{fragment}"
    # Only the page's folder matters, so pages of one folder share the cached answers.
    rel = _relative(from_page.rpartition("/")[0], to)
    return f"{rel}#{fragment}" if fragment else rel


@lru_cache(maxsize=1 << 16)
def _relative(from_dir: str, to_path: str) -> str:
    # Both are output paths (no '..', no leading '/'), so the relative
    # path is: up out of the folders not shared, then down to the target.
    here = from_dir.split("/") if from_dir else []
    there = to_path.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    rel = "../" * (len(here) - common) + "/".join(there[common:])
    return _quote(rel)


@lru_cache(maxsize=1 << 12)
def _quote(rel: str) -> str:
    return quote(rel, safe="/-._~")


def absolute_url(base_url: str, to: OutPath) -> str:
    """Absolute URL of ``to`` under the site's ``base_url`` (for canonical links and feeds)."""
    return base_url.rstrip("/") + "/" + to.path
