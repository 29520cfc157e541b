"""Cost grows linearly with the briefing, counted in operations (never in seconds),
and the pages that grow with the corpus stay bounded."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import jinja2
import markdown_it
import pytest

from site_builder.build import compile_site
from site_builder.views import MENTIONS_PER_DOCUMENT

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402


def operations(root: Path, monkeypatch) -> Counter:
    """Markdown parses and template renders of one clean build of ``root`` (in this process)."""
    counts: Counter = Counter()
    parse, render = markdown_it.MarkdownIt.parse, jinja2.Template.render

    def counted_parse(self, *args, **kwargs):
        counts["markdown parses"] += 1
        return parse(self, *args, **kwargs)

    def counted_render(self, *args, **kwargs):
        counts["template renders"] += 1
        return render(self, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(markdown_it.MarkdownIt, "parse", counted_parse)
        m.setattr(jinja2.Template, "render", counted_render)
        result = compile_site(root, workers=1)
    assert result.ok, [d.format() for d in result.diagnostics.errors]
    counts["output files"] = len(result.files)
    return counts


@pytest.mark.parametrize("small, large", [(6, 12)])
def test_work_per_document_is_constant(tmp_path, monkeypatch, small, large):
    counts = {}
    for n in (small, large, large + (large - small)):
        generate(tmp_path / str(n), n, words=300, entities=60, per_doc=10)
        counts[n] = operations(tmp_path / str(n), monkeypatch)
    step = large - small
    for what in ("markdown parses", "template renders", "output files"):
        first = counts[large][what] - counts[small][what]
        second = counts[large + step][what] - counts[large][what]
        assert first > 0, what
        # The same number of documents added costs the same work again (the generator's random
        # mentions vary a little per document), not more with every document already there.
        assert second <= first * 1.15 + 2, (what, {n: c[what] for n, c in counts.items()})


def test_an_entity_page_shows_a_bounded_number_of_mentions_per_document(tmp_path):
    generate(tmp_path, 2, words=300, entities=60, per_doc=2)
    doc = tmp_path / "content/documents/doc-00000.md"
    repeats = MENTIONS_PER_DOCUMENT + 7
    doc.write_text(doc.read_text(encoding="utf-8") + "".join(f"\nDeepSeek said so, time {i}.\n" for i in range(repeats)),
                   encoding="utf-8")
    result = compile_site(tmp_path, workers=1)
    assert result.ok
    page = next(v for k, v in result.files.items() if k.path == "glossary/deepseek.html").decode()
    section = page.split('id="mentions-h"', 1)[1].split("</section>", 1)[0]
    first_doc = section.split("<h3>", 2)[1]
    assert first_doc.count("<li") == MENTIONS_PER_DOCUMENT
    shown_total = int(re.search(r"\((\d+)\)", section).group(1))
    more = int(re.search(r"and (\d+) more in", first_doc).group(1))
    assert more >= 7 and shown_total >= repeats  # the rest is counted, not dropped
