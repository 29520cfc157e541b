"""Exports for sharing: one self-contained HTML file, or the whole site as a zip.

Both work on the in-memory output of a build (``{OutPath: bytes}``), so they
need no output folder and nothing on disk.

:func:`single_file` stacks the pages that make up the briefing (the overview,
every document with its annotations, the glossary index, every glossary entry,
the annotation index) into one HTML document:

* each page's ``<main>`` content becomes a ``<section id="<page key>">``;
* every element id is prefixed with its page key (``doc-<slug>__ann-<id>``), so
  ids stay unique, and every link between pages becomes an in-file anchor
  (``../glossary/cpc.html`` -> ``#entity-cpc``,
  ``../documents/x.html#m-cpc-2`` -> ``#doc-x__m-cpc-2``);
* each stylesheet and script the pages use is inlined once (stylesheets in
  their order of first use, ``media="print"`` ones inside ``@media print``;
  blocking scripts in the head, deferred ones at the end of the body); CSS
  ``url()``s and ``<img>``s that point into the site become ``data:`` URIs;
* links to files that are not pages (the annotation JSON-LD, the feed) become
  absolute links when a base URL is given, plain text otherwise;
* the site's header (navigation, search box, theme button) comes once, from the
  overview; ``data-*`` attributes that point into the site are mapped like
  links, and scripts they point to (the search index) are inlined, with every
  shard of the search index, so search loads nothing;
* with JavaScript, :mod:`site_builder.single_file_runtime` shows one page at a
  time with the site's own ids (``briefing.html?p=doc-<slug>#ann-<id>``), so the
  reader scripts (popovers, note cards, search, theme) work as on the site.

:func:`zip_site` packs every file under one top-level folder, with a short
README, deterministic timestamps (``SOURCE_DATE_EPOCH`` when set) and sorted
entries, so the archive works when unpacked anywhere and opened from disk.
"""

from __future__ import annotations

import base64
import html
import io
import mimetypes
import posixpath
import re
import time
import zipfile
from html.parser import HTMLParser
from typing import Iterable
from urllib.parse import unquote, urlsplit

from . import urls
from .epoch import source_date_epoch
from .single_file_runtime import runtime_script
from .urls import OutPath

SEP = "__"  # page key / element id separator; ids in the site never contain "_"
ID_LIST_ATTRS = ("for", "aria-labelledby", "aria-describedby", "aria-controls", "aria-owns", "headers", "list",
                 "form", "aria-activedescendant", "aria-details", "aria-errormessage", "aria-flowto")
LINK_ONLY_ATTRS = ("type", "rel", "hreflang", "download", "target", "ping", "referrerpolicy")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
_ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


# ----------------------------------------------------------- page model

def page_key(path: OutPath) -> str:
    """The anchor of a page in the single file: overview, doc-<slug>, glossary, entity-<id>, annotations,
    annotations-<slug> (a document's annotations)."""
    p = path.path
    if p == urls.HOME.path:
        return "overview"
    if p == urls.GLOSSARY_INDEX.path:
        return "glossary"
    if p == urls.ANNOTATIONS_INDEX.path:
        return "annotations"
    if p == urls.GRAPH.path:
        return "graph"
    if p == urls.SEARCH.path:
        return "search"
    if p.startswith("documents/") and p.endswith(".html") and p.count("/") == 1:
        return "doc-" + p[len("documents/"):-5]
    if p.startswith("glossary/") and p.endswith(".html") and p.count("/") == 1:
        return "entity-" + p[len("glossary/"):-5]
    if p.startswith("annotations/documents/") and p.endswith(".html") and p.count("/") == 2:
        return "annotations-" + p[len("annotations/documents/"):-5]
    return "page-" + re.sub(r"[^A-Za-z0-9-]+", "-", p[:-5] if p.endswith(".html") else p)


