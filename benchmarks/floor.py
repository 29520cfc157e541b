"""The floor: read the documents, render their Markdown with markdown-it-py and one Jinja2 template, write them.

    python benchmarks/floor.py PROJECT OUT

What any Python generator of these pages must do at least, in one process:
read each ``content/documents/*.md`` of a generated project, split off its
front matter, render the body with markdown-it-py (CommonMark and tables, as
site_builder configures it), put it in one autoescaping Jinja2 template and
write one HTML file per document.  ``scale.py`` runs it beside site_builder
in the same run, so the ratio to it measures site_builder's own overhead
(annotations, mentions, entity pages, indexes) on the same machine at the
same moment.  Prints the wall seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
{{ body }}
</main></body>
</html>
"""


def build(project: Path, out: Path) -> int:
    """Render every document of ``project`` into ``out``; the number of pages written."""
    md = MarkdownIt("commonmark").enable("table")
    template = jinja2.Environment(autoescape=True).from_string(PAGE)
    out.mkdir(parents=True, exist_ok=True)
    pages = 0
    for path in sorted((project / "content/documents").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        head, _, body = text.partition("\n---\n")
        title = next((line.split(":", 1)[1].strip().strip('"') for line in head.splitlines()
                      if line.startswith("title:")), path.stem)
        html = template.render(title=title, body=Markup(md.render(body)))
        (out / f"{path.stem}.html").write_text(html, encoding="utf-8")
        pages += 1
    return pages


def main() -> None:
    project, out = Path(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    pages = build(project, out)
    print(f"{pages} pages in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
