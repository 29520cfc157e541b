"""Annotating from the live preview: the write side of ``site-builder serve``.

Only :mod:`serve` uses this module, and only when authoring is on (``serve``
without ``--read-only``); a built site never contains its script or endpoints.

* :meth:`Authoring.page_extra` is what a document page gets in the preview: the
  authoring script and style, and a JSON configuration with the session token,
  the document's slug and the hash of its annotation file as it was when the
  page was served.
* :meth:`Authoring.handle` answers ``POST <base>__authoring/<action>``:
  ``save`` (create or update), ``delete`` and ``preview`` (Markdown to HTML with
  the builder's own renderer).  A write is refused (403, nothing changed) unless
  the ``Host`` header names the served address, the ``Origin`` is that address,
  and the session token is sent; it is refused (409) if the annotation file
  changed on disk since the page was served.

The quote is computed here, not by the browser: the client sends the selected
text and the text around it; the server finds the occurrence in the document's
plain-text projection (the text anchoring uses), takes the exact quote from the
projection and the shortest ``prefix``/``suffix`` that makes it unique, and
checks with :func:`anchoring.find` that the selector anchors exactly there.
The YAML file is edited as text (:mod:`annotationfile`), parsed back and
verified, and replaced atomically.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
from pathlib import Path
from typing import NamedTuple

from . import anchoring, annotationfile, atomicfile
from .annotationfile import Item
from .diagnostics import Diagnostics
from .loader import load_documents, load_entities, load_site
from .markdown import Markdown
from .model import Quote
from .targets import Kind, TargetError, check_target

PREFIX = "__authoring/"
KINDS = ("note", "context", "fact-check", "quote", "question")
VERDICTS = ("accurate", "mostly-accurate", "misleading", "unsupported", "false")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_PAGE = re.compile(r"^documents/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.html$")
MAX_BODY = 1 << 20
_HERE = Path(__file__).parent


class Reply(NamedTuple):
    status: int
    data: dict


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "absent"


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ------------------------------------------------------------- quote mapping

class Located(NamedTuple):
    quote: Quote
    start: int  # projection offsets of the match
    end: int


def _squash(s: str) -> str:
    return "".join(anchoring.normalize_str(s).split())


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def _one_line(s: str) -> str:
    return " ".join(s.split())


def locate(projection_text: str, exact: str, before: str, after: str) -> Located:
    """The selector for the selected ``exact`` (with the page text ``before`` and ``after`` it)."""
    norm = anchoring.normalize(projection_text)
    needle = anchoring.normalize_str(exact).strip()
    if not needle:
        raise Refused(400, "Select some text to annotate first.")
    text = norm.text
    hits = []
    i = text.find(needle)
    while i >= 0:
        hits.append(i)
        i = text.find(needle, i + 1)
    if not hits:
        raise Refused(409, "The selected text is not in the document's source as it is now "
                           "(the document may have changed): reload the page and select it again.")
    b, a = _squash(before)[-300:], _squash(after)[:300]
    scored = sorted(((_common_suffix(_squash(text[max(0, h - 600):h]), b)
                      + _common_prefix(_squash(text[h + len(needle):h + len(needle) + 600]), a), h) for h in hits),
                    reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        raise Refused(409, "Cannot tell which of the passages with this text was selected: "
                           "select a longer passage.")
    h = scored[0][1]
    target = anchoring._to_raw(norm, h, h + len(needle))
    quote_exact = _one_line(projection_text[target.start:target.end])
    quote = Quote(quote_exact)
    if len(hits) > 1:
        quote = _disambiguate(norm, projection_text, quote_exact, h, len(needle), target)
    outcome = anchoring.find(norm, quote.exact, quote.prefix, quote.suffix)
    if not outcome.ok or outcome.matches[0] != target:
        raise Refused(409, "The selection cannot be anchored uniquely; select a longer passage.")
    return Located(quote, target.start, target.end)


def _disambiguate(norm, raw: str, exact: str, h: int, n: int, target) -> Quote:
    """The shortest prefix or suffix (or both) that makes ``exact`` anchor at ``target`` only."""
    text = norm.text
    head = text[:h].rstrip()
    tail = text[h + n:].lstrip()
    start_tail = len(text) - len(tail)

    def unique(prefix: str, suffix: str) -> bool:
        o = anchoring.find(norm, exact, prefix, suffix)
        return o.ok and o.matches[0] == target

    def grow(limit: int, side: str) -> str | None:
        for k in range(1, min(limit, 400) + 1):
            if side == "prefix":
                a = len(head) - k
                if text[a].isspace() or (a > 0 and text[a - 1].isalnum() and text[a].isalnum() and text[a].isascii()):
                    continue  # start at a word boundary
                piece = _one_line(raw[norm.to_raw(a):norm.to_raw(len(head) - 1) + 1])
                if unique(piece, ""):
                    return piece
            else:
                e = start_tail + k
                if text[e - 1].isspace() or (e < len(text) and text[e - 1].isalnum() and text[e].isalnum()
                                             and text[e - 1].isascii()):
                    continue
                piece = _one_line(raw[norm.to_raw(start_tail):norm.to_raw(e - 1) + 1])
                if unique("", piece):
                    return piece
        return None

    p, s = grow(len(head), "prefix"), grow(len(tail), "suffix")
    options = ([Quote(exact, prefix=p)] if p else []) + ([Quote(exact, suffix=s)] if s else [])
    if options:
        return min(options, key=lambda q: (len(q.prefix) + len(q.suffix), q.prefix != ""))
    both = Quote(exact, _one_line(raw[norm.to_raw(max(0, len(head) - 200)):norm.to_raw(len(head) - 1) + 1]) if head else "",
                 _one_line(raw[norm.to_raw(start_tail):norm.to_raw(min(len(text), start_tail + 200) - 1) + 1])
                 if tail else "")
    if unique(both.prefix, both.suffix):
        return both
    raise Refused(409, "The selection cannot be anchored uniquely; select a longer passage.")


def make_id(exact: str, taken: set[str]) -> str:
    words = re.findall(r"[a-z0-9]+", anchoring.normalize_str(exact).lower())
    base = "-".join(words[:5])[:48].strip("-")
    if not base:
        base = "q-" + hashlib.sha1(exact.encode("utf-8")).hexdigest()[:6]
    aid, n = base, 2
    while aid in taken:
        aid, n = f"{base}-{n}", n + 1
    return aid


# ------------------------------------------------------------- the service

class Authoring:
    """Per-session authoring state for one served project."""

    def __init__(self, root: Path, host: str, port: int, base_path: str = "/"):
        self.root = Path(root).resolve()
        self.token = secrets.token_urlsafe(32)
        self.base_path = base_path
        shown = f"[{host}]" if ":" in host else host
        names = {shown}
        if host in ("127.0.0.1", "::1", "localhost"):
            names.add("localhost")
        self.hosts = frozenset(f"{n}:{port}" for n in names)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)
        self._lock = threading.Lock()
        self._md: Markdown | None = None

    # -- the page side

    def page_extra(self, rel: str) -> bytes:
        """What a served page gets before ``</body>``: nothing unless it is a document page."""
        m = _PAGE.match(rel)
        if not m or not (self.root / "content" / "documents" / f"{m.group(1)}.md").is_file():
            return b""
        slug = m.group(1)
        diags = Diagnostics()
        glossary = sorted(((e.id, e.name) for e in load_entities(self.root, diags)), key=lambda t: t[1].lower())
        config = {
            "token": self.token, "endpoint": self.base_path + PREFIX, "slug": slug,
            "hash": file_hash(self._file(slug)), "kinds": KINDS, "verdicts": VERDICTS,
            "glossary": [{"id": i, "name": n} for i, n in glossary],
            "annotations": {a["id"]: a for a in self._items(slug)},
        }
        js = (_HERE / "authoring_client.js").read_text(encoding="utf-8")
        css = (_HERE / "authoring_client.css").read_text(encoding="utf-8")
        return (f'<style data-site-builder-authoring>{css}</style>\n'
                f'<script type="application/json" id="site-builder-authoring">{_script_json(config)}</script>\n'
                f'<script data-site-builder-authoring>{js}</script>\n').encode("utf-8")

    def _file(self, slug: str) -> Path:
        return self.root / "content" / "annotations" / f"{slug}.yml"

    def _items(self, slug: str) -> list[dict]:
        try:
            text = self._file(slug).read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return []
        try:
            return [i.plain() for i in annotationfile.items(text)]
        except annotationfile.EditError:
            return []

    # -- the request side

    def check_request(self, headers) -> None:
        """Refuse (403) a request from anywhere but a page this session served."""
        host = headers.get("Host", "")
        if host not in self.hosts:
            raise Refused(403, "refused: the Host header does not name this preview's address")
        if headers.get("Origin", "") not in self.origins:
            raise Refused(403, "refused: the request does not come from this preview (Origin)")
        sent = headers.get("X-Site-Builder-Token", "")
        if not sent or not hmac.compare_digest(sent.encode(), self.token.encode()):
            raise Refused(403, "refused: missing or wrong session token; reload the page")
        if headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            raise Refused(415, "refused: the request body must be JSON")

    def handle(self, action: str, headers, body: bytes) -> Reply:
        try:
            self.check_request(headers)
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise Refused(400, "the request body is not valid JSON") from None
            if not isinstance(data, dict):
                raise Refused(400, "the request body must be a JSON object")
            if action == "preview":
                return Reply(200, {"html": self._render(str(data.get("body", "")))})
            if action in ("save", "delete"):
                with self._lock:
                    return self._write(action, data)
            raise Refused(404, f"no authoring action '{action}'")
        except Refused as exc:
            return Reply(exc.status, {"error": exc.message})

    def _render(self, source: str) -> str:
        if self._md is None:
            site = load_site(self.root, Diagnostics())
            self._md = Markdown(allow_html=bool(site and site.allow_raw_html))
        return self._md.render(source)

    def _write(self, action: str, data: dict) -> Reply:
        slug = str(data.get("slug", ""))
        if not _SLUG.match(slug) or not (self.root / "content" / "documents" / f"{slug}.md").is_file():
            raise Refused(400, "no such document")
        path = self._file(slug)
        rel = f"content/annotations/{slug}.yml"
        if file_hash(path) != data.get("hash"):
            raise Refused(409, f"{rel} changed on disk since this page was loaded (saved in an editor?); "
                               "nothing was written. Reload the page and try again.")
        try:
            old = path.read_text(encoding="utf-8") if path.exists() else ""
        except UnicodeDecodeError:
            raise Refused(409, f"{rel} is not UTF-8; fix it by hand") from None
        try:
            if action == "delete":
                aid = str(data.get("id", ""))
                new = annotationfile.delete(old, aid)
                result = {"id": aid}
            else:
                item, taken = self._item(slug, old, data)
                new = annotationfile.save(old, item, replace=str(data.get("id") or "") or None)
                result = {"id": item.id}
        except annotationfile.EditError as exc:
            raise Refused(409, f"{rel}: {exc}; nothing was written") from None
        try:
            check_target(self.root, path, kind=Kind.FILE, edits=rel)
        except TargetError as exc:
            raise Refused(403, str(exc)) from None
        _atomic_write(path, new)
        result["file"] = rel
        return Reply(200, result)

    def _item(self, slug: str, old: str, data: dict) -> tuple[Item, set[str]]:
        errors = []
        kind = str(data.get("kind", ""))
        if kind not in KINDS:
            errors.append(f"Choose a kind ({', '.join(KINDS)}).")
        body = str(data.get("body", "")).replace("\r\n", "\n").strip()
        if not body:
            errors.append("The note is empty: write the note first.")
        verdict = str(data.get("verdict", "") or "")
        if kind == "fact-check" and verdict not in VERDICTS:
            errors.append(f"A fact-check needs a verdict ({', '.join(VERDICTS)}).")
        if kind != "fact-check":
            verdict = ""
        known = {e.id for e in load_entities(self.root, Diagnostics())}
        entities = [str(e) for e in data.get("entities", []) or []]
        unknown = [e for e in entities if e not in known]
        if unknown:
            errors.append("Not in the glossary: " + ", ".join(unknown) + ".")
        sources = []
        for s in data.get("sources", []) or []:
            if not isinstance(s, dict) or not str(s.get("title", "")).strip():
                errors.append("Every source needs a title.")
                continue
            url = str(s.get("url", "")).strip()
            if url and not re.match(r"^https?://[^\s/?#]+\S*$", url):
                errors.append(f"Not an http(s) address: {url}")
            sources.append({k: str(s[k]).strip() for k in ("title", "publisher", "date", "url") if str(s.get(k, "")).strip()})
        if errors:
            raise Refused(422, " ".join(errors))
        try:
            existing = annotationfile.items(old) if old.strip() else []
        except annotationfile.EditError as exc:
            raise Refused(409, f"content/annotations/{slug}.yml: {exc}") from None
        taken = {i.id for i in existing}
        replace = str(data.get("id") or "")
        if replace:
            current = next((i for i in existing if i.id == replace), None)
            if current is None:
                raise Refused(409, f"no annotation '{replace}' in the file any more; reload the page")
            quote, aid = None, replace  # the quote stays as written
        else:
            quote = self._quote(slug, data)
            aid = make_id(quote.exact, taken)
        return Item(aid, kind, quote, verdict, body, tuple(dict.fromkeys(entities)), tuple(sources)), taken

    def _quote(self, slug: str, data: dict) -> Quote:
        diags = Diagnostics()
        doc = next((d for d in load_documents(self.root, diags) if d.slug == slug), None)
        if doc is None:
            raise Refused(409, "the document does not load; fix it first (see the terminal)")
        site = load_site(self.root, Diagnostics())
        parsed = Markdown(allow_html=bool(site and site.allow_raw_html)).parse(doc.body)
        return locate(parsed.projection.text, str(data.get("exact", "")), str(data.get("before", "")),
                      str(data.get("after", ""))).quote


def _atomic_write(path: Path, text: str) -> None:
    atomicfile.write_text(path, text, keep_mode=True, make_parents=True)
