"""Annotating from the preview, server side: quote mapping, YAML edits, and the write guard."""

from __future__ import annotations

import http.client
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_serve import DOC_PAGE, copy_project  # noqa: E402

from site_builder import anchoring, annotationfile  # noqa: E402
from site_builder.annotationfile import Item  # noqa: E402
from site_builder.authoring import Refused, locate, make_id  # noqa: E402
from site_builder.markdown import Markdown  # noqa: E402
from site_builder.model import Quote  # noqa: E402
from site_builder.serve import LivePreview  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ANN = "content/annotations/xi-first-mover-ai.yml"
DOC_TEXT = (REPO / "content/documents/xi-first-mover-ai.md").read_text(encoding="utf-8").split("---", 2)[2]


def projection(body: str) -> str:
    return Markdown().parse(body).projection.text


# ------------------------------------------------------------------ quote mapping

def test_a_passage_that_occurs_twice_gets_the_shortest_context_that_picks_the_selected_one():
    text = projection(DOC_TEXT)
    first = text.index("first-mover advantage")
    second = text.index("first-mover advantage", first + 1)
    for at in (first, second):
        loc = locate(text, "first-mover advantage", text[max(0, at - 100):at], text[at + 21:at + 121])
        assert (loc.start, loc.end) == (at, at + 21)
        assert loc.quote.prefix or loc.quote.suffix
        # It anchors there and nowhere else, with the builder's own anchoring.
        q = loc.quote
        out = anchoring.find(anchoring.normalize(text), q.exact, q.prefix, q.suffix)
        assert [(m.start, m.end) for m in out.matches] == [(at, at + 21)]
        # Shortest: one word less of context no longer picks it.
        shorter = (q.prefix.split(" ", 1)[1:] or [""])[0], " ".join(q.suffix.split(" ")[:-1])
        out = anchoring.find(anchoring.normalize(text), q.exact, *shorter)
        assert not (out.ok and (out.matches[0].start, out.matches[0].end) == (at, at + 21))


def test_a_unique_passage_needs_no_context_and_keeps_typographic_quotes():
    text = projection(DOC_TEXT)
    loc = locate(text, "country’s  AI\nprogress", "keen eye on the ", ", but")
    assert loc.quote == Quote("country’s AI progress")


def test_a_selection_not_in_the_source_is_refused_in_words():
    with pytest.raises(Refused) as exc:
        locate(projection(DOC_TEXT), "words that are not there", "", "")
    assert exc.value.status == 409 and "reload" in exc.value.message


def test_ids_come_from_the_quote_and_are_unique():
    assert make_id("First-mover advantage, in AI!", set()) == "first-mover-advantage-in-ai"
    assert make_id("a b", {"a-b", "a-b-2"}) == "a-b-3"
    cjk = make_id("人工智能", set())
    assert re.fullmatch(r"q-[0-9a-f]{6}", cjk) and cjk == make_id("人工智能", set())


# ------------------------------------------------------------------ YAML edits

SAMPLE = """# a comment that stays
annotations:
    # items indented by four
    - id: one
      kind: note
      quote: 'single'   # trailing comment
      body: |
        First.
      tags: [keep-me]

    - id: two
      kind: question
      quote: "double"
      body: Plain.
"""


def test_append_uses_the_files_indentation_and_changes_nothing_else():
    item = Item("three", "fact-check", Quote("x", suffix="y"), "false", "A *note*.\n\nTwo.", ("cpc",),
                ({"title": "T", "url": "https://example.org/"},))
    new = annotationfile.save(SAMPLE, item)
    assert new.startswith(SAMPLE)
    added = new[len(SAMPLE):]
    assert added.startswith("\n    - id: three\n      kind: fact-check\n")
    assert '      verdict: "false"\n' in added  # a bare false would read back as a boolean
    data = yaml.safe_load(new)["annotations"][-1]
    assert data == {"id": "three", "kind": "fact-check", "quote": {"exact": "x", "suffix": "y"}, "verdict": "false",
                    "body": "A *note*.\n\nTwo.\n", "entities": ["cpc"],
                    "sources": [{"title": "T", "url": "https://example.org/"}]}


