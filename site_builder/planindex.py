"""The page plans of the last build, kept so that an edit plans only the pages it can change.

A clean build plans every page (:meth:`pageviews.ViewBuilder.plans`). A
long-lived process (the live server) keeps a :class:`PlanIndex` of that
build: every page's title and output in path order, which pages belong to
which document and entity, and what each entity's pages were planned from.
The next build then plans again only

* the five index pages (home, glossary, annotation index, 404, search),
* the pages of each document whose parts were replaced (a new analysis), and
  of its neighbours, whose pager shows its title,
* the pages of each entity whose record, relations or gathered state is not
  the same object, or whose pages the last build left for later,

and takes every other page's output as it was. Anything else that every
page reads (the site settings, the templates, the entity references, the
list of documents, the translation pairs, the kind of sink) is the index's
``setting``: when it differs, or when a document or entity would gain or lose
a page, :func:`changes` returns None and the build plans every page, as a
clean build does. So the index is an optimisation only: each page it keeps
was planned from inputs that are the same objects as now.
"""

from __future__ import annotations

from typing import NamedTuple

from .pageviews import PagePlan, ViewBuilder
from .urls import OutPath


class PlanIndex(NamedTuple):
    setting: tuple
    titles: dict[OutPath, str]  # every planned page, in path order
    pages: dict[OutPath, object]  # what the sink kept for each, in the same order
    html: list[OutPath]  # the pages that are HTML (all of them, in that order)
    at: dict[str, int]  # document slug -> its position
    doc_paths: dict[str, tuple[OutPath, ...]]  # document slug -> its pages
    entity_paths: dict[str, tuple[OutPath, ...]]  # entity id -> its pages
    entity_inputs: dict[str, tuple]  # entity id -> (record, relations, state) its pages were planned from
    unsettled: set[str]  # entities with a page left for later (``render.Rendered.later``)


def setting(builder: ViewBuilder, common: str, templates: str, sink: object) -> tuple:
    """What every page's plan depends on beyond its own document or entity."""
    return (common, templates, builder.cache.refs_generation, builder.cache.slugs, tuple(builder.entities),
            builder.translations, type(sink))


def _entity_key(builder: ViewBuilder, eid: str) -> tuple:
    return (builder.entities[eid], builder.related.get(eid, ()), builder.states[eid])


def _same(old: tuple | None, new: tuple) -> bool:
    return old is not None and old[0] is new[0] and old[2] is new[2] and old[1] == new[1]


def full(builder: ViewBuilder) -> tuple[list[PagePlan], dict, dict]:
    """Every page planned, sorted by path; and the pages of each document and each entity."""
    plans = builder.index_plans()
    doc_paths: dict[str, tuple[OutPath, ...]] = {}
    entity_paths: dict[str, tuple[OutPath, ...]] = {}
    for at, p in enumerate(builder.parts):
        mine = builder.document_plans(at)
        doc_paths[p.an.doc.slug] = tuple(plan.path for plan in mine)
        plans.extend(mine)
    for eid in builder.entities:
        mine = builder.entity_plans(eid)
        entity_paths[eid] = tuple(plan.path for plan in mine)
        plans.extend(mine)
    for gone in set(builder.cache.entity_inputs) - set(builder.entities):
        del builder.cache.entity_inputs[gone]
    plans.sort(key=lambda plan: plan.path)
    return plans, doc_paths, entity_paths


def make(builder: ViewBuilder, setting: tuple, plans: list[PagePlan], pages: dict[OutPath, object],
         doc_paths: dict, entity_paths: dict, deferred: list[PagePlan]) -> PlanIndex:
    """The index of a build that planned every page (``pages``: their outputs, in plan order)."""
    return PlanIndex(
        setting, {plan.path: plan.title for plan in plans}, pages,
        [path for path in pages if path.endswith(".html")],
        {p.an.doc.slug: at for at, p in enumerate(builder.parts)}, doc_paths, entity_paths,
        {eid: _entity_key(builder, eid) for eid in builder.entities},
        _owners(entity_paths, deferred),
    )


def _owners(entity_paths: dict, deferred: list[PagePlan]) -> set[str]:
    if not deferred:
        return set()
    paths = {plan.path for plan in deferred}
    return {eid for eid, mine in entity_paths.items() if paths.intersection(mine)}


def changes(builder: ViewBuilder, index: PlanIndex | None, now: tuple) -> list[PagePlan] | None:
    """The plans of the pages an edit may have changed since ``index``; None: plan every page.

    Records in ``index`` what the new entity plans were made from; the caller
    keeps the index only if the build runs to its end.
    """
    if index is None or index.setting != now or builder.replaced is None:
        return None
    plans = builder.index_plans()
    count = len(builder.parts)
    positions: set[int] = set()
    for slug in builder.replaced:
        at = index.at[slug]
        positions.update(i for i in (at - 1, at, at + 1) if 0 <= i < count)  # the pager shows its neighbours
    for at in sorted(positions):
        mine = builder.document_plans(at)
        if tuple(plan.path for plan in mine) != index.doc_paths[builder.parts[at].an.doc.slug]:
            return None  # its annotations page comes or goes
        plans.extend(mine)
    entities: dict[str, tuple] = {}
    for eid in builder.entities:
        key = _entity_key(builder, eid)
        if _same(index.entity_inputs.get(eid), key) and eid not in index.unsettled:
            continue
        mine = builder.entity_plans(eid)
        if tuple(plan.path for plan in mine) != index.entity_paths[eid]:
            return None  # it gains or loses a page of documents
        plans.extend(mine)
        entities[eid] = key
    index.entity_inputs.update(entities)
    return plans


def settle(index: PlanIndex, pages: dict[OutPath, object], titles: dict[OutPath, str],
           deferred: list[PagePlan]) -> PlanIndex:
    """The index after a build that planned only what changed (``pages``: every page's output)."""
    return index._replace(pages=pages, titles=titles, unsettled=_owners(index.entity_paths, deferred))
