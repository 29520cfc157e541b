"""Social cards: the 1200x630 PNG image a link preview shows for each page (``og:image``).

A site-wide emitter: :func:`site_files` draws one card per page, at
``cards/<page path without .html>.png`` (:func:`site_builder.urls.card_path`),
with Pillow.  A card shows the briefing's title, the page's kind and title and,
for a document, its number of notes and its fact-checks by verdict.

* **Fonts.** The cards are drawn with the bundled subset of Noto Sans CJK SC
  (``site_builder/fonts/``, SIL Open Font License; ``scripts/make_card_fonts.py``
  makes it with fontTools): Latin, Greek, Cyrillic, punctuation and the 3,755
  most frequent Han characters, so Chinese titles show real glyphs.  A
  character the font lacks (fontTools reads its character map) is drawn as
  U+3013 GETA MARK, the typographers' sign for a missing character, never as
  an empty box that looks like a rendering fault.
* **Deterministic bytes.** Pillow's basic text layout (no system shaping
  library), a fixed palette, and a PNG with no text chunks or timestamps at a
  fixed compression level: the same card gives the same bytes in every build.
* **Cached by content.** Each card is keyed by a digest of everything drawn on
  it plus the fonts and :data:`DESIGN`; a cache dict kept by the caller (the
  live server's ``RenderCache.cards``) means only cards whose text changed are
  drawn again.

Cards are made only when the site's address is known: ``og:image`` must be an
absolute URL, and without one no page would point at them (see
docs/publishing.md).
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import re
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple

from PIL import Image, ImageDraw, ImageFont

from . import urls
from .labels import TYPE_SINGULAR
from .model import Content
from .urls import OutPath

WIDTH, HEIGHT = 1200, 630
FONT_DIR = Path(__file__).parent / "fonts"
FONT_FILES = {"regular": FONT_DIR / "CardSans-Regular.otf", "bold": FONT_DIR / "CardSans-Bold.otf"}
DESIGN = "card-v2"  # change when the drawing changes, so cached cards are redrawn
MISSING = "\u3013"  # GETA MARK: stands for a character the font does not have
PNG_COMPRESSION = 9  # zlib level, with the run-length strategy: the flat card compresses well and fast
PNG_ZLIB_RLE = 3  # zlib's Z_RLE

# Light palette of the site (style.css): paper, ink, muted, rule, accent and the verdict colours.
PAPER, INK, MUTED, RULE, ACCENT = "#fdfcf8", "#1d1d1f", "#55555e", "#d6d2c4", "#1a4fa3"
VERDICT_COLOURS = {"accurate": "#1b6e2d", "mostly-accurate": "#3c6511", "misleading": "#934600",
                   "unsupported": "#55555e", "false": "#ad1f29"}
KIND_COLOURS = {"document": "#1a4fa3", "entity": "#5b3596", "home": "#1d1d1f", "glossary": "#5b3596",
                "annotations": "#934600", "page": "#55555e"}


class Card(NamedTuple):
    """Everything drawn on one card (and nothing else: its digest is the cache key)."""

    page: OutPath
    site_title: str
    title: str
    kind: str  # home | document | entity | glossary | annotations | page
    label: str  # the kind as shown: "Document", "Glossary entry · Person", ...
    notes: int | None = None  # documents: number of notes (annotations)
    verdicts: tuple[tuple[str, int], ...] = ()  # documents: (verdict, fact-checks with it), in verdict order

    @property
    def path(self) -> OutPath:
        return urls.card_path(self.page)

    def digest(self) -> str:
        return _card_digest(self)


@lru_cache(maxsize=1 << 16)  # every page's card is digested on every build with a site address
def _card_digest(card: Card) -> str:
    h = hashlib.sha256(DESIGN.encode())
    h.update(_fonts_digest().encode())
    h.update(repr(tuple(card)).encode("utf-8"))
    return h.hexdigest()


# ------------------------------------------------------------ the cards of a site

def cards_for(content: Content, analyses: list, pages: Iterable[tuple[OutPath, str]]) -> list[Card]:
    """One :class:`Card` per page (``(path, title)`` pairs); never one for the 404 page."""
    site = content.site
    docs = {urls.document_path(d.slug): d for d in content.documents}
    ents = {urls.entity_path(e.id): e for e in content.entities}
    by_slug = {an.doc.slug: an for an in analyses}
    out = []
    for path, title in pages:
        if path == urls.NOT_FOUND or not path.path.endswith(".html") or urls.entity_of_further_page(path) \
                or urls.index_page_number(path):
            continue  # an entity's further pages show its card, an index's its first page's (urls.card_path)
        if path == urls.HOME:
            out.append(Card(path, site.title, content.overview.title or site.title, "home", "Briefing"))
        elif path in docs:
            doc = docs[path]
            an = by_slug.get(doc.slug)
            anns = an.annotations if an is not None else ()
            counts: dict[str, int] = {}
            for a in anns:
                if a.kind == "fact-check" and a.verdict:
                    counts[a.verdict] = counts.get(a.verdict, 0) + 1
            verdicts = tuple((v, counts[v]) for v in VERDICT_ORDER if v in counts)
            out.append(Card(path, site.title, doc.title, "document", "Document", len(anns), verdicts))
        elif path in ents:
            e = ents[path]
            out.append(Card(path, site.title, e.name, "entity",
                            f"Glossary entry · {TYPE_SINGULAR.get(e.type, e.type)}"))
        elif path == urls.GLOSSARY_INDEX:
            out.append(Card(path, site.title, "Glossary", "glossary", "Glossary"))
        elif path == urls.ANNOTATIONS_INDEX:
            out.append(Card(path, site.title, "Every annotation", "annotations", "Annotations"))
        else:
            out.append(Card(path, site.title, _page_title(title, site.title), "page", "Page"))
    return out


VERDICT_ORDER = ("accurate", "mostly-accurate", "misleading", "unsupported", "false")
VERDICT_NAMES = {"accurate": "accurate", "mostly-accurate": "mostly accurate", "misleading": "misleading",
                 "unsupported": "unsupported", "false": "false"}


def _page_title(title: str, site_title: str) -> str:
    t = " ".join(title.split())
    suffix = f" · {site_title}"
    return t[: -len(suffix)] if t.endswith(suffix) and t != suffix else t


def site_files(content: Content, analyses: list, pages: Iterable[tuple[OutPath, str]], *,
               cache: dict[str, bytes] | None = None, workers: int | None = None) -> dict[OutPath, bytes]:
    """``{cards/<page>.png: PNG bytes}`` for every page; ``cache`` (digest -> PNG) is pruned to this build's cards.

    ``workers``: processes to draw with when there are many cards to draw
    (default: the CPUs, at most 8); 1 draws them all in this process.
    """
    files: dict[OutPath, bytes] = {}
    keep: dict[str, bytes] = {}
    wanted = [(card, card.digest()) for card in cards_for(content, analyses, pages)]
    todo: dict[str, Card] = {}
    for card, key in wanted:
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            keep[key] = hit
        elif key not in keep:
            todo[key] = card
    keep.update(zip(todo, _draw_all(list(todo.values()), workers)))
    for card, key in wanted:
        files[card.path] = keep[key]
    if cache is not None:
        cache.clear()
        cache.update(keep)
    return files


POOL_THRESHOLD = 48  # cards to draw; below this a process pool costs more than it saves


def _draw_all(todo: list[Card], workers: int | None) -> list[bytes]:
    """Each card drawn (the same bytes in any process): in a process pool when there are many."""
    n = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if n <= 1 or len(todo) < POOL_THRESHOLD:
        return [draw(card) for card in todo]
    # As in build._analyse_in_pool: a fork server when other threads run (the live server).
    ctx = None
    if threading.active_count() > 1 and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(n, mp_context=ctx, initializer=_worker_init) as pool:
        return list(pool.map(draw, todo, chunksize=max(1, len(todo) // (n * 4))))


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C


# ------------------------------------------------------------------- fonts

@lru_cache(maxsize=None)
def _fonts_digest() -> str:
    h = hashlib.sha256()
    for name in sorted(FONT_FILES):
        h.update(FONT_FILES[name].read_bytes())
    return h.hexdigest()


@lru_cache(maxsize=None)
def coverage() -> frozenset[int]:
    """The code points the card fonts have glyphs for (read with fontTools; both weights share one repertoire)."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONT_FILES["regular"]), lazy=True)
    return frozenset(font.getBestCmap())


