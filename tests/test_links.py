"""Hand-written links: broken ones are errors (or warnings with ``warn: [link-broken]``), the
known targets agree with what a build writes, and the live server re-checks them on every build."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from builder_support import ROOT, error_lines, make_project, run_cli
from site_builder import links, urls
from site_builder.build import compile_site
from site_builder.urls import OutPath

DOC = '---\ntitle: "D"\n---\n\nSee [the other](other.html) and [nothing](gone.html#x).\n'
OTHER = '---\ntitle: "O"\n---\n\nOther text.\n'


def _project(tmp_path: Path, site_extra: str = "") -> Path:
    return make_project(tmp_path / "p", {
        "content/site.yml": 'title: "T"\n' + site_extra,
        "content/documents/d.md": DOC,
        "content/documents/other.md": OTHER,
    })


def test_broken_link_is_an_error_in_check_and_build(tmp_path):
    root = _project(tmp_path)
    expected = ("content/documents/d.md:5:43: error: link 'gone.html#x' goes to documents/gone.html, "
                "which the site does not have (did you mean 'other.html#x'?) [link-broken]")
    check = run_cli("check", "--root", root)
    assert check.returncode == 1 and error_lines(check.stderr) == {expected}
    build = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert build.returncode == 1 and error_lines(build.stderr) == {expected}
    assert not (tmp_path / "out").exists()


def test_warn_downgrades_link_broken_and_ignore_then_silences_it(tmp_path):
    root = _project(tmp_path, "warn: [link-broken]\n")
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert ("content/documents/d.md:5:43: warning: link 'gone.html#x' goes to documents/gone.html, "
            "which the site does not have (did you mean 'other.html#x'?) [link-broken]") in proc.stderr
    assert run_cli("check", "--root", root, "--strict").returncode == 1
    (root / "content/site.yml").write_text('title: "T"\nwarn: [link-broken]\nignore: [link-broken]\n', encoding="utf-8")
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 0 and "link-broken" not in proc.stderr, proc.stderr
    # ignore: alone never silences an error.
    (root / "content/site.yml").write_text('title: "T"\nignore: [link-broken]\n', encoding="utf-8")
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 1 and "error: link 'gone.html#x'" in proc.stderr


def test_only_downgradable_codes_are_accepted_by_warn(tmp_path):
    root = _project(tmp_path, "warn: [quote-not-found]\n")
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 1
    assert any("invalid value 'quote-not-found', expected one of: link-broken" in line
               for line in error_lines(proc.stderr)), proc.stderr


def test_resolve():
    page = OutPath("documents/d.html")
    assert links.resolve(page, "https://example.org/x") is None
    assert links.resolve(page, "//cdn.example.org/x") is None
    assert links.resolve(page, "mailto:a@example.org") is None
    assert links.resolve(page, "#ann-x") == ("documents/d.html", "ann-x")
    assert links.resolve(page, "other.html?x=1#hl-a") == ("documents/other.html", "hl-a")
    assert links.resolve(page, "../glossary/") == ("glossary/index.html", "")
    assert links.resolve(page, "../caf%C3%A9.html") == ("café.html", "")
    assert links.resolve(page, "../../x.html") == "goes above the site's top folder"
    assert links.resolve(urls.HOME, "./glossary/cpc.html") == ("glossary/cpc.html", "")
    assert links.resolve(urls.HOME, "#takeaways-h") == ("index.html", "takeaways-h")
    assert "root of the web server" in links.resolve(page, "/index.html")


def test_known_targets_agree_with_the_built_example(tmp_path):
    """Every page and id the link checker knows is in the built example, and every id a document
    page carries is known (the check is computed without rendering, so it must not drift)."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    compiled = compile_site(tmp_path)
    assert compiled.ok
    from site_builder import build, loader, templating
    from site_builder.diagnostics import Diagnostics
    from site_builder.markdown import Markdown
    content = loader.load(tmp_path, Diagnostics())
    md = Markdown(allow_html=content.site.allow_raw_html)
    analyses = build.analyse_all(content, md, None, 1)
    env = templating.make_environment(tmp_path / "templates")
    ids = links.template_ids((n, env.loader.get_source(env, n)[0]) for n in env.list_templates())
    from site_builder import publish, webannotation
    files = [urls.ROBOTS, urls.NOJEKYLL] + [webannotation.collection_path(d.slug) for d in content.documents]
    assert not publish.base_url(content.site)
    targets = links.site_targets(content, analyses, ids, files)
    built = {str(p) for p in compiled.files}
    assert set(targets) <= built, set(targets) - built
    pages = {p for p in built if p.endswith(".html")}
    assert pages <= set(targets), pages - set(targets)
    for path, known in targets.items():
        if known is None:
            continue
        html = compiled.files[OutPath(path)].decode("utf-8")
        actual = links.html_ids(html)
        assert known.exact <= actual, (path, known.exact - actual)
        if path.startswith("documents/"):
            assert {i for i in actual if not known.has(i)} == set(), path
        for i in actual:
            assert known.has(i) or i in known.exact, (path, i)


# ------------------------------------------------------------------- serve

