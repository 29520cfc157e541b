"""Measure the search box's time per keystroke in headless Chromium.

    python benchmarks/generate.py /tmp/gen1000 --documents 1000
    python benchmarks/search.py /tmp/gen1000            # builds /tmp/gen1000/output first
    python benchmarks/search.py --site output           # an already built site

Each query is typed one character at a time into the real search box; a
keystroke's time runs from the input event to the results being in the DOM and
laid out (search, snippets, rendering, layout), including the loading of the
index's shards a keystroke needs.  Also reported: the size of the manifest
(assets/search-index.js) and of all the shards, the time to load and parse the
manifest on first use, and how many shards the queries loaded.
Chromium comes from the system (``/usr/bin/chromium`` or $CHROMIUM); it is never
downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    "first-mover advantage",
    "high-end chips and foundational software",
    "deepseek",
    "export controls",
    "global south",
    "深度求索",
    "全球南方",
    "synthetic annotation",
    "xi",
    "zzzz no such words",
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

TYPE_QUERY = """async (query) => {
  const input = document.querySelector('#search-input');
  const list = document.querySelector('.search-results');
  const times = [], parts = [];
  input.value = '';
  input.dispatchEvent(new Event('input'));
  await new Promise(r => setTimeout(r, 5));
  for (let i = 1; i <= query.length; i++) {
    window.SBSearch.timing = null;
    const t0 = performance.now();
    input.value = query.slice(0, i);
    input.dispatchEvent(new Event('input'));
    await new Promise(r => setTimeout(r, 0));   // the box runs the search in a 0 ms timeout
    // then loads the shards the query needs, if any, and shows the results
    for (let w = 0; w < 400 && !window.SBSearch.timing; w++) await new Promise(r => setTimeout(r, 5));
    void list.offsetHeight;                      // include layout
    times.push(performance.now() - t0);
    const t = window.SBSearch.timing || {search: 0, render: 0};  // set once the results are shown
    parts.push([t.search, t.render]);
  }
  return {times, parts, results: document.querySelector('.search-status').textContent};
}"""


def build(project: Path) -> Path:
    from site_builder.writer import write_site
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from reader_build import compile_reader  # the build, with the reader files if build.py does not add them yet

    files = compile_reader(project)
    out = project / "output"
    write_site(project, out, files)
    return out


def chromium_path() -> str:
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


def measure(site: Path, repeat: int = 3) -> dict:
    from playwright.sync_api import sync_playwright

    index_file = site / "assets" / "search-index.js"
    if not index_file.exists():
        raise SystemExit(f"{index_file} is missing: build the site with the reader files")
    shards = list((site / "assets" / "search").glob("*.js"))
    report: dict = {"index_bytes": index_file.stat().st_size, "shards": len(shards),
                    "shard_bytes": sum(p.stat().st_size for p in shards), "queries": {}}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((site / "index.html").resolve().as_uri())
        t0 = time.perf_counter()
        page.focus("#search-input")  # first focus loads the index by a <script> element
        page.wait_for_function("window.SB_SEARCH !== undefined")
        report["index_load_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        report["records"] = page.evaluate("window.SB_SEARCH.n")
        all_times = []
        for q in QUERIES:
            runs = []
            for _ in range(repeat):
                res = page.evaluate(TYPE_QUERY, q)
                runs.append(res["times"])
            per_key = [max(col) for col in zip(*runs)] if repeat > 1 else runs[0]
            med = [statistics.median(col) for col in zip(*runs)]
            all_times.extend(med)
            report["queries"][q] = {"keystrokes": len(q), "median_ms": round(statistics.median(med), 2),
                                    "max_ms": round(max(per_key), 2), "results": res["results"]}
        report["shards_loaded"] = page.evaluate("document.querySelectorAll('script[data-search-shard]').length")
        browser.close()
    all_times.sort()
    report["all_keystrokes"] = {
        "count": len(all_times), "median_ms": round(statistics.median(all_times), 2),
        "p95_ms": round(all_times[int(len(all_times) * 0.95) - 1], 2), "max_ms": round(all_times[-1], 2),
    }
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("project", nargs="?", type=Path, help="a project folder to build first")
    ap.add_argument("--site", type=Path, help="an already built site (instead of building)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args()
    if not args.site and not args.project:
        ap.error("give a project folder or --site")
    site = args.site
    if site is None:
        t = time.perf_counter()
        site = build(args.project)
        print(f"built {site} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    report = measure(site, args.repeat)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(f"manifest: {report['index_bytes'] / 1e3:.1f} KB, {report['records']} records; shards: {report['shards']}, "
          f"{report['shard_bytes'] / 1e6:.1f} MB in all, {report['shards_loaded']} loaded by the queries; "
          f"first load {report['index_load_ms']} ms")
    print(f"{'query':45} {'keys':>4} {'median':>8} {'max':>8}  results")
    for q, r in report["queries"].items():
        print(f"{q:45} {r['keystrokes']:>4} {r['median_ms']:>7.1f}ms {r['max_ms']:>7.1f}ms  {r['results']}")
    a = report["all_keystrokes"]
    print(f"all {a['count']} keystrokes: median {a['median_ms']} ms, p95 {a['p95_ms']} ms, max {a['max_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
