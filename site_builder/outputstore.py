"""Output files kept on disk instead of in memory, for ``site-builder build``.

A build in memory (the live server, the exports, the tests) keeps every
output file's bytes: :class:`~site_builder.build.Compiled` ``files`` maps
each path to them, and the renderer's cache keeps each page's bytes for the
next build.  At a few thousand documents those bytes are hundreds of MB, so
``build`` hands the renderer a :class:`DiskSink` instead:

* each page goes into the staging folder (:class:`~site_builder.writer.Staging`)
  the moment it is rendered, and only a :class:`Stored` record (a digest of
  its bytes and their length) is kept in ``files`` and in the render cache;
* a copy goes into a :class:`FileStore` in the build cache's folder, named
  by that digest, so the next build can copy an unchanged page into its own
  staging folder without rendering it, and a build with nothing changed can
  put the whole output back from the store (see ``diskcache.save_output``).

A stored page is reused only while its file is in the store
(:meth:`DiskSink.keeps`), so deleting any part of the cache folder makes the
next build render what is missing; it never makes it wrong.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple

from . import atomicfile
from .urls import OutPath


class Stored(NamedTuple):
    """An output file that is on disk, not in memory: the digest of its bytes and their length."""

    digest: str
    size: int


def stored(data: bytes) -> Stored:
    return Stored(hashlib.blake2b(data, digest_size=16).hexdigest(), len(data))


class FileStore:
    """Files named by the digest of their bytes (``<folder>/ab/cdef…``), added atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, digest: str) -> Path:
        return self.folder / digest[:2] / digest[2:]

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def add(self, record: Stored, data: bytes) -> None:
        target = self.path(record.digest)
        if not target.is_file():
            atomicfile.write_bytes(target, data, make_parents=True)

    def prune(self, keep: Iterable[str]) -> None:
        """Remove every file whose digest is not in ``keep`` (what no saved build refers to)."""
        wanted = set(keep)
        try:
            subfolders = list(os.scandir(self.folder))
        except OSError:
            return
        for sub in subfolders:
            if not sub.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(sub.path):
                if sub.name + entry.name not in wanted:
                    try:
                        os.unlink(entry.path)
                    except OSError:
                        pass


class DiskSink:
    """Where the renderer puts the files of a build that writes straight to disk.

    ``staging`` is a :class:`~site_builder.writer.Staging` (anything with
    ``put(path, data)`` and ``copy(path, source)``); ``store`` the build
    cache's :class:`FileStore`, or None (``build --no-cache``).
    """

    def __init__(self, staging, store: FileStore | None) -> None:
        self.staging = staging
        self.store = store
        self.written = 0  # files put into the staging folder (rendered or copied)

    def put(self, path: OutPath, data: bytes) -> Stored:
        record = stored(data)
        self.staging.put(path, data)
        if self.store is not None:
            self.store.add(record, data)
        self.written += 1
        return record

    def keeps(self, kept: object) -> bool:
        """Whether a page kept by the render cache can be put into this build without rendering it."""
        if isinstance(kept, bytes):
            return True
        return isinstance(kept, Stored) and self.store is not None and self.store.has(kept.digest)

    def reuse(self, path: OutPath, kept: "Stored | bytes") -> Stored:
        if isinstance(kept, bytes):
            return self.put(path, kept)
        assert self.store is not None
        self.staging.copy(path, self.store.path(kept.digest))
        self.written += 1
        return kept

    def finish(self, files: Mapping[OutPath, "Stored | bytes"]) -> dict[OutPath, Stored]:
        """Put every file still held in memory (the site-wide ones); every file's record, by path."""
        return {path: data if isinstance(data, Stored) else self.put(path, data) for path, data in files.items()}


def restore(staging, store: FileStore, files: Mapping[OutPath, Stored]) -> bool:
    """Copy a saved build's files from ``store`` into ``staging``; False if one is missing from the store."""
    if not all(store.has(record.digest) for record in files.values()):
        return False
    for path, record in files.items():
        staging.copy(path, store.path(record.digest))
    return True
