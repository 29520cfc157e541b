"""Re-anchoring after edits: drift states, properties of the fuzzy matcher, the corrected-word case."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from site_builder import anchoring, reanchor
from site_builder.reanchor import EXACT, ORPHANED, RELOCATED, TEXT_CHANGED, record, resolve

# Words without "z", so an edit that writes "Z" can never recreate a quote.
WORDS = ["alpha", "bravo", "carrot", "delta", "echo", "fox", "gamma", "hotel", "india", "juliet", "kilo",
         "lima", "mike", "novel", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "unit", "victor",
         "whisky", "xray", "yankee", "amber", "basil", "cedar", "dune", "ember"]

documents = st.lists(st.sampled_from(WORDS), min_size=40, max_size=160)


def occurrences(text: str, needle: str) -> int:
    """How many times ``needle`` occurs in ``text``, overlaps included."""
    n, i = 0, text.find(needle)
    while i >= 0:
        n += 1
        i = text.find(needle, i + 1)
    return n


def _offsets(words: list[str]) -> list[int]:
    out, pos = [], 0
    for w in words:
        out.append(pos)
        pos += len(w) + 1
    return out


@st.composite
def doc_and_quote(draw):
    """A document of random words and a quote of 3-6 words that occurs once in it."""
    words = draw(documents)
    n = draw(st.integers(3, 6))
    i = draw(st.integers(0, len(words) - n))
    text = " ".join(words)
    starts = _offsets(words)
    s = starts[i]
    e = starts[i + n - 1] + len(words[i + n - 1])
    needle = text[s:e]
    assume(occurrences(text, needle) == 1)
    return words, i, n, text, s, e


def _shift(words: list[str], i: int, n: int) -> tuple[str, int, int]:
    text = " ".join(words)
    starts = _offsets(words)
    return text, starts[i], starts[i + n - 1] + len(words[i + n - 1])


@settings(max_examples=150, deadline=None)
@given(doc_and_quote())
def test_a_unique_quote_anchors_exactly_that_span(case):
    words, i, n, text, s, e = case
    norm = anchoring.normalize(text)
    outcome = anchoring.find(norm, text[s:e])
    assert [(m.start, m.end) for m in outcome.matches] == [(s, e)]
    assert resolve(text, text[s:e], "", "", record(text, s, e)) == (EXACT, s, e)


@settings(max_examples=200, deadline=None)
@given(doc_and_quote(), st.data())
def test_one_edit_outside_the_quote_keeps_the_span(case, data):
    words, i, n, text, s, e = case
    needle = text[s:e]
    former = record(text, s, e)
    before = data.draw(st.booleans())
    new_words = list(words)
    qi = i
    if before and i > 0:
        a = data.draw(st.integers(0, i - 1))
        b = data.draw(st.integers(a, i))  # replace words[a:b]; b may be the quote's first word's index
        ins = data.draw(st.lists(st.sampled_from(WORDS), max_size=6))
        new_words[a:b] = ins
        qi = i - (b - a) + len(ins)
    elif not before and i + n < len(words):
        a = data.draw(st.integers(i + n, len(words)))
        b = data.draw(st.integers(a, len(words)))
        ins = data.draw(st.lists(st.sampled_from(WORDS), max_size=6))
        new_words[a:b] = ins
    else:
        return
    text2, s2, e2 = _shift(new_words, qi, n)
    assert text2[s2:e2] == needle
    assume(occurrences(text2, needle) == 1)
    res = resolve(text2, needle, "", "", former)
    assert res.state in (EXACT, RELOCATED)
    assert (res.start, res.end) == (s2, e2)


@settings(max_examples=150, deadline=None)
@given(doc_and_quote(), st.data())
def test_edits_far_from_the_quote_leave_it_exact(case, data):
    words, i, n, text, s, e = case
    needle = text[s:e]
    former = record(text, s, e)
    # Edit only words at least 8 words (over 32 characters... not guaranteed) away: check distance below.
    new_words = list(words)
    qi = i
    for _ in range(data.draw(st.integers(1, 4))):
        far = [k for k in range(len(new_words)) if k < qi - 8 or k >= qi + n + 8]
        if not far:
            break
        k = data.draw(st.sampled_from(far))
        ins = data.draw(st.lists(st.sampled_from(WORDS), max_size=4))
        new_words[k:k + 1] = ins
        if k < qi:
            qi += len(ins) - 1
    text2, s2, e2 = _shift(new_words, qi, n)
    assume(occurrences(text2, needle) == 1)
    assume(text2[max(0, s2 - 32):s2] == former.prefix and text2[e2:e2 + 32] == former.suffix)
    assert resolve(text2, needle, "", "", former) == (EXACT, s2, e2)


@settings(max_examples=200, deadline=None)
@given(doc_and_quote(), st.data())
def test_an_edit_inside_the_quote_is_text_changed_or_orphaned_never_elsewhere(case, data):
    words, i, n, text, s, e = case
    needle = text[s:e]
    former = record(text, s, e)
    k = data.draw(st.integers(s, e - 1).filter(lambda j: text[j] != " "))
    how = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    if how == "replace":
        text2, e2 = text[:k] + "Z" + text[k + 1:], e
    elif how == "insert":
        text2, e2 = text[:k] + "Zq " + text[k:], e + 3
    else:
        text2, e2 = text[:k] + text[k + 1:], e - 1
    assume(needle not in text2)
    res = resolve(text2, needle, "", "", former)
    assert res.state in (TEXT_CHANGED, ORPHANED)
    if res.state == TEXT_CHANGED:
        assert res.start < e2 and res.end > s, (res, s, e2)  # overlaps the edited passage, never elsewhere


def test_corrected_name_does_not_move_to_another_occurrence():
    text = ("The lab was founded by Wang Lei in 2019, with money from the city. "
            "Last year the local paper said Wang Lei resigned in protest over funding cuts.")
    s = text.index("Wang Lei", 30)
    former = record(text, s, s + len("Wang Lei"))
    first = text.index("Wang Lei")
    for corrected in ("Wang Lin", "Zhou Ming", "Dr Wang Lin"):
        text2 = text[:s] + corrected + text[s + len("Wang Lei"):]
        res = resolve(text2, "Wang Lei", "said", "", former)
        assert res.start != first, corrected
        assert res.state in (TEXT_CHANGED, ORPHANED)
        if res.state == TEXT_CHANGED:
            assert text2[res.start:res.end] == corrected


def test_corrected_name_with_similar_words_around_the_other_occurrence():
    text = ("At noon the local paper said Wang Lei would resign over the cuts. "
            "In the evening the local paper said Wang Lei resigned over the cuts.")
    s = text.rindex("Wang Lei")
    former = record(text, s, s + len("Wang Lei"))
    text2 = text[:s] + "Wang Lin" + text[s + len("Wang Lei"):]
    res = resolve(text2, "Wang Lei", "", "", former)
    assert (res.state, text2[res.start:res.end]) == (TEXT_CHANGED, "Wang Lin")
    assert res.start == s


def test_short_quote_with_other_context_is_orphaned_not_moved():
    text = "Alpha said the plan was bold. " + "Filler words here. " * 30 + "Beta called the plan bold too."
    s = text.index("bold", 20)
    former = record(text, s, s + 4)
    # The first passage is rewritten entirely: only the far-away "bold" remains.
    text2 = "Gamma thought the scheme rash. " + text[30:]
    res = resolve(text2, "bold", "", "", former)
    assert res.state == ORPHANED


def test_long_quote_found_once_with_new_context_is_relocated():
    quote = "the committee approved the budget for the new research centre"
    text = "In March, " + quote + " after a long debate."
    s = text.index(quote)
    former = record(text, s, s + len(quote))
    text2 = "Much later and after many other events had happened, " + quote + ", to everyone's surprise."
    res = resolve(text2, quote, "", "", former)
    assert res.state == RELOCATED and text2[res.start:res.end] == quote


def test_ambiguous_quote_is_resolved_by_its_former_context():
    text = "He said yes at first. Later, after the vote, he said yes again."
    s = text.index("said yes", 20)
    former = record(text, s, s + len("said yes"))
    res = resolve(text, "said yes", "", "", former)
    assert res == (RELOCATED, s, s + len("said yes"))  # the selector alone matches twice


def test_quote_word_inserted_is_text_changed_with_the_whole_new_passage():
    text = "Firms rely on high-end chips from abroad, the article says."
    s = text.index("high-end chips")
    former = record(text, s, s + len("high-end chips"))
    text2 = text.replace("high-end chips", "high-end semiconductor chips")
    res = resolve(text2, "high-end chips", "", "", former)
    assert res.state == TEXT_CHANGED
    assert text2[res.start:res.end] == "high-end semiconductor chips"


def test_is_short():
    assert reanchor.is_short("Wang Lei")
    assert not reanchor.is_short("the committee approved the budget for the new centre")
