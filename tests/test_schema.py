"""The JSON Schemas exported from the specs: valid, matching the content, and committed as generated."""

from __future__ import annotations

import datetime
import json

import pytest
import yaml
from jsonschema import Draft202012Validator

from builder_support import FIXTURES, ROOT
from site_builder import schema

KINDS = sorted(schema.KINDS)


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(schema.json_schema(kind))


def plain(value):
    """YAML 1.1 would read unquoted dates as dates; the format treats them as strings."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def load_yaml(path):
    return plain(yaml.safe_load(path.read_text(encoding="utf-8")))


def front_matter(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    return plain(yaml.safe_load(text.split("\n---\n", 1)[0][4:]))


def content_files():
    content = ROOT / "content"
    yield "site", content / "site.yml", load_yaml
    yield "overview", content / "index.md", front_matter
    for p in sorted((content / "documents").glob("*.md")):
        yield "document", p, front_matter
    for p in sorted((content / "annotations").glob("*.yml")):
        yield "annotations", p, load_yaml
    for p in sorted((content / "glossary").glob("*.yml")):
        yield "entity", p, load_yaml


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_draft_2020_12(kind):
    s = schema.json_schema(kind)
    Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["type"] == "object" and s["additionalProperties"] is False


def test_default_content_validates_against_the_schemas():
    seen = set()
    for kind, path, load in content_files():
        errors = sorted(validator(kind).iter_errors(load(path)), key=lambda e: list(e.path))
        assert not errors, f"{path.relative_to(ROOT)}: {[e.message for e in errors]}"
        seen.add(kind)
    assert seen == set(KINDS)


@pytest.mark.parametrize("kind, value", [
    ("site", {"title": "T", "colour": "red"}),
    ("site", {"subtitle": "no title"}),
    ("site", {"title": "T", "allow_raw_html": "NO"}),
    ("site", {"title": "T", "language": "english"}),
    ("document", {"title": "T", "date": "25 April 2025"}),
    ("document", {"title": "T", "source": {"url": "javascript:alert(1)"}}),
    ("entity", {"name": "N", "type": "human", "summary": "s"}),
    ("entity", {"name": "N", "type": "person", "summary": "s", "related": ["Not An Id"]}),
    ("entity", {"name": "N", "type": "person", "summary": "s", "aliases": ["A", "A"]}),
    ("annotations", {"annotations": [{"id": "a", "kind": "note", "quote": "q"}]}),
    ("annotations", {"annotations": [{"id": "a", "kind": "fact", "quote": "q", "body": "b"}]}),
    ("annotations", {"annotations": [{"id": "a", "kind": "note", "quote": {"prefix": "p"}, "body": "b"}]}),
])
def test_schemas_reject_what_the_loader_rejects(kind, value):
    assert list(validator(kind).iter_errors(value))


@pytest.mark.parametrize("kind, value", [
    ("annotations", {"annotations": [{"id": "a", "kind": "note", "quote": "q", "body": "b"}]}),
    ("annotations", {"annotations": [{"id": "a", "kind": "fact-check", "verdict": "accurate",
                                      "quote": {"exact": "q", "prefix": "p", "suffix": "s"}, "body": "b",
                                      "sources": [{"title": "t", "publisher": "p", "date": "2025-04"}]}]}),
    ("entity", {"name": "N", "type": "person", "summary": "s", "match": {"case_sensitive": "true", "link": False}}),
])
def test_schemas_accept_valid_values(kind, value):
    assert not list(validator(kind).iter_errors(value))


@pytest.mark.parametrize("case, kind, rel", [
    ("unknown-key", "entity", "content/glossary/xi-jinping.yml"),
    ("missing-field", "entity", "content/glossary/xi-jinping.yml"),
    ("wrong-type", "entity", "content/glossary/xi-jinping.yml"),
    ("boolean-no", "entity", "content/glossary/cpc.yml"),
    ("unsafe-url-field", "entity", "content/glossary/cpc.yml"),
])
def test_schemas_reject_the_invalid_fixtures(case, kind, rel):
    value = load_yaml(FIXTURES / "invalid" / case / rel)
    if case == "boolean-no":  # YAML 1.1 reads 'yes' as True: the schema sees what an editor would
        value["match"]["link"] = "yes"
    assert list(validator(kind).iter_errors(value))


def test_committed_schemas_match_the_generated_ones():
    folder = ROOT / "schemas"
    committed = sorted(folder.glob("*.schema.json")) if folder.is_dir() else []
    if not committed:
        pytest.skip("no schemas/*.schema.json committed")
    assert sorted(p.name for p in committed) == [f"{k}.schema.json" for k in KINDS]
    for path in committed:
        kind = path.name[: -len(".schema.json")]
        assert json.loads(path.read_text(encoding="utf-8")) == schema.json_schema(kind), (
            f"{path.relative_to(ROOT)} is stale: run `site-builder schema --out schemas`")


@pytest.mark.parametrize("url", [
    "https://example.org/a?b=c#d", "http://x", "mailto:team@example.org", "MAILTO:x@y", "https://x.org/a b",
    "HTTPS://x", "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "ftp://x", "https:///x",
    "https://", "//x.org", " https://x", "example.org", "vbscript:x",
])
def test_url_schema_pattern_agrees_with_the_loader(url):
    s = schema.json_schema("entity")["properties"]["links"]["properties"]["website"]
    accepted = not list(Draft202012Validator(s).iter_errors(url))
    assert accepted == (schema.check_url(url) is None)
