"""Rules added after the first fixtures: silencing, calendar dates, empty required
fields, template runtime errors, footnotes and definition lists."""

from __future__ import annotations

from builder_support import assert_no_traceback, error_lines, make_project, run_cli

DOC = """\
---
title: "A document"
---

DeepSeek released a model.[^1]

Term
: Its definition.

[^1]: A footnote that names DeepSeek again.
"""
ANNOTATIONS = """\
annotations:
  - id: missing-quote
    kind: note
    quote: "text that is not there"
    body: "A note."
"""
ENTITY = """\
name: DeepSeek
type: company
summary: A Chinese AI lab.
"""


def _project(tmp_path, site_extra: str = "", files: dict | None = None):
    base = {
        "content/documents/doc.md": DOC,
        "content/glossary/deepseek.yml": ENTITY,
    }
    base.update(files or {})
    root = make_project(tmp_path / "p", base)
    if site_extra:
        site = root / "content/site.yml"
        site.write_text(site.read_text(encoding="utf-8") + site_extra, encoding="utf-8")
    return root


def test_ignore_silences_warnings_but_never_errors(tmp_path):
    root = _project(tmp_path, "ignore: [base-url-missing]\n",
                    {"content/annotations/doc.yml": ANNOTATIONS})
    proc = run_cli("check", "--root", root, "--publish", env={"SITE_BUILDER_BASE_URL": ""})
    assert_no_traceback(proc)
    assert proc.returncode == 1
    assert any("[quote-not-found]" in line for line in error_lines(proc.stderr))
    assert "[base-url-missing]" not in proc.stderr


def test_ignore_rejects_codes_that_cannot_be_silenced(tmp_path):
    root = _project(tmp_path, "ignore: [quote-not-found, entity-unsed]\n")
    proc = run_cli("check", "--root", root)
    lines = error_lines(proc.stderr)
    assert proc.returncode == 1
    assert any("invalid value 'quote-not-found'" in line for line in lines), lines
    assert any("invalid value 'entity-unsed'" in line and "did you mean 'entity-unused'" in line for line in lines), lines


def test_impossible_calendar_date_is_an_error(tmp_path):
    doc = DOC.replace('title: "A document"', 'title: "A document"\ndate: "2025-02-31"')
    root = _project(tmp_path, files={"content/documents/doc.md": doc})
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 1
    assert "content/documents/doc.md:3:7: error: invalid date '2025-02-31': that day does not exist [invalid-value]" \
        in error_lines(proc.stderr)


def test_empty_required_field_is_an_error(tmp_path):
    root = _project(tmp_path, files={"content/glossary/deepseek.yml": ENTITY.replace("A Chinese AI lab.", '"  "')})
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 1
    assert "content/glossary/deepseek.yml:3:10: error: required field 'summary' is empty [missing-field]" \
        in error_lines(proc.stderr)


def test_template_runtime_error_is_a_diagnostic(tmp_path):
    root = _project(tmp_path, files={"templates/404.html": '{% extends "base.html" %}\n{% block main %}\n{{ 1 // 0 }}\n{% endblock %}\n'})
    proc = run_cli("build", "--root", root, "--out", tmp_path / "out")
    assert_no_traceback(proc)
    assert proc.returncode == 1
    assert "templates/404.html:3:1: error: while rendering 404.html: ZeroDivisionError" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_footnotes_and_definition_lists_render_and_link_mentions(tmp_path):
    root = _project(tmp_path)
    out = tmp_path / "out"
    proc = run_cli("build", "--root", root, "--out", out)
    assert proc.returncode == 0, proc.stderr
    html = (out / "documents/doc.html").read_text(encoding="utf-8")
    assert 'class="footnote-ref"' in html and 'id="fn1"' in html
    assert "<dt>Term</dt>" in html and "<dd>Its definition.</dd>" in html
    # Mentions are linked in the footnote too, and listed on the entity page.
    assert 'id="m-deepseek-2"' in html
    entity = (out / "glossary/deepseek.html").read_text(encoding="utf-8")
    assert "m-deepseek-2" in entity


def test_bad_optional_field_does_not_cascade(tmp_path):
    """An entity whose optional field is invalid still exists for the cross-checks:
    one error for the field, no 'unknown entity' errors where it is used."""
    entity = ENTITY + 'links:\n  wikidata: "not-an-id"\n'
    annotations = ANNOTATIONS.replace('quote: "text that is not there"', 'quote: "DeepSeek released"') + "    entities: [deepseek]\n"
    root = _project(tmp_path, files={"content/glossary/deepseek.yml": entity,
                                     "content/annotations/doc.yml": annotations})
    proc = run_cli("check", "--root", root)
    lines = error_lines(proc.stderr)
    assert proc.returncode == 1
    assert len(lines) == 1, lines
    assert "content/glossary/deepseek.yml:5:13: error: invalid value 'not-an-id'" in next(iter(lines))
