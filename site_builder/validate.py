"""Stage 2: cross-checks the loaded content as a whole.

The loader has already checked each file against its spec; this stage checks
what needs more than one file: ids that must exist, ids that must be unique,
aliases two entities both claim, verdicts that belong to fact-checks only,
fact-checks that cite no source, and unsafe links in every piece of Markdown.
"""

from __future__ import annotations

from . import language
from .diagnostics import Diagnostics, Pos, did_you_mean
from .markdown import Markdown
from .mentions import aliases_of, fold_case
from .model import Content


def check(content: Content, md: Markdown, diags: Diagnostics) -> None:
    entity_ids = {e.id for e in content.entities}
    doc_slugs = {d.slug for d in content.documents}
    _check_annotations(content, entity_ids, doc_slugs, diags)
    _check_entities(content, entity_ids, diags)
    _check_links(content, md, diags)
    _note_detected_languages(content, diags)


def _note_detected_languages(content: Content, diags: Diagnostics) -> None:
    """One note per document whose language was detected from its script rather than declared."""
    site_lang = content.site.language
    for d in content.documents:
        if d.language or not d.detected_language or language.primary(d.detected_language) == language.primary(site_lang):
            continue
        diags.note("language-detected", Pos(d.path, 1, 1),
                   f"no language declared; the text is mostly {d.detected_script} script, so the page is marked "
                   f"as {language.name(d.detected_language)} ('{d.detected_language}'): declare it in the front "
                   f"matter, e.g. 'language: {'zh-Hans' if d.detected_language == 'zh' else d.detected_language}'")


def _check_annotations(content: Content, entity_ids: set[str], doc_slugs: set[str], diags: Diagnostics) -> None:
    for af in content.annotation_files:
        if af.slug not in doc_slugs:
            diags.error("unknown-document", Pos(af.path, 1, 1),
                        f"no document '{af.slug}' for these annotations (expected content/documents/{af.slug}.md)"
                        + did_you_mean(af.slug, doc_slugs))
        seen: dict[str, Pos] = {}
        for a in af.annotations:
            if a.id in seen:
                diags.error("duplicate-id", a.pos, f"duplicate annotation id '{a.id}' (first used at line {seen[a.id].line})")
            else:
                seen[a.id] = a.pos
            if a.kind == "fact-check" and not a.verdict and not a.verdict_written:  # an invalid one is reported already
                diags.error("missing-field", a.pos, f"fact-check '{a.id}' needs a verdict (accurate, mostly-accurate, misleading, unsupported, false)")
            if a.kind == "fact-check" and not a.sources:
                diags.warning("factcheck-unsourced", a.pos,
                              f"fact-check '{a.id}' cites no source: add sources with title, publisher and date")
            if a.kind != "fact-check" and a.verdict:
                diags.error("verdict-not-allowed", a.pos, f"annotation '{a.id}' is a {a.kind}: only fact-checks take a verdict")
            _check_history(a, diags)
            for eid, pos in zip(a.entities, a.entity_pos):
                if eid not in entity_ids:
                    diags.error("unknown-entity", pos, f"unknown entity '{eid}'" + did_you_mean(eid, entity_ids))


RESERVED_ENTITY_IDS = {"index": "glossary/index.html is the glossary index"}


def _check_entities(content: Content, entity_ids: set[str], diags: Diagnostics) -> None:
    for e in content.entities:
        if e.id in RESERVED_ENTITY_IDS:
            diags.error("slug-collision", Pos(e.path, 1, 1), f"the id '{e.id}' is reserved ({RESERVED_ENTITY_IDS[e.id]}); rename the file")
        for rid, pos in zip(e.related, e.related_pos):
            if rid == e.id:
                diags.error("invalid-value", pos, f"entity '{e.id}' lists itself as related")
            elif rid not in entity_ids:
                diags.error("unknown-entity", pos, f"unknown entity '{rid}'" + did_you_mean(rid, entity_ids))
    claimed: dict[str, str] = {}
    # A case-insensitive alias also claims every capitalisation of a case-sensitive one ('cpc' vs 'CPC').
    folded_by_cs: dict[bool, dict[str, str]] = {True: {}, False: {}}
    by_id = {e.id: e for e in content.entities}
    for alias in aliases_of(content.entities):
        key = alias.text if alias.case_sensitive else fold_case(alias.text)
        folded = fold_case(alias.text)
        owners = {claimed.get(key), folded_by_cs[not alias.case_sensitive].get(folded)} - {None, alias.entity}
        if not owners:
            claimed.setdefault(key, alias.entity)
            folded_by_cs[alias.case_sensitive].setdefault(folded, alias.entity)
        else:
            owner = min(owners)
            diags.error("alias-conflict", Pos(by_id[alias.entity].path, 1, 1),
                        f"alias '{alias.text}' is also a name or alias of '{owner}': mentions would be ambiguous")


def _check_links(content: Content, md: Markdown, diags: Diagnostics) -> None:
    def scan(source: str, first: Pos) -> None:
        # ``first`` is where the text starts (for a YAML `|` block, the line after the key).
        for p in md.link_problems(source):
            col = first.col + p.col - 1  # the lines of a YAML block share its indentation
            diags.error("unsafe-url", Pos(first.path, first.line + p.line - 1, col), p.message)

    scan(content.overview.body, content.overview.body_pos)
    where = content.overview.takeaway_pos
    for i, t in enumerate(content.overview.takeaways):
        scan(t, where[i] if i < len(where) else Pos("content/index.md", 1, 1))
    # Document bodies and annotation bodies are checked where they are parsed
    # anyway, per document (xref.analyse_document), so the check is cached with them.
    for e in content.entities:
        if e.description:
            scan(e.description, e.description_pos)


def _check_history(a, diags: Diagnostics) -> None:
    """History entries in date order; verdicts only on fact-checks, the last one the current verdict."""
    last_verdict = ""
    for i, (h, pos) in enumerate(zip(a.history, a.history_pos)):
        if i and _earlier(h.date, a.history[i - 1].date):
            diags.error("history-order", pos, f"history of '{a.id}' is out of order: {h.date} comes after "
                        f"{a.history[i - 1].date}; list changes oldest first")
        if h.verdict:
            if a.kind != "fact-check":
                diags.error("verdict-not-allowed", pos, f"annotation '{a.id}' is a {a.kind}: only fact-checks take a verdict")
            last_verdict = h.verdict
    if last_verdict and a.verdict and last_verdict != a.verdict:
        diags.error("history-verdict", a.history_pos[-1] if a.history_pos else a.pos,
                    f"the last verdict in the history of '{a.id}' is '{last_verdict}', but its verdict is "
                    f"'{a.verdict}'; add a history entry for the change to '{a.verdict}'")
    if a.updated and a.history and _earlier(a.updated, a.history[-1].date):
        diags.error("history-order", a.pos, f"'{a.id}' was updated {a.updated}, before its last history entry "
                    f"({a.history[-1].date})")


def _earlier(a: str, b: str) -> bool:
    """Date ``a`` is surely before ``b`` (partial dates compare as far as both go)."""
    x, y = (tuple(int(p) for p in d.split("-")) for d in (a, b))
    k = min(len(x), len(y))
    return x[:k] < y[:k]
