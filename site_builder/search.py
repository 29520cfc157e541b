"""Reader data files: the full-text search index, entity popover data and the reader scripts.

Everything here is loaded by ``<script src>`` (never ``fetch``), so search and
popovers work from ``file://`` as well as from any web server.

The search index is a compact inverted index of our own (no library would fit
all of: no build step, no fetch, CJK without spaces, < 50 ms per keystroke):

* every searchable thing is a *record*: a document, an annotation, a glossary
  entity or the overview page, with its plain text (for snippets);
* text is *folded* one character at a time (lower case, Latin diacritics
  removed), so offsets in the folded text are offsets in the original;
* Latin-script text is split into words; the browser matches query words as
  prefixes of indexed words (binary search over the sorted vocabulary);
* CJK text (no spaces) is indexed as single characters and overlapping
  character bigrams; a query such as 深度求索 must contain all of its bigrams
  and is then verified as a substring, so it finds exactly the pages that
  contain it;
* postings carry a weight per record (term frequency, title words count
  extra), ranked with BM25 in the browser;
* each glossary entity's name and aliases are listed with its record, so a
  query that is exactly one of them (compared without case, accents, spaces or
  punctuation: ``deep seek`` is ``DeepSeek``) ranks that entry first;
* the browser tolerates one typo (Damerau-Levenshtein distance 1) in query
  words of five or more letters, at a lower weight than an exact match.

The index itself is cut into shards that the reader loads on demand
(:mod:`site_builder.searchshards`, whose ``site_files`` returns every reader
file).  ``fold`` and ``tokenize`` here must agree with ``fold`` and
``tokenize`` in ``templates/assets/search.js``.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import NamedTuple

from . import urls
from .markdown import Markdown
from .model import Content
from .labels import KIND_LABELS, PACKAGE_TEMPLATES, TYPE_SINGULAR, VERDICT_LABELS
from .urls import OutPath
from .xref import DocumentAnalysis, XRef

TITLE_WEIGHT = 6  # a word in a title counts as this many occurrences in the text

# Scripts shipped as they are (overridable like templates: templates/assets/<name> in the project).
STATIC_SCRIPTS = (urls.THEME_JS, urls.READER_JS, urls.SEARCH_JS)

# Keep in step with CJK in search.js.
_CJK_CHARS = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# Latin letters with a stroke have no Unicode decomposition; keep in step with search.js.
_NO_DECOMPOSITION = {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "ƀ": "b"}
_FOLD_RANGES = (("\u00c0", "\u024f"), ("\u1e00", "\u1eff"))
_TAG_RE = re.compile(r"<[^>]+>")
_BLOCK_END_RE = re.compile(r"</(p|li|h[1-6]|blockquote|pre|tr)>")
_SPACES_RE = re.compile(r"[ \t\r\f\v]+")


def _fold_char(c: str) -> str:
    for a, b in _FOLD_RANGES:
        if a <= c <= b:
            c = unicodedata.normalize("NFD", c)[0]
            break
    low = c.lower()
    if len(low) != 1:
        low = c
    if low == "ς":
        return "σ"
    return _NO_DECOMPOSITION.get(low, low)


_FOLD_TABLE: dict[int, str] | None = None


def _fold_table() -> dict[int, str]:
    global _FOLD_TABLE
    if _FOLD_TABLE is None:
        table = {}
        for cp in range(0x10000):
            if 0xD800 <= cp <= 0xDFFF:
                continue
            c = chr(cp)
            f = _fold_char(c)
            if f != c:
                table[cp] = f
        _FOLD_TABLE = table
    return _FOLD_TABLE


def fold(text: str) -> str:
    """Lower case and strip Latin diacritics, one character for one (offsets are kept).

    Characters outside the Basic Multilingual Plane are left as they are (the browser
    folds UTF-16 code units, and a surrogate half has no case)."""
    if text.isascii():
        return text.lower()
    low = text.lower()
    if len(low) == len(text) and not _NEEDS_TABLE_RE.search(low):
        return low
    return text.translate(_fold_table())


# After str.lower(): characters that still need folding (or came from context-dependent casing).
_NEEDS_TABLE_RE = re.compile("[\u00c0-\u024f\u1e00-\u1eff\u03c2]")
_WORD_RE = re.compile(f"[^\\W_{_CJK_CHARS}]+")
_CJK_RUN_RE = re.compile(f"[{_CJK_CHARS}]+")


def tokenize(folded: str) -> list[str]:
    """Index terms of folded text: words of two or more characters (or digits), CJK characters and bigrams."""
    terms = [w for w in _WORD_RE.findall(folded) if len(w) > 1 or w.isdigit()]
    for run in _CJK_RUN_RE.findall(folded):
        terms.extend(run)
        terms.extend(run[i:i + 2] for i in range(len(run) - 1))
    return terms


class Record(NamedTuple):
    kind: str  # "d" document, "a" annotation, "e" entity, "p" page
    label: str  # e.g. "Document", "Fact-check · Accurate", "Company"
    title: str
    url: str  # relative to the site root, with fragment
    text: str  # plain text, paragraphs separated by blank lines
    names: tuple[str, ...] = ()  # an entity's name and aliases: an exact query for one ranks it first
    lang: str = ""  # language of the title (an annotation's: its quote, so its document's)
    text_lang: str = ""  # language of the text, where it differs from the title's


def html_to_text(fragment: str) -> str:
    """Plain text of a small HTML fragment (annotation bodies), paragraph breaks kept."""
    text = _BLOCK_END_RE.sub("\n\n", fragment)
    text = html.unescape(_TAG_RE.sub("", text))
    paras = (" ".join(_SPACES_RE.sub(" ", p).split()) for p in text.split("\n\n"))
    return "\n\n".join(p for p in paras if p)


def _url(path: OutPath, fragment: str = "") -> str:
    return path.path + (f"#{fragment}" if fragment else "")


def overview_records(content: Content, md: Markdown) -> list[Record]:
    """The overview page's record."""
    ov = content.overview
    return [Record("p", "Overview", ov.title, _url(urls.HOME),
                   "\n\n".join(x for x in (ov.summary, *ov.takeaways, _plain(md, ov.body)) if x),
                   lang=content.site.language)]


