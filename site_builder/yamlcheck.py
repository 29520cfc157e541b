"""YAML problems beyond the parser's own words: where a syntax error really is, what
usually causes it, and node trees that are not plain data.

* :func:`syntax_error` turns a PyYAML error into a positioned diagnostic.  An
  unclosed quote or bracket is reported where it opens (the parser notices
  only at the end of the file), and the common causes get a hint in plain
  words: a tab in the indentation, ``: `` inside an unquoted value, keys
  indented differently.
* :func:`check_tree` rejects what the content format never needs and a
  hostile file could use: tags other than the plain-data ones (``!!python/...``
  and friends are errors, not text), aliases that refer to themselves or
  expand into a huge tree ("billion laughs"), and nesting deeper than any
  content file has.
"""

from __future__ import annotations

import yaml

from .diagnostics import Diagnostics, Pos

_CORE = "tag:yaml.org,2002:"
# The tags plain data resolves to; '<<' keys resolve to merge (reported as unknown keys later).
PLAIN_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge"))
MAX_DEPTH = 32          # the deepest content file (an annotation's source list) is about 6 levels
MIN_EXPANSION = 50_000  # aliases may expand a file to this many nodes, or 20 times its own size

TAB_HINT = "YAML does not allow tabs for indentation; use spaces"
QUOTE_HINT = ("a ': ' inside an unquoted value starts a new key: quote the value, "
              "e.g. title: \"Policy: the next step\"")
INDENT_HINT = ("check the indentation: the keys of one mapping, and the '-' items of one list, must start in "
               "the same column, and a value on its own line must be indented more than its key")


def _pos(rel: str, mark, line_offset: int) -> Pos:
    return Pos(rel, mark.line + 1 + line_offset, mark.column + 1)


def _line(text: str, index: int) -> str:
    lines = text.split("\n")
    return lines[index] if 0 <= index < len(lines) else ""


def syntax_error(exc: yaml.YAMLError, text: str, rel: str, diags: Diagnostics, line_offset: int = 0) -> None:
    """Report ``exc`` (raised while composing ``text``) at the place a person should look."""
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line = before.count("\n")
        col = exc.position - (before.rfind("\n") + 1)
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        diags.error("yaml-syntax", Pos(rel, line + 1 + line_offset, col + 1),
                    f"YAML syntax error: character U+{char:04X} is not allowed in YAML ({exc.reason})")
        return
    if not isinstance(exc, yaml.MarkedYAMLError):
        diags.error("yaml-syntax", Pos(rel, 1 + line_offset, 1), f"YAML error: {exc}")
        return
    problem = exc.problem or exc.context or "invalid YAML"
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    notes: list[str] = []
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context and exc.problem else "")
    opener = exc.context_mark
    if opener is not None and exc.problem_mark is not None and (
            "quoted scalar" in context or "flow sequence" in context or "flow mapping" in context):
        # The parser notices an unclosed quote or bracket only where the file (or the flow) ends.
        what = "quoted value" if "quoted" in context else ("[ list" if "sequence" in context else "{ mapping")
        closer = {"quoted value": "quote", "[ list": "']'", "{ mapping": "'}'"}[what]
        message = f"YAML syntax error: this {what} is never closed"
        notes.append(f"the parser gave up at line {exc.problem_mark.line + 1 + line_offset}: {problem}; "
                     f"add the closing {closer}")
        mark = opener
    elif opener is not None and "scanning an alias" in context:
        mark = opener  # where the '*' is, not where the scanner stopped reading the name
    hint = _hint(exc, text)
    if hint:
        notes.append(hint)
    pos = _pos(rel, mark, line_offset) if mark is not None else Pos(rel, 1 + line_offset, 1)
    diags.error("yaml-syntax", pos, message, *notes)


def _hint(exc: yaml.MarkedYAMLError, text: str) -> str:
    problem = (exc.problem or "").lower()
    mark = exc.problem_mark
    if mark is None:
        return ""
    line = _line(text, mark.line)
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    if "\t" in indent or "tab" in problem or "'\\t'" in problem:
        return TAB_HINT
    context = (exc.context or "").lower()
    char = line[mark.column: mark.column + 1]
    if "alias" in context or "undefined alias" in problem:
        return "a value that starts with '*' is read as a reference to an anchor: quote the value"
    if "cannot start any token" in problem and char in ("@", "`"):
        return f"a value that starts with '{char}' must be quoted"
    if "block sequence entries are not allowed" in problem:
        return "a value that starts with '- ' must be quoted, or the list written one item per line below its key"
    if "mapping values are not allowed" in problem:
        head = line[: mark.column]
        body = head.lstrip(" ")
        if body.startswith("- "):
            body = body[2:]
        if ": " in body:  # a key earlier on the same line: the value itself holds ': '
            return QUOTE_HINT
        return INDENT_HINT
    if ("expected <block end>" in problem or "did not find expected key" in problem
            or "did not find expected '-'" in problem or "block mapping" in context):
        if mark.column > len(indent) and line[: mark.column].rstrip()[-1:] in ("\"", "'", "]", "}"):
            return ("there is more text after the value's closing quote or bracket: quote the whole value, "
                    "or remove the extra text")
        return INDENT_HINT
    return ""


