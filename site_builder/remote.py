"""Remote references in the single-file export: inlined on request, or reported.

The single-file export must open offline and never touch the network.  Pages
and stylesheets can still name remote resources: an image in a document
(``![chart](https://...)``), a web font or stylesheet in a template override,
a script from a CDN.  Before the pages are folded into one file,
:func:`localise` finds every such reference in the built site, in the places
that load something when a page opens:

* HTML attributes: ``src`` (``img``, ``source``, ``audio``, ``video``,
  ``track``, ``input``, ``script``), ``poster``, ``href`` of stylesheet links
  and of SVG ``<image>``/``<use>``, ``style`` attributes and ``<style>``
  elements;
* CSS: ``url()`` and ``@import``, in the site's stylesheets and in fetched ones.

An ``http``, ``https`` or protocol-relative (``//host/...``) reference is
remote.  With ``fetch`` (``export --fetch-remote``) each one is downloaded
once and inlined: as a ``data:`` URI, or, for stylesheets and scripts, as a
file in ``assets/remote/`` that the export then inlines like the site's own.
A fetched stylesheet's own references are fetched too.  Without ``fetch``,
each reference is an error that names it and, when an author wrote it, the
file, line and column it was written at.  Frames and embedded objects
(``iframe``, ``object``, ``embed``) load whole other pages and are always
errors.

:func:`verify` is the last line of defence: it parses the finished file and
reports any remote reference left, so nothing unchecked can be exported.
"""

from __future__ import annotations

import base64
import hashlib
import html
import mimetypes
import posixpath
import re
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterable, NamedTuple
from urllib.parse import urljoin, urlsplit

from .diagnostics import Diagnostic, Pos, Severity
from .urls import OutPath

CODE = "remote-reference"
MAX_BYTES = 20_000_000  # per fetched resource
REMOTE_DIR = "assets/remote"
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9:-]*)(\s[^<>]*?)?(/?)>")
_ATTR = re.compile(r"""(\s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+)""")
_STYLE_EL = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.IGNORECASE | re.DOTALL)
_CSS_REF = re.compile(r"""url\(\s*(?P<q>['"]?)(?P<url>[^'")]*)(?P=q)\s*\)|@import\s+(?P<iq>['"])(?P<iurl>[^'"]*)(?P=iq)""",
                      re.IGNORECASE)
# (tag, attribute) pairs that load a resource when the page opens.
_LOADING = {
    ("img", "src"), ("source", "src"), ("audio", "src"), ("video", "src"), ("video", "poster"), ("track", "src"),
    ("input", "src"), ("script", "src"), ("image", "href"), ("image", "xlink:href"), ("use", "href"),
    ("use", "xlink:href"), ("feimage", "href"), ("img", "srcset"), ("source", "srcset"),
}
_FRAMES = {("iframe", "src"), ("frame", "src"), ("embed", "src"), ("object", "data"), ("link", "href")}

Fetcher = Callable[[str], tuple[bytes, str]]  # url -> (bytes, content type)


class Localised(NamedTuple):
    files: dict[OutPath, bytes]
    diagnostics: list[Diagnostic]


def is_remote(ref: str) -> bool:
    return bool(_REMOTE.match(ref))


def absolute(ref: str) -> str:
    ref = ref.strip()
    return "https:" + ref if ref.startswith("//") else ref


