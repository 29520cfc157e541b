"""Shared test helpers: the repository root, running the CLI, writing small projects.

A module of its own (not conftest) so test files can import it by a name no other conftest.py shadows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = ROOT.parent / "shared" / "seeds" / "000_bff8fd44b8f54cfb.txt"

SITE_YML = 'title: "Test briefing"\n'
INDEX_MD = '---\ntitle: "Overview"\n---\n\nAn overview.\n'


def run_cli(*args: str | os.PathLike, env: dict | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m site_builder ARGS`` in a fresh interpreter (the real CLI, as a user runs it)."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full_env.get("PYTHONPATH")]))
    full_env.pop("SOURCE_DATE_EPOCH", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "site_builder", *map(str, args)],
        capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout,
    )


def fixture_copy(name: str, parent: Path) -> Path:
    """A copy of ``tests/fixtures/<name>`` in ``parent``, to build: a build writes its cache in the project."""
    return Path(shutil.copytree(FIXTURES / name, parent / name))


def fixture_files() -> set[str]:
    """Every path under tests/fixtures (files and folders), to tell that no test wrote there."""
    return {os.path.relpath(os.path.join(d, n), FIXTURES) for d, dirs, files in os.walk(FIXTURES)
            for n in dirs + files}


def fixture_changes(before: set[str]) -> str | None:
    """What differs in tests/fixtures from ``before`` (a :func:`fixture_files`), or None."""
    now = fixture_files()
    if now == before:
        return None
    return f"added {sorted(now - before)}, removed {sorted(before - now)}"


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root`` (text is dedented); returns root."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def make_project(root: Path, files: dict[str, str] | None = None) -> Path:
    """A minimal valid project (site.yml and index.md) plus ``files``."""
    base = {"content/site.yml": SITE_YML, "content/index.md": INDEX_MD}
    base.update(files or {})
    return write_files(root, base)


def error_lines(stderr: str) -> set[str]:
    return {line for line in stderr.splitlines() if ": error: " in line and not line.startswith(" ")}


def assert_no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout
