"""The steps the documentation walks through are the steps these tests run.

Each test takes the ```sh blocks from the text itself and runs them as written:
the README's quick start (in a copy of the source, in a new virtual environment),
the README that `init` writes into a new project, and the step-by-step section of
docs/publishing.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from builder_support import ROOT, run_cli

FENCE = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def sh_blocks(markdown: str) -> list[str]:
    return FENCE.findall(markdown)


def section(markdown: str, heading: str) -> str:
    """The text under ``heading`` (a full heading line) up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = markdown.index(heading + "\n")
    rest = markdown[start + len(heading) + 1:]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def _env(bin_dir: Path | None = None, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SOURCE_DATE_EPOCH", "SITE_BUILDER_BASE_URL")}
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.update(GIT_AUTHOR_NAME="Analyst", GIT_AUTHOR_EMAIL="analyst@example.org", GIT_COMMITTER_NAME="Analyst",
               GIT_COMMITTER_EMAIL="analyst@example.org", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    env.update(extra)
    return env


def run_script(script: str, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the lines as one bash script that stops at the first failing command."""
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{script}\nfailed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def site_builder_on_path(tmp_path: Path) -> Path:
    """A bin/ folder whose `site-builder` runs this source tree, as an installed one would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "site-builder"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m site_builder "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return bin_dir


def test_readme_quick_start_as_written(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = section(readme, "## Quick start")
    build_block, test_block = sh_blocks(quick)[:2]
    assert test_block.strip() == "scripts/test" and (ROOT / "scripts" / "test").is_file()
    # The first command runs in a copy of the repository (what a clone holds), on this machine's python3.
    copy = tmp_path / "site_builder"
    copy.mkdir()
    for part in ("pyproject.toml", "README.md", "site_builder", "content", "templates", "schemas"):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, copy / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, copy / part)
    proc = run_script(build_block, copy, _env(Path(sys.executable).parent))
    assert (copy / "output" / "index.html").is_file()
    assert (copy / ".venv" / "bin" / "site-builder").is_file()
    # a newcomer's first build is clean
    assert ": warning:" not in proc.stderr and "(0 errors, 0 warnings)" in proc.stderr, proc.stderr


def test_the_generated_readme_as_written(tmp_path):
    project = tmp_path / "briefing"
    assert run_cli("init", project).returncode == 0
    readme = (project / "README.md").read_text(encoding="utf-8")
    blocks = sh_blocks(readme)
    commands = [ln for block in blocks for ln in block.splitlines() if ln.strip()]
    assert commands[:3] == ["site-builder check", "site-builder build", "site-builder check --publish"]
    # The README's last step imports annotations exported from an annotation tool; this project's own
    # W3C export stands in for that file.
    bin_dir = site_builder_on_path(tmp_path)
    export = run_cli("build", "--root", project, "--out", tmp_path / "exported")
    assert export.returncode == 0, export.stderr
    shutil.copy(tmp_path / "exported" / "annotations" / "example.jsonld", project / "annotations.json")
    proc = run_script("\n".join(blocks), project, _env(bin_dir))
    assert (project / "output" / "index.html").is_file()
    assert (project / "briefing.html").is_file() and (project / "briefing.zip").is_file()
    assert "[base-url-missing]" in proc.stderr  # from check --publish, and only there
    assert proc.stderr.count(": warning:") == 1, proc.stderr
    assert "1 already there" in proc.stderr  # the import found the example annotation in place


def test_publishing_step_by_step_as_written(tmp_path):
    if shutil.which("git") is None:
        import pytest
        pytest.skip("git is not installed")
    doc = (ROOT / "docs" / "publishing.md").read_text(encoding="utf-8")
    steps = sh_blocks(section(doc, "### Step by step"))
    assert len(steps) == 1
    proc = run_script(steps[0], tmp_path, _env(site_builder_on_path(tmp_path)))
    project = tmp_path / "my-briefing"
    assert (project / "output" / "index.html").is_file()
    assert "[base-url-missing]" in proc.stderr and proc.stderr.count(": warning:") == 1
    tracked = subprocess.run(["git", "-C", str(project), "ls-files"], capture_output=True, text=True,
                             check=True).stdout.split()
    assert ".github/workflows/pages.yml" in tracked and "requirements.txt" in tracked
    assert not [t for t in tracked if t.startswith("output/")]  # .gitignore keeps the built site out
