"""The orchestrator: the pipeline's stages, top to bottom.

loader -> validate -> markdown -> anchoring + mentions (per document) -> xref
-> render -> writer.  ``compile_site`` does everything but writing and returns
the output files in memory, so ``build``, ``check`` and ``serve`` share it.

A :class:`BuildCache` makes repeated builds of one project (the live server)
incremental without any hand-kept dependency graph: each stage keys what it
keeps by its inputs (a file's bytes, a document's text and annotations and
the glossary's aliases, a page's input digest), so the same code does a clean
build with an empty cache and an incremental one with a warm cache, and both
produce the same bytes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from . import (
    analysisfiles, anchorstate, editscope, emitters, forkmap, links, loader, publish, render, templating,
    translation, validate, webannotation, xref,
)
from .diagnostics import Diagnostics, Pos
from .markdown import Markdown
from .mentions import Alias, Matcher, aliases_of
from .model import Annotation, Content, Document
from .pageviews import RenderCache
from . import urls
from .urls import OutPath


POOL_THRESHOLD = 48  # documents; below this a process pool costs more than it saves


class Analysed(NamedTuple):
    """A cached document analysis and exactly the inputs it was computed from."""

    doc: Document
    annotations: tuple[Annotation, ...]
    aliases: frozenset[Alias]
    allow_html: bool
    formers: dict[str, "anchorstate.Former"]
    analysis: xref.DocumentAnalysis


@dataclass
class BuildCache:
    """What a long-lived process (the live server) keeps between builds.

    Every entry is checked against its inputs, so nothing goes stale: a file
    is parsed again only when its bytes changed; a document is re-analysed
    only when its text or its annotations changed, or a glossary alias that
    occurs in its text was added or removed; a page is re-rendered only when
    the digest of its inputs (its analysis, the entity records and links it
    shows, its templates) changed.
    """

    files: loader.FileCache = field(default_factory=loader.FileCache)
    analyses: dict[str, Analysed] = field(default_factory=dict)
    render: RenderCache = field(default_factory=RenderCache)
    analysed: list[str] = field(default_factory=list)  # slugs analysed (not reused) by the last build
    matcher: tuple[tuple[Alias, ...], Matcher, frozenset[Alias], tuple] | None = None  # ..., the entities
    validation: tuple[tuple, tuple] | None = None  # (inputs, diagnostics) of the cross-checks
    used: dict[str, tuple[object, frozenset[str]]] = field(default_factory=dict)  # slug -> (analysis, entities it names)
    used_counts: Counter = field(default_factory=Counter)  # entity -> how many of ``used`` name it
    env: tuple[object, dict[str, str], object] | None = None  # (templates folder, sources, environment)
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage of the last build
    links: dict = field(default_factory=dict)  # hand-written links of the overview and glossary, by source
    link_targets: dict = field(default_factory=dict)  # slug -> (analysis, ids on its page)
    template_ids: tuple[object, links.TemplateIds] | None = None  # (template digests, ids the templates write)
    anchor_file: dict = field(default_factory=dict)  # anchors.lock.json's text and state (anchorstate.load)
    formers: dict = field(default_factory=dict)  # slug -> its records that still apply (anchorstate.formers)
    anchor_records: dict = field(default_factory=dict)  # slug -> its records after the build (anchorstate.updated)
    counterparts: dict = field(default_factory=dict)  # slug -> (annotation file, names a counterpart) (translation.check)
    edit: "editscope.Kept" = field(default_factory=lambda: editscope.Kept())  # for the next edit; not kept on disk
    # ``build`` with a cache folder: where each analysis's blocks go (analysisfiles.py); None keeps them in memory.
    disk: "DiskPlace | None" = None


class DiskPlace(NamedTuple):
    """The folder of the analysis files and the tool's digest, which every file's key covers."""

    folder: Path
    tool: str


class Stats(NamedTuple):
    """The size of a briefing, for the build's summary line."""

    documents: int
    annotations: int
    entities: int


# ``progress(stage, done, total)``: called as the build moves on (total 0: no count).
Progress = Callable[[str, int, int], None]