def check_tree(node: yaml.Node, rel: str, diags: Diagnostics, line_offset: int = 0, text: str | None = None) -> bool:
    """Report tags that are not plain data, runaway or recursive aliases, and deep nesting.

    Returns False when the tree must not be converted (any of those problems).
    ``text``, the YAML the tree was composed from: without an anchor (``&``) in it
    the nodes form a plain tree, checked by a cheaper walk.
    """
    if text is not None and "&" not in text:
        return _check_plain_tree(node, rel, diags, line_offset)
    bad_tags: list[yaml.Node] = []
    # Iterative walk over the node graph (aliases make it a DAG, or a cycle).
    size: dict[int, int] = {}
    active: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    deepest: yaml.Node | None = None
    while stack:
        n, depth, done = stack.pop()
        key = id(n)
        if done:
            active.discard(key)
            kids = _children(n)
            size[key] = 1 + sum(size.get(id(k), 1) for k in kids)
            continue
        if key in active:
            diags.error("yaml-alias", _pos(rel, n.start_mark, line_offset),
                        "this value contains an alias to itself, so it would never end; "
                        "write the value out instead")
            return False
        if key in size:
            continue
        distinct += 1
        if n.tag not in PLAIN_TAGS and not (n.tag == "!" and isinstance(n, yaml.ScalarNode)):
            bad_tags.append(n)
        if depth > MAX_DEPTH:
            deepest = deepest or n
            continue
        active.add(key)
        stack.append((n, depth, True))
        for child in reversed(_children(n)):
            stack.append((child, depth + 1, False))
    ok = _report_tags_and_depth(bad_tags, deepest, rel, diags, line_offset)
    total = size.get(id(node), 1)
    if deepest is None and total > max(MIN_EXPANSION, 20 * distinct):
        diags.error("yaml-alias", _pos(rel, node.start_mark, line_offset),
                    f"YAML aliases expand this file to {total:,} values from {distinct:,} written ones; "
                    "write repeated values out instead of nesting aliases")
        ok = False
    return ok


def _check_plain_tree(node: yaml.Node, rel: str, diags: Diagnostics, line_offset: int) -> bool:
    """:func:`check_tree` for a tree without aliases: no node is shared, so none can contain
    itself or expand; the tags and the depth are checked in the same order."""
    bad_tags: list[yaml.Node] = []
    deepest: yaml.Node | None = None
    stack: list[tuple[yaml.Node, int]] = [(node, 1)]
    scalar = yaml.ScalarNode
    while stack:
        n, depth = stack.pop()
        tag = n.tag
        if tag not in PLAIN_TAGS and not (tag == "!" and isinstance(n, scalar)):
            bad_tags.append(n)
        if depth > MAX_DEPTH:
            deepest = deepest or n
            continue
        if not isinstance(n, scalar):
            depth += 1
            stack.extend((child, depth) for child in reversed(_children(n)))
    return _report_tags_and_depth(bad_tags, deepest, rel, diags, line_offset)


def _report_tags_and_depth(bad_tags: list[yaml.Node], deepest: yaml.Node | None, rel: str, diags: Diagnostics,
                           line_offset: int) -> bool:
    for n in bad_tags:
        tag = n.tag.replace(_CORE, "!!", 1) if n.tag.startswith(_CORE) else n.tag
        diags.error("yaml-tag", _pos(rel, n.start_mark, line_offset),
                    f"YAML tag '{tag}' is not allowed: content files hold plain text, lists and mappings only; "
                    "remove the tag (quote the value if it should be text)")
    if deepest is not None:
        diags.error("yaml-syntax", _pos(rel, deepest.start_mark, line_offset),
                    f"YAML nested more than {MAX_DEPTH} levels deep; no content file needs that")
    return not bad_tags and deepest is None


def _children(n: yaml.Node) -> list[yaml.Node]:
    if isinstance(n, yaml.MappingNode):
        return [x for pair in n.value for x in pair]
    if isinstance(n, yaml.SequenceNode):
        return list(n.value)
    return []
