"""Drift end to end through the CLI: states in check, orphans on the pages, anchors --update."""

from __future__ import annotations

import json
from pathlib import Path

from builder_support import assert_no_traceback, make_project, run_cli

DOC_HEAD = '---\ntitle: "Lab"\n---\n\n'
DOC = ("The lab was founded by Wang Lei in 2019, with money from the city council.\n\n"
       "Last year the local paper said Wang Lei resigned in protest over funding cuts, "
       "and the council denied it.\n")
ANNS = '''annotations:
  - id: wrong-name
    kind: note
    quote:
      exact: "Wang Lei"
      prefix: "paper said"
    body: The paper named the wrong person here.
  - id: funding
    kind: context
    quote: "resigned in protest over funding cuts"
    body: Funding was cut by a third.
'''


def project(tmp_path: Path, doc: str = DOC, anns: str = ANNS) -> Path:
    return make_project(tmp_path, {"content/site.yml": 'title: "Test"\nbase_url: "https://example.org/"\n',
                                   "content/documents/lab.md": DOC_HEAD + doc, "content/annotations/lab.yml": anns})


def set_doc(root: Path, doc: str) -> None:
    (root / "content/documents/lab.md").write_text(DOC_HEAD + doc, encoding="utf-8")


def built(root: Path) -> str:
    proc = run_cli("build", "--root", root)
    assert proc.returncode == 0, proc.stderr
    assert_no_traceback(proc)
    return (root / "output/documents/lab.html").read_text(encoding="utf-8")


def test_first_build_records_anchors_and_check_is_quiet(tmp_path):
    root = project(tmp_path)
    built(root)
    state = json.loads((root / "anchors.lock.json").read_text(encoding="utf-8"))
    assert set(state["documents"]["lab"]) == {"wrong-name", "funding"}
    proc = run_cli("check", "--root", root, "--strict")
    assert proc.returncode == 0, proc.stderr
    assert "anchor-" not in proc.stderr


def test_corrected_name_is_text_changed_at_its_own_place(tmp_path):
    root = project(tmp_path)
    built(root)
    set_doc(root, DOC.replace("said Wang Lei", "said Wang Lin"))
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 0, proc.stderr
    assert "content/annotations/lab.yml:5:" in proc.stderr and "[anchor-text-changed]" in proc.stderr
    assert 'was: "Wang Lei"' in proc.stderr and 'now: "Wang Lin"' in proc.stderr
    assert run_cli("check", "--root", root, "--strict").returncode == 1
    html = built(root)
    # The highlight is on the corrected name, not on the other "Wang Lei".
    assert html.index('id="hl-wrong-name"') > html.index("founded by Wang Lei")


def test_replaced_name_is_orphaned_and_listed(tmp_path):
    root = project(tmp_path)
    built(root)
    set_doc(root, DOC.replace("said Wang Lei", "said Zhou Ming"))
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 0
    assert "[anchor-orphaned]" in proc.stderr and "lab.yml:5:" in proc.stderr
    html = built(root)
    assert 'id="hl-wrong-name"' not in html
    section = html[html.index("Annotations that lost their place"):]
    assert "Wang Lei" in section and "The paper named the wrong person here." in section
    assert 'id="ann-wrong-name"' in section
    # listed on the document's annotation page, and counted on the index
    notes = (root / "output/annotations/documents/lab.html").read_text(encoding="utf-8")
    assert "Annotations that lost their place" in notes and "The paper named the wrong person here." in notes
    index = (root / "output/annotations/index.html").read_text(encoding="utf-8")
    assert "1 annotation lost its place" in index


def test_new_annotation_with_a_typo_is_still_quote_not_found(tmp_path):
    root = project(tmp_path)
    built(root)
    anns = ANNS + '''  - id: typo
    kind: note
    quote: "funded by the city counsil"
    body: New.
'''
    (root / "content/annotations/lab.yml").write_text(anns, encoding="utf-8")
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 1
    assert "[quote-not-found]" in proc.stderr and "closest passage" in proc.stderr


