"""Each document's rendered body on disk, one file per document in the build cache folder.

A document's analysis is half block HTML (its body rendered, highlights and
mention links in place), and only its own document page reads the blocks.
So when ``build`` keeps a cache folder, the process that analyses a document
(an analysis worker, or the build itself below the pool's threshold) writes
the analysis's blocks to ``.site-builder-cache/analyses/<key>.pickle`` and
puts a :class:`StoredBlocks` in their place: the parent process, the build
cache it saves and the page workers it forks hold the handle (the key and the
number of blocks), and a page worker reads the blocks back when it renders
that document's page.

The key is a digest of everything the analysis was computed from (the tool's
digest, the document, its annotations, their last good anchoring, the
glossary's aliases and whether raw HTML is allowed), so a file of other
inputs is never read for these.  A file starts with a digest of the rest of
its bytes, and holds its key: a damaged, truncated, missing or foreign file
is never used; the blocks are computed again from the document's inputs,
which the build registers for every handle it holds (:func:`register`), and
the file is written again.  Files that no handle of the saved cache refers to
are removed after each build (:func:`prune`).  The live server keeps its
analyses in memory and uses none of this.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Iterable, NamedTuple

from . import atomicfile
from .markdown import Block

FOLDER = "analyses"
SUFFIX = ".pickle"
MAGIC = b"site-builder blocks 1\n"
CHECK = 16  # bytes of the BLAKE2b digest of the payload that follows the magic line


class Inputs(NamedTuple):
    """What computes a document's analysis again when its file cannot be used."""

    folder: Path
    doc: object  # model.Document
    annotations: tuple
    formers: dict
    allow_html: bool
    matcher: object  # mentions.Matcher


# key -> the inputs of the analysis whose blocks that file holds (set by the build, inherited by forked workers)
_REGISTRY: dict[str, Inputs] = {}
_LAST: tuple[str, list[Block]] | None = None  # the blocks read last (a page reads them twice)
reads = 0  # files read by this process (tests count them)
recomputed = 0  # blocks computed again because their file could not be used (tests count them)


class StoredBlocks(Sequence):
    """A document's blocks, kept in a file of the cache folder and read when iterated."""

    __slots__ = ("key", "count")

    def __init__(self, key: str, count: int) -> None:
        self.key = key
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        return self.load()[index]

    def __iter__(self):
        return iter(self.load())

    def __eq__(self, other) -> bool:
        if isinstance(other, StoredBlocks) and other.key == self.key:
            return True
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self):
        return (self.key, self.count)

    def __setstate__(self, state) -> None:
        self.key, self.count = state

    def __repr__(self) -> str:
        return f"StoredBlocks({self.key!r}, {self.count})"

    def load(self) -> list[Block]:
        global _LAST, recomputed
        last = _LAST
        if last is not None and last[0] == self.key:
            return last[1]
        inputs = _REGISTRY.get(self.key)
        if inputs is None:
            raise LookupError(f"no document registered for the analysis file {self.key}")
        blocks = read(inputs.folder, self.key)
        if blocks is None or len(blocks) != self.count:
            from .markdown import Markdown
            from .xref import analyse_document

            recomputed += 1
            blocks = analyse_document(inputs.doc, inputs.annotations, Markdown(allow_html=inputs.allow_html),
                                      inputs.matcher, inputs.formers).blocks  # type: ignore[arg-type]
            try:
                write(inputs.folder, self.key, blocks)
            except OSError:
                pass  # the cache is an optimisation; the page is right either way
        _LAST = (self.key, blocks)
        return blocks


def key(salt: bytes, doc, annotations: tuple, formers: dict) -> str:
    """The digest of an analysis's inputs; ``salt`` (:func:`salt`) covers the tool, the aliases and raw HTML."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: the bytes depend on the values only, not on which objects are shared
    pickler.dump((doc, annotations, sorted(formers.items())))
    h = hashlib.blake2b(salt, digest_size=16)
    h.update(buffer.getbuffer())
    return h.hexdigest()


def salt(tool: str, aliases: Iterable, allow_html: bool) -> bytes:
    """What every document's key shares: the tool's digest, the glossary's aliases, raw HTML allowed or not."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{tool}\0{allow_html}\0".encode())
    for alias in sorted((a.text, a.entity, a.case_sensitive) for a in aliases):
        h.update(repr(alias).encode() + b"\0")
    return h.digest()


def path(folder: Path, name: str) -> Path:
    return folder / f"{name}{SUFFIX}"


def write(folder: Path, name: str, blocks: list[Block]) -> None:
    payload = pickle.dumps((name, [(b.html, b.notes) for b in blocks]), protocol=pickle.HIGHEST_PROTOCOL)
    folder.mkdir(parents=True, exist_ok=True)
    with atomicfile.replacing(path(folder, name)) as fh:
        fh.write(MAGIC + hashlib.blake2b(payload, digest_size=CHECK).digest() + payload)


def read(folder: Path, name: str) -> list[Block] | None:
    """The blocks in the file of key ``name``, or None if it is missing, damaged or not that key's."""
    global reads
    reads += 1
    try:
        data = path(folder, name).read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + CHECK
    if not data.startswith(MAGIC) or len(data) < head:
        return None
    payload = memoryview(data)[head:]
    if hashlib.blake2b(payload, digest_size=CHECK).digest() != data[len(MAGIC):head]:
        return None
    try:
        stored_key, rows = pickle.loads(payload)
        if stored_key != name:
            return None
        return [Block(html, tuple(notes)) for html, notes in rows]
    except Exception:  # a payload that is not ours, however it came to match its digest
        return None


def store(folder: Path, name: str, blocks: list[Block]) -> "StoredBlocks | list[Block]":
    """Write ``blocks`` under ``name`` and return the handle; the blocks themselves if the folder is not writable."""
    try:
        write(folder, name, blocks)
    except OSError:
        return blocks
    return StoredBlocks(name, len(blocks))


def clear() -> None:
    """Forget every registered document (a new build registers its own)."""
    global _LAST
    _REGISTRY.clear()
    _LAST = None


def register(handle: StoredBlocks, inputs: Inputs) -> None:
    _REGISTRY[handle.key] = inputs


def prune(folder: Path, keep: Iterable[str]) -> None:
    """Remove the files of ``folder`` whose key is not in ``keep`` (and temporary files left by a crash)."""
    wanted = {f"{name}{SUFFIX}" for name in keep}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name not in wanted:
            try:
                os.unlink(entry.path)
            except OSError:
                pass
