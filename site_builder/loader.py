"""Stage 1: read content/ into the model, keeping source positions.

Reads every file, parses YAML with PyYAML's composer (so each node keeps its
line and column), rejects duplicate keys, converts through the specs in
:mod:`schema`, and reports every problem instead of stopping at the first.
Symbolic links that leave the project are refused before anything is read
(:mod:`sourcefiles`), and YAML that is not plain data is refused before it is
converted (:mod:`yamlcheck`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from . import language, schema, sourcefiles, yamlcheck
from .diagnostics import Diagnostics, Pos, Severity
from .filecache import FileCache
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