def bundle_pages(files: dict[OutPath, bytes]) -> list[OutPath]:
    """The pages of the single file, in reading order.

    The overview; the documents in the order the overview links them; the
    glossary index; the entries in the order the index links them; the
    annotation index and each document's annotation page; the entity graph and
    the search page.  Any document or
    entry not linked comes after its group.
    """
    def linked(from_page: OutPath, folder: str) -> list[OutPath]:
        if from_page not in files:
            return []
        seen: list[OutPath] = []
        for href in re.findall(r'href="([^"#]+)', files[from_page].decode("utf-8", "replace")):
            target = _resolve(from_page, html.unescape(href))
            if target is not None and target.path.startswith(folder) and target in files and target not in seen \
                    and target.path.count("/") == 1 and target.path.endswith(".html") and target != urls.GLOSSARY_INDEX \
                    and target != urls.ANNOTATIONS_INDEX:
                seen.append(target)
        return seen

    docs = linked(urls.HOME, "documents/")
    docs += sorted(p for p in files if p.path.startswith("documents/") and p.path.endswith(".html")
                   and p.path.count("/") == 1 and p not in docs)
    entities = linked(urls.GLOSSARY_INDEX, "glossary/")
    entities += sorted(p for p in files if p.path.startswith("glossary/") and p.path.endswith(".html")
                       and p.path.count("/") == 1 and p != urls.GLOSSARY_INDEX and p not in entities)
    notes = [urls.annotations_path(p.path[len("documents/"):-5]) for p in docs]  # in the documents' order
    order = [urls.HOME, *docs, urls.GLOSSARY_INDEX, *entities, urls.ANNOTATIONS_INDEX, *notes, urls.GRAPH, urls.SEARCH]
    return [p for p in order if p in files]


def _resolve(from_page: OutPath, ref: str) -> OutPath | None:
    """The output file a relative reference from ``from_page`` points to (no fragment), or None."""
    if not ref or _ABSOLUTE.match(ref) or ref.startswith("/"):
        return None
    path = unquote(urlsplit(ref).path)
    if not path:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(from_page.path), path))
    if joined.startswith("../") or joined == ".." or joined == ".":
        return None
    try:
        return OutPath(joined)
    except ValueError:
        return None


# ---------------------------------------------------------------- parsing

class _Page(HTMLParser):
    """Reads one page: its title, language and body class, the assets its head uses, its <main>
    content rewritten, and (with ``want_header``) its site header rewritten."""

    def __init__(self, path: OutPath, rewrite, want_header: bool = False):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.rewrite = rewrite  # (page, tag, attrs, prefix_ids) -> attrs
        self.want_header = want_header
        self.header: list[str] = []
        self._hdepth = 0  # inside <header class="site-header"> (nesting depth)
        self.body_class = ""
        self.title = ""
        self.lang = ""
        self.assets: list[tuple[str, OutPath | None, dict, str]] = []  # (kind, path, attrs, inline text)
        self.main: list[str] = []
        self._depth = 0  # inside <main> (nesting depth)
        self._in_title = False
        self._in_head = False
        self._cdata: str | None = None  # "script"/"style" while inside one
        self._script: dict | None = None
        self._script_text: list[str] = []

    # -- helpers
    def _emit_start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        in_header = bool(self._hdepth)
        attrs = self.rewrite(self.path, tag, attrs, not in_header)
        parts = [tag]
        for k, v in attrs:
            parts.append(k if v is None else f'{k}="{html.escape(v, quote=True)}"')
        (self.header if in_header else self.main).append(
            "<" + " ".join(parts) + (" /" if closed and tag not in VOID else "") + ">")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        if tag == "body":
            self.body_class = a.get("class") or ""
        if self._hdepth:
            if tag == "header":
                self._hdepth += 1
            self._emit_start(tag, attrs, False)
            return
        if (tag == "header" and self.want_header and not self.header and not self._depth
                and "site-header" in (a.get("class") or "").split()):
            self._hdepth = 1
            self._emit_start(tag, attrs, False)
            return
        if tag == "head":
            self._in_head = True
        if tag in ("script", "style"):
            self._cdata = tag
        if self._depth:
            if tag == "main":
                self._depth += 1
            if tag == "script":
                self._script = a
                self._script_text = []
                return
            self._emit_start(tag, attrs, False)
            return
        if tag == "main":
            self._depth = 1
            return
        if tag == "title":
            self._in_title = True
        elif tag == "link" and "stylesheet" in (a.get("rel") or "").split():
            self.assets.append(("css", _resolve(self.path, a.get("href") or ""), a, ""))
        elif tag == "script":
            self._script = a
            self._script_text = []

    def handle_startendtag(self, tag, attrs):
        if self._depth or self._hdepth:
            self._emit_start(tag, attrs, True)
        else:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self._hdepth:
            if tag == "header":
                self._hdepth -= 1
            if tag not in VOID:
                self.header.append(f"</{tag}>")
            return
        if tag in ("script", "style"):
            self._cdata = None
        if tag == "head":
            self._in_head = False
        if tag == "title":
            self._in_title = False
        if tag == "script" and self._script is not None:
            a, text = self._script, "".join(self._script_text)
            self._script = None
            src = a.get("src")
            kind = "json" if (a.get("type") or "").startswith("application/") and "json" in (a.get("type") or "") else "js"
            if kind == "js":
                where = "head" if self._in_head and "defer" not in a and "async" not in a and not self._depth else "end"
                self.assets.append((f"js-{where}", _resolve(self.path, src) if src else None, a, text))
            return
        if self._depth:
            if tag == "main":
                self._depth -= 1
                if not self._depth:
                    return
            if tag not in VOID:
                self.main.append(f"</{tag}>")

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)
            return
        if self._in_title:
            self.title += data
        if self._hdepth:
            self.header.append(html.escape(data, quote=False))
        if self._depth:
            self.main.append(data if self._cdata else html.escape(data, quote=False))

    def handle_comment(self, data):
        pass  # comments are left out

    def handle_decl(self, decl):
        pass


