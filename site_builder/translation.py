"""Original beside translation: documents that declare ``translation_of``.

A translation is aligned with its original block by block, in order: the
n-th paragraph (heading, list, quotation) of the translation beside the n-th
of the original.  Both must have the same number of top-level blocks; when
they do not, the build stops with a ``translation-misaligned`` error at the
``translation_of`` line, naming both counts and the first pair whose kinds
differ (a heading beside a paragraph), so the author can find the split or
merged paragraph.

An annotation of a translation may name its ``counterpart``: the passage of
the original that its quoted text translates.  It is anchored in the
original's text like any quote (``counterpart-not-found`` and
``counterpart-ambiguous`` otherwise) and marked in the copy of the original
shown beside the translation, so that selecting the highlight marks both.

This module checks (after analysis) and builds the views the document
template shows; ``render`` calls :func:`views` once per build.
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

from . import anchoring, urls
from .diagnostics import Diagnostics, did_you_mean
from .model import Content, Document
from .xref import DocumentAnalysis

_TAG_RE = re.compile(r"<(/?)([a-zA-Z0-9]+)[^>]*>")
_ID_ATTRS_RE = re.compile(r'\s(?:id|aria-describedby|aria-labelledby|aria-controls|data-ann)="[^"]*"')
_NOTE_REF_RE = re.compile(r'<sup class="ann-ref[^"]*"[^>]*>.*?</sup>', re.S)
_ANCHOR_SPAN_RE = re.compile(r'<span class="hl-anchor"[^>]*></span>')
_HIGHLIGHT_RE = re.compile(r'<mark class="hl[^"]*"[^>]*>|</mark>')
_FRAGMENT_HREF_RE = re.compile(r'href="#')


class OtherSide(NamedTuple):
    """The document on the other side of a pair, as linked from this one."""

    slug: str
    title: str
    lang: str  # "" = the site's language
    path: urls.OutPath


class TranslationView(NamedTuple):
    role: str  # "translation" (this page shows the original beside it) or "original"
    others: tuple[OtherSide, ...]  # the original, or every translation of this original
    translator: str = ""
    note: str = ""
    originals: tuple[str, ...] = ()  # translation pages: the original's blocks as HTML, one per block
    original_lang: str = ""


def _block_kind(block_html: str) -> str:
    m = _TAG_RE.match(block_html.lstrip())
    return m.group(2).lower() if m else ""


def check(content: Content, analyses: list[DocumentAnalysis], diags: Diagnostics) -> None:
    """Every translation_of names another document, which is no translation itself; both align block by
    block; every counterpart quote anchors once in the original."""
    docs = {d.slug: d for d in content.documents}
    by_slug = {an.doc.slug: an for an in analyses}
    for d in content.documents:
        if not d.translation_of:
            continue
        original = docs.get(d.translation_of)
        if d.translation_of == d.slug:
            diags.error("translation-unknown", d.translation_pos, "a document cannot be a translation of itself")
            continue
        if original is None:
            diags.error("translation-unknown", d.translation_pos,
                        f"translation_of names an unknown document '{d.translation_of}'"
                        + did_you_mean(d.translation_of, [s for s in docs if s != d.slug]))
            continue
        if original.translation_of:
            diags.error("translation-unknown", d.translation_pos,
                        f"'{original.slug}' is itself a translation (of '{original.translation_of}'): name the "
                        f"original, translation_of: {original.translation_of}")
            continue
        mine, theirs = by_slug.get(d.slug), by_slug.get(original.slug)
        if mine is None or theirs is None:
            continue
        if len(mine.blocks) != len(theirs.blocks):
            first = next((i for i, (a, b) in enumerate(zip(mine.blocks, theirs.blocks))
                          if _block_kind(a.html) != _block_kind(b.html)), min(len(mine.blocks), len(theirs.blocks)))
            diags.error("translation-misaligned", d.translation_pos,
                        f"'{d.slug}' has {len(mine.blocks)} blocks (paragraphs, headings, lists) and its original "
                        f"'{original.slug}' {len(theirs.blocks)}: they are shown side by side block by block, so "
                        f"both need the same number; the first that differ is block {first + 1}",
                        "split or join paragraphs so that each block of the translation renders one of the original")
    _check_counterparts(content, docs, by_slug, diags)


def _check_counterparts(content: Content, docs: dict[str, Document], by_slug: dict[str, DocumentAnalysis],
                        diags: Diagnostics) -> None:
    for af in content.annotation_files:
        doc = docs.get(af.slug)
        for a in af.annotations:
            if a.counterpart is None:
                continue
            if doc is None or not doc.translation_of or doc.translation_of not in by_slug:
                diags.error("counterpart-without-original", a.counterpart_pos,
                            f"annotation '{a.id}' names a counterpart, but document '{af.slug}' declares no "
                            "translation_of: a counterpart is the passage of the original that the quote translates")
                continue
            original = by_slug[doc.translation_of]
            norm = anchoring.normalize(original.text)
            q = a.counterpart
            found = anchoring.find(norm, q.exact, q.prefix, q.suffix)
            if len(found.matches) > 1:
                diags.error("counterpart-ambiguous", a.counterpart_pos,
                            f"annotation '{a.id}': the counterpart '{q.exact.strip()}' occurs {len(found.matches)} "
                            f"times in '{original.doc.slug}': add a prefix or suffix to pick one",
                            *(anchoring.context(original.text, m) for m in found.matches[:5]))
            elif not found.matches:
                near = (f"closest passage: {anchoring.context(original.text, found.closest)}"
                        if found.closest is not None else "")
                diags.error("counterpart-not-found", a.counterpart_pos,
                            f"annotation '{a.id}': the counterpart '{q.exact.strip()}' is not in the original "
                            f"'{original.doc.slug}'", near)


def _copy(block_html: str, original_path: urls.OutPath) -> str:
    """A block of the original for the translation's page: without ids, note references and highlights,
    fragment links pointing at the original's page."""
    out = _NOTE_REF_RE.sub("", block_html)
    out = _ANCHOR_SPAN_RE.sub("", out)
    out = _HIGHLIGHT_RE.sub("", out)
    out = _ID_ATTRS_RE.sub("", out)
    name = original_path.path.rsplit("/", 1)[-1]
    return _FRAGMENT_HREF_RE.sub(f'href="{name}#', out)


