"""Output paths and the URLs between them.

Three kinds of path never mix: a source path (``content/glossary/cpc.yml``,
relative to the project root, used in diagnostics), an :class:`OutPath` (where a
file lands in the output, always a file, never a folder) and a URL, which is
only ever computed *from one page to another* by :func:`relative_url`, so the
same output works at a domain root, under a project path and from file://.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass


@dataclass(frozen=True, order=True, slots=True)
class OutPath:
    """A file's path inside the output folder, POSIX style, e.g. ``glossary/cpc.html``."""

    path: str

    def __post_init__(self) -> None:
        if self.path.startswith("/") or self.path.endswith("/") or ".." in self.path.split("/"):
            raise ValueError(f"not an output file path: {self.path!r}")

    def __str__(self) -> str:
        return self.path


HOME = OutPath("index.html")
GLOSSARY_INDEX = OutPath("glossary/index.html")
ANNOTATIONS_INDEX = OutPath("annotations/index.html")
NOT_FOUND = OutPath("404.html")
STYLESHEET = OutPath("assets/style.css")
PYGMENTS_CSS = OutPath("assets/pygments.css")


def document_path(slug: str) -> OutPath:
    return OutPath(f"documents/{slug}.html")


def entity_path(entity_id: str) -> OutPath:
    return OutPath(f"glossary/{entity_id}.html")


def relative_url(from_page: OutPath, to: OutPath, fragment: str = "") -> str:
    """The relative URL of ``to`` as seen from ``from_page``; ``#fragment`` appended."""
    if to == from_page and fragment:
        return f"#{fragment}"
    start = posixpath.dirname(from_page.path) or "."
    rel = posixpath.relpath(to.path, start)
    return f"{rel}#{fragment}" if fragment else rel


def absolute_url(base_url: str, to: OutPath) -> str:
    """Absolute URL of ``to`` under the site's ``base_url`` (for canonical links and feeds)."""
    return base_url.rstrip("/") + "/" + to.path
