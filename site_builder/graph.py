"""The entity graph: glossary entities as nodes, declared relations and co-mentions as edges.

Laid out at build time (a deterministic force-directed layout, then label
placement without overlaps: see ``graph_layout.py``) into a static SVG whose
nodes are links to the entities' pages, so the graph needs no JavaScript.
Node shape and colour both show the entity type (shape alone is enough
without colour); node size shows how often the entity is mentioned or
annotated; solid edges are declared relations, dashed ones co-mentions (named
in the same paragraph), thicker when frequent.

``svg(content, refs)`` returns the SVG markup; ``page(builder)`` the page view
for ``templates/graph.html`` (hook it into ``render.render_site(extra_pages=...)``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple

from markupsafe import Markup, escape

from . import graph_layout, urls
from .bidi import isolate
from .graph_layout import MARGIN, Work, box_reach, label_lines, label_width
from .labels import TYPE_LABELS, TYPE_SINGULAR
from .model import Content
from .schema import ENTITY_TYPES
from .views import Group, Page, freeze
from .xref import XRef

WIDTH, HEIGHT = 1000, 720
# Phones get a drawing of their own, laid out for a narrow screen: it fits the width with
# labels still readable (about 12 px on a 375 px phone), and grows downwards instead.
NARROW_WIDTH, NARROW_HEIGHT = 380, 900
FULL_WEIGHT = 75  # mentions and annotations drawn at full size; more shrink every node
# Shape per type, so types differ without colour (see the legend on the page).
SHAPES = {
    "person": "circle", "organization": "square", "company": "diamond", "government-body": "pentagon",
    "ai-model": "triangle", "place": "hexagon", "concept": "octagon-small", "policy": "triangle-down",
    "event": "star",
}


class Node(NamedTuple):
    id: str
    name: str
    type: str
    summary: str
    weight: int  # mentions + annotations naming it
    x: float
    y: float
    r: float
    label_left: bool  # label on the node's left (nodes on the right edge)


class Edge(NamedTuple):
    a: str
    b: str
    related: bool
    co: int  # paragraphs naming both


class Layout(NamedTuple):
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int


def edges_of(content: Content, refs: XRef) -> list[Edge]:
    known = {e.id for e in content.entities}
    related: set[tuple[str, str]] = set()
    co: dict[tuple[str, str], int] = {}
    for eid in sorted(known):
        for r in refs.related.get(eid, ()):
            if r in known and r != eid:
                related.add((min(eid, r), max(eid, r)))
        for other, n in refs.co_mentioned.get(eid, ()):
            if other in known and other != eid:
                co[(min(eid, other), max(eid, other))] = n
    pairs = sorted(related | set(co))
    return [Edge(a, b, (a, b) in related, co.get((a, b), 0)) for a, b in pairs]


# The drawing and the list show the declared relations and each entity's this many most
# frequent co-mentions (its page lists them all), so the page grows with the glossary, not
# with the documents: in a large briefing nearly every pair of entities shares a paragraph.
CO_MENTIONS_SHOWN = 8


def _strongest(edges) -> dict[str, list[Edge]]:
    """Per entity, its co-mention edges that are not relations, most paragraphs first (then by the other's id)."""
    per: dict[str, list[Edge]] = defaultdict(list)
    for e in edges:
        if e.co and not e.related:
            per[e.a].append(e)
            per[e.b].append(e)
    for eid, es in per.items():
        es.sort(key=lambda e, eid=eid: (-e.co, e.b if e.a == eid else e.a))
    return per


def shown_edges(edges) -> tuple[Edge, ...]:
    """The edges drawn: every declared relation, and the co-mentions among an end's ``CO_MENTIONS_SHOWN`` strongest."""
    keep = {e for es in _strongest(edges).values() for e in es[:CO_MENTIONS_SHOWN]}
    return tuple(e for e in edges if e.related or e in keep)


def layout(content: Content, refs: XRef, width: int = WIDTH, height: int = HEIGHT,
           memo: dict | None = None, work: Work | None = None) -> Layout:
    """A deterministic layout (no randomness) of the graph in a drawing of this size (see ``layouts``)."""
    return layouts(content, refs, ((width, height),), memo, work)[0]


def layouts(content: Content, refs: XRef, sizes, memo: dict | None = None,
            work: Work | None = None) -> list[Layout]:
    """Layouts of the graph in drawings of each (width, height) in ``sizes``; the height may grow.

    The force-directed positions do not depend on the size, so the drawings
    share them.  ``memo`` (a dict kept between builds) holds the last layout
    of each size, and the positions, with exactly the inputs they were
    computed from (the entities' ids, types, names and summaries, the edges
    and the weights), so an edit that changes none of them does not lay the
    graph out again.  ``work`` counts the comparisons made (see
    ``graph_layout.Work``).
    """
    type_order = {t: i for i, t in enumerate(ENTITY_TYPES)}
    ents = sorted(content.entities, key=lambda e: (type_order.get(e.type, 99), e.id))
    edges = edges_of(content, refs)
    weight = [len(refs.mentions.get(e.id, ())) + len(refs.annotations.get(e.id, ())) for e in ents]
    if memo is None:
        forces: dict = {}
        return [_layout(ents, edges, weight, w, h, forces, work) for w, h in sizes]
    key = (tuple((e.id, e.type, e.name, e.summary) for e in ents), tuple(edges), tuple(weight))
    hit = memo.get("positions")
    forces = hit[1] if hit is not None and hit[0] == key else {}
    memo["positions"] = (key, forces)
    out = []
    for size in sizes:
        hit = memo.get(size)
        if hit is None or hit[0] != key:
            hit = memo[size] = (key, _layout(ents, edges, weight, size[0], size[1], forces, work))
        out.append(hit[1])
    return out


def _layout(ents, edges, weight, width: int, height: int, forces: dict, work: Work | None) -> Layout:
    """Positions by forces (kept in ``forces`` for the other sizes), fitted, then labels placed apart."""
    n = len(ents)
    if n == 0:
        return Layout((), (), width, height)
    if "xy" not in forces:
        index = {e.id: i for i, e in enumerate(ents)}
        links = [(index[e.a], index[e.b], (1.0 if e.related else 0.0) + min(e.co, 4) * 0.35) for e in edges]
        forces["xy"] = graph_layout.positions(n, links, work)
    # Area grows with mentions; in a briefing with hundreds of mentions per entity all sizes
    # shrink together, so the biggest node stays within 5 + 2.2 * sqrt(FULL_WEIGHT) (24 px).
    shrink = min(1.0, math.sqrt(FULL_WEIGHT / max(max(weight), 1)))
    radius = [round(5.0 + 2.2 * math.sqrt(w) * shrink, 1) for w in weight]
    lines = [label_lines(e.name) for e in ents]
    labels = [max(label_width(t) for t in ls) for ls in lines]
    heights = [len(ls) for ls in lines]
    reaches = [(box_reach(radius[i], labels[i], heights[i], False), box_reach(radius[i], labels[i], heights[i], True))
               for i in range(n)]
    # Room for the labels: a drawing narrower than its labels need grows taller from the start.
    area = sum((r[0][2] - r[0][0] + 8) * (r[0][3] - r[0][1] + 5) for r in reaches)
    height = max(height, int(area * 2.2 / width))
    xs, ys = graph_layout.orient(*forces["xy"], wide=width >= height)
    fx, fy, prefer_left = graph_layout.fit(xs, ys, radius, labels, width, height)
    # Labels wider than half the drawing need a band of their own, so they go first; then the
    # most mentioned entities keep their places, and the others move to the nearest free spot.
    half = (width - 2 * MARGIN) / 2
    order = sorted(range(n), key=lambda i: (reaches[i][0][2] - reaches[i][0][0] <= half, -weight[i], i))
    placed = graph_layout.place_labels(fx, fy, reaches, prefer_left, order, width, height, work)
    # Too crowded to place every label near its node: give the drawing more height and try again.
    while placed is None:
        grow = 1.15
        fy = [MARGIN + (y - MARGIN) * grow for y in fy]
        height = int(math.ceil(height * grow))
        placed = graph_layout.place_labels(fx, fy, reaches, prefer_left, order, width, height, work)
    px, py, left = placed
    nodes = tuple(Node(e.id, e.name, e.type, e.summary, weight[i], round(px[i], 1), round(py[i], 1),
                       radius[i], left[i]) for i, e in enumerate(ents))
    return Layout(nodes, tuple(edges), width, int(height))


def label_boxes(lay: "Layout") -> list[tuple[float, float, float, float]]:
    """Each node's shape-and-label box in the drawing (what the layout keeps apart)."""
    out = []
    for nd in lay.nodes:
        lines = label_lines(nd.name)
        x0, y0, x1, y1 = box_reach(nd.r, max(label_width(t) for t in lines), len(lines), nd.label_left)
        out.append((nd.x + x0, nd.y + y0, nd.x + x1, nd.y + y1))
    return out


def shape_path(shape: str, x: float, y: float, r: float) -> str:
    """SVG path data of a node shape of radius r centred on (x, y)."""
    def poly(sides: int, rot: float, rr: float = r) -> str:
        pts = [(x + rr * math.cos(rot + 2 * math.pi * i / sides), y + rr * math.sin(rot + 2 * math.pi * i / sides))
               for i in range(sides)]
        return "M" + "L".join(f"{px:.1f} {py:.1f}" for px, py in pts) + "Z"

    if shape == "square":
        s = r * 0.9
        return f"M{x - s:.1f} {y - s:.1f}H{x + s:.1f}V{y + s:.1f}H{x - s:.1f}Z"
    if shape == "diamond":
        return poly(4, -math.pi / 2, r * 1.2)
    if shape == "pentagon":
        return poly(5, -math.pi / 2, r * 1.1)
    if shape == "triangle":
        return poly(3, -math.pi / 2, r * 1.3)
    if shape == "triangle-down":
        return poly(3, math.pi / 2, r * 1.3)
    if shape == "hexagon":
        return poly(6, 0, r * 1.1)
    if shape == "octagon-small":
        return poly(8, math.pi / 8, r * 1.05)
    if shape == "star":
        pts = []
        for i in range(10):
            rr = r * 1.3 if i % 2 == 0 else r * 0.6
            a = -math.pi / 2 + math.pi * i / 5
            pts.append((x + rr * math.cos(a), y + rr * math.sin(a)))
        return "M" + "L".join(f"{px:.1f} {py:.1f}" for px, py in pts) + "Z"
    # circle, as a path so every node is one element type
    return (f"M{x - r:.1f} {y:.1f}a{r:.1f} {r:.1f} 0 1 0 {2 * r:.1f} 0"
            f"a{r:.1f} {r:.1f} 0 1 0 {-2 * r:.1f} 0Z")


def render_svg(lay: Layout, type_labels: dict[str, str], from_page: urls.OutPath = urls.GRAPH,
               title: str = "Entity graph", variant: str = "") -> str:
    """The SVG of a layout; ``variant`` ("wide", "narrow") names a drawing among several on a page."""
    pos = {nd.id: nd for nd in lay.nodes}
    ident = "entity-graph-title" + (f"-{variant}" if variant else "")
    cls = "entity-graph" + (f" entity-graph-{variant}" if variant else "")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" viewBox="0 0 {lay.width} {lay.height}" '
           f'role="group" aria-labelledby="{ident}">',
           f'<title id="{ident}">{escape(title)}</title>',
           '<g class="edges" aria-hidden="true">']
    # One path per kind and width, a subpath per edge (a dash pattern starts again at each
    # subpath, so it draws as separate lines would, in a quarter of the bytes).
    paths: dict[tuple[bool, str], list[str]] = {}
    for e in shown_edges(lay.edges):
        a, b = pos[e.a], pos[e.b]
        width = f"{1.0 + 0.8 * min(e.co, 4) + (0.6 if e.related else 0):.1f}"
        paths.setdefault((e.related, width), []).append(f"M{a.x} {a.y}L{b.x} {b.y}")
    for (related, width), segments in sorted(paths.items(), key=lambda kv: (kv[0][0], float(kv[0][1]))):
        cls = "edge edge-related" if related else "edge edge-co"
        out.append(f'<path class="{cls}" stroke-width="{width}" d="{"".join(segments)}"/>')
    out.append('</g>')
    out.append('<g class="nodes">')
    for nd in lay.nodes:
        href = urls.relative_url(from_page, urls.entity_path(nd.id))
        label = type_labels.get(nd.type, nd.type)
        tx = nd.x - nd.r - 4 if nd.label_left else nd.x + nd.r + 4
        anchor = "end" if nd.label_left else "start"
        out.append(
            f'<a class="node type-{nd.type}" href="{escape(href)}" data-entity="{escape(nd.id)}">'
            f'<title>{escape(isolate(nd.name))} ({escape(label)})</title>'
            f'<path class="node-shape" d="{shape_path(SHAPES.get(nd.type, "circle"), nd.x, nd.y, nd.r)}"/>'
            f'<text x="{tx:.1f}" y="{nd.y:.1f}" text-anchor="{anchor}">{_tspans(nd.name, tx)}</text></a>')
    out.append('</g></svg>')
    return "\n".join(out)