@dataclass
class Compiled:
    diagnostics: Diagnostics
    # Each output file's bytes; with a ``sink`` (``build``), what the sink kept for a page.
    files: dict[OutPath, bytes] = field(default_factory=dict)
    ok: bool = False
    stats: "Stats | None" = None  # what the content holds, once it is loaded
    # With ``defer``: computes the slow site-wide files (search index, graph) that
    # ``files`` holds at their previous version; None when nothing was deferred.
    pending: Callable[[], dict[OutPath, bytes | None]] | None = None  # None: a file that goes
    # With ``defer``: renders the entity pages an edit changed, which ``files`` holds at their
    # previous version (see render.Rendered.later); None when none were left.
    later: Callable[[], dict[OutPath, bytes]] | None = None
    # The anchor state after this build (see anchorstate); ``build`` saves it when it succeeds.
    anchor_state: anchorstate.State | None = None
    analyses: list[xref.DocumentAnalysis] = field(default_factory=list)
    content: Content | None = None  # the loaded content, when loading got that far


def _report_pages(builder) -> list:
    """The editorial report page (``report_page: true`` in site.yml), planned with the other pages."""
    from . import report as editorial

    return [editorial.page(builder.content, builder.analyses)]


def compile_site(root: Path, *, strict: bool = False, cache: BuildCache | None = None,
                 render_output: bool = True, workers: int | None = None, defer: bool = False,
                 publishing: bool = False, progress: Progress | None = None,
                 sink: "render.Sink | None" = None) -> Compiled:
    """Load, check and render the project at ``root``; nothing is written (but see ``sink``).

    ``publishing`` (``--publish``): also check what only matters for a site
    about to be published, such as a missing address (``base-url-missing``).
    ``progress``: told each stage, and each document analysed of the total.

    ``defer`` (with a cache, for the live server): slow site-wide files whose
    inputs changed keep their last version in ``files`` and ``pending``
    computes them, so the edited pages can be shown first.

    ``sink`` (``build``: an ``outputstore.DiskSink``): takes each page as it is
    rendered, and ``files`` holds what it returns for the page instead of the
    page's bytes; the site-wide files are bytes still.
    """
    timings: dict[str, float] = {}
    if cache is not None:
        cache.timings = timings
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = (now - clock[0]) * 1000
        clock[0] = now

    stage = progress or (lambda name, done, total: None)
    diags = Diagnostics()
    stage("loading", 0, 0)
    content = loader.load(root, diags, cache.files if cache is not None else None)
    lap("load")
    if content is None:
        return Compiled(diags)
    stats = Stats(len(content.documents), sum(len(af.annotations) for af in content.annotation_files),
                  len(content.entities))
    md = Markdown(allow_html=content.site.allow_raw_html)
    stage("checking", 0, 0)
    _validate(content, md, diags, cache)
    lap("validate")

    state = anchorstate.load(root, diags, cache.anchor_file if cache is not None else None)
    frame = cache.edit.frame if cache is not None else None
    analyses = analyse_all(content, md, cache, workers, state, progress=progress)
    new_state = editscope.anchor_state(frame, cache.edit.scope, state, analyses) \
        if cache is not None else None
    if new_state is None:
        new_state = anchorstate.updated(state, {af.slug: af.annotations for af in content.annotation_files},
                                        {an.doc.slug: an.anchors for an in analyses},
                                        memo=cache.anchor_records if cache is not None else None)
    if cache is not None and cache.edit.frame is not None:
        cache.edit.frame = cache.edit.frame._replace(anchor_state=new_state)
    for an in analyses:
        diags.extend(an.diagnostics)
    env = _environment(root, cache)  # its templates write ids that links may point to
    _check_links(env, content, md, analyses, diags, cache)
    _warn_unused(content, analyses, diags, cache)
    translation.check(content, analyses, diags, cache.counterparts if cache is not None else None)
    diags.extend(publish.diagnostics(content, existing=diags.items, publishing=publishing))
    lap("analyse")

    if diags.has_errors(strict):
        return Compiled(diags, analyses=analyses, content=content, stats=stats)
    if not render_output:
        return Compiled(diags, ok=True, anchor_state=new_state, analyses=analyses, content=content, stats=stats)
    stage("rendering pages", 0, 0)
    try:
        # The pages need only the analyses; render builds the cross-reference tables on demand.
        extra = _report_pages if content.site.report_page else None
        rendered = render.render_all(content, analyses, None, md, env, cache.render if cache is not None else None,
                                     extra_pages=extra, defer=defer and cache is not None, emitters=emitters.SITE_WIDE,
                                     workers=_workers(workers), sink=sink)
    except templating.TemplateProblem as exc:
        diags.error("template", exc.pos, exc.message)
        return Compiled(diags, stats=stats)
    lap("render")
    return Compiled(diags, rendered.files, ok=True, pending=rendered.pending, later=rendered.later, anchor_state=new_state,
                    analyses=analyses, content=content, stats=stats)


