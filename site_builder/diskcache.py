"""The persistent build cache: a :class:`~site_builder.build.BuildCache` kept on disk between builds.

``site-builder build`` loads ``.site-builder-cache/`` from the project folder,
builds with it, and saves what the build left in it.  The live server has
always kept a ``BuildCache`` in memory; on disk it is the same object, so the
same checks keep it from going stale: every entry is compared with the inputs
it was computed from (a source file's bytes, a document's text and
annotations and the glossary's aliases, a page's input digest), and a build
from the cache produces the same bytes as a clean build.

Two things are stricter on disk than in memory:

* A file's stat signature (modification time, size, inode) is not trusted
  across processes (a copy that keeps modification times could keep it), so
  every source file is read and its digest compared on the first build.
* The cache file's name carries a digest of the tool itself (its version, its
  code and templates, and the versions of Python and of the libraries that
  shape the output), so an upgrade or a local change to the tool never reads
  a cache that an older tool wrote; older cache files are removed.

The folder is safe to delete at any time; a damaged or unreadable cache file
is ignored (the build is then a clean one).  Nothing in it is ever published:
it lives beside ``content/``, not in the output folder.
"""

from __future__ import annotations

import copyreg
import hashlib
import os
import pickle
import sys
from importlib import metadata
from pathlib import Path

from . import __version__, analysisfiles, anchorstate, atomicfile, outputstore
from .xref import DocumentAnalysis

FOLDER = ".site-builder-cache"
PREFIX = "build-"
SUFFIX = ".pickle"
# The standard tag (https://bford.info/cachedir/) that backup tools use to skip cache folders.
TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# site-builder's build cache; safe to delete.\n"
LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "jinja2", "markupsafe", "pyyaml", "pillow")

_TOOL_DIGEST: str | None = None


