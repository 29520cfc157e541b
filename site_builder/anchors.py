"""``site-builder anchors``: each annotation's anchoring state; ``--update`` accepts drift.

The listing (text or JSON) shows every annotation as ``exact``,
``relocated``, ``text-changed`` or ``orphaned`` (see :mod:`reanchor`).
``--update`` rewrites the quote of each relocated or text-changed annotation
to the text it now anchors to, adding, changing or dropping ``prefix`` and
``suffix`` only where the quote alone would not pick that one place.  Only
those scalars change (:mod:`yamledit`); each file is written atomically, and
the anchor state file records the accepted places.  Orphaned annotations are
listed for the author to fix by hand.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import NamedTuple

import yaml

from . import anchoring, anchorstate, atomicfile, schema, yamledit
from .diagnostics import Diagnostics
from .model import Annotation, Quote
from .reanchor import ORPHANED, RELOCATED, STATES, TEXT_CHANGED, Anchored
from .targets import Kind, TargetError, check_target
from .xref import DocumentAnalysis


class Row(NamedTuple):
    """One annotation's anchoring, as listed."""

    document: str  # slug
    id: str
    state: str
    file: str  # the annotation file
    line: int  # line of its quote there
    document_file: str
    document_line: int  # where it anchors now; 0 when orphaned
    quote: str  # as written
    now: str  # the text it anchors to now ("" when orphaned)


class Change(NamedTuple):
    row: Row
    old: Quote
    new: Quote


def rows(analyses: list[DocumentAnalysis]) -> list[Row]:
    out = []
    for an in analyses:
        by_id = {a.id: a for a in (*an.annotations, *an.orphans)}
        for x in an.anchors:
            a = by_id[x.id]
            now = " ".join(an.text[x.start:x.end].split()) if x.start >= 0 else ""
            out.append(Row(an.doc.slug, a.id, x.state, a.quote_pos.path, a.quote_pos.line, an.doc.path, x.line,
                           " ".join(a.quote.exact.split()), now))
    return sorted(out, key=lambda r: (r.file, r.line, r.id))


def counts(rs: list[Row]) -> dict[str, int]:
    return {s: sum(1 for r in rs if r.state == s) for s in STATES}


def as_json(rs: list[Row]) -> dict:
    return {"counts": counts(rs), "annotations": [r._asdict() for r in rs]}


def format_text(rs: list[Row]) -> str:
    lines = []
    for r in rs:
        where = f"{r.document_file}:{r.document_line}" if r.document_line else r.document_file
        line = f"{r.file}:{r.line}: {r.state}: {r.id} -> {where}"
        if r.state == TEXT_CHANGED:
            line += f'\n    was: "{r.quote}"\n    now: "{r.now}"'
        elif r.state == ORPHANED:
            line += f'\n    quote: "{r.quote}"'
        lines.append(line)
    c = counts(rs)
    lines.append("anchors: " + ", ".join(f"{c[s]} {s}" for s in STATES))
    return "\n".join(lines) + "\n"


def new_selector(an: DocumentAnalysis, a: Annotation, x: Anchored) -> Quote:
    """The shortest selector for the place ``x`` anchors to: the text there, with the
    annotation's own prefix/suffix if they still fit, else as few context words as pick it."""
    norm = anchoring.normalize(an.text)
    exact = " ".join(an.text[x.start:x.end].split())
    target = (x.start, x.end)

    def picks(q: Quote) -> bool:
        out = anchoring.find(norm, q.exact, q.prefix, q.suffix)
        return out.ok and (out.matches[0].start, out.matches[0].end) == target

    tries = [Quote(exact, a.quote.prefix, a.quote.suffix), Quote(exact)]
    before = an.text[:x.start].split()
    after = an.text[x.end:].split()
    for k in range(1, 9):
        pre = " ".join(before[-k:]) if before else ""
        suf = " ".join(after[:k]) if after else ""
        tries += [Quote(exact, pre, ""), Quote(exact, "", suf), Quote(exact, pre, suf)]
    for q in tries:
        if picks(q):
            return q
    return Quote(exact, " ".join(before[-8:]), " ".join(after[:8]))