def document_records(an: DocumentAnalysis, site_lang: str) -> list[Record]:
    """A document's record, then one per annotation, in reading order."""
    d = an.doc
    out = [Record("d", "Document", d.title, _url(urls.document_path(d.slug)),
                  "\n\n".join(x for x in (d.summary, an.text) if x), lang=d.lang(site_lang))]
    for a in an.annotations:
        label = KIND_LABELS.get(a.kind, a.kind)
        if a.verdict:
            label += " · " + VERDICT_LABELS.get(a.verdict, (a.verdict, ""))[0]
        parts = [html_to_text(an.note_html.get(a.id, "")), a.original.text if a.original else "",
                 " ".join(s.title for s in a.sources)]
        out.append(Record("a", f"{label} · {d.title}", "“" + " ".join(a.quote.exact.split()) + "”",
                          _url(urls.document_path(d.slug), f"ann-{a.id}"),
                          "\n\n".join(x for x in parts if x), lang=d.lang(site_lang),
                          text_lang=a.language or site_lang))
    return out


def entity_records(entities, site_lang: str, md: Markdown) -> list[Record]:
    """One record per glossary entity, in the order given."""
    out = []
    for e in entities:
        parts = [e.summary, ("Also: " + ", ".join(e.aliases)) if e.aliases else "", _plain(md, e.description)]
        out.append(Record("e", TYPE_SINGULAR.get(e.type, e.type), e.name, _url(urls.entity_path(e.id)),
                          "\n\n".join(x for x in parts if x), (e.name, *e.aliases), lang=e.language or site_lang))
    return out


def _plain(md: Markdown, source: str) -> str:
    return md.parse(source, body=False).projection.text if source.strip() else ""


def records(content: Content, analyses: list[DocumentAnalysis], refs: XRef | None = None) -> list[Record]:
    """Every searchable record: overview, each document with its annotations, entities (by id)."""
    md = Markdown(allow_html=content.site.allow_raw_html)
    site_lang = content.site.language
    out = overview_records(content, md)
    for an in analyses:
        out.extend(document_records(an, site_lang))
    out.extend(entity_records(sorted(content.entities, key=lambda e: e.id), site_lang, md))
    return out


def name_key(text: str) -> str:
    """A name as an exact query must spell it: folded, without spaces or punctuation (``nameKey`` in search.js)."""
    return _NON_NAME_RE.sub("", fold(text))


_NON_NAME_RE = re.compile(r"[\W_]+")


def _js_assign(name: str, data) -> bytes:
    # "<" escaped so the data can never close a <script> element it is inlined into
    # (the single-file export inlines these files).
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False).replace("<", "\\u003c")
    return f"window.{name}={payload};\n".encode("utf-8")


def entities_js(content: Content) -> bytes:
    """Popover data: entity id -> [name, type label, summary]."""
    data = {e.id: [e.name, TYPE_SINGULAR.get(e.type, e.type), e.summary]
            for e in sorted(content.entities, key=lambda e: e.id)}
    return _js_assign("SB_ENTITIES", data)


def static_scripts(env=None) -> dict[OutPath, bytes]:
    """The reader scripts from templates/assets/ (a project's templates/assets/ overrides them, file by file)."""
    out = {}
    for path in STATIC_SCRIPTS:
        name = path.path  # "assets/reader.js" is also its template name
        if env is not None:
            source, _, _ = env.loader.get_source(env, name)
        else:
            source = (PACKAGE_TEMPLATES / name).read_text(encoding="utf-8")
        out[path] = source.encode("utf-8")
    return out
