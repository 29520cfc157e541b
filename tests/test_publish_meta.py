"""Page metadata: canonical links, OpenGraph / Twitter cards, schema.org JSON-LD, the _meta.html macro.

The unit tests render templates/_meta.html with publish.MetaBuilder directly; the
others check the pages of a real build.
"""

from __future__ import annotations

import json
from dataclasses import replace

import html5lib
import pytest

from site_builder import publish, templating, urls, webannotation
from site_builder.model import Entity
from test_publish_support import (DOMAIN_BASE, PROJECT_BASE, broken_links, load_analysed, project_copy,
                                  run_cli, site_map)

NS = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def analysed():
    """The default content, loaded and analysed once (content, analyses, refs)."""
    return load_analysed()


def builder(analysed, **site):
    content, analyses, refs = analysed
    content = replace(content, site=replace(content.site, **site))
    return publish.MetaBuilder(content, analyses, refs, environ={}), content


def render_meta(meta: dict) -> str:
    env = templating.make_environment(None)
    template = env.from_string('{% from "_meta.html" import meta_tags %}<!DOCTYPE html><html><head>'
                               '<title>t</title>{{ meta_tags(meta) }}</head><body></body></html>')
    return template.render(meta=meta)


def head_of(html_text: str):
    doc = html5lib.parse(html_text)
    head = doc.find(f"{NS}head")
    metas = {}
    for m in head.iter(f"{NS}meta"):
        key = m.get("property") or m.get("name")
        if key:
            metas.setdefault(key, []).append(m.get("content"))
    links = [(ln.get("rel"), ln.get("href"), ln.get("type"), ln.get("media")) for ln in head.iter(f"{NS}link")]
    jsonld = [json.loads(s.text) for s in head.iter(f"{NS}script") if s.get("type") == "application/ld+json"]
    return metas, links, jsonld


def test_document_page_meta_with_base_url(analysed):
    mb, content = builder(analysed, base_url=PROJECT_BASE)
    doc = content.documents[0]
    path = urls.document_path(doc.slug)
    meta = mb.for_page(path, doc.title)
    assert meta["canonical"] == PROJECT_BASE + path.path
    assert meta["og_type"] == "article"
    metas, links, jsonld = head_of(render_meta(meta))
    assert metas["og:title"] == [doc.title]
    assert metas["og:type"] == ["article"]
    assert metas["og:url"] == [PROJECT_BASE + path.path]
    assert metas["og:site_name"] == [content.site.title]
    # With the address known the page has a social card (site_builder.cards), so the large-image card.
    assert metas["twitter:card"] == ["summary_large_image"]
    assert metas["og:image"] == [PROJECT_BASE + "cards/documents/" + doc.slug + ".png"]
    assert metas["twitter:title"] == [doc.title]
    assert metas["description"] == metas["og:description"] == metas["twitter:description"]
    assert len(metas["description"][0]) <= publish.DESCRIPTION_LIMIT
    assert sorted(metas.get("article:tag", [])) == sorted(doc.tags)
    assert ("canonical", PROJECT_BASE + path.path, None, None) in links
    assert ("alternate", "../feed.xml", "application/atom+xml", None) in links
    assert ("alternate", f"../annotations/{doc.slug}.jsonld", webannotation.MEDIA_TYPE, None) in links
    assert ("stylesheet", "../assets/print.css", None, "print") in links
    types = [d["@type"] for d in jsonld]
    assert types[0] == "Article"
    article = jsonld[0]
    assert article["@context"] == "https://schema.org"
    assert article["headline"] == doc.title and article["url"] == PROJECT_BASE + path.path
    assert article["isBasedOn"]["@type"] == "CreativeWork"
    fact_checks = [a for a in mb.analyses[doc.slug].annotations if a.kind == "fact-check"]
    reviews = [d for d in jsonld if d["@type"] == "ClaimReview"]
    assert len(reviews) == len(fact_checks) > 0
    for review, fc in zip(reviews, fact_checks):
        rating = review["reviewRating"]
        assert rating["@type"] == "Rating"
        assert rating["alternateName"] == webannotation.VERDICT_LABELS[fc.verdict]
        assert rating["ratingValue"] == publish.VERDICT_RATINGS[fc.verdict]
        assert rating["worstRating"] == 1 and rating["bestRating"] == 5
        assert review["url"] == f"{PROJECT_BASE}{path.path}#ann-{fc.id}"
        assert review["claimReviewed"] and review["author"]["name"]
        assert review["itemReviewed"]["@type"] == "Claim"


