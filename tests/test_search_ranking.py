"""Ranking and typo tolerance of the search engine (templates/assets/search.js), run in Node.

The index is the default briefing's, built in shards by site_builder/searchshards.py;
search.js and every shard are loaded into a bare Node context (no DOM: its UI does not
start) and queried through window.SBSearch, the same engine the search box and the
results page use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from site_builder import build, loader, search, searchshards
from site_builder.diagnostics import Diagnostics
from site_builder.markdown import Markdown

ROOT = Path(__file__).resolve().parent.parent
SEARCH_JS = ROOT / "site_builder" / "templates" / "assets" / "search.js"
NODE = shutil.which("node") or shutil.which("nodejs")

RUNNER = r"""
const fs = require("fs"), vm = require("vm");
const path = require("path");
const [script, siteDir, requestFile] = process.argv.slice(2);
const ctx = { window: {}, URL, URLSearchParams, Map, Float64Array, performance };
ctx.window = ctx;
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(script, "utf8"), ctx);
vm.runInContext(fs.readFileSync(path.join(siteDir, "assets", "search-index.js"), "utf8"), ctx);
for (const f of fs.readdirSync(path.join(siteDir, "assets", "search")).sort())
  vm.runInContext(fs.readFileSync(path.join(siteDir, "assets", "search", f), "utf8"), ctx);
const S = ctx.SBSearch, index = new S.Index(ctx.SB_SEARCH, ctx.SB_SEARCH_SHARDS);
const req = JSON.parse(fs.readFileSync(requestFile, "utf8"));
const out = {queries: {}, typed: {}, typo: [], keys: {}};
for (const q of req.queries) {
  const res = index.search(q);
  if (res.missing) throw new Error("shards missing: " + JSON.stringify(res.missing));
  out.queries[q] = {urls: res.hits.slice(0, 10).map(h => index.record(h.id)[3]), count: res.hits.length,
                    partial: res.partial, marks: res.marks.map(m => m.word || m.cjk)};
}
for (const q of req.typed) {  // typed one character at a time, as in the search box
  const before = index.fuzzyChecks;
  for (let i = 1; i <= q.length; i++) index.search(q.slice(0, i));
  out.typed[q] = index.fuzzyChecks - before;
}
for (const [w, t] of req.typo) out.typo.push(S.oneTypoPrefix(w, t));
for (const k of req.keys) out.keys[k] = S.nameKey(k);
out.vocabulary = index.terms.length;
out.underP = index.terms.filter(t => t.charAt(0) === "p").length;
out.underJ = index.terms.filter(t => t.charAt(0) === "j").length;
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def index_file(tmp_path_factory) -> Path:
    if NODE is None:
        if os.environ.get("SITE_BUILDER_REQUIRE_BROWSER") == "1":
            pytest.fail("node is not installed; SITE_BUILDER_REQUIRE_BROWSER=1 requires it")
        pytest.skip("node is not installed")
    diags = Diagnostics()
    content = loader.load(ROOT, diags)
    analyses = build.analyse_all(content, Markdown(allow_html=content.site.allow_raw_html), None, 1)
    site = tmp_path_factory.mktemp("search")
    for path, data in searchshards.site_files(content, analyses).items():
        (site / path.path).parent.mkdir(parents=True, exist_ok=True)
        (site / path.path).write_bytes(data)
    return site / "assets" / "search-index.js"


