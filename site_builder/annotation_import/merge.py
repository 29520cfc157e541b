"""Merging imported annotations into ``content/annotations/<slug>.yml``.

:func:`import_annotations` anchors each incoming annotation in the document,
turns it into the project's YAML and merges it into the annotation file
without ever silently replacing an existing annotation; before writing, it
checks the merged file with the loading, validation and analysis stages.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import anchoring, loader, urls, validate, xref
from ..diagnostics import Diagnostic, Diagnostics, Pos, Severity
from ..markdown import Markdown
from ..mentions import Matcher
from ..schema import ANNOTATION_KINDS, ID_RE, TAG_RE
from ..webannotation import iri, site_base
from .formats import ImportFormatError, parse_import
from .placing import locate, minimal_quote
from .yamltext import existing_items, item_yaml, same_annotation, spec_problems

_GLOSSARY_RE = re.compile(r"(?:^|/)glossary/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.html$")
_DOCUMENT_RE = re.compile(r"(?:^|/)documents/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.html$")


@dataclass
class ImportResult:
    path: Path
    format: str
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: bool = False
    importable: int = 0  # annotations without errors (what --skip-invalid would import)
    text: str = ""  # the new file text (also when not written: dry run or errors)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]



def import_annotations(root: Path, slug: str, data: Any, *, replace: bool = False, skip_invalid: bool = False,
                       dry_run: bool = False, source_name: str = "") -> ImportResult:
    """Anchor the annotations in ``data`` (parsed JSON) in document ``slug`` and merge them into
    ``content/annotations/<slug>.yml``.

    Nothing is written when any error remains (unless ``skip_invalid``: then the
    annotations with errors are left out and reported).  An incoming annotation
    whose id exists already is skipped when it is the same annotation, reported
    as an ``import-conflict`` error when it differs, or replaces the existing one
    with ``replace``.
    """
    rel = f"content/annotations/{slug}.yml"
    path = root / rel
    result = ImportResult(path=path, format="")
    where_pos = Pos(source_name or "import")

    def report(severity: str, code: str, message: str, *notes: str) -> None:
        sev = Severity.ERROR if severity == "error" else Severity.WARNING
        result.diagnostics.append(Diagnostic(code, sev, where_pos, message, tuple(notes)))

    try:
        fmt, incoming = parse_import(data)
    except ImportFormatError as exc:
        report("error", "import-format", str(exc))
        return result
    result.format = fmt

    diags = Diagnostics()
    content = loader.load(root, diags)
    if content is None:
        report("error", "import-project", f"cannot read the project at {root}: " +
               "; ".join(d.format() for d in diags.errors[:3]))
        return result
    doc = next((d for d in content.documents if d.slug == slug), None)
    if doc is None:
        known = ", ".join(sorted(d.slug for d in content.documents)) or "none"
        report("error", "unknown-document", f"no document '{slug}' (content/documents/{slug}.md); documents: {known}")
        return result
    site = content.site
    base = site_base(site)
    md = Markdown(allow_html=site.allow_raw_html)
    projection = md.parse(doc.body).projection
    norm = anchoring.normalize(projection.text)
    entity_ids = {e.id for e in content.entities}
    by_iri: dict[str, str] = {}
    for eid in entity_ids:
        path_ = urls.entity_path(eid).path
        by_iri[iri(site, path_, base)] = eid
        by_iri[iri(site, path_, "")] = eid
    doc_iris = {iri(site, urls.document_path(d.slug).path, b): d.slug
                for d in content.documents for b in {base, ""}}

    existing_text = path.read_text(encoding="utf-8") if path.is_file() else None
    existing, column, problem = existing_items(existing_text or "", rel)
    if problem:
        report("error", "import-existing", f"{problem}")
        return result
    existing_by_id = {v.get("id"): (v, s, e) for v, s, e in existing if isinstance(v.get("id"), str)}
    existing_spans: dict[str, anchoring.Match | None] = {}
    for aid, (v, _, _) in existing_by_id.items():
        q = v.get("quote")
        q = {"exact": q} if isinstance(q, str) else (q if isinstance(q, dict) else {})
        outcome = anchoring.find(norm, str(q.get("exact", "")), str(q.get("prefix", "")), str(q.get("suffix", "")))
        existing_spans[aid] = outcome.matches[0] if outcome.ok else None

    new_items: list[dict] = []
    replace_items: dict[str, dict] = {}
    used_ids = set(existing_by_id)
    planned: set[str] = set()
    for inc in incoming:
        local: list[tuple[str, str, str]] = list(inc.problems)
        # The document it targets, when we can tell.
        target_slug = doc_iris.get(inc.target_source.split("#")[0]) if inc.target_source else None
        if target_slug is None and inc.target_source:
            m = _DOCUMENT_RE.search(urlsplit(inc.target_source.split("#")[0]).path)
            if m:
                target_slug = m.group(1)
        if target_slug is not None and target_slug != slug:
            local.append(("error", "import-wrong-document",
                          f"it targets document '{target_slug}' ({inc.target_source}), not '{slug}'"))
        match = None
        if not any(p[0] == "error" for p in local):
            own_positions = inc.position if (target_slug == slug) else None
            match, why = locate(norm, projection.text, inc.exact, inc.prefix, inc.suffix, own_positions)
            if match is None:
                local.append(("error", "quote-not-found" if "not found" in why or "empty" in why else "quote-ambiguous", why))
        # Body, kind, verdict.
        body = inc.body if inc.body.strip() else ""
        if not body:
            local.append(("error", "import-empty-body", "the annotation has no text (a highlight without a note)"))
        elif not body.endswith("\n"):
            body += "\n"
        kind = inc.kind if inc.kind in ANNOTATION_KINDS else "note"
        verdict = inc.verdict
        if kind == "fact-check" and not verdict:
            local.append(("error", "missing-field", "a fact-check needs a verdict (a body with purpose 'classifying', "
                                                    "or a Hypothesis tag such as 'verdict:false')"))
        if kind != "fact-check" and verdict:
            local.append(("warning", "import-verdict-dropped", f"verdict '{verdict}' dropped: only fact-checks take one"))
            verdict = ""
        # Entities.
        entities: list[str] = []
        for value, _purpose in inc.entity_iris:
            eid = by_iri.get(value)
            if eid is None:
                m = _GLOSSARY_RE.search(urlsplit(value).path if "://" in value else value)
                if m and m.group(1) in entity_ids:
                    eid = m.group(1)
            if eid is None:
                local.append(("warning", "import-body-ignored", f"body {value} is not a glossary entry of this project; left out"))
            elif eid not in entities:
                entities.append(eid)
        for eid in inc.entity_ids:
            if eid in entity_ids:
                if eid not in entities:
                    entities.append(eid)
            else:
                local.append(("warning", "unknown-entity", f"tag 'entity:{eid}': no glossary entry '{eid}'; left out"))
        # Hypothesis tags that name a glossary id link the entity.
        tags: list[str] = []
        for t in inc.tags:
            if t in entity_ids and not inc.entity_iris:
                if t not in entities:
                    entities.append(t)
                continue
            clean = re.sub(r"[^A-Za-z0-9 _.-]+", "-", t).strip(" -_.")
            if not clean or not TAG_RE.match(clean):
                local.append(("warning", "import-tag-dropped", f"tag '{t}' cannot be written as a tag; left out"))
                continue
            if clean != t:
                local.append(("warning", "import-tag-changed", f"tag '{t}' written as '{clean}'"))
            if clean not in tags:
                tags.append(clean)
        sources = []
        for s in inc.sources:
            if s.get("title") and s.get("publisher") and s.get("date"):
                sources.append(s)
            else:
                local.append(("warning", "import-source-dropped",
                              f"citation {s.get('title') or s.get('url') or '?'} lacks a title, publisher or date; left out"))
        # The id.
        aid = inc.id_hint if inc.id_hint and ID_RE.match(inc.id_hint) else ""
        if not aid:
            words = re.sub(r"[^a-z0-9]+", "-", " ".join(body.lower().split()[:6])).strip("-")[:40].strip("-")
            aid = f"imported-{words}" if words else "imported"
            n = 2
            candidate = aid
            while candidate in used_ids or candidate in planned:
                candidate = f"{aid}-{n}"
                n += 1
            aid = candidate
        label = f"{inc.where} → id '{aid}'"
        item: dict[str, Any] = {"id": aid, "kind": kind}
        if verdict:
            item["verdict"] = verdict
        if match is not None:
            item["quote"] = minimal_quote(norm, projection.text, match)
        if inc.original is not None:
            item["original"] = {"text": inc.original[0], "lang": inc.original[1]}
        item["body"] = body
        if entities:
            item["entities"] = entities
        if sources:
            item["sources"] = sources
        if tags:
            item["tags"] = tags
        # Check the item against the annotation spec, as the loader will.
        if match is not None and body:
            for sev, code, msg in spec_problems(item):
                local.append((sev, code, msg))
        if aid in planned:
            local.append(("error", "duplicate-id", f"the import contains id '{aid}' twice"))
        errors = [p for p in local if p[0] == "error"]
        decision = ""
        if not errors and aid in existing_by_id:
            old, _, _ = existing_by_id[aid]
            same_place = existing_spans.get(aid) == match
            if same_place and same_annotation(old, item):
                decision = "unchanged"
            elif replace:
                decision = "replace"
            else:
                local.append(("error", "import-conflict",
                              f"annotation '{aid}' already exists in {rel} and differs; "
                              "rename it in the import, or pass --replace to overwrite it"))
                errors = [p for p in local if p[0] == "error"]
        for sev, code, msg in local:
            report(sev, code, f"{label}: {msg}")
        if errors:
            result.skipped.append(aid)
            continue
        planned.add(aid)
        if decision == "unchanged":
            result.unchanged.append(aid)
        elif decision == "replace":
            replace_items[aid] = item
            result.replaced.append(aid)
        else:
            new_items.append(item)
            result.added.append(aid)

    result.importable = len(result.added) + len(result.replaced)
    if result.errors and not skip_invalid:
        result.added, result.replaced = [], []
        return result

    # Build the new file text: existing text kept as it is, items replaced in place, new ones appended.
    if existing_text is None or not existing:
        header = ""
        if existing_text is not None:
            keep = [ln for ln in existing_text.split("\n") if ln.lstrip().startswith("#")]
            header = "\n".join(keep) + ("\n" if keep else "")
        elif (root / "schemas" / "annotations.schema.json").is_file():
            header = "# yaml-language-server: $schema=../../schemas/annotations.schema.json\n"
        items_text = "\n".join(item_yaml(it) for it in new_items)
        text = header + "annotations:\n" + items_text if new_items else (existing_text or "annotations: []\n")
    else:
        lines = existing_text.split("\n")
        indent = " " * (column if column is not None else 2)
        out_lines: list[str] = []
        spans = sorted(((s, e, v.get("id")) for v, s, e in existing), key=lambda t: t[0])
        cursor = 0
        for s, e, aid in spans:
            if aid in replace_items:
                out_lines.extend(lines[cursor:s])
                # Keep blank lines and comments that close the old item's region.
                region = lines[s:e]
                tail = []
                while region and (not region[-1].strip() or region[-1].lstrip().startswith("#")):
                    tail.insert(0, region.pop())
                out_lines.extend(item_yaml(replace_items[aid], indent).rstrip("\n").split("\n"))
                out_lines.extend(tail)
                cursor = e
        out_lines.extend(lines[cursor:])
        text = "\n".join(out_lines)
        if new_items:
            if not text.endswith("\n"):
                text += "\n"
            text += "".join("\n" + item_yaml(it, indent) for it in new_items)
    result.text = text

    if not new_items and not replace_items:
        return result
    # Final check: the merged file through the real pipeline, on a copy of the project.
    problems = _check_merged(root, rel, text)
    for d in problems:
        result.diagnostics.append(d)
    if problems:
        result.added, result.replaced = [], []
        return result
    if dry_run:
        return result
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.import-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    result.written = True
    return result


def _check_merged(root: Path, rel: str, text: str) -> list[Diagnostic]:
    """Errors the merged file would add to ``site-builder check`` (new ones, in that file only).

    The stages that report on an annotation file run on a copy of the project
    before and after the merge: loading (the format), the cross-checks, and
    the analysis of the one document the file annotates (anchoring).  This
    module sits below the build, so it runs those stages itself.
    """
    with tempfile.TemporaryDirectory(prefix="sb-import-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(root / "content", copy / "content", symlinks=True,  # links are copied, never read
                        ignore=shutil.ignore_patterns(".git", "__pycache__"))
        before = _file_errors(copy, rel)
        target = copy / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        after = _file_errors(copy, rel)
    old = {(d.code, d.message) for d in before}
    return [d for d in after if (d.code, d.message) not in old]


def _file_errors(root: Path, rel: str) -> list[Diagnostic]:
    diags = Diagnostics()
    content = loader.load(root, diags)
    if content is not None:
        md = Markdown(allow_html=content.site.allow_raw_html)
        validate.check(content, md, diags)
        slug = Path(rel).stem
        anns = {af.slug: af.annotations for af in content.annotation_files}.get(slug, ())
        doc = next((d for d in content.documents if d.slug == slug), None)
        if doc is not None:
            diags.extend(xref.analyse_document(doc, anns, md, Matcher(content.entities)).diagnostics)
    return [d for d in diags.errors if d.pos.path == rel]
