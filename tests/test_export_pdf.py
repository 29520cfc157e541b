"""`site-builder export --pdf`: one PDF through headless Chromium, checked with pypdf.

The PDF has a document outline (bookmarks) naming the overview, every document
and the glossary; working internal links (each resolves to a page of the file);
a page number in every page's footer; endnotes; and no page without text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from site_builder import pdf, urls
from test_publish_support import CHROMIUM, ROOT, full_files, no_base_env, project_copy, run_cli

pypdf = pytest.importorskip("pypdf")


def need_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("SITE_BUILDER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing; SITE_BUILDER_REQUIRE_BROWSER=1 requires it")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    need_chromium()
    tmp = tmp_path_factory.mktemp("pdf")
    root = project_copy(tmp / "p")
    target = tmp / "briefing.pdf"
    env = no_base_env()
    env["CHROMIUM"] = CHROMIUM
    proc = run_cli("export", "--root", root, "--pdf", target, env=env, timeout=400)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {target}" in proc.stderr
    return pypdf.PdfReader(str(target)), root, page_texts(target)


def page_texts(path) -> list[str]:
    """Each page's text: poppler's pdftotext when installed (fast), else pypdf."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
        pages = out.decode("utf-8").split("\f")
        return pages[:-1] if pages and not pages[-1].strip() else pages
    return [p.extract_text() for p in pypdf.PdfReader(str(path)).pages]


def flatten(outline, depth=0):
    for item in outline:
        if isinstance(item, list):
            yield from flatten(item, depth + 1)
        else:
            yield depth, item


def test_outline_names_the_overview_each_document_and_the_glossary(exported):
    reader, root, _ = exported
    files = full_files(root).files
    titles = [(d, " ".join(i.title.split()), reader.get_destination_page_number(i)) for d, i in flatten(reader.outline)]
    top = [t for d, t, _ in titles if d == 0]
    from site_builder import loader
    from site_builder.diagnostics import Diagnostics
    content = loader.load(root, Diagnostics())

    for doc in content.documents:
        assert " ".join(doc.title.split()) in top, (doc.title, top)  # spaces kept at soft line breaks too
    assert "Glossary" in top
    assert " ".join(content.overview.title.split()) == top[0]
    assert any(t == "Notes" for d, t, _ in titles if d > 0)  # endnotes under the document
    pages = [p for _, _, p in titles]
    assert pages == sorted(pages) and pages[0] == 0 and max(pages) < len(reader.pages)
    assert urls.HOME in files


def test_internal_links_resolve_to_pages_of_the_file(exported):
    reader, _, _ = exported
    internal, external = 0, 0
    named = reader.named_destinations
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") != "/Link":
                continue
            action = a.get("/A")
            if action is not None and action.get("/S") == "/URI":
                external += 1
                assert str(action["/URI"]).startswith(("http://", "https://", "mailto:")), action["/URI"]
                continue
            dest = a.get("/Dest") if "/Dest" in a else (action or {}).get("/D")
            assert dest is not None, a
            if isinstance(dest, (str, bytes)) or hasattr(dest, "decode"):
                assert str(dest) in named, dest
                target = named[str(dest)]
                assert reader.get_destination_page_number(target) < len(reader.pages)
            internal += 1
    assert internal > 100 and external > 0, (internal, external)


def test_every_page_has_text_and_a_page_number(exported):
    reader, _, texts = exported
    total = len(reader.pages)
    assert total > 3 and len(texts) == total
    for n, text in enumerate(texts, 1):
        assert text.strip(), f"page {n} is blank"
        assert re.search(rf"(?m)^\s*{n} / {total}\s*$", text), f"page {n} has no page number"


def test_notes_are_numbered_endnotes_of_their_document(exported):
    _, _, texts = exported
    text = "\n".join(texts)
    first_doc = text.index("Notes\n")
    # Note 1 and note 2 follow the "Notes" heading, in order.
    after = text[first_doc:]
    assert re.search(r"(?m)^1\.", after) and re.search(r"(?m)^2\.", after)
    assert after.index("1.") < after.index("2.")


def test_print_page_moves_notes_to_the_end_and_drops_reader_scripts():
    files = full_files(ROOT).files
    page = pdf.print_page(files).decode("utf-8")
    assert "pdf-endnotes" in page and "@bottom-center" in page
    assert page.count("<script") == 1  # only the endnote script
    assert 'id="annotations"' not in page  # the annotation index is left out
    assert "Single-file export" not in page


def test_missing_chromium_fails_with_the_install_command(tmp_path):
    root = project_copy(tmp_path / "p")
    env = no_base_env()
    env["CHROMIUM"] = str(tmp_path / "no-such-chromium")
    target = tmp_path / "out.pdf"
    proc = run_cli("export", "--root", root, "--pdf", target, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "apt-get install chromium" in proc.stderr and "Traceback" not in proc.stderr
    assert not target.exists()


def test_find_chromium_order(tmp_path):
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert pdf.find_chromium({"CHROMIUM": str(fake)}) == str(fake)
    assert pdf.find_chromium({"CHROMIUM": str(tmp_path / "missing")}) is None
