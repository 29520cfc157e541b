"""The entity graph layout at hundreds of entities: its work grows about linearly (counted in
comparisons, never in seconds), its labels never overlap, and it is the same every time."""

from __future__ import annotations

import pytest

from site_builder import graph, graph_layout, xref
from site_builder.model import Content, Entity, Overview, Site
from site_builder.schema import ENTITY_TYPES

WORDS = ("Alder", "Birch", "Cedar", "Damson", "Elm", "Fir", "Ginkgo", "Hazel", "Ivy", "Juniper", "Kauri", "Larch")


def briefing(n: int) -> tuple[Content, xref.XRef]:
    """n entities of every type, each declared related to one other and co-mentioned with three
    (so links grow with entities, as in a real glossary), with names of one and two lines."""
    ents, related, co, mentions = [], {}, {}, {}
    for i in range(n):
        name = f"{WORDS[i % 12]} {WORDS[i * 5 % 12]} {i}"
        if i % 9 == 0:
            name = f"The {WORDS[i % 12]} Commission for Standards in {WORDS[i * 7 % 12]} Research {i}"
        ents.append(Entity(f"e{i}", name, ENTITY_TYPES[i % len(ENTITY_TYPES)], "s"))
        mentions[f"e{i}"] = [None] * (i * 37 % 50)  # only their number counts
    for i in range(n):
        j = (i * 7 + 3) % n
        if j != i:
            related.setdefault(f"e{i}", []).append(f"e{j}")
            related.setdefault(f"e{j}", []).append(f"e{i}")
        for step, times in ((1, 1 + i % 4), (n // 3, 2), (11, 1)):
            k = (i + step) % n
            if k != i:
                co.setdefault(f"e{i}", []).append((f"e{k}", times))
                co.setdefault(f"e{k}", []).append((f"e{i}", times))
    content = Content(Site("t"), Overview("t", "", (), "", None), (), (), tuple(ents))
    return content, xref.XRef(mentions=mentions, annotations={}, related=related, co_mentioned=co)


def work_of(n: int) -> graph_layout.Work:
    content, refs = briefing(n)
    work = graph_layout.Work()
    graph.layouts(content, refs, ((graph.WIDTH, graph.HEIGHT), (graph.NARROW_WIDTH, graph.NARROW_HEIGHT)),
                  memo={}, work=work)
    return work


def test_comparisons_grow_about_linearly_with_entities():
    small, double, quadruple = work_of(100), work_of(200), work_of(400)
    assert small.comparisons > 0
    # All pairs would be 4x per doubling; the layout's grid keeps each step close to 2x.
    for a, b in ((small, double), (double, quadruple)):
        assert b.comparisons < 3 * a.comparisons, (a, b)
        assert b.repulsion_pairs < 3 * a.repulsion_pairs, (a, b)
        assert b.box_checks < 3 * a.box_checks, (a, b)
    # Far below comparing every pair of nodes in every round.
    assert quadruple.repulsion_pairs < graph_layout.ROUNDS * 400 * 399 / 2 / 10


def overlapping(lay: graph.Layout) -> list[tuple[str, str]]:
    boxes = graph.label_boxes(lay)
    clashes = []
    for i, a in enumerate(boxes):
        assert 0 <= a[0] and a[2] <= lay.width and 0 <= a[1] and a[3] <= lay.height, (lay.nodes[i].id, a)
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            if not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]):
                clashes.append((lay.nodes[i].id, lay.nodes[j].id))
    return clashes


@pytest.mark.parametrize("n", [60, 300])
def test_no_two_labels_overlap_in_either_drawing(n):
    content, refs = briefing(n)
    wide, narrow = graph.layouts(content, refs, ((graph.WIDTH, graph.HEIGHT), (graph.NARROW_WIDTH, graph.NARROW_HEIGHT)))
    assert wide.width == graph.WIDTH and narrow.width == graph.NARROW_WIDTH
    assert not overlapping(wide)
    assert not overlapping(narrow)  # which also keeps every box inside 380 px
    # Mentioned more, drawn bigger, up to a bound.
    by_weight = sorted(wide.nodes, key=lambda nd: nd.weight)
    assert by_weight[0].r < by_weight[-1].r <= 5 + 2.2 * graph.FULL_WEIGHT ** 0.5 + 0.1


def test_same_input_same_drawing_and_the_sizes_share_their_forces():
    content, refs = briefing(150)
    first = graph.svg(content, refs)
    assert graph.svg(content, refs) == first
    memo: dict = {}
    work = graph_layout.Work()
    graph.layout(content, refs, memo=memo, work=work)
    forces = work.repulsion_pairs
    assert forces > 0
    narrow = graph.layout(content, refs, graph.NARROW_WIDTH, graph.NARROW_HEIGHT, memo=memo, work=work)
    assert work.repulsion_pairs == forces  # the narrow drawing reused the positions
    assert narrow == graph.layout(content, refs, graph.NARROW_WIDTH, graph.NARROW_HEIGHT)
    # A changed input is laid out afresh.
    content2, refs2 = briefing(151)
    graph.layout(content2, refs2, memo=memo, work=work)
    assert work.repulsion_pairs > forces


def test_springs_keep_each_entitys_strongest_links_only():
    links = [(0, j, 1.0 + (j % 3)) for j in range(1, 40)] + [(1, 2, 0.35)]
    springs = graph_layout.springs_of(40, links)
    # Node 0 keeps its strongest; each other node keeps its link to 0 (one of its few).
    assert {(s.a, s.b) for s in springs} >= {(0, j) for j in range(1, 40)}
    assert (1, 2) in {(s.a, s.b) for s in springs}
    strong = graph_layout.springs_of(60, [(i, j, 1.0) for i in range(60) for j in range(i + 1, 60)])
    assert len(strong) <= 60 * graph_layout.SPRINGS_PER_NODE  # a clique of 60 keeps a few per node