# ----------------------------------------------------------- single file

def _data_uri(path: OutPath, data: bytes) -> str:
    mime = mimetypes.guess_type(path.path)[0] or "application/octet-stream"
    if mime.startswith("text/") or mime in ("image/svg+xml",):
        mime += ";charset=utf-8"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _inline_css(path: OutPath | None, text: str, files: dict[OutPath, bytes]) -> str:
    def url(m):
        ref = m.group(2).strip()
        if ref.startswith(("data:", "#")) or _ABSOLUTE.match(ref) or path is None:
            return m.group(0)
        target = _resolve(path, ref)
        if target is None or target not in files:
            return m.group(0)
        return f'url("{_data_uri(target, files[target])}")'
    text = re.sub(r"@charset\s+[^;]+;", "", text)
    return _CSS_URL.sub(url, text).replace("</style", "<\\/style")


def single_file(files: dict[OutPath, bytes], *, title: str | None = None, base_url: str = "",
                pages: Iterable[OutPath] | None = None) -> bytes:
    """The briefing as one self-contained HTML document (see the module docstring).

    ``files``: a build's output.  ``base_url``: where the site is published;
    links to files that are not in the bundle become absolute links there
    (without it they become plain text).  ``pages``: the pages to include, in
    order (default: :func:`bundle_pages`).
    """
    order = list(pages) if pages is not None else bundle_pages(files)
    keys = {p: page_key(p) for p in order}
    base = base_url.rstrip("/") + "/" if base_url else ""

    def map_id(page: OutPath, value: str) -> str:
        return f"{keys[page]}{SEP}{value}"

    def map_href(page: OutPath, ref: str) -> str | None:
        if not ref or _ABSOLUTE.match(ref):
            return ref
        if ref.startswith("#"):
            return "#" + (map_id(page, unquote(ref[1:])) if len(ref) > 1 else keys[page])
        target = _resolve(page, ref)
        frag = unquote(urlsplit(ref).fragment)
        if target is not None and target in keys:
            return "#" + (map_id(target, frag) if frag else keys[target])
        if target is not None and base:
            return base + target.path + (f"#{frag}" if frag else "")
        return None  # nowhere to go inside the file

    data_scripts: list[OutPath] = []  # scripts that data-* attributes point to (the search index)

    def rewrite(page: OutPath, tag: str, attrs: list[tuple[str, str | None]],
                prefix_ids: bool = True) -> list[tuple[str, str | None]]:
        out = []
        names = {k for k, _ in attrs}
        dropped = False
        for k, v in attrs:
            if v is None:
                out.append((k, v))
                continue
            if k == "id" and prefix_ids:
                v = map_id(page, v)
            elif k in ID_LIST_ATTRS and prefix_ids:
                v = " ".join(map_id(page, t) for t in v.split())
            elif (k == "href" and tag in ("a", "area")) or (k == "action" and tag == "form"):
                target = _resolve(page, v)
                mapped = map_href(page, v)
                if mapped is None:
                    dropped = True
                    continue  # the link stays as text
                v = mapped
                if tag == "a" and "data-entity" not in names and target is not None and target in keys \
                        and keys[target].startswith("entity-"):
                    out.append(("data-entity", keys[target][len("entity-"):]))  # what the entity popovers read
            elif k.startswith("data-") and not v.startswith("#") and not _ABSOLUTE.match(v):
                target = _resolve(page, v)
                if target is not None and target in keys:
                    v = map_href(page, v) or v
                elif target is not None and target in files and target.path.endswith(".js"):
                    if target not in data_scripts:
                        data_scripts.append(target)
                    continue  # inlined below: the script needs no address
            elif k == "src" and tag in ("img", "source", "audio", "video"):
                target = _resolve(page, v)
                if target is not None and target in files:
                    v = _data_uri(target, files[target])
            elif k == "srcset":
                continue
            out.append((k, v))
        if dropped:  # a link become text keeps no link attributes (type, rel, ...)
            out = [(k, v) for k, v in out if k not in LINK_ONLY_ATTRS]
        return out

    sections: list[str] = []
    head_css: list[tuple[OutPath | None, str, str]] = []  # (path, media, text)
    head_js: list[str] = []
    end_js: list[str] = []
    seen_css: set = set()
    seen_js: set = set()
    site_title = title or ""
    lang = ""
    header = ""
    for page in order:
        parser = _Page(page, rewrite, want_header=page == order[0])
        parser.feed(files[page].decode("utf-8"))
        parser.close()
        if parser.header:
            header = "".join(parser.header)
        if page == urls.HOME or not site_title:
            site_title = title or _site_title(parser.title, page == urls.HOME)
        lang = lang or parser.lang
        for kind, path, attrs, text in parser.assets:
            if kind == "css":
                if path is None or path in seen_css or path not in files:
                    continue
                seen_css.add(path)
                head_css.append((path, attrs.get("media") or "", files[path].decode("utf-8")))
            else:
                key = path if path is not None else text
                if key in seen_js or (path is not None and path not in files):
                    continue
                seen_js.add(key)
                code = files[path].decode("utf-8") if path is not None else text
                (head_js if kind == "js-head" else end_js).append(_script_text(code))
        label = html.escape(_page_label(parser.title, site_title), quote=True)
        data = (f' data-title="{html.escape(" ".join(parser.title.split()), quote=True)}"'
                f' data-body-class="{html.escape(parser.body_class, quote=True)}"')
        sections.append(f'<section class="sf-page" id="{keys[page]}" aria-label="{label}"{data}>\n'
                        + "".join(parser.main).strip("\n") + "\n</section>")

    # The print stylesheet, even where the pages do not link it (yet).
    from .publish import PRINT_CSS
    if PRINT_CSS in files and PRINT_CSS not in seen_css:
        head_css.append((PRINT_CSS, "print", files[PRINT_CSS].decode("utf-8")))
    css_parts = []
    for path, media, text in head_css:
        text = _inline_css(path, text, files)
        media = media.strip()
        css_parts.append(f"/* {path} */\n" + (f"@media {media} {{\n{text}\n}}" if media and media != "all" else text))
    css_parts.append(SINGLE_FILE_CSS)
    toc = _toc(order, keys, files)
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang or "en", quote=True)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(site_title)}</title>",
        '<meta name="generator" content="site_builder (single-file export)">',
        '<meta name="color-scheme" content="light dark">',
        "<style>\n" + "\n".join(css_parts) + "\n</style>",
        *(f"<script>\n{js}\n</script>" for js in head_js),
        "</head>",
        '<body class="single-file">',
        '<a class="skip-link" href="#main">Skip to content</a>',
        header or ('<header class="site-header"><div class="site-header-inner">'
                   f'<a class="site-title" href="#overview">{html.escape(site_title)}</a></div></header>'),
        toc,
        '<main id="main" tabindex="-1">',
        "\n".join(sections),
        "</main>",
        '<footer class="site-footer"><p class="muted">Single-file export of the briefing. Every page of the site '
        "is in this file; links between them jump within it.</p></footer>",
        f"<script>\n{_script_text(runtime_script({p.path: k for p, k in keys.items()}, ID_LIST_ATTRS))}\n</script>",
        *(f"<script>\n{_script_text(files[p].decode('utf-8'))}\n</script>" for p in data_scripts + _shards(data_scripts, files)),
        *(f"<script>\n{js}\n</script>" for js in end_js),
        "</body>",
        "</html>",
    ]
    return ("\n".join(out) + "\n").encode("utf-8")


