"""Entity linking: boundaries, CJK, case, longest match, skipped contexts, scale."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.diagnostics import Pos
from site_builder.markdown import Markdown
from site_builder.mentions import Matcher, alias_is_case_sensitive, find_in_runs, fold_case, is_word_char
from site_builder.model import Document, Entity, Source
from site_builder.xref import analyse_document


def entity(eid: str, name: str, *aliases: str, case: str = "auto", link: bool = True) -> Entity:
    return Entity(id=eid, name=name, type="concept", summary="s", aliases=aliases, case_sensitive=case, link=link)


def found(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    return [(text[f.start:f.end], f.entity) for f in matcher.find(text)]


GLOSSARY = [
    entity("xi-jinping", "Xi Jinping", "Xi", "President Xi", "习近平"),
    entity("xinhua", "Xinhua", "Xinhua News Agency"),
    entity("deepseek", "DeepSeek", "深度求索"),
    entity("cpc", "Communist Party of China", "CPC", "中国共产党"),
    entity("central-committee", "CPC Central Committee", "Central Committee"),
    entity("ai", "artificial intelligence", "AI"),
    entity("us", "United States", "US"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(GLOSSARY)


# ------------------------------------------------------------ boundaries

@pytest.mark.parametrize("text, expected", [
    ("Xinhua reported that Xi spoke.", [("Xinhua", "xinhua"), ("Xi", "xi-jinping")]),
    ("Xi's speech", [("Xi", "xi-jinping")]),
    ("(Xi)", [("Xi", "xi-jinping")]),
    ("Xi-led", [("Xi", "xi-jinping")]),
    ("XiJinping Xis Xi_ 2Xi Xi2", []),
    ("Xinhuanet", []),
    ("President Xi Jinping", [("President Xi", "xi-jinping")]),
    ("The Xinhua News Agency said", [("Xinhua News Agency", "xinhua")]),
    ("AI, AIs, KAI, AI-driven", [("AI", "ai"), ("AI", "ai")]),
])
def test_word_boundaries(matcher, text, expected):
    assert found(matcher, text) == expected


def test_multiword_alias_matches_across_whitespace_and_line_breaks(matcher):
    text = "the Xinhua  News\nAgency and Xi\tJinping"
    assert found(matcher, text) == [("Xinhua  News\nAgency", "xinhua"), ("Xi\tJinping", "xi-jinping")]


def test_unicode_letters_count_as_word_characters():
    m = Matcher([entity("e", "Ma")])
    assert found(m, "Maß Ma éMa Maé Ma") == [("Ma", "e"), ("Ma", "e")]
    assert is_word_char("é") and is_word_char("5") and not is_word_char("-") and not is_word_char("深")


# ------------------------------------------------------------------- CJK

def test_cjk_needs_no_word_boundaries(matcher):
    text = "深度求索公司发布了模型，习近平主席讲话。中国共产党中央委员会"
    assert found(matcher, text) == [("深度求索", "deepseek"), ("习近平", "xi-jinping"), ("中国共产党", "cpc")]


def test_cjk_next_to_latin_letters(matcher):
    assert found(matcher, "DeepSeek深度求索AI模型") == [("DeepSeek", "deepseek"), ("深度求索", "deepseek"),
                                                    ("AI", "ai")]


# ------------------------------------------------------------------ case

def test_all_capital_aliases_are_case_sensitive_by_default(matcher):
    assert found(matcher, "the CPC and the cpc and the Cpc") == [("CPC", "cpc")]
    assert found(matcher, "us and US") == [("US", "us")]


def test_other_aliases_are_case_insensitive_by_default(matcher):
    assert found(matcher, "DEEPSEEK, deepseek and Deepseek") == [
        ("DEEPSEEK", "deepseek"), ("deepseek", "deepseek"), ("Deepseek", "deepseek")]
    assert found(matcher, "xi and XINHUA") == [("xi", "xi-jinping"), ("XINHUA", "xinhua")]


@pytest.mark.parametrize("alias, setting, expected", [
    ("CPC", "auto", True), ("CPC-1", "auto", True), ("Xi", "auto", False), ("A", "auto", False),
    ("U.S.", "auto", True), ("深度求索", "auto", False), ("iPhone", "true", True), ("NATO", "false", False),
])
def test_alias_case_sensitivity_rule(alias, setting, expected):
    assert alias_is_case_sensitive(alias, setting) is expected


def test_match_case_sensitive_settings():
    strict = Matcher([entity("apple", "Apple", case="true")])
    assert found(strict, "apple Apple APPLE") == [("Apple", "apple")]
    loose = Matcher([entity("nato", "NATO", case="false")])
    assert found(loose, "nato NATO Nato") == [("nato", "nato"), ("NATO", "nato"), ("Nato", "nato")]


def test_link_false_entities_are_never_matched():
    m = Matcher([entity("a", "Alpha", link=False), entity("b", "Beta")])
    assert found(m, "Alpha Beta") == [("Beta", "b")]


def test_fold_case_keeps_length():
    for s in ["İstanbul", "ß", "ǅ", "Ⅻ", "Straße", "ΣΑΣ"]:
        assert len(fold_case(s)) == len(s)


# --------------------------------------------------------- longest match

def test_longest_match_wins_across_case_passes(matcher):
    # "CPC" is case-sensitive, "CPC Central Committee" is not: the longer one still wins.
    assert found(matcher, "the CPC Central Committee met") == [("CPC Central Committee", "central-committee")]
    assert found(matcher, "the CPC met the Central Committee") == [("CPC", "cpc"),
                                                                   ("Central Committee", "central-committee")]


def test_longest_match_within_one_entity_set():
    m = Matcher([entity("a", "New York"), entity("b", "New York Times"), entity("c", "York")])
    assert found(m, "The New York Times, New York and York") == [
        ("New York Times", "b"), ("New York", "a"), ("York", "c")]


def test_longer_alias_falls_back_to_shorter_when_incomplete():
    m = Matcher([entity("a", "New York"), entity("b", "New York Times")])
    assert found(m, "New York Timeshare") == [("New York", "a")]


def test_cross_pass_overlap_does_not_hide_later_mention():
    # The case-insensitive pass finds "ai lab" first, which overlaps the longer, earlier
    # case-sensitive "US AI"; dropping it must not lose "lab chief" right after.
    m = Matcher([entity("us-ai", "US AI"), entity("ai-lab", "ai lab"), entity("lab-chief", "lab chief")])
    assert found(m, "the US AI lab chief spoke") == [("US AI", "us-ai"), ("lab chief", "lab-chief")]


# ---------------------------------------------- a reference implementation

def reference(entities: list[Entity], text: str) -> list[tuple[int, int, str]]:
    """Leftmost-longest, non-overlapping matching, one alias at a time (slow but obvious)."""
    aliases = []
    for e in entities:
        for a in (e.name, *e.aliases):
            aliases.append((a, e.id, alias_is_case_sensitive(a, e.case_sensitive)))
    out = []
    i = 0
    folded = fold_case(text)
    while i < len(text):
        best = None
        for a, eid, cs in aliases:
            hay, needle = (text, a) if cs else (folded, fold_case(a))
            if not hay.startswith(needle, i):
                continue
            j = i + len(a)
            if is_word_char(a[0]) and i > 0 and is_word_char(text[i - 1]):
                continue
            if is_word_char(a[-1]) and j < len(text) and is_word_char(text[j]):
                continue
            if best is None or j > best[1]:
                best = (i, j, eid)
        if best:
            out.append(best)
            i = best[1]
        else:
            i += 1
    return out


VOCAB = ["AI", "ai", "Ai", "US", "lab", "chief", "x", "é", "深度", "求索"]


def draw_glossary(data, words: list[str]) -> list[Entity]:
    """Entities whose aliases are mostly runs of the text's own words, so they overlap a lot."""
    used: set[str] = set()
    entities = []
    for k in range(data.draw(st.integers(1, 8))):
        names = []
        for _ in range(data.draw(st.integers(1, 3))):
            if words and data.draw(st.booleans()):
                i = data.draw(st.integers(0, len(words) - 1))
                run = words[i:i + data.draw(st.integers(1, 3))]
            else:
                run = data.draw(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3))
            name = " ".join(run)
            if data.draw(st.booleans()):
                name = name.upper() if data.draw(st.booleans()) else name.lower()
            if fold_case(name) not in used:  # validation forbids two entities claiming one alias
                used.add(fold_case(name))
                names.append(name)
        if names:
            entities.append(entity(f"e{k}", names[0], *names[1:],
                                   case=data.draw(st.sampled_from(["auto", "auto", "true", "false"]))))
    return entities


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(VOCAB), max_size=16),
       seps=st.lists(st.sampled_from([" ", " ", " ", ", ", "-", "", "\n"]), min_size=16, max_size=16),
       data=st.data())
