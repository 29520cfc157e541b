"""The anchor records the first build writes do not make the next build analyse every document again."""

from __future__ import annotations

from site_builder import anchoring, anchorstate, diskcache, reanchor
from site_builder.build import compile_site
from site_builder.model import Quote
from test_build_cache import build
from test_serve import copy_project


def test_the_second_build_reuses_the_analyses_the_first_wrote_records_for(tmp_path):
    project = copy_project(tmp_path / "project")
    lock = anchorstate.path_of(project)
    assert not lock.exists()
    build(project, tmp_path / "out")
    assert lock.is_file()  # the first build recorded every annotation that anchored exactly
    cache = diskcache.load(project)
    assert cache is not None
    assert compile_site(project, cache=cache).ok
    assert cache.analysed == []  # the records were written from these very analyses
    # And the reused analyses are what a clean build with the records gives.
    assert build(project, tmp_path / "cached") == build(project, tmp_path / "clean", "--no-cache")


def _anchor(text: str, quote: Quote):
    """How ``quote`` anchors in ``text`` with no record: its Anchored state, as the analysis keeps it."""
    norm = anchoring.normalize(text).text
    needle, prefix, suffix = (anchoring.normalize_str(s).strip() for s in (quote.exact, quote.prefix, quote.suffix))
    res = reanchor.first(norm, needle, prefix, suffix)
    assert res.state == reanchor.EXACT
    return reanchor.Anchored("a", res.state, res.start, res.end, needle, norm[res.start:res.end],
                             reanchor.record(norm, res.start, res.end))


def test_a_record_is_taken_as_reproduced_only_where_it_resolves_to_the_same_place():
    filler = "x" * 40
    unique = f"{filler} one passage here. {filler}"
    quote = Quote("passage", "one ", "")
    x = _anchor(unique, quote)
    anns = (_stub(quote),)
    assert anchorstate.reproduces(unique, anns, (x,), {}, {"a": x.record})
    # A record that is not this anchoring's (edited by hand, or from another text) is not reproduced.
    other = reanchor.Former("passage", "", "", 0, len(unique))
    assert not anchorstate.reproduces(unique, anns, (x,), {}, {"a": other})
    # A record that went away, or changed, is not either.
    assert not anchorstate.reproduces(unique, anns, (x,), {"a": x.record}, {})
    # The passage recurs with the same 32 characters on both sides: the prefix chose one, and the
    # record puts it at that same place, so anchoring with the record gives this anchoring again
    # (exact); a record of the other occurrence does not.
    same = "y" * 40
    twice = f"{same} passage {same}. one {same} passage {same}"
    quote2 = Quote("passage", f"one {same} ", "")
    y = _anchor(twice, quote2)
    assert anchorstate.reproduces(twice, (_stub(quote2),), (y,), {}, {"a": y.record})
    first_one = reanchor.record(anchoring.normalize(twice).text, 41, 48)
    assert first_one.start != y.record.start and first_one.prefix == y.record.prefix
    assert not anchorstate.reproduces(twice, (_stub(quote2),), (y,), {}, {"a": first_one})


class _stub:
    """An annotation as ``reproduces`` reads it: its id and quote."""

    def __init__(self, quote: Quote):
        self.id = "a"
        self.quote = quote
