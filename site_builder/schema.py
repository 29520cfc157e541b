"""The authoring format, declared once.

Each YAML kind (site.yml, front matter, annotation files, glossary entries) is a
tree of small field specs.  The same specs

* convert a composed YAML node tree into plain Python values, reporting every
  problem with its position (unknown keys with suggestions, missing fields,
  wrong types, YAML 1.1 surprises such as ``NO`` or ``0123``), and
* export a JSON Schema (``site-builder schema``) so editors validate and
  autocomplete the same format.

Scalars are read from their source text, never from PyYAML's implicit typing:
``title: 0123`` is the string ``"0123"``, and a boolean field only accepts
``true`` or ``false``.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

import yaml

from . import language
from .diagnostics import DOWNGRADABLE, SILENCEABLE, Diagnostics, Pos, did_you_mean

ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")
DATE_RE = re.compile(r"^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$")
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
SAFE_URL_SCHEMES = ("http", "https", "mailto")
CNAME_RE = re.compile(r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")

ANNOTATION_KINDS = ("note", "context", "fact-check", "quote", "question")
VERDICTS = ("accurate", "mostly-accurate", "misleading", "unsupported", "false")
ENTITY_TYPES = (
    "person", "organization", "company", "government-body", "ai-model",
    "place", "concept", "policy", "event",
)

NULL_WORDS = {"", "~", "null", "Null", "NULL"}
MISSING = object()


class Ctx:
    """Conversion context: the file being read and where to report."""

    def __init__(self, path: str, diags: Diagnostics, line_offset: int = 0, text: str | None = None):
        self.path = path
        self.diags = diags
        self.line_offset = line_offset
        self.positions: dict[tuple, Pos] = {}
        self.lines = text.split("\n") if text is not None else None  # the YAML source, for block indentation

    def block_indent(self, line: int) -> int:
        """The indentation of 0-based YAML ``line`` (0 when the source is not known)."""
        if self.lines is None or not 0 <= line < len(self.lines):
            return 0
        text = self.lines[line]
        return len(text) - len(text.lstrip(" "))

    def pos(self, node: yaml.Node) -> Pos:
        m = node.start_mark
        return Pos(self.path, m.line + 1 + self.line_offset, m.column + 1)


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"'{node.value}'"


def field_name(path: tuple) -> str:
    """How a diagnostic names the value at ``path``: 'aliases item 2', 'quote.prefix', 'name'."""
    if not path:
        return "value"
    if isinstance(path[-1], int):
        owner = next((p for p in reversed(path) if isinstance(p, str)), "list")
        return f"'{owner}' item {path[-1] + 1}"
    names = [p for p in path if isinstance(p, str)]
    # Inside a list of objects, name the field from the object down (quote.prefix, not annotations.quote.prefix).
    last_index = max((i for i, p in enumerate(path) if isinstance(p, int)), default=-1)
    tail = [p for p in path[last_index + 1:] if isinstance(p, str)] or names[-1:]
    return "'" + ".".join(tail) + "'"


def is_blank(value: str) -> bool:
    """Nothing a reader could see: only whitespace and invisible format characters (U+200B, U+FEFF ...)."""
    # (Most values begin with a letter or digit, which is neither.)
    return not value[:1].isalnum() and all(c.isspace() or unicodedata.category(c) == "Cf" for c in value)


# Invisible characters a name cannot need: a name holding one never matches the text as typed.
# (Directional controls are allowed: pages isolate every name that holds one.)
_NAME_INVISIBLE = frozenset("\u00ad\u200b\u2060\ufeff")


_LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def check_name(value: str) -> str | None:
    """An entity name or alias may not hide a zero-width space or soft hyphen, nor mix look-alike
    scripts within a word ('Аcme' with a Cyrillic А): either would never match the text as typed."""
    for i, c in enumerate(value):
        if c in _NAME_INVISIBLE:
            shown = "".join(f"<U+{ord(x):04X}>" if x in _NAME_INVISIBLE else x for x in value)
            return (f"'{shown}' holds an invisible "
                    f"U+{ord(c):04X} {unicodedata.name(c)} at character {i + 1}: mentions would never match it; "
                    "remove it")
    for word in value.split():
        scripts: dict[str, list[str]] = {}
        for c in word:
            if c.isalpha():
                script = unicodedata.name(c, "").split(" ")[0]
                if script in _LOOKALIKE_SCRIPTS:
                    scripts.setdefault(script, []).append(c)
        if len(scripts) > 1:
            odd = min(scripts.values(), key=len)[0]  # the first letter of the rarer script
            names = " and ".join(s.capitalize() for s in sorted(scripts))
            return (f"the word '{word}' mixes {names} letters (U+{ord(odd):04X} {unicodedata.name(odd)}): "
                    "it would never match text typed in one script; retype it")
    return None


def control_character(value: str) -> str | None:
    """A description of the first control character in ``value`` (tabs and line breaks excepted), else None."""
    m = _CONTROL.search(value)
    return None if m is None else f"U+{ord(m.group()):04X} at character {m.start() + 1}"


# Unicode's control characters (category Cc, fixed by its stability policy): C0, DEL and C1; tab and line feed
# excepted.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and not node.style and node.value in NULL_WORDS


class Spec:
    doc: str = ""

    def convert(self, node: yaml.Node, ctx: Ctx, path: tuple) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def json_schema(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _with_doc(self, schema: dict) -> dict:
        if self.doc:
            schema["description"] = self.doc
        return schema


@dataclass
class Str(Spec):
    doc: str = ""
    pattern: re.Pattern | None = None
    pattern_hint: str = ""
    check: Callable[[str], str | None] | None = None  # returns an error message or None
    json_pattern: str = ""  # what ``check`` enforces, for the JSON Schema (when there is no ``pattern``)
    nonblank: bool = False  # an empty or whitespace-only value is an error (lists, optional fields)
    markdown: bool = False  # Markdown text (bodies, descriptions): control characters are left to the renderer

    def convert(self, node, ctx, path):
        ctx.positions[path] = ctx.pos(node)
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            # A block scalar's text starts on the line after its indicator, at its indentation.
            first = node.start_mark.line + 1
            ctx.positions[path] = Pos(ctx.path, first + 1 + ctx.line_offset, ctx.block_indent(first) + 1)
        elif isinstance(node, yaml.ScalarNode) and node.style in ('"', "'"):
            # Where the text itself starts, after the opening quote (for positions inside the text).
            p = ctx.positions[path]
            ctx.positions[path + ("@text",)] = Pos(p.path, p.line, p.col + 1)
        if not isinstance(node, yaml.ScalarNode):
            ctx.diags.error("type", ctx.pos(node), f"expected a string, got {_describe(node)}")
            return MISSING
        if _is_null(node):
            return None
        value = node.value
        if (self.nonblank or self.pattern is not None) and is_blank(value):
            ctx.diags.error("empty-value", ctx.pos(node),
                            f"{field_name(path)} is empty or holds only whitespace or invisible characters")
            return MISSING
        control = None if self.markdown else control_character(value)
        if control is not None:
            ctx.diags.error("invalid-value", ctx.pos(node),
                            f"{field_name(path)} contains a control character ({control}); remove it")
            return MISSING
        if self.pattern is not None and not self.pattern.match(value):
            ctx.diags.error("invalid-value", ctx.pos(node), f"invalid value '{value}': {self.pattern_hint}")
            return MISSING
        if self.check is not None:
            problem = self.check(value)
            if problem:
                ctx.diags.error("unsafe-url" if "scheme" in problem else "invalid-value", ctx.pos(node), problem)
                return MISSING
        return value

    def json_schema(self):
        s: dict = {"type": "string"}
        if self.pattern is not None:
            s["pattern"] = self.pattern.pattern
        elif self.json_pattern:
            s["pattern"] = self.json_pattern
        elif self.nonblank:
            s["pattern"] = r"\S"
        return self._with_doc(s)


@dataclass
class Enum(Spec):
    values: tuple[str, ...] = ()
    doc: str = ""

    def convert(self, node, ctx, path):
        ctx.positions[path] = ctx.pos(node)
        if not isinstance(node, yaml.ScalarNode) or _is_null(node):
            ctx.diags.error("type", ctx.pos(node), f"expected one of {', '.join(self.values)}; got {_describe(node)}")
            return MISSING
        if node.value not in self.values:
            ctx.diags.error(
                "invalid-value", ctx.pos(node),
                f"invalid value '{node.value}', expected one of: {', '.join(self.values)}"
                + did_you_mean(node.value, self.values),
            )
            return MISSING
        return node.value

    def json_schema(self):
        values: list = list(self.values)
        # Editors read YAML 1.2, where a plain true/false is a boolean: accept both spellings.
        values += [v == "true" for v in self.values if v in ("true", "false")]
        return self._with_doc({"enum": values})


@dataclass
class Bool(Spec):
    doc: str = ""

    def convert(self, node, ctx, path):
        ctx.positions[path] = ctx.pos(node)
        if isinstance(node, yaml.ScalarNode) and not node.style and node.value in ("true", "false"):
            return node.value == "true"
        ctx.diags.error(
            "type", ctx.pos(node),
            f"expected true or false, got {_describe(node)}"
            + (" (YAML 1.1 would read it as a boolean; write true or false)"
               if isinstance(node, yaml.ScalarNode) and node.value.lower() in {"yes", "no", "on", "off", "y", "n"} else ""),
        )
        return MISSING

    def json_schema(self):
        return self._with_doc({"type": "boolean"})


@dataclass
class ListOf(Spec):
    item: Spec = field(default_factory=Str)
    doc: str = ""
    unique: bool = False

    def convert(self, node, ctx, path):
        ctx.positions[path] = ctx.pos(node)
        if _is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            ctx.diags.error("type", ctx.pos(node), f"expected a list, got {_describe(node)}")
            return MISSING
        out = []
        seen: dict[Any, Pos] = {}
        for i, child in enumerate(node.value):
            v = self.item.convert(child, ctx, path + (i,))
            if v is MISSING or v is None:
                if v is None:
                    ctx.diags.error("type", ctx.pos(child), "empty list item")
                continue
            if self.unique and isinstance(v, str):
                if v in seen:
                    ctx.diags.error("duplicate-item", ctx.pos(child), f"'{v}' is listed twice (first at line {seen[v].line})")
                    continue
                seen[v] = ctx.pos(child)
            out.append(v)
        return out

    def json_schema(self):
        s = {"type": "array", "items": self.item.json_schema()}
        if self.unique:
            s["uniqueItems"] = True
        return self._with_doc(s)


@dataclass
class Obj(Spec):
    fields: dict[str, Spec] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    doc: str = ""
    title: str = ""

    def convert(self, node, ctx, path):
        ctx.positions[path] = ctx.pos(node)
        if not isinstance(node, yaml.MappingNode):
            ctx.diags.error("type", ctx.pos(node), f"expected a mapping, got {_describe(node)}")
            return MISSING
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                ctx.diags.error("type", ctx.pos(key_node), "mapping keys must be plain strings")
                continue
            spec = self.fields.get(key)
            if spec is None:
                ctx.diags.error(
                    "unknown-key", ctx.pos(key_node),
                    f"unknown key '{key}'" + did_you_mean(key, self.fields)
                    + ("" if did_you_mean(key, self.fields) else f"; allowed keys: {', '.join(self.fields)}"),
                )
                continue
            ctx.positions[path + (key, "@key")] = ctx.pos(key_node)
            value = spec.convert(value_node, ctx, path + (key,))
            if value is MISSING:
                # The error is reported.  A bad optional field is left out so the
                # rest of the object still takes part in the cross-checks (no
                # cascade of "unknown entity" errors for an entry that exists);
                # a bad required field makes the whole object unusable.
                if key in self.required:
                    out[key] = MISSING
            elif value is not None:
                out[key] = value
        for name in self.required:
            if name not in out:
                ctx.diags.error("missing-field", ctx.pos(node), f"missing required field '{name}'")
            elif isinstance(out[name], str) and is_blank(out[name]):
                ctx.diags.error("missing-field", ctx.positions.get(path + (name,), ctx.pos(node)),
                                f"required field '{name}' is empty")
                out[name] = MISSING
        if any(v is MISSING for v in out.values()) or any(n not in out for n in self.required):
            return MISSING
        return out

    def json_schema(self):
        s: dict = {
            "type": "object",
            "properties": {k: v.json_schema() for k, v in self.fields.items()},
            "additionalProperties": False,
        }
        if self.required:
            s["required"] = list(self.required)
        if self.title:
            s["title"] = self.title
        return self._with_doc(s)


@dataclass
class StrOrObj(Spec):
    """A bare string as shorthand for an object's ``short_field``."""

    obj: Obj = field(default_factory=Obj)
    short_field: str = ""
    doc: str = ""

    def convert(self, node, ctx, path):
        if isinstance(node, yaml.ScalarNode):
            value = self.obj.fields[self.short_field].convert(node, ctx, path + (self.short_field,))
            ctx.positions[path] = ctx.pos(node)
            if value is None or (isinstance(value, str) and is_blank(value)):
                ctx.diags.error("missing-field", ctx.pos(node), f"required field '{path[-1] if path else 'value'}' is empty")
                return MISSING
            return MISSING if value is MISSING else {self.short_field: value}
        return self.obj.convert(node, ctx, path)

    def json_schema(self):
        return self._with_doc({"oneOf": [self.obj.fields[self.short_field].json_schema(), self.obj.json_schema()]})


