"""Where a command may write: the one rule that keeps every command off the user's sources.

Every command that writes files asks :func:`check_target` before it writes
anything: ``build --out`` and ``serve --out`` (through :mod:`writer`), every
``export`` target, ``schema --out``, ``init DIR`` and ``import-annotations``.
A target is refused when writing there could replace a project source:

* anything under ``content/`` or ``templates/`` (the sources and the template
  overrides) or ``.git/``;
* one of the project's configuration files (``pyproject.toml``,
  ``package.json``, ...) or the ``.github/`` folder;
* the project folder itself, and, for an output folder (which is replaced
  whole), any folder that contains the project.

Both the path as given and the path with its symbolic links resolved are
checked, since a rename replaces the link while a write goes through it.
The one source a command is meant to edit (``import-annotations`` rewrites
``content/annotations/<slug>.yml``) is named by ``edits`` and allowed.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

# Folders whose every file is a source.
SOURCE_FOLDERS = ("content", "templates", ".git")
# Files and folders at the project root that configure it.
CONFIG = (
    "pyproject.toml", "setup.cfg", "setup.py", "package.json", "package-lock.json", "requirements.txt",
    ".gitignore", "README.md", ".github",
)


class Kind(str, Enum):
    FOLDER = "folder"    # an output folder, replaced whole (build, serve, schema --out)
    FILE = "file"        # one file, replaced (export)
    PROJECT = "project"  # a new project's folder (init): files are added, never replaced


class TargetError(Exception):
    """Writing to this target could replace a project source."""


def is_project(folder: Path) -> bool:
    return (folder / "content").is_dir()


def _candidates(target: Path) -> list[Path]:
    lexical = Path(os.path.abspath(target))
    real = target.resolve()
    return [lexical] if lexical == real else [lexical, real]


def check_target(root: Path, target: Path, *, kind: Kind, what: str = "", edits: str | None = None) -> None:
    """Raise :class:`TargetError` if writing ``target`` (of ``kind``) could replace a source of ``root``.

    ``what`` names the target in the message (e.g. ``"--out"``); ``edits`` is the
    project-relative path of the one source this command is meant to rewrite.
    """
    label = f"{what} {target}" if what else str(target)
    root_r = root.resolve()
    if not is_project(root_r):
        return  # no sources to protect (e.g. ``schema --out`` outside a project)
    allowed = root_r / edits if edits else None
    for cand in _candidates(target):
        if allowed is not None and cand == allowed:
            continue
        problem = _problem(root_r, cand, kind)
        if problem:
            raise TargetError(f"refusing to write {label}: {problem}; nothing was written")
    if kind is Kind.FILE and target.is_dir():
        raise TargetError(f"refusing to write {label}: it is a folder; give a file name; nothing was written")


def _problem(root: Path, cand: Path, kind: Kind) -> str:
    if kind is not Kind.PROJECT:
        if cand == root:
            return "it is the project folder itself; choose a path outside the project's sources"
        if kind is Kind.FOLDER and root.is_relative_to(cand):
            return (f"it contains the project ({root.name}), and an output folder is replaced whole; "
                    "choose another folder")
    for name in SOURCE_FOLDERS:
        folder = root / name
        if cand == folder or cand.is_relative_to(folder):
            return f"it is inside the project's {name}/ folder, which holds sources; write it elsewhere"
    for name in CONFIG:
        if cand == root / name or cand.is_relative_to(root / name):
            return f"it would replace the project's {name}; write it elsewhere"
    return ""


def enclosing_projects(target: Path) -> list[Path]:
    """The briefing projects (folders holding ``content/site.yml``) that contain ``target``."""
    real = target.resolve()
    return [p for p in real.parents if (p / "content" / "site.yml").is_file()]
