"""Aligning a translation with its original by {align: LABEL} markers, and counterparts marked where anchoring puts
them.  The Chinese text is the multilingual fixture's notice, its paragraphs reused and split differently."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builder_support import FIXTURES, assert_no_traceback, fixture_copy, make_project, run_cli
from site_builder.markdown import Markdown

MULTILINGUAL = FIXTURES / "multilingual"


def _paragraphs(slug: str) -> list[str]:
    """The fixture document's paragraphs, without its markers."""
    text = (MULTILINGUAL / "content" / "documents" / f"{slug}.md").read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2]
    return [p for p in body.strip().split("\n\n") if not p.startswith("{align:")]


ZH = _paragraphs("notice-zh")  # salutation, preamble, three measures, closing
EN = _paragraphs("notice-en")  # the same, the third measure in two paragraphs


def _project(tmp_path: Path, zh: list[str], en: list[str], annotations: str = "", extra: dict | None = None,
             front: str = "translation_of: notice-zh") -> Path:
    files = {
        "content/documents/notice-zh.md": "---\ntitle: 通知\nlanguage: zh-Hans\n---\n\n" + "\n\n".join(zh) + "\n",
        "content/documents/notice-en.md": f"---\ntitle: Notice\nlanguage: en\n{front}\n---\n\n"
                                          + "\n\n".join(en) + "\n",
    }
    if annotations:
        files["content/annotations/notice-en.yml"] = annotations
    files.update(extra or {})
    return make_project(tmp_path, files)


def _errors(proc) -> list[str]:
    assert_no_traceback(proc)
    return [line for line in proc.stderr.splitlines() if ": error: " in line]


def _rows(page: str) -> list[tuple[list[str], list[str]]]:
    """(translation paragraphs, original paragraphs) of each row of a translation page, as text."""
    text = page[page.index('<div class="block-text doc-text parallel"'):page.index('<section class="notes"')
                if '<section class="notes"' in page else page.index('<nav class="doc-pager"')]
    rows = []
    for m in re.finditer(r'((?:<div class="parallel-group">)?(?:\s*<p dir="auto">.*?</p>\s*)+(?:</div>)?)\s*'
                         r'<div class="parallel-original"[^>]*>(.*?)</div>', text, re.S):
        strip = lambda h: [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p dir=\"auto\">(.*?)</p>", h, re.S)]
        rows.append((strip(m.group(1)), strip(m.group(2))))
    return rows


# ---------------------------------------------------------------- the markdown rule

def test_markers_are_tokens_taken_out_of_the_text():
    md = Markdown()
    parsed = md.parse("First.\n\n{align: two}\n\nSecond,\n{align: 3}\nthird.\n\n> {align: q}\n\n"
                      "    {align: code}\n\n`{align: inline}` stays.\n")
    layout = parsed.layout
    assert [(m.label, m.block, m.line, m.col, bool(m.problem)) for m in layout.markers] == [
        ("two", 1, 3, 1, False), ("3", 2, 6, 1, False), ("q", 4, 9, 3, True)]
    assert layout.block_lines == (1, 5, 7, 9, 11, 13)
    assert "{align" not in parsed.projection.text.replace("{align: code}", "").replace("{align: inline}", "")
    html = "".join(b.html for b in md.render_blocks(parsed.tokens))
    assert html.count("{align:") == 2  # the code block and the inline code keep theirs
    assert "<p dir=\"auto\">Second,</p>" in html and "<p dir=\"auto\">third.</p>" in html  # a marker ends a paragraph
    # Outside document bodies (notes, descriptions) the line is text.
    assert md.render("{align: 3}\n") == "<p>{align: 3}</p>\n"


