"""TextPositionSelector / TextQuoteSelector against the document page as Chromium renders it.

The article text is read from the DOM the way docs/publishing.md defines it: the text of
each paragraph, heading and table cell of the document body in order, joined by two
newlines, without the annotation markers (sup.ann-ref) and without the notes.
"""

from __future__ import annotations

import json

from site_builder import webannotation
from test_publish_support import ROOT, chromium, full_files, write_out  # noqa: F401

SLUG = "xi-first-mover-ai"

ARTICLE_TEXT_JS = """() => {
  const blocks = 'p, h1, h2, h3, h4, h5, h6, td, th, li';
  const groups = [];
  let current = null, last = null;
  for (const root of document.querySelectorAll('.annotated-text .block-text')) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => n.parentElement.closest('.ann-ref, pre, script, style, .block-notes')
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT });
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const container = n.parentElement.closest(blocks);
      if (!container || !root.contains(container)) continue;
      if (container !== last) {
        if (!n.data.trim()) continue;
        current = []; groups.push(current); last = container;
      }
      current.push(n.data);
    }
  }
  return groups.map(g => g.join('')).join('\\n\\n');
}"""


def test_positions_and_quotes_match_the_rendered_page(chromium, tmp_path):  # noqa: F811
    files = full_files(ROOT).files
    out = write_out(files, tmp_path / "site")
    coll = json.loads(files[webannotation.collection_path(SLUG)])

    def check(browser):
        page = browser.new_page()
        try:
            page.goto((out / "documents" / f"{SLUG}.html").as_uri())
            text = page.evaluate(ARTICLE_TEXT_JS)
            points = list(text)  # code points, as the selectors count them
            for item in coll["first"]["items"]:
                quote, position = item["target"]["selector"]
                assert "".join(points[position["start"]:position["end"]]) == quote["exact"], item["id"]
                # and the page highlights exactly that passage for this annotation
                aid = item["id"].rsplit("#", 1)[1]
                highlighted = page.evaluate(
                    "(id) => [...document.querySelectorAll('mark[data-ann]')]"
                    ".filter(m => m.dataset.ann.split(' ').includes(id)).map(m => m.textContent).join('')", aid)
                assert " ".join(highlighted.split()) == " ".join(quote["exact"].split()), aid
        finally:
            page.close()

    chromium(check)