UPDATE_YAML = '''# Annotations of the lab story.   (a comment that must survive)
annotations:
  - id: wrong-name   # trailing comment
    kind: note
    quote:
      exact: 'Wang Lei'
      prefix: "paper said"
    body: |
      The paper named the wrong person here.

  # a comment between items
  - {id: funding, kind: context, quote: "resigned in protest over funding cuts", body: "Funding was cut."}
  - id: council
    kind: note
    quote: "the council denied it"    # keep me
    body: >-
      Folded
      text.
'''


def test_anchors_update_rewrites_only_the_quote_lines(tmp_path):
    root = project(tmp_path, anns=UPDATE_YAML)
    built(root)
    set_doc(root, DOC.replace("said Wang Lei", "said Wang Lin")
            .replace("over funding cuts", "over cuts to its funding")
            .replace("and the council denied it", "and the city council denied it"))
    path = root / "content/annotations/lab.yml"
    before = path.read_bytes()

    dry = run_cli("anchors", "--root", root, "--update", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert path.read_bytes() == before
    assert "wrong-name (text-changed)" in dry.stdout and "dry run" in dry.stderr

    proc = run_cli("anchors", "--root", root, "--update")
    assert proc.returncode == 0, proc.stderr
    assert_no_traceback(proc)
    after = path.read_bytes()
    old_lines, new_lines = before.split(b"\n"), after.split(b"\n")
    assert len(old_lines) == len(new_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b]
    assert {old_lines[i].strip().split(b":")[0] for i in changed} <= {b"exact", b"- {id", b"quote"}
    assert new_lines[5] == b'      exact: "Wang Lin"'
    assert b'"resigned in protest over cuts to its funding"' in new_lines[11]
    assert new_lines[14] == b'    quote: "the city council denied it"    # keep me'
    for i, line in enumerate(old_lines):
        if i not in changed:
            assert new_lines[i] == line
    assert set(changed) <= {5, 11, 14}
    assert "wrong-name" in proc.stdout and '-> "Wang Lin"' in proc.stdout

    check = run_cli("check", "--root", root, "--strict")
    assert check.returncode == 0, check.stderr  # accepted: everything exact again


def test_anchors_update_adds_a_prefix_when_the_quote_alone_is_ambiguous(tmp_path):
    doc = "He said yes at first. Later, after the vote, he said yes again.\n"
    anns = 'annotations:\n  - id: second\n    kind: note\n    quote:\n      exact: "said yes"\n      suffix: "again"\n    body: B.\n'
    root = project(tmp_path, doc=doc, anns=anns)
    built(root)
    set_doc(root, doc.replace("yes again", "yes once more"))
    proc = run_cli("check", "--root", root)
    assert "[anchor-relocated]" in proc.stderr
    upd = run_cli("anchors", "--root", root, "--update")
    assert upd.returncode == 0, upd.stderr
    text = (root / "content/annotations/lab.yml").read_text(encoding="utf-8")
    assert 'suffix: "once"' in text or "prefix:" in text
    assert run_cli("check", "--root", root, "--strict").returncode == 0


def test_anchors_listing_and_exit_codes(tmp_path):
    root = project(tmp_path)
    built(root)
    set_doc(root, DOC.replace("said Wang Lei", "said Zhou Ming"))
    proc = run_cli("anchors", "--root", root, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    # "funding" follows the replaced name at once: its quote stands, its context changed.
    assert data["counts"] == {"exact": 0, "relocated": 1, "text-changed": 0, "orphaned": 1}
    row = next(r for r in data["annotations"] if r["id"] == "wrong-name")
    assert row["state"] == "orphaned" and row["file"] == "content/annotations/lab.yml" and row["line"] == 5
    text = run_cli("anchors", "--root", root)
    assert "orphaned: wrong-name" in text.stdout and "1 relocated" in text.stdout
    # Content errors: exit 1, nothing written.
    (root / "content/annotations/lab.yml").write_text("annotations:\n  - id: Bad Id\n", encoding="utf-8")
    bad = run_cli("anchors", "--root", root, "--update")
    assert bad.returncode == 1
    assert_no_traceback(bad)
    assert run_cli("anchors", "--root", root, "--format", "xml").returncode == 2