# ---------------------------------------------------------------- the fixture

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("alignment")
    out = folder / "out"
    proc = run_cli("build", "--root", fixture_copy("multilingual", folder), "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_the_fixture_pair_aligns_by_its_markers(site):
    assert len(EN) == 7 and len(ZH) == 6
    page = (site / "documents" / "notice-en.html").read_text(encoding="utf-8")
    rows = _rows(page)
    assert [(len(t), len(o)) for t, o in rows] == [(1, 1)] * 4 + [(2, 1), (1, 1)]
    talent = rows[4]
    assert talent[0][0].startswith("3. Improve support for talent.")
    assert talent[0][1].startswith("Universities and firms")
    assert talent[1][0].startswith("三、完善人才支持政策。")
    assert rows[5] == (["This notice takes effect on the day of its publication."], ["本通知自发布之日起施行。"])
    # Markers are visible nowhere: not on either page, not in the search index.
    for rel in ("documents/notice-en.html", "documents/notice-zh.html", "assets/search-index.js"):
        assert "{align" not in (site / rel).read_text(encoding="utf-8"), rel
    zh = (site / "documents" / "notice-zh.html").read_text(encoding="utf-8")
    assert zh.count('<p dir="auto">') == 6


def test_one_translation_paragraph_beside_two_of_the_original(tmp_path):
    """Many to one: the salutation and the preamble translated as one paragraph, one row."""
    merged = EN[0] + " " + EN[1][0].lower() + EN[1][1:]
    en = ["{align: start}", merged, "{align: measure-1}", *EN[2:4], EN[4] + " " + EN[5], EN[6]]
    zh = ["{align: start}", *ZH[:2], "{align: measure-1}", *ZH[2:]]
    root = _project(tmp_path, zh, en)
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    rows = _rows((tmp_path / "out" / "documents" / "notice-en.html").read_text(encoding="utf-8"))
    assert [(len(t), len(o)) for t, o in rows] == [(1, 2), (1, 1), (1, 1), (1, 1), (1, 1)]
    assert rows[0][1] == ZH[:2]


def test_by_order_without_markers_when_the_counts_match(tmp_path):
    en = [*EN[:4], EN[4] + " " + EN[5], EN[6]]
    root = _project(tmp_path, ZH, en)
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    rows = _rows((tmp_path / "out" / "documents" / "notice-en.html").read_text(encoding="utf-8"))
    assert [o for _, o in rows] == [[z] for z in ZH]


# ---------------------------------------------------------------- diagnostics

def test_malformed_markers_are_reported_all_at_once(tmp_path):
    en = ["{aling: 1}", EN[0], "{align: two words}", *EN[1:3], "- a list\n\n  {align: nested}", EN[3],
          "{align: end}"]
    zh = ["{align: a}", *ZH[:2], "{align: a}", *ZH[2:]]
    lonely = "---\ntitle: Alone\nlanguage: en\n---\n\nOne.\n\n{align: x}\n\nTwo.\n\n{align: y}\n\nThree.\n"
    root = _project(tmp_path, zh, en, extra={"content/documents/alone.md": lonely})
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 1
    assert _errors(proc) == [
        "content/documents/alone.md:8:1: error: 'alone' has 2 alignment markers ({align: x} …) but is in no "
        "translation pair: markers align a translation with its original [align-marker-unpaired]",
        "content/documents/notice-en.md:7:1: error: unknown marker '{aling: …}' (did you mean '{align: 1}'?) "
        "[align-marker-invalid]",
        "content/documents/notice-en.md:11:1: error: 'two words' is not a marker label: one word of letters, "
        "digits, '.', '-' or '_' (e.g. {align: two-words}) [align-marker-invalid]",
        "content/documents/notice-en.md:19:3: error: an alignment marker must stand between top-level blocks, not "
        "inside a list or a quotation [align-marker-invalid]",
        "content/documents/notice-en.md:23:1: error: marker 'end' ends the text: a marker goes before the block "
        "its section starts with [align-marker-invalid]",
        "content/documents/notice-zh.md:12:1: error: marker 'a' is used twice in 'notice-zh' (first at line 6): "
        "each label starts one section [align-marker-duplicate]",
    ]


def test_markers_on_one_side_and_out_of_order(tmp_path):
    en = [*EN[:2], "{align: measure-2}", EN[2], "{align: measure-1}", EN[3], "{align: measure3}", *EN[4:]]
    zh = [*ZH[:2], "{align: measure-1}", ZH[2], "{align: measure-2}", ZH[3], "{align: measure-3}", *ZH[4:]]
    root = _project(tmp_path, zh, en)
    assert _errors(run_cli("check", "--root", root)) == [
        "content/documents/notice-en.md:11:1: error: marker 'measure-2' is out of order: here it comes before "
        "'measure-1' (line 15), in 'notice-zh' after it (line 14) [align-marker-order]",
        "content/documents/notice-en.md:19:1: error: marker 'measure3' is not in the original 'notice-zh' "
        "(did you mean 'measure-3'?) [align-marker-unmatched]",
    ]


def test_sections_that_cannot_be_aligned_and_unused_markers(tmp_path):
    # The translation leaves out the second measure (its section is empty) and names no 'preamble'.
    en = [*EN[:3], "{align: measure-2}", "{align: measure-3}", EN[4], EN[5], "{align: closing}", EN[6]]
    zh = [ZH[0], "{align: preamble}", *ZH[1:3], "{align: measure-2}", ZH[3], "{align: measure-3}", ZH[4],
          "{align: closing}", ZH[5]]
    root = _project(tmp_path, zh, en)
    proc = run_cli("check", "--root", root)
    assert _errors(proc) == [
        "content/documents/notice-en.md:13:1: error: the section 'measure-2' cannot be aligned: 'notice-en' has "
        "none, its original 'notice-zh' 1 block, line 16 [translation-misaligned]",
        "content/documents/notice-zh.md:8:1: error: marker 'preamble' of 'notice-zh' is in none of its "
        "translations ('notice-en') [align-marker-unmatched]",
    ]
    assert "    each side of a section needs at least one block: move or remove a marker" in proc.stderr

    # Three paragraphs beside two, neither side a single one: a marker is missing.
    en = [*EN[:3], "{align: measure-2}", *EN[3:]]
    zh = [*ZH[:2], "{align: measure-2}", *ZH[2:]]
    root = _project(tmp_path / "counts", zh, en)
    proc = run_cli("check", "--root", root)
    assert _errors(proc) == [
        "content/documents/notice-en.md:4:17: error: the text before marker 'measure-2' cannot be aligned: "
        "'notice-en' has 3 blocks, lines 7, 9 and 11, its original 'notice-zh' 2 blocks, lines 6 and 8 "
        "[translation-misaligned]",
    ]
    assert ("    write the same line {align: LABEL} before the corresponding blocks of both documents where they "
            "part: one of them is missing") in proc.stderr


# ---------------------------------------------------------------- counterparts

def test_counterpart_is_marked_where_its_prefix_and_suffix_anchor_it(tmp_path):
    """算力 occurs three times in the first measure: the prefix or suffix picks the one the page marks."""
    ann = """\
annotations:
  - id: centres
    kind: note
    quote: "two public computing centres"
    body: "Two centres."
    counterpart:
      quote: {exact: "算力", prefix: "公共"}
  - id: infrastructure
    kind: note
    quote: "computing infrastructure"
    body: "Infrastructure."
    counterpart:
      quote: {exact: "算力", suffix: "基础设施"}
  - id: inclusive
    kind: note
    quote: "inclusive computing power"
    body: "Inclusive."
    counterpart:
      quote: {exact: "算力", prefix: "普惠"}
"""
    assert ZH[2].count("算力") == 3
    root = _project(tmp_path, ZH, [*EN[:4], EN[4] + " " + EN[5], EN[6]], ann)
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "out" / "documents" / "notice-en.html").read_text(encoding="utf-8")
    measure = re.search(r'<div class="parallel-original"[^>]*><p dir="auto">(一、.*?)</p>', page).group(1)
    assert measure == (
        '一、加强<mark class="counterpart" data-counterpart="infrastructure">算力</mark>基础设施建设。到2027年，'
        '全市建成两个公共<mark class="counterpart" data-counterpart="centres">算力</mark>中心，为中小企业提供'
        '“普惠<mark class="counterpart" data-counterpart="inclusive">算力</mark>”服务，降低企业使用成本。')


