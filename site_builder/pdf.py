"""`site-builder export --pdf`: the briefing as one PDF, printed by headless Chromium.

:func:`print_page` makes one HTML page for printing from a build's output: the
overview, every document, the glossary index and every glossary entry, one
after the other (the single-file export's machinery: :func:`site_builder.exports.single_file`,
so every link between them is an in-file anchor, which Chromium turns into a
link inside the PDF).  It differs from the single file in three ways:

* no reader scripts (nothing interactive on paper), but one small script of
  its own that moves each document's notes to the end of that document as
  numbered endnotes (under a "Notes" heading; the superscript numbers in the
  text link to them and each note links back), unless the stylesheet's
  markup already has endnotes (an ``.endnotes`` element);
* a few print rules of its own (:data:`PRINT_RULES`, after the site's print
  stylesheet): page numbers in the bottom margin (CSS ``@page`` margin boxes)
  and the endnote layout;
* the annotation index is left out: on paper each note is already printed
  with its document.

:func:`print_pdf` runs Chromium on it: ``--headless --print-to-pdf`` with the
print stylesheet, ``--generate-pdf-document-outline`` (bookmarks from the
headings) and ``--no-pdf-header-footer`` (no date or file path on the pages).
:func:`find_chromium` looks for ``$CHROMIUM``, ``chromium``,
``chromium-browser``, ``google-chrome`` and ``google-chrome-stable``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import exports
from .urls import OutPath

CHROMIUM_ENV = "CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_CHROMIUM = ("the PDF export prints with headless Chromium, which was not found (looked for $CHROMIUM, "
               + ", ".join(CANDIDATES) + "); install it, e.g. on Debian or Ubuntu: sudo apt-get install chromium "
               "(or set CHROMIUM to the browser's path)")
TIMEOUT = 300  # seconds

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)
_FOOTER = re.compile(r'<footer class="site-footer">.*?</footer>', re.S)


class PdfError(Exception):
    """Chromium ran but made no PDF."""


def find_chromium(environ: dict | None = None) -> str | None:
    env = os.environ if environ is None else environ
    chosen = env.get(CHROMIUM_ENV, "").strip()
    if chosen:
        found = shutil.which(chosen)
        return found if found else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pages(files: dict[OutPath, bytes]) -> list[OutPath]:
    """The pages the PDF holds, in reading order: overview, documents, glossary index, entries."""
    return [p for p in exports.bundle_pages(files) if not p.path.startswith("annotations/")]


def print_page(files: dict[OutPath, bytes], *, base_url: str = "") -> bytes:
    """The combined HTML page Chromium prints (see the module docstring)."""
    text = exports.single_file(files, base_url=base_url, pages=print_pages(files)).decode("utf-8")
    text = _SCRIPT.sub("", text)
    text = _FOOTER.sub("", text)  # it speaks of the single file
    text = text.replace("</head>", f"<style>\n{PRINT_RULES}\n</style>\n</head>", 1)
    text = text.replace("</body>", f"<script>\n{ENDNOTES_SCRIPT}\n</script>\n</body>", 1)
    return text.encode("utf-8")


def print_pdf(page: bytes, chromium: str, *, timeout: float = TIMEOUT) -> bytes:
    """``page`` printed to PDF by ``chromium`` (headless, print media, bookmarks, no header or footer)."""
    with tempfile.TemporaryDirectory(prefix="site-builder-pdf-") as tmp:
        folder = Path(tmp)
        src = folder / "briefing.html"
        out = folder / "briefing.pdf"
        src.write_bytes(page)
        cmd = [chromium, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
               "--disable-extensions", "--disable-sync", "--disable-background-networking",
               "--disable-component-update", "--mute-audio", f"--user-data-dir={folder / 'profile'}",
               "--no-pdf-header-footer", "--generate-pdf-document-outline", f"--print-to-pdf={out}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        cmd.append(src.as_uri())
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"Chromium did not finish printing within {timeout:.0f} s") from exc
        except OSError as exc:
            raise PdfError(f"cannot run {chromium}: {exc.strerror or exc}") from exc
        if not out.is_file() or out.stat().st_size == 0:
            detail = [line for line in proc.stderr.splitlines() if line.strip()][-3:]
            raise PdfError(f"Chromium ({chromium}) made no PDF (exit status {proc.returncode})"
                           + (": " + " | ".join(detail) if detail else ""))
        return out.read_bytes()


def export_pdf(files: dict[OutPath, bytes], chromium: str, *, base_url: str = "") -> bytes:
    return print_pdf(print_page(files, base_url=base_url), chromium)


# Page numbers in the bottom margin; endnotes. After the site's print stylesheet, so they win.
PRINT_RULES = """/* site_builder PDF export */
@page {
  @bottom-center { content: counter(page) " / " counter(pages); font: 8.5pt/1 sans-serif; color: #444; }
}
@media print {
  .pdf-endnotes { margin-top: 6mm; padding-top: 2mm; border-top: .5pt solid #999; font-size: 8.5pt; }
  .pdf-endnotes > h2 { font-size: 12pt !important; margin: 0 0 3mm; }
  .pdf-endnotes .note { margin: 0 0 2.5mm !important; }
  .block-notes:empty { display: none !important; }
  /* Chromium builds the bookmarks from the headings' laid-out lines and drops the space at each
     soft line break ("first-moveredge"); kept spaces (whitespace collapsed by the script) keep it. */
  h1, h2, h3, h4, h5, h6 { white-space: pre-wrap; }
}
"""

# Collapses whitespace in headings (see PRINT_RULES); moves each document's notes, in their order,
# to the end of the document.
ENDNOTES_SCRIPT = r"""(function () {
  "use strict";
  var headings = document.querySelectorAll("h1, h2, h3, h4, h5, h6");
  for (var h = 0; h < headings.length; h++) {
    var walker = document.createTreeWalker(headings[h], NodeFilter.SHOW_TEXT), texts = [], t;
    while ((t = walker.nextNode())) texts.push(t);
    for (var n = 0; n < texts.length; n++) {
      var value = texts[n].nodeValue.replace(/\s+/g, " ");
      if (n === 0) value = value.replace(/^ /, "");
      if (n === texts.length - 1) value = value.replace(/ $/, "");
      texts[n].nodeValue = value;
    }
  }
  var sections = document.querySelectorAll("section.sf-page[id^='doc-']");
  for (var i = 0; i < sections.length; i++) {
    var section = sections[i];
    if (section.querySelector(".endnotes, .pdf-endnotes")) continue;
    var notes = section.querySelectorAll(".block-notes .note");
    if (!notes.length) continue;
    var box = document.createElement("section");
    box.className = "pdf-endnotes";
    var heading = document.createElement("h2");
    heading.id = section.id + "__pdf-notes";
    heading.textContent = "Notes";
    box.setAttribute("aria-labelledby", heading.id);
    box.appendChild(heading);
    for (var j = 0; j < notes.length; j++) box.appendChild(notes[j]);
    var article = section.querySelector("article.document") || section;
    var after = article.querySelector(".annotated-text");
    if (after && after.parentNode === article) article.insertBefore(box, after.nextSibling);
    else article.appendChild(box);
    var empty = section.querySelectorAll(".block-notes");
    for (var k = 0; k < empty.length; k++) if (!empty[k].children.length) empty[k].remove();
  }
})();"""