def _check_links(env, content, md: Markdown, analyses: list[xref.DocumentAnalysis], diags: Diagnostics,
                 cache: BuildCache | None) -> None:
    """Every hand-written link must reach a page and an id the build makes.

    Run on every build, never replayed from a cache: deleting a document
    breaks the links to it in files that did not change.
    """
    key = tuple(sorted(cache.env[1].items())) if cache is not None and cache.env is not None else None
    if key is not None and cache is not None and cache.template_ids is not None and cache.template_ids[0] == key:
        ids = cache.template_ids[1]
    else:
        ids = links.template_ids(_template_texts(env))
        if key is not None and cache is not None:
            cache.template_ids = (key, ids)
    hand = list(links.content_links(content, md, cache.links if cache is not None else None))
    for an in analyses:
        hand.extend(an.links)
    # The live server: the last build's targets, with the documents the analysis checked taken in
    # (editscope), while the documents, the entities, the templates' ids and the settings are the same.
    key = _targets_key(content, ids, cache)
    last = cache.edit.targets if cache is not None else None
    if cache is not None:
        cache.edit.targets = None  # until this check ends: the kept targets are changed in place
    if key is not None and last is not None and cache.edit.scope is not None and _same_key(last[0], key):
        targets = last[1]
        targets.refresh(_scoped_results(analyses, cache))
    else:
        files = [urls.ROBOTS, urls.NOJEKYLL] + [webannotation.collection_path(d.slug) for d in content.documents]
        if content.site.cname:
            files.append(urls.CNAME)
        if publish.base_url(content.site):
            files += [urls.SITEMAP, urls.FEED]
        memo = cache.link_targets if cache is not None else None
        targets = links.site_targets(content, analyses, ids, files, memo)
    if cache is not None:
        cache.edit.targets = (key, targets) if key is not None else None
    links.check(hand, targets, diags)


def _targets_key(content, ids, cache: BuildCache | None) -> tuple | None:
    """What the link checker's targets are made from besides the analyses (None: no live server's cache)."""
    if cache is None or cache.edit.frame is None:
        return None
    glossary = cache.files.folders.get("content/glossary")
    return (ids, cache.edit.frame.slugs, glossary.result if glossary is not None else None, content.site.cname,
            publish.base_url(content.site), content.site.report_page)


def _same_key(a: tuple, b: tuple) -> bool:
    return a[0] is b[0] and a[1] is b[1] and a[2] is b[2] and a[3:] == b[3:]


def _scoped_results(analyses, cache: BuildCache) -> list:
    """The analyses of the documents the last analysis checked (``cache.edit.scope``)."""
    assert cache.edit.scope is not None and cache.edit.frame is not None
    return [analyses[cache.edit.frame.at[d.slug]] for d in cache.edit.scope.documents]


def _template_texts(env):
    """(name, source) of every readable template; an unreadable one is reported by rendering, not here."""
    for name in env.list_templates():
        try:
            yield name, env.loader.get_source(env, name)[0]
        except (OSError, UnicodeDecodeError, LookupError, ValueError):  # reported when rendering
            continue


def _environment(root: Path, cache: BuildCache | None):
    """The Jinja environment; kept between builds while no template's source changed."""
    folder = root / "templates"
    if cache is None:
        return templating.make_environment(folder)
    key = str(folder.resolve()) if folder.is_dir() else None
    if cache.env is not None and cache.env[0] == key:
        env = cache.env[2]
        sources = templating.template_sources(env)  # type: ignore[arg-type]
        if sources == cache.env[1]:
            return env
    # A fresh environment compiles every template from its current source (Jinja's own
    # reload check compares modification times, which a quick second save can keep).
    env = templating.make_environment(folder)
    cache.env = (key, templating.template_sources(env), env)
    return env


