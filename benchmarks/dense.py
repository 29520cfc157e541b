"""Generate a briefing with one densely annotated document, for the reading-view tests.

    python benchmarks/dense.py DIR --annotations 200

The document is built from the default briefing's article sentences, in
sections with headings, with two annotations on every sentence (about one every
17 words, the default briefing's density), of every kind.  A second, short document
gives the first one a "next" link.  The default content's site.yml, index.md
and glossary are copied as they are.  Used by tests/browser/test_reading_view.py
and for the figures in docs/reader.md.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_DOC = ROOT / "content" / "documents" / "xi-first-mover-ai.md"
KINDS = ("note", "context", "fact-check", "quote", "question")
VERDICTS = ("accurate", "mostly-accurate", "misleading", "unsupported", "false")


def sentences() -> list[str]:
    body = SEED_DOC.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    text = " ".join(body.split())
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 6]


def generate(out: Path, annotations: int = 200, seed: int = 7) -> None:
    rng = random.Random(seed)
    marker = out / ".generated-briefing"
    if out.exists():
        if any(out.iterdir()) and not marker.exists():
            raise SystemExit(f"refusing to replace {out}: it is not empty and was not made by this script")
        shutil.rmtree(out)
    content = out / "content"
    (content / "documents").mkdir(parents=True)
    (content / "annotations").mkdir()
    marker.write_text("made by benchmarks/dense.py; replaced on the next run\n")
    shutil.copytree(ROOT / "content" / "glossary", content / "glossary")
    shutil.copy(ROOT / "content" / "site.yml", content / "site.yml")
    shutil.copy(ROOT / "content" / "index.md", content / "index.md")
    pool = sentences()
    lines, anns, n, s = [], [], 0, 0
    while n < annotations:
        if s % 20 == 0:
            lines.append(f"## Section {s // 20 + 1}\n")
        para = []
        for _ in range(3):
            if n >= annotations:
                break
            # "Point <s>:" makes every quote unique, so each annotation anchors exactly once.
            lead = f"Point {s}:"
            words = rng.choice(pool).split()
            para.append(lead + " " + " ".join(words))
            span = rng.randint(2, min(6, len(words) - 4))
            later = rng.randint(span + 1, len(words) - 3)
            quotes = [{"exact": lead + " " + " ".join(words[:span])},
                      {"exact": " ".join(words[later:later + 3]), "prefix": lead + " " + " ".join(words[:later])}]
            for quote in quotes[:annotations - n]:
                kind = KINDS[n % len(KINDS)]
                ann = {"id": f"n{n:03d}", "kind": kind, "quote": quote,
                       "body": f"Synthetic {kind} number {n}. It has a second sentence, so the card shows only the first."
                               + (" A third sentence makes this note longer than most." if n % 3 == 0 else "")}
                if kind == "fact-check":
                    ann["verdict"] = VERDICTS[(n // len(KINDS)) % len(VERDICTS)]
                anns.append(ann)
                n += 1
            s += 1
        lines.append(" ".join(para) + "\n")
    front = '---\ntitle: "A densely annotated document"\nsummary: "Generated for the reading-view tests."\ntags: [bench]\n---\n\n'
    (content / "documents" / "dense.md").write_text(front + "\n".join(lines), encoding="utf-8")
    (content / "annotations" / "dense.yml").write_text(
        "annotations:\n" + "".join("  - " + json.dumps(a, ensure_ascii=False) + "\n" for a in anns), encoding="utf-8")
    (content / "documents" / "short.md").write_text(
        '---\ntitle: "A short document"\nsummary: "Generated for the reading-view tests."\ntags: [bench]\n---\n\n'
        + " ".join(pool[:3]) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--annotations", type=int, default=200)
    args = ap.parse_args()
    generate(args.out, args.annotations)
    print(f"generated a document with {args.annotations} annotations in {args.out}")


if __name__ == "__main__":
    main()
