"""The one atomic file write: all or nothing, permissions, modification time."""

import os
import stat

import pytest

from site_builder import atomicfile


def test_replaces_bytes_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "page.html"
    target.write_bytes(b"old")
    atomicfile.write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "notes.yml"
    target.write_text("old: 1\n")
    with pytest.raises(RuntimeError):
        with atomicfile.replacing(target) as fh:
            fh.write(b"half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old: 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.yml"]


def test_new_files_are_readable_by_others_and_author_modes_are_kept(tmp_path):
    fresh = tmp_path / "sub" / "fresh.txt"
    atomicfile.write_text(fresh, "x", make_parents=True)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    private = tmp_path / "private.yml"
    private.write_text("a: 1\n")
    os.chmod(private, 0o600)
    atomicfile.write_text(private, "a: 2\n", keep_mode=True)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    atomicfile.write_text(private, "a: 3\n")
    assert stat.S_IMODE(private.stat().st_mode) == 0o644


def test_text_is_written_as_given_and_mtime_is_set(tmp_path):
    target = tmp_path / "a.txt"
    atomicfile.write_text(target, "line\r\nzh 中文\n", mtime=1_700_000_000)
    assert target.read_bytes() == "line\r\nzh 中文\n".encode("utf-8")
    assert target.stat().st_mtime == 1_700_000_000


def test_temporary_name_is_one_the_watcher_ignores(tmp_path, monkeypatch):
    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomicfile.write_bytes(tmp_path / "doc.yml", b"x")
    assert seen and seen[0].startswith(".doc.yml.") and seen[0].endswith(".tmp")