def _shards(data_scripts: list[OutPath], files: dict[OutPath, bytes]) -> list[OutPath]:
    """With the search index: every shard of it, so search needs nothing the file does not hold."""
    if urls.SEARCH_INDEX_JS not in data_scripts:
        return []
    return sorted(p for p in files if p.path.startswith(urls.SEARCH_SHARDS_DIR) and p.path.endswith(".js"))


def _script_text(code: str) -> str:
    """Script source that cannot close the <script> element it is inlined into."""
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


def _site_title(page_title: str, is_home: bool) -> str:
    t = " ".join(page_title.split())
    return t if is_home or " · " not in t else t.rsplit(" · ", 1)[-1]


def _page_label(page_title: str, site_title: str) -> str:
    t = " ".join(page_title.split())
    suffix = f" · {site_title}"
    return t[: -len(suffix)] if t.endswith(suffix) and t != suffix else t


def _toc(order: list[OutPath], keys: dict[OutPath, str], files: dict[OutPath, bytes]) -> str:
    """A contents list: overview, each document, glossary, annotations."""
    items = []
    for p in order:
        if (p.path.startswith("glossary/") and p != urls.GLOSSARY_INDEX) or p.path.startswith("annotations/documents/"):
            continue
        title = re.search(r"<title>(.*?)</title>", files[p].decode("utf-8", "replace"), re.S)
        text = html.unescape(title.group(1)) if title else keys[p]
        text = " ".join(text.split()).split(" · ")[0]
        if p == urls.HOME:
            text = "Overview"
        elif p == urls.GLOSSARY_INDEX:
            text = "Glossary"
        elif p == urls.ANNOTATIONS_INDEX:
            text = "Annotations"
        items.append(f'<li><a href="#{keys[p]}">{html.escape(text)}</a></li>')
    return '<nav class="sf-nav" aria-label="Contents"><ul>' + "".join(items) + "</ul></nav>"