# What check_url accepts, as a JSON Schema (ECMA 262) pattern.
URL_JSON_PATTERN = r"^(?:https?://[^\s/?#]+|[Mm][Aa][Ii][Ll][Tt][Oo]:)\S*$"


def check_url(value: str) -> str | None:
    """Absolute URLs only, with a safe scheme."""
    m = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):", value)
    if not m:
        return f"'{value}' is not an absolute URL (write https://...)"
    scheme = m.group(1).lower()
    if scheme not in SAFE_URL_SCHEMES:
        return f"unsafe URL scheme '{scheme}:' in '{value}'; allowed schemes: {', '.join(SAFE_URL_SCHEMES)}"
    if scheme in ("http", "https") and not re.match(r"^https?://[^\s/?#]+", value):
        return f"'{value}' is not a valid {scheme} URL"
    if any(c.isspace() for c in value):
        return f"URL '{value}' contains whitespace"
    return None


def _text(doc: str = "", nonblank: bool = False) -> Str:
    return Str(doc=doc, nonblank=nonblank)


def check_date(value: str) -> str | None:
    """A full date must exist in the calendar (no 2025-02-31)."""
    if len(value) == 10:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return f"invalid date '{value}': that day does not exist"
    return None


def check_quote(value: str) -> str | None:
    """A quote must hold some text: one that is only punctuation matches stray marks all over the document."""
    if not is_blank(value) and not any(c.isalnum() or unicodedata.category(c)[0] in "LNS" for c in value):
        return f"the quote '{value.strip()}' has only punctuation and spaces: quote at least one word of the text"
    return None


