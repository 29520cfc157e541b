"""Where `init` tells the Pages workflow to install site_builder from: never a bare name on PyPI.

The full path (a built wheel in a fresh virtual environment) is in test_fresh_install.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from site_builder import provenance, scaffold
from site_builder.provenance import Source, from_checkout, from_direct_url, public_url

from builder_support import ROOT, run_cli

COMMIT = "0123456789abcdef0123456789abcdef01234567"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(folder: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="T",
               GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def _requirement_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def test_a_git_install_is_pinned_to_the_installed_commit():
    src = from_direct_url({"url": "https://github.com/org/site-builder.git",
                           "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": "main"}})
    assert src.requirement == f"site_builder @ git+https://github.com/org/site-builder.git@{COMMIT}"
    assert src.wheel is None and not src.problem
    sub = from_direct_url({"url": "https://github.com/org/mono.git", "subdirectory": "tools/sb",
                           "vcs_info": {"vcs": "git", "commit_id": COMMIT}})
    assert sub.requirement.endswith(f"@{COMMIT}#subdirectory=tools/sb")


def test_credentials_never_reach_the_requirement():
    src = from_direct_url({"url": "https://user:s3cret@github.com/org/r.git",
                           "vcs_info": {"vcs": "git", "commit_id": COMMIT}})
    assert "s3cret" not in src.requirement and "user" not in src.requirement
    assert src.requirement == f"site_builder @ git+https://github.com/org/r.git@{COMMIT}"
    token = from_direct_url({"url": "https://ghp_TOKEN@example.org/x.whl", "archive_info": {"hashes": {"sha256": "ab"}}})
    assert not token.requirement and "ghp_TOKEN" not in token.problem


def test_remote_addresses():
    assert public_url("git@github.com:org/r.git") == "https://github.com/org/r.git"
    assert public_url("git@git.example.org:org/r.git") == "ssh://git@git.example.org/org/r.git"
    assert public_url("ssh://git@git.example.org:2222/r.git") == "ssh://git@git.example.org:2222/r.git"
    assert public_url("https://github.com/org/r") == "https://github.com/org/r"
    for local in ("/srv/git/r.git", "../r", "file:///srv/git/r.git", "C:/repos/r", ""):
        assert public_url(local) == "", local


def test_a_wheel_file_is_copied_only_while_it_is_the_one_installed(tmp_path):
    wheel = tmp_path / "site_builder-9.9.9-py3-none-any.whl"
    wheel.write_bytes(b"wheel bytes")
    digest = hashlib.sha256(b"wheel bytes").hexdigest()
    src = from_direct_url({"url": wheel.as_uri(), "archive_info": {"hashes": {"sha256": digest}}})
    assert src.wheel == wheel and src.requirement == f"./wheels/{wheel.name}"
    legacy = from_direct_url({"url": wheel.as_uri(), "archive_info": {"hash": f"sha256={digest}"}})
    assert legacy.wheel == wheel
    wheel.write_bytes(b"changed")
    changed = from_direct_url({"url": wheel.as_uri(), "archive_info": {"hashes": {"sha256": digest}}})
    assert not changed.requirement and "changed" in changed.problem
    wheel.unlink()
    gone = from_direct_url({"url": wheel.as_uri(), "archive_info": {"hashes": {"sha256": digest}}})
    assert not gone.requirement and "no longer there" in gone.problem


def test_a_wheel_from_an_https_address_is_pinned_by_its_hash_in_the_url():
    src = from_direct_url({"url": "https://files.example.org/site_builder-1.0-py3-none-any.whl",
                           "archive_info": {"hashes": {"sha256": "ab" * 32}}})
    assert src.requirement == ("site_builder @ https://files.example.org/site_builder-1.0-py3-none-any.whl"
                               f"#sha256={'ab' * 32}")
    assert "--hash" not in src.requirement  # one --hash would put pip into hash-checking mode for everything
    unhashed = from_direct_url({"url": "https://files.example.org/x.whl", "archive_info": {}})
    assert not unhashed.requirement


def test_an_index_install_writes_no_requirement(monkeypatch):
    class Dist:
        version = "0.1.0"

    monkeypatch.setattr(provenance, "running_distribution", lambda: Dist())
    monkeypatch.setattr(provenance, "direct_url", lambda dist: None)
    src = provenance.install_source()
    assert not src.requirement and "package index" in src.problem


@needs_git
def test_a_checkout_gives_its_remote_and_head(tmp_path):
    upstream = tmp_path / "upstream.git"
    _git(tmp_path, "init", "-q", "--bare", str(upstream))
    repo = tmp_path / "checkout"
    _git(tmp_path, "init", "-q", "-b", "main", str(repo))
    (repo / "pyproject.toml").write_text("[project]\nname='site_builder'\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "one")
    head = _git(repo, "rev-parse", "HEAD")

    assert "no remote" in from_checkout(repo).problem
    _git(repo, "remote", "add", "origin", str(upstream))
    assert "not an address" in from_checkout(repo).problem  # a folder on this machine

    _git(repo, "remote", "set-url", "origin", "git@github.com:org/site-builder.git")
    unpushed = from_checkout(repo)
    assert unpushed.requirement == f"site_builder @ git+https://github.com/org/site-builder.git@{head}"
    assert "push it" in unpushed.caution

    _git(repo, "remote", "set-url", "origin", str(upstream))
    _git(repo, "push", "-q", "origin", "main")
    _git(repo, "remote", "set-url", "origin", "https://github.com/org/site-builder.git")
    pushed = from_checkout(repo)
    assert pushed.requirement == f"site_builder @ git+https://github.com/org/site-builder.git@{head}"
    assert pushed.caution == ""
    (repo / "pyproject.toml").write_text("changed\n", encoding="utf-8")
    assert "uncommitted" in from_checkout(repo).caution

    # the dir_info of an editable install leads to the same checkout
    editable = from_direct_url({"url": repo.as_uri(), "dir_info": {"editable": True}})
    assert editable.requirement == pushed.requirement
    assert "neither" in from_checkout(tmp_path / "elsewhere").problem


def test_init_without_a_source_says_so_and_the_readme_names_the_line(tmp_path):
    created = scaffold.init(tmp_path / "p", source=Source("", "", problem="nobody knows"))
    req = (created.root / "requirements.txt").read_text(encoding="utf-8")
    assert _requirement_lines(req) == []  # nothing that pip could resolve to another package
    assert "nobody knows" in req
    readme = (created.root / "README.md").read_text(encoding="utf-8")
    assert "does not say yet where to install it from" in readme
    assert "site_builder @ git+https://github.com/<owner>/<repository>@<commit>" in readme
    assert "Never write a bare `site_builder`" in readme


def test_init_with_a_git_source(tmp_path):
    line = f"site_builder @ git+https://github.com/org/r.git@{COMMIT}"
    created = scaffold.init(tmp_path / "p", source=Source(line, "the git repository https://github.com/org/r.git"))
    req = (created.root / "requirements.txt").read_text(encoding="utf-8")
    assert _requirement_lines(req) == [line]
    assert f"```text\n{line}\n```" in (created.root / "README.md").read_text(encoding="utf-8")
    assert not (created.root / "wheels").exists()


def test_init_from_this_copy_never_writes_a_bare_name(tmp_path):
    proc = run_cli("init", tmp_path / "p")
    assert proc.returncode == 0, proc.stderr
    lines = _requirement_lines((tmp_path / "p" / "requirements.txt").read_text(encoding="utf-8"))
    assert len(lines) <= 1
    for line in lines:
        assert line.startswith(("site_builder @ git+", "./wheels/")), line
    if not lines:  # this copy's origin is unknown: init says so plainly
        assert "warning: requirements.txt does not say where to install site_builder from" in proc.stderr
    else:
        assert "requirements.txt installs site_builder from" in proc.stderr


def test_the_workflow_stops_when_requirements_name_nothing():
    wf = (ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    assert "command -v site-builder" in wf and "exit 1" in wf
