"""tests/fixtures holds only what is committed: no test builds a fixture in place.

``conftest.fixtures_left_alone`` fails the test that writes there; this catches
what an earlier run left behind (untracked or ignored files), when the
tests run from a git checkout.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from builder_support import FIXTURES, ROOT, fixture_changes, fixture_copy, fixture_files, run_cli


def test_no_untracked_or_ignored_file_in_the_fixtures():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    proc = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "--", str(FIXTURES)],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"git status failed: {proc.stderr.strip()}")
    left = [line for line in proc.stdout.splitlines() if line.startswith(("??", "!!"))]
    assert not left, f"files in tests/fixtures that no commit holds (remove them; build a copy instead): {left}"


def test_the_guard_sees_a_cache_folder_left_in_a_fixture_and_a_copy_leaves_none(tmp_path):
    before = fixture_files()
    left = FIXTURES / "multilingual" / ".site-builder-cache"
    try:
        left.mkdir()
        (left / "entry").write_bytes(b"x")
        changes = fixture_changes(before)
        assert changes is not None and "multilingual/.site-builder-cache/entry" in changes
    finally:
        shutil.rmtree(left, ignore_errors=True)
    assert fixture_changes(before) is None
    # A build of a copy writes its cache in the copy.
    copy = fixture_copy("multilingual", tmp_path)
    proc = run_cli("build", "--root", copy, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert (copy / ".site-builder-cache").is_dir()
    assert fixture_changes(before) is None