def _date(doc: str) -> Str:
    return Str(doc=doc + " Quoted or plain; YYYY, YYYY-MM or YYYY-MM-DD.", pattern=DATE_RE,
               pattern_hint="expected a date as YYYY, YYYY-MM or YYYY-MM-DD", check=check_date)


def _id(doc: str) -> Str:
    return Str(doc=doc, pattern=ID_RE, pattern_hint="ids use lowercase letters, digits and inner hyphens, e.g. 'deepseek-r1'")


def _lang(doc: str) -> Str:
    """A BCP 47 tag: checked by :func:`language.check`, which suggests the closest valid tag."""
    return Str(doc=doc, check=language.check, json_pattern=LANG_RE.pattern)


def _url(doc: str) -> Str:
    return Str(doc=doc + " Absolute http(s) URL; never invent one: leave it out when unknown.", check=check_url,
               json_pattern=URL_JSON_PATTERN)


TAGS = ListOf(Str(pattern=TAG_RE, pattern_hint="tags use letters, digits, spaces, '.', '_' and '-'"),
              doc="Free-form tags.", unique=True)

SITE = Obj(
    title="site.yml",
    doc="The briefing's settings: content/site.yml.",
    fields={
        "title": _text("Title of the briefing."),
        "subtitle": _text("One-line subtitle."),
        "description": _text("A sentence or two describing the briefing."),
        "language": _lang("BCP 47 language tag of the content, e.g. en or en-GB."),
        "author": _text("Author or team."),
        "organisation": _text("Publishing organisation."),
        "date": _date("Date of the briefing."),
        "base_url": _url("Where the site is published, e.g. https://org.github.io/repo/. Only used for absolute links."),
        "cname": Str(doc="Custom domain for GitHub Pages, e.g. briefings.example.org: written to the CNAME file. "
                         "A bare host name: no scheme, no path.", pattern=CNAME_RE,
                     pattern_hint="expected a bare domain name such as 'briefings.example.org' (no https://, no path)"),
        "allow_raw_html": Bool(doc="Let raw HTML in Markdown through unescaped. Off by default: only switch it on for trusted content."),
        "report_page": Bool(doc="Add the editorial report (site-builder report) to the site as report.html. Off by default."),
        "ignore": ListOf(Enum(SILENCEABLE + DOWNGRADABLE, doc="A warning code, or an error code downgraded by warn."),
                         doc="Warning codes to silence, e.g. [entity-unused]. Errors cannot be silenced.", unique=True),
        "warn": ListOf(Enum(DOWNGRADABLE, doc="An error code that may be downgraded."),
                       doc="Error codes to report as warnings instead, e.g. [link-broken]. Add the code to "
                           "ignore as well to silence it.", unique=True),
        "print_notes": Enum(("endnotes", "inline"), doc="Where printed document pages put the notes: numbered "
                            "after the text (endnotes, the default) or after each paragraph (inline)."),
    },
    required=("title",),
)

