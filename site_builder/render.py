"""Stage 7: views -> in-memory output files.

:mod:`pageviews` plans every page with a digest of its inputs, :mod:`templating`
renders a page's view with Jinja2, and :func:`render_all` here puts them
together: it renders only the pages whose digest changed (in forked workers
for a large build), adds the stylesheets and publishing files, and calls the
site-wide emitters the build hands it (:class:`SiteWide`).  The views
templates get are in :mod:`views`.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from typing import Callable, NamedTuple, Protocol

import jinja2

from . import forkmap, planindex, publish, urls
from .markdown import Markdown
from .model import Content
from .urls import OutPath
from .xref import DocumentAnalysis, XRef
from .pageviews import PagePlan, RenderCache, ViewBuilder
from .templating import (
    TemplateProblem, has_template, static_assets, template_digests, template_sources, render_one, with_meta,
)
from .views import Page, SiteView, site_view, digest



DEFERRED_TEMPLATES = frozenset({"entity.html"})  # pages an edit may change that are not the edited one


def _render_plan(plan: PagePlan, env: jinja2.Environment, site: SiteView, metas: publish.MetaBuilder) -> bytes:
    """One planned page, its view built and rendered (a job for :func:`forkmap.run`)."""
    return render_one(with_meta(plan.build(), metas), env, site).encode("utf-8")


def page_digest(page: Page, templates_digest: str) -> str:
    h = hashlib.sha256(templates_digest.encode())
    h.update(pickle.dumps((page.path, page.template, page.title, page.section, page.view, page.extra),
                          protocol=5))
    return h.hexdigest()


def page_key(cache: RenderCache, path: OutPath, parts: tuple) -> str:
    """The render cache key of the page at ``path`` from ``parts`` (plain values), remembered with them."""
    hit = cache.page_keys.get(path)
    if hit is not None and hit[0] == parts:
        return hit[1]
    key = digest(*parts)
    cache.page_keys[path] = (parts, key)
    cache.digests += 1
    return key


class SiteWide(NamedTuple):
    """The site-wide emitters the build hands to :func:`render_all` (see ``emitters.py``).

    ``outputs(builder, env, site, common, templates)`` lists (name, inputs
    digest, make) for each file set computed from the whole briefing;
    ``cards(content, analyses, titles, cache)`` returns the social cards.
    """

    outputs: Callable[..., list[tuple[str, str, Callable[[], dict[OutPath, bytes]]]]]
    cards: Callable[..., dict[OutPath, bytes]]




def _templates_for(env: jinja2.Environment, cache: RenderCache) -> dict[str, str]:
    sources = template_sources(env)
    key = (id(env), tuple(sorted(sources.items())))
    if cache.templates is not None and cache.templates[0] == key:
        return cache.templates[1]
    digests = template_digests(env, sources)
    cache.templates = (key, digests)
    return digests


class Sink(Protocol):
    """Where rendered pages go (``outputstore.DiskSink`` for ``build``; by default, memory).

    ``put`` takes a page's bytes as soon as it is rendered and returns what the
    output files and the render cache keep for it; ``keeps`` says whether a
    page kept by the cache can be used without rendering it, and ``reuse``
    puts it into this build.
    """

    def put(self, path: OutPath, data: bytes) -> object: ...

    def keeps(self, kept: object) -> bool: ...

    def reuse(self, path: OutPath, kept) -> object: ...


class InMemory:
    """The default sink: every page's bytes are kept in the output files."""

    def put(self, path: OutPath, data: bytes) -> bytes:
        return data

    def keeps(self, kept: object) -> bool:
        return isinstance(kept, bytes)

    def reuse(self, path: OutPath, kept: bytes) -> bytes:
        return kept


class Rendered(NamedTuple):
    # A page's bytes, or (with a sink that writes them to disk) what the sink keeps for it.
    files: dict[OutPath, bytes]
    # Site-wide files whose inputs changed but that were left at their last version
    # (``defer=True``): calling this computes them (None for a file they no longer
    # make, which goes).  None when nothing was deferred.
    pending: Callable[[], dict[OutPath, bytes | None]] | None = None
    # Entity pages whose inputs changed but that were left at their last version
    # (``defer=True``, only an edit's, never after a template change): calling this
    # renders them, in the thread that builds, before the next build. None when none were.
    later: Callable[[], dict[OutPath, bytes]] | None = None




