"""Annotation files as text: an annotation written as YAML, and the items of an existing file.

:func:`item_yaml` writes one annotation in the style of the default content,
and :func:`spec_problems` checks it against the annotation spec through that
text, as the loader will read it; :func:`existing_items` reads an annotation
file's items with the lines they span, so that the merge keeps every other
line as it is.
"""

from __future__ import annotations

import json
import re

import yaml

from .. import loader
from ..diagnostics import Diagnostics
from ..schema import ANNOTATION, MISSING, Ctx

_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\x85]")


def yaml_str(value: str) -> str:
    """A YAML double-quoted scalar for ``value`` (JSON escapes, which YAML accepts)."""
    out = json.dumps(value, ensure_ascii=False)
    return _NON_PRINTABLE.sub(lambda m: "\\u%04x" % ord(m.group()) if ord(m.group()) < 0x10000
                              else "\\U%08x" % ord(m.group()), out)


def _block(value: str, indent: str) -> str | None:
    """A literal block scalar (``|`` or ``|-``) for ``value``, or None when one cannot hold it exactly."""
    stripped = value.rstrip("\n")
    trailing = len(value) - len(stripped)
    if (not stripped or trailing > 1 or _NON_PRINTABLE.search(value) or "\r" in value or "\t" in value
            or stripped[:1] == " "):
        return None
    lines = stripped.split("\n")
    if any(ln != "" and not ln.strip() for ln in lines):
        return None  # whitespace-only lines: leave them to a quoted scalar
    body = "\n".join((indent + "  " + ln) if ln else "" for ln in lines)
    return ("|" if trailing == 1 else "|-") + "\n" + body


def item_yaml(item: dict, indent: str = "  ") -> str:
    """One annotation as a YAML sequence item, in the style of the default content."""
    pad = indent + "  "
    lines = [f"{indent}- id: {item['id']}", f"{pad}kind: {item['kind']}"]
    if item.get("verdict"):
        lines.append(f"{pad}verdict: {item['verdict']}")
    q = item["quote"]
    if set(q) == {"exact"}:
        lines.append(f"{pad}quote: {yaml_str(q['exact'])}")
    else:
        lines.append(f"{pad}quote:")
        for k in ("exact", "prefix", "suffix"):
            if q.get(k):
                lines.append(f"{pad}  {k}: {yaml_str(q[k])}")
    if item.get("original"):
        lines.append(f"{pad}original:")
        lines.append(f"{pad}  text: {yaml_str(item['original']['text'])}")
        lines.append(f"{pad}  lang: {item['original']['lang']}")
    block = _block(item["body"], pad)
    lines.append(f"{pad}body: {block}" if block is not None else f"{pad}body: {yaml_str(item['body'])}")
    if item.get("entities"):
        lines.append(f"{pad}entities: [{', '.join(item['entities'])}]")
    if item.get("sources"):
        lines.append(f"{pad}sources:")
        for s in item["sources"]:
            lines.append(f"{pad}  - title: {yaml_str(s['title'])}")
            for k in ("publisher", "date", "url", "excerpt", "lang"):
                if s.get(k):
                    lines.append(f"{pad}    {k}: {yaml_str(s[k])}")
    if item.get("tags"):
        lines.append(f"{pad}tags: [{', '.join(yaml_str(t) for t in item['tags'])}]")
    return "\n".join(lines) + "\n"



def existing_items(text: str, rel: str) -> tuple[list[tuple[dict, int, int]], int | None, str | None]:
    """(items as (value, start line, end line), indent column, problem) of an annotation file's text."""
    diags = Diagnostics()
    node = loader.compose_yaml(text, rel, diags)
    if diags.items:
        return [], None, diags.items[0].format()
    if node is None:
        return [], None, None
    if not isinstance(node, yaml.MappingNode):
        return [], None, f"{rel}: expected a mapping with the key 'annotations'"
    seq = None
    for k, v in node.value:
        if getattr(k, "value", None) != "annotations":
            return [], None, f"{rel}: unknown key '{getattr(k, 'value', '?')}'; fix the file before importing into it"
        seq = v
    if seq is None or (isinstance(seq, yaml.ScalarNode) and seq.value in ("", "~", "null")):
        return [], None, None
    if not isinstance(seq, yaml.SequenceNode):
        return [], None, f"{rel}: 'annotations' is not a list; fix the file before importing into it"
    if seq.flow_style and seq.value:
        return [], None, (f"{rel}: 'annotations' is written as a [flow list]; write it as a block list "
                          "(one '- id: ...' item per annotation) before importing into it")
    items = []
    lines = text.split("\n")
    ctx = Ctx(rel, Diagnostics())
    for i, child in enumerate(seq.value):
        start = child.start_mark.line
        end = seq.value[i + 1].start_mark.line if i + 1 < len(seq.value) else len(lines)
        value = ANNOTATION.convert(child, ctx, ("annotations", i))
        if value is MISSING or not isinstance(value, dict):
            value = {}
            if isinstance(child, yaml.MappingNode):
                for k, v in child.value:
                    if getattr(k, "value", None) == "id" and isinstance(v, yaml.ScalarNode):
                        value = {"id": v.value}
        items.append((value, start, end))
    column = None
    if seq.value:
        line = lines[seq.value[0].start_mark.line]
        column = len(line) - len(line.lstrip(" "))
    return items, column, None


def _comparable(value: dict) -> dict:
    """An annotation item as plain data, for deciding whether two are the same."""
    out = dict(value)
    q = out.get("quote")
    if isinstance(q, str):
        out["quote"] = {"exact": q}
    for k in ("entities", "tags", "sources"):
        if not out.get(k):
            out.pop(k, None)
    if isinstance(out.get("body"), str):
        out["body"] = out["body"].rstrip("\n")
    return out


def same_annotation(a: dict, b: dict) -> bool:
    ca, cb = _comparable(a), _comparable(b)
    # Quotes are equivalent when they anchor at the same place; the caller compares spans.
    ca.pop("quote", None)
    cb.pop("quote", None)
    return ca == cb


def spec_problems(item: dict) -> list[tuple[str, str, str]]:
    """Problems the loader would report for ``item`` (round trip through YAML text)."""
    text = "annotations:\n" + item_yaml(item)
    diags = Diagnostics()
    node = loader.compose_yaml(text, "import", diags)
    out = [("error", d.code, d.message) for d in diags.items]
    if node is None or out:
        return out or [("error", "yaml-syntax", "internal error: the annotation could not be written as YAML")]
    seq = node.value[0][1]
    ctx = Ctx("import", diags)
    value = ANNOTATION.convert(seq.value[0], ctx, ("annotations", 0))
    out.extend(("error", d.code, d.message) for d in diags.items)
    if value is MISSING and not out:
        out.append(("error", "invalid-value", "the annotation does not match the annotation format"))
    elif value is not MISSING:
        back = dict(value)
        if back.get("body") != item["body"]:
            out.append(("error", "invalid-value", "internal error: the body does not survive YAML unchanged"))
    return out
