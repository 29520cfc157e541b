"""End to end: build the default content with the CLI and check the whole site as a browser would see it."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
import yaml

from builder_support import ROOT, SEED, assert_no_traceback, error_lines, make_project, run_cli, write_files
from site_builder.mentions import fold_case

PACKAGE_TEMPLATES = ROOT / "site_builder" / "templates"


# --------------------------------------------------------------------- helpers

@lru_cache(maxsize=None)
def _parse_cached(path: str, mtime: int):
    data = Path(path).read_bytes()
    return html5lib.parse(data, treebuilder="etree", namespaceHTMLElements=False)


def parse(path: Path):
    return _parse_cached(str(path), path.stat().st_mtime_ns)


def pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def ids_of(tree) -> list[str]:
    return [el.get("id") for el in tree.iter() if el.get("id") is not None]


def text_of(el, skip=lambda e: False) -> str:
    """Text content of an element, leaving out sub-elements for which ``skip`` is true."""
    parts = [el.text or ""]
    for child in el:
        if not skip(child):
            parts.append(text_of(child, skip))
        parts.append(child.tail or "")
    return "".join(parts)


def squash(s: str) -> str:
    return " ".join(s.split())


def is_external(url: str) -> bool:
    return bool(urlsplit(url).scheme) or url.startswith("//")


def resolve(out: Path, page: Path, url: str) -> tuple[Path, str]:
    parts = urlsplit(url)
    target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
    return target, unquote(parts.fragment)


def links(tree) -> list[tuple[str, str]]:
    out = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("href", "src"):
            if el.get(attr) is not None:
                out.append((el.tag, el.get(attr)))
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def annotation_files() -> dict[str, list[dict]]:
    return {p.stem: load_yaml(p)["annotations"] for p in sorted((ROOT / "content" / "annotations").glob("*.yml"))}


def glossary() -> dict[str, dict]:
    return {p.stem: load_yaml(p) for p in sorted((ROOT / "content" / "glossary").glob("*.yml"))}


# ---------------------------------------------------------- the default site

def test_default_site_has_every_page(default_site):
    docs = sorted(p.stem for p in (ROOT / "content" / "documents").glob("*.md"))
    assert docs
    for slug in docs:
        assert (default_site / "documents" / f"{slug}.html").is_file()
    for eid in glossary():
        assert (default_site / "glossary" / f"{eid}.html").is_file()
    for name in ("index.html", "404.html", "glossary/index.html", "annotations/index.html",
                 "assets/style.css", "assets/pygments.css"):
        assert (default_site / name).is_file(), name


def test_every_internal_link_and_fragment_resolves(default_site):
    checked = 0
    for page in pages(default_site):
        tree = parse(page)
        for tag, url in links(tree):
            if is_external(url):
                assert urlsplit(url).scheme in ("http", "https", "mailto"), (page, url)
                continue
            assert not url.startswith("/"), f"{page}: absolute path {url}"
            path = urlsplit(url).path
            assert not path.endswith("/"), f"{page}: link to a folder {url}"
            target, fragment = resolve(default_site, page, url)
            assert target.is_relative_to(default_site.resolve()), (page, url)
            assert target.is_file(), f"{page.relative_to(default_site)}: {url} -> {target} is missing"
            if fragment:
                assert target.suffix == ".html"
                assert fragment in ids_of(parse(target)), f"{page.relative_to(default_site)}: #{fragment} not in {target.name}"
            checked += 1
    assert checked > 100


def test_ids_are_unique_on_every_page(default_site):
    for page in pages(default_site):
        ids = ids_of(parse(page))
        dupes = {i for i in ids if ids.count(i) > 1}
        assert not dupes, (page, dupes)


def test_every_annotation_is_rendered_with_its_highlight(default_site):
    files = annotation_files()
    assert files
    for slug, anns in files.items():
        tree = parse(default_site / "documents" / f"{slug}.html")
        ids = set(ids_of(tree))
        by_id = {el.get("id"): el for el in tree.iter() if el.get("id")}
        for a in anns:
            aid = a["id"]
            assert f"ann-{aid}" in ids and f"hl-{aid}" in ids and f"ref-{aid}" in ids, aid
            note = by_id[f"ann-{aid}"]
            assert f"note-{a['kind']}" in classes(note)
            assert squash(text_of(note))  # non-empty
            if a.get("verdict"):
                assert any(f"verdict-{a['verdict']}" in classes(e) for e in note.iter())
            # the highlighted text is the quote (typographic quotes and whitespace aside)
            marked = squash("".join(text_of(m) for m in tree.iter("mark")
                                    if aid in (m.get("data-ann") or "").split()))
            exact = a["quote"]["exact"] if isinstance(a["quote"], dict) else a["quote"]
            fold = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")
            assert "".join(marked.split()).translate(fold) == "".join(exact.split()).translate(fold), aid
        # every annotation appears on the document's annotation page too, which the index links
        index_targets = {el.get("href") for el in parse(default_site / "annotations" / "index.html").iter("a")}
        assert f"documents/{slug}.html" in index_targets
        page_targets = {el.get("href") for el in parse(default_site / "annotations" / "documents" / f"{slug}.html").iter("a")}
        for a in anns:
            assert f"../../documents/{slug}.html#ann-{a['id']}" in page_targets


def entity_of(href: str) -> str:
    """The entity a mention link names: its glossary page's file name."""
    assert href.startswith("../glossary/") and href.endswith(".html"), href
    return href[len("../glossary/"):-len(".html")]


