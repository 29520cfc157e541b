"""The fresh-machine path: build the wheel and sdist, install the wheel into a new virtual
environment, run `init` from it, then run the install and build steps of the generated GitHub
Pages workflow exactly as written, in another new virtual environment (the "runner"), with no
access to this repository's source tree.

pip resolves the dependencies (Jinja2, markdown-it-py, ...) from the configured package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from site_builder import __version__

from builder_support import ROOT

BASE = "https://example.github.io/fresh-briefing/"
SOURCE_PARTS = ("pyproject.toml", "README.md", "site_builder")


def _clean_env(**extra: str) -> dict:
    """The environment of a new shell: no PYTHONPATH, no active virtual environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "SOURCE_DATE_EPOCH", "SITE_BUILDER_BASE_URL")}
    env.update(extra)
    return env


def _run(cmd, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or _clean_env(), capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def _package_data() -> set[str]:
    pkg = ROOT / "site_builder"
    return {p.relative_to(ROOT).as_posix() for p in pkg.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> tuple[Path, Path]:
    """(wheel, sdist) built with `python -m build` from a copy of the source."""
    src = tmp_path_factory.mktemp("source")
    for part in SOURCE_PARTS:
        path = ROOT / part
        if path.is_dir():
            shutil.copytree(path, src / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / part)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", out, src], cwd=src, env=_clean_env())
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    return wheels[0], sdists[0]


def test_twine_check_is_clean(dists):
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", *dists], cwd=dists[0].parent)
    assert proc.stdout.count("PASSED") == 2 and "WARNING" not in proc.stdout + proc.stderr, proc.stdout


def test_every_package_file_is_in_the_wheel_and_the_sdist(dists):
    wheel, sdist = dists
    expected = _package_data()
    assert {"site_builder/scaffold/pages.yml", "site_builder/templates/base.html",
            "site_builder/templates/assets/style.css"} <= expected
    names = set(zipfile.ZipFile(wheel).namelist())
    assert expected <= names, sorted(expected - names)
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]
    with tarfile.open(sdist) as tar:
        top = sdist.name[: -len(".tar.gz")]
        in_sdist = {n[len(top) + 1:] for n in tar.getnames() if n.startswith(top + "/")}
    assert expected <= in_sdist, sorted(expected - in_sdist)


def _step(workflow: dict, name: str) -> dict:
    steps = workflow["jobs"]["build"]["steps"]
    return next(s for s in steps if s.get("name") == name)


def test_init_from_the_wheel_then_the_workflow_steps_as_written(dists, tmp_path):
    wheel = dists[0]
    work = tmp_path / "machine"  # nothing of this repository in sight
    work.mkdir()
    tool = work / "tool-venv"
    _run([sys.executable, "-m", "venv", tool], cwd=work)
    _run([tool / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], cwd=work)
    where = _run([tool / "bin" / "python", "-c", "import site_builder; print(site_builder.__file__)"], cwd=work)
    assert Path(where.stdout.strip()).resolve().is_relative_to(tool.resolve())

    version = _run([tool / "bin" / "site-builder", "--version"], cwd=work)
    assert version.stdout.strip() == f"site-builder {__version__}"

    init = _run([tool / "bin" / "site-builder", "init", "fresh-briefing", "--title", "Fresh briefing"], cwd=work)
    project = work / "fresh-briefing"
    copied = project / "wheels" / wheel.name
    assert copied.read_bytes() == wheel.read_bytes(), init.stderr
    requirements = [ln for ln in (project / "requirements.txt").read_text(encoding="utf-8").splitlines()
                    if ln.strip() and not ln.startswith("#")]
    assert requirements == [f"./wheels/{wheel.name}"]
    assert "requirements.txt installs site_builder from wheels/" in init.stderr

    # The runner: a new machine with Python, the checked-out project and nothing else.
    runner = work / "runner-venv"
    _run([sys.executable, "-m", "venv", runner], cwd=work)
    workflow = yaml.safe_load((project / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    path = f"{runner / 'bin'}{os.pathsep}{_clean_env().get('PATH', '')}"
    for name in ("Install site_builder", "Build the site"):
        step = _step(workflow, name)
        env = _clean_env(PATH=path)
        for key, value in (step.get("env") or {}).items():
            env[key] = str(value).replace("${{ steps.pages.outputs.base_url }}", BASE)
        # GitHub runs a `run:` script as `bash --noprofile --norc -eo pipefail {0}`.
        script = work / f"{name.replace(' ', '-')}.sh"
        script.write_text(step["run"], encoding="utf-8")
        proc = _run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], cwd=project, env=env)
        if name == "Build the site":
            assert ": warning:" not in proc.stderr and "built " in proc.stderr, proc.stderr

    site = project / "_site"
    assert (site / "index.html").is_file() and (site / "documents" / "example.html").is_file()
    assert (site / ".nojekyll").is_file() and not (site / ".site-builder-output").exists()
    assert f"<loc>{BASE}</loc>" in (site / "sitemap.xml").read_text(encoding="utf-8")
    installed = _run([runner / "bin" / "python", "-c", "import site_builder; print(site_builder.__file__)"],
                     cwd=work)
    assert Path(installed.stdout.strip()).resolve().is_relative_to(runner.resolve())