def tool_digest() -> str:
    """A digest of everything besides the project that decides a build's output."""
    global _TOOL_DIGEST
    if _TOOL_DIGEST is None:
        h = hashlib.blake2b(digest_size=12)
        h.update(f"{__version__}\0{sys.version}\0".encode())
        for name in LIBRARIES:
            try:
                h.update(f"{name}={metadata.version(name)}\0".encode())
            except metadata.PackageNotFoundError:
                h.update(f"{name}=-\0".encode())
        package = Path(__file__).resolve().parent
        for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(path.relative_to(package).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
        _TOOL_DIGEST = h.hexdigest()
    return _TOOL_DIGEST


def cache_file(root: Path) -> Path:
    return root / FOLDER / f"{PREFIX}{tool_digest()}{SUFFIX}"


def analyses_folder(root: Path) -> Path:
    """Where each document's blocks are kept, one file per analysis (see analysisfiles.py)."""
    return root / FOLDER / analysisfiles.FOLDER


def new(root: Path):
    """An empty build cache for ``root`` that keeps each analysis's blocks in the cache folder."""
    from .build import BuildCache, DiskPlace

    return BuildCache(disk=DiskPlace(analyses_folder(root), tool_digest()))


def load(root: Path):
    """The cache the last build of ``root`` saved, or None (no cache, another tool version, unreadable)."""
    from .build import BuildCache, DiskPlace

    path = cache_file(root)
    try:
        with open(path, "rb") as fh:
            cache = _load_parts(fh, BuildCache)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged or partly written file: build from scratch
        return None
    if cache is None:
        return None
    entries = cache.files.entries
    for rel, entry in entries.items():
        entries[rel] = entry[:5] + (False,)  # re-read and compare every file once
    cache.disk = DiskPlace(analyses_folder(root), tool_digest())  # this folder, wherever the project was
    return cache


def changed(cache) -> bool:
    """Whether the last build with ``cache`` parsed, analysed or rendered anything.

    If not, the cache file already holds everything the build used; every entry
    is checked when it is read, so saving or not never changes an output.
    """
    return bool(cache.files.parsed or cache.analysed or cache.render.rendered)


def save(root: Path, cache) -> None:
    """Write ``cache`` for the next build; quietly does nothing where the project is read-only."""
    folder = root / FOLDER
    env, timings = cache.env, cache.timings
    cache.env, cache.timings = None, {}  # the Jinja environment is rebuilt from the templates
    try:
        folder.mkdir(exist_ok=True)
        tag = folder / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(TAG, encoding="utf-8")
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# site-builder's build cache: never commit it\n*\n", encoding="utf-8")
        _dump(cache, cache_file(root), PREFIX, write=_dump_parts)
        # The analysis files that the cache just saved does not refer to go (after the save:
        # while it failed, the cache file of the last build may still refer to them).
        analysisfiles.prune(analyses_folder(root), (entry.analysis.blocks.key for entry in cache.analyses.values()
                                                    if isinstance(entry.analysis.blocks, analysisfiles.StoredBlocks)))
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a cache is an optimisation: the build itself succeeded
    finally:
        cache.env, cache.timings = env, timings


def _dump(obj, target: Path, prefix: str, write=None) -> None:
    """Pickle ``obj`` into ``target`` atomically (with ``write(obj, file)`` if given), then remove
    the files of other tool versions (``prefix``*): each cache file is named after the tool's digest."""
    folder = target.parent
    with atomicfile.replacing(target) as fh:
        if write is not None:
            write(obj, fh)
        else:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    for old in folder.glob(f"{prefix}*{SUFFIX}"):
        if old != target:
            old.unlink(missing_ok=True)


# ------------------------------------------------------------------ the build cache in parts
#
# A pickler keeps every object it has written in its memo, with a reference, until the end:
# at 4,000 documents some eight million objects, the memo table and the temporary tuples
# it keeps alive as large as a third of the cache (docs/performance.md, "memory-pages").
# So the cache is written as several pickles one after the other, each with a memo of
# its own: first the cache without the parts below, with the document analyses; then
# each part, which refers to an analysis by its place in that list, so that it is
# still the same object after loading (the caches compare analyses by
# identity); the render cache's parts that hold no analysis come last.

_ANALYSIS_USERS = ("used", "link_targets", "render")  # BuildCache attributes that refer to analyses
_RENDER_LEAVES = ("search", "site_wide", "layouts", "pages", "cards")  # RenderCache attributes that do not


def _analysis(index: int):
    """Stands for the analysis at ``index`` of the first part; :class:`_Resolving` swaps in the object."""
    raise pickle.UnpicklingError("a cache part read without its analyses")


class _Referring(pickle.Pickler):
    """Writes each of the first part's analyses as a reference to its place in that part's list.

    A dispatch table entry (looked up by type, in C) rather than ``persistent_id``, which
    would be a Python call for every object written.
    """

    def __init__(self, fh, ids: dict[int, int]) -> None:
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.dispatch_table = copyreg.dispatch_table.copy()
        # An analysis the first part does not hold (none should) is written whole.
        self.dispatch_table[DocumentAnalysis] = lambda an: ((_analysis, (ids[id(an)],)) if id(an) in ids
                                                            else an.__reduce_ex__(pickle.HIGHEST_PROTOCOL))


class _Resolving(pickle.Unpickler):
    def __init__(self, fh, analyses: list) -> None:
        super().__init__(fh)
        self.analyses = analyses

    def find_class(self, module: str, name: str):
        if module == __name__ and name == "_analysis":
            return self.analyses.__getitem__
        return super().find_class(module, name)


def _dump_parts(cache, fh) -> None:
    analyses = [entry.analysis for entry in cache.analyses.values()]
    users = {name: getattr(cache, name) for name in _ANALYSIS_USERS}
    render = users["render"]
    leaves = {name: getattr(render, name) for name in _RENDER_LEAVES}
    try:
        for name in users:
            setattr(cache, name, None)
        for name in leaves:
            setattr(render, name, None)
        pickle.dump((cache, analyses), fh, protocol=pickle.HIGHEST_PROTOCOL)
        ids = {id(an): i for i, an in enumerate(analyses)}
        _Referring(fh, ids).dump(users)
        _Referring(fh, ids).dump(leaves)
    finally:
        for name, value in users.items():
            setattr(cache, name, value)
        for name, value in leaves.items():
            setattr(render, name, value)


def _load_parts(fh, kind):
    """The cache :func:`_dump_parts` wrote, or None if it is not one."""
    head = pickle.load(fh)
    if not (isinstance(head, tuple) and len(head) == 2 and isinstance(head[0], kind)):
        return None
    cache, analyses = head
    users = _Resolving(fh, analyses).load()
    leaves = _Resolving(fh, analyses).load()
    for name, value in leaves.items():
        setattr(users["render"], name, value)
    for name, value in users.items():
        setattr(cache, name, value)
    return cache


# ------------------------------------------------------------------ the whole output, for a build with nothing changed

OUTPUT_PREFIX = "output-"
STORE = "files"


def source_key(root: Path, strict: bool, publishing: bool = False) -> str | None:
    """A digest of everything a build of ``root`` reads, or None when that cannot be told cheaply.

    It covers every file under ``content/`` and ``templates/`` (names and
    bytes), ``anchors.lock.json``, the tool's digest, ``--strict``, ``--publish``,
    ``SOURCE_DATE_EPOCH`` and ``SITE_BUILDER_BASE_URL``.  A
    project with a symbolic link in those folders gets None: where a link
    leads is checked by the build, so such a project always takes the full path.
    """
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{tool_digest()}\0{strict}\0{publishing}\0{os.environ.get('SOURCE_DATE_EPOCH')}\0"
             f"{os.environ.get('SITE_BUILDER_BASE_URL')}\0".encode())
    # The last good anchoring of each annotation (anchors.lock.json) decides drift states.
    try:
        h.update(b"lock\0" + (root / anchorstate.FILE_NAME).read_bytes() + b"\0")
    except OSError:
        h.update(b"lock: absent\0")
    for top in ("content", "templates"):
        base = root / top
        if base.is_symlink():
            return None
        if not base.is_dir():
            h.update(f"{top}: absent\0".encode())
            continue
        for folder, dirs, files in os.walk(base):
            dirs.sort()
            here = Path(folder)
            for name in dirs:
                if (here / name).is_symlink():
                    return None
            for name in sorted(files):
                path = here / name
                if path.is_symlink():
                    return None
                h.update(path.relative_to(root).as_posix().encode(errors="surrogateescape") + b"\0")
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    h.update(f"unreadable: {exc.errno}\0".encode())
                    continue
                h.update(len(data).to_bytes(8, "little"))
                h.update(data)
    return h.hexdigest()


