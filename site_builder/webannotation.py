"""W3C Web Annotation Data Model: export each document's annotations, import them back.

Export
------
:func:`collection` turns one document's anchored annotations into an
``AnnotationCollection`` whose single ``AnnotationPage`` is embedded as
``first``; the site writes it to ``annotations/<slug>.jsonld``
(:func:`collection_path`).  Each ``Annotation`` carries

* ``motivation`` from its kind (:data:`KIND_MOTIVATION`);
* a ``TextualBody`` with the note's Markdown (``format: text/markdown``,
  ``purpose`` = the motivation), its citations as ``schema:citation``;
* the original-language wording, if any, as a ``TextualBody`` with
  ``language`` and ``purpose: describing``;
* a fact-check's verdict as a ``TextualBody`` with ``purpose: classifying``
  and the verdict code (``accurate`` … ``false``) as its value;
* each free-form tag as a ``TextualBody`` with ``purpose: tagging``;
* each glossary entity as a ``SpecificResource`` whose ``source`` is the
  entity's glossary page, with ``purpose: identifying`` when the quoted
  passage itself names the entity and ``purpose: tagging`` otherwise;
* a target on the document page with a ``TextQuoteSelector`` and a
  ``TextPositionSelector``.

**Text positions.**  ``start`` and ``end`` count Unicode code points in the
document's *article text*: the plain-text projection of the Markdown body
(:meth:`markdown.Markdown.parse` → ``projection.text``).  That is the text of
every paragraph, heading, list item and table cell of the body in reading
order, blocks separated by two newlines and soft line breaks kept as one
newline; code blocks, images and raw HTML contribute nothing, and the page's
annotation markers and notes are not part of it.  ``exact``, ``prefix`` and
``suffix`` are taken from the same text (``prefix``/``suffix``: up to 32 code
points, never crossing into another block), so ``text[start:end] == exact``.

**Identifiers.**  With a base URL (``base_url`` in site.yml, else
``$SITE_BUILDER_BASE_URL``, else ``https://<cname>/``; see
:func:`site_builder.publish.base_url`) every IRI is that base plus the output
path: the collection is ``<base>annotations/<slug>.jsonld``, its page
``…#page-1``, each annotation ``…#<annotation id>``, the target source
``<base>documents/<slug>.html`` and entity bodies ``<base>glossary/<id>.html``.
Without one, the same paths are minted as ``urn:uuid:`` IRIs (UUID version 5
of the site title and the path), so the files stay valid and stable; the
annotation id is still the fragment.

Import
------
:func:`parse_import` reads a W3C collection, page, single annotation or list of
them, or a Hypothesis API export (a search response ``{"rows": [...]}``, the
web export ``{"annotations": [...]}``, a list of rows or one row), and
:func:`import_annotations` anchors each one in the document, turns it into the
project's YAML and merges it into ``content/annotations/<slug>.yml`` without
ever silently replacing an existing annotation.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote, urlsplit

import yaml

from . import anchoring, urls
from .diagnostics import Diagnostic, Diagnostics, Pos, Severity
from .markdown import Markdown
from .model import Annotation, Site
from .schema import ANNOTATION, ANNOTATION_KINDS, CNAME_RE, ID_RE, LANG_RE, TAG_RE, VERDICTS, Ctx, MISSING
from .urls import OutPath

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
BASE_URL_ENV = "SITE_BUILDER_BASE_URL"
CONTEXT_CHARS = 32  # length of TextQuoteSelector prefix and suffix

KIND_MOTIVATION = {
    "note": "commenting",
    "context": "describing",
    "fact-check": "assessing",
    "question": "questioning",
    "quote": "identifying",
}
MOTIVATION_KIND = {v: k for k, v in KIND_MOTIVATION.items()}
VERDICT_LABELS = {
    "accurate": "Accurate", "mostly-accurate": "Mostly accurate", "misleading": "Misleading",
    "unsupported": "Unsupported", "false": "False",
}
# A fixed namespace for urn:uuid identifiers minted without a base URL.
URN_NAMESPACE = uuid.UUID("6f0c1d0e-5b1a-5e8e-9a53-2b7d4c1f0a11")
_GLOSSARY_RE = re.compile(r"(?:^|/)glossary/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.html$")
_DOCUMENT_RE = re.compile(r"(?:^|/)documents/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.html$")


def collection_path(slug: str) -> OutPath:
    """Where a document's annotation collection is written: ``annotations/<slug>.jsonld``."""
    return OutPath(f"annotations/{slug}.jsonld")


# ------------------------------------------------------------------ IRIs

def normalise_base(url: str) -> str:
    """``url`` with its query and fragment dropped and exactly one trailing slash."""
    parts = urlsplit(url.strip())
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def site_base(site: Site, environ: dict | None = None) -> str:
    """The absolute URL the site is published at, with a trailing slash, or ''.

    ``base_url`` from site.yml; else the ``SITE_BUILDER_BASE_URL`` environment
    variable (the Pages workflow sets it from actions/configure-pages); else
    ``https://<cname>/``.  (Also exposed as :func:`site_builder.publish.base_url`.)
    """
    import os

    from .schema import check_url

    env = os.environ if environ is None else environ
    if site.base_url.strip():
        return normalise_base(site.base_url)
    from_env = (env.get(BASE_URL_ENV) or "").strip()
    if from_env and check_url(from_env) is None and from_env.lower().startswith(("http://", "https://")):
        return normalise_base(from_env)
    if site.cname and CNAME_RE.match(site.cname):
        return f"https://{site.cname.lower()}/"
    return ""


def iri(site: Site, path: str, base: str, fragment: str = "") -> str:
    """The IRI of output path ``path``: under ``base``, or a stable ``urn:uuid:`` without one."""
    if base:
        out = base + path
    else:
        out = "urn:uuid:" + str(uuid.uuid5(URN_NAMESPACE, f"{site.title}\x00{path}"))
    return f"{out}#{fragment}" if fragment else out


