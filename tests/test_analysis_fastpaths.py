"""The faster forms of analysis steps give exactly what the plain forms give (docs/performance.md, analysis-cpu)."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder import loader, mentions, plainbody
from site_builder.diagnostics import Diagnostics
from site_builder.markdown import Markdown
from site_builder.mentions import Matcher

from test_mentions import VOCAB, draw_glossary, entity, reference


def _with_threshold(threshold: int, entities, text: str):
    """The matcher's finds when the pattern switches to the look-behind-first form above ``threshold``."""
    saved = mentions.LOOKBEHIND_FIRST
    mentions.LOOKBEHIND_FIRST = threshold
    try:
        m = Matcher(entities)
        return [(f.start, f.end, f.entity) for f in m.find(text)], m
    finally:
        mentions.LOOKBEHIND_FIRST = saved


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(VOCAB + ["-x", "«lab»", "中国", "_ai"]), max_size=16),
       seps=st.lists(st.sampled_from([" ", " ", ", ", "-", "", "\n", "中"]), min_size=16, max_size=16),
       data=st.data())
def test_both_pattern_forms_agree_with_the_reference(words, seps, data):
    text = "".join(w + s for w, s in zip(words, seps))
    entities = draw_glossary(data, words)
    first, _ = _with_threshold(-1, entities, text)  # always the look-behind-first form
    second, _ = _with_threshold(10**6, entities, text)  # always the per-branch form
    assert first == second == reference(entities, text.replace("\n", " ")), text


def test_a_large_glossary_uses_the_look_behind_first_form_and_finds_the_same():
    rng = random.Random(11)
    letters = "abcdefghijklmnopqrstuvwxyzé"
    names = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(2, 7))).capitalize()
                    + rng.choice(["", " " + rng.choice(letters) * 2]) for _ in range(400)} | {"AI", "CPC", "«X»"})
    entities = [entity(f"e{i:03d}", n) for i, n in enumerate(names)]
    words = names + ["the", "an", "said", "ai", "x", "«x»", "中", "-", "_"]
    text = " ".join(rng.choice(words) + rng.choice(["", "", ",", "中", "s"]) for _ in range(3000))
    fast, m = _with_threshold(mentions.LOOKBEHIND_FIRST, entities, text)
    assert m._ci is not None and m._ci.pattern.startswith("(?:(?<!") and "|(?=[" in m._ci.pattern  # and the others
    slow, _ = _with_threshold(10**6, entities, text)
    assert fast == slow == reference(entities, text)
    assert len(fast) > 500


# ------------------------------------------------ annotation bodies without the parser (plainbody.py)



ROOT = Path(__file__).resolve().parents[1]
MD = Markdown()
MD_HTML = Markdown(allow_html=True)

PIECES = (list("ab Z9 .,;:!?)(\"'é中-#+=>*_`~[]<&\\|{}^$%@\n1") + [
    "**", "* ", " *", "1. ", "2) ", "\n\n", "  ", "\t", "\r", "\u00a0", "\u3000", "\x85", "&amp;", "http://x.org",
    "word", " word", "*word*", "**two words**", " *a b*", "\n- ", "\n# ", "\n> ", "\n===", "\n---", "[^1]", "^[n]",
    "\n[x]: /u", "[x]", "<b>", "`c`", "~~s~~", "_u_", "\n: d", "\n{align: a}", "\n    code", "\n| a |"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24).map("".join))
def test_the_fast_path_gives_the_parsers_html_or_declines(body):
    fast = plainbody.render(body)
    if fast is not None:
        assert fast == MD.md.render(body) == MD_HTML.md.render(body), repr(body)


WORDS = ["Xi", "said", "the", "AI", "lab", "2025", "é", "中国", "\"quoted\"", "it's", "U.S.", "#3", "x-y", "a:b",
         "50%", "$5", "@name", "(aside)", "wow!", "why?"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(["", "*", "**"]), st.booleans(),
                          st.sampled_from([" ", " ", " ", ", ", ". ", "\n", ") "])), min_size=1, max_size=12))
def test_plain_sentences_with_emphasis_take_the_fast_path_with_the_same_html(parts):
    body = "".join((f"{mark}{w}{mark}" if wrap else w) + sep for w, mark, wrap, sep in parts).strip() + "\n"
    fast = plainbody.render(body)
    if fast is not None:
        assert fast == MD.md.render(body), repr(body)
    if not any(c in body for c in "*\"#$@(") and not any(re.match(r"\W|\d+[.)]", line) for line in body.split("\n")):
        assert fast is not None, repr(body)  # plain words and punctuation: always taken