def drawable(text: str) -> str:
    """``text`` with every character the fonts lack replaced by :data:`MISSING`
    (controls and format characters are dropped)."""
    have = coverage()
    out = []
    for ch in text:
        if ch in "\t\n\r":
            out.append(" ")
        elif ord(ch) in have:
            out.append(ch)
        elif ord(ch) < 0x20 or ch in "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff" or 0x202a <= ord(ch) <= 0x202e \
                or 0x2066 <= ord(ch) <= 0x2069:
            continue
        else:
            out.append(MISSING)
    return "".join(out)


@lru_cache(maxsize=32)
def _font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILES[weight]), size, layout_engine=ImageFont.Layout.BASIC)


# ---------------------------------------------------------------- drawing

# A run that may not be broken: a Latin-script word with its trailing spaces, or
# one CJK character (lines may break between any two of them), or spaces.
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKENS = re.compile(f"[{_CJK}][\u3001\u3002\uff0c\uff1a\uff1b\uff01\uff1f\u300d\u300f\uff09]?|[^\\s{_CJK}]+\\s*|\\s+")


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Greedy line breaking at spaces and between CJK characters; an ellipsis ends a clipped last line."""
    lines: list[str] = []
    line = ""
    tokens = _TOKENS.findall(" ".join(text.split()))
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if font.getlength((line + tok).rstrip()) <= width:
            line += tok
            i += 1
            continue
        if not line.strip():  # one word wider than the line: break it by characters
            cut = 1
            while cut < len(tok) and font.getlength(tok[: cut + 1]) <= width:
                cut += 1
            lines.append(tok[:cut])
            tokens[i] = tok[cut:]
        else:
            lines.append(line.rstrip())
            line = ""
        if len(lines) == max_lines:
            break
    else:
        if line.strip():
            lines.append(line.rstrip())
    if len(lines) > max_lines or (len(lines) == max_lines and i < len(tokens)):
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip(" ,;:") + "…"
    return lines


def _fit_title(text: str, width: int, max_height: int) -> tuple[ImageFont.FreeTypeFont, list[str], int]:
    """The largest title size (of a few) whose wrapped lines fit; the smallest one clips with an ellipsis."""
    for size, max_lines in ((76, 3), (64, 4), (54, 5)):
        font = _font("bold", size)
        leading = round(size * 1.22)
        lines = wrap(text, font, width, 99)
        if len(lines) <= max_lines and len(lines) * leading <= max_height:
            return font, lines, leading
    font = _font("bold", 54)
    leading = round(54 * 1.22)
    return font, wrap(text, font, width, max(1, min(5, max_height // leading))), leading


def _chips(d: ImageDraw.ImageDraw, verdicts: tuple[tuple[str, int], ...], left: int, y: int, right: int) -> None:
    """One outlined chip per verdict ("3 accurate"), at the largest of a few sizes at which all of them fit."""
    for size in (28, 24, 20, 17):
        font = _font("bold", size)
        pad, gap = size // 2, size // 2
        chips = [(v, f"{n} {VERDICT_NAMES.get(v, v)}") for v, n in verdicts]
        widths = [font.getlength(text) + 2 * pad for _, text in chips]
        if sum(widths) + gap * (len(chips) - 1) <= right - left or size == 17:
            break
    x = left
    for (verdict, text), w in zip(chips, widths):
        colour = VERDICT_COLOURS.get(verdict, MUTED)
        d.rounded_rectangle((x, y - size // 4, x + w, y + size + size // 2), radius=10, outline=colour, width=3)
        d.text((x + pad, y), text, font=font, fill=colour)
        x += w + gap


def draw(card: Card) -> bytes:
    """The card as PNG bytes (deterministic: no metadata chunks, fixed compression)."""
    img = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    d = ImageDraw.Draw(img)
    accent = KIND_COLOURS.get(card.kind, ACCENT)
    left, right = 88, WIDTH - 88
    width = right - left
    d.rectangle((0, 0, 24, HEIGHT), fill=accent)

    # Briefing title, one line, muted.
    small = _font("regular", 32)
    site_line = wrap(drawable(card.site_title), small, width, 1)
    if site_line:
        d.text((left, 64), site_line[0], font=small, fill=MUTED)
    d.line((left, 128, right, 128), fill=RULE, width=2)

    # Kind label.
    label_font = _font("bold", 30)
    d.text((left, 158), drawable(card.label.upper()), font=label_font, fill=accent)

    # Title: as large as fits between the label and the footer (taller for documents: two rows).
    is_doc = card.kind == "document" and card.notes is not None
    footer_top = HEIGHT - (176 if is_doc else 118)
    top = 214
    font, lines, leading = _fit_title(drawable(card.title), width, footer_top - top - 12)
    y = top
    for line in lines:
        d.text((left, y), line, font=font, fill=INK)
        y += leading

    d.line((left, footer_top, right, footer_top), fill=RULE, width=2)
    foot = _font("regular", 30)
    fy = footer_top + 30
    if is_doc:
        # Documents: their notes and fact-checks, then one chip per verdict.
        checks = sum(n for _, n in card.verdicts)
        summary = f"{card.notes} note{'s' * (card.notes != 1)}"
        if checks:
            summary += f" · {checks} fact-check{'s' * (checks != 1)}"
        d.text((left, fy), summary, font=_font("bold", 30), fill=INK)
        _chips(d, card.verdicts, left, fy + 62, right)
    else:
        d.text((left, fy), {"home": "Annotated briefing", "entity": "Glossary", "glossary": "People, organisations "
                            "and concepts", "annotations": "Notes, context and fact-checks"}.get(card.kind, ""),
               font=foot, fill=MUTED)

    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=PNG_COMPRESSION, compress_type=PNG_ZLIB_RLE, optimize=False)
    return buf.getvalue()
