"""The sitemap (``sitemap.xml``) and the Atom feed (``feed.xml``), both only when the site's address is known.

Split from :mod:`publish`, which calls :func:`sitemap_and_feed` and re-exports the names
here. With a cache dict kept between builds (the live server), the sitemap is kept while the
pages are the same and each feed entry while its document, analysis text and count are, so an
edit makes one entry again instead of both files over every page (docs/performance.md,
"index-pages").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Iterable

from . import __version__, urls, webannotation
from .epoch import source_date_epoch
from .model import Content, Document, Site
from .urls import FEED, OutPath

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"
DESCRIPTION_LIMIT = 300  # characters of og:description / twitter:description (and a feed summary)

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def page_url(base: str, path: OutPath, fragment: str = "") -> str:
    """Absolute URL of output ``path`` under ``base``; ``…/index.html`` becomes ``…/``."""
    p = path.path
    if p == "index.html":
        p = ""
    elif p.endswith("/index.html"):
        p = p[: -len("index.html")]
    return base + p + (f"#{fragment}" if fragment else "")


def clip(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


def sitemap_and_feed(content: Content, analyses: list, base: str, pages: Iterable[OutPath],
                     cache: dict | None = None) -> tuple[bytes, bytes]:
    """``sitemap.xml`` over ``pages`` and ``feed.xml``; ``cache`` keeps what an edit does not change."""
    site = content.site
    page_list = tuple(sorted(set(pages), key=lambda p: (p != urls.HOME, p.count("/"), p.path)))
    key = (base, site.date, page_list)
    hit = cache.get("sitemap") if cache is not None else None
    if hit is None or hit[0] != key:
        hit = (key, sitemap_xml(site, base, page_list))
        if cache is not None:
            cache["sitemap"] = hit
    feed = atom_feed(content, analyses, base, entries=cache.setdefault("feed", {}) if cache is not None else None)
    return hit[1], feed


def _xml_text(value: str) -> str:
    return _XML_INVALID.sub("", value)


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def sitemap_xml(site: Site, base: str, pages: Iterable[OutPath]) -> bytes:
    """sitemaps.org 0.9: every page but 404.html; lastmod is the briefing's date when set."""
    root = ET.Element("urlset", xmlns=SITEMAP_NS)
    for p in pages:
        if p == urls.NOT_FOUND or not p.path.endswith(".html"):
            continue
        u = ET.SubElement(root, "url")
        ET.SubElement(u, "loc").text = page_url(base, p)
        if site.date:
            ET.SubElement(u, "lastmod").text = site.date
    return _serialise(root)


