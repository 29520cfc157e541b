"""Build a site with the reader files (search index, entity data, scripts, graph page).

``compile_reader(root)`` uses ``build.compile_site``; while build.py does not yet add
the reader files and the graph page itself, it adds them the way build.py will
(``searchshards.site_files`` and ``render_site(extra_pages=...)``).  Used by the reader
tests, ``benchmarks/search.py`` and ``scripts/screenshots.py``.
"""

from __future__ import annotations

from pathlib import Path

from site_builder import build, graph, loader, render, searchshards, templating, urls, validate, xref
from site_builder.diagnostics import Diagnostics
from site_builder.markdown import Markdown
from site_builder.urls import OutPath


class BuildFailed(Exception):
    pass


def compile_reader(root: Path) -> dict[OutPath, bytes]:
    result = build.compile_site(root)
    if not result.ok:
        raise BuildFailed("\n".join(d.format() for d in result.diagnostics.sorted()))
    files = dict(result.files)
    if urls.GRAPH in files and urls.SEARCH_INDEX_JS in files:
        return files  # build.py wires the reader in
    diags = Diagnostics()
    content = loader.load(root, diags)
    md = Markdown(allow_html=content.site.allow_raw_html)
    validate.check(content, md, diags)
    analyses = build.analyse_all(content, md, None, None)
    refs = xref.build(content, analyses)
    env = templating.make_environment(root / "templates")
    files = render.render_site(content, analyses, refs, md, env, None, extra_pages=lambda b: [graph.page(b)])
    files.update(searchshards.site_files(content, analyses, refs, env))
    return files
