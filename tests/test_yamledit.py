"""Rewriting one quote in an annotation file: only its characters change."""

from __future__ import annotations

import yaml

from site_builder.model import Quote
from site_builder.yamledit import apply, dq, quote_edits

BASE = """\
# comment
annotations:
  - id: a   # keep
    kind: note
    quote: plain text here
    body: x
  - id: b
    kind: note
    quote:
      exact: |
        block quote
      prefix: 'old prefix'
      suffix: "old suffix"
    body: y
"""


def quote_of(text: str, aid: str) -> object:
    data = yaml.safe_load(text)
    return next(a["quote"] for a in data["annotations"] if a["id"] == aid)


def unchanged_lines(old: str, new: str) -> set[int]:
    return {i for i, (a, b) in enumerate(zip(old.splitlines(True), new.splitlines(True))) if a == b}


def test_plain_scalar_becomes_a_flow_mapping_when_context_is_needed():
    new = apply(BASE, quote_edits(BASE, "a", Quote("plain text", "the", "")))
    assert quote_of(new, "a") == {"exact": "plain text", "prefix": "the"}
    assert new.splitlines()[4] == '    quote: {exact: "plain text", prefix: "the"}'
    assert unchanged_lines(BASE, new) == set(range(len(BASE.splitlines()))) - {4}


def test_block_mapping_drops_a_key_and_keeps_everything_else():
    new = apply(BASE, quote_edits(BASE, "b", Quote("new quote", "", "new suffix")))
    assert quote_of(new, "b") == {"exact": "new quote", "suffix": "new suffix"}
    assert "prefix" not in new
    lines = new.splitlines()
    assert lines[9] == '      exact: "new quote"' and lines[10] == '      suffix: "new suffix"'
    assert new.startswith(BASE.split("      exact:")[0])
    assert new.endswith("    body: y\n")


def test_insert_missing_prefix_in_a_block_mapping():
    text = "annotations:\n  - id: c\n    kind: note\n    quote:\n      exact: q\n    body: z\n"
    new = apply(text, quote_edits(text, "c", Quote("q2", "before", "after")))
    assert quote_of(new, "c") == {"exact": "q2", "prefix": "before", "suffix": "after"}
    assert new.splitlines()[4:7] == ['      exact: "q2"', '      prefix: "before"', '      suffix: "after"']


def test_crlf_line_endings_are_kept():
    text = BASE.replace("\n", "\r\n")
    new = apply(text, quote_edits(text, "b", Quote("block quote", "p2", "")))
    assert "\n" not in new.replace("\r\n", "")
    assert quote_of(new, "b") == {"exact": "block quote", "prefix": "p2"}


def test_dq_escapes_line_separators_and_reads_back():
    for s in ["a \"b\" \\ c", "line\u2028sep", "tab\there", "中文 ‘quotes’"]:
        assert yaml.safe_load("v: " + dq(s))["v"] == s
        assert "\u2028" not in dq(s)
