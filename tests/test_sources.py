"""Citations: the ``excerpt`` and ``lang`` of a source, the ``factcheck-unsourced``
warning, and the example briefing's own sourcing bar (every fact-check sourced,
every original-language wording found in an excerpt of one of its sources)."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
import yaml

from builder_support import ROOT, assert_no_traceback, error_lines, make_project, run_cli

DOC = """\
---
title: "A document"
---

Xi Jinping spoke on Friday about top-level design.
"""

UNSOURCED = """\
annotations:
  - id: spoke
    kind: note
    quote: "Xi Jinping spoke"
    body: "A note needs no source."
  - id: friday
    kind: fact-check
    verdict: accurate
    quote: "on Friday"
    body: "Checked."
"""

EXCERPTED = """\
annotations:
  - id: design
    kind: quote
    quote: "top-level design"
    original:
      text: "顶层设计"
      lang: zh
    body: "The standard term."
    sources:
      - title: "A <b>report</b>"
        publisher: "Agency & Co"
        date: "2025-04-26"
        lang: zh
        excerpt: "完善顶层设计<script>alert(1)</script>"
  - id: friday
    kind: fact-check
    verdict: accurate
    quote: "on Friday"
    body: "Checked."
    sources:
      - title: "A report"
        publisher: "Agency"
        date: "2025-04"
        excerpt: "It was a Friday."
"""


def _project(tmp_path, annotations: str, site_extra: str = ""):
    root = make_project(tmp_path / "p", {"content/documents/doc.md": DOC,
                                          "content/annotations/doc.yml": annotations})
    if site_extra:
        site = root / "content/site.yml"
        site.write_text(site.read_text(encoding="utf-8") + site_extra, encoding="utf-8")
    return root


def _warning_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ": warning: " in ln]


def test_a_fact_check_without_sources_is_warned_at_its_position(tmp_path):
    root = _project(tmp_path, UNSOURCED)
    proc = run_cli("check", "--root", root)
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stderr  # a warning, not an error
    unsourced = [ln for ln in _warning_lines(proc.stderr) if "[factcheck-unsourced]" in ln]
    # one warning, for the fact-check only (the note needs none), at the list item of 'friday' (line 6)
    assert unsourced == ["content/annotations/doc.yml:6:5: warning: fact-check 'friday' cites no source: "
                         "add sources with title, publisher and date [factcheck-unsourced]"], proc.stderr
    strict = run_cli("check", "--strict", "--root", root)
    assert strict.returncode == 1


def test_the_unsourced_warning_can_be_silenced(tmp_path):
    root = _project(tmp_path, UNSOURCED, "ignore: [factcheck-unsourced]\n")
    proc = run_cli("check", "--root", root)
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert "[factcheck-unsourced]" not in proc.stderr


def test_a_sourced_fact_check_is_not_warned(tmp_path):
    proc = run_cli("check", "--root", _project(tmp_path, EXCERPTED))
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert "[factcheck-unsourced]" not in proc.stderr


def test_an_invalid_excerpt_language_is_an_error(tmp_path):
    bad = EXCERPTED.replace("        lang: zh\n        excerpt", "        lang: chinese!\n        excerpt")
    proc = run_cli("check", "--root", _project(tmp_path, bad))
    assert_no_traceback(proc)
    assert proc.returncode == 1
    lines = error_lines(proc.stderr)
    assert any("content/annotations/doc.yml:13:15:" in ln and "[invalid-value]" in ln for ln in lines), lines


def test_excerpts_are_rendered_escaped_with_their_language(tmp_path):
    root = _project(tmp_path, EXCERPTED)
    proc = run_cli("build", "--root", root)
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    html = (root / "output/documents/doc.html").read_text(encoding="utf-8")
    assert ('<blockquote class="source-excerpt" lang="zh" dir="auto">'
            "完善顶层设计&lt;script&gt;alert(1)&lt;/script&gt;</blockquote>") in html
    assert "<script>alert(1)" not in html
    assert "A &lt;b&gt;report&lt;/b&gt;" in html and "Agency &amp; Co" in html
    # an excerpt without a language takes the page's: no lang attribute of its own
    assert '<blockquote class="source-excerpt" dir="auto">It was a Friday.</blockquote>' in html
    # the excerpt and its language travel with the citation into the W3C Web Annotation export
    exported = json.loads((root / "output/annotations/doc.jsonld").read_text(encoding="utf-8"))
    cites = [c for item in exported["first"]["items"] for b in item["body"] if isinstance(b, dict)
             for c in b.get("schema:citation", ())]
    assert {"schema:text": "完善顶层设计<script>alert(1)</script>", "schema:inLanguage": "zh"}.items() \
        <= next(c for c in cites if c.get("schema:inLanguage")).items()


def test_json_schema_accepts_excerpt_and_lang_and_rejects_a_bad_lang():
    from jsonschema import Draft202012Validator
    schema = json.loads((ROOT / "schemas/annotations.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    ann = {"id": "a", "kind": "fact-check", "verdict": "accurate", "quote": "q", "body": "b",
           "sources": [{"title": "t", "publisher": "p", "date": "2025-04", "excerpt": "人工智能", "lang": "zh"}]}
    assert not list(validator.iter_errors({"annotations": [ann]}))
    ann["sources"][0]["lang"] = "not a tag"
    assert list(validator.iter_errors({"annotations": [ann]}))


# --- the example briefing -------------------------------------------------------------------------

def _example_annotations() -> list[dict]:
    data = yaml.safe_load((ROOT / "content/annotations/xi-first-mover-ai.yml").read_text(encoding="utf-8"))
    return data["annotations"]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def test_every_example_fact_check_has_a_complete_source():
    fact_checks = [a for a in _example_annotations() if a["kind"] == "fact-check"]
    assert fact_checks
    for a in fact_checks:
        assert a.get("sources"), f"fact-check {a['id']} cites no source"
        for s in a["sources"]:
            assert s.get("title") and s.get("publisher") and s.get("date"), (a["id"], s)


@pytest.mark.parametrize("ann", [a for a in _example_annotations() if a.get("original")], ids=lambda a: a["id"])
def test_every_example_original_appears_in_an_excerpt_of_its_sources(ann):
    excerpts = [_norm(s.get("excerpt", "")) for s in ann.get("sources", ())]
    assert any(_norm(ann["original"]["text"]) in e for e in excerpts if e), \
        f"{ann['id']}: {ann['original']['text']!r} is in no excerpt of its sources"
    lang = ann["original"]["lang"]
    assert any(s.get("lang") == lang for s in ann["sources"] if s.get("excerpt")), ann["id"]


def test_the_example_builds_without_unsourced_warnings():
    proc = run_cli("check", "--root", ROOT)
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert "[factcheck-unsourced]" not in proc.stderr
