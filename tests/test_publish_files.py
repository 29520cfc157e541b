"""publish.site_files and publish.diagnostics: .nojekyll, robots.txt, CNAME, sitemap.xml, the Atom feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from site_builder import publish, urls, webannotation
from site_builder.diagnostics import Diagnostics, Severity
from test_publish_support import DOMAIN_BASE, PROJECT_BASE, full_files, load_analysed, no_base_env, project_copy

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
W3C_DATETIME = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="module")
def analysed():
    """The default content, loaded and analysed once (content, analyses, refs)."""
    return load_analysed()


def with_site(content, **changes):
    return replace(content, site=replace(content.site, **changes))


def files_for(analysed, environ=None, **site):
    content, analyses, refs = analysed
    return publish.site_files(with_site(content, **site), analyses, refs, environ=environ or no_base_env())


# ------------------------------------------------------------ always there

def test_always_nojekyll_robots_print_css_and_annotation_collections(analysed):
    files = files_for(analysed, base_url="")
    assert files[publish.NOJEKYLL] == b""
    robots = files[publish.ROBOTS].decode()
    assert "User-agent: *" in robots and "Allow: /" in robots
    assert "Sitemap:" not in robots  # no absolute address to give
    assert files[publish.PRINT_CSS].startswith(b"/*") and b"@page" in files[publish.PRINT_CSS]
    content = analysed[0]
    for doc in content.documents:
        assert webannotation.collection_path(doc.slug) in files
    for path in files:
        assert isinstance(path, urls.OutPath)


def test_without_base_url_no_sitemap_no_feed_and_a_warning(analysed):
    files = files_for(analysed, base_url="")
    assert publish.SITEMAP not in files and publish.FEED not in files
    assert publish.CNAME not in files
    content = with_site(analysed[0], base_url="")
    # a local build says nothing about it; publishing (--publish) warns
    assert publish.diagnostics(content, environ=no_base_env()) == []
    diags = publish.diagnostics(content, environ=no_base_env(), publishing=True)
    assert [d.code for d in diags] == ["base-url-missing"]
    d = diags[0]
    assert d.severity is Severity.WARNING
    assert d.pos.path == "content/site.yml"
    assert "base_url" in d.format() and "[base-url-missing]" in d.format()


def test_base_url_missing_can_be_silenced_like_any_code(analysed):
    content = with_site(analysed[0], base_url="")
    collector = Diagnostics(ignore=frozenset({"base-url-missing"}))
    collector.extend(publish.diagnostics(content, environ=no_base_env(), publishing=True))
    assert collector.items == []


def test_base_url_from_site_yml_environment_or_cname(analysed):
    site = analysed[0].site
    assert publish.base_url(replace(site, base_url="https://org.github.io/repo"), {}) == "https://org.github.io/repo/"
    assert publish.base_url(replace(site, base_url="https://org.github.io/repo/"), {}) == "https://org.github.io/repo/"
    env = {"SITE_BUILDER_BASE_URL": "https://org.github.io/from-env"}
    assert publish.base_url(replace(site, base_url=""), env) == "https://org.github.io/from-env/"
    # site.yml wins over the environment
    assert publish.base_url(replace(site, base_url="https://a.example.org/x/"), env) == "https://a.example.org/x/"
    assert publish.base_url(replace(site, base_url="", cname="briefing.example.org"), {}) == "https://briefing.example.org/"
    assert publish.base_url(replace(site, base_url=""), {"SITE_BUILDER_BASE_URL": "not a url"}) == ""
    assert publish.diagnostics(with_site(analysed[0], base_url=""), environ=env) == []


def test_cname_file(analysed):
    files = files_for(analysed, base_url="", cname="Briefing.Example.org")
    assert files[publish.CNAME] == b"briefing.example.org\n"
    # and with cname the site's address is known: sitemap and feed are written
    assert publish.SITEMAP in files and publish.FEED in files


def test_cname_mismatch_and_bad_base_url_warn(analysed):
    content = with_site(analysed[0], base_url="https://org.github.io/repo/", cname="briefing.example.org")
    assert [d.code for d in publish.diagnostics(content, environ={})] == ["cname-mismatch"]
    content = with_site(analysed[0], base_url="https://org.github.io/repo/index.html")
    assert [d.code for d in publish.diagnostics(content, environ={})] == ["base-url-invalid"]


# ------------------------------------------------------------------ sitemap

@pytest.mark.parametrize("base", [PROJECT_BASE, DOMAIN_BASE])
def test_sitemap_is_valid_and_lists_every_page_but_404(analysed, base):
    content, analyses, refs = analysed
    files = files_for(analysed, base_url=base)
    robots = files[publish.ROBOTS].decode()
    assert f"Sitemap: {base}sitemap.xml" in robots
    data = files[publish.SITEMAP]
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(data)
    assert root.tag == f"{SM}urlset"
    locs = []
    for u in root:
        assert u.tag == f"{SM}url"
        children = {c.tag for c in u}
        assert children <= {f"{SM}loc", f"{SM}lastmod"}
        loc = u.find(f"{SM}loc").text
        assert loc.startswith(base) and len(loc) < 2048
        lastmod = u.find(f"{SM}lastmod")
        if lastmod is not None:
            assert W3C_DATETIME.match(lastmod.text)
        locs.append(loc)
    assert len(locs) == len(set(locs)) and len(locs) <= 50000
    assert locs[0] == base  # the home page first, as its folder URL
    expected = {publish.page_url(base, p) for p in publish.default_pages(content)}
    assert set(locs) == expected
    assert not any(loc.endswith("404.html") for loc in locs)


def test_sitemap_uses_the_pages_given(analysed):
    content, analyses, refs = analysed
    pages = [urls.HOME, urls.NOT_FOUND, urls.OutPath("graph.html"), urls.OutPath("assets/style.css")]
    files = publish.site_files(with_site(content, base_url=PROJECT_BASE), analyses, refs, pages=pages, environ={})
    locs = [u.find(f"{SM}loc").text for u in ET.fromstring(files[publish.SITEMAP])]
    assert locs == [PROJECT_BASE, PROJECT_BASE + "graph.html"]


# --------------------------------------------------------------------- feed

def test_atom_feed_is_valid(analysed):
    content, analyses, refs = analysed
    files = files_for(analysed, base_url=PROJECT_BASE)
    root = ET.fromstring(files[publish.FEED])
    assert root.tag == f"{ATOM}feed"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == content.site.language

    def one(el, tag):
        found = el.findall(f"{ATOM}{tag}")
        assert len(found) == 1, f"{tag}: {len(found)}"
        return found[0]

    assert one(root, "id").text == PROJECT_BASE
    assert one(root, "title").text == content.site.title
    assert RFC3339.match(one(root, "updated").text)
    assert one(one(root, "author"), "name").text
    links = {(ln.get("rel"), ln.get("href")) for ln in root.findall(f"{ATOM}link")}
    assert ("self", PROJECT_BASE + "feed.xml") in links
    assert ("alternate", PROJECT_BASE) in links
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(content.documents)
    ids = set()
    for e in entries:
        eid = one(e, "id").text
        assert eid.startswith(PROJECT_BASE) and eid not in ids
        ids.add(eid)
        assert one(e, "title").text
        assert RFC3339.match(one(e, "updated").text)
        alternate = [ln for ln in e.findall(f"{ATOM}link") if ln.get("rel", "alternate") == "alternate"]
        assert len(alternate) == 1 and alternate[0].get("href").startswith(PROJECT_BASE + "documents/")
        assert alternate[0].get("href").endswith(".html")
        summary = one(e, "summary")
        assert summary.get("type") == "text" and summary.text
    feed_updated = one(root, "updated").text
    assert all(one(e, "updated").text <= feed_updated for e in entries)


def test_feed_orders_entries_newest_first_and_handles_partial_dates(analysed, tmp_path):
    from site_builder import build, loader
    from site_builder.markdown import Markdown
    from test_publish_support import make_minimal
    root = make_minimal(tmp_path, docs={"old": "2024", "new": "2025-03", "undated": ""})
    diags = Diagnostics()
    content = loader.load(root, diags)
    md = Markdown()
    analyses = build.analyse_all(content, md, None, 1)
    data = publish.atom_feed(content, analyses, PROJECT_BASE)
    entries = ET.fromstring(data).findall(f"{ATOM}entry")
    order = [e.find(f"{ATOM}id").text.rsplit("/", 1)[-1] for e in entries]
    assert order[:2] == ["new.html", "old.html"]
    published = {e.find(f"{ATOM}id").text.rsplit("/", 1)[-1]: e.find(f"{ATOM}published") for e in entries}
    assert published["new.html"].text == "2025-03-01T00:00:00Z"
    assert published["undated.html"] is None


def test_site_files_end_to_end_with_project_path(tmp_path):
    root = project_copy(tmp_path / "p", base_url=PROJECT_BASE, cname=None)
    result = full_files(root)
    assert publish.SITEMAP in result.files and publish.FEED in result.files
    assert not [d for d in result.diagnostics.items if d.code == "base-url-missing"]


def test_no_publishing_warnings_while_site_yml_itself_is_broken(analysed):
    from site_builder.diagnostics import Pos
    content = with_site(analysed[0], base_url="")
    broken = Diagnostics()
    broken.error("yaml-syntax", Pos("content/site.yml", 3, 1), "YAML syntax error")
    assert publish.diagnostics(content, environ={}, existing=broken.items, publishing=True) == []
    elsewhere = Diagnostics()
    elsewhere.error("quote-not-found", Pos("content/annotations/x.yml", 3, 1), "not found")
    assert [d.code for d in publish.diagnostics(content, environ={}, existing=elsewhere.items,
                                                publishing=True)] == ["base-url-missing"]
