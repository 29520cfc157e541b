"""Annotating from the preview in real Chromium: select with the mouse, write the note, save.

Each test serves a copy of the project on 127.0.0.1, selects a passage with the
mouse, saves a note through the form, and checks the YAML diff (the inserted
annotation only), the rebuilt page (the selected occurrence is highlighted) and
``check``.  With SITE_BUILDER_SCREENSHOTS=1 the first test also writes the
screenshot used in docs/serve.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_serve import DOC_PAGE, copy_project  # noqa: E402

from site_builder.cli import main  # noqa: E402
from site_builder.serve import LivePreview  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ANN = "content/annotations/xi-first-mover-ai.yml"
CJK_DOC = """---
title: "中文选择测试"
summary: "A small test document with Chinese text, for selecting passages in the preview."
---

这是一个用于测试的段落。第一次出现：人工智能健康有序发展。

这是第二个段落，它包含一个[链接](https://example.org/)。第二次出现：人工智能健康有序发展，然后结束。
"""

# Text nodes of the document text, as the authoring script reads them (note markers left out).
TEXT_JS = """() => {
  const root = document.getElementById('text');
  const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    n.parentElement.closest('sup.ann-ref, aside, .note, script, style, [data-sb-authoring]')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const nodes = []; while (w.nextNode()) nodes.push(w.currentNode);
  return nodes;
}"""


@pytest.fixture
def served(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "content/documents/cjk-sample.md").write_text(CJK_DOC, encoding="utf-8")
    assert main(["check", "--root", str(project)]) == 0
    with LivePreview(project, port=0, quiet=0.05, log=lambda line: None) as preview:
        yield project, preview


def occurrence_offset(page, needle: str, n: int) -> int:
    """Offset of the n-th (0-based) occurrence of ``needle`` in the page's document text."""
    return page.evaluate(f"""([needle, n]) => {{
      const text = ({TEXT_JS})().map(t => t.data).join('');
      let at = -1; for (let i = 0; i <= n; i++) at = text.indexOf(needle, at + 1);
      return at;
    }}""", [needle, n])


def mouse_select(page, needle: str, n: int) -> None:
    """Drag the mouse over the n-th occurrence of ``needle`` in the document text."""
    rects = page.evaluate(f"""([needle, n]) => {{
      const nodes = ({TEXT_JS})();
      const text = nodes.map(t => t.data).join('');
      let at = -1; for (let i = 0; i <= n; i++) at = text.indexOf(needle, at + 1);
      function point(off) {{
        for (const t of nodes) {{ if (off < t.data.length) return [t, off]; off -= t.data.length; }}
      }}
      function rect(off) {{
        const [t, o] = point(off); const r = document.createRange(); r.setStart(t, o); r.setEnd(t, o + 1);
        const b = r.getClientRects()[0]; return {{x: b.left, r: b.right, y: b.top + b.height / 2}};
      }}
      point(at)[0].parentElement.scrollIntoView({{block: 'center', behavior: 'instant'}});
      const first = rect(at);
      const last = rect(at + needle.length - 1);
      return {{first, last}};
    }}""", [needle, n])
    first, last = rects["first"], rects["last"]
    page.mouse.move(first["x"] + 1, first["y"])
    page.mouse.down()
    page.mouse.move((first["x"] + last["r"]) / 2, (first["y"] + last["y"]) / 2, steps=4)
    page.mouse.move(last["r"] - 1, last["y"], steps=4)
    page.mouse.up()
    got = page.evaluate("""() => {
      const f = window.getSelection().getRangeAt(0).cloneContents();
      f.querySelectorAll('sup.ann-ref').forEach(s => s.remove());  // note numbers are not document text
      return f.textContent;
    }""")
    assert " ".join(got.split()) == " ".join(needle.split())


def annotate(page, body: str, screenshot: Path | None = None) -> None:
    page.locator("button.sb-annotate").wait_for(state="visible")
    page.locator("button.sb-annotate").click()
    form = page.locator("form.sb-form")
    form.wait_for(state="visible")
    assert page.evaluate("() => document.activeElement.name") == "kind"
    form.get_by_label("Kind").select_option("context")
    form.get_by_label("Note (Markdown)").fill(body)
    page.locator(".sb-preview strong").wait_for()  # the live preview, rendered by the builder
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.evaluate("""() => { const b = document.querySelector('form.sb-form').getBoundingClientRect();
          window.scrollBy({top: Math.max(0, b.bottom - window.innerHeight + 16), behavior: 'instant'}); }""")
        page.screenshot(path=str(screenshot))
    form.get_by_role("button", name="Save").click()


def check_saved(project: Path, page, rel: str, before: str, needle: str, offset: int) -> dict:
    path = project / rel
    page.wait_for_function("() => location.hash.startsWith('#ann-')", timeout=20000)
    aid = page.evaluate("() => location.hash.slice(5)")
    # The live reload brings the rebuilt page with the new highlight.
    page.wait_for_function("id => document.querySelector(`mark[data-ann~='${id}']`) !== null", arg=aid, timeout=30000)
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before), "only an item is appended; the rest of the file is byte for byte the same"
    added = yaml.safe_load("annotations:\n" + after[len(before):].lstrip("\n"))["annotations"]
    assert len(added) == 1 and added[0]["id"] == aid and added[0]["kind"] == "context"
    # The highlight starts at the occurrence that was selected.
    start = page.evaluate(f"""id => {{
      const nodes = ({TEXT_JS})(); let off = 0;
      for (const t of nodes) {{
        const m = t.parentElement.closest('mark');
        if (m && (m.getAttribute('data-ann') || '').split(' ').includes(id)) return off;
        off += t.data.length;
      }}
      return -1;
    }}""", aid)
    assert start == offset
    marked = page.evaluate("id => [...document.querySelectorAll(`mark[data-ann~='${id}']`)].map(m => m.textContent).join('')",
                           aid)
    assert " ".join(marked.split()) == " ".join(needle.split())
    assert main(["check", "--root", str(project)]) == 0
    return added[0]