def test_serve_deleting_a_linked_document_shows_the_problem_until_fixed(tmp_path):
    from test_serve import EventClient, page
    from site_builder.serve import LivePreview
    root = _project(tmp_path)
    (root / "content/documents/d.md").write_text(DOC.replace(" and [nothing](gone.html#x)", ""), encoding="utf-8")
    lines: list[str] = []
    preview = LivePreview(root, port=0, quiet=0.05, log=lines.append)
    preview.start()
    events = EventClient(preview)
    try:
        assert events.hello["problems"] is None
        assert "Other text." in page(preview, "documents/other.html")
        (root / "content/documents/other.md").unlink()
        problems = events.next("problems")
        assert [m for m in problems["messages"] if ": error: " in m] == [
            "content/documents/d.md:5:17: error: link 'other.html' goes to documents/other.html, "
            "which the site does not have (did you mean 'd.html'?) [link-broken]"]
        # The page that links to it was not changed, yet it is re-checked on every build.
        (root / "content/index.md").write_text('---\ntitle: "Overview"\n---\n\nEdited.\n', encoding="utf-8")
        again = events.next("problems")
        assert again["messages"] == problems["messages"]
        (root / "content/documents/other.md").write_text(OTHER, encoding="utf-8")
        data = events.next("reload")
        assert "index.html" in data["changed"]
        late = EventClient(preview)
        try:
            assert late.hello["problems"] is None
        finally:
            late.close()
    finally:
        events.close()
        preview.stop()


def test_link_positions_in_annotation_bodies_and_descriptions(tmp_path):
    root = make_project(tmp_path / "p", {
        "content/documents/d.md": '---\ntitle: "D"\n---\n\nThe CPC met.\n',
        "content/annotations/d.yml": ('annotations:\n  - id: a\n    kind: note\n    quote: met\n'
                                      '    body: "See [x](#ann-b)."\n'),
        "content/glossary/cpc.yml": ('name: CPC\ntype: organization\nsummary: S.\n'
                                     'description: |\n  Line one.\n  See [y](../documents/d.html#m-cpc-2).\n'),
    })
    proc = run_cli("check", "--root", root)
    assert error_lines(proc.stderr) == {
        "content/annotations/d.yml:5:20: error: link '#ann-b': documents/d.html has no element with the id "
        "'ann-b' (did you mean 'ann-a'?) [link-broken]",
        "content/glossary/cpc.yml:6:11: error: link '../documents/d.html#m-cpc-2': documents/d.html has no element "
        "with the id 'm-cpc-2' (did you mean 'm-cpc-1'?) [link-broken]",
    }
    assert re.search(r"check: 2 errors", proc.stderr)


# ------------------------------------------------------------ further pages

def test_links_to_further_entity_and_index_pages(tmp_path, monkeypatch):
    """glossary/<id>/2.html, page/2.html and annotations/page/2.html are pages the build makes: a
    hand-written link to one that exists is fine, one past the last page is link-broken."""
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate
    from site_builder import indexplans, labels, pageviews

    # Three documents a page: 8 documents, 3 pages of each list (each module reads its own name).
    for module, name in ((pageviews, "DOCUMENTS_PER_ENTITY_PAGE"), (indexplans, "DOCUMENTS_PER_INDEX_PAGE"),
                         (labels, "DOCUMENTS_PER_ENTITY_PAGE"), (labels, "DOCUMENTS_PER_INDEX_PAGE")):
        monkeypatch.setattr(module, name, 3)
    generate(tmp_path, 8, words=200, entities=30, per_doc=2)
    index = tmp_path / "content/index.md"
    good = ("glossary/xi-jinping/2.html", "glossary/xi-jinping/3.html#mentions-h", "page/2.html#documents-h",
            "page/3.html", "annotations/page/3.html#by-document")
    bad = ("glossary/xi-jinping/4.html", "glossary/xi-jinping/1.html", "glossary/no-such/2.html", "page/4.html",
           "annotations/page/4.html", "page/2.html#no-such-id")
    index.write_text(index.read_text(encoding="utf-8") + "\n\n"
                     + " ".join(f"[{i}]({u})" for i, u in enumerate(good + bad)) + "\n", encoding="utf-8")
    compiled = compile_site(tmp_path, workers=1)
    broken = [d.message for d in compiled.diagnostics.errors if d.code == "link-broken"]
    assert len(broken) == len(bad), broken
    for url in bad:
        assert any(f"link '{url}'" in m for m in broken), (url, broken)
    assert "has no element with the id 'no-such-id'" in " ".join(broken)
    # The pages the good links name are the ones a build with them fixed writes.
    index.write_text(index.read_text(encoding="utf-8").rsplit("\n\n", 1)[0] + "\n\n"
                     + " ".join(f"[{i}]({u})" for i, u in enumerate(good)) + "\n", encoding="utf-8")
    fixed = compile_site(tmp_path, workers=1)
    assert fixed.ok, [d.format() for d in fixed.diagnostics.errors]
    built = {k.path for k in fixed.files}
    assert {u.partition("#")[0] for u in good} <= built and not {u for u in bad if "#" not in u} & built


def test_kept_targets_count_an_entitys_further_pages_again_after_an_edit(monkeypatch):
    """The live server keeps the link targets between edits (Targets.refresh): an edit that makes
    an entity named in more documents gives it a further page a link may name, and one that makes
    it named in fewer takes that page away again."""
    from types import SimpleNamespace as NS

    from site_builder import labels

    monkeypatch.setattr(labels, "DOCUMENTS_PER_ENTITY_PAGE", 2)

    def analysis(slug: str, *entities: str):
        return NS(doc=NS(slug=slug), mentions=[NS(entity=e) for e in entities], annotations=(), orphans=())

    one, two, three = analysis("a", "cpc"), analysis("b", "cpc"), analysis("c")
    by_page = {urls.document_path(an.doc.slug): an for an in (one, two, three)}
    targets = links.Targets(dict.fromkeys(by_page, "document"), links.template_ids({}), by_page, None,
                            frozenset({"cpc"}))
    further = "glossary/cpc/2.html"
    assert further not in targets  # two documents: one page
    targets.refresh([analysis("c", "cpc")])
    assert further in targets  # three documents: two pages
    targets.refresh([analysis("c")])
    assert further not in targets and further not in list(targets)