def rfc3339(date: str) -> str:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as an RFC 3339 timestamp at midnight UTC."""
    parts = date.split("-") + ["01", "01"]
    return f"{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z"


def _build_time() -> str:
    """The feed's <updated> when the content has no date at all: SOURCE_DATE_EPOCH,
    else the Unix epoch, never the clock, so two builds stay byte-identical
    (set ``date`` in site.yml to give feed readers a real one)."""
    seconds = source_date_epoch() or 0
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(content: Content, analyses: list, base: str, entries: dict | None = None) -> bytes:
    """An Atom 1.0 feed (RFC 4287) with one entry per document, newest first.

    ``entries`` (a dict kept between builds): each document's entry, serialised, with what it was
    made from; an entry is made again only when its document, analysis text, count or the site's
    address or date changed (the feed is the same bytes either way).
    """
    site = content.site
    by_slug = {an.doc.slug: an for an in analyses}
    dates = [d for d in [site.date, *(doc.date for doc in content.documents)] if d]
    feed_updated = rfc3339(max(dates, key=rfc3339)) if dates else _build_time()

    ET.register_namespace("", ATOM_NS)
    a = f"{{{ATOM_NS}}}"
    root = ET.Element(f"{a}feed", {"{http://www.w3.org/XML/1998/namespace}lang": site.language or "en"})
    ET.SubElement(root, f"{a}id").text = base
    ET.SubElement(root, f"{a}title").text = _xml_text(site.title)
    if site.subtitle or site.description:
        ET.SubElement(root, f"{a}subtitle").text = _xml_text(site.description or site.subtitle)
    ET.SubElement(root, f"{a}link", rel="self", type="application/atom+xml", href=base + FEED.path)
    ET.SubElement(root, f"{a}link", rel="alternate", type="text/html", href=page_url(base, urls.HOME))
    ET.SubElement(root, f"{a}updated").text = feed_updated
    author = ET.SubElement(root, f"{a}author")
    ET.SubElement(author, f"{a}name").text = _xml_text(site.author or site.organisation or site.title)
    ET.SubElement(root, f"{a}generator", version=__version__).text = "site_builder"

    order = {d.slug: i for i, d in enumerate(content.documents)}
    docs = sorted(content.documents, key=lambda d: (d.date and rfc3339(d.date) or "", -order[d.slug]), reverse=True)
    head = _serialise(root)  # the feed without entries: they go before its closing tag
    memo = entries if entries is not None else {}
    made: list[str] = []
    for doc in docs:
        an = by_slug.get(doc.slug)
        text = an.text if an is not None else ""
        n = len(an.annotations) if an is not None else 0
        hit = memo.get(doc.slug)
        if hit is None or not (hit[0] is doc or hit[0] == doc) or hit[1] != text or hit[2:5] != (n, base, site.date) \
                or hit[5] != feed_updated:
            hit = (doc, text, n, base, site.date, feed_updated, _feed_entry(site, doc, text, n, base, feed_updated))
            memo[doc.slug] = hit
        made.append(hit[6])
    if entries is not None and len(memo) > len(docs):  # documents deleted
        for slug in set(memo) - {d.slug for d in docs}:
            del memo[slug]
    closing = b"\n</feed>\n"
    assert head.endswith(closing)
    return head[:-len(closing)] + "".join("\n  " + e for e in made).encode("utf-8") + closing


def _feed_entry(site: Site, doc: Document, text: str, n: int, base: str, feed_updated: str) -> str:
    """One document's ``<entry>``, serialised as it stands in the feed (indented one level)."""
    a = f"{{{ATOM_NS}}}"
    wrapper = ET.Element(f"{a}feed")
    e = ET.SubElement(wrapper, f"{a}entry")
    link = page_url(base, urls.document_path(doc.slug))
    ET.SubElement(e, f"{a}id").text = link
    ET.SubElement(e, f"{a}title").text = _xml_text(doc.title)
    ET.SubElement(e, f"{a}link", rel="alternate", type="text/html", href=link)
    ET.SubElement(e, f"{a}link", rel="related", type=webannotation.MEDIA_TYPE,
                  href=base + webannotation.collection_path(doc.slug).path,
                  title="Annotations (W3C Web Annotation)")
    entry_dates = [d for d in (site.date, doc.date) if d]
    ET.SubElement(e, f"{a}updated").text = rfc3339(max(entry_dates, key=rfc3339)) if entry_dates else feed_updated
    if doc.date:
        ET.SubElement(e, f"{a}published").text = rfc3339(doc.date)
    summary = doc.summary or clip(text)
    summary = f"{summary} ({n} annotation{'s' * (n != 1)})" if summary else f"{n} annotation{'s' * (n != 1)}"
    ET.SubElement(e, f"{a}summary", type="text").text = _xml_text(summary)
    for tag in doc.tags:
        ET.SubElement(e, f"{a}category", term=_xml_text(tag))
    ET.indent(wrapper, space="  ")
    xml = ET.tostring(wrapper, encoding="unicode")
    start = xml.index("<", xml.index(">") + 1)  # after the wrapper's start tag and the indentation
    return xml[start:xml.rindex("</")].rstrip("\n")
