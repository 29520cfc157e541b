"""The entity graph: glossary entities as nodes, declared relations and co-mentions as edges.

Laid out at build time (a deterministic force-directed layout, then label
overlap removal) into a static SVG whose nodes are links to the entities'
pages, so the graph needs no JavaScript.  Node shape and colour both show the
entity type (shape alone is enough without colour); node size shows how often
the entity is mentioned or annotated; solid edges are declared relations,
dashed ones co-mentions (named in the same paragraph), thicker when frequent.

``svg(content, refs)`` returns the SVG markup; ``page(builder)`` the page view
for ``templates/graph.html`` (hook it into ``render.render_site(extra_pages=...)``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple

from markupsafe import Markup, escape

from . import urls
from .bidi import isolate
from .labels import TYPE_LABELS, TYPE_SINGULAR
from .model import Content
from .schema import ENTITY_TYPES
from .render import Group, Page, _freeze
from .xref import XRef

WIDTH, HEIGHT = 1000, 720
# Phones get a drawing of their own, laid out for a narrow screen: it fits the width with
# labels still readable (about 12 px on a 375 px phone), and grows downwards instead.
NARROW_WIDTH, NARROW_HEIGHT = 380, 900
MARGIN = 16
FONT_SIZE = 13
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


def label_lines(name: str, limit: int = 24) -> list[str]:
    """A long name on two balanced lines (split at a space), a short one on one."""
    words = name.split()
    if len(name) <= limit or len(words) < 2:
        return [name]
    best, best_cost = [name], float("inf")
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        cost = max(_label_width(a), _label_width(b))
        if cost < best_cost:
            best, best_cost = [a, b], cost
    return best


def _label_width(text: str) -> float:
    w = 0.0
    for c in text:
        if ord(c) > 0x2e80:
            w += 1.0
        elif c in "il.,:;'|!":
            w += 0.3
        elif c in "mwMW":
            w += 0.85
        elif c.isupper():
            w += 0.68
        else:
            w += 0.55
    return w * FONT_SIZE


def layout(content: Content, refs: XRef, width: int = WIDTH, height: int = HEIGHT,
           memo: dict | None = None) -> Layout:
    """Deterministic Fruchterman-Reingold layout (no randomness), scaled into the view box.

    ``memo`` (a dict kept between builds) holds the last layout of each size
    with exactly the inputs it was computed from (the entities' ids, types,
    names and summaries, the edges and the weights), so an edit that changes
    none of them does not lay the graph out again.
    """
    type_order = {t: i for i, t in enumerate(ENTITY_TYPES)}
    ents = sorted(content.entities, key=lambda e: (type_order.get(e.type, 99), e.id))
    edges = edges_of(content, refs)
    weight = [len(refs.mentions.get(e.id, ())) + len(refs.annotations.get(e.id, ())) for e in ents]
    if memo is None:
        return _layout(ents, edges, weight, width, height)
    key = (tuple((e.id, e.type, e.name, e.summary) for e in ents), tuple(edges), tuple(weight))
    hit = memo.get((width, height))
    if hit is not None and hit[0] == key:
        return hit[1]
    lay = _layout(ents, edges, weight, width, height)
    memo[(width, height)] = (key, lay)
    return lay


def _layout(ents, edges, weight, width: int, height: int) -> Layout:
    n = len(ents)
    if n == 0:
        return Layout((), (), width, height)
    index = {e.id: i for i, e in enumerate(ents)}

    # Start on an ellipse, grouped by type: linked entities then pull together.
    xs = [math.cos(2 * math.pi * i / n) * width * 0.4 for i in range(n)]
    ys = [math.sin(2 * math.pi * i / n) * height * 0.4 for i in range(n)]
    springs = [(index[e.a], index[e.b], (1.0 if e.related else 0.0) + min(e.co, 4) * 0.35) for e in edges]
    degree = [0] * n
    for a, b, _ in springs:
        degree[a] += 1
        degree[b] += 1
    k = 1.1 * math.sqrt(width * height / n)
    iterations = int(max(50, min(300, 2_000_000 / (n * n))))
    temp = width / 8
    cool = temp / (iterations + 1)
    for _ in range(iterations):
        dx = [0.0] * n
        dy = [0.0] * n
        for i in range(n):
            xi, yi = xs[i], ys[i]
            for j in range(i + 1, n):
                ddx, ddy = xi - xs[j], yi - ys[j]
                d2 = ddx * ddx + ddy * ddy or 0.01
                f = k * k / d2  # (k^2 / d) / d: force over distance, times the offset
                dx[i] += ddx * f
                dy[i] += ddy * f
                dx[j] -= ddx * f
                dy[j] -= ddy * f
        for a, b, w in springs:
            ddx, ddy = xs[a] - xs[b], ys[a] - ys[b]
            d = math.sqrt(ddx * ddx + ddy * ddy) or 0.01
            f = d * w / k
            dx[a] -= ddx * f
            dy[a] -= ddy * f
            dx[b] += ddx * f
            dy[b] += ddy * f
        for i in range(n):
            # Gravity keeps unconnected entities near the rest.
            g = 0.02 if degree[i] else 0.08
            dx[i] -= xs[i] * g * k / 60
            dy[i] -= ys[i] * g * k / 60
            d = math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]) or 1.0
            step = min(d, temp)
            xs[i] += dx[i] / d * step
            ys[i] += dy[i] / d * step
        temp -= cool

    radius = [5.0 + 2.2 * math.sqrt(w) for w in weight]
    lines = [label_lines(e.name) for e in ents]
    labels = [max(_label_width(t) for t in ls) for ls in lines]
    heights = [len(ls) for ls in lines]
    # Room for the labels: a drawing narrower than its labels need grows taller from the start.
    area = sum((labels[i] * LABEL_SLACK + 2 * radius[i] + 12) * (FONT_SIZE * 1.25 * heights[i] + 8) for i in range(n))
    height = max(height, int(area * 2.5 / width))
    xs, ys, left = _fit(xs, ys, radius, labels, width, height)
    xs, ys = _separate_labels(xs, ys, radius, labels, heights, left, width, height)
    # Too crowded to separate every label: give the drawing more height and try again.
    for _ in range(12):
        if not _overlapping(xs, ys, radius, labels, heights, left):
            break
        grow = 1.15
        ys = [MARGIN + (y - MARGIN) * grow for y in ys]
        height = int(math.ceil(height * grow))
        xs, ys = _separate_labels(xs, ys, radius, labels, heights, left, width, height)
    nodes = tuple(Node(e.id, e.name, e.type, e.summary, weight[i], round(xs[i], 1), round(ys[i], 1),
                       round(radius[i], 1), left[i]) for i, e in enumerate(ents))
    return Layout(nodes, tuple(edges), width, int(height))


def _fit(xs, ys, radius, labels, width, height):
    """Scale positions into the view box, leaving room for each label."""
    n = len(xs)
    minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
    spanx, spany = (maxx - minx) or 1.0, (maxy - miny) or 1.0
    longest = max(labels)
    inner_w = width - 2 * MARGIN - longest * 0.7
    inner_h = height - 2 * MARGIN - FONT_SIZE * 3
    # Each axis is scaled on its own, so the graph fills the box whatever the layout's aspect.
    sx, sy = inner_w / spanx, inner_h / spany
    ox = MARGIN + longest * 0.35
    oy = MARGIN + FONT_SIZE * 1.5
    nx = [ox + (x - minx) * sx for x in xs]
    ny = [oy + (y - miny) * sy for y in ys]
    left = [nx[i] + radius[i] + 4 + labels[i] > width - MARGIN for i in range(n)]
    return nx, ny, left


# Label boxes are estimated from character widths; real fonts differ by up to about 13%
# (measured in Chromium), so boxes are kept apart with this much room to spare.
LABEL_SLACK = 1.18
LABEL_PAD = 3.0
SHAPE_REACH = 1.3  # the pointed shapes (triangles, stars) reach 1.3 times the radius


def _box(i, xs, ys, radius, labels, heights, left):
    """The box (x0, y0, x1, y1) that node i's shape and label cover, with room to spare."""
    r = radius[i] * SHAPE_REACH
    h = FONT_SIZE * 1.25 * heights[i] + LABEL_PAD
    width = labels[i] * LABEL_SLACK + LABEL_PAD
    if left[i]:
        x0 = xs[i] - radius[i] - 4 - width
        x1 = xs[i] + r
    else:
        x0 = xs[i] - r
        x1 = xs[i] + radius[i] + 4 + width
    return x0, ys[i] - max(r, h / 2), x1, ys[i] + max(r, h / 2)