def _tspans(name: str, x: float) -> str:
    lines = label_lines(name)
    if len(lines) == 1:
        return f'<tspan dy="0.35em">{escape(isolate(name))}</tspan>'
    # Each line is isolated on its own: a direction control in a name stays in its line.
    return (f'<tspan x="{x:.1f}" dy="-0.25em">{escape(isolate(lines[0]))}</tspan>'
            f'<tspan x="{x:.1f}" dy="1.2em">{escape(isolate(lines[1]))}</tspan>')


def svg(content: Content, refs: XRef) -> str:
    """The entity graph as static SVG; links are relative to graph.html."""
    lay = layout(content, refs)
    return render_svg(lay, TYPE_SINGULAR, urls.GRAPH, _counts(lay)[2])


def _counts(lay: Layout) -> tuple[int, int, str]:
    """(declared relations, further co-mentions, the SVG's title)."""
    n_rel = sum(1 for e in lay.edges if e.related)
    n_co = sum(1 for e in lay.edges if e.co and not e.related)
    return n_rel, n_co, (f"Entity graph: {len(lay.nodes)} entities, {n_rel} declared relations "
                         f"and {n_co} further co-mentions")


def page(builder):
    """The graph page's view (for ``render_site(extra_pages=lambda b: [graph.page(b)])``)."""
    content, refs = builder.content, builder.xref
    memo = getattr(builder.cache, "layouts", None)
    lay, narrow = layouts(content, refs, ((WIDTH, HEIGHT), (NARROW_WIDTH, NARROW_HEIGHT)), memo=memo)
    n_rel, n_co, title = _counts(lay)
    # Per entity: its declared relations and its CO_MENTIONS_SHOWN strongest co-mentions, and
    # how many co-mentions are left out (its own page lists them all).
    neighbours: dict[str, list[tuple[str, bool, int]]] = defaultdict(list)
    for e in lay.edges:
        if e.related:
            neighbours[e.a].append((e.b, e.related, e.co))
            neighbours[e.b].append((e.a, e.related, e.co))
    strongest = _strongest(lay.edges)
    by_type: dict[str, list] = defaultdict(list)
    for nd in lay.nodes:
        co = strongest.get(nd.id, [])
        near = neighbours.get(nd.id, []) + [(e.b if e.a == nd.id else e.a, False, e.co)
                                              for e in co[:CO_MENTIONS_SHOWN]]
        links = tuple(sorted(((builder.entity_link(o), rel, n) for o, rel, n in near),
                             key=lambda t: t[0].name.casefold()))
        by_type[nd.type].append((builder.entity_link(nd.id), links, max(0, len(co) - CO_MENTIONS_SHOWN)))
    groups = tuple(Group(t, TYPE_LABELS.get(t, t), tuple(sorted(by_type[t], key=lambda x: x[0].name.casefold())))
                   for t in ENTITY_TYPES if by_type.get(t))
    legend = tuple((t, TYPE_SINGULAR.get(t, t), Markup(shape_path(SHAPES.get(t, "circle"), 10, 10, 6)))
                   for t in ENTITY_TYPES if by_type.get(t))
    view = {
        "svg": Markup(render_svg(lay, TYPE_SINGULAR, urls.GRAPH, title, "wide")),
        "svg_narrow": Markup(render_svg(narrow, TYPE_SINGULAR, urls.GRAPH, title, "narrow")),
        "title": title,
        "node_count": len(lay.nodes),
        "related_count": n_rel,
        "co_count": n_co,
        "co_shown": CO_MENTIONS_SHOWN,
        "legend": legend,
        "groups": groups,
    }
    return Page(urls.GRAPH, "graph.html", "Entity graph", "graph", freeze(view))
