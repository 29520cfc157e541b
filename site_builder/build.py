"""The orchestrator: the pipeline's stages, top to bottom.

loader -> validate -> markdown -> anchoring + mentions (per document) -> xref
-> render -> writer.  ``compile_site`` does everything but writing and returns
the output files in memory, so ``build``, ``check`` and ``serve`` share it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import loader, render, validate, xref
from .diagnostics import Diagnostics, Pos
from .markdown import Markdown
from .mentions import Matcher
from .render import RenderCache
from .urls import OutPath


POOL_THRESHOLD = 48  # documents; below this a process pool costs more than it saves


@dataclass
class BuildCache:
    """What a long-lived process (the live server) keeps between builds.

    Every entry is keyed by a digest of its inputs, so nothing goes stale:
    a document is re-analysed only when its text, its annotations or the
    glossary's aliases changed; a page is re-rendered only when its view or
    the templates changed.
    """

    analyses: dict[str, tuple[str, xref.DocumentAnalysis]] = field(default_factory=dict)
    render: RenderCache = field(default_factory=RenderCache)
    analysed: list[str] = field(default_factory=list)  # slugs analysed (not reused) by the last build


@dataclass
class Compiled:
    diagnostics: Diagnostics
    files: dict[OutPath, bytes] = field(default_factory=dict)
    ok: bool = False


def compile_site(root: Path, *, strict: bool = False, cache: BuildCache | None = None,
                 render_output: bool = True, workers: int | None = None) -> Compiled:
    """Load, check and render the project at ``root``; nothing is written."""
    diags = Diagnostics()
    content = loader.load(root, diags)
    if content is None:
        return Compiled(diags)
    md = Markdown(allow_html=content.site.allow_raw_html)
    validate.check(content, md, diags)

    analyses = analyse_all(content, md, cache, workers)
    for an in analyses:
        diags.extend(an.diagnostics)
    refs = xref.build(content, analyses)
    _warn_unused(content, refs, diags)

    if diags.has_errors(strict):
        return Compiled(diags)
    if not render_output:
        return Compiled(diags, ok=True)
    env = render.make_environment(root / "templates")
    try:
        files = render.render_site(content, analyses, refs, md, env, cache.render if cache else None)
    except render.TemplateProblem as exc:
        diags.error("template", exc.pos, exc.message)
        return Compiled(diags)
    return Compiled(diags, files, ok=True)


def _warn_unused(content, refs: xref.XRef, diags: Diagnostics) -> None:
    for e in content.entities:
        if not refs.mentions.get(e.id) and not refs.annotations.get(e.id) and not refs.related.get(e.id):
            diags.warning("entity-unused", Pos(e.path, 1, 1),
                          f"entity '{e.id}' is never mentioned, referenced by an annotation or related to another")


def _analysis_key(doc, annotations, matcher_digest: str, allow_html: bool) -> str:
    h = hashlib.sha256(matcher_digest.encode())
    h.update(pickle.dumps((doc, annotations, allow_html, [a.pos for a in annotations],
                           [(a.quote_pos, a.entity_pos, a.body_pos) for a in annotations]), protocol=5))
    return h.hexdigest()


def analyse_all(content, md: Markdown, cache: BuildCache | None, workers: int | None) -> list[xref.DocumentAnalysis]:
    """Analyse every document, reusing cached analyses and spreading the rest over processes."""
    matcher = Matcher(content.entities)
    matcher_digest = hashlib.sha256(pickle.dumps(matcher.aliases, protocol=5)).hexdigest()
    annotations = {af.slug: af.annotations for af in content.annotation_files}
    results: dict[str, xref.DocumentAnalysis] = {}
    todo = []
    keys = {}
    for doc in content.documents:
        anns = annotations.get(doc.slug, ())
        key = _analysis_key(doc, anns, matcher_digest, content.site.allow_raw_html)
        keys[doc.slug] = key
        hit = cache.analyses.get(doc.slug) if cache else None
        if hit is not None and hit[0] == key:
            results[doc.slug] = hit[1]
        else:
            todo.append((doc, anns))
    n_workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if n_workers > 1 and len(todo) >= POOL_THRESHOLD:
        chunk = max(1, len(todo) // (n_workers * 4))
        with ProcessPoolExecutor(n_workers, initializer=_worker_init,
                                 initargs=(content.site.allow_raw_html, content.entities)) as pool:
            for an in pool.map(_worker_analyse, todo, chunksize=chunk):
                results[an.doc.slug] = an
    else:
        for doc, anns in todo:
            results[doc.slug] = xref.analyse_document(doc, anns, md, matcher)
    if cache is not None:
        cache.analysed = [doc.slug for doc, _ in todo]
        cache.analyses = {slug: (keys[slug], results[slug]) for slug in keys}
    return [results[doc.slug] for doc in content.documents]


_WORKER: tuple[Markdown, Matcher] | None = None


def _worker_init(allow_html: bool, entities) -> None:
    global _WORKER
    _WORKER = (Markdown(allow_html=allow_html), Matcher(entities))


def _worker_analyse(job) -> xref.DocumentAnalysis:
    assert _WORKER is not None
    doc, anns = job
    return xref.analyse_document(doc, anns, *_WORKER)