OVERVIEW = Obj(
    title="index.md front matter",
    doc="Front matter of content/index.md, the briefing overview.",
    fields={
        "title": _text("Heading of the overview."),
        "summary": _text("One-paragraph summary (plain text)."),
        "takeaways": ListOf(_text(nonblank=True), doc="Key takeaways, one sentence each (inline Markdown)."),
    },
    required=("title",),
)

SOURCE = Obj(
    doc="Where the document comes from. Leave out whatever is unknown.",
    fields={
        "publisher": _text("Publisher of the original."),
        "author": _text("Author of the original."),
        "published": _date("Publication date of the original."),
        "url": _url("Address of the original."),
        "note": _text("Provenance note, e.g. what is not known about the source."),
    },
)

DOCUMENT = Obj(
    title="document front matter",
    doc="Front matter of content/documents/<slug>.md.",
    fields={
        "title": _text("Title (the original headline)."),
        "date": _date("Date of the document."),
        "summary": _text("One-sentence summary (plain text)."),
        "tags": TAGS,
        "source": SOURCE,
        "translation_of": _id("Slug of the document this one translates: the reader shows the two side by side, "
                              "paragraph by paragraph (or by {align: LABEL} markers where they differ)."),
        "translator": _text("Who translated the text."),
        "translation_note": _text("A note on the translation (plain text), e.g. what was left out."),
        "language": _lang("BCP 47 tag of the document's language, e.g. zh-Hans or en. Without it the builder "
                          "detects the script (Han, Kana, Hangul, Arabic...) and says so in a note; Latin-script "
                          "text takes the site's language."),
    },
    required=("title",),
)

CITATION = Obj(
    doc="A cited source: publisher, title and date; url only where known; optionally the excerpt relied on and its language.",
    fields={
        "title": _text("Title of the cited work; use [square brackets] for a descriptive title."),
        "publisher": _text("Publisher."),
        "date": _date("Publication date."),
        "url": _url("Address of the cited work."),
        "excerpt": _text("The sentence from the source that the annotation relies on, quoted exactly in its original language."),
        "lang": _lang("Language of the source and its excerpt, e.g. zh."),
    },
    required=("title", "publisher", "date"),
)

QUOTE = StrOrObj(
    short_field="exact",
    doc="The annotated span, W3C TextQuoteSelector style; a bare string is the exact text.",
    obj=Obj(
        fields={
            "exact": Str(doc="The exact text as rendered (Markdown formatting and whitespace do not matter).",
                         check=check_quote),
            "prefix": _text("Text immediately before the span, to pick one of several matches.", nonblank=True),
            "suffix": _text("Text immediately after the span, to pick one of several matches.", nonblank=True),
        },
        required=("exact",),
    ),
)

HISTORY_ENTRY = Obj(
    doc="One dated change to the annotation.",
    fields={
        "date": _date("When the change was made."),
        "change": _text("What changed, in a few words."),
        "verdict": Enum(VERDICTS, doc="Fact-checks only: the verdict from this change on. Readers see "
                                      "'Verdict changed on <date>' where it differs from the one before."),
    },
    required=("date", "change"),
)

