"""Time re-anchoring: a 20,000-word document with 200 annotations, before and after edits.

    PYTHONPATH=. python benchmarks/reanchor.py [--words 20000] [--annotations 200] [--runs 5]

The document is random words from a 5,000-word vocabulary (so short quotes
repeat, as names do).  Each annotation quotes 2-8 words at a random place;
its record is taken from the original text.  The edited text then gets:

* 300 insertions and deletions of words elsewhere (most quotes move);
* one word changed inside a quarter of the quotes (text-changed);
* 5% of the quoted passages deleted outright (orphaned).

It prints the time to resolve all 200 annotations on the original text and
on the edited one (median of the runs) and the states that came out.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from site_builder.anchoring import normalize  # noqa: E402
from site_builder.reanchor import record, resolve  # noqa: E402


def make(words: int, n_ann: int, rng: random.Random):
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))) for _ in range(5000)]
    text_words = [rng.choice(vocab) for _ in range(words)]
    quotes = []
    used: set[int] = set()
    while len(quotes) < n_ann:
        i = rng.randrange(0, words - 10)
        n = rng.randint(2, 8)
        if any(j in used for j in range(i - 3, i + n + 3)):
            continue
        used.update(range(i, i + n))
        quotes.append((i, n))
    return vocab, text_words, sorted(quotes)


def join(words: list[str]) -> tuple[str, list[int]]:
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    return " ".join(words), starts


def edit(vocab, words, quotes, rng: random.Random) -> list[str]:
    protected = {j for i, n in quotes for j in range(i, i + n)}
    marks: list[object] = list(words)
    for i, n in quotes:
        r = rng.random()
        if r < 0.25:
            k = rng.randrange(i, i + n)
            marks[k] = rng.choice(vocab)  # a word changed inside the quote
        elif r < 0.30:
            for k in range(i, i + n):
                marks[k] = None  # the passage deleted
    for _ in range(300):
        k = rng.randrange(len(words))
        if k in protected:
            continue
        if rng.random() < 0.5:
            marks[k] = None
        else:
            marks[k] = f"{words[k]} {rng.choice(vocab)}"
    return [w for m in marks if m is not None for w in str(m).split()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=20000)
    ap.add_argument("--annotations", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(15)
    vocab, words, quotes = make(args.words, args.annotations, rng)
    text, starts = join(words)
    items = []
    for i, n in quotes:
        s = starts[i]
        e = starts[i + n - 1] + len(words[i + n - 1])
        items.append((text[s:e], record(text, s, e)))
    edited, _ = join(edit(vocab, words, quotes, rng))
    for label, t in (("unchanged", text), ("edited", edited)):
        times = []
        states: Counter[str] = Counter()
        for _ in range(args.runs):
            states.clear()
            t0 = time.perf_counter()
            norm = normalize(t).text  # anchoring normalises the text once per document
            for needle, former in items:
                states[resolve(norm, needle, "", "", former).state] += 1
            times.append(time.perf_counter() - t0)
        print(f"{label}: {len(t.split())} words, {len(items)} annotations: median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f} ms); states {dict(states)}")


if __name__ == "__main__":
    main()
