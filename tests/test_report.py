"""The editorial report: its figures on a small fixture, --fail-on exit codes, the report page."""

from __future__ import annotations

import json

import html5lib
import pytest

from builder_support import assert_no_traceback, make_project, run_cli

FILES = {
    "content/documents/one.md": """\
        ---
        title: "One"
        ---

        The Political Bureau met on Monday. Acme Corp said the GPU supply was short.

        Later the Political Bureau asked for more GPUs, and Acme Corp agreed.
        """,
    "content/documents/two.md": """\
        ---
        title: "Two"
        ---

        Nothing here names Acme Corp's rival, Zenith Labs, more than once.
        """,
    "content/annotations/one.yml": """\
        annotations:
          - id: fc-met
            kind: fact-check
            verdict: accurate
            quote: "met on Monday"
            body: Confirmed.
            sources:
              - {title: "Minutes", publisher: "Acme", date: "2025"}
          - id: fc-short
            kind: fact-check
            verdict: misleading
            quote: "the GPU supply was short"
            body: Not quite.
            updated: "2025-06-01"
            history:
              - {date: "2025-05", change: "First verdict", verdict: unsupported}
              - {date: "2025-06-01", change: "New figures", verdict: misleading}
          - id: ctx-agreed
            kind: context
            quote: "Acme Corp agreed"
            body: Background.
          - id: q-more
            kind: question
            quote: "asked for more"
            body: How many?
        """,
    "content/glossary/acme.yml": """\
        name: Acme Corp
        type: company
        summary: A company.
        description: A maker of things.
        """,
    "content/glossary/ghost.yml": """\
        name: Ghost Entity
        type: concept
        summary: Never mentioned.
        related: [acme]
        """,
}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("report"), FILES)


def test_report_figures(root):
    proc = run_cli("report", "--root", root, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["documents"] == 2 and r["annotations"] == 4
    assert r["kinds"] == {"note": 0, "context": 1, "fact-check": 2, "quote": 0, "question": 1}
    assert r["verdicts"] == {"accurate": 1, "mostly-accurate": 0, "misleading": 1, "unsupported": 0, "false": 0}
    assert [(i["id"], i["kind"], i["line"]) for i in r["unsourced"]] == [("fc-short", "fact-check", 9),
                                                                       ("ctx-agreed", "context", 18)]
    assert r["entities_without_description"] == ["ghost"]
    assert r["entities_never_mentioned"] == ["ghost"]
    unlisted = {c["name"]: c["count"] for c in r["likely_entities_without_entry"]}
    # "The Political Bureau" counts as "Political Bureau"; Acme Corp has an entry; Zenith Labs occurs once.
    assert unlisted == {"Political Bureau": 2, "GPU": 2}
    assert r["anchors"]["counts"] == {"exact": 4, "relocated": 0, "text-changed": 0, "orphaned": 0}


def test_report_text_and_fail_on(root):
    text = run_cli("report", "--root", root)
    assert text.returncode == 0
    assert "Fact-checks and context notes without sources: 2" in text.stdout
    assert "Political Bureau (2x in one)" in text.stdout
    fail = run_cli("report", "--root", root, "--fail-on", "orphaned,unsourced")
    assert fail.returncode == 1 and "unsourced (2)" in fail.stderr
    assert run_cli("report", "--root", root, "--fail-on", "orphaned,text-changed").returncode == 0
    bad = run_cli("report", "--root", root, "--fail-on", "unsorced")
    assert bad.returncode == 2 and "did you mean 'unsourced'" in bad.stderr
    assert_no_traceback(bad)


def test_report_page_is_off_by_default_and_on_with_report_page(root, tmp_path):
    out = tmp_path / "out"
    assert run_cli("build", "--root", root, "--out", out).returncode == 0
    assert not (out / "report.html").exists()
    (root / "content/site.yml").write_text('title: "Test briefing"\nreport_page: true\n', encoding="utf-8")
    try:
        proc = run_cli("build", "--root", root, "--out", out)
        assert proc.returncode == 0, proc.stderr
        page = (out / "report.html").read_text(encoding="utf-8")
    finally:
        (root / "content/site.yml").write_text('title: "Test briefing"\n', encoding="utf-8")
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert "Fact-checks and context notes without sources (2)" in page
    assert 'href="documents/one.html#ann-ctx-agreed"' in page
    assert 'href="glossary/ghost.html"' in page
    assert "Political Bureau" in page


def test_verdict_change_is_shown(root, tmp_path):
    out = tmp_path / "out"
    assert run_cli("build", "--root", root, "--out", out).returncode == 0
    page = (out / "documents/one.html").read_text(encoding="utf-8")
    assert "Verdict changed on <time datetime=\"2025-06-01\">2025-06-01</time>" in page
    i = page.index("Verdict changed on")
    assert page.index("Unsupported", i) < page.index("Misleading", i)
    assert "Updated <time" in page


def test_history_rules_are_checked(tmp_path):
    files = dict(FILES)
    files["content/annotations/one.yml"] = """\
        annotations:
          - id: fc-short
            kind: fact-check
            verdict: accurate
            quote: "the GPU supply was short"
            body: Not quite.
            updated: "2025-04"
            history:
              - {date: "2025-06-01", change: "New figures", verdict: misleading}
              - {date: "2025-05", change: "First verdict", verdict: unsupported}
          - id: q-more
            kind: question
            quote: "asked for more"
            body: How many?
            history:
              - {date: "2025-05", change: "Asked", verdict: accurate}
        """
    root = make_project(tmp_path, files)
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 1
    assert_no_traceback(proc)
    assert "one.yml:10:9: error: history of 'fc-short' is out of order" in proc.stderr
    assert "[history-verdict]" in proc.stderr and "'unsupported', but its verdict is 'accurate'" in proc.stderr
    assert "was updated 2025-04, before its last history entry" in proc.stderr
    assert "one.yml:16:9: error: annotation 'q-more' is a question: only fact-checks take a verdict" in proc.stderr
