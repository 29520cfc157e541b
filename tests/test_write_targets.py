"""No command writes over the user's files (one rule, targets.check_target, for every command),
and SOURCE_DATE_EPOCH must be a non-negative integer."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from builder_support import assert_no_traceback, make_project, run_cli

DOC = '---\ntitle: "A document"\n---\n\nDeepSeek released a model.\n'


def _project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "p", {"content/documents/doc.md": DOC, "templates/README.md": "overrides\n",
                                          "pyproject.toml": "[project]\nname = 'x'\n"})
    return root


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


# Each command with a target that would replace a source, run from the project folder.
REFUSED = {
    "build-out-content": (["build", "--out", "content/site"], "inside the project's content/ folder"),
    "build-out-root": (["build", "--out", "."], "the project folder itself"),
    "build-out-ancestor": (["build", "--out", ".."], "contains the project"),
    "export-zip-content": (["export", "--zip", "content/documents/doc.md"], "inside the project's content/ folder"),
    "export-single-templates": (["export", "--single-file", "templates/README.md"],
                                "inside the project's templates/ folder"),
    "export-single-config": (["export", "--single-file", "pyproject.toml"], "replace the project's pyproject.toml"),
    "export-single-root": (["export", "--single-file", "."], "the project folder itself"),
    "export-zip-site-yml": (["export", "--zip", "content/site.yml"], "inside the project's content/ folder"),
    "schema-out-content": (["schema", "--out", "content/glossary"], "inside the project's content/ folder"),
    "schema-out-templates": (["schema", "--out", "templates"], "inside the project's templates/ folder"),
    "schema-out-root": (["schema", "--out", "."], "the project folder itself"),
    "init-inside-content": (["init", "content/documents/new"], "inside the project's content/ folder"),
    "init-inside-templates": (["init", "templates"], "inside the project's templates/ folder"),
    "serve-out-content": (["serve", "--out", "content/preview", "--port", "0"], "inside the project's content/ folder"),
    "import-traversal": (["import-annotations", "in.json", "--document", "../site"], "is not a document slug"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_writing_commands_refuse_project_sources(tmp_path, case):
    root = _project(tmp_path)
    (tmp_path / "in.json").write_text("[]", encoding="utf-8")
    (root / "in.json").write_text("[]", encoding="utf-8")
    args, reason = REFUSED[case]
    before = _snapshot(root)
    parent_before = sorted(p.name for p in tmp_path.iterdir())
    proc = run_cli(*args, cwd=root)
    assert_no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert "refusing to write" in line or "not a document slug" in line
    assert reason in line
    assert "nothing was written" in line
    assert _snapshot(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == parent_before


def test_import_refuses_an_annotation_file_linked_to_another_source(tmp_path):
    root = _project(tmp_path)
    link = root / "content/annotations/doc.yml"
    link.parent.mkdir(parents=True)
    link.symlink_to(root / "content/site.yml")
    data = tmp_path / "in.json"
    data.write_text(json.dumps([]), encoding="utf-8")
    before = (root / "content/site.yml").read_bytes()
    proc = run_cli("import-annotations", data, "--document", "doc", "--root", root)
    assert_no_traceback(proc)
    assert proc.returncode == 2
    assert "inside the project's content/ folder" in proc.stderr
    assert (root / "content/site.yml").read_bytes() == before
    assert link.is_symlink()


def test_export_through_a_symlink_into_content_is_refused(tmp_path):
    root = _project(tmp_path)
    (tmp_path / "share").symlink_to(root / "content")
    proc = run_cli("export", "--zip", tmp_path / "share" / "x.zip", "--root", root)
    assert proc.returncode == 2
    assert "inside the project's content/ folder" in proc.stderr
    assert not (root / "content" / "x.zip").exists()


def test_allowed_targets_still_work(tmp_path):
    root = _project(tmp_path)
    assert run_cli("export", "--zip", tmp_path / "site.zip", "--root", root).returncode == 0
    assert run_cli("schema", "--out", "schemas", cwd=root).returncode == 0
    assert (root / "schemas" / "annotations.schema.json").is_file()
    assert run_cli("build", "--root", root).returncode == 0
    assert run_cli("init", tmp_path / "other").returncode == 0


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "", " 1700000000", "1e9", "١٢٣", "99999999999999999999"])
@pytest.mark.parametrize("command", ["build", "export", "check"])
def test_source_date_epoch_must_be_a_non_negative_integer(tmp_path, value, command):
    root = _project(tmp_path)
    args = {"build": ["build"], "check": ["check"], "export": ["export", "--zip", tmp_path / "s.zip"]}[command]
    proc = run_cli(*args, "--root", root, env={"SOURCE_DATE_EPOCH": value})
    assert_no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert "error: SOURCE_DATE_EPOCH" in proc.stderr
    assert repr(value) in proc.stderr or value in proc.stderr
    assert not (root / "output").exists()
    assert not (tmp_path / "s.zip").exists()


def test_source_date_epoch_valid_values_still_set_times(tmp_path):
    root = _project(tmp_path)
    proc = run_cli("build", "--root", root, env={"SOURCE_DATE_EPOCH": "0"})
    assert proc.returncode == 0, proc.stderr
    assert (root / "output" / "index.html").stat().st_mtime == 0
    proc = run_cli("build", "--root", root, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert (root / "output" / "index.html").stat().st_mtime == 1700000000


def test_export_refuses_one_path_for_both_exports(tmp_path):
    root = _project(tmp_path)
    proc = run_cli("export", "--root", root, "--single-file", tmp_path / "x", "--zip", tmp_path / "x")
    assert proc.returncode == 2
    assert "both name" in proc.stderr
    assert not (tmp_path / "x").exists()


def test_import_reads_a_bounded_amount(tmp_path):
    root = _project(tmp_path)
    proc = run_cli("import-annotations", "/dev/zero", "--document", "doc", "--root", root, timeout=60)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    assert "larger than 100 MB" in proc.stderr
