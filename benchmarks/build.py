"""Full-build times (a measurement, not a test).

    python benchmarks/build.py                     # default briefing and 1,000 generated documents
    python benchmarks/build.py --documents 200 --repeat 5

Times ``site-builder build`` as a user runs it (a fresh interpreter, output
written), and the in-process stages of a clean build (load, validate,
analyse, render, which includes the search index and the entity graph).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402

from site_builder.build import BuildCache, compile_site  # noqa: E402


def cli_build(project: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "site_builder", "build", "--root", str(project), "--out", str(out)],
                          capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"build failed:\n{proc.stderr}")
    return elapsed


def measure(label: str, project: Path, out: Path, repeat: int) -> None:
    walls = [cli_build(project, out) for _ in range(repeat)]
    stages = []
    for _ in range(repeat):
        cache = BuildCache()
        started = time.perf_counter()
        result = compile_site(project, cache=cache)
        total = (time.perf_counter() - started) * 1000
        assert result.ok
        stages.append((total, dict(cache.timings)))
    docs = len(list((project / "content/documents").glob("*.md")))
    pages = sum(1 for _ in out.rglob("*.html"))
    total, timings = sorted(stages, key=lambda s: s[0])[len(stages) // 2]
    print(f"{label}: {docs} document(s), {pages} pages")
    print(f"  site-builder build (fresh process, written): median {statistics.median(walls):.2f} s, "
          f"min {min(walls):.2f} s (n={repeat})")
    print(f"  clean compile in process: {total / 1000:.2f} s = "
          + ", ".join(f"{k} {v / 1000:.2f} s" for k, v in timings.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=1000, help="size of the generated briefing (0: skip it)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="build-bench-"))
    try:
        default = work / "default"
        shutil.copytree(ROOT / "content", default / "content")
        if (ROOT / "templates").is_dir():
            shutil.copytree(ROOT / "templates", default / "templates")
        measure("default briefing", default, work / "out-default", args.repeat)
        if args.documents:
            generated = work / "generated"
            generate(generated, args.documents)
            measure("generated briefing", generated, work / "out-generated", args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
