"""The search index in shards (site_builder/searchshards.py): every term findable where
search.js looks for it, shards bounded in size, deterministic bytes, and an edit to one
document remaking one unit and one group."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from site_builder import build, loader, search, searchshards, urls
from site_builder.diagnostics import Diagnostics
from site_builder.markdown import Markdown

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402

PREFIX = '(window.SB_SEARCH_SHARDS=window.SB_SEARCH_SHARDS||{})["'


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    generate(root, 24, words=300, entities=60, per_doc=6)
    diags = Diagnostics()
    content = loader.load(root, diags)
    assert content is not None
    analyses = build.analyse_all(content, Markdown(allow_html=content.site.allow_raw_html), None, 1)
    return content, analyses


@pytest.fixture
def small_shards(monkeypatch):
    """Several groups and split keys even for a small corpus."""
    monkeypatch.setattr(searchshards, "UNITS_PER_GROUP", 8)
    monkeypatch.setattr(searchshards, "MAX_SHARD_BYTES", 3000)


def parse(files):
    manifest = json.loads(files[urls.SEARCH_INDEX_JS].decode("utf-8")[len("window.SB_SEARCH="):].rstrip().rstrip(";"))
    shards = {}
    for path, data in files.items():
        if path.path.startswith(urls.SEARCH_SHARDS_DIR):
            text = data.decode("utf-8")
            assert text.startswith(PREFIX) and text.endswith(";\n")
            name, _, payload = text[len(PREFIX):].partition('"]=')
            assert path == searchshards.shard_path(name)
            shards[name] = json.loads(payload[:-2])
    return manifest, shards


def shard_of(term: str, keys) -> str:
    """The key search.js reads a term from: the longest key that is a prefix of the term's key."""
    full = searchshards.term_key(term, len(term))
    found = [k for k in keys if full.startswith(k)]
    assert found, (term, sorted(keys))
    return max(found, key=len)


def test_every_term_is_found_where_the_reader_looks(corpus, small_shards):
    content, analyses = corpus
    files = searchshards.Shards(content, searchshards.units(content, analyses)).files()
    manifest, shards = parse(files)
    assert len(manifest["g"]) > 1  # several groups
    assert any(len(k) > 1 for g in manifest["g"] for k in g[2])  # and some keys split by the next letter
    total = 0
    for g, (count, meta_hash, keys) in enumerate(manifest["g"]):
        meta = shards[f"g{g}"]
        assert searchshards._hash(files[searchshards.shard_path(f"g{g}")]) == meta_hash
        postings = {}
        for key, digest in keys.items():
            data = files[searchshards.shard_path(f"g{g}-{key}")]
            assert searchshards._hash(data) == digest
            shard = shards[f"g{g}-{key}"]
            for term, row in zip(shard["t"], shard["p"]):
                assert shard_of(term, keys) == key
                rec, recs = 0, {}
                for i in range(0, len(row), 2):
                    rec += row[i]
                    recs[rec] = row[i + 1]
                postings[term] = recs
        records = [r for unit, _, n in meta["u"] for r in shards[unit]["r"]]
        assert len(records) == count == len(meta["n"])
        for local, r in enumerate(records):
            title, body = search.tokenize(search.fold(r[2])), search.tokenize(search.fold(r[4]))
            weights = Counter(body)
            for t in title:
                weights[t] += search.TITLE_WEIGHT
            assert meta["n"][local] == len(title) + len(body)
            for term, w in weights.items():
                assert postings[term][local] == w, (term, r[3])
        total += count
    assert total == manifest["n"] == len(search.records(content, analyses))
    # Every entity's name, by its place in its group.
    named = {row[2] for row in manifest["a"]}
    assert named == {e.name for e in content.entities}


def test_postings_shards_stay_under_the_bound(corpus, small_shards):
    content, analyses = corpus
    files = searchshards.Shards(content, searchshards.units(content, analyses)).files()
    manifest, shards = parse(files)
    for g, (_, _, keys) in enumerate(manifest["g"]):
        for key in keys:
            size = len(files[searchshards.shard_path(f"g{g}-{key}")])
            depth = len(key) - key.count("~")
            # Over the bound only when its terms cannot be split further.
            if size > searchshards.MAX_SHARD_BYTES + 100:
                terms = shards[f"g{g}-{key}"]["t"]
                assert depth == searchshards.MAX_KEY_DEPTH or all(len(t) <= depth for t in terms), (key, size)


def test_default_bounds_on_a_generated_corpus(corpus):
    content, analyses = corpus
    files = searchshards.Shards(content, searchshards.units(content, analyses)).files()
    biggest = max(len(d) for p, d in files.items() if p.path.startswith(urls.SEARCH_SHARDS_DIR + "g"))
    assert biggest <= searchshards.MAX_SHARD_BYTES + 100
    assert len(files[urls.SEARCH_INDEX_JS]) < 20_000


def test_bytes_are_deterministic_and_a_memo_changes_nothing(corpus, small_shards):
    content, analyses = corpus
    memo: dict = {}
    first = searchshards.Shards(content, searchshards.units(content, analyses), memo).files()
    again = searchshards.Shards(content, searchshards.units(content, analyses), memo).files()
    clean = searchshards.Shards(content, searchshards.units(content, analyses)).files()
    assert first == again == clean


def test_one_edit_remakes_one_unit_and_one_group(corpus, small_shards, monkeypatch):
    content, analyses = corpus
    keys = [f"v1-{an.doc.slug}" for an in analyses]
    memo: dict = {}
    shards = searchshards.Shards(content, searchshards.units(content, analyses, keys), memo)
    before = {name: key for name, key, _ in shards.outputs()}
    shards.files()

    made = Counter()
    unit_index, group_files = searchshards.unit_index, searchshards.group_files

    def counted_unit(name, recs):
        made["units"] += 1
        return unit_index(name, recs)

    def counted_group(index, units):
        made["groups"] += 1
        return group_files(index, units)

    monkeypatch.setattr(searchshards, "unit_index", counted_unit)
    monkeypatch.setattr(searchshards, "group_files", counted_group)
    keys[5] = "v2-" + analyses[5].doc.slug  # the sixth document changed
    shards = searchshards.Shards(content, searchshards.units(content, analyses, keys), memo)
    changed = [name for name, key, _ in shards.outputs() if before.get(name) != key]
    assert len(changed) == 2 and "search-manifest" in changed  # its group and the manifest
    for name, key, make in shards.outputs():
        if name in changed:
            make()
    assert made == {"units": 1, "groups": 1}


def test_shard_keys_agree_with_search_js():
    # keyOf in search.js: a-z and 0-9 as they are, other UTF-16 units as "~" and a base-32 digit.
    assert searchshards.term_key("politburo", 2) == "po"
    assert searchshards.term_key("r1", 3) == "r1"
    assert searchshards.term_key("深度", 2) == "~" + "0123456789abcdefghijklmnopqrstuv"[ord("深") % 32] + \
        "~" + "0123456789abcdefghijklmnopqrstuv"[ord("度") % 32]
    assert searchshards.term_key("é", 1) == "~" + "0123456789abcdefghijklmnopqrstuv"[0xE9 % 32]
    assert searchshards.term_key("\U0001F600x", 1) == "~" + "0123456789abcdefghijklmnopqrstuv"[0xD83D % 32]
