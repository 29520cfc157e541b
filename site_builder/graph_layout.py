"""Laying out the entity graph: node positions, and label boxes that never overlap.

Pure geometry, in three steps whose cost grows about linearly with the
number of entities (``graph.py`` turns the result into SVG):

1. **Forces** (``positions``): a force-directed layout from a fixed start
   (entities grouped by type around the centre, the most connected ones
   innermost), for a fixed number of rounds.  Nodes repel the nodes in the
   neighbouring cells of a grid twice the ideal distance wide; the rest of
   the graph pushes each node outwards as a round cloud of the same nodes
   would (Gauss's law in the plane: one sort per round).  Springs, with
   Hooke's law, pull along each entity's strongest links only, so a round
   costs about as much as the number of entities, however densely they are
   co-mentioned.
2. **Fitting** (``orient``, ``fit``): turned so the graph's long axis lies
   along the drawing's long side, scaled into it each axis on its own, and
   spread part of the way towards even ranks.
3. **Label placement** (``place_labels``): the entities, in the order given
   (``graph.py``: the widest labels, then the most mentioned), each take the
   free spot nearest their position for the box that covers the shape and
   the label (on either side): up or down its column, or beside what is in
   the way.  Placed boxes sit in a grid of cells, so a spot is compared only
   with the boxes near it.

Nothing is random: the same input gives the same drawing, byte for byte.
``Work`` counts the comparisons each step makes, so tests can check how the
cost grows without timing anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

MARGIN = 16
FONT_SIZE = 13
# Label boxes are estimated from character widths; real fonts differ by up to about 13%
# (measured in Chromium), so boxes are kept apart with this much room to spare.
LABEL_SLACK = 1.18
LABEL_PAD = 3.0
SHAPE_REACH = 1.3  # the pointed shapes (triangles, stars) reach 1.3 times the radius
# Boxes are kept at least this far apart, so rounding positions to 0.1 never makes them touch.
GAP = 1.0

ROUNDS = 80  # force-directed rounds, whatever the number of entities
SPRINGS_PER_NODE = 6  # each entity's strongest links pull in the layout (all are drawn)
SIDE_COST = 400.0  # a label on its other side costs as much as moving its node 20 px
BOX_CELL = 64.0  # cell size of the grid of placed label boxes
EVEN = 0.6  # how far fitted positions move towards an even spread (0: not at all, 1: ranks only)
PULL = 1.0  # spring stiffness, per unit of link strength
GRAVITY = 0.1  # towards the centre; more for entities with no links


@dataclass
class Work:
    """Comparisons made by one layout (for tests of how the cost grows)."""
    repulsion_pairs: int = 0  # node pairs whose distance was compared
    springs: int = 0  # spring updates
    box_checks: int = 0  # label box pairs compared

    @property
    def comparisons(self) -> int:
        return self.repulsion_pairs + self.springs + self.box_checks


class Spring(NamedTuple):
    a: int
    b: int
    strength: float


def label_lines(name: str, limit: int = 24) -> list[str]:
    """A long name on two balanced lines (split at a space), a short one on one."""
    words = name.split()
    if len(name) <= limit or len(words) < 2:
        return [name]
    best, best_cost = [name], float("inf")
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        cost = max(label_width(a), label_width(b))
        if cost < best_cost:
            best, best_cost = [a, b], cost
    return best


def label_width(text: str) -> float:
    """The estimated width of a label line, in pixels."""
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


def box_reach(radius: float, label: float, lines: int, left: bool) -> tuple[float, float, float, float]:
    """The box (x0, y0, x1, y1) a node's shape and label cover, relative to the node's centre."""
    r = radius * SHAPE_REACH
    h = FONT_SIZE * 1.25 * lines + LABEL_PAD
    width = label * LABEL_SLACK + LABEL_PAD
    half = max(r, h / 2)
    if left:
        return -radius - 4 - width, -half, r, half
    return -r, -half, radius + 4 + width, half


# ---------------------------------------------------------------- forces

def springs_of(n: int, links: list[tuple[int, int, float]]) -> list[Spring]:
    """The springs of the layout: each node's ``SPRINGS_PER_NODE`` strongest links (both ends' choices)."""
    per_node: list[list[tuple[float, int]]] = [[] for _ in range(n)]
    for a, b, w in links:
        per_node[a].append((-w, b))
        per_node[b].append((-w, a))
    keep: dict[tuple[int, int], float] = {}
    for a in range(n):
        for negw, b in sorted(per_node[a])[:SPRINGS_PER_NODE]:
            keep[(min(a, b), max(a, b))] = -negw
    # A node held by many springs would be pulled into a knot: each spring is weaker the more there are.
    count = [0] * n
    for a, b in keep:
        count[a] += 1
        count[b] += 1
    return [Spring(a, b, w * 4 / max(4, count[a] + count[b])) for (a, b), w in sorted(keep.items())]


def positions(n: int, links: list[tuple[int, int, float]], work: Work | None = None) -> tuple[list[float], list[float]]:
    """Force-directed positions of n nodes (in layout units; ``fit`` scales them into a drawing).

    ``links`` are (a, b, strength) between node indices; the nodes come in
    type order, so neighbouring indices start side by side.
    """
    work = work if work is not None else Work()
    if n == 0:
        return [], []
    springs = springs_of(n, links)
    degree = [0.0] * n
    for s in springs:
        degree[s.a] += s.strength
        degree[s.b] += s.strength
    k = 1.0  # the ideal distance between nodes
    reach = math.sqrt(n / math.pi) * k  # radius of a disc of n nodes, k apart
    # Start: by type around the centre, the most connected innermost, the disc filled evenly.
    rank = {i: r for r, i in enumerate(sorted(range(n), key=lambda i: (-degree[i], i)))}
    xs, ys = [], []
    for i in range(n):
        angle = 2 * math.pi * (i + 0.5) / n
        rho = reach * math.sqrt((rank[i] + 0.5) / n)
        xs.append(math.cos(angle) * rho)
        ys.append(math.sin(angle) * rho)
    cell = 2 * k
    cut2 = cell * cell
    temp = reach / 4
    cool = temp / (ROUNDS + 1)
    half_neighbourhood = ((1, 0), (-1, 1), (0, 1), (1, 1))
    gravity = [GRAVITY if degree[i] else 3.5 * GRAVITY for i in range(n)]
    for _ in range(ROUNDS):
        dx = [0.0] * n
        dy = [0.0] * n
        grid: dict[tuple[int, int], list[int]] = {}
        for i in range(n):
            grid.setdefault((math.floor(xs[i] / cell), math.floor(ys[i] / cell)), []).append(i)
        pairs = 0
        for (cx, cy), members in grid.items():
            for p, i in enumerate(members):
                xi, yi = xs[i], ys[i]
                others = members[p + 1:]
                for ox, oy in half_neighbourhood:
                    near = grid.get((cx + ox, cy + oy))
                    if near:
                        others = others + near
                pairs += len(others)
                for j in others:
                    ddx, ddy = xi - xs[j], yi - ys[j]
                    d2 = ddx * ddx + ddy * ddy
                    if d2 >= cut2:
                        continue
                    f = k * k / (d2 or 0.0001)  # (k^2 / d) / d: force over distance, times the offset
                    dx[i] += ddx * f
                    dy[i] += ddy * f
                    dx[j] -= ddx * f
                    dy[j] -= ddy * f
        work.repulsion_pairs += pairs
        # The far field, which the grid leaves out: seen from afar the nodes are a round cloud,
        # and the push of k^2 / d from a round cloud is k^2 times the nodes nearer its centre
        # than this one, over this one's distance from it (Gauss's law in the plane).
        cx, cy = sum(xs) / n, sum(ys) / n
        dist = [math.hypot(xs[i] - cx, ys[i] - cy) for i in range(n)]
        for inside, i in enumerate(sorted(range(n), key=lambda i: (dist[i], i))):
            if inside and dist[i] > cell:
                f = k * k * inside / (dist[i] * dist[i])
                dx[i] += (xs[i] - cx) * f
                dy[i] += (ys[i] - cy) * f
        work.repulsion_pairs += n  # one look at each node (and a sort)
        for a, b, w in springs:
            ddx, ddy = xs[a] - xs[b], ys[a] - ys[b]
            f = w * PULL / k  # Hooke: the pull grows with the distance, as the far field does
            dx[a] -= ddx * f
            dy[a] -= ddy * f
            dx[b] += ddx * f
            dy[b] += ddy * f
        work.springs += len(springs)
        for i in range(n):
            # Gravity keeps unconnected entities near the rest.
            dx[i] -= xs[i] * gravity[i]
            dy[i] -= ys[i] * gravity[i]
            d = math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]) or 1.0
            step = min(d, temp)
            xs[i] += dx[i] / d * step
            ys[i] += dy[i] / d * step
        temp -= cool
    return xs, ys


def orient(xs: list[float], ys: list[float], wide: bool) -> tuple[list[float], list[float]]:
    """Turn the positions so their longest extent lies along the drawing's longer side.

    Forces leave the graph at any angle; turned by its principal axis, a long
    graph fills a wide drawing (or a tall one) instead of lying across it.
    """
    n = len(xs)
    if n < 2:
        return list(xs), list(ys)
    cx, cy = sum(xs) / n, sum(ys) / n
    sxx = sum((x - cx) ** 2 for x in xs)
    syy = sum((y - cy) ** 2 for y in ys)
    sxy = sum((x - cx) * (y - cy) for x, y in zip(xs, ys))
    angle = 0.5 * math.atan2(2 * sxy, sxx - syy)  # of the principal axis, from the x axis
    if not wide:
        angle -= math.pi / 2
    c, s = math.cos(angle), math.sin(angle)
    return ([(x - cx) * c + (y - cy) * s for x, y in zip(xs, ys)],
            [-(x - cx) * s + (y - cy) * c for x, y in zip(xs, ys)])


def fit(xs, ys, radius, labels, width, height) -> tuple[list[float], list[float], list[bool]]:
    """Scale positions into the view box, leaving room for each label; which labels go on the left."""
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
    # Forces leave the nodes denser in the middle than at the rim; labels need the room evenly,
    # so each axis is blended with the nodes' ranks along it (which keeps their order).
    nx = _even([ox + (x - minx) * sx for x in xs], ox, ox + inner_w)
    ny = _even([oy + (y - miny) * sy for y in ys], oy, oy + inner_h)
    left = [nx[i] + radius[i] + 4 + labels[i] > width - MARGIN for i in range(n)]
    return nx, ny, left


def _even(vs: list[float], lo: float, hi: float) -> list[float]:
    """Values moved ``EVEN`` of the way to where their ranks would put them, evenly from lo to hi."""
    n = len(vs)
    out = list(vs)
    for rank, i in enumerate(sorted(range(n), key=lambda i: (vs[i], i))):
        at = lo + (hi - lo) * (rank + 0.5) / n
        out[i] = vs[i] + (at - vs[i]) * EVEN
    return out


# ---------------------------------------------------------------- labels

class _Boxes:
    """Placed boxes in a grid of cells: which of them a new box would overlap."""

    def __init__(self, work: Work):
        self.boxes: list[tuple[float, float, float, float]] = []
        self.cells: dict[tuple[int, int], list[int]] = {}
        self.work = work

    def _cells(self, box):
        x0, y0, x1, y1 = box
        for cx in range(math.floor(x0 / BOX_CELL), math.floor(x1 / BOX_CELL) + 1):
            for cy in range(math.floor(y0 / BOX_CELL), math.floor(y1 / BOX_CELL) + 1):
                yield cx, cy

    def hits(self, box) -> list[int]:
        """The placed boxes that come closer than ``GAP / 2`` to ``box``, in the order they were placed."""
        x0, y0, x1, y1 = box
        e = GAP / 2
        seen: set[int] = set()
        found = []
        for c in self._cells(box):
            for b in self.cells.get(c, ()):
                if b in seen:
                    continue
                seen.add(b)
                bx0, by0, bx1, by1 = self.boxes[b]
                if x0 < bx1 + e and bx0 < x1 + e and y0 < by1 + e and by0 < y1 + e:
                    found.append(b)
        self.work.box_checks += len(seen)
        return sorted(found)

    def add(self, box) -> None:
        self.boxes.append(box)
        for c in self._cells(box):
            self.cells.setdefault(c, []).append(len(self.boxes) - 1)


def place_labels(xs, ys, reaches, prefer_left, order, width, height,
                 work: Work | None = None) -> tuple[list[float], list[float], list[bool]] | None:
    """Move each node (in ``order``) to the free spot nearest its position; None if one finds none.

    ``reaches[i]`` holds node i's box relative to its centre with the label
    on the right and on the left (``box_reach``); a node keeps the side
    ``prefer_left`` gives it unless the other side is free nearer.  Every box
    stays inside the drawing, ``MARGIN`` from its edges.
    """
    work = work if work is not None else Work()
    nx, ny, left = list(xs), list(ys), list(prefer_left)
    placed = _Boxes(work)
    for i in order:
        spot = _nearest_free(xs[i], ys[i], reaches[i], prefer_left[i], placed, width, height)
        if spot is None:
            return None
        x, y, side = spot
        nx[i], ny[i], left[i] = x, y, side
        o = reaches[i][side]
        placed.add((x + o[0], y + o[1], x + o[2], y + o[3]))
    return nx, ny, left


def _nearest_free(tx, ty, reach, prefer_left, placed: _Boxes, width, height):
    """The free spot nearest (tx, ty): straight up or down from there, or from just beside what is there
    (failing those, from one of nine columns across the drawing).

    Labels are wide and short, so moving up or down frees them soonest: each
    column is walked by jumping past the boxes in the way.  The side other
    than ``prefer_left`` costs a little, so a label flips only when that
    frees a nearer spot.  None if every column tried is full.
    """
    def clamp_x(x, side):
        x0, _, x1, _ = reach[side]
        lo, hi = MARGIN - x0, width - MARGIN - x1
        return round(lo if x < lo or hi < lo else min(x, hi), 1)

    best = None
    for everywhere in (False, True):  # near the node first; then columns across the whole drawing
        for side in (prefer_left, not prefer_left):
            x0, y0, x1, y1 = reach[side]
            lo_y, hi_y = MARGIN - y0, height - MARGIN - y1
            start_y = round(min(max(ty, lo_y), hi_y), 1)
            if everywhere:
                lo_x, hi_x = clamp_x(-math.inf, side), clamp_x(math.inf, side)
                columns = [round(lo_x + (hi_x - lo_x) * t / 8, 1) for t in range(9)]
            else:
                x = clamp_x(tx, side)
                hits = placed.hits((x + x0, start_y + y0, x + x1, start_y + y1))
                if not hits and side == prefer_left:
                    return x, start_y, side
                columns = [x]
                if hits:
                    columns.append(clamp_x(min(placed.boxes[b][0] for b in hits) - GAP - x1, side))
                    columns.append(clamp_x(max(placed.boxes[b][2] for b in hits) + GAP - x0, side))
            for cx in dict.fromkeys(columns):
                for down in (False, True):
                    y = start_y
                    while lo_y <= y <= hi_y:
                        cost = (cx - tx) ** 2 + (y - ty) ** 2 + (0 if side == prefer_left else SIDE_COST)
                        if best is not None and cost >= best[0]:
                            break  # further on costs more than the spot already found
                        in_way = placed.hits((cx + x0, y + y0, cx + x1, y + y1))
                        if not in_way:
                            best = (cost, cx, y, side)
                            break
                        if down:
                            y = round(max(placed.boxes[b][3] for b in in_way) + GAP - y0, 1)
                        else:
                            y = round(min(placed.boxes[b][1] for b in in_way) - GAP - y1, 1)
        if best is not None:
            break
    return None if best is None else best[1:]
