"""Files, paths and YAML: nothing outside the project is read, every diagnostic has a place,
YAML syntax errors point where the broken construct opens (with a hint), YAML is plain data only,
and output names that cannot exist everywhere are refused up front."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from builder_support import assert_no_traceback, error_lines, make_project, run_cli

DOC = '---\ntitle: "A document"\n---\n\nDeepSeek released a model.\n'
ENTITY = "name: DeepSeek\ntype: company\nsummary: A Chinese AI lab.\n"
SECRET = "PRIVATE-WORD-7f3a"


def _project(tmp_path: Path, files: dict | None = None) -> Path:
    base = {"content/documents/doc.md": DOC, "content/glossary/deepseek.yml": ENTITY}
    base.update(files or {})
    return make_project(tmp_path / "p", base)


def _check(root: Path) -> tuple[int, set[str], str]:
    proc = run_cli("check", "--root", root, timeout=60)
    assert_no_traceback(proc)
    return proc.returncode, error_lines(proc.stderr), proc.stderr


# ----------------------------------------------------------------- symlinks

@pytest.fixture
def private(tmp_path) -> Path:
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "leak.md").write_text(f'---\ntitle: "{SECRET}"\n---\n\n{SECRET} in the body.\n', encoding="utf-8")
    (folder / "leak.yml").write_text(f"name: {SECRET}\ntype: company\nsummary: {SECRET}\n", encoding="utf-8")
    (folder / "notes.yml").write_text(f"annotations:\n  - id: a\n    kind: note\n    quote: DeepSeek\n    body: {SECRET}\n",
                                      encoding="utf-8")
    (folder / "style.css").write_text(f"body::after {{ content: '{SECRET}'; }}\n", encoding="utf-8")
    (folder / "site.yml").write_text(f'title: "{SECRET}"\n', encoding="utf-8")
    (folder / "index.md").write_text(f'---\ntitle: "{SECRET}"\n---\n\n{SECRET}\n', encoding="utf-8")
    (folder / "page.html").write_text(f"{SECRET}\n", encoding="utf-8")
    return folder


LINKS = {
    "document": ("content/documents/leak.md", "leak.md"),
    "annotations": ("content/annotations/doc.yml", "notes.yml"),
    "glossary": ("content/glossary/leak.yml", "leak.yml"),
    "site": ("content/site.yml", "site.yml"),
    "overview": ("content/index.md", "index.md"),
    "template": ("templates/document.html", "page.html"),
    "asset": ("templates/assets/style.css", "style.css"),
    "glossary-folder": ("content/glossary", "."),
}


@pytest.mark.parametrize("case", sorted(LINKS))
def test_symlink_out_of_the_project_is_refused_and_never_published(tmp_path, private, case):
    root = _project(tmp_path)
    link, target = LINKS[case]
    path = root / link
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        if path.is_dir():
            for child in path.iterdir():
                child.unlink()
            path.rmdir()
        else:
            path.unlink()
    path.symlink_to(private / target)
    real = (private / target).resolve()
    code, errors, stderr = _check(root)
    assert code == 1
    assert (f"{link}:1:1: error: '{link}' is a symbolic link to {real}, outside the project: it is not read or "
            "published; copy the file into the project if it belongs in the briefing [symlink-outside]") in errors
    assert SECRET not in stderr
    out = tmp_path / "out"
    proc = run_cli("build", "--root", root, "--out", out)
    assert proc.returncode == 1
    assert SECRET not in proc.stderr
    assert not out.exists()
    proc = run_cli("export", "--root", root, "--single-file", tmp_path / "one.html", "--zip", tmp_path / "s.zip")
    assert proc.returncode == 1 and SECRET not in proc.stderr
    assert not (tmp_path / "one.html").exists() and not (tmp_path / "s.zip").exists()


def test_symlink_inside_the_project_is_followed(tmp_path):
    root = _project(tmp_path, {"drafts/other.md": '---\ntitle: "Other"\n---\n\nLINKED-TEXT-41 here.\n'})
    (root / "content/documents/other.md").symlink_to(Path("../../drafts/other.md"))
    proc = run_cli("build", "--root", root)
    assert proc.returncode == 0, proc.stderr
    assert "LINKED-TEXT-41" in (root / "output/documents/other.html").read_text(encoding="utf-8")


def test_symlink_loops_and_dangling_links_are_reported_without_hanging(tmp_path):
    root = _project(tmp_path)
    (root / "content/documents/loop.md").symlink_to("loop.md")
    (root / "content/documents/gone.md").symlink_to("nowhere.md")
    (root / "templates").mkdir()
    (root / "templates/again").symlink_to(".")
    (root / "content/glossary/up").symlink_to("..")
    code, errors, _ = _check(root)
    assert code == 1
    assert errors == {
        "content/documents/gone.md:1:1: error: 'content/documents/gone.md' is a symbolic link to nowhere.md, "
        "which does not exist; it is not read [symlink-broken]",
        "content/documents/loop.md:1:1: error: 'content/documents/loop.md' is a symbolic link to loop.md that loops "
        "back on itself; it is not read [symlink-loop]",
        "content/glossary/up:1:1: error: 'content/glossary/up' is a symbolic link to .., a folder that contains the "
        "link itself; it is not read [symlink-loop]",
        "templates/again:1:1: error: 'templates/again' is a symbolic link to ., a folder that contains the link "
        "itself; it is not read [symlink-loop]",
    }


def test_named_pipe_is_not_read(tmp_path):
    root = _project(tmp_path)
    os.mkfifo(root / "content/documents/pipe.md")
    code, errors, _ = _check(root)  # would block forever if read
    assert "content/documents/pipe.md:1:1: error: 'pipe.md' is not a regular file; it is not read [unexpected-file]" in errors


def test_huge_file_is_refused_without_reading_it_all(tmp_path):
    root = _project(tmp_path)
    with open(root / "content/documents/huge.md", "wb") as fh:
        fh.truncate(20_000_001)  # sparse: costs no disk
    code, errors, _ = _check(root)
    assert errors == {"content/documents/huge.md:1:1: error: file is larger than 20 MB, the limit for a content file; "
                      "is it the right file? [file-too-large]"}


# --------------------------------------------------------------- positions

def test_nul_byte_and_bad_utf8_point_at_their_line_and_column(tmp_path):
    root = _project(tmp_path)
    (root / "content/glossary/zero.yml").write_bytes("name: Acme\ntype: company\nsummary: \"中文\x00x\"\n".encode())
    (root / "content/glossary/latin.yml").write_bytes(b"name: Acme\ntype: company\nsummary: \"caf\xe9\"\n")
    (root / "content/documents/bom.md").write_bytes(b"\xef\xbb\xbf---\ntitle: T\n---\n\nok \xff\n")
    code, errors, _ = _check(root)
    assert errors == {
        "content/glossary/zero.yml:3:13: error: file contains a NUL byte (U+0000): text files never do; is it a "
        "binary file or a damaged save? [encoding]",
        "content/glossary/latin.yml:3:14: error: file is not valid UTF-8: byte 0xE9 cannot start or continue a "
        "character here; save the file as UTF-8 [encoding]",
        "content/documents/bom.md:5:4: error: file is not valid UTF-8: byte 0xFF cannot start or continue a "
        "character here; save the file as UTF-8 [encoding]",
    }


YAML_CASES = {
    # name: (file text, expected error line, expected note)
    "unclosed-double-quote": (
        'name: "Acme\ntype: company\nsummary: s\n',
        "content/glossary/bad.yml:1:7: error: YAML syntax error: this quoted value is never closed [yaml-syntax]",
        "the parser gave up at line 4: found unexpected end of stream; add the closing quote"),
    "unclosed-single-quote": (
        "name: Acme\ntype: company\nsummary: 'A lab\n\nmore text\n",
        "content/glossary/bad.yml:3:10: error: YAML syntax error: this quoted value is never closed [yaml-syntax]",
        "the parser gave up at line 6: found unexpected end of stream; add the closing quote"),
    "unclosed-list": (
        "name: Acme\naliases: [A, B\ntype: company\nsummary: s\n",
        "content/glossary/bad.yml:2:10: error: YAML syntax error: this [ list is never closed [yaml-syntax]",
        "the parser gave up at line 3: did not find expected ',' or ']'; add the closing ']'"),
    "tab-indentation": (
        "name: Acme\nlinks:\n\twebsite: https://example.org/\ntype: company\nsummary: s\n",
        "content/glossary/bad.yml:3:1: error: YAML syntax error: found character that cannot start any token "
        "(while scanning for the next token) [yaml-syntax]",
        "YAML does not allow tabs for indentation; use spaces"),
    "colon-in-value": (
        "name: Acme\ntype: company\nsummary: Acme: a lab\n",
        "content/glossary/bad.yml:3:14: error: YAML syntax error: mapping values are not allowed in this context "
        "[yaml-syntax]",
        "a ': ' inside an unquoted value starts a new key: quote the value, e.g. title: \"Policy: the next step\""),
    "star-starts-value": (
        "name: Acme\ntype: company\nsummary: *important* lab\n",
        "content/glossary/bad.yml:3:10: error: YAML syntax error: did not find expected alphabetic or numeric "
        "character (while scanning an alias) [yaml-syntax]",
        "a value that starts with '*' is read as a reference to an anchor: quote the value"),
    "at-starts-value": (
        "name: Acme\ntype: company\nsummary: @acme on social media\n",
        "content/glossary/bad.yml:3:10: error: YAML syntax error: found character that cannot start any token "
        "(while scanning for the next token) [yaml-syntax]",
        "a value that starts with '@' must be quoted"),
    "text-after-quote": (
        'name: Acme\ntype: company\nsummary: "Acme" is a lab\n',
        "content/glossary/bad.yml:3:17: error: YAML syntax error: did not find expected key (while parsing a block "
        "mapping) [yaml-syntax]",
        "there is more text after the value's closing quote or bracket: quote the whole value, or remove the extra "
        "text"),
    "mis-indented-key": (
        "name: Acme\n  type: company\nsummary: s\n",
        "content/glossary/bad.yml:2:7: error: YAML syntax error: mapping values are not allowed in this context "
        "[yaml-syntax]",
        "check the indentation: the keys of one mapping, and the '-' items of one list, must start in the same "
        "column, and a value on its own line must be indented more than its key"),
}


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_yaml_syntax_error_points_where_the_construct_opens_with_a_hint(tmp_path, case):
    text, line, note = YAML_CASES[case]
    root = _project(tmp_path, {"content/glossary/bad.yml": text})
    code, errors, stderr = _check(root)
    assert code == 1
    assert errors == {line}
    assert f"    {note}" in stderr.splitlines()


def test_mis_indented_annotation_key_gets_the_indentation_hint(tmp_path):
    text = "annotations:\n  - id: a\n    kind: note\n   quote: DeepSeek\n    body: x\n"
    root = _project(tmp_path, {"content/annotations/doc.yml": text})
    code, errors, stderr = _check(root)
    (line,) = errors
    assert line.startswith("content/annotations/doc.yml:4:4: error: YAML syntax error:")
    assert "check the indentation" in stderr


def test_front_matter_quote_points_at_the_document_line(tmp_path):
    root = _project(tmp_path, {"content/documents/doc.md": '---\ntitle: "A document\ndate: 2025-01-01\n---\n\nBody.\n'})
    _, errors, _ = _check(root)
    assert errors == {"content/documents/doc.md:2:8: error: YAML syntax error: this quoted value is never closed "
                      "[yaml-syntax]"}


# ---------------------------------------------------------------- YAML data

@pytest.mark.parametrize("value, tag", [
    ("!!python/object/apply:os.system [echo hi]", "!!python/object/apply:os.system"),
    ("!!python/name:os.system ''", "!!python/name:os.system"),
    ("!!python/tuple [a, b]", "!!python/tuple"),
    ("!!python/object:__main__.X {a: 1}", "!!python/object:__main__.X"),
    ("!!python/str x", "!!python/str"),
    ("!<tag:yaml.org,2002:python/none> x", "!!python/none"),
    ("!!binary aGk=", "!!binary"),
    ("!!set {a}", "!!set"),
    ("!custom x", "!custom"),
])
def test_yaml_tags_that_are_not_plain_data_are_errors(tmp_path, value, tag):
    root = _project(tmp_path, {"content/glossary/tagged.yml": f"name: Acme\ntype: company\nsummary: {value}\n"})
    code, errors, _ = _check(root)
    assert code == 1
    assert errors == {f"content/glossary/tagged.yml:3:10: error: YAML tag '{tag}' is not allowed: content files hold "
                      "plain text, lists and mappings only; remove the tag (quote the value if it should be text) "
                      "[yaml-tag]"}


def test_plain_tags_are_fine(tmp_path):
    root = _project(tmp_path, {"content/glossary/acme.yml": "name: !!str Acme\ntype: company\nsummary: ! s\n"
                                                            "related: [deepseek]\n"})
    code, errors, stderr = _check(root)
    assert code == 0, stderr


def test_billion_laughs_is_refused_quickly(tmp_path):
    text = "name: Acme\ntype: company\nsummary: s\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    text += "".join(f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]\n" for i in range(1, 9))
    root = _project(tmp_path, {"content/glossary/lol.yml": text})
    code, errors, _ = _check(root)  # expanding would make 10^9 values
    assert errors == {"content/glossary/lol.yml:1:1: error: YAML aliases expand this file to 1,234,567,915 values "
                      "from 35 written ones; write repeated values out instead of nesting aliases [yaml-alias]"}


def test_deep_nesting_is_an_error(tmp_path):
    text = "name: Acme\ntype: company\nsummary: s\naliases:\n" + "".join("  " * i + "-\n" for i in range(1, 40)) + "  " * 40 + "- x\n"
    root = _project(tmp_path, {"content/glossary/deep.yml": text})
    _, errors, _ = _check(root)
    (line,) = errors
    assert line.endswith("YAML nested more than 32 levels deep; no content file needs that [yaml-syntax]")


# ------------------------------------------------------------ output names

@pytest.mark.parametrize("name", ["con", "aux", "nul", "prn", "com0", "com1", "com9", "lpt1", "lpt9"])
def test_windows_device_names_are_refused(tmp_path, name):
    root = _project(tmp_path, {f"content/documents/{name}.md": DOC, f"content/glossary/{name}.yml": ENTITY.replace("DeepSeek", "Other")})
    code, errors, _ = _check(root)
    assert code == 1
    assert errors == {
        f"content/documents/{name}.md:1:1: error: '{name}.md' cannot be published: '{name}' is a device name on "
        f"Windows, so its pages could not be created there; rename the file (e.g. '{name}-1.md') [reserved-name]",
        f"content/glossary/{name}.yml:1:1: error: '{name}.yml' cannot be published: '{name}' is a device name on "
        f"Windows, so its pages could not be created there; rename the file (e.g. '{name}-1.yml') [reserved-name]",
    }


def test_trailing_dots_spaces_and_case_are_refused(tmp_path):
    root = _project(tmp_path, {"content/documents/con.txt.md": DOC, "content/documents/doc .md": DOC,
                               "content/documents/doc..md": DOC, "content/documents/CON.md": DOC})
    _, errors, _ = _check(root)
    assert {e.split(": error:")[0] for e in errors} == {
        "content/documents/con.txt.md:1:1", "content/documents/doc .md:1:1", "content/documents/doc..md:1:1",
        "content/documents/CON.md:1:1"}


def test_output_names_over_255_bytes_are_refused(tmp_path):
    ok, long = "a" * 248, "b" * 249
    root = _project(tmp_path, {f"content/documents/{ok}.md": DOC, f"content/documents/{long}.md": DOC})
    _, errors, _ = _check(root)
    assert errors == {
        f"content/documents/{long}.md:1:1: error: file name too long: its output file '{'b' * 24}….jsonld' would be "
        "256 bytes, over the 255-byte limit of most file systems; use a name of at most 248 characters "
        "[name-too-long]"}
    (root / f"content/documents/{long}.md").unlink()
    proc = run_cli("build", "--root", root)
    assert proc.returncode == 0, proc.stderr
    assert (root / "output" / "annotations" / f"{ok}.jsonld").is_file() or (root / "output/documents" / f"{ok}.html").is_file()


def test_every_diagnostic_has_a_line_and_column(tmp_path):
    root = _project(tmp_path, {"content/annotations/gone.yml": "annotations: []\n",
                               "content/glossary/Bad_Name.yml": ENTITY, "content/glossary/index.yml": ENTITY,
                               "content/documents/x.yaml": DOC, "content/documents/notes.txt": "x"})
    (root / "content/documents/folder").mkdir()
    proc = run_cli("check", "--root", root)
    lines = [ln for ln in proc.stderr.splitlines() if ": error: " in ln or ": warning: " in ln]
    assert len(lines) >= 6
    for line in lines:
        head = line.split(": error: ")[0].split(": warning: ")[0]
        path, ln, col = head.rsplit(":", 2)
        assert int(ln) >= 1 and int(col) >= 1, line


def test_every_diagnostic_code_is_documented():
    import re
    package = Path(__file__).resolve().parents[1]
    codes = set()
    for path in (package / "site_builder").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'(?:\.error|\.warning|\.note)\(\s*"([a-z][a-z0-9-]+)"', text))
        codes |= set(re.findall(r'Diagnostic\(\s*"([a-z][a-z0-9-]+)"', text))
        codes |= set(re.findall(r'return\s+\(?\s*"([a-z]+-[a-z0-9-]+)",', text))  # (code, message) pairs
    assert {"symlink-outside", "yaml-tag", "reserved-name"} <= codes
    documented = (package / "docs" / "content-format.md").read_text(encoding="utf-8")
    assert sorted(c for c in codes if f"| `{c}` |" not in documented) == []


def test_sources_named_like_generated_pages_do_not_collide(tmp_path):
    # A document called 'index' and entities called like site pages each get their own output file.
    root = _project(tmp_path, {
        "content/documents/index.md": '---\ntitle: "Index doc"\n---\n\nDOC-INDEX-BODY DeepSeek.\n',
        "content/glossary/annotations.yml": "name: Annotations\ntype: concept\nsummary: s\nrelated: [graph]\n",
        "content/glossary/graph.yml": "name: Graph\ntype: concept\nsummary: s\nrelated: [deepseek]\n",
    })
    proc = run_cli("build", "--root", root)
    assert proc.returncode == 0, proc.stderr
    out = root / "output"
    assert "DOC-INDEX-BODY" in (out / "documents/index.html").read_text(encoding="utf-8")
    assert (out / "glossary/annotations.html").is_file() and (out / "annotations/index.html").is_file()
    assert (out / "glossary/graph.html").is_file() and (out / "graph.html").is_file()
    single = tmp_path / "one.html"
    assert run_cli("export", "--root", root, "--single-file", single).returncode == 0
    text = single.read_text(encoding="utf-8")
    for key in ("doc-index", "overview", "entity-annotations", "annotations", "entity-graph", "glossary"):
        assert text.count(f'id="{key}"') == 1, key
