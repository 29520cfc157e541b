"""What one edit touched, for the live server: the documents whose inputs may have changed.

The loader's :class:`filecache.FileCache` knows which source files it parsed
since the last analysis (``take_touched``), and whether any folder's listing
changed (then it cannot say).  When nothing else an analysis reads changed
(the glossary's aliases are the same object, ``allow_raw_html`` and the
anchor state are the same), only the documents named by those files (a
document's Markdown or its annotation file) can analyse differently, so the
analysis stage checks only them and takes every other document's analysis,
and its anchor records, from the last build without looking at it.  Anything
else (a folder listed afresh, a document that stopped loading, the first
build) gives None: the stage checks every document, as a clean build does.
"""

from __future__ import annotations

from typing import NamedTuple

from . import anchorstate
from .model import Annotation, Content, Document

DOCUMENTS = "content/documents/"
ANNOTATIONS = "content/annotations/"


class Kept:
    """What a build leaves for the next edit's: the last analysis of every document (``frame``, None: none
    whole), the documents it checked (``scope``, None: all of them), the link checker's targets and what
    they were made from (``targets``).  The build cache on disk stores it empty: a new process checks
    every document once."""

    __slots__ = ("frame", "scope", "targets")

    def __init__(self) -> None:
        self.frame: Frame | None = None
        self.scope: Scope | None = None
        self.targets: tuple | None = None

    def __reduce__(self):
        return (Kept, ())


class Frame(NamedTuple):
    """What the last analysis of every document was made with, and gave (kept in the build cache)."""

    aliases: object  # the glossary's alias set (compared by identity)
    allow_html: bool
    state: object  # the anchor state it read (by identity; an empty one equals any empty one)
    slugs: tuple[str, ...]  # the documents, in order
    at: dict[str, int]  # slug -> index in slugs
    analyses: list  # each document's analysis, in order
    anchor_state: dict | None  # anchorstate.updated's result for these analyses (None: not made yet)


class Scope(NamedTuple):
    """The documents an edit may have changed, with their annotations."""

    documents: list[Document]
    annotations: dict[str, tuple[Annotation, ...]]  # slug -> annotations, of each touched slug that has a file
    touched: frozenset[str]  # slugs of the documents and annotation files named by the files parsed


def scope(content: Content, files, frame: Frame | None, aliases, allow_html: bool, state) -> Scope | None:
    """The documents to check, or None when every document must be (see the module's text)."""
    touched = files.take_touched()
    if touched is None or frame is None or frame.aliases is not aliases or frame.allow_html != allow_html:
        return None
    if not (frame.state is state or (not frame.state and not state)):
        return None
    if len(content.documents) != len(frame.slugs):
        return None
    slugs = set()
    annotations: dict[str, tuple[Annotation, ...]] = {}
    for rel in touched:
        if rel.startswith(DOCUMENTS) and rel.endswith(".md"):
            slugs.add(rel[len(DOCUMENTS):-3])
        elif rel.startswith(ANNOTATIONS) and rel.endswith(".yml"):
            slugs.add(rel[len(ANNOTATIONS):-4])
    for slug in slugs:  # each touched document's annotations, whether or not their file was touched
        af = files.current("content/annotations", f"{ANNOTATIONS}{slug}.yml")
        if af is not None:
            annotations[slug] = af.annotations
    documents = []
    for slug in slugs:
        i = frame.at.get(slug)
        if i is None:
            if files.current("content/documents", f"{DOCUMENTS}{slug}.md") is not None:
                return None  # a document that did not load last time does now
            continue  # an annotation file without a document
        doc = content.documents[i]
        if doc.slug != slug:
            return None  # a document stopped loading: the others moved up
        documents.append(doc)
    return Scope(documents, annotations, frozenset(slugs))


def analyses(frame: Frame, results: dict) -> list:
    """The list of analyses in document order: the last build's, with ``results`` (slug -> analysis) in."""
    out = list(frame.analyses)
    for slug, an in results.items():
        out[frame.at[slug]] = an
    return out


def anchor_state(frame: Frame | None, scope_: Scope | None, state, analyses_: list):
    """``anchorstate.updated`` for the build: the last result with only the touched slugs' records made again,
    when the last build made one from the same state and the analysis checked only ``scope_``."""
    if frame is None or scope_ is None or frame.anchor_state is None:
        return None
    anns = scope_.annotations
    anchors = {slug: analyses_[frame.at[slug]].anchors for slug in anns if slug in frame.at}
    out = dict(frame.anchor_state)
    for slug in scope_.touched:
        out.pop(slug, None)
    out.update(anchorstate.updated({s: state[s] for s in scope_.touched if s in state}, anns, anchors))
    return out