def test_the_fast_path_takes_typical_bodies():
    for body in ("Synthetic annotation 3 on document 7, with *emphasis*.",
                 "This was the Political Bureau's **20th group study session** since October 2022.\n",
                 "First line of a block scalar,\nand its second line.\n", "Plain."):
        assert plainbody.render(body) is not None, body
        assert plainbody.render(body) == MD.md.render(body)
        html, problems, links = MD.render_with_links(body)
        assert (html, problems, links) == (MD.md.render(body), [], [])


def test_bodies_with_links_or_definitions_still_go_through_the_parser():
    defines = "See [the report][r].\n\n[r]: https://example.org/report\n"
    uses = "Also [the report][r]."
    assert plainbody.render(defines) is None and plainbody.render(uses) is None
    html, _, links = MD.render_with_links(defines)
    assert 'href="https://example.org/report"' in html and [x.url for x in links] == ["https://example.org/report"]
    # One body's link definition never reaches another body.
    assert "href" not in MD.render_with_links(uses)[0]
    assert plainbody.render("Unsafe [x](javascript:alert(1)).") is None
    assert MD.render_with_links("Unsafe [x](javascript:alert(1)).")[1]


def test_every_body_of_the_example_and_the_fixture_renders_as_the_parser_renders_it():
    taken = 0
    for root in (ROOT, ROOT / "tests" / "fixtures" / "multilingual"):
        content = loader.load(root, Diagnostics())
        for af in content.annotation_files:
            for a in af.annotations:
                taken += plainbody.render(a.body) is not None
                assert MD.render_with_links(a.body)[0] == MD.md.render(a.body), a.body
    assert taken >= 20


# ------------------------------------------------ tokens made without the dataclass __init__ (markdown._token)

def test_tokens_made_directly_equal_tokens_made_by_the_constructor():
    import dataclasses

    from markdown_it.token import Token

    from site_builder.markdown import _token

    made = _token("text", "piece", {"id": "a1"}, "span", 1, "*")
    plain = Token("text", "span", 1)
    plain.content, plain.meta, plain.markup = "piece", {"id": "a1"}, "*"
    # Every field is set (a field added by a new markdown-it would be missing here and fail).
    assert {f.name: getattr(made, f.name) for f in dataclasses.fields(Token)} == dataclasses.asdict(plain)
    assert made == plain and _token("hl_close") == Token("hl_close", "", 0)
    assert _token("hl_close").meta is not _token("hl_close").meta  # no shared mutable defaults


def _analyse(root: Path):
    from site_builder import build

    content = loader.load(root, Diagnostics())
    return [(a.blocks, a.note_html) for a in build.analyse_all(content, Markdown(content.site.allow_raw_html), None, 1)]


def test_leaves_with_only_mentions_render_as_the_general_loop_renders_them(monkeypatch, tmp_path):
    from site_builder import markdown

    calls = []
    real = markdown._mentions_only
    def counted(*args):
        pieces = real(*args)
        calls.append(pieces is not None)
        return pieces

    monkeypatch.setattr(markdown, "_mentions_only", counted)
    generated = tmp_path / "gen"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(generated), "--documents", "12"],
                   check=True, capture_output=True)
    for root in (ROOT, ROOT / "tests" / "fixtures" / "multilingual", generated):
        fast = _analyse(root)
        with monkeypatch.context() as m:
            m.setattr(markdown, "_mentions_only", lambda *a: None)  # every leaf through the general loop
            general = _analyse(root)
        assert fast == general
    assert sum(calls) >= 3  # the generated project has such leaves


def test_duplicate_keys_are_found_alike_by_the_walk_for_plain_trees_and_for_shared_ones():
    import yaml

    text = "a: 1\nb:\n  c: 1\n  c: 2\n  d: [{e: 1, e: 2}, x, [{f: 1, f: 1}]]\na: 3\n"
    node = yaml.compose(text, Loader=loader.YAML_LOADER)
    found = []
    for shared in (True, False):
        diags = Diagnostics()
        loader._check_duplicate_keys(node, "x.yml", diags, 0, shared=shared)
        found.append([(d.code, d.pos.line, d.pos.col, d.message) for d in diags.items])
    assert found[0] == found[1] and len(found[0]) == 4
    # Through compose_yaml: a text with an anchor takes the shared walk, and still reports each key once.
    diags = Diagnostics()
    loader.compose_yaml("base: &b {k: 1, k: 2}\nuse: *b\nother: *b\n", "y.yml", diags)
    assert [d.code for d in diags.items] == ["duplicate-key"]