def test_replace_keeps_unmanaged_keys_and_the_other_items_byte_for_byte():
    item = Item("one", "context", None, "", "Second thoughts.", (), ())
    new = annotationfile.save(SAMPLE, item, replace="one")
    assert new.startswith("# a comment that stays\nannotations:\n    # items indented by four\n    - id: one\n")
    assert "quote: 'single'   # trailing comment\n" in new and "tags: [keep-me]" in new
    assert new.endswith(SAMPLE[SAMPLE.index("\n    - id: two"):])
    one = yaml.safe_load(new)["annotations"][0]
    assert one["kind"] == "context" and one["body"] == "Second thoughts.\n" and one["quote"] == "single"


def test_delete_removes_the_item_and_one_blank_line():
    new = annotationfile.delete(SAMPLE, "one")
    assert new == "# a comment that stays\nannotations:\n    # items indented by four\n" + SAMPLE.split("\n\n", 1)[1]
    assert annotationfile.delete(annotationfile.save(SAMPLE, Item("z", "note", Quote("q"), "", "b", (), ())), "z") == SAMPLE


@pytest.mark.parametrize("text", ["", "# only a comment\n", "annotations:\n", "annotations: []\n# after\n"])
def test_the_first_annotation_of_an_empty_file(text):
    new = annotationfile.save(text, Item("a", "note", Quote("q"), "", "b", (), ()))
    assert yaml.safe_load(new)["annotations"] == [{"id": "a", "kind": "note", "quote": "q", "body": "b\n"}]
    assert ("# only a comment\n" in new) == ("# only a comment" in text) and ("# after" in new) == ("# after" in text)


def test_a_flow_list_is_refused_rather_than_rewritten():
    with pytest.raises(annotationfile.EditError):
        annotationfile.save("annotations: [{id: a, kind: note, quote: x, body: y}]\n",
                            Item("b", "note", Quote("q"), "", "b", (), ()))


# ------------------------------------------------------------------ the HTTP guard

@pytest.fixture
def preview(tmp_path):
    project = copy_project(tmp_path / "project")
    with LivePreview(project, port=0, quiet=0.05, log=lambda line: None) as p:
        yield project, p


def get(p, path: str) -> str:
    host, port = p.server.server_address[:2]
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", "/" + path)
    return c.getresponse().read().decode("utf-8")


def config(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="site-builder-authoring">(.*?)</script>', page, re.S)
    assert m, "the authoring configuration is in the served page"
    return json.loads(m.group(1))


def post(p, action: str, data: dict, *, host: str | None = None, origin: str | None = "same",
         token: str | None = None) -> tuple[int, dict]:
    h, port = p.server.server_address[:2]
    headers = {"Content-Type": "application/json", "Host": host or f"{h}:{port}"}
    if origin == "same":
        headers["Origin"] = f"http://{h}:{port}"
    elif origin is not None:
        headers["Origin"] = origin
    if token is not None:
        headers["X-Site-Builder-Token"] = token
    c = http.client.HTTPConnection(h, port, timeout=10)
    c.request("POST", "/__authoring/" + action, body=json.dumps(data).encode(), headers=headers)
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"{}")


def new_note(cfg: dict, **extra) -> dict:
    return {"slug": cfg["slug"], "hash": cfg["hash"], "kind": "note", "body": "A note.",
            "exact": "keen eye", "before": "not only keeping a ", "after": " on the", **extra}


def test_a_write_from_this_page_lands_in_the_annotation_file(preview):
    project, p = preview
    cfg = config(get(p, DOC_PAGE))
    before = (project / ANN).read_text(encoding="utf-8")
    status, data = post(p, "save", new_note(cfg), token=cfg["token"])
    assert (status, data["id"]) == (200, "keen-eye")
    after = (project / ANN).read_text(encoding="utf-8")
    assert after.startswith(before)
    assert after[len(before):] == '\n  - id: keen-eye\n    kind: note\n    quote: "keen eye"\n    body: |\n      A note.\n'