SINGLE_FILE_CSS = """/* single-file export */
.sf-nav { max-width: calc(var(--measure, 40rem) + var(--margin, 18rem) + 3rem); margin: 0 auto; padding: .5rem 1rem;
  font-family: var(--sans, system-ui, sans-serif); border-bottom: 1px solid var(--rule, #ccc); }
.sf-nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: 0; padding: 0; }
.sf-page + .sf-page { border-top: 2px solid var(--rule, #ccc); margin-top: 3rem; padding-top: 1.5rem; }
.sf-page { scroll-margin-top: 1rem; }
"""


# -------------------------------------------------------------------- zip

def _zip_time() -> tuple[int, int, int, int, int, int]:
    stamp = source_date_epoch()
    if stamp is not None:
        t = time.gmtime(max(stamp, 315532800))  # zip cannot store dates before 1980
        return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    return (1980, 1, 1, 0, 0, 0)


ZIP_README = """{title}

This folder is a complete copy of the briefing's website.

Open index.html in a web browser (double-click it). Everything works from
disk: every link between pages is relative, and nothing is fetched from the
internet except the original sources the annotations link to.

Keep the files together: the pages, assets/ and the other folders belong to
each other.
"""


def zip_site(files: dict[OutPath, bytes], *, folder: str = "site", title: str = "",
             readme: bool = True) -> bytes:
    """Every file of the site under ``folder/`` in a zip (deflated, sorted, fixed timestamps)."""
    folder = re.sub(r"[^A-Za-z0-9._-]+", "-", folder).strip(".-") or "site"
    buf = io.BytesIO()
    stamp = _zip_time()
    entries = dict(files)
    if readme and OutPath("README.txt") not in entries:
        entries[OutPath("README.txt")] = ZIP_README.format(title=title or "Briefing").encode("utf-8")
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(entries):
            info = zipfile.ZipInfo(f"{folder}/{path.path}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            zf.writestr(info, entries[path])
    return buf.getvalue()
