"""Stage 1: read content/ into the model, keeping source positions.

Reads every file, parses YAML with PyYAML's composer (so each node keeps its
line and column), rejects duplicate keys, converts through the specs in
:mod:`schema`, and reports every problem instead of stopping at the first.
Symbolic links that leave the project are refused before anything is read
(:mod:`sourcefiles`), and YAML that is not plain data is refused before it is
converted (:mod:`yamlcheck`).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from pathlib import Path
from typing import NamedTuple

import yaml

from . import language, schema, sourcefiles, yamlcheck
from .diagnostics import Diagnostics, Pos, Severity
from .model import (
    Annotation, AnnotationFile, Change, Citation, Content, Document, Entity, Original, Overview, Quote, Site, Source,
)

# libyaml's composer when available: same nodes and marks, several times faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FRONT_MATTER_FENCE = re.compile(r"^---[ \t]*$")
FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
SLUG_RE = schema.ID_RE
MAX_FILE_BYTES = 20_000_000  # far beyond any briefing text; stops a mistaken data dump or a device file
UNREADABLE = ("yaml-syntax", "yaml-tag", "yaml-alias")  # codes after which a file's fields are unknown, not missing


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


def _cached(cache: FileCache | None, path: Path, rel: str, diags: Diagnostics, parse, *args):
    if cache is None:
        return parse(*args, path, rel, diags)
    return cache.get(path, rel, diags, parse, *args)


def read_text(path: Path, rel: str, diags: Diagnostics) -> str | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # never more, whatever the file is
    except OSError as exc:
        diags.error("io", Pos(rel, 1, 1), f"cannot read file: {exc.strerror or exc}")
        return None
    if len(data) > MAX_FILE_BYTES:
        diags.error("file-too-large", Pos(rel, 1, 1), f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB, the "
                    "limit for a content file; is it the right file?")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)  # utf-8-sig counts after the mark
        diags.error("encoding", _byte_pos(data, bad, rel),
                    f"file is not valid UTF-8: byte 0x{data[bad]:02X} cannot start or continue a character "
                    "here; save the file as UTF-8")
        return None
    nul = data.find(b"\x00")
    if nul >= 0:
        diags.error("encoding", _byte_pos(data, nul, rel),
                    "file contains a NUL byte (U+0000): text files never do; is it a binary file or a damaged save?")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _byte_pos(data: bytes, offset: int, rel: str) -> Pos:
    """The line and column (in characters) of byte ``offset``; everything before it is valid UTF-8."""
    start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[start:offset]
    if start == 0 and prefix.startswith(b"\xef\xbb\xbf"):
        prefix = prefix[3:]  # the byte-order mark is not a column
    col = len(prefix.decode("utf-8", "replace").rstrip("\r")) + 1
    return Pos(rel, data.count(b"\n", 0, offset) + 1, col)


def compose_yaml(text: str, rel: str, diags: Diagnostics, line_offset: int = 0) -> yaml.Node | None:
    """Parse YAML to a node tree; report syntax errors and duplicate keys."""
    try:
        nodes = list(yaml.compose_all(text, Loader=YAML_LOADER))
    except yaml.YAMLError as exc:
        yamlcheck.syntax_error(exc, text, rel, diags, line_offset)
        return None
    except RecursionError:  # the pure-Python composer on absurdly deep nesting
        diags.error("yaml-syntax", Pos(rel, 1 + line_offset, 1),
                    f"YAML nested more than {yamlcheck.MAX_DEPTH} levels deep; no content file needs that")
        return None
    if len(nodes) > 1:
        m = nodes[1].start_mark
        diags.error("yaml-syntax", Pos(rel, m.line + 1 + line_offset, 1), "more than one YAML document in this file")
    if not nodes:
        return None
    if not yamlcheck.check_tree(nodes[0], rel, diags, line_offset, text):
        return None
    _check_duplicate_keys(nodes[0], rel, diags, line_offset, shared="&" in text)
    return nodes[0]


def _check_duplicate_keys(node: yaml.Node, rel: str, diags: Diagnostics, line_offset: int,
                          shared: bool = True) -> None:
    """``shared``: the tree may share nodes (the text has an anchor), so each is visited once."""
    stack = [node]
    seen_ids: set[int] = set()
    scalar = yaml.ScalarNode
    while stack:
        n = stack.pop()
        if isinstance(n, scalar):
            continue  # no keys
        if shared:
            if id(n) in seen_ids:
                continue
            seen_ids.add(id(n))
        if isinstance(n, yaml.MappingNode):
            first: dict[str, yaml.Node] = {}
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in first:
                        prev = first[k.value].start_mark
                        diags.error(
                            "duplicate-key",
                            Pos(rel, k.start_mark.line + 1 + line_offset, k.start_mark.column + 1),
                            f"duplicate key '{k.value}' (first defined at line {prev.line + 1 + line_offset})",
                        )
                    else:
                        first[k.value] = k
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def _convert(node: yaml.Node | None, spec: schema.Obj, rel: str, diags: Diagnostics, line_offset: int = 0,
             text: str | None = None):
    ctx = schema.Ctx(rel, diags, line_offset, text)
    if node is None:
        if any(d.code in UNREADABLE and d.pos.path == rel for d in diags.items):
            return None, ctx  # unreadable, not empty: its fields may well be there
        value = {}
        missing = [f for f in spec.required]
        for name in missing:
            diags.error("missing-field", Pos(rel, 1 + line_offset, 1), f"missing required field '{name}'")
        return (None if missing else value), ctx
    value = spec.convert(node, ctx, ())
    return (None if value is schema.MISSING else value), ctx


def split_front_matter(text: str, rel: str, diags: Diagnostics) -> tuple[str, int, str, int] | None:
    """Return (yaml_text, yaml_first_line_offset, body, body_first_line)."""
    lines = text.split("\n")
    if not lines or not FRONT_MATTER_FENCE.match(lines[0]):
        diags.error("front-matter", Pos(rel, 1, 1), "missing front matter: the file must start with a '---' line")
        return None
    for i in range(1, len(lines)):
        if FRONT_MATTER_END.match(lines[i]):
            return "\n".join(lines[1:i]), 1, "\n".join(lines[i + 1:]), i + 2
    diags.error("front-matter", Pos(rel, 1, 1), "front matter is not closed: add a '---' line after it")
    return None


def _markdown_file(path: Path, rel: str, spec: schema.Obj, diags: Diagnostics):
    text = read_text(path, rel, diags)
    if text is None:
        return None
    parts = split_front_matter(text, rel, diags)
    if parts is None:
        return None
    fm_text, fm_offset, body, body_line = parts
    node = compose_yaml(fm_text, rel, diags, line_offset=fm_offset)
    value, ctx = _convert(node, spec, rel, diags, line_offset=fm_offset, text=fm_text)
    return value, body, Pos(rel, body_line, 1), ctx


def load_site(root: Path, diags: Diagnostics, cache: FileCache | None = None,
              refused: frozenset[Path] = frozenset()) -> Site | None:
    rel = "content/site.yml"
    path = root / rel
    if sourcefiles.is_refused(path, refused):
        return None
    if not path.is_file():
        diags.error("missing-file", Pos(rel, 1, 1), "content/site.yml is missing (it holds the briefing's title and settings)")
        return None
    return _cached(cache, path, rel, diags, _site)


def _site(path: Path, rel: str, diags: Diagnostics) -> Site | None:
    text = read_text(path, rel, diags)
    if text is None:
        return None
    value, _ = _convert(compose_yaml(text, rel, diags), schema.SITE, rel, diags)
    if value is None:
        return None
    return Site(
        title=value["title"], subtitle=value.get("subtitle", ""), description=value.get("description", ""),
        language=language.canonical(value.get("language", "en")), author=value.get("author", ""),
        organisation=value.get("organisation", ""), date=value.get("date", ""), base_url=value.get("base_url", ""),
        cname=value.get("cname", ""),
        allow_raw_html=value.get("allow_raw_html", False), ignore=tuple(value.get("ignore", ())),
        report_page=value.get("report_page", False),
        warn=tuple(value.get("warn", ())),
        print_notes=value.get("print_notes", "endnotes"),
    )


def load_overview(root: Path, diags: Diagnostics, cache: FileCache | None = None,
                  refused: frozenset[Path] = frozenset()) -> Overview | None:
    rel = "content/index.md"
    path = root / rel
    if sourcefiles.is_refused(path, refused):
        return None
    if not path.is_file():
        diags.error("missing-file", Pos(rel, 1, 1), "content/index.md is missing (it holds the briefing overview)")
        return None
    return _cached(cache, path, rel, diags, _overview)


def _overview(path: Path, rel: str, diags: Diagnostics) -> Overview | None:
    loaded = _markdown_file(path, rel, schema.OVERVIEW, diags)
    if loaded is None or loaded[0] is None:
        return None
    value, body, body_pos, ctx = loaded
    takeaways = tuple(value.get("takeaways", ()))
    where = tuple(ctx.positions.get(("takeaways", i, "@text"), ctx.positions.get(("takeaways", i), Pos(rel, 1, 1)))
                  for i in range(len(takeaways)))
    return Overview(value["title"], value.get("summary", ""), takeaways, body, body_pos, where)


def _stem_files(folder: Path, suffix: str, rel_folder: str, diags: Diagnostics,
                refused: frozenset[Path] = frozenset(), cache: FileCache | None = None) -> list[tuple[str, Path, str]]:
    """(slug, path, rel) for files in folder with suffix; reports bad names and case collisions.

    ``refused``: symbolic links :func:`sourcefiles.scan` reported, never read.
    With a cache, the listing is reused while the folder is unchanged.
    """
    if cache is not None:
        return cache.listing(folder, (suffix, rel_folder, refused), diags,
                             lambda sub: _stem_files(folder, suffix, rel_folder, sub, refused))
    if sourcefiles.is_refused(folder, refused) or not folder.is_dir():
        return []
    out = []
    by_lower: dict[str, str] = {}
    with os.scandir(folder) as it:  # the directory entries know their type: no stat per file
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        p = folder / entry.name
        rel = f"{rel_folder}/{entry.name}"
        if entry.name.startswith(".") or entry.name.endswith("~") or p in refused:
            continue
        if entry.is_dir():
            diags.warning("unexpected-file", Pos(rel, 1, 1), "sub-folders are not read here; this folder is ignored")
            continue
        if not p.name.endswith(suffix):
            alt = ".yaml" if suffix == ".yml" else None
            if alt and p.name.endswith(alt):
                diags.error("unexpected-file", Pos(rel, 1, 1), f"rename to '{p.name[:-len(alt)]}{suffix}': files here must end in {suffix}")
            else:
                diags.warning("unexpected-file", Pos(rel, 1, 1), f"ignored: files here must end in {suffix}")
            continue
        slug = p.name[: -len(suffix)]
        lower = slug.lower()
        if lower in by_lower:
            diags.error("slug-collision", Pos(rel, 1, 1), f"'{p.name}' collides with '{by_lower[lower]}' (names may differ only in case on some systems and in URLs)")
            continue
        by_lower[lower] = p.name
        if not SLUG_RE.match(slug):
            suggestion = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-") or "name"
            diags.error("invalid-slug", Pos(rel, 1, 1), f"invalid file name '{p.name}': use lowercase letters, digits and hyphens (e.g. '{suggestion}{suffix}')")
            continue
        if not sourcefiles.check_slug(slug, suffix, rel, diags):
            continue
        if not entry.is_file():  # a named pipe or a device would block or never end
            diags.error("unexpected-file", Pos(rel, 1, 1), f"'{p.name}' is not a regular file; it is not read")
            continue
        out.append((slug, p, rel))
    return out


def load_documents(root: Path, diags: Diagnostics, cache: FileCache | None = None,
                   refused: frozenset[Path] = frozenset()) -> list[Document]:
    files = _stem_files(root / "content" / "documents", ".md", "content/documents", diags, refused, cache)
    if cache is not None:
        return cache.folder("content/documents", files, diags, _document)
    docs = []
    for slug, path, rel in files:
        doc = _cached(cache, path, rel, diags, _document, slug)
        if doc is not None:
            docs.append(doc)
    return docs


def _document(slug: str, path: Path, rel: str, diags: Diagnostics) -> Document | None:
    loaded = _markdown_file(path, rel, schema.DOCUMENT, diags)
    if loaded is None or loaded[0] is None:
        return None
    value, body, body_pos, ctx = loaded
    src = value.get("source", {})
    detected = language.detect(body)
    return Document(
        slug=slug, title=value["title"], date=value.get("date", ""), summary=value.get("summary", ""),
        tags=tuple(value.get("tags", ())),
        source=Source(**{k: src.get(k, "") for k in ("publisher", "author", "published", "url", "note")}),
        body=body, path=rel, body_pos=body_pos,
        language=language.canonical(value["language"]) if value.get("language") else "",
        detected_script=detected.script, detected_language=detected.language,
        translation_of=value.get("translation_of", ""), translator=value.get("translator", ""),
        translation_note=value.get("translation_note", ""),
        translation_pos=ctx.positions.get(("translation_of",), Pos(rel, 1, 1)),
    )


def load_annotation_files(root: Path, diags: Diagnostics, cache: FileCache | None = None,
                          refused: frozenset[Path] = frozenset()) -> list[AnnotationFile]:
    listing = _stem_files(root / "content" / "annotations", ".yml", "content/annotations", diags, refused, cache)
    if cache is not None:
        return cache.folder("content/annotations", listing, diags, _annotation_file)
    files = []
    for slug, path, rel in listing:
        af = _cached(cache, path, rel, diags, _annotation_file, slug)
        if af is not None:
            files.append(af)
    return files


def _annotation_file(slug: str, path: Path, rel: str, diags: Diagnostics) -> AnnotationFile | None:
    text = read_text(path, rel, diags)
    if text is None:
        return None
    node = compose_yaml(text, rel, diags)
    if node is None:
        if not any(d.code == "yaml-syntax" and d.pos.path == rel for d in diags.items):
            # A crashed save or a bad merge must not publish the document without its notes.
            diags.error("missing-field", Pos(rel, 1, 1),
                        "the file is empty or holds only comments: the 'annotations' key is required "
                        "(write 'annotations: []' for a document without annotations)")
        return AnnotationFile(slug, rel, ())
    ctx = schema.Ctx(rel, diags, text=text)
    # Convert item by item so one broken annotation does not hide the others.
    items = _annotation_items(node, ctx)
    annotations = []
    for i, item_node in items:
        value = schema.ANNOTATION.convert(item_node, ctx, ("annotations", i))
        if value is schema.MISSING:
            continue
        annotations.append(_annotation(value, slug, ctx, ("annotations", i)))
    return AnnotationFile(slug, rel, tuple(annotations))


def _annotation_items(node: yaml.Node, ctx: schema.Ctx) -> list[tuple[int, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        ctx.diags.error("type", ctx.pos(node), "expected a mapping with the key 'annotations'")
        return []
    items: list[tuple[int, yaml.Node]] = []
    found = False
    for k, v in node.value:
        key = getattr(k, "value", None)
        if key != "annotations":
            ctx.diags.error("unknown-key", ctx.pos(k), f"unknown key '{key}'" + schema.did_you_mean(str(key), ["annotations"]))
            continue
        found = True
        if isinstance(v, yaml.SequenceNode):
            items = list(enumerate(v.value))
        elif schema._is_null(v):
            ctx.diags.error("missing-field", ctx.pos(k),
                            "'annotations' has no value: list the annotations, or write 'annotations: []' "
                            "for a document without annotations")
        else:
            ctx.diags.error("type", ctx.pos(v), "expected a list of annotations")
    if not found:
        ctx.diags.error("missing-field", ctx.pos(node), "missing required field 'annotations'")
    return items


def _annotation(value: dict, slug: str, ctx: schema.Ctx, path: tuple) -> Annotation:
    q = value["quote"]
    orig = value.get("original")
    cq = value["counterpart"]["quote"] if value.get("counterpart") else None
    return Annotation(
        id=value["id"], document=slug, kind=value["kind"],
        quote=Quote(q["exact"], q.get("prefix", ""), q.get("suffix", "")),
        body=value["body"], verdict=value.get("verdict", ""),
        verdict_written=path + ("verdict", "@key") in ctx.positions,
        entities=tuple(value.get("entities", ())),
        sources=tuple(Citation(s["title"], s["publisher"], s["date"], s.get("url", ""), s.get("excerpt", ""), s.get("lang", ""))
                      for s in value.get("sources", ())),
        tags=tuple(value.get("tags", ())),
        original=Original(orig["text"], orig["lang"]) if orig else None,
        updated=value.get("updated", ""),
        history=tuple(Change(h["date"], h["change"], h.get("verdict", "")) for h in value.get("history", ())),
        summary=value.get("summary", ""),
        language=language.canonical(value["language"]) if value.get("language") else "",
        counterpart=Quote(cq["exact"], cq.get("prefix", ""), cq.get("suffix", "")) if cq else None,
        counterpart_pos=ctx.positions.get(path + ("counterpart", "quote"), ctx.positions.get(path + ("counterpart",), ctx.positions[path])),
        pos=ctx.positions[path],
        quote_pos=ctx.positions.get(path + ("quote",), ctx.positions[path]),
        entity_pos=tuple(ctx.positions[path + ("entities", i)] for i in range(len(value.get("entities", ())))),
        body_pos=ctx.positions.get(path + ("body", "@text"), ctx.positions.get(path + ("body",), ctx.positions[path])),
        history_pos=tuple(ctx.positions.get(path + ("history", i), ctx.positions[path])
                          for i in range(len(value.get("history", ())))),
    )


def load_entities(root: Path, diags: Diagnostics, cache: FileCache | None = None,
                  refused: frozenset[Path] = frozenset()) -> list[Entity]:
    files = _stem_files(root / "content" / "glossary", ".yml", "content/glossary", diags, refused, cache)
    if cache is not None:
        return cache.folder("content/glossary", files, diags, _entity)
    entities = []
    for eid, path, rel in files:
        entity = _cached(cache, path, rel, diags, _entity, eid)
        if entity is not None:
            entities.append(entity)
    return entities


def _entity(eid: str, path: Path, rel: str, diags: Diagnostics) -> Entity | None:
    text = read_text(path, rel, diags)
    if text is None:
        return None
    value, ctx = _convert(compose_yaml(text, rel, diags), schema.ENTITY, rel, diags, text=text)
    if value is None:
        return None
    links = value.get("links", {})
    match = value.get("match", {})
    return Entity(
        id=eid, name=value["name"], type=value["type"], summary=value["summary"],
        aliases=tuple(value.get("aliases", ())), description=value.get("description", ""),
        related=tuple(value.get("related", ())), website=links.get("website", ""),
        wikidata=links.get("wikidata", ""), case_sensitive=match.get("case_sensitive", "auto"),
        link=match.get("link", True), path=rel,
        language=language.canonical(value["language"]) if value.get("language") else "",
        related_pos=tuple(ctx.positions[("related", i)] for i in range(len(value.get("related", ())))),
        description_pos=ctx.positions.get(("description", "@text"), ctx.positions.get(("description",), Pos(rel, 1, 1))),
    )


def load(root: Path, diags: Diagnostics, cache: FileCache | None = None) -> Content | None:
    """Read the whole project.  Returns None only when nothing usable exists.

    With a :class:`FileCache`, files whose bytes did not change are not parsed again.
    """
    if cache is not None:
        cache.begin()
    if not (root / "content").is_dir():
        diags.error("missing-file", Pos("content", 1, 1), f"no content/ folder in {root.name or root}: is --root the briefing project?")
        return None
    # Symbolic links out of the project (or in a loop) are reported and never read.
    refused = sourcefiles.scan(root, diags) if cache is None else cache.scan(root, diags)
    if sourcefiles.is_refused(root / "content", refused):
        return None
    site = load_site(root, diags, cache, refused)
    if site is not None and site.ignore:
        diags.ignore = diags.ignore | frozenset(site.ignore)
        diags.items = [d for d in diags.items if not (d.code in diags.ignore and d.severity is Severity.WARNING)]
    if site is not None and site.warn:
        diags.warn = diags.warn | frozenset(site.warn)
    overview = load_overview(root, diags, cache, refused)
    documents = load_documents(root, diags, cache, refused)
    annotation_files = load_annotation_files(root, diags, cache, refused)
    entities = load_entities(root, diags, cache, refused)
    if cache is not None:
        cache.end()
    if site is None:
        # Already reported; carry on with defaults so the cross-checks still report every other problem.
        site = Site(title="")
    if overview is None:
        overview = Overview(site.title, "", (), "", Pos("content/index.md", 1, 1))
    return Content(site, overview, tuple(documents), tuple(annotation_files), tuple(entities))