def label_boxes(lay: "Layout") -> list[tuple[float, float, float, float]]:
    """Each node's shape-and-label box in the drawing (what the layout keeps apart)."""
    nodes = lay.nodes
    xs, ys = [n.x for n in nodes], [n.y for n in nodes]
    radius = [n.r for n in nodes]
    lines = [label_lines(n.name) for n in nodes]
    labels = [max(_label_width(t) for t in ls) for ls in lines]
    return [_box(i, xs, ys, radius, labels, [len(ls) for ls in lines], [n.label_left for n in nodes])
            for i in range(len(nodes))]


def _overlapping(xs, ys, radius, labels, heights, left) -> bool:
    boxes = sorted(_box(i, xs, ys, radius, labels, heights, left) + (i,) for i in range(len(xs)))
    return bool(_overlapping_pairs(boxes))


def _overlapping_pairs(boxes) -> list[tuple[int, int]]:
    """Positions (a, b), a < b, of the boxes (sorted by left edge) that overlap.

    The same pairs, in the same order, as comparing every box with each later
    box whose left edge is left of its right edge, but found by sweeping down
    the drawing: label boxes are wide and short, so few of them share a band
    of height, and the cost grows with the number of nodes and overlaps, not
    with its square.
    """
    by_top = sorted(range(len(boxes)), key=lambda a: boxes[a][1])
    n = len(by_top)
    pairs = []
    for pos in range(n):
        a = by_top[pos]
        ay0, ay1 = boxes[a][1], boxes[a][3]
        for nxt in range(pos + 1, n):
            b = by_top[nxt]
            by0, by1 = boxes[b][1], boxes[b][3]
            if by0 >= ay1:
                break  # sorted by top edge: no later box reaches up into this one
            if min(ay1, by1) - max(ay0, by0) <= 0:
                continue
            lo, hi = (a, b) if a < b else (b, a)
            if boxes[hi][0] < boxes[lo][2]:
                pairs.append((lo, hi))
    pairs.sort()
    return pairs


