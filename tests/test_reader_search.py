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
    lines = root.findall(f".//{ns}line")
    assert len(lines) == len(graph.edges_of(content, refs)) > 0
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
    assert svg.count("<a ") == 2 and svg.count("<line ") == 1
    empty = Content(Site("t"), Overview("t", "", (), "", None), (), (), ())
    ET.fromstring(graph.svg(empty, xref.XRef()))


def test_graph_labels_wrap_long_names():
    assert graph.label_lines("Xi Jinping") == ["Xi Jinping"]
    lines = graph.label_lines("Interim Measures for the Management of Generative AI Services")
    assert len(lines) == 2 and " ".join(lines) == "Interim Measures for the Management of Generative AI Services"