# ---------------------------------------------------------------- export

def _selectors(text: str, start: int, end: int) -> list[dict]:
    exact = text[start:end]
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": exact}
    before = text[max(0, start - CONTEXT_CHARS):start]
    cut = before.rfind("\n\n")
    if cut >= 0:
        before = before[cut + 2:]
    after = text[end:end + CONTEXT_CHARS]
    cut = after.find("\n\n")
    if cut >= 0:
        after = after[:cut]
    if before:
        quote["prefix"] = before
    if after:
        quote["suffix"] = after
    return [quote, {"type": "TextPositionSelector", "start": start, "end": end}]


def _language(tag: str) -> str:
    """A BCP 47 tag with a lower-case primary subtag (the form the W3C tests expect)."""
    head, _, rest = tag.partition("-")
    return head.lower() + ("-" + rest if rest else "")


def annotation_json(site: Site, ann: Annotation, text: str, start: int, end: int, *, base: str,
                    named: Iterable[str] = (), known_entities: Iterable[str] | None = None) -> dict:
    """One W3C ``Annotation`` for ``ann``, anchored at [start, end) of the article ``text``.

    ``named``: entity ids mentioned inside the quoted passage (their bodies get
    purpose ``identifying``; the others ``tagging``).  ``known_entities``: if
    given, entity ids not in it are left out.
    """
    slug = ann.document
    motivation = KIND_MOTIVATION[ann.kind]
    main: dict[str, Any] = {
        "type": "TextualBody", "value": ann.body, "format": "text/markdown",
        "language": _language(ann.language or site.language or "en"), "purpose": motivation,
    }
    if ann.sources:
        cites = []
        for s in ann.sources:
            c: dict[str, Any] = {"type": "schema:CreativeWork", "schema:name": s.title,
                                 "schema:publisher": s.publisher, "schema:datePublished": s.date}
            if s.url:
                c["schema:url"] = s.url
            if s.excerpt:
                c["schema:text"] = s.excerpt
            if s.lang:
                c["schema:inLanguage"] = s.lang
            cites.append(c)
        main["schema:citation"] = cites
    bodies: list[dict] = [main]
    if ann.original is not None:
        bodies.append({"type": "TextualBody", "value": ann.original.text, "format": "text/plain",
                       "language": _language(ann.original.lang), "purpose": "describing"})
    if ann.verdict:
        bodies.append({"type": "TextualBody", "value": ann.verdict, "format": "text/plain",
                       "purpose": "classifying"})
    for tag in ann.tags:
        bodies.append({"type": "TextualBody", "value": tag, "format": "text/plain", "purpose": "tagging"})
    named = set(named)
    known = set(known_entities) if known_entities is not None else None
    for eid in ann.entities:
        if known is not None and eid not in known:
            continue
        bodies.append({"type": "SpecificResource", "source": iri(site, urls.entity_path(eid).path, base),
                       "purpose": "identifying" if eid in named else "tagging"})
    coll = iri(site, collection_path(slug).path, base)
    return {
        "@context": CONTEXT,
        "id": f"{coll}#{ann.id}",
        "type": "Annotation",
        "motivation": motivation,
        "body": bodies,
        "target": {
            "source": iri(site, urls.document_path(slug).path, base),
            "selector": _selectors(text, start, end),
        },
    }


def collection(site: Site, analysis, *, base: str = "", known_entities: Iterable[str] | None = None) -> dict:
    """The ``AnnotationCollection`` of one document, its one page embedded as ``first``.

    ``analysis`` is an :class:`xref.DocumentAnalysis` (its anchored marks, its
    annotations in reading order, its projection text and its mentions).
    """
    doc = analysis.doc
    spans = {m.id: (m.start, m.end) for m in analysis.marks}
    items = []
    for ann in analysis.annotations:
        start, end = spans[ann.id]
        named = {m.entity for m in analysis.mentions if m.start >= start and m.end <= end}
        items.append(annotation_json(site, ann, analysis.text, start, end, base=base, named=named,
                                     known_entities=known_entities))
    coll = iri(site, collection_path(doc.slug).path, base)
    page = f"{coll}#page-1"
    # The page is embedded as ``first`` (so it has no ``partOf``: the collection holds it) and
    # carries its own ``@context``, as does each annotation, so each can be taken out and used alone.
    return {
        "@context": CONTEXT,
        "id": coll,
        "type": "AnnotationCollection",
        "label": f"Annotations on \u201c{doc.title}\u201d",
        "total": len(items),
        "first": {
            "@context": CONTEXT,
            "id": page,
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        },
        "last": page,
    }


