"""The site-wide emitters: files computed from more than one page's inputs (search index shards, entity graph, social cards).

The build hands them to the renderer (:class:`render.SiteWide`), which calls
them after the pages, each keyed by a digest of its inputs so a build with a
cache computes them only when those changed.  They sit above the renderer:
they use its views and templates, and the renderer never imports them.
"""

from __future__ import annotations

from typing import Callable

import jinja2

from . import cards, graph, pageviews, publish, render, search, searchshards, templating, urls, views
from .urls import OutPath


def outputs(builder: pageviews.ViewBuilder, env: jinja2.Environment, site: views.SiteView, common: str,
            templates: dict[str, str]) -> list[tuple[str, str, Callable[[], dict[OutPath, bytes]]]]:
    """The outputs computed from the whole briefing at once: (name, inputs digest, make).

    Each digest covers every argument its ``make`` passes on: the graph's
    covers the site settings, the overview, the glossary, every document's
    analysis (by its token) and the templates; each search shard group's
    covers only the documents (tokens) and glossary entries in it.
    """
    out = []
    content = builder.content
    entities = builder.remembered_digest("entities", (tuple(content.entities),))  # one digest per glossary change
    whole = views.digest(common, content.overview, entities, tuple(p.token for p in builder.parts),
                           sorted(templates.items()))
    def reader() -> dict[OutPath, bytes]:
        files = search.static_scripts(env)
        files[urls.ENTITIES_JS] = search.entities_js(content)
        return files
    out.append(("reader", views.digest(entities, sorted(templates.items())), reader))
    # The search index in shards, each keyed by the units (documents) it covers: an edit remakes one group.
    memo = getattr(builder.cache, "search", None)
    if memo is None:  # a cache pickled before the memo existed
        memo = builder.cache.search = {}
    kept = memo.get("unit_inputs")
    if not isinstance(kept, searchshards.Transient):
        kept = memo["unit_inputs"] = searchshards.Transient()
    units = searchshards.units(content, builder.analyses, [str(p.token) for p in builder.parts],
                               _strings_digest(memo.setdefault("digests", {})), kept)
    out.extend(searchshards.Shards(content, units, memo).outputs())
    if templating.has_template(env, "graph.html"):
        def make_graph() -> dict[OutPath, bytes]:
            # Most edits change some document but not the graph: the view is cheap to build
            # (the layout is memoised), rendering it is not, so the bytes are kept with the
            # digest of the view they were rendered from.
            metas = publish.MetaBuilder(content, builder.analyses)
            page = templating.with_meta(graph.page(builder), metas)
            key = render.page_digest(page, views.digest(common, sorted(templates.items())))
            kept = builder.cache.layouts.get("page")
            if kept is not None and kept[0] == key:
                return {urls.GRAPH: kept[1]}
            data = templating.render_one(page, env, site).encode("utf-8")
            builder.cache.layouts["page"] = (key, data)
            return {urls.GRAPH: data}
        out.append(("graph", whole, make_graph))
    return out


def _strings_digest(store: dict[tuple, str]) -> Callable[..., str]:
    """``views.digest``, remembering the digests of strings alone (a document unit's key) from build to build."""
    def remembered(*parts) -> str:
        if not all(type(p) is str for p in parts):
            return views.digest(*parts)
        hit = store.get(parts)
        if hit is None:
            if len(store) > 100_000:  # keys of replaced analyses pile up in a long session
                store.clear()
            hit = store[parts] = views.digest(*parts)
        return hit
    return remembered


def social_cards(content, analyses, titles, cache) -> dict[OutPath, bytes]:
    """One og:image card per page (``titles``: every page and its title)."""
    return cards.site_files(content, analyses, titles, cache=cache)


SITE_WIDE = render.SiteWide(outputs, social_cards)
