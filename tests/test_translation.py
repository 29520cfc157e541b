"""Original beside translation: translation_of, block alignment, counterpart annotations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builder_support import FIXTURES, assert_no_traceback, fixture_copy, make_project, run_cli
from site_builder.translation import mark_passage

MULTILINGUAL = FIXTURES / "multilingual"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("translation")
    out = folder / "out"
    proc = run_cli("build", "--root", fixture_copy("multilingual", folder), "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_translation_page_shows_each_original_block_after_its_own(site):
    page = (site / "documents" / "notice-en.html").read_text(encoding="utf-8")
    text = page[page.index('<div class="block-text doc-text parallel"'):page.index('<section class="notes"')]
    originals = re.findall(r'<div class="parallel-original" lang="zh-Hans">(.*?)</div>', text, re.S)
    assert len(originals) == 6
    assert originals[0].startswith('<p dir="auto">各区人民政府')
    assert originals[-1].startswith('<p dir="auto">本通知自发布之日起施行。')
    # Copies carry no ids, note references or highlights of the original page.
    assert not any(re.search(r'\sid="|ann-ref|class="hl', o) for o in originals)
    # The counterparts are marked beside the translation.
    assert '“<mark class="counterpart" data-counterpart="inclusive-computing">普惠算力</mark>”' in originals[2]
    assert '<mark class="counterpart" data-counterpart="open-data-principle">应开放尽开放</mark>' in originals[3]
    assert 'Translation of <a href="notice-zh.html" hreflang="zh-Hans" lang="zh-Hans">示例市关于推进人工智能应用的通知</a>, translated by Fixture team.' in page
    assert "data-original-toggle" in page


def test_original_page_links_its_translation_and_stays_alone(site):
    page = (site / "documents" / "notice-zh.html").read_text(encoding="utf-8")
    assert 'Translated into: <a href="notice-en.html" hreflang="en" lang="en">' in page
    assert "parallel-original" not in page and "counterpart" not in page


def _pair(tmp_path, en_body: str, annotations: str = "", front: str = "translation_of: yuanwen") -> Path:
    files = {
        "content/documents/yuanwen.md": "---\ntitle: 原文\nlanguage: zh-Hans\n---\n\n第一段。\n\n第二段，说明措施。\n",
        "content/documents/yiwen.md": f"---\ntitle: Translation\n{front}\n---\n\n{en_body}",
    }
    if annotations:
        files["content/annotations/yiwen.yml"] = annotations
    return make_project(tmp_path, files)


def _errors(proc) -> list[str]:
    assert_no_traceback(proc)
    return [line for line in proc.stderr.splitlines() if ": error: " in line]


def test_misaligned_pair_is_a_positioned_error(tmp_path):
    root = _pair(tmp_path, "First paragraph.\n\n1. a list\n2. of two\n\nThird.\n")
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 1 and not (tmp_path / "out").exists()
    assert _errors(proc) == [
        "content/documents/yiwen.md:3:17: error: 'yiwen' has 3 blocks (paragraphs, headings, lists) and its original "
        "'yuanwen' 2: without alignment markers they are shown side by side block by block, so both need the same "
        "number; the first that differ is block 2 (line 8 of 'yiwen', line 8 of 'yuanwen') [translation-misaligned]"]
    # The note says how to fix it: markers where the texts part.
    assert "    write the same line {align: LABEL} before the corresponding blocks of both documents" in proc.stderr


def test_unknown_original_suggests_the_closest(tmp_path):
    root = _pair(tmp_path, "One.\n\nTwo.\n", front="translation_of: yuanwne")
    assert _errors(run_cli("check", "--root", root)) == [
        "content/documents/yiwen.md:3:17: error: translation_of names an unknown document 'yuanwne' "
        "(did you mean 'yuanwen'?) [translation-unknown]"]


ANN = """\
annotations:
  - id: measures
    kind: note
    quote: "explains the measures"
    body: "A note."
    counterpart:
      quote: "{cp}"
"""


def test_counterparts_are_anchored_in_the_original(tmp_path):
    body = "The first paragraph.\n\nThe second paragraph explains the measures.\n"
    ok = _pair(tmp_path / "ok", body, ANN.format(cp="说明措施"))
    proc = run_cli("build", "--root", ok, "--out", tmp_path / "ok-out")
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "ok-out" / "documents" / "yiwen.html").read_text(encoding="utf-8")
    assert '<mark class="counterpart" data-counterpart="measures">说明措施</mark>' in page

    missing = _pair(tmp_path / "missing", body, ANN.format(cp="说明政策"))
    errors = _errors(run_cli("check", "--root", missing))
    assert len(errors) == 1 and errors[0].startswith("content/annotations/yiwen.yml:7:")
    assert "the counterpart '说明政策' is not in the original 'yuanwen' [counterpart-not-found]" in errors[0]

    twice = _pair(tmp_path / "twice", body, ANN.format(cp="段"))
    errors = _errors(run_cli("check", "--root", twice))
    assert len(errors) == 1 and "occurs 2 times in 'yuanwen'" in errors[0] and "[counterpart-ambiguous]" in errors[0]

    alone = _pair(tmp_path / "alone", body, ANN.format(cp="说明措施"), front="language: en")
    errors = _errors(run_cli("check", "--root", alone))
    assert len(errors) == 1 and "[counterpart-without-original]" in errors[0]


def test_mark_passage_crosses_inline_tags():
    html = '<p>A <a class="mention" href="x.html">State Council</a> opinion &amp; plan.</p>'
    out = mark_passage(html, "Council opinion &", "x")
    assert out == ('<p>A <a class="mention" href="x.html">State <mark class="counterpart" data-counterpart="x">'
                   'Council</mark></a><mark class="counterpart" data-counterpart="x"> opinion &amp;</mark> plan.</p>')
    assert mark_passage(html, "not there", "x") is None