def run(index_file: Path, queries=(), typed=(), typo=(), keys=()) -> dict:
    folder = index_file.parent
    (folder / "runner.js").write_text(RUNNER, encoding="utf-8")
    req = folder / "request.json"
    req.write_text(json.dumps({"queries": list(queries), "typed": list(typed), "typo": [list(p) for p in typo],
                               "keys": list(keys)}, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([NODE, str(folder / "runner.js"), str(SEARCH_JS), str(folder.parent), str(req)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("query, first", [
    ("politburo", "glossary/political-bureau.html"),
    ("Politburo", "glossary/political-bureau.html"),
    ("political bureau", "glossary/political-bureau.html"),
    ("deep seek", "glossary/deepseek.html"),
    ("DeepSeek", "glossary/deepseek.html"),
    ("deepseek", "glossary/deepseek.html"),
    ("深度求索", "glossary/deepseek.html"),
    ("deepseek-r1", "glossary/deepseek-r1.html"),
    ("DeepSeek R1", "glossary/deepseek-r1.html"),
])
def test_an_exact_name_or_alias_ranks_its_entity_first(index_file, query, first):
    got = run(index_file, queries=[query])["queries"][query]
    assert got["urls"][0] == first, got["urls"]


def test_a_name_that_is_only_a_prefix_is_not_promoted(index_file):
    # "deep" is no entity's name: the ranking is the plain BM25 one, DeepSeek need not come first,
    # and the DeepSeek entry is not added when the words do not match it.
    got = run(index_file, queries=["deep", "politbur"])["queries"]
    assert got["politbur"]["urls"], got
    assert all(u.startswith(("glossary/", "documents/", "index.html")) for u in got["deep"]["urls"])


@pytest.mark.parametrize("typo, finds", [
    ("semiconductr", "semiconductor"),     # a letter left out
    ("semicondcutor", "semiconductor"),    # two letters swapped
    ("semiconduxtor", "semiconductor"),    # a wrong letter
    ("semiconducttor", "semiconductor"),   # a letter too many
    ("politbuto", "politburo"),
    ("oplitburo", "politburo"),           # the first two letters swapped
    ("xpolitburo", "politburo"),          # a letter typed before the word
])
def test_one_typo_in_a_long_word_is_tolerated(index_file, typo, finds):
    got = run(index_file, queries=[typo, finds])["queries"]
    assert got[typo]["count"] > 0 and not got[typo]["partial"]
    assert set(got[typo]["urls"]) & set(got[finds]["urls"])
    assert any(finds.startswith(m) or m.startswith(finds[:len(m)]) for m in got[typo]["marks"][1:]), got[typo]["marks"]


def test_short_words_get_no_typo_tolerance(index_file):
    got = run(index_file, queries=["chjp", "xiu"])["queries"]
    assert got["chjp"]["count"] == 0 and got["xiu"]["count"] == 0


def test_two_typos_are_not_tolerated(index_file):
    got = run(index_file, queries=["semicnodcutor"])["queries"]
    assert got["semicnodcutor"]["count"] == 0


@pytest.mark.parametrize("word, term, ok", [
    ("polit", "politburo", False),        # a plain prefix is not a typo match
    ("poljt", "politburo", True),
    ("plitb", "politburo", True),
    ("poilt", "politburo", True),
    ("pollit", "politburo", True),
    ("pxxit", "politburo", False),
    ("politburos", "politburo", True),    # one letter too many at the end
    ("politburoxx", "politburo", False),
    ("abcde", "", False),
])
def test_typo_prefix_cases(index_file, word, term, ok):
    assert run(index_file, typo=[(word, term)])["typo"] == [ok]


def test_typo_cost_per_keystroke_is_one_slice_of_the_vocabulary(index_file):
    out = run(index_file, typed=["politburo", "xi jinping", "ai"])
    # Typing "politburo": each prefix of five letters or more (polit .. politburo) compares the
    # words under "p" once; shorter ones compare none.  Earlier words of a query are cached.
    assert out["typed"]["politburo"] == 5 * out["underP"] < out["vocabulary"] * 5 / 4
    assert out["typed"]["xi jinping"] == 3 * out["underJ"]  # "jinpi", "jinpin", "jinping"
    assert out["typed"]["ai"] == 0


def test_name_keys_agree_with_python(index_file):
    names = ["DeepSeek", "deep seek", "DeepSeek-R1", "Political Bureau", "Zürich AI", "中共中央政治局", "O'Brien & Co."]
    keys = run(index_file, keys=names)["keys"]
    assert keys == {n: search.name_key(n) for n in names}
