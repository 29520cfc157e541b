"""The reader's build-time parts: search index, entity data, reader scripts and the entity graph."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from site_builder import build, graph, loader, search, searchshards, urls, xref
from site_builder.diagnostics import Diagnostics
from site_builder.markdown import Markdown
from site_builder.model import Content, Entity, Overview, Site

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def default():
    diags = Diagnostics()
    content = loader.load(ROOT, diags)
    assert content is not None, [d.format() for d in diags.sorted()]
    analyses = build.analyse_all(content, Markdown(allow_html=content.site.allow_raw_html), None, 1)
    return content, analyses, xref.build(content, analyses)


def load_js(data: bytes, name: str):
    text = data.decode("utf-8")
    prefix = f"window.{name}="
    assert text.startswith(prefix) and text.rstrip().endswith(";")
    return json.loads(text[len(prefix):].rstrip().rstrip(";"))


# ------------------------------------------------------------------ folding and terms

@pytest.mark.parametrize("text", ["DeepSeek-R1", "Zürich ÉCOLE", "ΟΔΟΣ οδος", "İstanbul", "China’s 深度求索", "ﬁ Ǆ"])
def test_fold_keeps_offsets(text):
    assert len(search.fold(text)) == len(text)


def test_fold_lowercases_and_strips_latin_diacritics():
    assert search.fold("Zürich ÉCOLE Łódź") == "zurich ecole lodz"
    assert search.fold("ΟΔΟΣ") == "οδοσ"  # final sigma folded like any sigma
    assert search.fold("İ") == "i"


def test_tokenize_words_and_cjk_bigrams():
    terms = search.tokenize(search.fold("DeepSeek-R1 (深度求索) is a lab; a 5 x"))
    assert {"deepseek", "r1", "is", "lab", "5"} <= set(terms)
    assert "a" not in terms and "x" not in terms  # single letters are not indexed
    assert {"深", "度", "求", "索", "深度", "度求", "求索"} <= set(terms)
    assert "深度求索" not in terms


# ------------------------------------------------------------------ index

def test_records_cover_documents_annotations_and_entities(default):
    content, analyses, refs = default
    recs = search.records(content, analyses, refs)
    kinds = [r.kind for r in recs]
    assert kinds.count("d") == len(content.documents)
    assert kinds.count("a") == sum(len(an.annotations) for an in analyses)
    assert kinds.count("e") == len(content.entities)
    assert kinds.count("p") == 1
    by_url = {r.url: r for r in recs}
    assert "深度求索" in by_url["glossary/deepseek.html"].text
    assert "全球南方" in by_url["glossary/global-south.html"].text
    for r in recs:
        assert not any(tag in r.text for tag in ("<p>", "<em>", "<strong>", "</a>"))


def load_shard(data: bytes) -> tuple[str, dict]:
    text = data.decode("utf-8")
    prefix = '(window.SB_SEARCH_SHARDS=window.SB_SEARCH_SHARDS||{})["'
    assert text.startswith(prefix) and text.endswith(";\n")
    name, _, payload = text[len(prefix):].partition('"]=')
    return name, json.loads(payload[:-2])


def test_site_files(default):
    content, analyses, refs = default
    files = searchshards.site_files(content, analyses, refs)
    shards = {p for p in files if p.path.startswith(urls.SEARCH_SHARDS_DIR)}
    assert set(files) - shards == {urls.SEARCH_INDEX_JS, urls.ENTITIES_JS, urls.THEME_JS, urls.READER_JS,
                                   urls.SEARCH_JS}
    idx = load_js(files[urls.SEARCH_INDEX_JS], "SB_SEARCH")
    assert idx["v"] == searchshards.INDEX_VERSION
    assert idx["n"] == len(search.records(content, analyses, refs))
    for path in shards:  # each shard registers itself under its own file name
        name, _ = load_shard(files[path])
        assert path == searchshards.shard_path(name)
    ents = load_js(files[urls.ENTITIES_JS], "SB_ENTITIES")
    assert set(ents) == {e.id for e in content.entities}
    name, type_label, summary = ents["deepseek"]
    assert name == "DeepSeek" and type_label == "Company" and summary
    for script in (urls.THEME_JS, urls.READER_JS, urls.SEARCH_JS):
        assert b"fetch(" not in files[script] and b"XMLHttpRequest" not in files[script]
    # Deterministic.
    assert searchshards.site_files(content, analyses, refs) == files


def test_site_files_use_project_overrides(default, tmp_path):
    from site_builder import templating

    content, analyses, refs = default
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "reader.js").write_text("/* custom */\n")
    files = searchshards.site_files(content, analyses, refs, templating.make_environment(tmp_path))
    assert files[urls.READER_JS] == b"/* custom */\n"


# ------------------------------------------------------------------ graph

def test_graph_svg_is_deterministic_well_formed_and_linked(default):
    content, _, refs = default
    svg = graph.svg(content, refs)
    assert svg == graph.svg(content, refs)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    links = root.findall(f".//{ns}a")
    assert {a.get("data-entity") for a in links} == {e.id for e in content.entities}
    for a in links:
        assert a.get("href") == f"glossary/{a.get('data-entity')}.html"  # relative to graph.html
        assert a.find(f"{ns}title") is not None and a.find(f"{ns}text") is not None
    # The edges are paths of a subpath per edge (one path per kind and width): every edge shown.
    paths = [p for p in root.findall(f".//{ns}path") if "edge" in p.get("class", "").split()]
    assert sum(p.get("d").count("M") for p in paths) == len(graph.shown_edges(graph.edges_of(content, refs))) > 0
    # Every node inside the view box (which grows taller when the labels need the room).
    lay = graph.layout(content, refs)
    assert lay.width == graph.WIDTH and lay.height >= graph.HEIGHT
    assert f'viewBox="0 0 {lay.width} {lay.height}"' in svg
    for n in lay.nodes:
        assert 0 <= n.x <= lay.width and 0 <= n.y <= lay.height


def test_graph_label_boxes_do_not_overlap(default):
    content, _, refs = default
    lay = graph.layout(content, refs)
    boxes = graph.label_boxes(lay)
    assert len(boxes) == len(content.entities)
    for i, a in enumerate(boxes):
        assert 0 <= a[0] and a[2] <= lay.width and 0 <= a[1] and a[3] <= lay.height, (lay.nodes[i].id, a)
        for j, b in enumerate(boxes[i + 1:], i + 1):
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (lay.nodes[i].id, lay.nodes[j].id)


def test_graph_edges_are_relations_and_co_mentions(default):
    content, _, refs = default
    edges = graph.edges_of(content, refs)
    pairs = {(e.a, e.b) for e in edges}
    for e in content.entities:
        for r in refs.related.get(e.id, ()):
            assert (min(e.id, r), max(e.id, r)) in pairs
        for o, n in refs.co_mentioned.get(e.id, ()):
            edge = next(x for x in edges if (x.a, x.b) == (min(e.id, o), max(e.id, o)))
            assert edge.co == n


def test_graph_of_a_tiny_glossary():
    content = Content(Site("t"), Overview("t", "", (), "", None), (), (),
                      (Entity("a", "Alpha", "person", "A."), Entity("b", "Beta", "concept", "B.", related=("a",))))
    refs = xref.XRef(mentions={}, annotations={}, related={"a": ["b"], "b": ["a"]}, co_mentioned={})
    svg = graph.svg(content, refs)
    ET.fromstring(svg)
    assert svg.count("<a ") == 2 and svg.count('<path class="edge edge-related"') == 1
    empty = Content(Site("t"), Overview("t", "", (), "", None), (), (), ())
    ET.fromstring(graph.svg(empty, xref.XRef()))


def test_graph_shows_each_entitys_strongest_co_mentions_and_every_relation():
    """A hub co-mentioned with many entities: only its CO_MENTIONS_SHOWN strongest are drawn and
    listed, with a count of the rest that links to its entry; declared relations always show."""
    k = graph.CO_MENTIONS_SHOWN
    others = [f"e{i:02d}" for i in range(k + 4)]
    ents = (Entity("hub", "Hub", "person", "H.", related=("e00",)),) + tuple(
        Entity(o, o.upper(), "concept", "x.") for o in others)
    content = Content(Site("t"), Overview("t", "", (), "", None), (), (), ents)
    co = {"hub": [(o, 20 - i) for i, o in enumerate(others)]}
    for i, o in enumerate(others):
        co[o] = [("hub", 20 - i)]
    refs = xref.XRef(mentions={}, annotations={}, related={"hub": ["e00"], "e00": ["hub"]}, co_mentioned=co)
    edges = graph.edges_of(content, refs)
    shown = graph.shown_edges(edges)
    assert len(edges) == k + 4
    # e00 is related (always shown); the co-mentions e01..e08 are the hub's strongest; but each
    # other entity has the hub as its only co-mention, so every edge is among one end's strongest.
    assert set(shown) == set(edges)
    # Another hub with many co-mentions of its own among the same entities: the weakest drop out.
    co2 = {"hub": [(o, 20 - i) for i, o in enumerate(others)]}
    for o in others:
        co2[o] = [("hub", 1)] + [(x, 50) for x in others if x != o]
    refs2 = xref.XRef(mentions={}, annotations={}, related={"hub": ["e00"], "e00": ["hub"]}, co_mentioned=co2)
    shown2 = graph.shown_edges(graph.edges_of(content, refs2))
    hub = [e for e in shown2 if "hub" in (e.a, e.b)]
    assert {e.b if e.a == "hub" else e.a for e in hub} == set(others[:k + 1])  # e00 related, then the k strongest

    class Builder:  # what graph.page reads of the render builder
        cache = None

        def __init__(self):
            self.content, self.xref = content, refs2

        def entity_link(self, eid):
            return next(e for e in ents if e.id == eid)
    view = graph.page(Builder()).view
    items = {e.id: (links, more) for g in view["groups"] for e, links, more in g.items}
    links, more = items["hub"]
    assert len(links) == k + 1 and more == len(others) - 1 - k


def test_graph_labels_wrap_long_names():
    assert graph.label_lines("Xi Jinping") == ["Xi Jinping"]
    lines = graph.label_lines("Interim Measures for the Management of Generative AI Services")
    assert len(lines) == 2 and " ".join(lines) == "Interim Measures for the Management of Generative AI Services"
