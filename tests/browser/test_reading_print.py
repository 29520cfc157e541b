"""Printing a document page (Chromium's PDF output, read back with pdftotext from poppler-utils).

No blank pages from any window width; the notes as numbered endnotes, or after each
paragraph with ``print_notes: inline``; the addresses of external links printed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reader_build import compile_reader
from reader_support import ROOT, need, open_context, url

DOC = "documents/xi-first-mover-ai.html"


def _pdf_pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for i in range(1, count + 1)]


def _print(browser, site: Path, width: int, out: Path) -> list[str]:
    ctx = open_context(browser, width, 800)
    try:
        page = ctx.new_page()
        page.goto(url(site, DOC))
        page.wait_for_load_state("load")
        page.pdf(path=str(out), format="A4")
    finally:
        ctx.close()
    return _pdf_pages(out)


@pytest.fixture(scope="module")
def pdftotext():
    need(shutil.which("pdftotext") is not None and shutil.which("pdfinfo") is not None,
         "pdftotext is not installed (apt-get install poppler-utils)")


@pytest.mark.parametrize("width", [375, 800, 1280, 1920])
def test_document_prints_without_blank_pages(reader_browser, reader_site, tmp_path, pdftotext, width):
    pages = _print(reader_browser, reader_site, width, tmp_path / "doc.pdf")
    blank = [i + 1 for i, text in enumerate(pages) if not text.strip()]
    assert not blank, f"blank pages {blank} of {len(pages)} when printed from {width} px"
    text = "\n".join(pages)
    flat = " ".join(text.split())
    assert "Notes" in text
    # Endnotes: every note's number and body after the text, and external addresses printed.
    assert flat.index("Notes 1.") > flat.index("intensifying its AI efforts")  # after the text, from note 1 on
    assert " 48. " in flat[flat.index("Notes 1."):]
    assert "<https://" in flat
    assert "Skip to the notes" not in flat and "Expand all notes" not in flat and "Back to top" not in flat and "↑" not in flat


def test_print_notes_inline(reader_browser, tmp_path, pdftotext):
    from site_builder.writer import write_site

    root = tmp_path / "briefing"
    shutil.copytree(ROOT / "content", root / "content")
    site_yml = root / "content" / "site.yml"
    site_yml.write_text(site_yml.read_text(encoding="utf-8").rstrip("\n") + "\nprint_notes: inline\n", encoding="utf-8")
    out = tmp_path / "site"
    write_site(root, out, compile_reader(root))
    pages = _print(reader_browser, out, 1280, tmp_path / "inline.pdf")
    assert not [i for i, t in enumerate(pages) if not t.strip()]
    flat = " ".join(" ".join(pages).split())
    assert "Notes 1." not in flat  # no endnotes list
    first_note = flat.index("1. Note")
    assert first_note < flat.index("In a recent")  # the first paragraph's notes follow it
    # On screen the copies are not shown.
    html = (out / DOC).read_text(encoding="utf-8")
    assert 'class="print-notes block-notes" aria-hidden="true"' in html