ANNOTATION = Obj(
    doc="One annotation anchored to a span of the document.",
    fields={
        "id": _id("Unique in the document; becomes the anchor #ann-<id>."),
        "kind": Enum(ANNOTATION_KINDS, doc="What kind of annotation this is."),
        "quote": QUOTE,
        "body": Str(doc="The annotation, in Markdown.", markdown=True),
        "summary": _text("One line (plain text) for the note's card in the margin. Without it the card shows "
                         "the body's first sentence."),
        "language": _lang("Language of the body and summary when it is not the document's, e.g. zh-Hans."),
        "counterpart": Obj(
            doc="In a translation (translation_of): the passage of the original that the quoted text translates. "
                "Selecting the highlight marks both.",
            fields={"quote": QUOTE},
            required=("quote",),
        ),
        "verdict": Enum(VERDICTS, doc="Fact-checks only: the verdict on the quoted claim."),
        "entities": ListOf(_id("A glossary id."), doc="Glossary entities this annotation is about.", unique=True),
        "sources": ListOf(CITATION, doc="Sources backing the annotation."),
        "tags": TAGS,
        "updated": _date("When the annotation was last changed."),
        "history": ListOf(HISTORY_ENTRY, doc="Notable changes, oldest first, e.g. a verdict revised on new evidence."),
        "original": Obj(
            doc="Original-language wording of the quoted text, e.g. the Chinese.",
            fields={
                "text": _text("The original wording."),
                "lang": _lang("Language tag, e.g. zh."),
            },
            required=("text", "lang"),
        ),
    },
    required=("id", "kind", "quote", "body"),
)

ANNOTATIONS = Obj(
    title="annotation file",
    doc="content/annotations/<slug>.yml: the annotations of document <slug>.",
    fields={"annotations": ListOf(ANNOTATION, doc="The annotations, in any order.")},
    required=("annotations",),
)

ENTITY = Obj(
    title="glossary entry",
    doc="content/glossary/<id>.yml: one entity; the file name is its id.",
    fields={
        "name": Str(doc="Display name; also matched in the text.", check=check_name),
        "type": Enum(ENTITY_TYPES, doc="What kind of entity this is."),
        "aliases": ListOf(Str(nonblank=True, check=check_name), doc="Other names matched in the text, including other scripts (e.g. 中国共产党).", unique=True),
        "summary": _text("One line, shown in lists and previews."),
        "language": _lang("Language of the name, summary and description when it is not the site's, e.g. zh-Hans. "
                          "Aliases in another script are tagged by their script."),
        "description": Str(doc="Longer description, in Markdown.", markdown=True),
        "related": ListOf(_id("A glossary id."), doc="Related entities.", unique=True),
        "links": Obj(
            doc="External identifiers; only where certain.",
            fields={
                "website": _url("Official website."),
                "wikidata": Str(doc="Wikidata item id, e.g. Q148.", pattern=re.compile(r"^Q[1-9][0-9]*$"),
                                pattern_hint="expected a Wikidata id such as 'Q148'"),
            },
        ),
        "match": Obj(
            doc="How mentions are found in the text.",
            fields={
                "case_sensitive": Enum(("auto", "true", "false"),
                                       doc="auto (default): all-capital aliases such as CPC match case-sensitively, others not."),
                "link": Bool(doc="Set false to not link mentions of this entity at all."),
            },
        ),
    },
    required=("name", "type", "summary"),
)

KINDS: dict[str, Obj] = {
    "site": SITE,
    "overview": OVERVIEW,
    "document": DOCUMENT,
    "annotations": ANNOTATIONS,
    "entity": ENTITY,
}


def json_schema(kind: str) -> dict:
    spec = KINDS[kind]
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"site-builder/{kind}.schema.json"}
    out.update(spec.json_schema())
    return out