def output_file(root: Path) -> Path:
    return root / FOLDER / f"{OUTPUT_PREFIX}{tool_digest()}{SUFFIX}"


def store(root: Path) -> outputstore.FileStore:
    """The output files of the last build, by the digest of their bytes (see outputstore.py).

    Not named after the tool's digest: a file's name is the digest of its
    bytes, whichever tool wrote it, and the build cache and the saved output
    refer to files by that digest only.
    """
    return outputstore.FileStore(root / FOLDER / STORE)


def prune_store(root: Path, cache, files) -> None:
    """Remove the stored files that neither ``cache``'s pages nor ``files`` (the saved output) refer to."""
    keep = {record.digest for record in files.values() if isinstance(record, outputstore.Stored)}
    keep.update(kept.digest for _, kept in cache.render.pages.values() if isinstance(kept, outputstore.Stored))
    store(root).prune(keep)


def load_output(root: Path, key: str | None):
    """(diagnostics, files) of the last successful build, if its sources had digest ``key``.

    ``files`` maps each output path to its :class:`~site_builder.outputstore.Stored` record.
    """
    if key is None:
        return None
    try:
        with open(output_file(root), "rb") as fh:
            saved = pickle.load(fh)
    except Exception:  # missing, damaged or partly written: build
        return None
    if not (isinstance(saved, tuple) and len(saved) == 3 and saved[0] == key):
        return None
    return saved[1], saved[2]


STAMP_PREFIX = "stamp-"


def stamp_file(root: Path) -> Path:
    return root / FOLDER / f"{STAMP_PREFIX}{tool_digest()}{SUFFIX}"


def save_stamp(root: Path, key: str | None, snapshot: tuple | None) -> None:
    """Record that the output folder, as ``snapshot`` (writer.snapshot) shows it, is the build of sources ``key``."""
    target = stamp_file(root)
    try:
        if key is None or snapshot is None:
            target.unlink(missing_ok=True)
            return
        _dump((key, snapshot), target, STAMP_PREFIX)
    except (OSError, pickle.PicklingError):
        pass


def output_untouched(root: Path, key: str | None, snapshot: tuple | None) -> bool:
    """Whether the output folder is still exactly what the last build of sources ``key`` wrote."""
    if key is None or snapshot is None:
        return False
    try:
        with open(stamp_file(root), "rb") as fh:
            saved = pickle.load(fh)
    except Exception:  # missing, damaged or partly written: put the output back
        return False
    return saved == (key, snapshot)


def save_output(root: Path, key: str | None, diagnostics, files) -> None:
    """Keep a successful build's diagnostics and files (records of the files in :func:`store`)
    under the digest of its sources."""
    folder = root / FOLDER
    target = output_file(root)
    try:
        if key is None:
            target.unlink(missing_ok=True)
            return
        folder.mkdir(exist_ok=True)
        _dump((key, diagnostics, files), target, OUTPUT_PREFIX)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass
