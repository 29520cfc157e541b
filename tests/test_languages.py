"""Documents in more than one language: declared and detected languages, lang/dir/hreflang in the
pages, language tags checked with suggestions, the note for a detected language, search data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from builder_support import FIXTURES, assert_no_traceback, fixture_copy, make_project, run_cli
from site_builder import language

MULTILINGUAL = FIXTURES / "multilingual"


# ------------------------------------------------------------------ tags and scripts

@pytest.mark.parametrize("tag", ["en", "zh-Hans", "zh-Hant-TW", "pt-BR", "sr-Latn", "yue", "de-1996", "es-419",
                                 "en-US-x-internal", "ZH-hans"])
def test_valid_tags_pass(tag):
    assert language.check(tag) is None


@pytest.mark.parametrize("tag, expected", [
    ("zh-Hnas", "unknown script subtag 'Hnas' in 'zh-Hnas' (did you mean 'zh-Hans'?)"),
    ("zh_Hans", "(did you mean 'zh-Hans'?)"),
    ("eng", "(did you mean 'en'?)"),
    ("english", "(did you mean 'en'?)"),
    ("en-UK", "unknown region subtag 'UK'"),
    ("xx", "unknown language subtag 'xx'"),
    ("zh-Hans-Hant", "not a well-formed"),
])
def test_invalid_tags_are_explained(tag, expected):
    problem = language.check(tag)
    assert problem is not None and expected in problem, problem


def test_canonical_case():
    assert language.canonical("zh-hans-cn") == "zh-Hans-CN"
    assert language.canonical("EN-gb") == "en-GB"
    assert language.canonical("es-419") == "es-419"


@pytest.mark.parametrize("text, script, lang", [
    ("国务院关于深入实施“人工智能+”行动的意见。各地区、各部门要认真贯彻落实。", "Han", "zh"),
    ("人工知能の活用について、政府は新しい方針を発表しました。", "Kana", "ja"),
    ("정부는 인공지능 활용에 관한 새로운 방침을 발표했다.", "Hangul", "ko"),
    ("Правительство объявило о новой политике.", "Cyrillic", "ru"),
    ("أعلنت الحكومة عن سياسة جديدة.", "Arabic", "ar"),
    ("הממשלה הודיעה על מדיניות חדשה.", "Hebrew", "he"),
    ("Η κυβέρνηση ανακοίνωσε νέα πολιτική.", "Greek", "el"),
    ("รัฐบาลประกาศนโยบายใหม่", "Thai", "th"),
    ("सरकार ने नई नीति की घोषणा की।", "Devanagari", "hi"),
    ("The State Council (国务院) published an opinion on AI.", "Latin", ""),
    ("```\n代码 代码 代码 代码 代码 代码\n```\nA short English line.", "Latin", ""),
    ("12345 — !", "", ""),
])
def test_detect_dominant_script(text, script, lang):
    assert language.detect(text) == (script, lang)


def test_direction_follows_language_and_script():
    assert language.direction("ar") == "rtl" and language.direction("he-IL") == "rtl"
    assert language.direction("az-Arab") == "rtl" and language.direction("zh-Hans") == "ltr"


# ------------------------------------------------------------------ the built pages

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("multilingual")
    out = folder / "out"
    proc = run_cli("build", "--root", fixture_copy("multilingual", folder), "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert_no_traceback(proc)
    assert ": warning: " not in proc.stderr and ": note: " not in proc.stderr, proc.stderr
    return out


def _html(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def test_each_page_takes_its_documents_language(site):
    assert '<html lang="zh-Hans">' in _html(site, "documents/notice-zh.html")
    assert '<html lang="en">' in _html(site, "documents/notice-en.html")
    assert '<html lang="en">' in _html(site, "index.html")


def test_interface_and_notes_in_the_site_language_are_tagged_on_a_chinese_page(site):
    page = _html(site, "documents/notice-zh.html")
    assert '<header class="site-header" lang="en">' in page
    assert '<footer class="site-footer" lang="en">' in page
    assert '<dt lang="en">Date</dt>' in page
    # The English note is tagged English; the note declared zh-Hans is not tagged at all (it is the page's).
    assert re.search(r'<aside class="note note-context" id="ann-computing-centres"[^>]* lang="en">', page)
    aside = re.search(r'<aside class="note note-note" id="ann-open-data-zh"[^>]*>', page).group(0)
    assert "lang=" not in aside
    # The link to the English document names its language.
    assert re.search(r'<a class="doc-prev" href="notice-en.html" rel="prev" hreflang="en">', page)
    assert '<span lang="en">Example City notice on promoting applications of artificial intelligence</span>' in page


def test_fragments_in_another_language_carry_lang_and_links_hreflang(site):
    en = _html(site, "documents/notice-en.html")
    assert '<span lang="zh-Hans" dir="auto">普惠算力</span>' in en  # the annotation's original
    assert "<header class=\"site-header\">" in en  # nothing to tag on a page in the site's language
    assert re.search(r'<a class="doc-next" href="notice-zh.html" rel="next" hreflang="zh-Hans">', en)
    home = _html(site, "index.html")
    assert '<a class="doc-title" href="documents/notice-zh.html" hreflang="zh-Hans" lang="zh-Hans">' in home
    assert '<p dir="auto" lang="zh-Hans">示例市提出三项措施' in home
    glossary = _html(site, "glossary/index.html")
    assert re.search(r'<a href="example-ai-alliance.html" lang="zh-Hans">', glossary)
    entity = _html(site, "glossary/example-city.html")
    assert '<span class="alias" lang="zh">' in entity
    assert re.search(r'<a href="../documents/notice-zh.html#ann-computing-centres" hreflang="zh-Hans" lang="zh-Hans">', entity)
    annotations = _html(site, "annotations/documents/notice-zh.html")
    assert re.search(r'<p dir="auto" lang="zh-Hans"><a href="../../documents/notice-zh.html#ann-computing-centres">', annotations)
    index = _html(site, "annotations/index.html")
    assert re.search(r'<a href="documents/notice-zh.html" hreflang="zh-Hans" lang="zh-Hans">', index)


def test_search_index_names_each_records_language(site):
    langs = {}
    for shard in (site / "assets" / "search").glob("[deo]*.js"):  # the text shards: records by unit
        text = shard.read_text(encoding="utf-8")
        data = json.loads(text[text.index("]=") + 2:].rstrip().rstrip(";"))
        langs.update({r[3]: (r[5], r[6]) for r in data["r"]})
    assert langs["documents/notice-zh.html"] == ("zh-Hans", "zh-Hans")
    assert langs["documents/notice-en.html"] == ("en", "en")
    # An English note on the Chinese text: its quote is Chinese, its body English.
    assert langs["documents/notice-zh.html#ann-computing-centres"] == ("zh-Hans", "en")
    assert langs["glossary/example-ai-alliance.html"] == ("zh-Hans", "zh-Hans")


# ------------------------------------------------------------------ check: notes and errors

DOC_ZH = """\
---
title: "通知"
---

为推动人工智能技术在公共服务领域的应用，现就有关事项通知如下。各部门应认真落实。
"""


def test_detected_language_is_a_note_that_never_fails(tmp_path):
    root = make_project(tmp_path, {"content/documents/tongzhi.md": DOC_ZH,
                                   "content/documents/plain.md": "---\ntitle: Plain\n---\n\nAn English text.\n"})
    for args in (("check",), ("check", "--strict")):
        proc = run_cli(*args, "--root", root)
        assert proc.returncode == 0, proc.stderr
        notes = [line for line in proc.stderr.splitlines() if ": note: " in line]
        assert notes == ["content/documents/tongzhi.md:1:1: note: no language declared; the text is mostly Han "
                         "script, so the page is marked as Chinese ('zh'): declare it in the front matter, "
                         "e.g. 'language: zh-Hans' [language-detected]"], proc.stderr
        assert "0 errors, 0 warnings, 1 note" in proc.stdout + proc.stderr
    out = tmp_path / "out"
    proc = run_cli("build", "--root", root, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert '<html lang="zh">' in (out / "documents" / "tongzhi.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in (out / "documents" / "plain.html").read_text(encoding="utf-8")
    assert "note:" not in run_cli("check", "--quiet", "--root", root).stderr


def test_declared_language_silences_the_note_and_wins_over_detection(tmp_path):
    root = make_project(tmp_path, {"content/documents/tongzhi.md": DOC_ZH.replace('title: "通知"', 'title: "通知"\nlanguage: zh-hant-tw')})
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0 and "note" not in proc.stderr, proc.stderr
    assert '<html lang="zh-Hant-TW">' in (tmp_path / "out" / "documents" / "tongzhi.html").read_text(encoding="utf-8")


def test_rtl_document_sets_dir(tmp_path):
    root = make_project(tmp_path, {"content/documents/bayan.md": "---\ntitle: بيان\nlanguage: ar\n---\n\nأعلنت الحكومة عن سياسة جديدة.\n"})
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "out" / "documents" / "bayan.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in page
    assert '<header class="site-header" lang="en" dir="ltr">' in page


def test_language_typos_are_positioned_errors_with_suggestions(tmp_path):
    root = make_project(tmp_path, {
        "content/documents/a.md": "---\ntitle: A\nlanguage: zh-Hnas\n---\n\nText.\n",
        "content/glossary/acme.yml": "name: Acme\ntype: company\nsummary: A firm.\nlanguage: eng\n",
        "content/annotations/a.yml": "annotations:\n  - id: x\n    kind: note\n    quote: {exact: Text}\n"
                                     "    body: Hi.\n    language: zh_CN\n",
    })
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 1
    assert_no_traceback(proc)
    errors = [line for line in proc.stderr.splitlines() if ": error: " in line]
    assert "content/documents/a.md:3:11: error: unknown script subtag 'Hnas' in 'zh-Hnas' (did you mean 'zh-Hans'?) [invalid-value]" in errors
    assert any(e.startswith("content/glossary/acme.yml:4:11: error: unknown language subtag 'eng'") and "'en'" in e
               for e in errors), errors
    assert any(e.startswith("content/annotations/a.yml:6:15: error:") and "(did you mean 'zh-CN'?)" in e
               for e in errors), errors
