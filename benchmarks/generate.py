"""Generate a synthetic briefing of N documents for benchmarks.

    python benchmarks/generate.py DIR --documents 1000

Each document is about 1,200 words built from the default briefing's article
sentences, with ten annotations and mentions of the glossary's entities, so it
exercises anchoring, mention linking and backlinks at scale. The default
content's site.yml, index.md and glossary are copied as they are, and
synthetic entities are added until the glossary holds ``--entities`` entries
(300 by default); each paragraph names a few of them. The result is a full
project (content/ and templates/ when the repository has them), ready for
``site-builder build --root DIR``.
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


SURNAMES = ["Abbott", "Bao", "Castell", "Dorn", "Ekwueme", "Fabre", "Gallo", "Hadid", "Ishida", "Jovic",
            "Kaur", "Lindqvist", "Mbeki", "Novak", "Okafor", "Petrov", "Quist", "Rinaldi", "Sato", "Tamm"]
GIVEN = ["Ada", "Bram", "Cleo", "Dov", "Enzo"]
ORG_WORDS = ["Lattice", "Meridian", "Quorum", "Halcyon", "Vertex", "Sable", "Cobalt", "Tessera", "Arbor", "Nimbus",
             "Orrery", "Pinnacle"]
ORG_KINDS = ["Labs", "Institute", "Holdings", "Foundation", "Group"]


def synthetic_entities(count: int) -> list[tuple[str, str, str]]:
    """(id, name, type) for ``count`` made-up entities with distinct two-word names."""
    out = []
    for g in GIVEN:
        for s in SURNAMES:
            out.append((f"{g}-{s}".lower(), f"{g} {s}", "person"))
    for w in ORG_WORDS:
        for k in ORG_KINDS:
            out.append((f"{w}-{k}".lower(), f"{w} {k}", "organization"))
    words = [w + suffix for w in ORG_WORDS for suffix in ("", "ia", "on")]
    for a in words:
        for b in words:
            if a != b:
                out.append((f"{a}-{b}".lower(), f"{a} {b}", "concept"))
    return out[:count]


def generate(out: Path, n_docs: int, words: int = 1200, seed: int = 1, entities: int = 300,
             per_doc: int = 10) -> None:
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
    if (ROOT / "templates").is_dir():
        shutil.copytree(ROOT / "templates", out / "templates")
    existing = sorted(p.stem for p in (content / "glossary").glob("*.yml"))
    extra = synthetic_entities(max(0, entities - len(existing)))
    for eid, name, kind in extra:
        (content / "glossary" / f"{eid}.yml").write_text(
            f'name: "{name}"\ntype: {kind}\nsummary: "A synthetic {kind} made for benchmarks."\n', encoding="utf-8")
    names = [name for _, name, _ in extra] or ["DeepSeek"]
    ids = [eid for eid, _, _ in extra] + existing
    pool = sentences()
    for i in range(n_docs):
        slug = f"doc-{i:05d}"
        paras, count = [], 0
        while count < words:
            para = " ".join(rng.choice(pool) for _ in range(4))
            para += f" {rng.choice(names)} and {rng.choice(names)} commented."
            # A unique marker per paragraph gives every annotation one exact anchor.
            para = f"Item {i}-{len(paras)}: {para}"
            paras.append(para)
            count += len(para.split())
        (content / "documents" / f"{slug}.md").write_text(
            f'---\ntitle: "Synthetic document {i}"\nsummary: "Generated for benchmarks."\ntags: [bench]\n---\n\n'
            + "\n\n".join(paras) + "\n", encoding="utf-8")
        anns = []
        for j in range(min(per_doc, len(paras))):
            kind = ["note", "context", "fact-check", "quote", "question"][j % 5]
            verdict = ("    verdict: mostly-accurate\n    sources:\n      - title: \"Synthetic source\"\n"
                       "        publisher: \"Benchmarks\"\n        date: \"2025-01\"\n") if kind == "fact-check" else ""
            anns.append(f'  - id: a{j}\n    kind: {kind}\n{verdict}    quote: "Item {i}-{j}:"\n'
                        f'    body: "Synthetic annotation {j} on document {i}, with *emphasis*."\n'
                        f'    entities: [{rng.choice(ids)}]\n')
        (content / "annotations" / f"{slug}.yml").write_text("annotations:\n" + "".join(anns), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--words", type=int, default=1200)
    ap.add_argument("--entities", type=int, default=300, help="glossary size (the default glossary plus synthetic ones)")
    ap.add_argument("--annotations", type=int, default=10, help="annotations per document")
    args = ap.parse_args()
    generate(args.out, args.documents, args.words, entities=args.entities, per_doc=args.annotations)
    print(f"generated {args.documents} documents in {args.out}")


if __name__ == "__main__":
    main()