def fetch_url(url: str) -> tuple[bytes, str]:
    """Download ``url`` (http or https only, at most :data:`MAX_BYTES`)."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise OSError("only http and https addresses can be fetched")
    req = urllib.request.Request(url, headers={"User-Agent": "site-builder (single-file export)"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - scheme checked above
        data = resp.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise OSError(f"larger than {MAX_BYTES // 1_000_000} MB")
        ctype = resp.headers.get_content_type() if resp.headers.get("Content-Type") else ""
    return data, ctype


def _mime(url: str, ctype: str) -> str:
    if ctype and ctype != "application/octet-stream":
        return ctype
    return mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"


def data_uri(data: bytes, mime: str) -> str:
    if mime.startswith("text/") or mime == "image/svg+xml":
        mime += ";charset=utf-8"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class _Sources:
    """Finds where an author wrote a reference: content/ first, then templates/."""

    def __init__(self, root: Path | None):
        self.root = root
        self._texts: list[tuple[str, str]] | None = None

    def texts(self) -> list[tuple[str, str]]:
        if self._texts is None:
            self._texts = []
            if self.root is not None:
                for top in ("content", "templates"):
                    folder = self.root / top
                    if not folder.is_dir() or folder.is_symlink():
                        continue
                    for path in sorted(folder.rglob("*")):
                        if path.is_symlink() or not path.is_file() or path.stat().st_size > 20_000_000:
                            continue
                        try:
                            text = path.read_text(encoding="utf-8-sig")
                        except (OSError, UnicodeDecodeError):
                            continue
                        self._texts.append((path.relative_to(self.root).as_posix(), text))
        return self._texts

    def find(self, ref: str, page: str) -> Pos:
        forms = {ref, html.unescape(ref), html.escape(ref, quote=True)}
        for rel, text in self.texts():
            for form in forms:
                i = text.find(form)
                if i >= 0:
                    line = text.count("\n", 0, i) + 1
                    return Pos(rel, line, i - (text.rfind("\n", 0, i) + 1) + 1)
        return Pos(page, 1, 1)  # made by a package template: the output file that holds it


class _Localiser:
    def __init__(self, files: dict[OutPath, bytes], fetch: Fetcher | None, root: Path | None):
        self.files = dict(files)
        self.fetch = fetch
        self.sources = _Sources(root)
        self.diagnostics: list[Diagnostic] = []
        self._reported: set[str] = set()
        self._inlined: dict[str, str] = {}  # url -> data: URI
        self._stored: dict[str, OutPath] = {}  # url -> assets/remote file
        self._failed: set[str] = set()

    # -- reporting
    def report(self, url: str, what: str, page: str, message: str | None = None) -> None:
        if url in self._reported:
            return
        self._reported.add(url)
        text = message or (f"{what} {url} would be loaded from the network when the single-file export is "
                           "opened; pass --fetch-remote to download and inline it, or remove the reference")
        self.diagnostics.append(Diagnostic(CODE, Severity.ERROR, self.sources.find(url, page), text))

    def _get(self, url: str, what: str, page: str) -> tuple[bytes, str] | None:
        if self.fetch is None:
            self.report(url, what, page)
            return None
        if url in self._failed:
            return None
        try:
            data, ctype = self.fetch(absolute(url))
        except (OSError, ValueError, urllib.error.URLError) as exc:
            self._failed.add(url)
            reason = getattr(exc, "reason", None) or exc
            self.report(url, what, page, f"cannot fetch {what} {url} for the single-file export: {reason}")
            return None
        return data, _mime(absolute(url), ctype)

    # -- resources
    def inline(self, url: str, what: str, page: str) -> str | None:
        """A data: URI for the remote resource ``url`` (None: reported)."""
        if url in self._inlined:
            return self._inlined[url]
        got = self._get(url, what, page)
        if got is None:
            return None
        data, mime = got
        if mime == "text/css":
            data = self.css(data.decode("utf-8", "replace"), page, base=absolute(url)).encode("utf-8")
        self._inlined[url] = data_uri(data, mime)
        return self._inlined[url]

    def store(self, url: str, what: str, page: str, ext: str) -> OutPath | None:
        """A file in assets/remote/ holding the remote stylesheet or script ``url`` (None: reported)."""
        if url in self._stored:
            return self._stored[url]
        got = self._get(url, what, page)
        if got is None:
            return None
        data, _ = got
        if ext == ".css":
            data = self.css(data.decode("utf-8", "replace"), page, base=absolute(url)).encode("utf-8")
        path = OutPath(f"{REMOTE_DIR}/{hashlib.sha256(url.encode()).hexdigest()[:20]}{ext}")
        self.files[path] = data
        self._stored[url] = path
        return path

    # -- CSS
    def css(self, text: str, page: str, base: str = "") -> str:
        def sub(m: re.Match) -> str:
            ref = m.group("url") if m.group("url") is not None else m.group("iurl")
            target = urljoin(base, ref.strip()) if base and not ref.strip().startswith("data:") else ref
            if not is_remote(target):
                return m.group(0)
            uri = self.inline(target, "the stylesheet resource", page)
            if uri is None:
                return m.group(0)
            return f'url("{uri}")' if m.group("url") is not None else f'@import url("{uri}")'
        return _CSS_REF.sub(sub, text)

    # -- HTML
    def page(self, path: OutPath, text: str) -> str:
        text = _STYLE_EL.sub(lambda m: m.group(1) + self.css(m.group(2), path.path) + m.group(3), text)
        return _TAG.sub(lambda m: self._tag(path, m), text)

    def _tag(self, page: OutPath, m: re.Match) -> str:
        tag, attrs = m.group(1).lower(), m.group(2) or ""
        if not attrs:
            return m.group(0)
        rel = ""
        am = re.search(r"""\srel\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", attrs, re.IGNORECASE)
        if am:
            rel = html.unescape(am.group(1).strip("\"'")).lower()

        def sub(a: re.Match) -> str:
            name = a.group(2).lower()
            raw = a.group(4)
            value = html.unescape(raw[1:-1] if raw[:1] in "\"'" else raw)
            new = self._attr(page, tag, name, value, rel)
            if new is None:
                return a.group(0)
            return f'{a.group(1)}{a.group(2)}{a.group(3)}"{html.escape(new, quote=True)}"'
        return f"<{m.group(1)}{_ATTR.sub(sub, attrs)}{m.group(3)}>"

    def _attr(self, page: OutPath, tag: str, name: str, value: str, rel: str) -> str | None:
        if name == "style":
            new = self.css(value, page.path)
            return new if new != value else None
        if name == "srcset":
            return None  # the export drops srcset: the src alone is kept
        if not is_remote(value):
            return None
        if tag == "link" and name == "href":
            rels = rel.split()
            if "stylesheet" in rels:
                stored = self.store(value, "the stylesheet", page.path, ".css")
                return None if stored is None else _relative(page, stored)
            return None  # icons, preconnect, canonical...: the export leaves the page heads out
        if tag == "script" and name == "src":
            stored = self.store(value, "the script", page.path, ".js")
            return None if stored is None else _relative(page, stored)
        if (tag, name) in _FRAMES:
            self.report(value, f"the {tag}", page.path,
                        f"the {tag} {value} would load another page from the network when the single-file export "
                        "is opened, and cannot be inlined; remove it or make it a link")
            return None
        if (tag, name) in _LOADING:
            what = {"img": "the image", "image": "the image", "video": "the video", "audio": "the audio",
                    "script": "the script"}.get(tag, f"the {tag} resource")
            return self.inline(value, what, page.path)
        return None


