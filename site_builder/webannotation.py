"""W3C Web Annotation Data Model: each document's annotations exported as JSON-LD.

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

Importing them back (``import-annotations``) is :mod:`site_builder.annotation_import`.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any, Iterable
from urllib.parse import urlsplit

from . import urls
from .model import Annotation, Site
from .schema import CNAME_RE
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


@functools.lru_cache(maxsize=65536)
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


# Containers nested deeper than this are written on one line each, without spaces: in a
# collection that is one annotation a line (collection -> page -> items -> annotation).
LINE_DEPTH = 3


def dumps(data: Any) -> bytes:
    """Stable JSON (UTF-8, keys in the order written), one annotation a line.

    The outer containers (the collection, its page and its list of items) are
    indented by two spaces; anything nested ``LINE_DEPTH`` deep, in a
    collection each annotation, is written compactly on one line (about 40%
    fewer bytes than indenting everything; ``python -m json.tool`` indents it
    all). Strings are encoded by the C encoder.
    """
    try:
        text = _indented(data, "\n", LINE_DEPTH)
    except _Unsupported:
        text = _compact(data)
    return (text + "\n").encode("utf-8")


def _compact(o: Any) -> str:
    return json.dumps(o, ensure_ascii=False, separators=(",", ":"))


class _Unsupported(Exception):
    """A value json.dumps would turn into text in its own way (or refuse): left to it."""


_encode_str = json.encoder.encode_basestring  # ensure_ascii=False; C-accelerated


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o in (float("inf"), float("-inf")):
        return "Infinity" if o > 0 else "-Infinity"
    return float.__repr__(o)


def _key(k) -> str:
    if isinstance(k, str):
        return _encode_str(k)
    if isinstance(k, float):
        return _encode_str(_float(k))
    if k is True or k is False or k is None:
        return _encode_str({True: "true", False: "false", None: "null"}[k])
    if isinstance(k, int):
        return _encode_str(int.__repr__(k))
    raise _Unsupported


def _indented(o: Any, newline: str, depth: int) -> str:
    """``o`` as json.dumps(indent=2) writes it at the depth ``newline`` (a newline and the indent)
    gives, down to ``depth`` levels of containers; deeper ones compact on one line."""
    if isinstance(o, str):
        return _encode_str(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        return _float(o)
    if depth == 0:
        return _compact(o)
    if isinstance(o, (list, tuple)):
        if not o:
            return "[]"
        inner = newline + "  "
        return "[" + inner + ("," + inner).join([_indented(v, inner, depth - 1) for v in o]) + newline + "]"
    if isinstance(o, dict):
        if not o:
            return "{}"
        inner = newline + "  "
        return "{" + inner + ("," + inner).join([_key(k) + ": " + _indented(v, inner, depth - 1)
                                                  for k, v in o.items()]) + newline + "}"
    raise _Unsupported


def collection_files(content, analyses, *, base: str = "", cache: dict | None = None) -> dict[OutPath, bytes]:
    """``annotations/<slug>.jsonld`` for every document.

    ``cache`` (a dict kept between builds, e.g. by the live server): a document's
    file is reused while its analysis is the very same object (the build cache
    hands back unchanged analyses as they were) and the site settings, base URL
    and glossary ids are unchanged; the files of the last build are kept in
    document order and only those of changed documents replaced.
    """
    known = frozenset(e.id for e in content.entities)
    setting = (content.site, base, known)
    if cache is None:
        return {collection_path(an.doc.slug): dumps(collection(content.site, an, base=base, known_entities=known))
                for an in analyses}
    if cache.get("setting") != setting:
        cache.clear()
    cache["setting"] = setting
    docs: dict = cache.setdefault("documents", {})  # slug -> (analysis, its file, its path)
    out: dict[OutPath, bytes] | None = cache.get("files")
    changed = []
    for an in analyses:
        slug = an.doc.slug
        hit = docs.get(slug)
        if hit is not None and hit[0] is an:
            continue
        path = hit[2] if hit is not None else collection_path(slug)
        docs[slug] = (an, dumps(collection(content.site, an, base=base, known_entities=known)), path)
        changed.append((hit is None, slug))
    if out is None or len(docs) != len(analyses) or any(new for new, _ in changed):
        # A document came, went or was renamed: the files again, in document order.
        for slug in set(docs) - {an.doc.slug for an in analyses}:
            del docs[slug]
        out = cache["files"] = {docs[an.doc.slug][2]: docs[an.doc.slug][1] for an in analyses}
    else:
        for _, slug in changed:
            _, data, path = docs[slug]
            out[path] = data
    return dict(out)
