"""compile_site reports its stages and each document analysed, in the process pool too."""

from __future__ import annotations

from site_builder import build

from builder_support import make_project


def _project(root, n: int):
    files = {f"content/documents/d{i:03}.md": f'---\ntitle: "Doc {i}"\n---\n\nParagraph {i}.\n' for i in range(n)}
    return make_project(root, files)


def _calls(root, workers: int) -> list[tuple[str, int, int]]:
    calls: list[tuple[str, int, int]] = []
    result = build.compile_site(root, workers=workers, progress=lambda *a: calls.append(a))
    assert result.ok, [d.format() for d in result.diagnostics.items]
    assert result.stats == build.Stats(documents=len(list((root / "content" / "documents").glob("*.md"))),
                                       annotations=0, entities=0)
    return calls


def _check(calls, n: int) -> None:
    stages = [c[0] for c in calls]
    assert stages[:2] == ["loading", "checking"] and stages[-1] == "rendering pages"
    counts = [done for stage, done, total in calls if stage == "analysing documents"]
    assert all(total == n for stage, _, total in calls if stage == "analysing documents")
    assert counts == list(range(n + 1))  # 0 of n, then one call per document


def test_progress_counts_documents(tmp_path):
    _check(_calls(_project(tmp_path / "p", 3), workers=1), 3)


def test_progress_counts_documents_from_the_pool(tmp_path):
    n = build.POOL_THRESHOLD
    _check(_calls(_project(tmp_path / "p", n), workers=2), n)