def test_no_absolute_urls_without_base_url(analysed):
    mb, content = builder(analysed, base_url="")
    doc = content.documents[0]
    meta = mb.for_page(urls.document_path(doc.slug), doc.title)
    assert meta["canonical"] == "" and meta["url"] == ""
    metas, links, jsonld = head_of(render_meta(meta))
    assert "og:url" not in metas
    assert not any(rel == "canonical" for rel, *_ in links)
    assert not any(t == "application/atom+xml" for _, _, t, _ in links)  # no feed without base_url
    # The only addresses are the ones the content gives (entity websites, Wikidata, sources): none made up.
    import re
    allowed = {"https://schema.org"}
    for e in content.entities:
        allowed |= {e.website, f"https://www.wikidata.org/wiki/{e.wikidata}"}
    allowed |= {d.source.url for d in content.documents}
    found = set(re.findall(r'"(https?://[^"]+)"', json.dumps(jsonld)))
    assert found <= allowed, found - allowed
    assert {d["@type"] for d in jsonld} == {"Article", "ClaimReview"}


@pytest.mark.parametrize("etype,schema_type", [("person", "Person"), ("organization", "Organization"),
                                               ("company", "Organization"), ("government-body", "Organization"),
                                               ("concept", "DefinedTerm"), ("ai-model", "DefinedTerm"),
                                               ("policy", "DefinedTerm"), ("place", "DefinedTerm")])
def test_entity_json_ld_types(analysed, etype, schema_type):
    site = replace(analysed[0].site, base_url=DOMAIN_BASE)
    e = Entity(id="x-1", name="X One", type=etype, summary="A summary.", aliases=("X1",), wikidata="Q42")
    data = publish.jsonld_entity(site, e, environ={})
    assert data["@type"] == schema_type and data["name"] == "X One"
    assert data["url"] == DOMAIN_BASE + "glossary/x-1.html"
    assert "https://www.wikidata.org/wiki/Q42" in data["sameAs"]
    if schema_type == "DefinedTerm":
        assert data["inDefinedTermSet"]["@type"] == "DefinedTermSet"


def test_every_page_kind_has_metadata(analysed):
    mb, content = builder(analysed, base_url=DOMAIN_BASE)
    home = mb.for_page(urls.HOME, content.site.title)
    assert home["canonical"] == DOMAIN_BASE and home["og_type"] == "website"
    assert home["jsonld"][0]["@type"] == "WebSite"
    entity = content.entities[0]
    em = mb.for_page(urls.entity_path(entity.id), entity.name)
    assert em["jsonld"][0]["name"] == entity.name and em["description"] == entity.summary
    gl = mb.for_page(urls.GLOSSARY_INDEX, "Glossary")
    assert gl["canonical"] == DOMAIN_BASE + "glossary/" and gl["jsonld"][0]["@type"] == "DefinedTermSet"
    nf = mb.for_page(urls.NOT_FOUND, "Page not found")
    assert nf["robots"] == "noindex" and nf["canonical"] == ""
    metas, links, _ = head_of(render_meta(nf))
    assert metas["robots"] == ["noindex"]


def test_json_ld_cannot_break_out_of_its_script(analysed):
    site = replace(analysed[0].site, base_url="")
    e = Entity(id="evil", name="</script><script>alert(1)</script>", type="concept", summary="a & b < c")
    meta = publish.page_meta(site, urls.entity_path("evil"), e.name, e.summary, "entity",
                             jsonld=[publish.jsonld_entity(site, e, environ={})], environ={})
    html_text = render_meta(meta)
    assert "<script>alert(1)" not in html_text
    _, _, jsonld = head_of(html_text)
    assert jsonld[0]["name"] == e.name


def test_meta_is_plain_picklable_data(analysed):
    import pickle
    mb, content = builder(analysed, base_url=PROJECT_BASE)
    meta = mb.for_page(urls.document_path(content.documents[0].slug), "t")
    assert pickle.loads(pickle.dumps(meta)) == meta
    json.dumps(meta)


def test_not_found_urls(analysed):
    site = replace(analysed[0].site, base_url=PROJECT_BASE)
    assert publish.not_found_url(site, urls.STYLESHEET, environ={}) == PROJECT_BASE + "assets/style.css"
    site = replace(site, base_url="")
    assert publish.not_found_url(site, urls.GLOSSARY_INDEX, environ={}) == "glossary/index.html"