def plan(analyses: list[DocumentAnalysis]) -> list[Change]:
    changes = []
    by_row = {(r.document, r.id): r for r in rows(analyses)}
    for an in analyses:
        by_id = {a.id: a for a in an.annotations}
        for x in an.anchors:
            if x.state not in (RELOCATED, TEXT_CHANGED):
                continue
            a = by_id[x.id]
            changes.append(Change(by_row[(an.doc.slug, a.id)], a.quote, new_selector(an, a, x)))
    return changes


class UpdateResult(NamedTuple):
    changes: list[Change]
    files: dict[str, str]  # path -> new text (written unless dry run)
    errors: list[str]


def update(root: Path, analyses: list[DocumentAnalysis], annotation_files, *, dry_run: bool) -> UpdateResult:
    changes = plan(analyses)
    by_file: dict[str, list[Change]] = {}
    for c in changes:
        by_file.setdefault(c.row.file, []).append(c)
    texts: dict[str, str] = {}
    errors: list[str] = []
    for rel, cs in sorted(by_file.items()):
        path = root / rel
        try:
            with open(path, encoding="utf-8", newline="") as fh:
                old = fh.read()
            edits = [e for c in cs for e in yamledit.quote_edits(old, c.row.id, c.new) if c.new != c.old]
            new = yamledit.apply(old, edits)
            _verify(new, rel, cs)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, yamledit.EditError) as exc:
            errors.append(f"{rel}: cannot update: {exc}")
            continue
        if new != old:
            texts[rel] = new
    if errors or dry_run:
        return UpdateResult(changes, texts, errors)
    for rel in texts:
        try:
            check_target(root, root / rel, kind=Kind.FILE, what="anchors --update", edits=rel)
        except TargetError as exc:
            errors.append(str(exc))
    if errors:
        return UpdateResult(changes, {}, errors)
    for rel, text in texts.items():
        _write_atomic(root / rel, text)
    accepted = {(c.row.document, c.row.id): c.new for c in changes}
    annotations = {af.slug: tuple(dataclasses.replace(a, quote=accepted.get((af.slug, a.id), a.quote))
                                  for a in af.annotations) for af in annotation_files}
    state = anchorstate.updated(anchorstate.load(root), annotations, {an.doc.slug: an.anchors for an in analyses},
                                frozenset(accepted))
    anchorstate.save(root, state)
    return UpdateResult(changes, texts, errors)


def _verify(text: str, rel: str, changes: list[Change]) -> None:
    """The edited file still reads, and each edited quote reads as intended."""
    root = yaml.compose(text, Loader=yamledit._Loader)
    for c in changes:
        item = yamledit._find_item(root, c.row.id)
        qnode = next(v for k, v in item.value if getattr(k, "value", None) == "quote")
        diags = Diagnostics()
        value = schema.QUOTE.convert(qnode, schema.Ctx(rel, diags), ("quote",))
        got = Quote(value["exact"], value.get("prefix", ""), value.get("suffix", "")) if isinstance(value, dict) else None
        if diags.items or got != c.new:
            raise yamledit.EditError(f"the rewritten quote of '{c.row.id}' would not read back as written")


def _write_atomic(path: Path, text: str) -> None:
    atomicfile.write_text(path, text, keep_mode=True)


def describe(c: Change) -> str:
    r = c.row
    head = f"{r.file}:{r.line}: {r.id} ({r.state})"
    parts = []
    if c.new.exact != c.old.exact:
        parts.append(f'quote "{" ".join(c.old.exact.split())}" -> "{c.new.exact}"')
    for name in ("prefix", "suffix"):
        o, n = getattr(c.old, name), getattr(c.new, name)
        if o != n:
            parts.append(f'{name} "{o}" -> "{n}"' if o and n else (f'{name} "{n}" added' if n else f'{name} "{o}" removed'))
    if not parts:
        parts.append("quote unchanged; its new context is recorded")
    return head + ": " + "; ".join(parts)