def mark_passage(block_html: str, exact: str, ann_id: str) -> str | None:
    """``block_html`` with the visible text ``exact`` (whitespace-insensitive) wrapped in counterpart marks, one per
    text run it crosses; None if the block does not hold it."""
    pieces = []  # (is_text, raw)
    pos = 0
    for m in _TAG_RE.finditer(block_html):
        if m.start() > pos:
            pieces.append((True, block_html[pos:m.start()]))
        pieces.append((False, m.group(0)))
        pos = m.end()
    if pos < len(block_html):
        pieces.append((True, block_html[pos:]))
    visible, owners = [], []  # visible characters and (piece, offset in raw) for each
    for k, (is_text, raw) in enumerate(pieces):
        if not is_text:
            continue
        i = 0
        while i < len(raw):
            if raw[i] == "&":
                end = raw.find(";", i)
                end = end + 1 if 0 < end < i + 10 else i + 1
                ch = html.unescape(raw[i:end])
            else:
                end, ch = i + 1, raw[i]
            visible.append(ch)
            owners.append((k, i, end))
            i = end
    text = "".join(visible)
    squashed, index = [], []
    for j, c in enumerate(text):
        if c.isspace() and squashed and squashed[-1] == " ":
            continue
        squashed.append(" " if c.isspace() else c)
        index.append(j)
    needle = " ".join(anchoring.normalize_str(exact).split())
    hay = anchoring.normalize_str("".join(squashed))
    at = hay.find(needle) if needle else -1
    if at < 0 or len(hay) != len(squashed):
        return None
    first, last = index[at], index[at + len(needle) - 1]
    spans: dict[int, tuple[int, int]] = {}
    for j in range(first, last + 1):
        k, s, e = owners[j]
        lo, hi = spans.get(k, (s, e))
        spans[k] = (min(lo, s), max(hi, e))
    out = []
    for k, (is_text, raw) in enumerate(pieces):
        if k in spans:
            s, e = spans[k]
            out.append(f'{raw[:s]}<mark class="counterpart" data-counterpart="{html.escape(ann_id)}">{raw[s:e]}</mark>{raw[e:]}')
        else:
            out.append(raw)
    return "".join(out)


def views(content: Content, analyses: list[DocumentAnalysis]) -> dict[str, TranslationView]:
    """The translation view of every document in a pair, by slug (documents in no pair are absent)."""
    docs = {d.slug: d for d in content.documents}
    by_slug = {an.doc.slug: an for an in analyses}
    anns = {af.slug: af.annotations for af in content.annotation_files}
    out: dict[str, TranslationView] = {}
    translations: dict[str, list[Document]] = {}
    for d in content.documents:
        if d.translation_of and d.translation_of in docs and d.translation_of != d.slug:
            translations.setdefault(d.translation_of, []).append(d)

    def side(d: Document) -> OtherSide:
        return OtherSide(d.slug, d.title, d.lang(""), urls.document_path(d.slug))

    for slug, ds in translations.items():
        out[slug] = TranslationView("original", tuple(side(d) for d in ds))
        original = by_slug.get(slug)
        for d in ds:
            mine = by_slug.get(d.slug)
            originals: tuple[str, ...] = ()
            if original is not None and mine is not None and len(mine.blocks) == len(original.blocks):
                path = urls.document_path(slug)
                copies = [_copy(b.html, path) for b in original.blocks]
                for a in anns.get(d.slug, ()):
                    if a.counterpart is None:
                        continue
                    for i, block in enumerate(copies):
                        marked = mark_passage(block, a.counterpart.exact, a.id)
                        if marked is not None:
                            copies[i] = marked
                            break
                originals = tuple(copies)
            out[d.slug] = TranslationView("translation", (side(docs[slug]),), d.translator, d.translation_note,
                                          originals, docs[slug].lang(""))
    return out
