"""The editorial report: the briefing's health, for ``site-builder report`` and ``report.html``.

Figures come from the loaded content and the per-document analyses (no
second pass over the files): annotations per kind, fact-checks per verdict,
fact-checks and context notes without sources, entities without a
description or never mentioned in a document, likely entities with no
glossary entry, and the anchoring state of every annotation.

Likely entities are capitalised multi-word names ("Political Bureau",
"Communist Party of China") and acronyms ("CPC", "GPU") that occur at least
twice in the documents outside any glossary mention.  A leading sentence
word such as "The" or "But" is dropped, so "The Political Bureau" counts as
"Political Bureau".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import NamedTuple

from . import urls
from .model import Content
from .reanchor import EXACT, STATES
from .schema import ANNOTATION_KINDS, VERDICTS
from .xref import DocumentAnalysis

# Conditions ``--fail-on`` accepts, each a list in the report that must be empty.
CONDITIONS = ("orphaned", "text-changed", "relocated", "unsourced", "undescribed", "unmentioned", "unlisted")

_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:(?:\s+(?:of|for|and|on|the|de|al))*\s+[A-Z][\w'’-]*)+")
_ACRONYM = re.compile(r"\b([A-Z][A-Z0-9]*[A-Z][A-Z0-9]*)s?\b")
_LEADING = frozenset(
    "A An And As At But By For From He Her His If In It Its Last Many Most Mr Ms No On One Our She So "
    "Some That The Their There These They This Those To We What When Where While With Yet".split())
_CONNECTORS = frozenset({"of", "for", "and", "on", "the", "de", "al"})


class Item(NamedTuple):
    """An annotation named in the report."""

    document: str
    id: str
    kind: str
    file: str
    line: int


class Candidate(NamedTuple):
    """A name that occurs in the documents but has no glossary entry."""

    name: str
    count: int
    documents: tuple[str, ...]


class AnchorItem(NamedTuple):
    document: str
    id: str
    state: str
    file: str
    line: int
    quote: str


class Report(NamedTuple):
    documents: int
    annotations: int
    kinds: dict[str, int]
    verdicts: dict[str, int]
    unsourced: tuple[Item, ...]
    undescribed: tuple[str, ...]  # entity ids
    unmentioned: tuple[str, ...]
    unlisted: tuple[Candidate, ...]
    anchor_counts: dict[str, int]
    drifted: tuple[AnchorItem, ...]  # every annotation not anchored exact

    def failing(self, conditions: tuple[str, ...]) -> dict[str, int]:
        """The ``conditions`` that hold, with their counts."""
        counts = {
            "orphaned": self.anchor_counts.get("orphaned", 0),
            "text-changed": self.anchor_counts.get("text-changed", 0),
            "relocated": self.anchor_counts.get("relocated", 0),
            "unsourced": len(self.unsourced),
            "undescribed": len(self.undescribed),
            "unmentioned": len(self.unmentioned),
            "unlisted": len(self.unlisted),
        }
        return {c: counts[c] for c in conditions if counts[c]}

    def as_json(self) -> dict:
        return {
            "documents": self.documents,
            "annotations": self.annotations,
            "kinds": self.kinds,
            "verdicts": self.verdicts,
            "unsourced": [i._asdict() for i in self.unsourced],
            "entities_without_description": list(self.undescribed),
            "entities_never_mentioned": list(self.unmentioned),
            "likely_entities_without_entry": [c._asdict() for c in self.unlisted],
            "anchors": {"counts": self.anchor_counts, "not_exact": [a._asdict() for a in self.drifted]},
        }


def build(content: Content, analyses: list[DocumentAnalysis]) -> Report:
    anns = [a for an in analyses for a in (*an.annotations, *an.orphans)]
    kinds = Counter(a.kind for a in anns)
    verdicts = Counter(a.verdict for a in anns if a.kind == "fact-check" and a.verdict)
    unsourced = tuple(sorted(
        (Item(a.document, a.id, a.kind, a.pos.path, a.pos.line) for a in anns
         if a.kind in ("fact-check", "context") and not a.sources),
        key=lambda i: (i.file, i.line, i.id)))
    mentioned = {m.entity for an in analyses for m in an.mentions}
    states: Counter[str] = Counter()
    drifted = []
    for an in analyses:
        by_id = {a.id: a for a in (*an.annotations, *an.orphans)}
        for x in an.anchors:
            states[x.state] += 1
            if x.state != EXACT:
                a = by_id[x.id]
                drifted.append(AnchorItem(an.doc.slug, a.id, x.state, a.quote_pos.path, a.quote_pos.line,
                                          " ".join(a.quote.exact.split())))
    return Report(
        documents=len(analyses),
        annotations=len(anns),
        kinds={k: kinds[k] for k in ANNOTATION_KINDS},
        verdicts={v: verdicts[v] for v in VERDICTS},
        unsourced=unsourced,
        undescribed=tuple(sorted(e.id for e in content.entities if not e.description.strip())),
        unmentioned=tuple(sorted(e.id for e in content.entities if e.id not in mentioned)),
        unlisted=likely_entities(analyses),
        anchor_counts={s: states[s] for s in STATES},
        drifted=tuple(sorted(drifted, key=lambda d: (d.file, d.line, d.id))),
    )


def _trim(name: str, start: int) -> tuple[str, int]:
    """Drop leading sentence words and trailing connectors from a capitalised run."""
    parts = re.split(r"(\s+)", name)  # word, space, word, ...
    while len(parts) > 1 and (parts[0] in _LEADING or parts[2] in ("the", "and")):
        # "The Political Bureau", "Later the Political Bureau": the name starts after them.
        start += len(parts[0]) + len(parts[1])
        parts = parts[2:]
        while len(parts) > 1 and parts[0] in _CONNECTORS:
            start += len(parts[0]) + len(parts[1])
            parts = parts[2:]
    while len(parts) > 1 and parts[-1] in _CONNECTORS:
        parts = parts[:-2]
    return "".join(parts), start


def likely_entities(analyses: list[DocumentAnalysis], min_count: int = 2) -> tuple[Candidate, ...]:
    """Capitalised multi-word names and acronyms that repeat outside any glossary mention."""
    counts: Counter[str] = Counter()
    docs: dict[str, set[str]] = defaultdict(set)
    for an in analyses:
        spans = sorted((m.start, m.end) for m in an.mentions)

        def covered(s: int, e: int) -> bool:
            return any(a < e and s < b for a, b in spans)

        text = an.text
        found: list[tuple[str, int, int]] = []
        for m in _NAME.finditer(text):
            name, s = _trim(m.group(0), m.start())
            if len(name.split()) >= 2:
                found.append((name, s, s + len(name)))
        for m in _ACRONYM.finditer(text):
            found.append((m.group(1), m.start(), m.end()))
        for name, s, e in found:
            if covered(s, e):
                continue
            name = " ".join(name.split())
            counts[name] += 1
            docs[name].add(an.doc.slug)
    out = [Candidate(n, c, tuple(sorted(docs[n]))) for n, c in counts.items() if c >= min_count]
    return tuple(sorted(out, key=lambda c: (-c.count, c.name)))


def format_text(r: Report) -> str:
    lines = [f"Editorial report: {r.documents} document(s), {r.annotations} annotation(s)", ""]
    lines.append("Annotations per kind: " + ", ".join(f"{k} {n}" for k, n in r.kinds.items()))
    lines.append("Fact-checks per verdict: " + ", ".join(f"{v} {n}" for v, n in r.verdicts.items()))
    lines.append("Anchoring: " + ", ".join(f"{s} {n}" for s, n in r.anchor_counts.items()))
    for d in r.drifted:
        lines.append(f"  {d.file}:{d.line}: {d.state}: {d.id} \"{d.quote}\"")
    lines.append(f"Fact-checks and context notes without sources: {len(r.unsourced)}")
    for i in r.unsourced:
        lines.append(f"  {i.file}:{i.line}: {i.kind} {i.id}")
    lines.append(f"Entities without a description: {len(r.undescribed)}" +
                 (" (" + ", ".join(r.undescribed) + ")" if r.undescribed else ""))
    lines.append(f"Entities never mentioned in a document: {len(r.unmentioned)}" +
                 (" (" + ", ".join(r.unmentioned) + ")" if r.unmentioned else ""))
    lines.append(f"Likely entities without a glossary entry: {len(r.unlisted)}")
    for c in r.unlisted:
        lines.append(f"  {c.name} ({c.count}x in {', '.join(c.documents)})")
    return "\n".join(lines) + "\n"


def parse_conditions(value: str) -> tuple[tuple[str, ...], list[str]]:
    """(known conditions, unknown words) of a comma-separated ``--fail-on`` value."""
    words = [w.strip() for w in value.split(",") if w.strip()]
    return tuple(w for w in words if w in CONDITIONS), [w for w in words if w not in CONDITIONS]


REPORT_PAGE = urls.REPORT


class LinkedItem(NamedTuple):
    label: str
    detail: str
    link: object  # views.Link


def page(content: Content, analyses: list[DocumentAnalysis]):
    """The report as a site page (``report.html``), when ``report_page: true``."""
    from .labels import KIND_PLURALS, VERDICT_LABELS
    from .views import Count, Link, Page, freeze

    r = build(content, analyses)
    names = {e.id: e.name for e in content.entities}

    def ann(doc: str, aid: str) -> Link:
        return Link(urls.document_path(doc), f"ann-{aid}")

    view = {
        "documents": r.documents,
        "annotations": r.annotations,
        "kinds": tuple(Count(k, KIND_PLURALS[k], n) for k, n in r.kinds.items()),
        "verdicts": tuple(Count(v, VERDICT_LABELS[v][0], n, VERDICT_LABELS[v][1]) for v, n in r.verdicts.items()),
        "anchor_counts": tuple(Count(s, s, n) for s, n in r.anchor_counts.items()),
        "drifted": tuple(LinkedItem(d.id, f"{d.state}: \u201c{d.quote}\u201d", ann(d.document, d.id)) for d in r.drifted),
        "unsourced": tuple(LinkedItem(i.id, i.kind, ann(i.document, i.id)) for i in r.unsourced),
        "undescribed": tuple(LinkedItem(names[e], e, Link(urls.entity_path(e))) for e in r.undescribed),
        "unmentioned": tuple(LinkedItem(names[e], e, Link(urls.entity_path(e))) for e in r.unmentioned),
        "unlisted": r.unlisted,
    }
    return Page(REPORT_PAGE, "report.html", "Editorial report", "report", freeze(view))