def test_every_mention_is_reachable_from_its_glossary_page(default_site):
    entities = glossary()
    names = {eid: {fold_case(squash(n)) for n in [e["name"], *(e.get("aliases") or [])]} for eid, e in entities.items()}
    total = capped = 0
    for doc_page in sorted((default_site / "documents").glob("*.html")):
        tree = parse(doc_page)
        mentions = [a for a in tree.iter("a") if "mention" in classes(a)]
        assert mentions
        for a in mentions:
            # The entity is the glossary page the href names (no data-entity: the reader derives it too).
            mid, href = a.get("id"), a.get("href")
            eid = entity_of(href)
            assert mid and href and eid in entities and a.get("data-entity") is None
            target, _ = resolve(default_site, doc_page, href)
            assert target == (default_site / "glossary" / f"{eid}.html").resolve()
            assert fold_case(squash(text_of(a))) in names[eid], (mid, text_of(a))
            back = {el.get("href") for el in parse(target).iter("a")}
            if f"../documents/{doc_page.name}#{mid}" not in back:
                # Past the first few mentions per document, the entity page counts the rest and
                # links to the document (render.MENTIONS_PER_DOCUMENT keeps big briefings' pages small).
                assert f"../documents/{doc_page.name}" in back, (eid, mid)
                assert "more in" in target.read_text(encoding="utf-8"), (eid, mid)
                capped += 1
            total += 1
    assert total > 20 and capped < total


def test_glossary_mention_counts_match_the_document(default_site):
    from site_builder.views import MENTIONS_PER_DOCUMENT

    doc_mentions: dict[str, int] = {}
    listed: dict[str, int] = {}  # mentions an entity page lists in context: a few per document
    for doc_page in (default_site / "documents").glob("*.html"):
        here: dict[str, int] = {}
        for a in parse(doc_page).iter("a"):
            if "mention" in classes(a):
                here[entity_of(a.get("href"))] = here.get(entity_of(a.get("href")), 0) + 1
        for eid, n in here.items():
            doc_mentions[eid] = doc_mentions.get(eid, 0) + n
            listed[eid] = listed.get(eid, 0) + min(n, MENTIONS_PER_DOCUMENT)
    for eid in glossary():
        page = default_site / "glossary" / f"{eid}.html"
        tree = parse(page)
        back = [a for a in tree.iter("a") if re.match(r"\.\./documents/[^#]+\.html#m-", a.get("href") or "")]
        assert len(back) == listed.get(eid, 0), eid
        heading = re.search(r'id="mentions-h">Mentions <span class="muted">\((\d+)\)', page.read_text(encoding="utf-8"))
        assert int(heading.group(1)) == doc_mentions.get(eid, 0), eid