def render_all(content: Content, analyses: list[DocumentAnalysis], xref: XRef | None, md: Markdown,
               env: jinja2.Environment, cache: RenderCache | None = None,
               extra_pages: Callable[[ViewBuilder], list[Page]] | None = None, defer: bool = False,
               emitters: "SiteWide | None" = None, workers: int = 1, sink: Sink | None = None) -> Rendered:
    """Render every page and site-wide file; with a cache, only those whose inputs changed since the last call.

    ``workers``: processes that may render the pages (see :mod:`forkmap`).
    ``sink``: takes each page as it is rendered (see :class:`Sink`); the
    site-wide files are returned as bytes.

    With ``defer``, the slow site-wide files (search index, entity graph) whose
    inputs changed keep their last version, and ``pending`` computes the new
    ones, so a live preview can show the edited pages first.
    """
    cache = cache if cache is not None else RenderCache()
    sink = sink if sink is not None else InMemory()
    builder = ViewBuilder(content, analyses, xref, md, cache)
    site = site_view(content)
    templates = _templates_for(env, cache)
    everything = digest(sorted(templates.items()))
    common = digest(content.site)  # the site view, and allow_raw_html for the Markdown rendered here
    out: dict[OutPath, bytes] = {}
    rendered: list[OutPath] = []
    metas = publish.MetaBuilder(content, analyses)
    # With the last build's plan index (a live server), only the pages an edit may have changed are planned.
    index, cache.plan_index = cache.plan_index, None  # kept again only if this build runs to its end
    now = planindex.setting(builder, common, everything, sink)
    plans = planindex.changes(builder, index, now) if extra_pages is None else None
    if plans is None:
        index = None
        plans, doc_paths, entity_paths = planindex.full(builder)
    cache.planned = len(plans)
    keys = []
    reuse: list[bool] = []
    todo: list[Callable[[], bytes]] = []
    deferred: list[tuple[PagePlan, str]] = []
    for plan in plans:
        template = templates.get(plan.template, everything)
        before = cache.page_keys.get(plan.path)
        key = page_key(cache, plan.path, (common, template, plan.path, plan.template,
                                          plan.title, plan.section, plan.inputs))
        keys.append(key)
        hit = cache.pages.get(plan.path)
        reuse.append(hit is not None and hit[0] == key and sink.keeps(hit[1]))
        if reuse[-1]:
            continue
        if defer and plan.template in DEFERRED_TEMPLATES and hit is not None and sink.keeps(hit[1]) \
                and before is not None and before[0][:5] == (common, template, plan.path, plan.template, plan.title):
            # Only its data changed (not the site, its template or its title): the edited pages reload first.
            deferred.append((plan, key))
            reuse[-1] = True
            continue
        todo.append(functools.partial(_render_plan, plan, env, site, metas))
    # The pages to render, in forked workers for a large briefing (see forkmap), in plan order;
    # each goes to the sink as it comes.
    results = forkmap.run(todo, workers)
    if index is not None:  # every other page as the last build left it
        out.update(index.pages)
        titles_by_path = dict(index.titles)
    for plan, key, hit in zip(plans, keys, reuse):
        if index is not None:
            titles_by_path[plan.path] = plan.title
        if hit:
            out[plan.path] = sink.reuse(plan.path, cache.pages[plan.path][1])
            continue
        kept = sink.put(plan.path, next(results))
        out[plan.path] = kept
        cache.pages[plan.path] = (key, kept)
        rendered.append(plan.path)
    if index is not None:
        index = planindex.settle(index, dict(out), titles_by_path, [plan for plan, _ in deferred])
    elif extra_pages is None:
        index = planindex.make(builder, now, plans, dict(out), doc_paths, entity_paths, [plan for plan, _ in deferred])
    titles: list[tuple[OutPath, str]] = list(index.titles.items()) if index is not None \
        else [(plan.path, plan.title) for plan in plans]  # every page and its title, for the social cards
    later = _later_pages(deferred, env, site, metas, cache, sink, index) if deferred else None
    if extra_pages is not None:
        templates_digest = digest(common, everything)
        for page in extra_pages(builder):
            titles.append((page.path, page.title))
            key = page_digest(page, templates_digest)
            hit = cache.pages.get(page.path)
            if hit is not None and hit[0] == key and sink.keeps(hit[1]):
                out[page.path] = sink.reuse(page.path, hit[1])
                continue
            kept = sink.put(page.path, render_one(with_meta(page, metas), env, site).encode("utf-8"))
            out[page.path] = kept
            cache.pages[page.path] = (key, kept)
            rendered.append(page.path)
    if index is None or len(cache.pages) != len(out) or len(cache.page_keys) != len(out):
        for stale in set(cache.pages) - set(out):
            del cache.pages[stale]
        for stale in set(cache.page_keys) - set(out):
            del cache.page_keys[stale]
    cache.rendered = rendered
    assets = static_assets(env, cache)
    out.update(assets)
    if index is not None:  # the same as below, without a pass over every page
        html_pages = index.html + [p for p in assets if p.endswith(".html") and p not in index.pages]
    else:
        html_pages = [p for p in out if p.path.endswith(".html")]
    html_pages += [urls.GRAPH] if has_template(env, "graph.html") else []
    cache.plan_index = index
    # Not deferred: a deleted document's annotation file must go at once.
    out.update(publish.site_files(content, analyses, None, pages=html_pages, env=env, cache=cache.publish))
    if emitters is None:
        return Rendered(out, later=later)
    if publish.base_url(content.site):  # og:image needs an absolute URL: no address, no cards
        if has_template(env, "graph.html"):
            titles.append((urls.GRAPH, "Entity graph"))
        out.update(emitters.cards(content, analyses, titles, cache.cards))

    slow = []
    settled: set[OutPath] = set()  # files of the outputs not deferred
    for name, inputs, make in emitters.outputs(builder, env, site, common, templates):
        hit = cache.site_wide.get(name)
        if hit is not None and hit[0] == inputs:
            out.update(hit[1])
            settled.update(hit[1])
        elif defer and hit is not None:
            out.update(hit[1])
            slow.append((name, inputs, make))
        else:
            files = make()
            cache.site_wide[name] = (inputs, files)
            out.update(files)
            settled.update(files)
    if not slow:
        return Rendered(out, later=later)

    def pending() -> dict[OutPath, bytes | None]:
        done: dict[OutPath, bytes | None] = {}
        gone: set[OutPath] = set()
        for name, inputs, make in slow:
            before = cache.site_wide.get(name)
            try:
                files = make()
            except TemplateProblem:
                continue  # reported by the next build, which renders it again
            cache.site_wide[name] = (inputs, files)
            done.update(files)
            if before is not None:  # a search group whose document left it: its old text shard goes
                gone.update(p for p in before[1] if p not in files)
        for path in gone - settled - set(done):
            done[path] = None
        return done

    return Rendered(out, pending, later)