@pytest.mark.parametrize("needle, n", [
    ("he said. He also", 1),               # occurs twice: the second one is selected
    ("recent group study session of the", 0),  # inside an existing highlight, across an entity link
])
def test_select_annotate_save_highlights_the_selected_passage(chromium_browser, served, needle, n):
    project, preview = served
    before = (project / ANN).read_text(encoding="utf-8")
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(preview.url + DOC_PAGE)
        page.wait_for_function("() => window.__siteBuilderAuthoring === true")
        page.wait_for_timeout(300)  # the event stream connects
        offset = occurrence_offset(page, needle, n)
        mouse_select(page, needle, n)
        shot = None
        if n == 1 and os.environ.get("SITE_BUILDER_SCREENSHOTS") == "1":
            shot = REPO / "docs/screenshots/serve-annotate.png"
        annotate(page, "A **context** note written in the preview.", shot)
        item = check_saved(project, page, ANN, before, needle, offset)
        if n == 1:
            assert item["quote"]["exact"] == needle and (item["quote"].get("prefix") or item["quote"].get("suffix"))
    finally:
        context.close()


def test_a_chinese_passage_that_occurs_twice(chromium_browser, served):
    project, preview = served
    rel = "content/annotations/cjk-sample.yml"
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(preview.url + "documents/cjk-sample.html")
        page.wait_for_function("() => window.__siteBuilderAuthoring === true")
        page.wait_for_timeout(300)
        needle = "人工智能健康有序发展"
        offset = occurrence_offset(page, needle, 1)
        mouse_select(page, needle, 1)
        annotate(page, "A **context** note on the second occurrence.")
        item = check_saved(project, page, rel, "", needle, offset)
        assert item["quote"]["exact"] == needle
        assert item["quote"].get("prefix") == "第二次出现:" or item["quote"].get("suffix") or item["quote"].get("prefix")
    finally:
        context.close()


def test_an_empty_note_is_refused_in_the_form_and_escape_cancels(chromium_browser, served):
    project, preview = served
    before = (project / ANN).read_bytes()
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(preview.url + DOC_PAGE)
        page.wait_for_function("() => window.__siteBuilderAuthoring === true")
        mouse_select(page, "keen eye", 0)
        page.keyboard.press("a")  # the shortcut
        form = page.locator("form.sb-form")
        form.wait_for(state="visible")
        form.get_by_role("button", name="Save").click()
        page.get_by_role("alert").filter(has_text="note is empty").wait_for()
        assert (project / ANN).read_bytes() == before
        page.keyboard.press("Escape")
        form.wait_for(state="detached")
        # Edit from a note card opens the same form, filled in.
        page.locator("#ann-recent-undated").get_by_role("button", name="Edit").click()
        assert page.locator("form.sb-form").get_by_label("Kind").input_value() == "note"
        assert "Recent" in page.locator("form.sb-form").get_by_label("Note (Markdown)").input_value()
    finally:
        context.close()
