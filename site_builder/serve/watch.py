"""The watcher of the live preview: which file changes rebuild, and watchdog on the sources.

The watcher watches ``content/`` (``site.yml`` is in it) and the project's
``templates/``, recursively, plus the project folder itself without recursion,
only to notice those two folders appearing or disappearing.  It never watches
the output folder.  The ignore filter (:func:`is_ignored`) drops editor temp,
swap and backup files, so they never trigger a rebuild.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Callable

WATCHED = ("content", "templates")

# ------------------------------------------------------------- ignore filter

_IGNORED_SUFFIXES = (
    ".swp", ".swo", ".swx", ".swn", ".swpx", ".tmp", ".temp", ".bak", ".orig", ".rej", ".part",
    ".crdownload", ".kate-swp", ".un~", "___jb_tmp___", "___jb_old___",
)
_IGNORED_NAMES = {"4913", "thumbs.db", "desktop.ini"}  # 4913: vim's write test file
_SED_TEMP = re.compile(r"^sed[A-Za-z0-9]{6}$")  # sed -i


def is_ignored(name: str) -> bool:
    """True for editor temp, swap and backup files (and hidden files), which never trigger a rebuild.

    ``name`` is one path component.  Hidden files covers vim swap files
    (``.doc.md.swp``), emacs lock files (``.#doc.md``), gedit's
    ``.goutputstream-*``, and the loader skips them too.
    """
    lower = name.lower()
    return (
        not name
        or name.startswith((".", "#"))  # hidden, emacs auto-save (#doc.md#)
        or name.endswith("~")  # backups
        or lower in _IGNORED_NAMES
        or lower.endswith(_IGNORED_SUFFIXES)
        or bool(_SED_TEMP.match(name))
    )


def relevant(root: Path, path: str) -> str | None:
    """The project-relative path of a watched source file, or None for anything to ignore."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(root)
    except ValueError:
        return None
    parts = rel.parts
    if not parts or parts[0] not in WATCHED:
        return None
    if any(is_ignored(p) for p in parts[1:]):
        return None
    return rel.as_posix()



# ------------------------------------------------------------- watcher

class Watcher:
    """watchdog on content/ and templates/ (recursively) and the project folder (not recursively)."""

    def __init__(self, root: Path, on_change: Callable[[list[str]], None],
                 on_lost: Callable[[], None] | None = None):
        from watchdog.observers import Observer

        self.root = root
        self.on_change = on_change
        # Events may have been missed (the kernel's queue overflowed, a folder could not be watched):
        # the next rebuild must check every file, not only those reported.
        self.on_lost = on_lost or (lambda: None)
        self.observer = Observer()
        self._watches: dict[str, object] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        self.observer.schedule(_Handler(self), str(self.root), recursive=False)
        self._sync()
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join()

    def _sync(self) -> None:
        """Watch each of content/ and templates/ that exists (they may come and go)."""
        with self._lock:
            for name in WATCHED:
                folder = self.root / name
                watch = self._watches.get(name)
                if folder.is_dir() and watch is None:
                    try:
                        self._watches[name] = self.observer.schedule(_Handler(self), str(folder), recursive=True)
                    except OSError:
                        self.on_lost()  # unwatched (out of inotify watches, say): no event can be trusted
                elif not folder.is_dir() and watch is not None:
                    try:
                        self.observer.unschedule(watch)
                    except (KeyError, OSError):
                        pass
                    del self._watches[name]

    def event(self, event) -> None:
        kind = event.event_type
        if kind == "events_lost":  # watchdog's report of an overflowed queue
            self.on_lost()
            return
        if kind not in ("created", "deleted", "modified", "moved"):
            return  # opened, closed and attribute changes (the builder's own reads, touch) change nothing
        if kind == "modified" and event.is_directory:
            return  # its entries report themselves
        paths = [event.src_path] + ([event.dest_path] if kind == "moved" else [])
        rels = [r for r in (relevant(self.root, os.fsdecode(p)) for p in paths) if r is not None]
        if not rels:
            return
        if any("/" not in r for r in rels):  # content/ or templates/ itself came or went
            self._sync()
        self.on_change(rels)


class _Handler:
    """A watchdog event handler forwarding to :meth:`Watcher.event`."""

    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def dispatch(self, event) -> None:
        try:
            self.watcher.event(event)
        except Exception:  # never let the observer thread die
            pass
