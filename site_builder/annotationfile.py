"""Add, replace or remove one annotation in an annotation file, keeping every other byte.

The file is edited as text: a new annotation is appended in the file's own
style (the indentation of its items, a blank line between items when the file
has them), a replaced one is rewritten in place (keys this module does not
manage, such as ``summary`` or ``history``, are copied verbatim), a removed one
is cut out with its lines.  Every edit is parsed back and checked: the
resulting list of annotations must be the old list with exactly that change,
otherwise :class:`EditError` is raised and nothing is written.
"""

from __future__ import annotations

from typing import NamedTuple

import yaml

from .model import Quote
from .yamledit import EditError, _Loader, dq

__all__ = ["EditError", "Item", "items", "save", "delete"]

MANAGED = ("kind", "quote", "verdict", "body", "entities", "sources")


class Item(NamedTuple):
    id: str
    kind: str
    quote: Quote | None  # None: keep the quote already in the file
    verdict: str
    body: str
    entities: tuple[str, ...]
    sources: tuple[dict, ...]

    def plain(self) -> dict:
        return {"id": self.id, "kind": self.kind, "verdict": self.verdict, "body": self.body,
                "entities": [str(e) for e in self.entities],
                "sources": [{str(k): str(v) for k, v in s.items()} for s in self.sources]}


class _Span(NamedTuple):
    item: yaml.MappingNode
    start: int  # the start of the item's "- " line
    end: int    # after the line break of its last line of content


def _root_list(text: str) -> tuple[yaml.Node | None, yaml.SequenceNode | None]:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise EditError(f"the file is not valid YAML ({str(exc).splitlines()[0]})") from None
    if root is None:
        return None, None
    if not isinstance(root, yaml.MappingNode):
        raise EditError("the file is not a mapping")
    for k, v in root.value:
        if getattr(k, "value", None) == "annotations":
            if isinstance(v, yaml.ScalarNode) and v.value in ("", "~", "null"):
                return root, None
            if not isinstance(v, yaml.SequenceNode):
                raise EditError("'annotations' is not a list")
            if not v.value:
                return root, None  # "annotations: []": rewritten as a block list
            if v.flow_style and v.value:
                raise EditError("'annotations' is written as a [flow] list; edit it by hand")
            return root, v
    return root, None


def _value(node: yaml.Node, key: str):
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)


def items(text: str) -> list[Item]:
    data = yaml.load(text, Loader=_Loader) if text.strip() else None
    out = []
    for a in (data or {}).get("annotations") or []:
        if not isinstance(a, dict):
            continue
        q = a.get("quote")
        quote = Quote(q) if isinstance(q, str) else Quote(str((q or {}).get("exact", "")),
                                                         str((q or {}).get("prefix", "") or ""),
                                                         str((q or {}).get("suffix", "") or ""))
        out.append(Item(str(a.get("id", "")), str(a.get("kind", "")), quote, str(a.get("verdict", "") or ""),
                        str(a.get("body", "") or ""), tuple(a.get("entities") or ()),
                        tuple(s for s in a.get("sources") or () if isinstance(s, dict))))
    return out


def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _content_end(text: str, start: int, end: int) -> int:
    """``end`` moved back over trailing blank and comment-only lines, then to after its line break."""
    lines = text[start:end].split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    stop = start + len("\n".join(lines))
    nl = text.find("\n", stop)
    return len(text) if nl < 0 else nl + 1


def _spans(text: str, seq: yaml.SequenceNode) -> list[_Span]:
    spans = []
    for n, item in enumerate(seq.value):
        if not isinstance(item, yaml.MappingNode):
            continue
        start = _line_start(text, item.start_mark.index)
        if text[start:item.start_mark.index].strip() != "-":
            raise EditError("an annotation does not start on its own '- ' line; edit it by hand")
        nxt = seq.value[n + 1].start_mark.index if n + 1 < len(seq.value) else seq.end_mark.index
        end = _line_start(text, nxt) if n + 1 < len(seq.value) else max(item.end_mark.index, nxt)
        spans.append(_Span(item, start, _content_end(text, start, end)))
    return spans


def _find(text: str, seq: yaml.SequenceNode | None, aid: str) -> _Span:
    for sp in _spans(text, seq) if seq is not None else []:
        if getattr(_value(sp.item, "id"), "value", None) == aid:
            return sp
    raise EditError(f"no annotation with id '{aid}'")


def _plain(value: str) -> str:
    """``value`` unquoted when it reads back as the same string (ids, kinds), else double-quoted."""
    try:
        same = yaml.load(value, Loader=_Loader) == value and "#" not in value and ":" not in value
    except yaml.YAMLError:
        same = False
    return value if same else dq(value)


def _block(value: str, indent: str) -> str:
    """``value`` as a literal block scalar when that reads back exactly, else double-quoted."""
    text = value if value.endswith("\n") else value + "\n"
    ok = (text.strip() and not text[0].isspace() and not text.endswith("\n\n")
          and all(c == "\n" or c == "\t" or c >= " " for c in text) and "\r" not in text
          and not any(ch in text for ch in "\u2028\u2029\ufeff\x85"))
    if ok:
        body = "".join(f"{indent}  {line}\n" if line else "\n" for line in text[:-1].split("\n"))
        return "|\n" + body
    return dq(value) + "\n"