# ------------------------------------------------------------ the built site

@pytest.mark.parametrize("base", [PROJECT_BASE, DOMAIN_BASE])
def test_built_pages_carry_metadata(tmp_path, base):
    root = project_copy(tmp_path / "p", base_url=base)
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    for page in out.rglob("*.html"):
        rel = page.relative_to(out).as_posix()
        metas, links, jsonld = head_of(page.read_text(encoding="utf-8"))
        assert metas.get("og:title") and metas.get("twitter:card"), rel
        assert metas.get("og:type") == (["article"] if rel.startswith("documents/") else ["website"]), rel
        assert len(metas.get("description", [])) == 1, f"{rel}: exactly one meta description"
        assert any(r == "stylesheet" and m == "print" for r, _, _, m in links), rel
        if rel == "404.html":
            assert metas.get("robots") == ["noindex"]
            continue
        expected = base + (rel[:-len("index.html")] if rel.endswith("index.html") else rel)
        assert [h for r, h, _, _ in links if r == "canonical"] == [expected], rel
        assert metas["og:url"] == [expected]
        for item in jsonld:
            check_schema_org(item, rel)
        if rel.startswith("documents/"):
            assert any(t == webannotation.MEDIA_TYPE for _, _, t, _ in links)
            assert "W3C Web Annotation (JSON-LD)" in page.read_text(encoding="utf-8")


def test_built_404_works_at_any_depth_with_base_url(tmp_path):
    root = project_copy(tmp_path / "p", base_url=PROJECT_BASE)
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    from site_builder.urls import OutPath
    files = {OutPath(p.relative_to(tmp_path / "out").as_posix()): p.read_bytes()
             for p in (tmp_path / "out").rglob("*") if p.is_file() and not p.name.startswith(".site-builder")}
    for depth_url in (PROJECT_BASE + "missing.html", PROJECT_BASE + "a/b/c", PROJECT_BASE + "documents/x/y/z.html"):
        problems = broken_links(files, "http", PROJECT_BASE, served_at={"404.html": depth_url}, pages_only={"404.html"})
        assert not problems, "\n".join(problems)
    refs = site_map(files)["404.html"].refs
    assert any(v == PROJECT_BASE + "assets/style.css" for _, _, v in refs)


REQUIRED = {
    "WebSite": {"name"}, "Article": {"headline", "inLanguage"}, "DefinedTermSet": {"name"},
    "DefinedTerm": {"name", "description", "inDefinedTermSet"}, "Person": {"name", "description"},
    "Organization": {"name", "description"},
    "ClaimReview": {"claimReviewed", "reviewRating", "itemReviewed", "author", "reviewBody"},
}


def check_schema_org(item: dict, where: str) -> None:
    import re
    assert item["@context"] == "https://schema.org", where
    assert item["@type"] in REQUIRED, where
    missing = REQUIRED[item["@type"]] - set(item)
    assert not missing, f"{where}: {item['@type']} lacks {missing}"

    def walk(node, path):
        if isinstance(node, dict):
            assert "@type" in node or path == "", f"{where}{path}: nested object without @type"
            for k, v in node.items():
                if k in ("url", "mainEntityOfPage") and isinstance(v, str):
                    assert re.match(r"^https?://[^\s/]+", v), f"{where}{path}.{k}: {v}"
                if k in ("datePublished", "dateModified"):
                    assert re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", v), f"{where}{path}.{k}: {v}"
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        else:
            assert isinstance(node, (str, int, float, bool)) and node != "", f"{where}{path}: {node!r}"
    walk({k: v for k, v in item.items() if k not in ("@context", "@type")}, "")
    if item["@type"] == "ClaimReview":
        r = item["reviewRating"]
        assert r["worstRating"] <= r["ratingValue"] <= r["bestRating"] and r["alternateName"]


@pytest.mark.parametrize("base", ["", PROJECT_BASE])
def test_every_pages_json_ld_is_well_formed_schema_org(analysed, base):
    mb, content = builder(analysed, base_url=base)
    seen = set()
    for path in publish.default_pages(content) + [urls.NOT_FOUND]:
        _, _, jsonld = head_of(render_meta(mb.for_page(path, "Title")))
        for item in jsonld:
            check_schema_org(item, path.path)
            seen.add(item["@type"])
    assert {"WebSite", "Article", "ClaimReview", "DefinedTermSet", "DefinedTerm", "Person", "Organization"} <= seen
