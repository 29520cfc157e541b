"""Generate a synthetic briefing of N documents for benchmarks.

    python benchmarks/generate.py DIR --documents 1000

Each document is about 1,200 words built from the default briefing's article
sentences, with six annotations and mentions of the default glossary's
entities, so it exercises anchoring, mention linking and backlinks at scale.
The default content's site.yml, index.md and glossary are copied as they are.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_DOC = ROOT / "content" / "documents" / "xi-first-mover-ai.md"


def sentences() -> list[str]:
    body = SEED_DOC.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    text = " ".join(body.split())
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 6]


def generate(out: Path, n_docs: int, words: int = 1200, seed: int = 1) -> None:
    rng = random.Random(seed)
    marker = out / ".generated-briefing"
    if out.exists():
        if any(out.iterdir()) and not marker.exists():
            raise SystemExit(f"refusing to replace {out}: it is not empty and was not made by this script")
        shutil.rmtree(out)
    content = out / "content"
    (content / "documents").mkdir(parents=True)
    marker.write_text("made by benchmarks/generate.py; replaced on the next run\n")
    (content / "annotations").mkdir()
    shutil.copytree(ROOT / "content" / "glossary", content / "glossary")
    shutil.copy(ROOT / "content" / "site.yml", content / "site.yml")
    shutil.copy(ROOT / "content" / "index.md", content / "index.md")
    pool = sentences()
    for i in range(n_docs):
        slug = f"doc-{i:05d}"
        paras, count = [], 0
        while count < words:
            para = " ".join(rng.choice(pool) for _ in range(4))
            # A unique marker per paragraph gives every annotation one exact anchor.
            para = f"Item {i}-{len(paras)}: {para}"
            paras.append(para)
            count += len(para.split())
        (content / "documents" / f"{slug}.md").write_text(
            f'---\ntitle: "Synthetic document {i}"\nsummary: "Generated for benchmarks."\ntags: [bench]\n---\n\n'
            + "\n\n".join(paras) + "\n", encoding="utf-8")
        anns = []
        for j in range(min(6, len(paras))):
            kind = ["note", "context", "fact-check", "quote", "question", "note"][j]
            verdict = ("    verdict: mostly-accurate\n    sources:\n      - title: \"Synthetic source\"\n"
                       "        publisher: \"Benchmarks\"\n        date: \"2025-01\"\n") if kind == "fact-check" else ""
            anns.append(f'  - id: a{j}\n    kind: {kind}\n{verdict}    quote: "Item {i}-{j}:"\n'
                        f'    body: "Synthetic annotation {j} on document {i}."\n    entities: [deepseek]\n')
        (content / "annotations" / f"{slug}.yml").write_text("annotations:\n" + "".join(anns), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--words", type=int, default=1200)
    args = ap.parse_args()
    generate(args.out, args.documents, args.words)
    print(f"generated {args.documents} documents in {args.out}")


if __name__ == "__main__":
    main()