def test_document_text_equals_the_seed_article(default_site):
    docs = sorted((ROOT / "content" / "documents").glob("*.md"))
    page = default_site / "documents" / "xi-first-mover-ai.html"
    assert page.is_file(), [d.name for d in docs]
    tree = parse(page)
    blocks = [el for el in tree.iter() if "block-text" in classes(el)]
    assert blocks
    text = squash(" ".join(text_of(b, skip=lambda e: "ann-ref" in classes(e)) for b in blocks))
    (h1,) = list(tree.iter("h1"))
    if not SEED.is_file():
        pytest.skip(f"seed article not available at {SEED}")
    seed = SEED.read_text(encoding="utf-8").strip().split("\n", 1)
    assert squash(text_of(h1)) == squash(seed[0])
    assert text == squash(seed[1])


def test_document_title_matches_front_matter(default_site):
    for md in sorted((ROOT / "content" / "documents").glob("*.md")):
        front = yaml.safe_load(md.read_text(encoding="utf-8").split("---\n")[1])
        (h1,) = list(parse(default_site / "documents" / f"{md.stem}.html").iter("h1"))
        assert squash(text_of(h1)) == squash(front["title"])


# ------------------------------------------------------------ reproducibility

def test_two_builds_are_byte_identical(default_site, tmp_path):
    out = tmp_path / "again"
    proc = run_cli("build", "--root", ROOT, "--out", out)
    assert proc.returncode == 0, proc.stderr
    first, second = snapshot(default_site), snapshot(out)
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name] == second[name], name