def test_property_matcher_agrees_with_reference(words, seps, data):
    text = "".join(w + s for w, s in zip(words, seps))
    entities = draw_glossary(data, words)
    got = [(f.start, f.end, f.entity) for f in Matcher(entities).find(text)]
    assert got == reference(entities, text.replace("\n", " ")), text


def test_many_entities_still_correct():
    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su"]
    names: set[str] = set()
    while len(names) < 500:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()
        if rng.random() < 0.3:
            word += " " + "".join(rng.choice(syllables) for _ in range(2))
        names.add(word)
    entities = [entity(f"e{i:03d}", n) for i, n in enumerate(sorted(names))]
    m = Matcher(entities)
    filler = ["the", "and", "said", "of", "a", "report"]
    parts = [rng.choice(filler + sorted(names)) for _ in range(1200)]
    text = " ".join(parts)
    got = [(f.start, f.end, f.entity) for f in m.find(text)]
    assert got == reference(entities, text)
    assert len(got) > 400


# -------------------------------------------- contexts where nothing is linked

SKIP_BODY = """\
# DeepSeek in a heading

DeepSeek in text, `DeepSeek in code`, [DeepSeek in a link](https://example.org/) and
<https://deepseek.com/DeepSeek> and ![DeepSeek logo](logo.png).

```
DeepSeek in a fenced block
```

    DeepSeek in an indented block

| DeepSeek in a table header |
| --- |
| DeepSeek in a table cell |

> DeepSeek in a quote, *DeepSeek in emphasis*.
"""