def dumps(data: Any) -> bytes:
    """Stable, readable JSON (UTF-8, two-space indent, keys in the order written)."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def collection_files(content, analyses, *, base: str = "", cache: dict | None = None) -> dict[OutPath, bytes]:
    """``annotations/<slug>.jsonld`` for every document.

    ``cache`` (a dict kept between builds, e.g. by the live server): a document's
    file is reused while its analysis is the very same object (the build cache
    hands back unchanged analyses as they were) and the site settings, base URL
    and glossary ids are unchanged.
    """
    known = frozenset(e.id for e in content.entities)
    setting = (content.site, base, known)
    out: dict[OutPath, bytes] = {}
    fresh: dict = {}
    for an in analyses:
        hit = cache.get(an.doc.slug) if cache is not None else None
        if hit is not None and hit[0] is an and hit[1] == setting:
            data = hit[2]
        else:
            data = dumps(collection(content.site, an, base=base, known_entities=known))
        fresh[an.doc.slug] = (an, setting, data)
        out[collection_path(an.doc.slug)] = data
    if cache is not None:
        cache.clear()
        cache.update(fresh)
    return out


# ---------------------------------------------------------------- import

@dataclass
class Incoming:
    """One annotation read from an import file, before anchoring."""

    where: str  # e.g. "item 3 (https://…#foo)", for messages
    id_hint: str = ""  # our id, when the source says (W3C id fragment, Hypothesis id)
    kind: str = "note"
    body: str = ""
    verdict: str = ""
    original: tuple[str, str] | None = None
    entity_iris: list[tuple[str, str]] = field(default_factory=list)  # (iri, purpose)
    entity_ids: list[str] = field(default_factory=list)  # named directly (Hypothesis tags)
    tags: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    exact: str = ""
    prefix: str = ""
    suffix: str = ""
    position: tuple[int, int] | None = None
    target_source: str = ""
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, code, message)

    def error(self, code: str, message: str) -> None:
        self.problems.append(("error", code, message))

    def warn(self, code: str, message: str) -> None:
        self.problems.append(("warning", code, message))


class ImportFormatError(Exception):
    """The file is not JSON, or neither W3C Web Annotation nor Hypothesis data."""


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _types(node) -> set[str]:
    if not isinstance(node, dict):
        return set()
    return {t.split(":")[-1].split("#")[-1] for t in _as_list(node.get("type", node.get("@type"))) if isinstance(t, str)}


def _iri_of(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        v = value.get("id", value.get("@id", ""))
        return v if isinstance(v, str) else ""
    return ""


def parse_import(data: Any) -> tuple[str, list[Incoming]]:
    """Recognise the format of parsed JSON ``data``; returns (format name, annotations)."""
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        return "Hypothesis API export", [_from_hypothesis(r, i + 1) for i, r in enumerate(data["rows"])]
    if isinstance(data, dict) and isinstance(data.get("annotations"), list) and not _types(data):
        return "Hypothesis export", [_from_hypothesis(r, i + 1) for i, r in enumerate(data["annotations"])]
    items: list[tuple[Any, str]] = []
    fmt = ""
    for top in _as_list(data):
        types = _types(top)
        if "AnnotationCollection" in types:
            fmt = fmt or "W3C AnnotationCollection"
            page = top.get("first")
            n = 0
            while page is not None:
                if isinstance(page, str):
                    raise ImportFormatError(
                        f"the collection's page {page} is not embedded; download the page itself and import that")
                n += 1
                items.extend((it, f"page {n} item {i + 1}") for i, it in enumerate(_as_list(page.get("items"))))
                page = page.get("next") if isinstance(page.get("next"), dict) else None
        elif "AnnotationPage" in types:
            fmt = fmt or "W3C AnnotationPage"
            items.extend((it, f"item {i + 1}") for i, it in enumerate(_as_list(top.get("items"))))
        elif "Annotation" in types:
            fmt = fmt or "W3C Annotation"
            items.append((top, f"item {len(items) + 1}"))
        elif isinstance(top, dict) and isinstance(top.get("target"), list) and ("uri" in top or "text" in top):
            fmt = fmt or "Hypothesis export"
            items.append((top, f"row {len(items) + 1}"))
        else:
            raise ImportFormatError("not a W3C Web Annotation collection, page or annotation, nor a Hypothesis export "
                                    "(expected \"type\": \"AnnotationCollection\", \"AnnotationPage\" or \"Annotation\", "
                                    "or Hypothesis rows with \"target\" and \"text\")")
    out = []
    for node, where in items:
        if isinstance(node, str):
            inc = Incoming(where=f"{where} ({node})")
            inc.error("import-unsupported", "the annotation is only referenced by its IRI, not embedded; it cannot be imported")
            out.append(inc)
        elif "Annotation" in _types(node):
            out.append(_from_w3c(node, where))
        else:
            out.append(_from_hypothesis(node, len(out) + 1))
    return fmt or "empty", out


def _fragment_id(iri_value: str) -> str:
    """Our annotation id from an annotation IRI: its fragment (``…#<id>``), else its last
    path or URN segment when that is a valid id (``urn:uuid:…`` ids of other tools)."""
    if "#" in iri_value:
        where, _, frag = iri_value.rpartition("#")
        frag = unquote(frag)
        if frag.startswith("ann-") and where.endswith(".html"):  # a note's anchor on a page: #ann-<id>
            frag = frag[4:]
        return frag if frag and ID_RE.match(frag) else ""
    last = unquote(re.split(r"[/:]", iri_value.rstrip("/"))[-1]).lower()
    return last if last and len(last) <= 64 and ID_RE.match(last) else ""


def _citations(node: dict) -> list[dict]:
    out = []
    for key in ("schema:citation", "citation", "http://schema.org/citation", "https://schema.org/citation"):
        for c in _as_list(node.get(key)):
            if not isinstance(c, dict):
                continue

            def pick(*names):
                for n in names:
                    v = c.get(n)
                    if isinstance(v, dict):
                        v = v.get("name") or v.get("schema:name") or v.get("@value")
                    if isinstance(v, str) and v.strip():
                        return v.strip()
                return ""
            cite = {"title": pick("schema:name", "name", "title"), "publisher": pick("schema:publisher", "publisher"),
                    "date": pick("schema:datePublished", "datePublished", "date")}
            url = pick("schema:url", "url")
            if url:
                cite["url"] = url
            excerpt = pick("schema:text", "text")
            if excerpt:
                cite["excerpt"] = excerpt
            lang = pick("schema:inLanguage", "inLanguage")
            if lang and LANG_RE.match(lang):
                cite["lang"] = lang
            out.append(cite)
    return out


def _verdict_of(value: str) -> str:
    v = value.strip().lower().replace(" ", "-")
    if v.startswith("verdict:"):
        v = v[8:]
    return v if v in VERDICTS else ""


def _from_w3c(node: dict, where: str) -> Incoming:
    aid = _iri_of(node)
    inc = Incoming(where=f"{where}" + (f" ({aid})" if aid else ""), id_hint=_fragment_id(aid))
    motivations = [m for m in _as_list(node.get("motivation")) if isinstance(m, str)]
    for m in motivations:
        m = m.split(":")[-1].split("#")[-1]
        if m in MOTIVATION_KIND:
            inc.kind = MOTIVATION_KIND[m]
            break
    main_found = False
    extra_text: list[str] = []
    if isinstance(node.get("bodyValue"), str):
        inc.body = node["bodyValue"]
        main_found = True
    inc.sources.extend(_citations(node))
    for body in _as_list(node.get("body")):
        if isinstance(body, str):
            inc.entity_iris.append((body, ""))
            continue
        if not isinstance(body, dict):
            continue
        types = _types(body)
        purpose = next((p.split(":")[-1] for p in _as_list(body.get("purpose")) if isinstance(p, str)), "")
        if "Choice" in types:
            options = _as_list(body.get("items"))
            body = options[0] if options and isinstance(options[0], dict) else {}
            types = _types(body)
        if "TextualBody" in types or "value" in body:
            value = body.get("value")
            if not isinstance(value, str):
                continue
            fmt = body.get("format", "")
            lang = body.get("language", "")
            lang = lang[0] if isinstance(lang, list) and lang else lang
            if purpose == "tagging":
                inc.tags.append(value)
            elif purpose == "classifying" and _verdict_of(value):
                inc.verdict = _verdict_of(value)
            elif purpose == "assessing" and main_found and _verdict_of(value):
                inc.verdict = _verdict_of(value)
            elif purpose == "describing" and main_found and lang and fmt != "text/markdown" and inc.original is None:
                inc.original = (value, lang)
            elif not main_found:
                inc.body = value
                main_found = True
                inc.sources.extend(_citations(body))
            else:
                extra_text.append(value)
                inc.sources.extend(_citations(body))
        else:
            source = _iri_of(body.get("source")) or _iri_of(body)
            if source:
                inc.entity_iris.append((source, purpose))
    if extra_text:
        inc.body = "\n\n".join([inc.body.rstrip("\n")] + [t.strip("\n") for t in extra_text]).strip("\n") + "\n"
    _read_targets(inc, node.get("target"))
    return inc


def _read_targets(inc: Incoming, targets) -> None:
    found = False
    for target in _as_list(targets):
        if isinstance(target, str):
            inc.target_source = inc.target_source or target
            continue
        if not isinstance(target, dict):
            continue
        inc.target_source = inc.target_source or _iri_of(target.get("source")) or _iri_of(target)
        stack = list(_as_list(target.get("selector")))
        while stack:
            sel = stack.pop(0)
            if not isinstance(sel, dict):
                continue
            types = _types(sel)
            if "TextQuoteSelector" in types and not found and isinstance(sel.get("exact"), str):
                inc.exact = sel["exact"]
                inc.prefix = sel.get("prefix", "") if isinstance(sel.get("prefix"), str) else ""
                inc.suffix = sel.get("suffix", "") if isinstance(sel.get("suffix"), str) else ""
                found = True
            elif "TextPositionSelector" in types and inc.position is None:
                s, e = sel.get("start"), sel.get("end")
                if isinstance(s, int) and isinstance(e, int) and 0 <= s <= e:
                    inc.position = (s, e)
            stack.extend(_as_list(sel.get("refinedBy")))
            for key in ("startSelector", "endSelector"):
                if isinstance(sel.get(key), dict):
                    stack.append(sel[key])
        if found:
            break
    if not found:
        inc.error("import-no-quote", "no TextQuoteSelector: only annotations on a quoted passage can be imported "
                                     "(page notes and annotations without a selection cannot)")


def _hypothesis_id(raw: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    return f"h-{s}" if s else ""


def _from_hypothesis(row: Any, n: int) -> Incoming:
    if not isinstance(row, dict):
        inc = Incoming(where=f"row {n}")
        inc.error("import-unsupported", "not an annotation object")
        return inc
    hid = row.get("id") if isinstance(row.get("id"), str) else ""
    inc = Incoming(where=f"row {n}" + (f" ({hid})" if hid else ""), id_hint=_hypothesis_id(hid))
    if row.get("references"):
        inc.error("import-reply", "a reply to another annotation; replies are not imported")
        return inc
    text = row.get("text") if isinstance(row.get("text"), str) else ""
    inc.body = text.strip("\n") + "\n" if text.strip() else ""
    for tag in row.get("tags") or ():
        if not isinstance(tag, str) or not tag.strip():
            continue
        t = tag.strip()
        low = t.lower()
        if low in ANNOTATION_KINDS or low in ("factcheck", "fact check"):
            inc.kind = "fact-check" if low in ("factcheck", "fact check") else low
        elif _verdict_of(low) and (low.startswith("verdict:") or low in VERDICTS):
            inc.verdict = _verdict_of(low)
        elif low.startswith("entity:"):
            inc.entity_ids.append(low[7:].strip())
        elif low.startswith("kind:") and low[5:].strip() in ANNOTATION_KINDS:
            inc.kind = low[5:].strip()
        else:
            inc.tags.append(t)
    if isinstance(row.get("uri"), str):
        inc.target_source = row["uri"]
    _read_targets(inc, row.get("target"))
    inc.position = None  # Hypothesis positions count the whole page's text, not the article's
    return inc


# -------------------------------------------------------------- anchoring

def _context_score(norm_text: str, h: int, n: int, prefix: str, suffix: str) -> int:
    score = 0
    p = anchoring.normalize_str(prefix).strip()
    if p:
        before = norm_text[:h].rstrip()
        k = 0
        while k < len(p) and k < len(before) and p[-1 - k] == before[-1 - k]:
            k += 1
        score += k
    s = anchoring.normalize_str(suffix).strip()
    if s:
        after = norm_text[h + n:].lstrip()
        k = 0
        while k < len(s) and k < len(after) and s[k] == after[k]:
            k += 1
        score += k
    return score


def _occurrences(norm: anchoring.NormText, needle: str) -> list[int]:
    hits = []
    i = norm.text.find(needle)
    while i >= 0:
        hits.append(i)
        i = norm.text.find(needle, i + 1)
    return hits


def locate(norm: anchoring.NormText, raw_text: str, exact: str, prefix: str = "", suffix: str = "",
           position: tuple[int, int] | None = None) -> tuple[anchoring.Match | None, str]:
    """The passage an imported TextQuoteSelector points to: (match, '') or (None, problem).

    One occurrence of ``exact`` wins outright; among several, the one at
    ``position`` (our own exports), else the one whose surroundings best agree
    with ``prefix``/``suffix`` (Hypothesis' are taken from the live page, so
    they may include note markers: a best match, not an exact one)."""
    needle = anchoring.normalize_str(exact).strip()
    if not needle:
        return None, "the quoted text is empty"
    hits = _occurrences(norm, needle)
    if not hits:
        closest = anchoring.closest_passage(norm, needle)
        hint = ""
        if closest is not None:
            hint = f"; closest passage: \"{_short(raw_text[closest.start:closest.end], 120)}\""
        return None, f"quote not found in the document: \"{_short(exact)}\"{hint}"
    matches = [anchoring._to_raw(norm, h, h + len(needle)) for h in hits]
    if len(matches) == 1:
        return matches[0], ""
    if position is not None:
        for m in matches:
            if (m.start, m.end) == position:
                return m, ""
    scores = [_context_score(norm.text, h, len(needle), prefix, suffix) for h in hits]
    best = max(scores)
    if best > 0 and scores.count(best) == 1:
        return matches[scores.index(best)], ""
    return None, (f"quote \"{_short(exact)}\" matches {len(matches)} places in the document and its "
                  "prefix/suffix do not pick one")


def _short(text: str, n: int = 80) -> str:
    s = " ".join(text.split())
    return s if len(s) <= n else s[: n - 3] + "..."


def minimal_quote(norm: anchoring.NormText, raw_text: str, match: anchoring.Match) -> dict:
    """The shortest quote (exact, then a few words of suffix and/or prefix) that anchors at ``match``."""
    exact = " ".join(raw_text[match.start:match.end].split())
    if anchoring.find(norm, exact).matches == (match,):
        return {"exact": exact}
    needle = anchoring.normalize_str(exact).strip()
    h = next(h for h in _occurrences(norm, needle) if anchoring._to_raw(norm, h, h + len(needle)) == match)
    before_words = norm.text[:h].split()
    after_words = norm.text[h + len(needle):].split()
    # Whole words of context; the quote itself may start or end inside a word.
    lead_partial = h > 0 and not norm.text[h - 1].isspace()
    trail_partial = h + len(needle) < len(norm.text) and not norm.text[h + len(needle)].isspace()
    for k in range(1, 13):
        for use_prefix, use_suffix in ((False, True), (True, False), (True, True)):
            q = {"exact": exact}
            if use_suffix:
                words = after_words[:k]
                if not words:
                    continue
                q["suffix"] = ("" if trail_partial else " ") + " ".join(words)
            if use_prefix:
                words = before_words[-k:]
                if not words:
                    continue
                q["prefix"] = " ".join(words) + ("" if lead_partial else " ")
            outcome = anchoring.find(norm, exact, q.get("prefix", ""), q.get("suffix", ""))
            if outcome.matches == (match,):
                return q
    # Fall back to everything around it.
    return {"exact": exact, "prefix": " ".join(before_words[-20:]) + " ", "suffix": " " + " ".join(after_words[:20])}


# ------------------------------------------------------------- YAML output

_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\x85]")


def yaml_str(value: str) -> str:
    """A YAML double-quoted scalar for ``value`` (JSON escapes, which YAML accepts)."""
    out = json.dumps(value, ensure_ascii=False)
    return _NON_PRINTABLE.sub(lambda m: "\\u%04x" % ord(m.group()) if ord(m.group()) < 0x10000
                              else "\\U%08x" % ord(m.group()), out)


def _block(value: str, indent: str) -> str | None:
    """A literal block scalar (``|`` or ``|-``) for ``value``, or None when one cannot hold it exactly."""
    stripped = value.rstrip("\n")
    trailing = len(value) - len(stripped)
    if (not stripped or trailing > 1 or _NON_PRINTABLE.search(value) or "\r" in value or "\t" in value
            or stripped[:1] == " "):
        return None
    lines = stripped.split("\n")
    if any(ln != "" and not ln.strip() for ln in lines):
        return None  # whitespace-only lines: leave them to a quoted scalar
    body = "\n".join((indent + "  " + ln) if ln else "" for ln in lines)
    return ("|" if trailing == 1 else "|-") + "\n" + body


def item_yaml(item: dict, indent: str = "  ") -> str:
    """One annotation as a YAML sequence item, in the style of the default content."""
    pad = indent + "  "
    lines = [f"{indent}- id: {item['id']}", f"{pad}kind: {item['kind']}"]
    if item.get("verdict"):
        lines.append(f"{pad}verdict: {item['verdict']}")
    q = item["quote"]
    if set(q) == {"exact"}:
        lines.append(f"{pad}quote: {yaml_str(q['exact'])}")
    else:
        lines.append(f"{pad}quote:")
        for k in ("exact", "prefix", "suffix"):
            if q.get(k):
                lines.append(f"{pad}  {k}: {yaml_str(q[k])}")
    if item.get("original"):
        lines.append(f"{pad}original:")
        lines.append(f"{pad}  text: {yaml_str(item['original']['text'])}")
        lines.append(f"{pad}  lang: {item['original']['lang']}")
    block = _block(item["body"], pad)
    lines.append(f"{pad}body: {block}" if block is not None else f"{pad}body: {yaml_str(item['body'])}")
    if item.get("entities"):
        lines.append(f"{pad}entities: [{', '.join(item['entities'])}]")
    if item.get("sources"):
        lines.append(f"{pad}sources:")
        for s in item["sources"]:
            lines.append(f"{pad}  - title: {yaml_str(s['title'])}")
            for k in ("publisher", "date", "url", "excerpt", "lang"):
                if s.get(k):
                    lines.append(f"{pad}    {k}: {yaml_str(s[k])}")
    if item.get("tags"):
        lines.append(f"{pad}tags: [{', '.join(yaml_str(t) for t in item['tags'])}]")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- merging

@dataclass
class ImportResult:
    path: Path
    format: str
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: bool = False
    importable: int = 0  # annotations without errors (what --skip-invalid would import)
    text: str = ""  # the new file text (also when not written: dry run or errors)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def _existing_items(text: str, rel: str) -> tuple[list[tuple[dict, int, int]], int | None, str | None]:
    """(items as (value, start line, end line), indent column, problem) of an annotation file's text."""
    diags = Diagnostics()
    from . import loader
    node = loader.compose_yaml(text, rel, diags)
    if diags.items:
        return [], None, diags.items[0].format()
    if node is None:
        return [], None, None
    if not isinstance(node, yaml.MappingNode):
        return [], None, f"{rel}: expected a mapping with the key 'annotations'"
    seq = None
    for k, v in node.value:
        if getattr(k, "value", None) != "annotations":
            return [], None, f"{rel}: unknown key '{getattr(k, 'value', '?')}'; fix the file before importing into it"
        seq = v
    if seq is None or (isinstance(seq, yaml.ScalarNode) and seq.value in ("", "~", "null")):
        return [], None, None
    if not isinstance(seq, yaml.SequenceNode):
        return [], None, f"{rel}: 'annotations' is not a list; fix the file before importing into it"
    if seq.flow_style and seq.value:
        return [], None, (f"{rel}: 'annotations' is written as a [flow list]; write it as a block list "
                          "(one '- id: ...' item per annotation) before importing into it")
    items = []
    lines = text.split("\n")
    ctx = Ctx(rel, Diagnostics())
    for i, child in enumerate(seq.value):
        start = child.start_mark.line
        end = seq.value[i + 1].start_mark.line if i + 1 < len(seq.value) else len(lines)
        value = ANNOTATION.convert(child, ctx, ("annotations", i))
        if value is MISSING or not isinstance(value, dict):
            value = {}
            if isinstance(child, yaml.MappingNode):
                for k, v in child.value:
                    if getattr(k, "value", None) == "id" and isinstance(v, yaml.ScalarNode):
                        value = {"id": v.value}
        items.append((value, start, end))
    column = None
    if seq.value:
        line = lines[seq.value[0].start_mark.line]
        column = len(line) - len(line.lstrip(" "))
    return items, column, None


def _comparable(value: dict) -> dict:
    """An annotation item as plain data, for deciding whether two are the same."""
    out = dict(value)
    q = out.get("quote")
    if isinstance(q, str):
        out["quote"] = {"exact": q}
    for k in ("entities", "tags", "sources"):
        if not out.get(k):
            out.pop(k, None)
    if isinstance(out.get("body"), str):
        out["body"] = out["body"].rstrip("\n")
    return out


def _same_annotation(a: dict, b: dict) -> bool:
    ca, cb = _comparable(a), _comparable(b)
    # Quotes are equivalent when they anchor at the same place; the caller compares spans.
    ca.pop("quote", None)
    cb.pop("quote", None)
    return ca == cb


def import_annotations(root: Path, slug: str, data: Any, *, replace: bool = False, skip_invalid: bool = False,
                       dry_run: bool = False, source_name: str = "") -> ImportResult:
    """Anchor the annotations in ``data`` (parsed JSON) in document ``slug`` and merge them into
    ``content/annotations/<slug>.yml``.

    Nothing is written when any error remains (unless ``skip_invalid``: then the
    annotations with errors are left out and reported).  An incoming annotation
    whose id exists already is skipped when it is the same annotation, reported
    as an ``import-conflict`` error when it differs, or replaces the existing one
    with ``replace``.
    """
    from . import loader

    rel = f"content/annotations/{slug}.yml"
    path = root / rel
    result = ImportResult(path=path, format="")
    where_pos = Pos(source_name or "import")

    def report(severity: str, code: str, message: str, *notes: str) -> None:
        sev = Severity.ERROR if severity == "error" else Severity.WARNING
        result.diagnostics.append(Diagnostic(code, sev, where_pos, message, tuple(notes)))

    try:
        fmt, incoming = parse_import(data)
    except ImportFormatError as exc:
        report("error", "import-format", str(exc))
        return result
    result.format = fmt

    diags = Diagnostics()
    content = loader.load(root, diags)
    if content is None:
        report("error", "import-project", f"cannot read the project at {root}: " +
               "; ".join(d.format() for d in diags.errors[:3]))
        return result
    doc = next((d for d in content.documents if d.slug == slug), None)
    if doc is None:
        known = ", ".join(sorted(d.slug for d in content.documents)) or "none"
        report("error", "unknown-document", f"no document '{slug}' (content/documents/{slug}.md); documents: {known}")
        return result
    site = content.site
    base = site_base(site)
    md = Markdown(allow_html=site.allow_raw_html)
    projection = md.parse(doc.body).projection
    norm = anchoring.normalize(projection.text)
    entity_ids = {e.id for e in content.entities}
    by_iri: dict[str, str] = {}
    for eid in entity_ids:
        path_ = urls.entity_path(eid).path
        by_iri[iri(site, path_, base)] = eid
        by_iri[iri(site, path_, "")] = eid
    doc_iris = {iri(site, urls.document_path(d.slug).path, b): d.slug
                for d in content.documents for b in {base, ""}}

    existing_text = path.read_text(encoding="utf-8") if path.is_file() else None
    existing, column, problem = _existing_items(existing_text or "", rel)
    if problem:
        report("error", "import-existing", f"{problem}")
        return result
    existing_by_id = {v.get("id"): (v, s, e) for v, s, e in existing if isinstance(v.get("id"), str)}
    existing_spans: dict[str, anchoring.Match | None] = {}
    for aid, (v, _, _) in existing_by_id.items():
        q = v.get("quote")
        q = {"exact": q} if isinstance(q, str) else (q if isinstance(q, dict) else {})
        outcome = anchoring.find(norm, str(q.get("exact", "")), str(q.get("prefix", "")), str(q.get("suffix", "")))
        existing_spans[aid] = outcome.matches[0] if outcome.ok else None

    new_items: list[dict] = []
    replace_items: dict[str, dict] = {}
    used_ids = set(existing_by_id)
    planned: set[str] = set()
    for inc in incoming:
        local: list[tuple[str, str, str]] = list(inc.problems)
        # The document it targets, when we can tell.
        target_slug = doc_iris.get(inc.target_source.split("#")[0]) if inc.target_source else None
        if target_slug is None and inc.target_source:
            m = _DOCUMENT_RE.search(urlsplit(inc.target_source.split("#")[0]).path)
            if m:
                target_slug = m.group(1)
        if target_slug is not None and target_slug != slug:
            local.append(("error", "import-wrong-document",
                          f"it targets document '{target_slug}' ({inc.target_source}), not '{slug}'"))
        match = None
        if not any(p[0] == "error" for p in local):
            own_positions = inc.position if (target_slug == slug) else None
            match, why = locate(norm, projection.text, inc.exact, inc.prefix, inc.suffix, own_positions)
            if match is None:
                local.append(("error", "quote-not-found" if "not found" in why or "empty" in why else "quote-ambiguous", why))
        # Body, kind, verdict.
        body = inc.body if inc.body.strip() else ""
        if not body:
            local.append(("error", "import-empty-body", "the annotation has no text (a highlight without a note)"))
        elif not body.endswith("\n"):
            body += "\n"
        kind = inc.kind if inc.kind in ANNOTATION_KINDS else "note"
        verdict = inc.verdict
        if kind == "fact-check" and not verdict:
            local.append(("error", "missing-field", "a fact-check needs a verdict (a body with purpose 'classifying', "
                                                    "or a Hypothesis tag such as 'verdict:false')"))
        if kind != "fact-check" and verdict:
            local.append(("warning", "import-verdict-dropped", f"verdict '{verdict}' dropped: only fact-checks take one"))
            verdict = ""
        # Entities.
        entities: list[str] = []
        for value, _purpose in inc.entity_iris:
            eid = by_iri.get(value)
            if eid is None:
                m = _GLOSSARY_RE.search(urlsplit(value).path if "://" in value else value)
                if m and m.group(1) in entity_ids:
                    eid = m.group(1)
            if eid is None:
                local.append(("warning", "import-body-ignored", f"body {value} is not a glossary entry of this project; left out"))
            elif eid not in entities:
                entities.append(eid)
        for eid in inc.entity_ids:
            if eid in entity_ids:
                if eid not in entities:
                    entities.append(eid)
            else:
                local.append(("warning", "unknown-entity", f"tag 'entity:{eid}': no glossary entry '{eid}'; left out"))
        # Hypothesis tags that name a glossary id link the entity.
        tags: list[str] = []
        for t in inc.tags:
            if t in entity_ids and not inc.entity_iris:
                if t not in entities:
                    entities.append(t)
                continue
            clean = re.sub(r"[^A-Za-z0-9 _.-]+", "-", t).strip(" -_.")
            if not clean or not TAG_RE.match(clean):
                local.append(("warning", "import-tag-dropped", f"tag '{t}' cannot be written as a tag; left out"))
                continue
            if clean != t:
                local.append(("warning", "import-tag-changed", f"tag '{t}' written as '{clean}'"))
            if clean not in tags:
                tags.append(clean)
        sources = []
        for s in inc.sources:
            if s.get("title") and s.get("publisher") and s.get("date"):
                sources.append(s)
            else:
                local.append(("warning", "import-source-dropped",
                              f"citation {s.get('title') or s.get('url') or '?'} lacks a title, publisher or date; left out"))
        # The id.
        aid = inc.id_hint if inc.id_hint and ID_RE.match(inc.id_hint) else ""
        if not aid:
            words = re.sub(r"[^a-z0-9]+", "-", " ".join(body.lower().split()[:6])).strip("-")[:40].strip("-")
            aid = f"imported-{words}" if words else "imported"
            n = 2
            candidate = aid
            while candidate in used_ids or candidate in planned:
                candidate = f"{aid}-{n}"
                n += 1
            aid = candidate
        label = f"{inc.where} → id '{aid}'"
        item: dict[str, Any] = {"id": aid, "kind": kind}
        if verdict:
            item["verdict"] = verdict
        if match is not None:
            item["quote"] = minimal_quote(norm, projection.text, match)
        if inc.original is not None:
            item["original"] = {"text": inc.original[0], "lang": inc.original[1]}
        item["body"] = body
        if entities:
            item["entities"] = entities
        if sources:
            item["sources"] = sources
        if tags:
            item["tags"] = tags
        # Check the item against the annotation spec, as the loader will.
        if match is not None and body:
            for sev, code, msg in _spec_problems(item):
                local.append((sev, code, msg))
        if aid in planned:
            local.append(("error", "duplicate-id", f"the import contains id '{aid}' twice"))
        errors = [p for p in local if p[0] == "error"]
        decision = ""
        if not errors and aid in existing_by_id:
            old, _, _ = existing_by_id[aid]
            same_place = existing_spans.get(aid) == match
            if same_place and _same_annotation(old, item):
                decision = "unchanged"
            elif replace:
                decision = "replace"
            else:
                local.append(("error", "import-conflict",
                              f"annotation '{aid}' already exists in {rel} and differs; "
                              "rename it in the import, or pass --replace to overwrite it"))
                errors = [p for p in local if p[0] == "error"]
        for sev, code, msg in local:
            report(sev, code, f"{label}: {msg}")
        if errors:
            result.skipped.append(aid)
            continue
        planned.add(aid)
        if decision == "unchanged":
            result.unchanged.append(aid)
        elif decision == "replace":
            replace_items[aid] = item
            result.replaced.append(aid)
        else:
            new_items.append(item)
            result.added.append(aid)

    result.importable = len(result.added) + len(result.replaced)
    if result.errors and not skip_invalid:
        result.added, result.replaced = [], []
        return result

    # Build the new file text: existing text kept as it is, items replaced in place, new ones appended.
    if existing_text is None or not existing:
        header = ""
        if existing_text is not None:
            keep = [ln for ln in existing_text.split("\n") if ln.lstrip().startswith("#")]
            header = "\n".join(keep) + ("\n" if keep else "")
        elif (root / "schemas" / "annotations.schema.json").is_file():
            header = "# yaml-language-server: $schema=../../schemas/annotations.schema.json\n"
        items_text = "\n".join(item_yaml(it) for it in new_items)
        text = header + "annotations:\n" + items_text if new_items else (existing_text or "annotations: []\n")
    else:
        lines = existing_text.split("\n")
        indent = " " * (column if column is not None else 2)
        out_lines: list[str] = []
        spans = sorted(((s, e, v.get("id")) for v, s, e in existing), key=lambda t: t[0])
        cursor = 0
        for s, e, aid in spans:
            if aid in replace_items:
                out_lines.extend(lines[cursor:s])
                # Keep blank lines and comments that close the old item's region.
                region = lines[s:e]
                tail = []
                while region and (not region[-1].strip() or region[-1].lstrip().startswith("#")):
                    tail.insert(0, region.pop())
                out_lines.extend(item_yaml(replace_items[aid], indent).rstrip("\n").split("\n"))
                out_lines.extend(tail)
                cursor = e
        out_lines.extend(lines[cursor:])
        text = "\n".join(out_lines)
        if new_items:
            if not text.endswith("\n"):
                text += "\n"
            text += "".join("\n" + item_yaml(it, indent) for it in new_items)
    result.text = text

    if not new_items and not replace_items:
        return result
    # Final check: the merged file through the real pipeline, on a copy of the project.
    problems = _check_merged(root, rel, text)
    for d in problems:
        result.diagnostics.append(d)
    if problems:
        result.added, result.replaced = [], []
        return result
    if dry_run:
        return result
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.import-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    result.written = True
    return result


def _spec_problems(item: dict) -> list[tuple[str, str, str]]:
    """Problems the loader would report for ``item`` (round trip through YAML text)."""
    from . import loader
    text = "annotations:\n" + item_yaml(item)
    diags = Diagnostics()
    node = loader.compose_yaml(text, "import", diags)
    out = [("error", d.code, d.message) for d in diags.items]
    if node is None or out:
        return out or [("error", "yaml-syntax", "internal error: the annotation could not be written as YAML")]
    seq = node.value[0][1]
    ctx = Ctx("import", diags)
    value = ANNOTATION.convert(seq.value[0], ctx, ("annotations", 0))
    out.extend(("error", d.code, d.message) for d in diags.items)
    if value is MISSING and not out:
        out.append(("error", "invalid-value", "the annotation does not match the annotation format"))
    elif value is not MISSING:
        back = dict(value)
        if back.get("body") != item["body"]:
            out.append(("error", "invalid-value", "internal error: the body does not survive YAML unchanged"))
    return out


def _check_merged(root: Path, rel: str, text: str) -> list[Diagnostic]:
    """Errors the merged file would add to ``site-builder check`` (new ones, in that file only).

    The stages that report on an annotation file run on a copy of the project
    before and after the merge: loading (the format), the cross-checks, and
    the analysis of the one document the file annotates (anchoring).  This
    module sits below the build, so it runs those stages itself.
    """
    with tempfile.TemporaryDirectory(prefix="sb-import-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(root / "content", copy / "content", symlinks=True,  # links are copied, never read
                        ignore=shutil.ignore_patterns(".git", "__pycache__"))
        before = _file_errors(copy, rel)
        target = copy / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        after = _file_errors(copy, rel)
    old = {(d.code, d.message) for d in before}
    return [d for d in after if (d.code, d.message) not in old]


def _file_errors(root: Path, rel: str) -> list[Diagnostic]:
    from . import loader, validate, xref
    from .mentions import Matcher

    diags = Diagnostics()
    content = loader.load(root, diags)
    if content is not None:
        md = Markdown(allow_html=content.site.allow_raw_html)
        validate.check(content, md, diags)
        slug = Path(rel).stem
        anns = {af.slug: af.annotations for af in content.annotation_files}.get(slug, ())
        doc = next((d for d in content.documents if d.slug == slug), None)
        if doc is not None:
            diags.extend(xref.analyse_document(doc, anns, md, Matcher(content.entities)).diagnostics)
    return [d for d in diags.errors if d.pos.path == rel]


MAX_IMPORT_CHARS = 100_000_000


def load_import_file(path: str | Path) -> Any:
    """Parse an import file (JSON or JSON-LD; ``-`` reads standard input)."""
    import sys
    if str(path) == "-":
        raw = sys.stdin.read(MAX_IMPORT_CHARS + 1)
    else:
        with open(path, encoding="utf-8-sig") as fh:  # bounded: a device or a wrong file never fills memory
            raw = fh.read(MAX_IMPORT_CHARS + 1)
    if len(raw) > MAX_IMPORT_CHARS:
        raise ImportFormatError(f"the file is larger than {MAX_IMPORT_CHARS // 1_000_000} MB; is it the right file?")
    if not raw.strip():
        raise ImportFormatError("the file is empty")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        # JSON Lines (one annotation per line) as a fallback.
        rows = []
        for line in raw.splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                raise ImportFormatError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        return rows