def test_source_date_epoch_sets_mtimes(tmp_path):
    epoch = 1_700_000_000
    out = tmp_path / "out"
    proc = run_cli("build", "--root", ROOT, "--out", out, env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert proc.returncode == 0, proc.stderr
    files = [p for p in out.rglob("*") if p.is_file() and p.name != ".site-builder-output"]
    assert len(files) > 40
    for p in files:
        assert int(p.stat().st_mtime) == epoch, p


def test_source_date_epoch_covers_the_marker_file(tmp_path):
    epoch = 1_700_000_000
    out = tmp_path / "out"
    proc = run_cli("build", "--root", ROOT, "--out", out, env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert proc.returncode == 0, proc.stderr
    assert int((out / ".site-builder-output").stat().st_mtime) == epoch


# --------------------------------------------------------------- raw HTML

RAW = {
    "content/site.yml": 'title: "Raw <script>PWNED(1)</script> test"\n',
    "content/index.md": '---\ntitle: "Overview <script>PWNED()</script>"\nsummary: "<script>PWNED()</script>"\n---\n\n'
                        'Intro <script>PWNED("index")</script> and <img src=x onerror=PWNED(1)>.\n',
    "content/documents/doc.md": '---\ntitle: "Doc <script>PWNED()</script>"\nsummary: "<b>bold</b>"\n---\n\n'
                                'Before <script>PWNED("doc")</script> after. The Widget works.\n\n'
                                '<div onclick="PWNED(2)">block html</div>\n',
    "content/annotations/doc.yml": """\
        annotations:
          - id: a
            kind: note
            quote: The Widget works
            body: |
              Note <script>PWNED("note")</script> here <b onmouseover="PWNED(3)">b</b>.
        """,
    "content/glossary/widget.yml": """\
        name: Widget
        type: concept
        summary: "A <script>PWNED('summary')</script> widget"
        aliases: ["<script>PWNED</script>"]
        description: |
          Described <script>PWNED("desc")</script>.
        """,
}


def injected(out: Path) -> list[tuple[str, str]]:
    """(page, what) for every element that would run the content's PWNED payloads."""
    found = []
    for page in pages(out):
        for el in parse(page).iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag == "script" and "".join(el.itertext()).strip().startswith("PWNED"):
                found.append((page.name, "script"))
            for k, v in el.items():
                if k.lower().startswith("on") and "PWNED" in v:
                    found.append((page.name, k))
    return found


def test_raw_html_is_escaped_by_default(tmp_path):
    root = write_files(tmp_path / "p", RAW)
    out = tmp_path / "out"
    proc = run_cli("build", "--root", root, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert injected(out) == []
    doc = parse(out / "documents" / "doc.html")
    text = text_of(doc.find(".//main"))
    assert '<script>PWNED("doc")</script>' in text  # shown as text, not run
    assert '<script>PWNED("note")</script>' in text
    (h1,) = list(doc.iter("h1"))
    assert text_of(h1) == "Doc <script>PWNED()</script>"
    glossary_text = text_of(parse(out / "glossary" / "widget.html").find(".//main"))
    assert '<script>PWNED("desc")</script>' in glossary_text
    home_text = text_of(parse(out / "index.html").find(".//main"))
    assert '<script>PWNED("index")</script>' in home_text


def test_raw_html_passes_only_when_allowed(tmp_path):
    files = dict(RAW)
    files["content/site.yml"] = RAW["content/site.yml"] + "allow_raw_html: true\n"
    root = write_files(tmp_path / "p", files)
    out = tmp_path / "out"
    proc = run_cli("build", "--root", root, "--out", out)
    assert proc.returncode == 0, proc.stderr
    found = injected(out)
    assert ("doc.html", "script") in found and ("doc.html", "onclick") in found
    assert ("doc.html", "onmouseover") in found  # annotation bodies are Markdown too
    # YAML strings are never HTML, even then: titles and summaries stay text.
    doc = parse(out / "documents" / "doc.html")
    (h1,) = list(doc.iter("h1"))
    assert text_of(h1) == "Doc <script>PWNED()</script>"
    (title,) = list(doc.iter("title"))
    assert "<script>PWNED(1)</script>" in text_of(title)


# ------------------------------------------------------------------ templates

SMALL = {
    "content/documents/doc.md": "---\ntitle: D\n---\n\nThe Widget works.\n",
    "content/annotations/doc.yml": "annotations:\n  - id: a\n    kind: note\n    quote: Widget works\n    body: N.\n",
    "content/glossary/widget.yml": "name: Widget\ntype: concept\nsummary: s\n",
}


def test_template_override_replaces_defaults_file_by_file(tmp_path):
    plain = make_project(tmp_path / "plain", SMALL)
    custom = make_project(tmp_path / "custom", SMALL)
    document = (PACKAGE_TEMPLATES / "document.html").read_text(encoding="utf-8")
    assert "<article" in document
    write_files(custom, {
        "templates/document.html": document.replace("<article", '<p class="custom-override">Custom!</p>\n<article', 1),
        "templates/assets/style.css": "/* custom stylesheet */\n",
    })
    for root in (plain, custom):
        proc = run_cli("build", "--root", root, "--out", root / "out")
        assert proc.returncode == 0, proc.stderr
    a, b = snapshot(plain / "out"), snapshot(custom / "out")
    assert sorted(a) == sorted(b)
    changed = {name for name in a if a[name] != b[name]}
    assert changed == {"documents/doc.html", "assets/style.css"}
    assert b["assets/style.css"] == b"/* custom stylesheet */\n"
    tree = parse(custom / "out" / "documents" / "doc.html")
    assert [text_of(el) for el in tree.iter() if "custom-override" in classes(el)] == ["Custom!"]
    # the rest of the page is still the default template's
    assert any("block-text" in classes(el) for el in tree.iter())


BROKEN_TEMPLATES = {
    "syntax": ("entity.html", '{% extends "base.html" %}\n{% block main %}\n{% if %}\n{% endblock %}\n'),
    "undefined": ("document.html", '{% extends "base.html" %}\n{% block main %}\n<p>{{ view.no_such_field }}</p>\n'
                                   '{% endblock %}\n'),
    "missing-include": ("glossary.html", '{% extends "base.html" %}\n{% block main %}\n{% include "nope.html" %}\n'
                                         '{% endblock %}\n'),
}


def build_broken(tmp_path: Path, template: str, source: str):
    root = make_project(tmp_path / "p", SMALL)
    out = root / "out"
    assert run_cli("build", "--root", root, "--out", out).returncode == 0
    before = snapshot(out)
    write_files(root, {f"templates/{template}": source})
    proc = run_cli("build", "--root", root, "--out", out)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    assert snapshot(out) == before
    (err,) = error_lines(proc.stderr)
    return err


@pytest.mark.parametrize("case", sorted(BROKEN_TEMPLATES))
def test_broken_template_gives_a_diagnostic(tmp_path, case):
    template, source = BROKEN_TEMPLATES[case]
    err = build_broken(tmp_path, template, source)
    assert err.startswith(f"templates/{template}")
    assert err.endswith("[template]")


def test_template_syntax_error_has_its_line(tmp_path):
    template, source = BROKEN_TEMPLATES["syntax"]
    assert build_broken(tmp_path, template, source).startswith(f"templates/{template}:3:")


def test_template_rendering_error_has_its_line(tmp_path):
    template, source = BROKEN_TEMPLATES["undefined"]
    assert build_broken(tmp_path, template, source).startswith(f"templates/{template}:3:")


def test_build_refuses_to_replace_a_folder_it_did_not_make(tmp_path):
    root = make_project(tmp_path / "p", SMALL)
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.txt").write_text("do not delete", encoding="utf-8")
    proc = run_cli("build", "--root", root, "--out", out)
    assert_no_traceback(proc)
    assert proc.returncode != 0
    assert "refusing to replace" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["thesis.txt"]
    assert (out / "thesis.txt").read_text(encoding="utf-8") == "do not delete"
    # ... but an empty folder, or one it made, is fine.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("build", "--root", root, "--out", empty).returncode == 0
    assert run_cli("build", "--root", root, "--out", empty).returncode == 0
    assert (empty / "index.html").is_file()


def test_build_replaces_its_own_output_whole(tmp_path):
    root = make_project(tmp_path / "p", SMALL)
    out = root / "out"
    assert run_cli("build", "--root", root, "--out", out).returncode == 0
    (root / "content" / "glossary" / "gadget.yml").write_text("name: Gadget\ntype: concept\nsummary: s\n",
                                                              encoding="utf-8")
    assert (out / "glossary" / "widget.html").is_file()
    os.remove(root / "content" / "glossary" / "widget.yml")
    proc = run_cli("build", "--root", root, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert not (out / "glossary" / "widget.html").exists()  # stale pages do not linger
    assert (out / "glossary" / "gadget.html").is_file()


def test_relative_url_matches_posix_relpath():
    """The fast relative-URL computation agrees with posixpath.relpath for every pair of page shapes."""
    import itertools
    import posixpath
    from urllib.parse import quote

    from site_builder.urls import OutPath, relative_url

    paths = ["index.html", "404.html", "glossary/index.html", "glossary/cpc.html", "documents/a b.html",
             "assets/x/y.css", "a/b/c.html", "a/b.html", "a/c/d.html", "glossary.html", "a/b/c/d/e.html"]
    for a, b in itertools.product(paths, paths):
        expected = quote(posixpath.relpath(b, posixpath.dirname(a) or "."), safe="/-._~")
        assert relative_url(OutPath(a), OutPath(b)) == expected, (a, b)
    assert relative_url(OutPath("glossary/cpc.html"), OutPath("glossary/cpc.html"), "m-1") == "#m-1"
