"""Rewrite one annotation's quote in an annotation file, touching nothing else.

The YAML is composed (not re-emitted): each node keeps its character offsets
in the source, so a new value replaces exactly the characters of the old
scalar, and every other byte of the file (comments, quoting style, key order,
indentation, line endings) stays as it was.  New values are written as
double-quoted YAML strings.
"""

from __future__ import annotations

import json
import unicodedata
from typing import NamedTuple

import yaml

from .model import Quote

try:  # libyaml's composer gives the same nodes and marks, faster
    _Loader = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader


class EditError(Exception):
    """The file cannot be edited safely (its shape is not what the loader read)."""


class Edit(NamedTuple):
    start: int  # character offsets in the text
    end: int
    text: str


def dq(s: str) -> str:
    """``s`` as a YAML double-quoted scalar (JSON string syntax, which YAML reads the same),
    with line and paragraph separators and other invisible characters escaped."""
    out = json.dumps(s, ensure_ascii=False)
    if any(unicodedata.category(c) in ("Zl", "Zp", "Cc", "Cf") for c in out):
        out = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Zl", "Zp", "Cc", "Cf") and ord(c) <= 0xFFFF
                      else c for c in out)
    return out


def _scalar_span(text: str, node: yaml.Node) -> tuple[int, int, str]:
    """Where a scalar's characters are, and what must follow a replacement (the line
    break a block scalar's span swallows)."""
    a, b = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        # A block scalar's span runs to the start of the next line; keep that line break.
        tail = text[a:b]
        cut = len(tail.rstrip("\r\n"))
        return a, a + cut, ""
    return a, b, ""


def _find_item(root: yaml.Node, aid: str) -> yaml.MappingNode:
    if not isinstance(root, yaml.MappingNode):
        raise EditError("the file is not a mapping")
    for k, v in root.value:
        if getattr(k, "value", None) == "annotations" and isinstance(v, yaml.SequenceNode):
            for item in v.value:
                if isinstance(item, yaml.MappingNode):
                    for ik, iv in item.value:
                        if getattr(ik, "value", None) == "id" and getattr(iv, "value", None) == aid:
                            return item
    raise EditError(f"no annotation with id '{aid}'")


def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def quote_edits(text: str, aid: str, new: Quote) -> list[Edit]:
    """The edits that make annotation ``aid``'s quote ``new``."""
    root = yaml.compose(text, Loader=_Loader)
    item = _find_item(root, aid)
    qnode = next((v for k, v in item.value if getattr(k, "value", None) == "quote"), None)
    if qnode is None:
        raise EditError(f"annotation '{aid}' has no quote")
    if isinstance(qnode, yaml.ScalarNode):
        a, b, _ = _scalar_span(text, qnode)
        if not new.prefix and not new.suffix:
            return [Edit(a, b, dq(new.exact))]
        parts = [f"exact: {dq(new.exact)}"]
        if new.prefix:
            parts.append(f"prefix: {dq(new.prefix)}")
        if new.suffix:
            parts.append(f"suffix: {dq(new.suffix)}")
        return [Edit(a, b, "{" + ", ".join(parts) + "}")]
    if not isinstance(qnode, yaml.MappingNode):
        raise EditError(f"the quote of '{aid}' is neither a string nor a mapping")
    keys = {k.value: (k, v) for k, v in qnode.value if isinstance(k, yaml.ScalarNode)}
    if "exact" not in keys:
        raise EditError(f"the quote of '{aid}' has no exact")
    edits: list[Edit] = []
    exact_val = keys["exact"][1]
    a, b, _ = _scalar_span(text, exact_val)
    if exact_val.value != new.exact or exact_val.style != '"':
        edits.append(Edit(a, b, dq(new.exact)))
    insert_at = b
    for name in ("prefix", "suffix"):
        want = getattr(new, name)
        if name in keys:
            k, v = keys[name]
            if v.value == want:
                insert_at = _scalar_span(text, v)[1]
                continue
            if want:
                va, vb, _ = _scalar_span(text, v)
                edits.append(Edit(va, vb, dq(want)))
                insert_at = vb
            elif not qnode.flow_style and text[_line_start(text, k.start_mark.index):k.start_mark.index].strip() == "":
                # Drop the whole line(s) of a key that is no longer needed.
                ls = _line_start(text, k.start_mark.index)
                ve = _scalar_span(text, v)[1]
                le = text.find("\n", ve)
                edits.append(Edit(ls, len(text) if le < 0 else le + 1, ""))
            else:
                va, vb, _ = _scalar_span(text, v)
                edits.append(Edit(va, vb, '""'))
        elif want:
            if qnode.flow_style:
                edits.append(Edit(insert_at, insert_at, f", {name}: {dq(want)}"))
            else:
                ek = keys["exact"][0]
                indent = text[_line_start(text, ek.start_mark.index):ek.start_mark.index]
                if indent.strip():  # "quote: {exact: ...}" written in block style on one line: unusual
                    raise EditError(f"cannot place '{name}' in the quote of '{aid}'")
                le = text.find("\n", insert_at)
                pos = len(text) if le < 0 else le + 1
                nl = "\r\n" if text[le - 1:le] == "\r" else "\n"
                edits.append(Edit(pos, pos, f"{indent}{name}: {dq(want)}{nl}"))
    return edits


def apply(text: str, edits: list[Edit]) -> str:
    # From the end backwards; of two insertions at one place the later one goes in first.
    for _, e in sorted(enumerate(edits), key=lambda ie: (ie[1].start, ie[1].end, ie[0]), reverse=True):
        text = text[:e.start] + e.text + text[e.end:]
    return text
