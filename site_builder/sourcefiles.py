"""Which files of a project may be read, and which names may become output files.

**Nothing outside the project is published.**  :func:`scan` walks ``content/``
and ``templates/`` (every file the build reads lives there: the content, the
template overrides and the assets) without following links, and checks every
symbolic link it meets, and the two folders themselves:

* a link that resolves outside the project root is an error
  (``symlink-outside``) naming the link and where it points, and the file is
  never read, so not a word of it reaches a page, the search index or the
  entity data;
* a link that cannot be resolved because it loops is an error
  (``symlink-loop``), as is a folder link to a folder that contains it, and
  a link to nothing is one too (``symlink-broken``);
* a link inside the project is followed (once: the walk does not descend
  into linked folders, and the loader reads each file directly).

**Output names work on every system.**  :func:`check_slug` refuses file names
that become output files (documents, glossary entries) which Windows cannot
create (device names such as ``con`` or ``com1``, with or without an
extension) or which would exceed the 255-byte file-name limit once the
longest suffix the builder adds (``.jsonld``) is appended.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .diagnostics import Diagnostics, Pos

SCANNED = ("content", "templates")
# Windows device names: a file named so (with any extension) cannot be created there.
WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"com{i}" for i in "0123456789¹²³"] + [f"lpt{i}" for i in "0123456789¹²³"]
)
NAME_MAX = 255  # bytes, the file-name limit of ext4, APFS, NTFS (in UTF-16 units) and most others
LONGEST_SUFFIX = ".jsonld"  # annotations/<slug>.jsonld, the longest name the builder derives from a slug


def _link_problem(root_real: Path, path: Path) -> tuple[str, str] | None:
    """(code, message) when the symbolic link ``path`` may not be followed, else None."""
    try:
        shown = os.readlink(path)
    except OSError:
        shown = "?"
    try:
        real = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop this way
        return "symlink-loop", f"symbolic link to {shown} that loops back on itself; it is not read"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink-loop", f"symbolic link to {shown} that loops back on itself; it is not read"
        return "symlink-broken", f"symbolic link to {shown}, which does not exist; it is not read"
    if not real.is_relative_to(root_real):
        return ("symlink-outside",
                f"symbolic link to {real}, outside the project: it is not read or published; copy the file "
                "into the project if it belongs in the briefing")
    if real.is_dir() and path.parent.resolve().is_relative_to(real):
        return "symlink-loop", f"symbolic link to {shown}, a folder that contains the link itself; it is not read"
    return None


def scan(root: Path, diags: Diagnostics) -> frozenset[Path]:
    """Report every symbolic link in content/ and templates/ that may not be followed.

    Returns the refused paths (as found, not resolved), which the loader skips,
    along with everything beneath them.  Directory entries know whether they
    are links, so the walk costs no extra system call per file.
    """
    root_real = root.resolve()
    refused: set[Path] = set()

    def refuse(path: Path, rel: str) -> bool:
        problem = _link_problem(root_real, path)
        if problem is None:
            return False
        diags.error(problem[0], Pos(rel, 1, 1), f"'{rel}' is a {problem[1]}")
        refused.add(path)
        return True

    for name in SCANNED:
        top = root / name
        if top.is_symlink() and refuse(top, name):
            continue
        stack = [(top, name)]
        while stack:
            folder, rel_folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue  # missing or unreadable: the loader says so where it matters
            for entry in entries:
                rel = f"{rel_folder}/{entry.name}"
                if entry.is_symlink():
                    refuse(folder / entry.name, rel)  # a linked folder is not descended: followed once
                elif entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                    stack.append((folder / entry.name, rel))
    return frozenset(refused)


def is_refused(path: Path, refused: frozenset[Path]) -> bool:
    return any(path == r or path.is_relative_to(r) for r in refused)


def check_slug(slug: str, suffix: str, rel: str, diags: Diagnostics) -> bool:
    """False (with an error) when ``slug`` cannot be an output file name on every system."""
    pos = Pos(rel, 1, 1)
    stem = slug.split(".", 1)[0].lower()
    if stem in WINDOWS_DEVICES:
        diags.error("reserved-name", pos,
                    f"'{slug}{suffix}' cannot be published: '{stem}' is a device name on Windows, so its pages could "
                    f"not be created there; rename the file (e.g. '{slug}-1{suffix}')")
        return False
    size = len((slug + LONGEST_SUFFIX).encode("utf-8"))
    if size > NAME_MAX:
        diags.error("name-too-long", pos,
                    f"file name too long: its output file '{slug[:24]}…{LONGEST_SUFFIX}' would be {size} bytes, "
                    f"over the {NAME_MAX}-byte limit of most file systems; use a name of at most "
                    f"{NAME_MAX - len(LONGEST_SUFFIX)} characters")
        return False
    if slug != slug.rstrip(". "):
        diags.error("invalid-slug", pos, f"'{slug}{suffix}': a name ending in a dot or a space cannot exist on Windows")
        return False
    return True