def _later_pages(deferred: list[tuple[PagePlan, str]], env: jinja2.Environment, site: SiteView,
                 metas: publish.MetaBuilder, cache: RenderCache, sink: Sink,
                 index: "planindex.PlanIndex | None") -> Callable[[], dict[OutPath, bytes]]:
    """Renders the pages ``render_all`` deferred; each enters the render cache under its key.

    Until it runs, the render cache keeps each page's previous key, so a build
    that starts first renders (or defers) the page again: nothing goes stale.
    """
    def later() -> dict[OutPath, bytes]:
        done: dict[OutPath, bytes] = {}
        for plan, key in deferred:
            kept = sink.put(plan.path, _render_plan(plan, env, site, metas))
            cache.pages[plan.path] = (key, kept)
            cache.rendered.append(plan.path)
            done[plan.path] = kept
            if index is not None and cache.plan_index is index:  # no build since: its pages are these
                index.pages[plan.path] = kept
        return done

    return later


def render_site(content: Content, analyses: list[DocumentAnalysis], xref: XRef | None, md: Markdown,
                env: jinja2.Environment, cache: RenderCache | None = None,
                extra_pages: Callable[[ViewBuilder], list[Page]] | None = None,
               emitters: SiteWide | None = None) -> dict[OutPath, bytes]:
    """Render every page and site-wide file (see :func:`render_all`); the output files by path.

    ``xref`` may be None: the pages need only the analyses (``ViewBuilder.xref`` builds it on demand).
    """
    return render_all(content, analyses, xref, md, env, cache, extra_pages, emitters=emitters).files