def test_without_markers_a_count_mismatch_names_the_extra_block(tmp_path):
    root = _project(tmp_path, ZH, EN)
    proc = run_cli("check", "--root", root)
    assert _errors(proc) == [
        "content/documents/notice-en.md:4:17: error: 'notice-en' has 7 blocks (paragraphs, headings, lists) and its "
        "original 'notice-zh' 6: without alignment markers they are shown side by side block by block, so both need "
        "the same number; the first that differ is block 7 (line 19 of 'notice-en', 'notice-zh' has none) "
        "[translation-misaligned]"]


def test_counterpart_across_two_paragraphs_is_marked_in_both(tmp_path):
    ann = """\
annotations:
  - id: opening
    kind: note
    quote: "the following is notified"
    body: "The notice opens its first measure right after the preamble."
    counterpart:
      quote: "现就有关事项通知如下。 一、加强算力基础设施建设。"
"""
    root = _project(tmp_path, ZH, [*EN[:4], EN[4] + " " + EN[5], EN[6]], ann)
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "out" / "documents" / "notice-en.html").read_text(encoding="utf-8")
    marks = re.findall(r'<mark class="counterpart" data-counterpart="opening">(.*?)</mark>', page)
    assert marks == ["现就有关事项通知如下。", "一、加强算力基础设施建设。"]


def test_markers_are_text_outside_document_bodies():
    """An {align: …} line in the overview or a description stays text for search and page metadata,
    as it does on the page; only document bodies take it as a marker."""
    from site_builder import search
    from site_builder.markdown import Markdown

    md = Markdown()
    source = "First paragraph.\n\n{align: closing}\n\nLast paragraph.\n"
    assert "{align: closing}" not in md.parse(source).projection.text
    assert md.parse(source).layout.markers
    assert "{align: closing}" in md.parse(source, body=False).projection.text
    assert not md.parse(source, body=False).layout.markers
    assert "{align: closing}" in search._plain(md, source)
    assert "{align: closing}" in md.render(source)
