"""Original beside translation: documents that declare ``translation_of``.

A translation is shown beside its original row by row.  Which blocks of the
one sit beside which of the other is decided by :mod:`alignment`: block by
block in order when neither text has markers, or section by section where
the author wrote ``{align: LABEL}`` lines (:mod:`alignmarks`) because the
paragraphs do not correspond one to one.  When they cannot be aligned the
build stops with positioned errors (``translation-misaligned``,
``align-marker-*``).

An annotation of a translation may name its ``counterpart``: the passage of
the original that its quoted text translates.  It is anchored in the
original's text like any quote (``counterpart-not-found`` and
``counterpart-ambiguous`` otherwise) and marked, at that same place (the
prefix and suffix pick one of several occurrences), in the copy of the
original shown beside the translation, so that selecting the highlight marks
both.

This module checks (after analysis) and builds the views the document
template shows; ``render`` calls :func:`views` once per build.
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

from . import alignment, anchoring, urls
from .alignment import Side
from .diagnostics import Diagnostics, Pos, did_you_mean
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


class ParallelRow(NamedTuple):
    """One row of a translation page: these of its blocks beside this part of the original."""

    blocks: tuple[int, ...]  # indices of the translation's blocks (one, or several that render one)
    original: str  # the original's blocks of the row, as HTML


class TranslationView(NamedTuple):
    role: str  # "translation" (this page shows the original beside it) or "original"
    others: tuple[OtherSide, ...]  # the original, or every translation of this original
    translator: str = ""
    note: str = ""
    rows: tuple[ParallelRow, ...] = ()  # translation pages: every block of the translation in one row
    original_lang: str = ""


def _side(an: DocumentAnalysis) -> Side:
    return Side(an.doc.slug, an.doc.path, an.doc.body_pos.line, len(an.blocks), an.layout)


def _pairs(content: Content, by_slug: dict[str, DocumentAnalysis]) -> list[tuple[Document, Document]]:
    """(translation, original) for every translation_of that names a valid original."""
    docs = {d.slug: d for d in content.documents}
    out = []
    for d in content.documents:
        o = docs.get(d.translation_of) if d.translation_of and d.translation_of != d.slug else None
        if o is not None and not o.translation_of:
            out.append((d, o))
    return out


def check(content: Content, analyses: list[DocumentAnalysis], diags: Diagnostics, memo: dict | None = None) -> None:
    """Every translation_of names another document, which is no translation itself; both align (by order or by
    their markers); every marker is well formed and used; every counterpart quote anchors once in the original.

    ``memo`` (a live server's): whether each annotation file names a counterpart, kept with the file."""
    if not any(d.translation_of for d in content.documents) and not any(an.layout.markers for an in analyses) \
            and not _any_counterpart(content.annotation_files, memo):
        return  # no pair, no marker and no counterpart: nothing below could report anything
    docs = {d.slug: d for d in content.documents}
    by_slug = {an.doc.slug: an for an in analyses}
    for d in content.documents:
        if not d.translation_of:
            continue
        original = docs.get(d.translation_of)
        if d.translation_of == d.slug:
            diags.error("translation-unknown", d.translation_pos, "a document cannot be a translation of itself")
        elif original is None:
            diags.error("translation-unknown", d.translation_pos,
                        f"translation_of names an unknown document '{d.translation_of}'"
                        + did_you_mean(d.translation_of, [s for s in docs if s != d.slug]))
        elif original.translation_of:
            diags.error("translation-unknown", d.translation_pos,
                        f"'{original.slug}' is itself a translation (of '{original.translation_of}'): name the "
                        f"original, translation_of: {original.translation_of}")
    _check_alignment(content, by_slug, diags)
    _check_counterparts(content, docs, by_slug, diags)


def _any_counterpart(files, memo: dict | None) -> bool:
    """Whether any annotation in ``files`` names a counterpart; ``memo``: the answer per file, kept with it."""
    found = False
    fresh = {}
    for af in files:
        hit = memo.get(af.slug) if memo is not None else None
        if hit is None or hit[0] is not af:
            hit = (af, any(a.counterpart is not None for a in af.annotations))
        fresh[af.slug] = hit
        found = found or hit[1]
        if found and memo is None:
            return True
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    return found


def _report(diags: Diagnostics, problems) -> None:
    for p in problems:
        diags.error(p.code, p.pos, p.message, *p.notes)


def _check_alignment(content: Content, by_slug: dict[str, DocumentAnalysis], diags: Diagnostics) -> None:
    pairs = _pairs(content, by_slug)
    paired = {d.slug for pair in pairs for d in pair}
    malformed: set[str] = set()  # documents whose markers are reported already: their pairs are not aligned
    for an in by_slug.values():
        if not an.layout.markers:
            continue
        side = _side(an)
        if an.doc.slug in paired:
            problems = alignment.marker_problems(side)
            _report(diags, problems)
            if problems:
                malformed.add(an.doc.slug)
        elif not an.doc.translation_of:  # a translation_of that names no original is reported above
            first = an.layout.markers[0]
            n = len(an.layout.markers)
            diags.error("align-marker-unpaired", side.pos(first),
                        f"'{an.doc.slug}' has {n} alignment marker{'s' * (n != 1)} ({{align: {first.label}}}"
                        f"{' …' if n > 1 else ''}) but is in no translation pair: markers align a translation "
                        "with its original",
                        "name the original with translation_of, or remove the markers")
    used: dict[str, set[str]] = {}  # original slug -> labels its translations name
    clean: dict[str, bool] = {}  # original slug -> every translation's markers are in it
    for d, o in pairs:
        mine, theirs = by_slug.get(d.slug), by_slug.get(o.slug)
        if mine is None or theirs is None:
            continue
        if d.slug in malformed or o.slug in malformed:
            clean[o.slug] = False
            continue
        result = alignment.align(_side(mine), _side(theirs), d.translation_pos)
        _report(diags, result.problems)
        used.setdefault(o.slug, set()).update(m.label for m in alignment.good_markers(_side(mine)))
        clean[o.slug] = clean.get(o.slug, True) and not any(
            p.code == "align-marker-unmatched" for p in result.problems)
    for slug, labels in used.items():
        if not clean.get(slug, True):
            continue  # the translation's unmatched markers are reported; the original's would say it again
        side = _side(by_slug[slug])
        names = ", ".join(f"'{d.slug}'" for d, o in pairs if o.slug == slug)
        for m in alignment.good_markers(side):
            if m.label not in labels:
                diags.error("align-marker-unmatched", side.pos(m),
                            f"marker '{m.label}' of '{slug}' is in none of its translations ({names})",
                            f"{alignment.HOW}, or remove it")


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


def mark_passage(block_html: str, exact: str, ann_id: str, occurrence: int = 0) -> str | None:
    """``block_html`` with the visible text ``exact`` (whitespace-insensitive) wrapped in counterpart marks, one per
    text run it crosses; the ``occurrence``-th (from 0) where the text holds it more than once (the last one if it
    holds fewer).  None if the block does not hold it."""
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
    if not needle or len(hay) != len(squashed):
        return None
    at = -1
    for _ in range(occurrence + 1):
        nxt = hay.find(needle, at + 1)
        if nxt < 0:
            break
        at = nxt
    if at < 0:
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


def _occurrence(block_text: str, at: int, piece: str) -> int:
    """How many times ``piece`` (normalised, whitespace-insensitive) occurs in ``block_text`` before offset ``at``."""
    needle = " ".join(anchoring.normalize_str(piece).split())
    full = anchoring.normalize_str(block_text)
    before = len(anchoring.normalize_str(block_text[:at]))
    n, i = 0, full.find(needle)
    while 0 <= i < before:
        n += 1
        i = full.find(needle, i + 1)
    return n


def _mark_counterpart(copies: list[str], original: DocumentAnalysis, norm: anchoring.NormText, exact: str,
                      prefix: str, suffix: str, ann_id: str) -> None:
    """Mark the counterpart where anchoring finds it (prefix and suffix pick one of several), block by block."""
    found = anchoring.find(norm, exact, prefix, suffix)
    if len(found.matches) != 1:
        return  # reported by check
    m = found.matches[0]
    text = original.text
    offsets = list(original.layout.offsets)
    ends = offsets[1:] + [len(text)]
    for b, (s0, e0) in enumerate(zip(offsets, ends)):
        s, e = max(m.start, s0), min(m.end, e0)
        piece = text[s:e] if s < e else ""
        if not piece.strip() or b >= len(copies):
            continue
        marked = mark_passage(copies[b], piece, ann_id, _occurrence(text[s0:e0], s - s0, piece))
        if marked is not None:
            copies[b] = marked


def views(content: Content, analyses: list[DocumentAnalysis]) -> dict[str, TranslationView]:
    """The translation view of every document in a pair, by slug (documents in no pair are absent)."""
    if not any(d.translation_of for d in content.documents):
        return {}
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
            rows: tuple[ParallelRow, ...] = ()
            if original is not None and mine is not None:
                aligned = alignment.align(_side(mine), _side(original), Pos(d.path))
                if aligned.rows:
                    path = urls.document_path(slug)
                    copies = [_copy(b.html, path) for b in original.blocks]
                    norm = anchoring.normalize(original.text)
                    for a in anns.get(d.slug, ()):
                        if a.counterpart is not None:
                            q = a.counterpart
                            _mark_counterpart(copies, original, norm, q.exact, q.prefix, q.suffix, a.id)
                    rows = tuple(ParallelRow(r.translation, "".join(copies[i] for i in r.original))
                                 for r in aligned.rows)
            out[d.slug] = TranslationView("translation", (side(docs[slug]),), d.translator, d.translation_note,
                                          rows, docs[slug].lang(""))
    return out
