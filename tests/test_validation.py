"""Validation as data: every fixture project in fixtures/invalid/ lists the exact diagnostics
``site-builder check`` must print; plus YAML typing, case collisions, atomic failure and fuzzing."""

from __future__ import annotations

import contextlib
import io
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder_support import FIXTURES, assert_no_traceback, error_lines, make_project, run_cli, write_files
from site_builder import cli, loader
from site_builder.diagnostics import Diagnostics

INVALID = sorted(p.name for p in (FIXTURES / "invalid").iterdir() if p.is_dir())


def read_expected(case: str) -> tuple[set[str], list[str]]:
    """(error lines, note lines) from expected.txt; note lines are the indented ones."""
    errors, notes = set(), []
    for line in (FIXTURES / "invalid" / case / "expected.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line.startswith(" "):
            notes.append(line.strip())
        else:
            errors.add(line)
    return errors, notes


def test_fixture_cases_exist():
    # Each kind of problem the format can have has a fixture project.
    wanted = {
        "yaml-syntax", "duplicate-key", "unknown-key", "missing-field", "wrong-type", "boolean-no",
        "unknown-entity", "unknown-related", "duplicate-annotation-id", "fact-check-without-verdict",
        "verdict-on-note", "quote-not-found", "quote-ambiguous", "invalid-slug", "unsafe-link-document",
        "unsafe-link-annotation", "unsafe-url-field", "annotation-missing-document", "alias-conflict",
        "missing-front-matter", "many-problems",
    }
    assert wanted <= set(INVALID)
    for case in INVALID:
        errors, _ = read_expected(case)
        assert errors, f"{case}/expected.txt lists no error"


@pytest.mark.parametrize("case", INVALID)
def test_check_reports_exactly_the_expected_errors(case):
    proc = run_cli("check", "--root", FIXTURES / "invalid" / case)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    expected, notes = read_expected(case)
    assert error_lines(proc.stderr) == expected
    printed_notes = [line.strip() for line in proc.stderr.splitlines() if line.startswith(" ")]
    for note in notes:
        assert note in printed_notes
    # Every diagnostic line has the compiler-style shape and a summary closes the report.
    assert proc.stderr.rstrip().splitlines()[-1].startswith("check: ")
    n = len(expected)
    assert f"{n} error{'s' * (n != 1)}" in proc.stderr.rstrip().splitlines()[-1]


def test_errors_name_file_and_line_of_the_problem():
    # Cross-check a few positions against the fixture files themselves.
    root = FIXTURES / "invalid" / "unknown-entity"
    proc = run_cli("check", "--root", root)
    (line,) = error_lines(proc.stderr)
    path, ln, col, _ = line.split(":", 3)
    source_line = (root / path).read_text(encoding="utf-8").splitlines()[int(ln) - 1]
    assert source_line[int(col) - 1:].startswith("xi-jinpin]")

    root = FIXTURES / "invalid" / "unsafe-link-document"
    proc = run_cli("check", "--root", root)
    (line,) = error_lines(proc.stderr)
    path, ln, col, _ = line.split(":", 3)
    source_line = (root / path).read_text(encoding="utf-8").splitlines()[int(ln) - 1]
    assert source_line[int(col) - 1:].startswith("javascript:")


def test_unsafe_link_in_yaml_block_body_points_at_its_line(tmp_path):
    make_project(tmp_path, {
        "content/documents/doc.md": "---\ntitle: D\n---\n\nThe text.\n",
        "content/annotations/doc.yml": """\
            annotations:
              - id: a
                kind: note
                quote: The text
                body: |
                  First line.

                  See [this](javascript:alert(1)).
            """,
        "content/glossary/thing.yml": """\
            name: Text
            type: concept
            summary: s
            description: |
              Literal text with a
              [bad link](vbscript:msgbox) inside.
            """,
    })
    proc = run_cli("check", "--root", tmp_path)
    assert proc.returncode == 1
    located = {(line.split(":")[0], int(line.split(":")[1])) for line in error_lines(proc.stderr)}
    assert located == {("content/annotations/doc.yml", 8), ("content/glossary/thing.yml", 6)}


# ------------------------------------------------------ YAML scalars stay strings

def test_numbers_dates_and_booleans_stay_strings():
    root = FIXTURES / "valid" / "yaml-strings"
    diags = Diagnostics()
    content = loader.load(root, diags)
    assert not diags.items, [d.format() for d in diags.items]
    assert content.site.title == "0123"
    assert content.site.subtitle == "1e3"
    assert content.site.date == "2025-10-15"
    assert content.site.author == "0x1F"
    assert content.overview.title == "007"
    assert content.overview.summary == "12:30"
    assert content.overview.takeaways == ("1_000", "yes")
    (doc,) = content.documents
    assert (doc.title, doc.date, doc.summary) == ("2025-04-25", "2025-04-25", "3.14")
    assert doc.tags == ("2025", "on", "null-island")
    assert (doc.source.published, doc.source.author) == ("2025-04", "NO")
    (ann,) = content.annotation_files[0].annotations
    assert (ann.id, ann.quote.exact, ann.body) == ("0123", "0123 report", "1.0")
    assert (ann.sources[0].title, ann.sources[0].publisher, ann.sources[0].date) == ("2019", "off", "2020-02-29")
    (ent,) = content.entities
    assert (ent.name, ent.aliases, ent.summary) == ("007", ("0o7",), "1e-3")
    for value in (content.site.title, content.site.date, doc.date, ent.name, ann.id):
        assert type(value) is str


def test_strings_fixture_checks_clean():
    proc = run_cli("check", "--root", FIXTURES / "valid" / "yaml-strings")
    assert proc.returncode == 0, proc.stderr
    assert not error_lines(proc.stderr)


# -------------------------------------------------------------- case collisions

def test_slug_collision_by_case(tmp_path):
    make_project(tmp_path, {
        "content/glossary/xi-jinping.yml": "name: Xi Jinping\ntype: person\nsummary: s\n",
        "content/documents/report.md": "---\ntitle: R\n---\n\nText.\n",
    })
    other = tmp_path / "content" / "glossary" / "Xi-Jinping.yml"
    other.write_text("name: Xi\ntype: person\nsummary: s\n", encoding="utf-8")
    doc2 = tmp_path / "content" / "documents" / "Report.md"
    doc2.write_text("---\ntitle: R2\n---\n\nText.\n", encoding="utf-8")
    if len(list(other.parent.iterdir())) < 2:
        pytest.skip("case-insensitive file system")
    proc = run_cli("check", "--root", tmp_path)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    errors = error_lines(proc.stderr)
    assert ("content/glossary/xi-jinping.yml:1:1: error: 'xi-jinping.yml' collides with 'Xi-Jinping.yml' "
            "(names may differ only in case on some systems and in URLs) [slug-collision]") in errors
    assert ("content/documents/report.md:1:1: error: 'report.md' collides with 'Report.md' "
            "(names may differ only in case on some systems and in URLs) [slug-collision]") in errors


# ------------------------------------------------------- failed builds change nothing

def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failed_build_leaves_existing_output_unchanged(tmp_path):
    root = make_project(tmp_path / "project", {
        "content/documents/doc.md": "---\ntitle: D\n---\n\nThe Party met.\n",
        "content/glossary/party.yml": "name: Party\ntype: organization\nsummary: s\n",
    })
    assert run_cli("build", "--root", root).returncode == 0
    out = root / "output"
    before = snapshot(out)
    assert "documents/doc.html" in before
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    # Break the project in two ways: a YAML error and a dangling reference.
    write_files(root, {
        "content/glossary/party.yml": "name: Party\ntype: organization\nsummary: s\nrelated: [nobody]\n",
        "content/annotations/doc.yml": "annotations:\n  - id: a\n    kind: note\n    quote: [\n",
    })
    proc = run_cli("build", "--root", root)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    assert "left unchanged" in proc.stderr
    assert snapshot(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == mtimes
    # No stray temporary folders next to the output either (the build cache is meant to be there).
    assert sorted(p.name for p in root.iterdir()) == [".site-builder-cache", "content", "output"]


# ------------------------------------------------------------------------ fuzzing

TOKENS = ["-", ":", ": ", "[", "]", "{", "}", "'", '"', "|", ">", "&a ", "*a", "!!python/object:os.system", "---",
          "...", "\n", "\n", "\n", "  ", "    ", "id", "kind", "quote", "exact", "prefix", "body", "annotations",
          "name", "type", "summary", "aliases", "related", "links", "website", "match", "title", "date", "tags",
          "note", "fact-check", "verdict", "accurate", "person", "yes", "NO", "~", "0123", "2025-01-01",
          "javascript:alert(1)", "[x](javascript:1)", "<script>alert(1)</script>", "\t", "%YAML 1.2\n", "? ",
          ",", "# c", "**", "`", "```", "> ", "|-", "\u201c", "深度求索", "\x00", "\ufeff", "\r", "=", "{{", "}}"]

garbage = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
files_strategy = st.fixed_dictionaries({
    "content/site.yml": st.one_of(st.just('title: "T"\n'), garbage),
    "content/index.md": st.one_of(st.just("---\ntitle: O\n---\n"), garbage.map(lambda g: "---\n" + g + "\n---\n" + g)),
    "content/documents/doc.md": garbage.map(lambda g: "---\ntitle: D\n---\n" + g),
    "content/documents/raw.md": garbage,
    "content/annotations/doc.yml": st.one_of(garbage, garbage.map(lambda g: "annotations:\n  - " + g)),
    "content/glossary/thing.yml": st.one_of(garbage, garbage.map(lambda g: "name: Thing\ntype: concept\n" + g)),
    "content/glossary/other.yml": garbage,
})


def run_in_process(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(list(argv))
    return code, err.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=files_strategy, binary=st.binary(max_size=40))
def test_fuzz_garbage_never_crashes(files, binary):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        (root / "content" / "glossary" / "binary.yml").write_bytes(binary)
        code, err = run_in_process("check", "--root", tmp)
        assert code in (0, 1), err
        code, err = run_in_process("build", "--root", tmp, "--out", str(root / "out"))
        assert code in (0, 1), err
        if code == 1:
            assert not (root / "out").exists()


def test_fuzz_through_the_cli_prints_no_traceback(tmp_path):
    rng = random.Random(20250425)
    for i in range(4):
        root = tmp_path / f"p{i}"
        files = {rel: "".join(rng.choice(TOKENS) for _ in range(rng.randint(5, 60)))
                 for rel in ("content/site.yml", "content/documents/doc.md", "content/annotations/doc.yml",
                             "content/glossary/thing.yml")}
        files["content/index.md"] = "---\n" + files["content/site.yml"] + "\n---\n"
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        (root / "content" / "glossary" / "bytes.yml").write_bytes(bytes(rng.randrange(256) for _ in range(50)))
        proc = run_cli("check", "--root", root)
        assert_no_traceback(proc)
        assert proc.returncode in (0, 1)


def test_pathological_yaml_and_markdown(tmp_path):
    make_project(tmp_path, {
        "content/glossary/deep.yml": "name: " + "[" * 3000 + "]" * 3000 + "\ntype: concept\nsummary: s\n",
        "content/glossary/recursive.yml": "name: &a [*a]\ntype: &b {x: *b}\nsummary: s\n",
        "content/glossary/two-docs.yml": "name: A\ntype: concept\nsummary: s\n---\nname: B\n",
        "content/documents/deep.md": "---\ntitle: D\n---\n" + "> " * 2000 + "deep\n" + "*" * 4000 + "\n" + "[a](" * 1000,
        "content/annotations/deep.yml": "annotations:\n  - !!python/object:os.system {}\n  - {id: b, kind: note, quote: \"\", body: x}\n",
    })
    (tmp_path / "content" / "glossary" / "latin1.yml").write_bytes("name: caf\u00e9\n".encode("latin-1"))
    shutil.copy(tmp_path / "content" / "site.yml", tmp_path / "content" / "glossary" / "site.yaml")
    proc = run_cli("check", "--root", tmp_path)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    errors = "\n".join(sorted(error_lines(proc.stderr)))
    # The real column of the bad byte (the é of "café" in Latin-1), not the start of the line.
    assert ("content/glossary/latin1.yml:1:10: error: file is not valid UTF-8: byte 0xE9 cannot start or continue a "
            "character here; save the file as UTF-8 [encoding]") in errors
    assert "content/glossary/two-docs.yml:5:1: error: more than one YAML document in this file [yaml-syntax]" in errors
    assert "content/glossary/site.yaml:1:1: error: rename to 'site.yml'" in errors
    # Tags that are not plain data, self-referring aliases and absurd nesting are errors, not text.
    assert "content/annotations/deep.yml:2:5: error: YAML tag '!!python/object:os.system' is not allowed" in errors
    assert "content/glossary/recursive.yml:1:7: error: this value contains an alias to itself" in errors


def test_missing_content_folder_is_one_clear_error(tmp_path):
    proc = run_cli("check", "--root", tmp_path)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    (line,) = error_lines(proc.stderr)
    assert line.startswith("content:1:1: error: no content/ folder") and line.endswith("[missing-file]")