@pytest.mark.parametrize("change", ["foreign-origin", "no-origin", "foreign-host", "no-token", "wrong-token"])
def test_a_write_from_anywhere_else_is_refused_and_changes_nothing(preview, change):
    project, p = preview
    cfg = config(get(p, DOC_PAGE))
    before = (project / ANN).read_bytes()
    kwargs = {"token": cfg["token"]}
    if change == "foreign-origin":
        kwargs["origin"] = "http://evil.example"
    elif change == "no-origin":
        kwargs["origin"] = None
    elif change == "foreign-host":
        kwargs["host"] = f"evil.example:{p.server.server_address[1]}"
    elif change == "no-token":
        kwargs["token"] = None
    else:
        kwargs["token"] = cfg["token"][:-2] + "xx"
    status, data = post(p, "save", new_note(cfg), **kwargs)
    assert status == 403 and data["error"].startswith("refused")
    assert (project / ANN).read_bytes() == before
    status, _ = post(p, "delete", {"slug": cfg["slug"], "hash": cfg["hash"], "id": "recent-undated"}, **kwargs)
    assert status == 403 and (project / ANN).read_bytes() == before


def test_a_file_changed_since_the_page_was_loaded_is_never_merged(preview):
    project, p = preview
    cfg = config(get(p, DOC_PAGE))
    path = project / ANN
    edited = path.read_text(encoding="utf-8") + "# saved in an editor\n"
    path.write_text(edited, encoding="utf-8")
    status, data = post(p, "save", new_note(cfg), token=cfg["token"])
    assert status == 409 and "changed on disk" in data["error"]
    assert path.read_text(encoding="utf-8") == edited


@pytest.mark.parametrize("data, words", [
    ({"body": "  "}, "note is empty"),
    ({"kind": "fact-check"}, "needs a verdict"),
    ({"kind": "fact-check", "verdict": "maybe"}, "needs a verdict"),
    ({"exact": "no such words anywhere"}, "not in the document"),
    ({"entities": ["no-such-entity"]}, "Not in the glossary"),
])
def test_form_errors_come_back_in_words_and_nothing_is_written(preview, data, words):
    project, p = preview
    cfg = config(get(p, DOC_PAGE))
    before = (project / ANN).read_bytes()
    status, reply = post(p, "save", new_note(cfg, **data), token=cfg["token"])
    assert status in (409, 422) and words in reply["error"]
    assert (project / ANN).read_bytes() == before


def test_edit_and_delete_go_through_the_same_guard(preview):
    project, p = preview
    cfg = config(get(p, DOC_PAGE))
    assert cfg["annotations"]["recent-undated"]["kind"] == "note"
    status, _ = post(p, "save", {"slug": cfg["slug"], "hash": cfg["hash"], "id": "recent-undated", "kind": "question",
                                 "body": "Which date?"}, token=cfg["token"])
    assert status == 200
    items = {i.id: i for i in annotationfile.items((project / ANN).read_text(encoding="utf-8"))}
    assert items["recent-undated"].kind == "question"
    assert items["recent-undated"].quote == Quote("In a recent", suffix=" group study session")
    cfg = config(get(p, DOC_PAGE))
    status, _ = post(p, "delete", {"slug": cfg["slug"], "hash": cfg["hash"], "id": "recent-undated"},
                     token=cfg["token"])
    assert status == 200 and "recent-undated" not in (project / ANN).read_text(encoding="utf-8")


def test_preview_renders_markdown_with_the_builders_renderer(preview):
    _, p = preview
    cfg = config(get(p, DOC_PAGE))
    status, data = post(p, "preview", {"body": "**bold** <script>x</script>"}, token=cfg["token"])
    assert status == 200 and "<strong>bold</strong>" in data["html"] and "<script>" not in data["html"]


def test_read_only_serves_no_authoring_and_refuses_writes(tmp_path):
    project = copy_project(tmp_path / "project")
    with LivePreview(project, port=0, quiet=0.05, log=lambda line: None, read_only=True) as p:
        page = get(p, DOC_PAGE)
        assert "site-builder-authoring" not in page and "__authoring" not in page
        status, _ = post(p, "save", {"slug": "xi-first-mover-ai"}, token="anything")
        assert status == 403


def test_only_document_pages_get_the_authoring_script(preview):
    _, p = preview
    assert "site-builder-authoring" in get(p, DOC_PAGE)
    assert "site-builder-authoring" not in get(p, "index.html")


def test_a_built_site_has_no_authoring_script_or_endpoint(tmp_path):
    from site_builder.cli import main

    out = tmp_path / "out"
    assert main(["build", "--root", str(REPO), "--out", str(out)]) == 0
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in (".html", ".js", ".css"):
            text = f.read_text(encoding="utf-8", errors="replace")
            assert "__authoring" not in text and "site-builder-authoring" not in text and "sb-annotate" not in text, f
