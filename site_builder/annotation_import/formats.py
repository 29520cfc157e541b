"""Reading import data: W3C Web Annotation collections, pages and annotations, and Hypothesis exports.

:func:`parse_import` recognises the format of parsed JSON and reads each
annotation into an :class:`Incoming`, with the problems found on the way;
:func:`load_import_file` reads the file (JSON, JSON-LD or JSON Lines).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..schema import ANNOTATION_KINDS, ID_RE, LANG_RE, VERDICTS
from ..webannotation import MOTIVATION_KIND

@dataclass
class Incoming:
    """One annotation read from an import file, before anchoring."""

    where: str  # e.g. "item 3 (https://…#foo)", for messages
    id_hint: str = ""  # our id, when the source says (W3C id fragment, Hypothesis id)
    kind: str = "note"
    body: str = ""
    verdict: str = ""
    original: tuple[str, str] | None = None
    entity_iris: list[tuple[str, str]] = field(default_factory=list)  # (iri, purpose)
    entity_ids: list[str] = field(default_factory=list)  # named directly (Hypothesis tags)
    tags: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    exact: str = ""
    prefix: str = ""
    suffix: str = ""
    position: tuple[int, int] | None = None
    target_source: str = ""
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, code, message)

    def error(self, code: str, message: str) -> None:
        self.problems.append(("error", code, message))

    def warn(self, code: str, message: str) -> None:
        self.problems.append(("warning", code, message))


class ImportFormatError(Exception):
    """The file is not JSON, or neither W3C Web Annotation nor Hypothesis data."""


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _types(node) -> set[str]:
    if not isinstance(node, dict):
        return set()
    return {t.split(":")[-1].split("#")[-1] for t in _as_list(node.get("type", node.get("@type"))) if isinstance(t, str)}


def _iri_of(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        v = value.get("id", value.get("@id", ""))
        return v if isinstance(v, str) else ""
    return ""


def parse_import(data: Any) -> tuple[str, list[Incoming]]:
    """Recognise the format of parsed JSON ``data``; returns (format name, annotations)."""
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        return "Hypothesis API export", [_from_hypothesis(r, i + 1) for i, r in enumerate(data["rows"])]
    if isinstance(data, dict) and isinstance(data.get("annotations"), list) and not _types(data):
        return "Hypothesis export", [_from_hypothesis(r, i + 1) for i, r in enumerate(data["annotations"])]
    items: list[tuple[Any, str]] = []
    fmt = ""
    for top in _as_list(data):
        types = _types(top)
        if "AnnotationCollection" in types:
            fmt = fmt or "W3C AnnotationCollection"
            page = top.get("first")
            n = 0
            while page is not None:
                if isinstance(page, str):
                    raise ImportFormatError(
                        f"the collection's page {page} is not embedded; download the page itself and import that")
                n += 1
                items.extend((it, f"page {n} item {i + 1}") for i, it in enumerate(_as_list(page.get("items"))))
                page = page.get("next") if isinstance(page.get("next"), dict) else None
        elif "AnnotationPage" in types:
            fmt = fmt or "W3C AnnotationPage"
            items.extend((it, f"item {i + 1}") for i, it in enumerate(_as_list(top.get("items"))))
        elif "Annotation" in types:
            fmt = fmt or "W3C Annotation"
            items.append((top, f"item {len(items) + 1}"))
        elif isinstance(top, dict) and isinstance(top.get("target"), list) and ("uri" in top or "text" in top):
            fmt = fmt or "Hypothesis export"
            items.append((top, f"row {len(items) + 1}"))
        else:
            raise ImportFormatError("not a W3C Web Annotation collection, page or annotation, nor a Hypothesis export "
                                    "(expected \"type\": \"AnnotationCollection\", \"AnnotationPage\" or \"Annotation\", "
                                    "or Hypothesis rows with \"target\" and \"text\")")
    out = []
    for node, where in items:
        if isinstance(node, str):
            inc = Incoming(where=f"{where} ({node})")
            inc.error("import-unsupported", "the annotation is only referenced by its IRI, not embedded; it cannot be imported")
            out.append(inc)
        elif "Annotation" in _types(node):
            out.append(_from_w3c(node, where))
        else:
            out.append(_from_hypothesis(node, len(out) + 1))
    return fmt or "empty", out


def _fragment_id(iri_value: str) -> str:
    """Our annotation id from an annotation IRI: its fragment (``…#<id>``), else its last
    path or URN segment when that is a valid id (``urn:uuid:…`` ids of other tools)."""
    if "#" in iri_value:
        where, _, frag = iri_value.rpartition("#")
        frag = unquote(frag)
        if frag.startswith("ann-") and where.endswith(".html"):  # a note's anchor on a page: #ann-<id>
            frag = frag[4:]
        return frag if frag and ID_RE.match(frag) else ""
    last = unquote(re.split(r"[/:]", iri_value.rstrip("/"))[-1]).lower()
    return last if last and len(last) <= 64 and ID_RE.match(last) else ""


def _citations(node: dict) -> list[dict]:
    out = []
    for key in ("schema:citation", "citation", "http://schema.org/citation", "https://schema.org/citation"):
        for c in _as_list(node.get(key)):
            if not isinstance(c, dict):
                continue

            def pick(*names):
                for n in names:
                    v = c.get(n)
                    if isinstance(v, dict):
                        v = v.get("name") or v.get("schema:name") or v.get("@value")
                    if isinstance(v, str) and v.strip():
                        return v.strip()
                return ""
            cite = {"title": pick("schema:name", "name", "title"), "publisher": pick("schema:publisher", "publisher"),
                    "date": pick("schema:datePublished", "datePublished", "date")}
            url = pick("schema:url", "url")
            if url:
                cite["url"] = url
            excerpt = pick("schema:text", "text")
            if excerpt:
                cite["excerpt"] = excerpt
            lang = pick("schema:inLanguage", "inLanguage")
            if lang and LANG_RE.match(lang):
                cite["lang"] = lang
            out.append(cite)
    return out


def _verdict_of(value: str) -> str:
    v = value.strip().lower().replace(" ", "-")
    if v.startswith("verdict:"):
        v = v[8:]
    return v if v in VERDICTS else ""


def _from_w3c(node: dict, where: str) -> Incoming:
    aid = _iri_of(node)
    inc = Incoming(where=f"{where}" + (f" ({aid})" if aid else ""), id_hint=_fragment_id(aid))
    motivations = [m for m in _as_list(node.get("motivation")) if isinstance(m, str)]
    for m in motivations:
        m = m.split(":")[-1].split("#")[-1]
        if m in MOTIVATION_KIND:
            inc.kind = MOTIVATION_KIND[m]
            break
    main_found = False
    extra_text: list[str] = []
    if isinstance(node.get("bodyValue"), str):
        inc.body = node["bodyValue"]
        main_found = True
    inc.sources.extend(_citations(node))
    for body in _as_list(node.get("body")):
        if isinstance(body, str):
            inc.entity_iris.append((body, ""))
            continue
        if not isinstance(body, dict):
            continue
        types = _types(body)
        purpose = next((p.split(":")[-1] for p in _as_list(body.get("purpose")) if isinstance(p, str)), "")
        if "Choice" in types:
            options = _as_list(body.get("items"))
            body = options[0] if options and isinstance(options[0], dict) else {}
            types = _types(body)
        if "TextualBody" in types or "value" in body:
            value = body.get("value")
            if not isinstance(value, str):
                continue
            fmt = body.get("format", "")
            lang = body.get("language", "")
            lang = lang[0] if isinstance(lang, list) and lang else lang
            if purpose == "tagging":
                inc.tags.append(value)
            elif purpose == "classifying" and _verdict_of(value):
                inc.verdict = _verdict_of(value)
            elif purpose == "assessing" and main_found and _verdict_of(value):
                inc.verdict = _verdict_of(value)
            elif purpose == "describing" and main_found and lang and fmt != "text/markdown" and inc.original is None:
                inc.original = (value, lang)
            elif not main_found:
                inc.body = value
                main_found = True
                inc.sources.extend(_citations(body))
            else:
                extra_text.append(value)
                inc.sources.extend(_citations(body))
        else:
            source = _iri_of(body.get("source")) or _iri_of(body)
            if source:
                inc.entity_iris.append((source, purpose))
    if extra_text:
        inc.body = "\n\n".join([inc.body.rstrip("\n")] + [t.strip("\n") for t in extra_text]).strip("\n") + "\n"
    _read_targets(inc, node.get("target"))
    return inc


def _read_targets(inc: Incoming, targets) -> None:
    found = False
    for target in _as_list(targets):
        if isinstance(target, str):
            inc.target_source = inc.target_source or target
            continue
        if not isinstance(target, dict):
            continue
        inc.target_source = inc.target_source or _iri_of(target.get("source")) or _iri_of(target)
        stack = list(_as_list(target.get("selector")))
        while stack:
            sel = stack.pop(0)
            if not isinstance(sel, dict):
                continue
            types = _types(sel)
            if "TextQuoteSelector" in types and not found and isinstance(sel.get("exact"), str):
                inc.exact = sel["exact"]
                inc.prefix = sel.get("prefix", "") if isinstance(sel.get("prefix"), str) else ""
                inc.suffix = sel.get("suffix", "") if isinstance(sel.get("suffix"), str) else ""
                found = True
            elif "TextPositionSelector" in types and inc.position is None:
                s, e = sel.get("start"), sel.get("end")
                if isinstance(s, int) and isinstance(e, int) and 0 <= s <= e:
                    inc.position = (s, e)
            stack.extend(_as_list(sel.get("refinedBy")))
            for key in ("startSelector", "endSelector"):
                if isinstance(sel.get(key), dict):
                    stack.append(sel[key])
        if found:
            break
    if not found:
        inc.error("import-no-quote", "no TextQuoteSelector: only annotations on a quoted passage can be imported "
                                     "(page notes and annotations without a selection cannot)")


def _hypothesis_id(raw: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    return f"h-{s}" if s else ""


def _from_hypothesis(row: Any, n: int) -> Incoming:
    if not isinstance(row, dict):
        inc = Incoming(where=f"row {n}")
        inc.error("import-unsupported", "not an annotation object")
        return inc
    hid = row.get("id") if isinstance(row.get("id"), str) else ""
    inc = Incoming(where=f"row {n}" + (f" ({hid})" if hid else ""), id_hint=_hypothesis_id(hid))
    if row.get("references"):
        inc.error("import-reply", "a reply to another annotation; replies are not imported")
        return inc
    text = row.get("text") if isinstance(row.get("text"), str) else ""
    inc.body = text.strip("\n") + "\n" if text.strip() else ""
    for tag in row.get("tags") or ():
        if not isinstance(tag, str) or not tag.strip():
            continue
        t = tag.strip()
        low = t.lower()
        if low in ANNOTATION_KINDS or low in ("factcheck", "fact check"):
            inc.kind = "fact-check" if low in ("factcheck", "fact check") else low
        elif _verdict_of(low) and (low.startswith("verdict:") or low in VERDICTS):
            inc.verdict = _verdict_of(low)
        elif low.startswith("entity:"):
            inc.entity_ids.append(low[7:].strip())
        elif low.startswith("kind:") and low[5:].strip() in ANNOTATION_KINDS:
            inc.kind = low[5:].strip()
        else:
            inc.tags.append(t)
    if isinstance(row.get("uri"), str):
        inc.target_source = row["uri"]
    _read_targets(inc, row.get("target"))
    inc.position = None  # Hypothesis positions count the whole page's text, not the article's
    return inc


MAX_IMPORT_CHARS = 100_000_000


def load_import_file(path: str | Path) -> Any:
    """Parse an import file (JSON or JSON-LD; ``-`` reads standard input)."""
    if str(path) == "-":
        raw = sys.stdin.read(MAX_IMPORT_CHARS + 1)
    else:
        with open(path, encoding="utf-8-sig") as fh:  # bounded: a device or a wrong file never fills memory
            raw = fh.read(MAX_IMPORT_CHARS + 1)
    if len(raw) > MAX_IMPORT_CHARS:
        raise ImportFormatError(f"the file is larger than {MAX_IMPORT_CHARS // 1_000_000} MB; is it the right file?")
    if not raw.strip():
        raise ImportFormatError("the file is empty")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        # JSON Lines (one annotation per line) as a fallback.
        rows = []
        for line in raw.splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                raise ImportFormatError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        return rows