def _validate(content, md: Markdown, diags: Diagnostics, cache: BuildCache | None) -> None:
    """validate.check, replayed while its inputs are the same objects.

    The cross-checks read the annotation files, the glossary, the overview,
    the site settings and the documents' slugs (not their text), so a
    document edit alone does not run them again.
    """
    if cache is None:
        validate.check(content, md, diags)
        return
    inputs = (content.site, content.overview, content.annotation_files, content.entities,
              tuple(d.slug for d in content.documents))
    hit = cache.validation
    if (hit is not None and len(hit[0]) == len(inputs)
            and all(_same_objects(a, b) for a, b in zip(hit[0][:4], inputs[:4])) and hit[0][4] == inputs[4]):
        diags.extend(hit[1])
        return
    sub = Diagnostics(ignore=diags.ignore)
    validate.check(content, md, sub)
    cache.validation = (inputs, tuple(sub.items))
    diags.extend(sub.items)


def _same_objects(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b))
    return False


def _warn_unused(content, analyses: list[xref.DocumentAnalysis], diags: Diagnostics,
                 cache: BuildCache | None = None) -> None:
    # Per document, the entities it names (kept with its analysis); over all, how many documents name each,
    # updated by the documents whose analysis is new since the last build.
    docs = cache.used if cache is not None else {}
    counts = cache.used_counts if cache is not None else Counter()
    for an in analyses:
        hit = docs.get(an.doc.slug)
        if hit is not None and hit[0] is an:
            continue
        if hit is not None:
            counts.subtract(hit[1])
        names = frozenset(m.entity for m in an.mentions).union(*(a.entities for a in an.annotations))
        docs[an.doc.slug] = (an, names)
        counts.update(names)
    if len(docs) != len(analyses):  # documents deleted or renamed
        for slug in set(docs) - {an.doc.slug for an in analyses}:
            counts.subtract(docs.pop(slug)[1])
    used = {e for e, n in counts.items() if n > 0}
    known = {e.id for e in content.entities}
    for e in content.entities:
        for r in e.related:
            if r in known:  # declared relations count both ways
                used.add(e.id)
                used.add(r)
    for e in content.entities:
        if e.id not in used:
            diags.warning("entity-unused", Pos(e.path, 1, 1),
                          f"entity '{e.id}' is never mentioned, referenced by an annotation or related to another")


def _same_document(a: Document, b: Document) -> bool:
    return a is b or a == b  # every field compares, positions included


def _same_annotations(a: tuple[Annotation, ...], b: tuple[Annotation, ...]) -> bool:
    if a is b:
        return True
    # Annotation equality leaves positions out; the analysis reports them, so compare them too.
    return a == b and all((x.pos, x.quote_pos, x.entity_pos, x.body_pos) == (y.pos, y.quote_pos, y.entity_pos, y.body_pos)
                          for x, y in zip(a, b))


def _may_mention(text: str, aliases: frozenset[Alias]) -> bool:
    """False only if no alias in ``aliases`` can match anywhere in ``text``.

    A match needs every word of the alias in the text (case-insensitive
    matching compares case-folded text; case folding is context-free, so a
    case-folded substring test is a sound over-approximation).
    """
    folded = text.casefold()
    for alias in aliases:
        words = alias.text.casefold().split()
        if words and max(words, key=len) in folded:
            return True
    return False


def analyse_all(content, md: Markdown, cache: BuildCache | None, workers: int | None,
                state: anchorstate.State | None = None,
                progress: Progress | None = None) -> list[xref.DocumentAnalysis]:
    """Analyse every document, reusing cached analyses and spreading the rest over processes.

    A cached analysis is reused when its document and annotations are the
    same and the glossary's aliases are the same, or every alias added or
    removed since is absent from the document's text (so its mentions cannot
    have changed).
    """
    if cache is not None and cache.matcher is not None and cache.matcher[3] == content.entities:
        alias_list = cache.matcher[0]  # the same glossary: the same aliases
    else:
        alias_list = tuple(aliases_of(content.entities))
    if cache is not None and cache.matcher is not None and cache.matcher[0] == alias_list:
        cache.matcher = (*cache.matcher[:3], content.entities)
        _, matcher, aliases, _ = cache.matcher  # the same set object, so cached analyses compare by identity
    else:
        matcher = Matcher(content.entities)
        aliases = frozenset(alias_list)
        if cache is not None:
            cache.matcher = (alias_list, matcher, aliases, content.entities)
    allow_html = content.site.allow_raw_html
    # The live server: only the documents the edit's files name, when nothing else changed (editscope).
    frame = cache.edit.frame if cache is not None else None
    scope = editscope.scope(content, cache.files, frame, aliases, allow_html, state) if cache is not None else None
    if cache is not None:
        cache.edit.frame, cache.edit.scope = None, scope  # set again once every document has its analysis
    if scope is not None:
        annotations, documents = scope.annotations, scope.documents
    else:
        annotations = {af.slug: af.annotations for af in content.annotation_files}
        documents = list(content.documents)
    disk = cache.disk if cache is not None else None
    if disk is not None:
        analysisfiles.clear()
        disk_job = (disk.folder, analysisfiles.salt(disk.tool, alias_list, allow_html))
    results: dict[str, xref.DocumentAnalysis] = {}
    entries: dict[str, Analysed] = cache.analyses if cache is not None and scope is not None else {}
    todo = []
    formers: dict[str, dict] = {}
    for doc in documents:
        anns = annotations.get(doc.slug, ())
        formers[doc.slug] = anchorstate.formers(state or {}, doc.slug, anns, cache.formers if cache is not None else None)
        hit = cache.analyses.get(doc.slug) if cache is not None else None
        if (hit is not None and hit.allow_html == allow_html and _same_document(hit.doc, doc)
                and _same_annotations(hit.annotations, anns)
                and (hit.aliases is aliases or hit.aliases == aliases
                     or not _may_mention(hit.analysis.text, hit.aliases ^ aliases))
                and anchorstate.reproduces(hit.analysis.text, anns, hit.analysis.anchors, hit.formers,
                                           formers[doc.slug])):
            results[doc.slug] = hit.analysis
            entries[doc.slug] = Analysed(doc, anns, aliases, allow_html, formers[doc.slug], hit.analysis)
            if disk is not None:
                _register(hit.analysis, disk, doc, anns, formers[doc.slug], allow_html, matcher)
        else:
            todo.append((doc, anns, formers[doc.slug]))
    n_workers = _workers(workers)
    total, done = len(content.documents), len(results)

    def tick() -> None:
        if progress is not None:
            progress("analysing documents", done, total)

    tick()
    if n_workers > 1 and len(todo) >= POOL_THRESHOLD:
        # The pool's results first: zip then runs it to its end, which shuts the pool down.
        pooled = _analyse_in_pool(todo, n_workers, allow_html, content.entities, matcher,
                                  disk_job if disk is not None else None)
        for an, (doc, anns, former) in zip(pooled, todo):
            _restore(an, doc, anns)
            if disk is not None:
                _register(an, disk, doc, anns, former, allow_html, matcher)
            results[doc.slug] = an
            done += 1
            tick()
    else:
        for doc, anns, former in todo:
            an = xref.analyse_document(doc, anns, md, matcher, former)
            if disk is not None:
                _to_disk(an, disk_job, doc, anns, former)
                _register(an, disk, doc, anns, former, allow_html, matcher)
            results[doc.slug] = an
            forkmap.collect_young()
            done += 1
            tick()
    if cache is not None:
        for doc, anns, former in todo:
            entries[doc.slug] = Analysed(doc, anns, aliases, allow_html, former, results[doc.slug])
        cache.analysed = [doc.slug for doc, _, _ in todo]
        cache.analyses = entries
    if scope is not None and frame is not None:
        out = editscope.analyses(frame, results)
        if cache is not None:
            cache.edit.frame = frame._replace(state=state, analyses=out, anchor_state=None)
    else:
        out = [results[doc.slug] for doc in content.documents]
        if cache is not None:
            slugs = tuple(doc.slug for doc in content.documents)
            cache.edit.frame = editscope.Frame(aliases, allow_html, state, slugs, {s: i for i, s in enumerate(slugs)},
                                          out, None)
    return out