def _separate_labels(xs, ys, radius, labels, heights, left, width, height, rounds: int = 300):
    """Push apart nodes whose label boxes overlap (mostly vertically, which costs the least)."""
    n = len(xs)
    xs, ys = list(xs), list(ys)
    # A box's edges are fixed offsets from its node: work them out once.
    reach, zero = [], [0.0] * n
    for i in range(n):
        x0, y0, x1, y1 = _box(i, zero, zero, radius, labels, heights, left)
        reach.append((x0, y0, x1, y1, i))
    for _ in range(rounds):
        moved = False
        boxes = sorted([(xs[i] + x0, ys[i] + y0, xs[i] + x1, ys[i] + y1, i) for x0, y0, x1, y1, i in reach])
        for a, b in _overlapping_pairs(boxes):
            ax0, ay0, ax1, ay1, i = boxes[a]
            bx0, by0, bx1, by1, j = boxes[b]
            ox = min(ax1, bx1) - bx0
            oy = min(ay1, by1) - max(ay0, by0)
            moved = True
            if oy <= ox * 1.5:
                shift = oy / 2 + 0.5
                sign = -1 if (ys[i], i) < (ys[j], j) else 1
                ys[i] += sign * shift
                ys[j] -= sign * shift
            else:
                shift = ox / 2 + 0.5
                sign = -1 if (xs[i], i) < (xs[j], j) else 1
                xs[i] += sign * shift
                xs[j] -= sign * shift
        for x0, y0, x1, y1, i in reach:
            x0, y0, x1, y1 = xs[i] + x0, ys[i] + y0, xs[i] + x1, ys[i] + y1
            if x0 < MARGIN:
                xs[i] += MARGIN - x0
            if x1 > width - MARGIN:
                xs[i] -= x1 - (width - MARGIN)
            if y0 < MARGIN:
                ys[i] += MARGIN - y0
            if y1 > height - MARGIN:
                ys[i] -= y1 - (height - MARGIN)
        if not moved:
            break
    return xs, ys


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
    for e in lay.edges:
        a, b = pos[e.a], pos[e.b]
        cls = "edge edge-related" if e.related else "edge edge-co"
        width = 1.0 + 0.8 * min(e.co, 4) + (0.6 if e.related else 0)
        out.append(f'<line class="{cls}" x1="{a.x}" y1="{a.y}" x2="{b.x}" y2="{b.y}" stroke-width="{width:.1f}"/>')
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
    lay = layout(content, refs, memo=memo)
    n_rel, n_co, title = _counts(lay)
    neighbours: dict[str, list[tuple[str, bool, int]]] = defaultdict(list)
    for e in lay.edges:
        neighbours[e.a].append((e.b, e.related, e.co))
        neighbours[e.b].append((e.a, e.related, e.co))
    by_type: dict[str, list] = defaultdict(list)
    for nd in lay.nodes:
        links = tuple(sorted(((builder.entity_link(o), rel, co) for o, rel, co in neighbours.get(nd.id, ())),
                             key=lambda t: t[0].name.casefold()))
        by_type[nd.type].append((builder.entity_link(nd.id), links))
    groups = tuple(Group(t, TYPE_LABELS.get(t, t), tuple(sorted(by_type[t], key=lambda x: x[0].name.casefold())))
                   for t in ENTITY_TYPES if by_type.get(t))
    legend = tuple((t, TYPE_SINGULAR.get(t, t), Markup(shape_path(SHAPES.get(t, "circle"), 10, 10, 6)))
                   for t in ENTITY_TYPES if by_type.get(t))
    narrow = layout(content, refs, NARROW_WIDTH, NARROW_HEIGHT, memo=memo)
    view = {
        "svg": Markup(render_svg(lay, TYPE_SINGULAR, urls.GRAPH, title, "wide")),
        "svg_narrow": Markup(render_svg(narrow, TYPE_SINGULAR, urls.GRAPH, title, "narrow")),
        "title": title,
        "node_count": len(lay.nodes),
        "related_count": n_rel,
        "co_count": n_co,
        "legend": legend,
        "groups": groups,
    }
    return Page(urls.GRAPH, "graph.html", "Entity graph", "graph", _freeze(view))
