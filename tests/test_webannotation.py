"""W3C Web Annotation export (validated against the W3C test suite) and import (W3C and Hypothesis)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from site_builder import webannotation
from site_builder.annotation_import import formats, merge, placing, yamltext
from site_builder.markdown import Markdown
from site_builder.urls import OutPath
from test_publish_support import PROJECT_BASE, W3C_DIR, full_files, project_copy, run_cli, w3c_validator

SLUG = "xi-first-mover-ai"
ANN_FILE = f"content/annotations/{SLUG}.yml"


def collection_of(files, slug=SLUG) -> dict:
    return json.loads(files[webannotation.collection_path(slug)])


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    root = project_copy(tmp_path_factory.mktemp("plain") / "p", base_url="")
    return root, full_files(root).files


@pytest.fixture(scope="module")
def based(tmp_path_factory):
    root = project_copy(tmp_path_factory.mktemp("based") / "p", base_url=PROJECT_BASE)
    return root, full_files(root).files


# ------------------------------------------------------------------ export

def jsonld_files(files) -> dict:
    return {p: d for p, d in files.items() if p.path.endswith(".jsonld")}


@pytest.mark.parametrize("which", ["plain", "based"])
def test_every_json_ld_file_validates_against_the_w3c_musts(which, request):
    validator = w3c_validator()
    root, files = request.getfixturevalue(which)
    found = jsonld_files(files)
    assert found, "no JSON-LD files in the output"
    for path, data in found.items():
        coll = json.loads(data)
        assert coll["@context"] == webannotation.CONTEXT
        assert coll["type"] == "AnnotationCollection"
        problems = validator.failures("collections/collectionMusts.test", coll)
        problems += validator.failures("collections/pages/pageMusts.test", coll)
        page = coll["first"]
        problems += [f"page: {p}" for p in validator.failures("collections/pages/pageMusts.test", page)]
        assert page["type"] == "AnnotationPage" and coll["total"] == len(page["items"])
        for item in page["items"]:
            problems += [f"{item['id']}: {p}" for p in validator.failures("annotations/annotationMusts.test", item)]
        assert not problems, f"{path}:\n" + "\n".join(problems)


def test_the_validator_rejects_the_suites_incorrect_samples():
    validator = w3c_validator()
    rejected = 0
    samples = sorted((W3C_DIR / "samples" / "incorrect").glob("*.json"))
    for f in samples:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except ValueError:
            rejected += 1
            continue
        if validator.failures("annotations/annotationMusts.test", data):
            rejected += 1
    assert rejected == len(samples)
    # and accepts the correct ones (but those the SOURCE.md lists as known deviations)
    deviations = {"anno11.json", "anno12.json", "anno13.json", "collection1.json"}
    for f in sorted((W3C_DIR / "samples" / "correct").glob("anno*.json")):
        if f.name not in deviations:
            assert not validator.failures("annotations/annotationMusts.test", json.loads(f.read_text())), f.name


def test_annotation_shape(based):
    root, files = based
    coll = collection_of(files)
    assert coll["id"] == f"{PROJECT_BASE}annotations/{SLUG}.jsonld"
    assert coll["first"]["id"] == coll["last"] == coll["id"] + "#page-1"
    items = coll["first"]["items"]
    motivations = {it["motivation"] for it in items}
    assert motivations <= set(webannotation.KIND_MOTIVATION.values())
    for it in items:
        aid = it["id"].rsplit("#", 1)[1]
        assert it["id"] == f"{coll['id']}#{aid}"
        assert it["target"]["source"] == f"{PROJECT_BASE}documents/{SLUG}.html"
        kinds = [s["type"] for s in it["target"]["selector"]]
        assert kinds == ["TextQuoteSelector", "TextPositionSelector"]
        main = it["body"][0]
        assert main["type"] == "TextualBody" and main["format"] == "text/markdown" and main["value"].strip()
        assert main["purpose"] == it["motivation"]
        for b in it["body"][1:]:
            if b["type"] == "SpecificResource":
                assert b["purpose"] in ("identifying", "tagging")
                assert b["source"].startswith(PROJECT_BASE + "glossary/") and b["source"].endswith(".html")
                assert OutPath(b["source"][len(PROJECT_BASE):]) in files
            else:
                assert b["type"] == "TextualBody" and b["purpose"] in ("describing", "classifying", "tagging")
    fact_checks = [it for it in items if it["motivation"] == "assessing"]
    assert fact_checks and all(any(b.get("purpose") == "classifying" for b in it["body"]) for it in fact_checks)
    assert any(b.get("purpose") == "identifying" for it in items for b in it["body"])
    assert any(b.get("language") == "zh" for it in items for b in it["body"])  # original-language wording


def test_text_positions_are_offsets_into_the_article_text(plain):
    root, files = plain
    from site_builder import loader
    from site_builder.diagnostics import Diagnostics
    content = loader.load(root, Diagnostics())
    doc = next(d for d in content.documents if d.slug == SLUG)
    text = Markdown(allow_html=content.site.allow_raw_html).parse(doc.body).projection.text
    for it in collection_of(files)["first"]["items"]:
        quote, pos = it["target"]["selector"]
        assert text[pos["start"]:pos["end"]] == quote["exact"]
        assert text[:pos["start"]].endswith(quote.get("prefix", ""))
        assert text[pos["end"]:].startswith(quote.get("suffix", ""))
        assert "\n\n" not in quote.get("prefix", "") + quote.get("suffix", "")


def test_without_base_url_ids_are_stable_urns(plain):
    root, files = plain
    coll = collection_of(files)
    assert coll["id"].startswith("urn:uuid:")
    item = coll["first"]["items"][0]
    assert item["id"].startswith(coll["id"] + "#")
    again = full_files(root).files
    assert again[webannotation.collection_path(SLUG)] == files[webannotation.collection_path(SLUG)]


def test_document_without_annotations_has_an_empty_valid_collection(tmp_path):
    validator = w3c_validator()
    from test_publish_support import make_minimal
    root = make_minimal(tmp_path, docs={"lonely": "2025"})
    coll = collection_of(full_files(root).files, "lonely")
    assert coll["total"] == 0 and coll["first"]["items"] == []
    assert not validator.failures("collections/collectionMusts.test", coll)
    assert not validator.failures("collections/pages/pageMusts.test", coll)


# ---------------------------------------------------------- round trip

def strip_annotations(root: Path) -> None:
    (root / ANN_FILE).unlink()


@pytest.mark.parametrize("which", ["plain", "based"])
def test_round_trip_export_import_export_is_unchanged(which, request, tmp_path):
    src_root, files = request.getfixturevalue(which)
    first = files[webannotation.collection_path(SLUG)]
    root = tmp_path / "p"
    shutil.copytree(src_root, root)
    strip_annotations(root)
    export_file = tmp_path / "export.jsonld"
    export_file.write_bytes(first)
    proc = run_cli("import-annotations", export_file, "--document", SLUG, "--root", root)
    assert proc.returncode == 0, proc.stderr
    assert "48 added" in proc.stderr or "added" in proc.stderr
    second = full_files(root).files[webannotation.collection_path(SLUG)]
    assert json.loads(second) == json.loads(first)
    assert second == first
    # importing the same file again changes nothing
    before = (root / ANN_FILE).read_bytes()
    proc = run_cli("import-annotations", export_file, "--document", SLUG, "--root", root)
    assert proc.returncode == 0, proc.stderr
    assert "0 added" in proc.stderr and "unchanged" in proc.stderr
    assert (root / ANN_FILE).read_bytes() == before


def test_import_into_the_source_project_changes_nothing(plain, tmp_path):
    src_root, files = plain
    root = tmp_path / "p"
    shutil.copytree(src_root, root)
    before = (root / ANN_FILE).read_bytes()
    data = collection_of(files)
    res = merge.import_annotations(root, SLUG, data)
    assert not res.errors and not res.added and len(res.unchanged) == data["total"]
    assert (root / ANN_FILE).read_bytes() == before


def test_conflicting_id_is_an_error_and_nothing_is_written(plain, tmp_path):
    src_root, files = plain
    root = tmp_path / "p"
    shutil.copytree(src_root, root)
    before = (root / ANN_FILE).read_bytes()
    data = copy.deepcopy(collection_of(files))
    data["first"]["items"][0]["body"][0]["value"] = "A different note under the same id.\n"
    proc = run_cli("import-annotations", "-", "--document", SLUG, "--root", root)  # no stdin: bad JSON
    assert proc.returncode != 0
    f = tmp_path / "changed.jsonld"
    f.write_text(json.dumps(data), encoding="utf-8")
    proc = run_cli("import-annotations", f, "--document", SLUG, "--root", root)
    assert proc.returncode == 1
    assert "[import-conflict]" in proc.stderr and "nothing was written" in proc.stderr
    assert (root / ANN_FILE).read_bytes() == before
    # --replace replaces it in place, keeping everything else as it was
    proc = run_cli("import-annotations", f, "--document", SLUG, "--root", root, "--replace")
    assert proc.returncode == 0, proc.stderr
    after = (root / ANN_FILE).read_text(encoding="utf-8")
    assert "A different note under the same id." in after
    assert after.count("\n  - id: ") == before.decode().count("\n  - id: ")
    assert after.splitlines()[0] == before.decode().splitlines()[0]  # the schema comment stays
    assert run_cli("check", "--root", root).returncode == 0


def test_quote_that_does_not_anchor_is_reported(plain, tmp_path):
    src_root, files = plain
    root = tmp_path / "p"
    shutil.copytree(src_root, root)
    data = copy.deepcopy(collection_of(files))
    item = data["first"]["items"][0]
    item["id"] = item["id"].rsplit("#", 1)[0] + "#brand-new"
    item["target"]["selector"] = [{"type": "TextQuoteSelector", "exact": "words that are nowhere in the article"}]
    data["first"]["items"] = [item]
    res = merge.import_annotations(root, SLUG, data, dry_run=True)
    assert [d.code for d in res.errors] == ["quote-not-found"]
    assert "brand-new" in res.errors[0].message


def test_wrong_document_is_reported(based, tmp_path):
    src_root, files = based
    root = tmp_path / "p"
    shutil.copytree(src_root, root)
    data = copy.deepcopy(collection_of(files))
    data["first"]["items"][0]["target"]["source"] = PROJECT_BASE + "documents/some-other-doc.html"
    res = merge.import_annotations(root, SLUG, data, dry_run=True)
    assert "import-wrong-document" in {d.code for d in res.errors}


def test_unknown_document_and_bad_files(plain, tmp_path):
    src_root, _ = plain
    res = merge.import_annotations(src_root, "no-such-doc", {"type": "AnnotationPage", "items": []})
    assert [d.code for d in res.errors] == ["unknown-document"]
    res = merge.import_annotations(src_root, SLUG, {"hello": "world"})
    assert [d.code for d in res.errors] == ["import-format"]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    proc = run_cli("import-annotations", bad, "--document", SLUG, "--root", src_root)
    assert proc.returncode == 1 and "[import-format]" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------- Hypothesis

def hypothesis_export(uri: str) -> dict:
    """A Hypothesis API search response, as /api/search returns it (trimmed to the fields used)."""
    target = lambda sel: [{"source": uri, "selector": sel}]  # noqa: E731
    return {"total": 4, "rows": [
        {"id": "Xb7A3kq9Ee6pQ1_Vz2aY1A", "created": "2025-10-01T10:00:00.000000+00:00",
         "updated": "2025-10-01T10:00:00.000000+00:00", "user": "acct:analyst@hypothes.is", "uri": uri,
         "text": "Which ten? Ask the desk for the list.", "tags": ["question", "follow up", "entity:alibaba"],
         "group": "__world__", "document": {"title": ["Example"]}, "links": {}, "flagged": False, "hidden": False,
         "target": target([
             {"type": "RangeSelector", "startContainer": "/main[1]/div[7]/p[1]", "startOffset": 0,
              "endContainer": "/main[1]/div[7]/p[1]", "endOffset": 44},
             {"type": "TextPositionSelector", "start": 4050, "end": 4097},
             {"type": "TextQuoteSelector", "exact": "at least 10 extremely capable Chinese AI models",
              "prefix": "made significant breakthroughs. There are ", "suffix": " that are out there from companie"}])},
        {"id": "Yc8B4lr0Ff7qR2_Wa3bZ2B", "uri": uri, "text": "Check against Xinhua's wording.",
         "tags": ["fact-check", "verdict:mostly-accurate", "xi-jinping"],
         "target": target([{"type": "TextQuoteSelector", "exact": "Xi",
                            "prefix": "To achieve a first-mover advantage, ", "suffix": " called for intensified efforts"}])},
        {"id": "Zz1", "uri": uri, "text": "A page note without a selection", "tags": [], "target": [{"source": uri}]},
        {"id": "Rr1", "uri": uri, "text": "A reply", "tags": [], "references": ["Xb7A3kq9Ee6pQ1_Vz2aY1A"],
         "target": target([{"type": "TextQuoteSelector", "exact": "Xi"}])},
    ]}


def test_hypothesis_export_import(plain, tmp_path):
    src_root, _ = plain
    root = tmp_path / "p"
    shutil.copytree(src_root, root)
    f = tmp_path / "hypothesis.json"
    f.write_text(json.dumps(hypothesis_export(PROJECT_BASE + f"documents/{SLUG}.html")), encoding="utf-8")
    proc = run_cli("import-annotations", f, "--document", SLUG, "--root", root)
    assert proc.returncode == 1 and "nothing was written" in proc.stderr
    assert "[import-no-quote]" in proc.stderr and "[import-reply]" in proc.stderr
    proc = run_cli("import-annotations", f, "--document", SLUG, "--root", root, "--skip-invalid")
    assert proc.returncode == 0, proc.stderr
    assert "2 added" in proc.stderr
    from site_builder import loader
    from site_builder.diagnostics import Diagnostics
    content = loader.load(root, Diagnostics())
    anns = {a.id: a for af in content.annotation_files for a in af.annotations}
    q = anns["h-xb7a3kq9ee6pq1-vz2ay1a"]
    assert q.kind == "question" and q.entities == ("alibaba",) and q.tags == ("follow up",)
    assert q.quote.exact == "at least 10 extremely capable Chinese AI models"
    fc = anns["h-yc8b4lr0ff7qr2-wa3bz2b"]
    assert fc.kind == "fact-check" and fc.verdict == "mostly-accurate" and fc.entities == ("xi-jinping",)
    # "Xi" occurs many times: the import added just enough context to pick the one Hypothesis meant
    assert fc.quote.exact == "Xi" and (fc.quote.prefix or fc.quote.suffix)
    text = Markdown().parse(next(d for d in content.documents if d.slug == SLUG).body).projection.text
    assert "Xi called for intensified efforts" in text
    proc = run_cli("check", "--root", root)
    assert proc.returncode == 0, proc.stderr
    # its export then carries the imported notes, valid like the rest
    coll = collection_of(full_files(root).files)
    assert any(it["id"].endswith("#h-yc8b4lr0ff7qr2-wa3bz2b") for it in coll["first"]["items"])


def test_new_annotation_file_is_created(plain, tmp_path):
    src_root, files = plain
    root = tmp_path / "p"
    shutil.copytree(src_root, root)
    strip_annotations(root)
    data = hypothesis_export(f"file:///home/analyst/site/documents/{SLUG}.html")
    res = merge.import_annotations(root, SLUG, data, skip_invalid=True)
    assert res.written and res.added
    text = (root / ANN_FILE).read_text(encoding="utf-8")
    assert text.startswith("annotations:\n  - id: h-")


def test_yaml_writer_round_trips_awkward_strings():
    from site_builder import loader
    from site_builder.diagnostics import Diagnostics
    bodies = ["plain\n", "no newline at end", "  leading spaces\n", "tab\there\n", "ends with two\n\n",
              "quotes \" and ' and: colons # hash\n", "control \x07 char\n", "line\u2028separator\n",
              "- looks like a list\n", "multi\n\nparagraph\n\n  indented line\n", "trailing spaces   \nnext\n",
              "unicode 中文 ✓ \U0001F600\n"]
    for body in bodies:
        item = {"id": "x", "kind": "note", "quote": {"exact": 'a "quoted" \\ thing', "suffix": " s"},
                "body": body, "tags": ["a b", "c.d"]}
        text = "annotations:\n" + yamltext.item_yaml(item)
        diags = Diagnostics()
        node = loader.compose_yaml(text, "t.yml", diags)
        assert not diags.items, (body, diags.items)
        from site_builder.schema import ANNOTATION, Ctx
        value = ANNOTATION.convert(node.value[0][1].value[0], Ctx("t.yml", diags), ("annotations", 0))
        assert value["body"] == body, repr(body)
        assert value["quote"] == item["quote"]
        assert value["tags"] == item["tags"]


def test_minimal_quote_adds_only_the_context_needed(plain):
    from site_builder import anchoring
    root, _ = plain
    from site_builder import loader
    from site_builder.diagnostics import Diagnostics
    content = loader.load(root, Diagnostics())
    doc = next(d for d in content.documents if d.slug == SLUG)
    text = Markdown().parse(doc.body).projection.text
    norm = anchoring.normalize(text)
    unique = anchoring.find(norm, "first-mover advantage", "To achieve a ").matches[0]
    q = placing.minimal_quote(norm, text, unique)
    assert q["exact"] == "first-mover advantage" and len(q) == 2
    assert anchoring.find(norm, q["exact"], q.get("prefix", ""), q.get("suffix", "")).matches == (unique,)
    once = anchoring.find(norm, "breakthroughs in foundational AI research").matches[0]
    assert placing.minimal_quote(norm, text, once) == {"exact": "breakthroughs in foundational AI research"}


@pytest.mark.parametrize("value,expected", [
    ("https://org.github.io/r/annotations/doc.jsonld#ann-with-prefix", "ann-with-prefix"),
    ("urn:uuid:6f0c1d0e-5b1a-5e8e-9a53-2b7d4c1f0a11#note-1", "note-1"),
    ("https://org.github.io/r/documents/doc.html#ann-note-1", "note-1"),
    ("urn:uuid:6f0c1d0e-5b1a-5e8e-9a53-2b7d4c1f0a11", "6f0c1d0e-5b1a-5e8e-9a53-2b7d4c1f0a11"),
    ("http://example.org/anno1", "anno1"),
    ("http://example.org/Not_Valid!", ""),
])
def test_annotation_ids_from_iris(value, expected):
    assert formats._fragment_id(value) == expected


# ------------------------------------------------------------ the JSON text

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children)
    | st.dictionaries(st.text() | st.integers() | st.booleans() | st.floats(allow_nan=False), children, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_json_values)
def test_dumps_writes_what_json_dumps_writes(value):
    """The same JSON value as json.dumps writes (compared compactly, so that NaN compares too)."""
    from site_builder import webannotation

    def compact(v):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

    text = webannotation.dumps(value).decode("utf-8")
    assert text.endswith("\n")
    assert compact(json.loads(text)) == compact(json.loads(json.dumps(value)))


def test_dumps_writes_one_annotation_a_line():
    """The collection and its page are indented; each annotation is compact on a line of its own."""
    from site_builder import webannotation

    value = {"type": "AnnotationCollection", "first": {"type": "AnnotationPage", "items": [
        {"id": "#a1", "body": [{"value": "x y"}], "target": {"selector": [{"start": 0, "end": 3}]}},
        {"id": "#a2", "body": [], "target": "urn:x"}]}, "last": "#p1"}
    lines = webannotation.dumps(value).decode("utf-8").splitlines()
    assert '      {"id":"#a1","body":[{"value":"x y"}],"target":{"selector":[{"start":0,"end":3}]}},' in lines
    assert '      {"id":"#a2","body":[],"target":"urn:x"}' in lines
    assert '  "first": {' in lines and '    "items": [' in lines
    assert json.loads("\n".join(lines)) == value


def test_dumps_leaves_other_values_to_json():
    from site_builder import webannotation

    with pytest.raises(TypeError):
        webannotation.dumps({"a": object()})