def _workers(workers: int | None) -> int:
    """The processes a build may use: ``workers``, or by default one per CPU (at most 8)."""
    return workers if workers is not None else min(os.cpu_count() or 1, 8)


def _to_disk(an: xref.DocumentAnalysis, disk_job: tuple[Path, bytes], doc: Document,
             anns: tuple[Annotation, ...], former: dict) -> None:
    """Put the analysis's blocks in their file of the cache folder and a handle in their place."""
    folder, salt = disk_job
    handle = analysisfiles.store(folder, analysisfiles.key(salt, doc, anns, former), an.blocks)
    an.blocks = handle  # type: ignore[assignment]


def _register(an: xref.DocumentAnalysis, disk: DiskPlace, doc: Document, anns: tuple[Annotation, ...],
              former: dict, allow_html: bool, matcher: Matcher) -> None:
    """Tell analysisfiles how to compute the blocks again if their file cannot be used."""
    if isinstance(an.blocks, analysisfiles.StoredBlocks):
        analysisfiles.register(an.blocks, analysisfiles.Inputs(disk.folder, doc, anns, former, allow_html, matcher))


def _analyse_in_pool(todo, n_workers: int, allow_html: bool, entities,
                     matcher: Matcher | None = None,
                     disk_job: tuple[Path, bytes] | None = None) -> Iterator[xref.DocumentAnalysis]:
    # Forking a process that runs other threads (the live server's) can copy a lock
    # held by one of them; a fork server starts workers from a clean process instead.
    ctx = None
    if threading.active_count() > 1 and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
    chunk = max(1, len(todo) // (n_workers * 4))
    # A forked worker inherits the parent's compiled matcher; a fork server's compiles its own.
    inherited = matcher if ctx is None and multiprocessing.get_start_method() == "fork" else None
    if inherited is not None:
        forkmap.before_fork()
    pool = ProcessPoolExecutor(n_workers, mp_context=ctx, initializer=_worker_init,
                               initargs=(allow_html, entities, inherited, disk_job))
    try:
        yield from pool.map(_worker_analyse, todo, chunksize=chunk)  # in order, as they are done
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


_WORKER: tuple[Markdown, Matcher] | None = None
_WORKER_DISK: tuple[Path, bytes] | None = None  # where the worker writes each analysis's blocks (analysisfiles)


def _worker_init(allow_html: bool, entities, matcher: Matcher | None = None,
                 disk_job: tuple[Path, bytes] | None = None) -> None:
    global _WORKER, _WORKER_DISK
    _WORKER_DISK = disk_job
    # Ctrl-C reaches the whole process group; the parent handles it and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # ``build`` turns it into an interruption; a worker just ends
    _WORKER = (Markdown(allow_html=allow_html), matcher if matcher is not None else Matcher(entities))


def _worker_analyse(job) -> xref.DocumentAnalysis:
    assert _WORKER is not None
    doc, anns, former = job
    an = xref.analyse_document(doc, anns, *_WORKER, former)
    if _WORKER_DISK is not None:
        _to_disk(an, _WORKER_DISK, doc, anns, former)  # the blocks stay on disk; a handle goes back
    an = _strip(an, anns)
    forkmap.collect_young()  # a forked worker inherits the collector switched off
    return an


# The parent already holds each document and its annotations: a worker sends the analysis
# back without them (annotations by their place in the file) and the parent puts its own
# objects back, so they cross the pipe once and exist once in memory.

def _strip(an: xref.DocumentAnalysis, anns: tuple[Annotation, ...]) -> xref.DocumentAnalysis:
    place = {id(a): i for i, a in enumerate(anns)}
    an.doc = None  # type: ignore[assignment]
    an.annotations = [place[id(a)] for a in an.annotations]  # type: ignore[misc]
    an.orphans = tuple(place[id(a)] for a in an.orphans)  # type: ignore[misc]
    return an


def _restore(an: xref.DocumentAnalysis, doc: Document, anns: tuple[Annotation, ...]) -> None:
    an.doc = doc
    an.annotations = [anns[i] for i in an.annotations]  # type: ignore[index]
    an.orphans = tuple(anns[i] for i in an.orphans)  # type: ignore[index]
