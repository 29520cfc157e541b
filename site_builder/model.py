"""The content model: what the loader produces and every later stage reads.

Plain frozen dataclasses, each carrying the source positions that diagnostics
need.  Derived data (anchored spans, mentions, backlinks) lives in the stages
that compute it, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Pos


@dataclass(frozen=True)
class Site:
    title: str
    subtitle: str = ""
    description: str = ""
    language: str = "en"
    author: str = ""
    organisation: str = ""
    date: str = ""
    base_url: str = ""
    cname: str = ""  # custom domain for GitHub Pages (written to CNAME)
    allow_raw_html: bool = False
    ignore: tuple[str, ...] = ()
    report_page: bool = False  # publish the editorial report as report.html
    warn: tuple[str, ...] = ()  # error codes reported as warnings
    print_notes: str = "endnotes"  # "endnotes" or "inline": where printed document pages put the notes


@dataclass(frozen=True)
class Overview:
    title: str
    summary: str
    takeaways: tuple[str, ...]
    body: str
    body_pos: Pos  # where the Markdown body starts
    takeaway_pos: tuple[Pos, ...] = field(default=(), compare=False)  # where each takeaway's text starts


@dataclass(frozen=True)
class Source:
    publisher: str = ""
    author: str = ""
    published: str = ""
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Document:
    slug: str
    title: str
    date: str
    summary: str
    tags: tuple[str, ...]
    source: Source
    body: str
    path: str  # source file, relative to the project root
    body_pos: Pos
    language: str = ""  # declared in the front matter (canonical case); "" = not declared
    detected_script: str = ""  # the dominant script of the body, e.g. "Han" (language.detect)
    detected_language: str = ""  # the language that script implies; "" for Latin (the site's language)
    translation_of: str = ""  # slug of the original this document translates
    translator: str = ""
    translation_note: str = ""
    translation_pos: Pos = field(default=Pos(""), compare=False)  # where translation_of is written

    def lang(self, site_language: str) -> str:
        """The document's language: declared, else detected from its script, else the site's."""
        return self.language or self.detected_language or site_language


@dataclass(frozen=True)
class Citation:
    title: str
    publisher: str
    date: str
    url: str = ""
    excerpt: str = ""  # the sentence the annotation relies on, in the source's own language
    lang: str = ""  # language of the source and its excerpt, e.g. zh


@dataclass(frozen=True)
class Quote:
    exact: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Original:
    text: str
    lang: str


@dataclass(frozen=True)
class Change:
    """One entry of an annotation's ``history``."""

    date: str
    change: str
    verdict: str = ""


@dataclass(frozen=True)
class Annotation:
    id: str
    document: str  # slug
    kind: str
    quote: Quote
    body: str
    verdict: str = ""
    verdict_written: bool = field(default=False, compare=False)  # a verdict key was present (even if invalid)
    entities: tuple[str, ...] = ()
    sources: tuple[Citation, ...] = ()
    tags: tuple[str, ...] = ()
    original: Original | None = None
    updated: str = ""
    history: tuple[Change, ...] = ()
    summary: str = ""  # one line for the note's card; "" = the body's first sentence
    language: str = ""  # of the body and summary, where not the document's
    counterpart: Quote | None = None  # the matching passage in the original (translations only)
    counterpart_pos: Pos = field(default=Pos(""), compare=False)
    pos: Pos = field(default=Pos(""), compare=False)
    quote_pos: Pos = field(default=Pos(""), compare=False)
    entity_pos: tuple[Pos, ...] = field(default=(), compare=False)
    body_pos: Pos = field(default=Pos(""), compare=False)
    history_pos: tuple[Pos, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    type: str
    summary: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    related: tuple[str, ...] = ()
    website: str = ""
    wikidata: str = ""
    case_sensitive: str = "auto"
    link: bool = True
    language: str = ""  # of the name, summary and description, where not the site's
    path: str = ""
    related_pos: tuple[Pos, ...] = field(default=(), compare=False)
    description_pos: Pos = field(default=Pos(""), compare=False)


@dataclass(frozen=True)
class AnnotationFile:
    slug: str
    path: str
    annotations: tuple[Annotation, ...]


@dataclass(frozen=True)
class Content:
    """Everything read from content/, before any cross-referencing."""

    site: Site
    overview: Overview
    documents: tuple[Document, ...]
    annotation_files: tuple[AnnotationFile, ...]
    entities: tuple[Entity, ...]