def test_mentions_skip_code_links_and_headings():
    md = Markdown()
    parsed = md.parse(SKIP_BODY)
    text = parsed.projection.text
    hits = find_in_runs(parsed.projection.linkable_runs(), Matcher([entity("deepseek", "DeepSeek")]))
    contexts = [re.split(r"[,.*|\n]", text[f.end:f.end + 30])[0].strip() for f in hits]
    # Table header cells are not Markdown headings: mentions there are linked.
    assert contexts == ["in text", "in a table header", "in a table cell", "in a quote", "in emphasis"]


class MentionParents(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.mentions: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "mention" in (a.get("class") or "").split():
            self.mentions.append((a.get("id"), tuple(self.stack)))
        if tag not in ("img", "br", "hr"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("img", "br", "hr"):
            return
        assert self.stack and self.stack[-1] == tag
        self.stack.pop()


def test_rendered_mentions_never_inside_code_links_or_headings():
    doc = Document(slug="d", title="T", date="", summary="", tags=(), source=Source(), body=SKIP_BODY,
                   path="content/documents/d.md", body_pos=Pos("content/documents/d.md", 4, 1))
    an = analyse_document(doc, (), Markdown(), Matcher([entity("deepseek", "DeepSeek")]))
    html = "".join(b.html for b in an.blocks)
    p = MentionParents()
    p.feed(html)
    assert [m[0] for m in p.mentions] == [f"m-deepseek-{i}" for i in range(1, 6)]
    for _, parents in p.mentions:
        assert not {"a", "code", "pre", "h1", "h2", "h3"} & set(parents)
    assert [m.anchor for m in an.mentions] == [m[0] for m in p.mentions]
    assert all(m.entity == "deepseek" for m in an.mentions)
    assert re.search(r'<a class="mention" id="m-deepseek-1" href="\.\./glossary/deepseek\.html"', html)