def _relative(page: OutPath, target: OutPath) -> str:
    return posixpath.relpath(target.path, posixpath.dirname(page.path) or ".")


def localise(files: dict[OutPath, bytes], *, fetch: Fetcher | None = None, root: Path | None = None,
             pages: Iterable[OutPath] | None = None) -> Localised:
    """The site with every remote resource inlined (``fetch``) or reported (see the module docstring).

    ``pages``: the HTML pages the export includes (default: every page).
    """
    loc = _Localiser(files, fetch, root)
    wanted = set(pages) if pages is not None else None
    for path in sorted(files):
        if path.path.endswith(".html"):
            if wanted is not None and path not in wanted:
                continue
            text = files[path].decode("utf-8")
            new = loc.page(path, text)
            if new != text:
                loc.files[path] = new.encode("utf-8")
        elif path.path.endswith(".css"):
            text = files[path].decode("utf-8")
            new = loc.css(text, path.path)
            if new != text:
                loc.files[path] = new.encode("utf-8")
    return Localised(loc.files, loc.diagnostics)


class _Remaining(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self._in_style = True
        a = {k.lower(): v or "" for k, v in attrs}
        for name, value in a.items():
            if name == "style":
                self.found.extend(_css_remote(value))
            elif name == "srcset" and any(is_remote(c.split()[0]) for c in value.split(",") if c.strip()):
                self.found.append(value)
            elif (tag, name) in _LOADING or (tag, name) in _FRAMES and not (
                    tag == "link" and "stylesheet" not in a.get("rel", "").lower().split()):
                if is_remote(value):
                    self.found.append(value)

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        if self._in_style:
            self.found.extend(_css_remote(data))


def _css_remote(text: str) -> list[str]:
    out = []
    for m in _CSS_REF.finditer(text):
        ref = m.group("url") if m.group("url") is not None else m.group("iurl")
        if is_remote(ref):
            out.append(ref.strip())
    return out


def verify(document: bytes) -> list[str]:
    """Every remote reference that would load when ``document`` (an HTML file) is opened."""
    parser = _Remaining()
    parser.feed(document.decode("utf-8", "replace"))
    parser.close()
    return list(dict.fromkeys(parser.found))
