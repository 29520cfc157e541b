"""A build with nothing changed leaves an untouched output folder as it is, and puts back one that was touched."""

from __future__ import annotations

import os
from pathlib import Path

from site_builder import cli, writer
from test_serve import copy_project, tree


def build(root: Path, out: Path, *extra: str) -> None:
    assert cli.main(["build", "--root", str(root), "--out", str(out), *extra]) == 0


def test_an_untouched_output_folder_is_left_as_it_is_and_a_touched_one_is_put_back(tmp_path):
    project = copy_project(tmp_path / "project")
    out = project / "output"
    build(project, out)
    build(project, out)  # the first build wrote anchors.lock.json, a source of this one
    clean = tree(out)
    folder = os.stat(out).st_ino
    before = writer.snapshot(out)
    build(project, out)
    assert os.stat(out).st_ino == folder  # not replaced by a staging folder
    assert writer.snapshot(out) == before  # not one file written
    assert not [p for p in project.iterdir() if p.name.startswith(".output.")]  # its staging folder removed

    page = out / "index.html"
    touches = [
        ("a page edited", lambda: page.write_bytes(page.read_bytes().replace(b"</body>", b"<p>x</p></body>"))),
        ("a page edited, its size and time kept", lambda: _same_size_and_time(page)),
        ("a page removed", lambda: page.unlink()),
        ("a file added", lambda: (out / "stray.html").write_text("stray")),
        ("a folder added", lambda: (out / "stray").mkdir()),
        ("a page's mode changed", lambda: os.chmod(page, 0o600)),
    ]
    for label, touch in touches:
        touch()
        build(project, out)
        assert tree(out) == clean, label
        assert os.stat(page).st_mode & 0o777 != 0o600, label
        assert not (out / "stray").exists(), label

    # Another output folder is built in full, and the first one is then put back from the store.
    build(project, tmp_path / "elsewhere")
    assert tree(tmp_path / "elsewhere") == clean
    page.write_text("changed")
    build(project, out)
    assert tree(out) == clean


def _same_size_and_time(page: Path) -> None:
    st = os.stat(page)
    data = page.read_bytes()
    page.write_bytes(data[:-1] + (b"!" if data[-1:] != b"!" else b"?"))
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns))  # only the ctime tells
