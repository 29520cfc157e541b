"""The entity graph in Chromium: no two labels overlap (their rendered boxes, from getBBox),
and a 375 px phone has no horizontal scroll, with the list of connections offered first."""

from __future__ import annotations

import pytest

from reader_support import open_context, url


def overlaps(a: dict, b: dict, slack: float = 0.5) -> bool:
    return (a["x"] + slack < b["x"] + b["w"] and b["x"] + slack < a["x"] + a["w"]
            and a["y"] + slack < b["y"] + b["h"] and b["y"] + slack < a["y"] + a["h"])


@pytest.mark.parametrize("width, variant", [(1280, "wide"), (375, "narrow")])
def test_no_two_labels_overlap(reader_browser, reader_site, width, variant):
    ctx = open_context(reader_browser, width, 812)
    page = ctx.new_page()
    page.goto(url(reader_site, "graph.html"))
    assert page.locator(f"svg.entity-graph-{variant}").is_visible()
    boxes = page.evaluate("""(v) => [...document.querySelectorAll('svg.entity-graph-' + v + ' a.node')].map(a => {
        const b = a.querySelector('text').getBBox(), s = a.querySelector('path').getBBox();
        return {id: a.dataset.entity, x: b.x, y: b.y, w: b.width, h: b.height,
                shape: {x: s.x, y: s.y, w: s.width, h: s.height}};
    })""", variant)
    assert len(boxes) > 30
    view = page.evaluate("""(v) => { const b = document.querySelector('svg.entity-graph-' + v).viewBox.baseVal;
        return {width: b.width, height: b.height}; }""", variant)
    ctx.close()
    clashes = []
    for i, a in enumerate(boxes):
        assert a["w"] > 0 and a["h"] > 0, a
        # Inside the drawing.
        assert a["x"] >= 0 and a["y"] >= 0 and a["x"] + a["w"] <= view["width"] and a["y"] + a["h"] <= view["height"], a
        for b in boxes[i + 1:]:
            if overlaps(a, b):
                clashes.append((a["id"], b["id"]))
            # A label does not cover another entity's shape either.
            if overlaps(a, b["shape"]) or overlaps(b, a["shape"]):
                clashes.append((a["id"], b["id"], "shape"))
    assert not clashes, clashes


def test_a_phone_has_no_horizontal_scroll_and_gets_the_list_first(reader_browser, reader_site):
    ctx = open_context(reader_browser, 375, 812)
    try:
        page = ctx.new_page()
        page.goto(url(reader_site, "graph.html"))
        sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert sizes[0] <= sizes[1], sizes
        frame = page.evaluate("""() => { const f = document.querySelector('.graph-scroll');
            return [f.scrollWidth, f.clientWidth]; }""")
        assert frame[0] <= frame[1] + 1, frame  # the drawing fits the width: nothing to scroll sideways
        # The list of connections is offered before the drawing.
        link = page.locator("a.graph-list-link")
        assert link.is_visible()
        assert page.locator("svg.entity-graph-wide").is_hidden()
        graph_top = page.locator("svg.entity-graph-narrow").bounding_box()["y"]
        # Labels stay readable: the drawing is scaled to no less than 0.85 of its size.
        scale = page.evaluate("""() => { const s = document.querySelector('svg.entity-graph-narrow');
            return s.getBoundingClientRect().width / s.viewBox.baseVal.width; }""")
        assert scale >= 0.85, scale
        assert link.bounding_box()["y"] < graph_top
        link.click()
        assert page.evaluate("location.hash") == "#graph-list-h"
    finally:
        ctx.close()
