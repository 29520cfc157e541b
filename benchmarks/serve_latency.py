"""Save-to-reload latency of ``site-builder serve`` (a measurement, not a test).

    python benchmarks/serve_latency.py                 # default briefing and 1,000 generated documents
    python benchmarks/serve_latency.py --documents 200 --edits 20

For each briefing it starts the live server in-process on a free port,
connects a server-sent-events client (what the injected page script does),
and then, once per edit: waits until the server is idle, writes a document
(inserting a sentence at the end of a random paragraph, as a writer typing
would), and times the moment the ``reload`` event reaches the client.  It
also times an incremental rebuild after one document edit without the server
(``compile_site`` with a warm ``BuildCache``), and reports where the time goes.

Targets (issue 13): median save-to-reload under 100 ms at 1,000 documents
and p90 under 300 ms at 4,000.  It also counts the cyclic garbage
collector's full collections during the timed edits, and times them.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import random
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402

from site_builder.build import BuildCache, compile_site  # noqa: E402
from site_builder.serve import LivePreview  # noqa: E402
from site_builder.serve.reload import EVENTS_PATH  # noqa: E402


class Listener:
    """An event-stream client recording when each event arrives."""

    def __init__(self, preview: LivePreview):
        host, port = preview.server.server_address[:2]
        self.conn = http.client.HTTPConnection(host, port, timeout=600)
        self.conn.request("GET", EVENTS_PATH)
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.cond = threading.Condition()
        self.events: list[tuple[float, str, dict]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        name, data = None, []
        try:
            while True:
                line = self.resp.fp.readline()
                if not line:
                    return
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif not line and name:
                    with self.cond:
                        self.events.append((time.perf_counter(), name, json.loads("".join(data))))
                        self.cond.notify_all()
                    name, data = None, []
        except (OSError, ValueError):
            return

    def wait_for(self, name: str, after: int, timeout: float = 120) -> tuple[float, dict]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, n, d in self.events[after:]:
                    if n == name:
                        return t, d
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {name} event")
                self.cond.wait(left)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
        self.thread.join(5)


def edit_document(path: Path, rng: random.Random, n: int) -> None:
    """Insert a sentence at the end of a random paragraph of the body."""
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")
    paras = body.split("\n\n")
    candidates = [i for i, p in enumerate(paras) if p.strip() and not p.lstrip().startswith(("#", "-", ">", "|"))]
    i = rng.choice(candidates)
    paras[i] = paras[i].rstrip() + f" The analyst added sentence {n} here."
    path.write_text(head + sep + "\n\n".join(paras), encoding="utf-8")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def measure(project: Path, edits: int, warmup: int, seed: int, server_only: bool = False) -> dict:
    rng = random.Random(seed)
    docs = sorted((project / "content/documents").glob("*.md"))
    preview = LivePreview(project, port=0, log=lambda line: None)
    started = time.perf_counter()
    preview.start()
    first_build = time.perf_counter() - started
    listener = Listener(preview)
    latencies, rebuilds, pages, cpu = [], [], [], []
    full: list[float] = []  # milliseconds of each full collection of the cyclic collector during the edits
    clock = [0.0]

    def timed(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                clock[0] = time.perf_counter()
            else:
                full.append((time.perf_counter() - clock[0]) * 1000)

    try:
        listener.wait_for("hello", 0)
        for n in range(warmup + edits):
            if not preview.builder.wait_idle(600):
                raise TimeoutError("server never idle")
            time.sleep(0.05)
            seen = len(listener.events)
            doc = rng.choice(docs)
            if n == warmup:
                gc.callbacks.append(timed)
            t0, c0 = time.perf_counter(), time.process_time()
            edit_document(doc, rng, n)
            t1, data = listener.wait_for("reload", seen)
            c1 = time.process_time()
            if n >= warmup:
                latencies.append((t1 - t0) * 1000)
                cpu.append((c1 - c0) * 1000)  # every thread of this process, until the reload arrived
                rebuilds.append(preview.builder.last_ms)
                pages.append(sum(1 for p in data["changed"] if p.endswith(".html")))
        stages = dict(preview.builder.cache.timings)  # the server's last rebuild
    finally:
        if timed in gc.callbacks:
            gc.callbacks.remove(timed)
        listener.close()
        preview.stop()

    # An incremental rebuild without the server: one document edited, warm cache.
    cache = BuildCache()
    incremental = []
    if not server_only:
        compile_site(project, cache=cache, defer=True)
        compile_site(project, cache=cache, defer=True)
    for n in range(0 if server_only else edits):
        edit_document(rng.choice(docs), rng, 10_000 + n)
        t = time.perf_counter()
        result = compile_site(project, cache=cache, defer=True)
        incremental.append((time.perf_counter() - t) * 1000)
        assert result.ok
        if result.later is not None:  # the entity pages the server renders after the reload event
            result.later()
    return {
        "documents": len(docs),
        "first_build_s": first_build,
        "latency": latencies,
        "cpu": cpu,
        "rebuild": rebuilds,
        "pages": pages,
        "incremental": incremental,
        "timings": dict(cache.timings) if incremental else stages,
        "full_collections": full,
    }


def report(label: str, r: dict) -> None:
    lat, inc = r["latency"], r["incremental"]
    print(f"\n{label}: {r['documents']} document(s); first build {r['first_build_s']:.2f} s")
    print(f"  save-to-reload latency   median {statistics.median(lat):6.1f} ms   p90 {pct(lat, 0.9):6.1f} ms   "
          f"min {min(lat):6.1f}   max {max(lat):6.1f}   (n={len(lat)})")
    print(f"  CPU time of the process from save to reload (less sensitive to a busy machine): median "
          f"{statistics.median(r['cpu']):6.1f} ms   p90 {pct(r['cpu'], 0.9):6.1f} ms")
    print(f"  rebuild inside the server median {statistics.median(r['rebuild']):6.1f} ms   "
          f"p90 {pct(r['rebuild'], 0.9):6.1f} ms; pages re-rendered per edit: median "
          f"{statistics.median(r['pages']):.0f}, max {max(r['pages'])}")
    if inc:
        print(f"  incremental rebuild after one document edit (compile_site, warm cache): median "
              f"{statistics.median(inc):6.1f} ms   p90 {pct(inc, 0.9):6.1f} ms")
    full = r["full_collections"]
    print(f"  full collections of the cyclic collector during the timed edits: {len(full)}"
          + (f", {sum(full):.0f} ms in all, longest {max(full):.0f} ms" if full else ""))
    print("  last rebuild by stage: " + ", ".join(f"{k} {v:.1f} ms" for k, v in r["timings"].items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=1000, help="size of the generated briefing (0: skip it)")
    ap.add_argument("--edits", type=int, default=25, help="timed edits per briefing")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--server-only", action="store_true",
                    help="time the live server only, not the in-process rebuilds (two fewer full builds)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="serve-latency-"))
    try:
        default = work / "default"
        shutil.copytree(ROOT / "content", default / "content")
        if (ROOT / "templates").is_dir():
            shutil.copytree(ROOT / "templates", default / "templates")
        report("default briefing", measure(default, args.edits, args.warmup, args.seed, args.server_only))
        if args.documents:
            generated = work / "generated"
            generate(generated, args.documents)
            report("generated briefing", measure(generated, args.edits, args.warmup, args.seed, args.server_only))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
