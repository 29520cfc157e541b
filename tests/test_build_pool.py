"""A build in worker processes (analysis pool, pages rendered in forked workers) equals one in this process."""

from __future__ import annotations

import sys
from pathlib import Path

from site_builder import build, forkmap

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402


def test_pooled_build_equals_a_build_in_one_process(tmp_path):
    n = build.POOL_THRESHOLD
    generate(tmp_path / "p", n, words=150, entities=30, per_doc=3)
    alone = build.compile_site(tmp_path / "p", workers=1)
    pooled = build.compile_site(tmp_path / "p", workers=2)
    assert alone.ok and pooled.ok
    assert len([p for p in pooled.files if p.path.endswith(".html")]) >= forkmap.THRESHOLD  # enough to fork
    assert pooled.files == alone.files
    assert [d.format() for d in pooled.diagnostics.items] == [d.format() for d in alone.diagnostics.items]
    # The analyses came back without the document and annotations; the build's own objects were put back.
    assert pooled.content is not None
    docs = {d.slug: d for d in pooled.content.documents}
    annotations = {id(a) for af in pooled.content.annotation_files for a in af.annotations}
    for an, one in zip(pooled.analyses, alone.analyses):
        assert an.doc is docs[an.doc.slug]
        assert all(id(a) in annotations for a in (*an.annotations, *an.orphans))
        assert [a.id for a in an.annotations] == [a.id for a in one.annotations]
        assert [(m.entity, m.anchor, m.before, m.text, m.after) for m in an.mentions] == \
            [(m.entity, m.anchor, m.before, m.text, m.after) for m in one.mentions]
