"""What each source file produced last time, for a long-lived process (the live server).

:class:`FileCache` parses a file again only when its bytes changed, takes
each folder's files as the last load took them except those a watcher
reported (``expect``, ``folder``), and says which files were parsed since the
analysis last asked (``take_touched``, used by :mod:`editscope`).  The loader
(:mod:`loader`) reads through it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path
from typing import NamedTuple

from . import sourcefiles
from .diagnostics import Diagnostics


class FileCache:
    """What each source file produced last time, for a long-lived process (the live server).

    A file is parsed again only when its bytes changed.  Its stat signature
    (mtime, size, inode) answers for files last modified a while before they
    were read; a recently modified one is read and its digest compared, since
    a second write within the file system's timestamp granularity keeps the
    signature.  An entry keeps the diagnostics the file produced and replays
    them, so a cached load reports exactly what a fresh one would.
    """

    RACY_NS = 3_000_000_000

    def __init__(self) -> None:
        # rel -> (signature, digest, ignore, value, diagnostics, trusted)
        self.entries: dict[str, tuple] = {}
        self.parsed: list[str] = []  # files parsed (not reused) by the last load
        self._seen: set[str] = set()
        # folder -> (signature, trusted, files, diagnostics): a folder's listing (see ``listing``)
        self.listings: dict[Path, tuple] = {}
        self.listed = 0  # folders listed (not reused) by the last load
        self.stats = 0  # files whose stat was taken by the last load
        # The paths (project-relative, files or folders) that the next load is told changed since the
        # last one (see ``expect``), the current load's, and whether the last load ran to its end.
        self._hint: frozenset[str] | None = None
        self._only: frozenset[str] | None = None
        self._only_under: tuple[str, ...] = ()
        self._complete = False
        # rel_folder -> _Folder: a folder's files and values as the last load took them (see ``folder``).
        self.folders: dict[str, _Folder] = {}
        self._untrusted: set[str] = set()  # files whose entries are not trusted (modified recently)
        self.looked = 0  # files of a folder taken by the last load (looked up, at least), for tests
        # Files parsed since the last ``take_touched`` (None: unknown, a folder's listing was made afresh).
        self.touched: set[str] | None = None
        self._scan: tuple | None = None  # (refused, diagnostics) of the last symbolic-link scan

    def __getstate__(self) -> dict:
        # On disk (diskcache), the entries and listings only: what a watcher's report relies on is made again.
        state = dict(self.__dict__)
        state.update(folders={}, _untrusted=set(), touched=None, _scan=None, _hint=None, _only=None, _only_under=(),
                     _complete=False)
        return state

    def expect(self, changed) -> None:
        """Tell the next load which paths changed since the last one began (a watcher's events), or None.

        A file that is neither named nor under a named folder is then taken
        as it was, without a stat, if its entry is trusted.  The hint holds
        for one load, and only after a load that ran to its end; the caller
        passes None (every file checked) whenever an event may have been missed.
        """
        self._hint = None if changed is None else frozenset(p.rstrip("/") for p in changed)

    def listing(self, folder: Path, key: tuple, diags: Diagnostics, make):
        """``make(diags)``, the files of ``folder``, or its last result while the folder is unchanged.

        Adding, removing or renaming an entry (an editor's atomic save too)
        changes a folder's modification time; the racy rule of ``get``
        applies, so a folder changed within its granularity is listed again.
        """
        try:
            st = os.stat(folder)
        except OSError:
            return make(diags)
        sig = (st.st_mtime_ns, st.st_ino, key, diags.ignore)
        hit = self.listings.get(folder)
        if hit is not None and hit[1] and hit[0] == sig:
            diags.extend(hit[3])
            return hit[2]
        now = time.time_ns()
        sub = Diagnostics(ignore=diags.ignore)
        value = make(sub)
        if hit is not None and hit[3] == tuple(sub.items) and [f[2] for f in hit[2]] == [f[2] for f in value]:
            value = hit[2]  # the same files (an editor's atomic save renames one over itself): the same list
        else:
            self.touched = None  # files came or went: which documents changed is not known from the files parsed
        self.listings[folder] = (sig, now - st.st_mtime_ns > self.RACY_NS, value, tuple(sub.items))
        self.listed += 1
        diags.extend(sub.items)
        return value

    def get(self, path: Path, rel: str, diags: Diagnostics, parse, *args):
        """``parse(*args, path, rel, diags)``, or its cached result and diagnostics."""
        self._seen.add(rel)
        self.looked += 1
        only = self._only
        if only is not None and rel not in only and not rel.startswith(self._only_under):
            hit = self.entries.get(rel)
            if hit is not None and hit[5] and hit[2] == diags.ignore:
                diags.extend(hit[4])
                return hit[3]
        self.stats += 1
        try:
            st = path.stat()
        except OSError:
            return parse(*args, path, rel, diags)
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = self.entries.get(rel)
        if hit is not None and hit[5] and hit[0] == sig and hit[2] == diags.ignore:
            diags.extend(hit[4])
            return hit[3]
        now = time.time_ns()
        try:
            digest = hashlib.blake2b(path.read_bytes(), digest_size=20).digest()
        except OSError:
            return parse(*args, path, rel, diags)
        trusted = now - st.st_mtime_ns > self.RACY_NS
        if trusted:
            self._untrusted.discard(rel)
        else:
            self._untrusted.add(rel)
        if hit is not None and hit[1] == digest and hit[2] == diags.ignore:
            self.entries[rel] = (sig, digest, hit[2], hit[3], hit[4], trusted)
            diags.extend(hit[4])
            return hit[3]
        sub = Diagnostics(ignore=diags.ignore)
        value = parse(*args, path, rel, sub)
        self.entries[rel] = (sig, digest, diags.ignore, value, tuple(sub.items), trusted)
        self.parsed.append(rel)
        if self.touched is not None:
            self.touched.add(rel)
        diags.extend(sub.items)
        return value

    def folder(self, rel_folder: str, files: list[tuple[str, Path, str]], diags: Diagnostics, parse) -> list:
        """The values of a folder's ``files`` (``_stem_files``), each ``get(path, rel, diags, parse, slug)``,
        None left out; their diagnostics go to ``diags`` in the files' order.

        With a hint (see ``expect``) that names neither the folder nor a folder
        above it, and the folder's listing being the last load's (the same
        list), only the files the hint names and those not yet trusted are
        looked at: the work is in proportion to the files reported, not to
        the files in the folder.
        """
        last = self.folders.get(rel_folder)
        only = self._only
        if (last is not None and only is not None and last.files is files and last.ignore == diags.ignore
                and not any(rel_folder == p or rel_folder.startswith(p + "/") for p in only)):
            prefix = rel_folder + "/"
            look = {rel for rel in only if rel.startswith(prefix) and rel in last.at}
            look.update(rel for rel in self._untrusted if rel in last.at)
            values: list | None = None
            result: list | None = None
            diags_changed = False
            for rel in look:
                i = last.at[rel]
                slug, path, _ = files[i]
                before = last.values[i]
                had = self.entries.get(rel)
                sub = Diagnostics(ignore=diags.ignore)
                value = self.get(path, rel, sub, parse, slug)
                if value is before:
                    continue
                if values is None:
                    values, result = list(last.values), list(last.result)
                values[i] = value
                if result is not None and value is not None and before is not None:
                    result[last.kept[rel]] = value
                else:
                    result = None  # a file that gives a value or stops giving one: kept again below
                diags_changed = diags_changed or bool(sub.items) or bool(had is not None and had[4])
            if values is None:
                diags.extend(last.diagnostics)
                return last.result
            # Every file's diagnostics again only when a changed file has some (or had).
            flat = (tuple(d for _, _, rel in files for d in self.entries[rel][4]) if diags_changed
                    else last.diagnostics)
            if result is None:
                self.folders[rel_folder] = _Folder.of(files, diags.ignore, values, flat)
            else:
                self.folders[rel_folder] = last._replace(values=values, result=result, diagnostics=flat)
            diags.extend(flat)
            return self.folders[rel_folder].result
        sub = Diagnostics(ignore=diags.ignore)
        values = [self.get(path, rel, sub, parse, slug) for slug, path, rel in files]
        self.folders[rel_folder] = _Folder.of(files, diags.ignore, values, tuple(sub.items))
        diags.extend(sub.items)
        return self.folders[rel_folder].result

    def scan(self, root: Path, diags: Diagnostics) -> frozenset[Path]:
        """:func:`sourcefiles.scan`, or its last result while a hint (``expect``) applies, the last scan
        refused nothing and no path the hint names is a symbolic link or a folder (a folder moved in
        may hold links)."""
        if self._only is not None and self._scan is not None and not self._scan[0]:
            fresh = False
            for rel in self._only:
                try:
                    st = os.lstat(root / rel)
                except OSError:
                    continue  # gone: a link that went refused nothing (the last scan refused nothing)
                if not stat.S_ISREG(st.st_mode):
                    fresh = True
                    break
            if not fresh:
                diags.extend(self._scan[1])
                return self._scan[0]
        sub = Diagnostics(ignore=diags.ignore)
        refused = sourcefiles.scan(root, sub)
        self._scan = (refused, tuple(sub.items))
        diags.extend(sub.items)
        return refused

    def current(self, rel_folder: str, rel: str):
        """The value the last load took for ``rel`` in ``rel_folder`` (None: not listed there, or no value)."""
        last = self.folders.get(rel_folder)
        i = last.at.get(rel) if last is not None else None
        return None if i is None else last.values[i]

    def take_touched(self) -> set[str] | None:
        """The files parsed since the last call (None: unknown, files came or went); starts afresh."""
        touched, self.touched = self.touched, set()
        return touched

    def begin(self) -> None:
        self.parsed = []
        self.listed = 0
        self.stats = 0
        self.looked = 0
        self._seen = set()
        self._only = self._hint if self._complete else None
        self._only_under = tuple(p + "/" for p in self._only) if self._only is not None else ()
        self._hint = None
        self._complete = False

    def end(self) -> None:
        self._complete = True
        if self._only is not None:
            return  # a load that took whole folders as they were saw only some files: no sweep
        for rel in set(self.entries) - self._seen:
            del self.entries[rel]
            self._untrusted.discard(rel)


class _Folder(NamedTuple):
    """A folder's files as one load took them: the listing, each file's value, the values kept."""

    files: list  # the listing (_stem_files), the very object the folder's listing cache returns
    ignore: frozenset
    values: list  # each file's value, None for a file that gave none
    result: list  # the values that are not None
    diagnostics: tuple  # every file's diagnostics, in the listing's order
    at: dict  # rel -> index in files
    kept: dict  # rel -> index in result, for the files that gave a value

    @classmethod
    def of(cls, files, ignore, values, diagnostics) -> "_Folder":
        result, kept = [], {}
        for (_, _, rel), value in zip(files, values):
            if value is not None:
                kept[rel] = len(result)
                result.append(value)
        return cls(files, ignore, values, result, diagnostics, {rel: i for i, (_, _, rel) in enumerate(files)}, kept)