def _render(item: Item, indent: str, keep: dict[str, str], order: list[str]) -> str:
    """The item's text: ``indent`` is the column of its '- '; ``keep`` holds verbatim key texts."""
    inner = indent + "  "
    parts: dict[str, str] = {"kind": f"{inner}kind: {_plain(item.kind)}\n"}
    if item.quote is not None:
        q = item.quote
        if q.prefix or q.suffix:
            lines = [f"{inner}quote:\n", f"{inner}  exact: {dq(q.exact)}\n"]
            if q.prefix:
                lines.append(f"{inner}  prefix: {dq(q.prefix)}\n")
            if q.suffix:
                lines.append(f"{inner}  suffix: {dq(q.suffix)}\n")
            parts["quote"] = "".join(lines)
        else:
            parts["quote"] = f"{inner}quote: {dq(q.exact)}\n"
    if item.verdict:
        parts["verdict"] = f"{inner}verdict: {_plain(item.verdict)}\n"
    parts["body"] = f"{inner}body: {_block(item.body, inner)}"
    if item.entities:
        parts["entities"] = f"{inner}entities: [{', '.join(_plain(e) for e in item.entities)}]\n"
    if item.sources:
        lines = [f"{inner}sources:\n"]
        for s in item.sources:
            first = True
            for k in ("title", "publisher", "date", "url"):
                if s.get(k):
                    lines.append(f"{inner}  {'- ' if first else '  '}{k}: {dq(s[k])}\n")
                    first = False
        parts["sources"] = "".join(lines)
    out = [f"{indent}- id: {_plain(item.id)}\n"]
    for key in order:
        if key in keep:
            out.append(keep[key])
        elif key in parts:
            out.append(parts.pop(key))
    for key in MANAGED:
        if key in parts:
            out.append(parts[key])
    return "".join(out)


def _style(text: str, seq: yaml.SequenceNode | None) -> tuple[str, bool]:
    """The indentation of the items' '- ' and whether items are separated by a blank line."""
    spans = _spans(text, seq) if seq is not None else []
    if not spans:
        return "  ", True
    first = spans[0]
    indent = text[first.start:first.item.start_mark.index].split("-")[0]
    blank = len(spans) > 1 and text[spans[0].end:spans[1].start].strip() == "" and "\n" in text[spans[0].end:spans[1].start]
    return indent, blank or len(spans) == 1


def _key(i: Item) -> tuple:
    return tuple(i._replace(body=i.body.rstrip("\n"), entities=tuple(i.entities), sources=tuple(i.sources)))


def _verify(new: str, expected: list[tuple]) -> None:
    try:
        got = [_key(i) for i in items(new)]
    except yaml.YAMLError as exc:  # pragma: no cover - a bug in this module
        raise EditError(f"the edit would not parse ({exc})") from None
    if got != expected:
        raise EditError("the edit did not read back as intended; edit the file by hand")


def save(text: str, item: Item, replace: str | None = None) -> str:
    """``text`` with ``item`` appended, or put in place of annotation ``replace``."""
    root, seq = _root_list(text)
    before = items(text) if text.strip() else []
    if replace is None:
        if any(i.id == item.id for i in before):
            raise EditError(f"an annotation with id '{item.id}' exists already")
        indent, blank = _style(text, seq)
        new_item = _render(item, indent, {}, [])
        if seq is None:
            if root is not None and _value(root, "annotations") is not None:
                node = next(k for k, v in root.value if getattr(k, "value", None) == "annotations")
                ls = _line_start(text, node.start_mark.index)
                end = _content_end(text, ls, _value(root, "annotations").end_mark.index)
                new = text[:ls] + "annotations:\n" + new_item + text[end:]
            else:
                sep = "" if not text or text.endswith("\n") else "\n"
                new = text + sep + "annotations:\n" + new_item
        else:
            last = _spans(text, seq)[-1].end if seq.value else None
            if last is None:
                raise EditError("cannot find where the list ends; edit the file by hand")
            sep = "" if text[:last].endswith("\n") else "\n"
            new = text[:last] + sep + ("\n" if blank else "") + new_item + text[last:]
        expected = [_key(i) for i in before] + [_key(item)]
    else:
        sp = _find(text, seq, replace)
        indent = text[sp.start:sp.item.start_mark.index].split("-")[0]
        keep: dict[str, str] = {}
        order: list[str] = []
        keys = sp.item.value
        for n, (k, v) in enumerate(keys):
            name = getattr(k, "value", "")
            if name == "id":
                continue
            order.append(name)
            if name in MANAGED and not (name == "quote" and item.quote is None):
                continue
            ks = _line_start(text, k.start_mark.index)
            nxt = _line_start(text, keys[n + 1][0].start_mark.index) if n + 1 < len(keys) else sp.end
            keep[name] = text[ks:_content_end(text, ks, nxt)]
        if any(not keep[n].startswith(indent + "  ") and not keep[n].startswith(indent + "- ") for n in keep):
            raise EditError(f"annotation '{replace}' is laid out unusually; edit it by hand")
        # The first key shares the '- ' line; re-indent its copy if it is a kept one.
        for name in list(keep):
            if keep[name].startswith(indent + "- "):
                keep[name] = indent + "  " + keep[name][len(indent) + 2:]
        new = text[:sp.start] + _render(item, indent, keep, order) + text[sp.end:]
        old_item = next(i for i in before if i.id == replace)
        want = item if item.quote is not None else item._replace(quote=old_item.quote)
        expected = [_key(want) if i.id == replace else _key(i) for i in before]
    _verify(new, expected)
    return new


def delete(text: str, aid: str) -> str:
    """``text`` without annotation ``aid`` (and one blank line next to it)."""
    _, seq = _root_list(text)
    sp = _find(text, seq, aid)
    start, end = sp.start, sp.end
    if text[end:end + 1] == "\n":
        end += 1  # the blank line after it
    elif start >= 2 and text[start - 2:start] == "\n\n":
        start -= 1  # the last item: the blank line before it
    new = text[:start] + text[end:]
    _verify(new, [_key(i) for i in items(text) if i.id != aid])
    return new
