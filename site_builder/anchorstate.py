"""The anchor state file, ``anchors.lock.json``: each annotation's last good anchoring.

Drift can only be told from a former state: where a passage was and what
surrounded it.  Rather than asking authors to keep positions by hand, the
builder derives them.  After every successful ``build`` (and after
``anchors --update``) it records, for each annotation that anchored
``exact`` (or was just accepted), the text it covered, 32 characters of
context either side and its offset in the normalised text.

Each record carries a hash of the annotation's quote selector as written
(exact, prefix, suffix).  A record applies only while that hash matches: an
author who edits a quote has re-targeted the annotation, which is then
anchored afresh (and a quote that matches nowhere is the plain
``quote-not-found`` error, with the closest passage).  Records of drifted
annotations are kept as they were until ``anchors --update`` accepts the
new place, so the warning does not vanish after one build.

The file lives at the project root, beside ``content/``, is deterministic
(sorted keys, no dates) and is meant to be committed, so that ``check`` in CI
knows the former state too.  A missing file means no annotation has a record.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import NamedTuple

from . import anchoring, atomicfile
from .diagnostics import Diagnostics, Pos
from .model import Annotation, Quote
from .reanchor import EXACT, Anchored, Former, Resolution, resolve

FILE_NAME = "anchors.lock.json"
VERSION = 1
ABOUT = ("The last good anchoring of each annotation, written by site-builder build and anchors --update. "
         "Commit it with the content; do not edit it by hand.")


class Entry(NamedTuple):
    selector: str  # hash of the quote selector the record belongs to
    former: Former


State = dict[str, dict[str, Entry]]  # document slug -> annotation id -> entry
_NO_RECORDS: dict[str, Entry] = {}  # a document without records (one object, so memos can compare it by identity)


@functools.lru_cache(maxsize=1 << 17)  # every build hashes every exact anchoring; most quotes are unchanged
def selector_hash(quote: Quote) -> str:
    data = json.dumps([quote.exact, quote.prefix, quote.suffix], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def path_of(root: Path) -> Path:
    return root / FILE_NAME


def load(root: Path, diags: Diagnostics | None = None, memo: dict | None = None) -> State:
    """Read the state file; a missing or unreadable one gives no records (with a warning if broken).

    ``memo`` (a long-lived process's): while the file's text is the same, the
    same state object is returned, so that what is derived from it can be
    reused by identity.
    """
    path = path_of(root)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        if diags is not None:
            diags.warning("anchor-state", Pos(FILE_NAME), f"cannot read {FILE_NAME}: {exc}; anchoring starts afresh")
        return {}
    if memo is not None and memo.get("text") == raw:
        return memo["state"]
    try:
        data = json.loads(raw)
        state: State = {}
        for slug, records in data["documents"].items():
            state[slug] = {
                aid: Entry(str(r["selector"]), Former(str(r["exact"]), str(r["prefix"]), str(r["suffix"]),
                                                      int(r["start"]), int(r["length"])))
                for aid, r in records.items()
            }
        if memo is not None:
            memo.update(text=raw, state=state)
        return state
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if diags is not None:
            diags.warning("anchor-state", Pos(FILE_NAME),
                          f"{FILE_NAME} is not a valid anchor state file ({exc}); anchoring starts afresh",
                          "delete it; the next build writes a new one")
        return {}


def formers(state: State, slug: str, annotations: tuple[Annotation, ...], memo: dict | None = None) -> dict[str, Former]:
    """The records that still apply to ``annotations`` (their selectors are unchanged).

    ``memo``: slug -> (records, annotations, result), reused while both are the same objects.
    """
    records = state.get(slug)
    if not records:
        return {}
    if memo is not None:
        hit = memo.get(slug)
        if hit is not None and hit[0] is records and hit[1] is annotations:
            return hit[2]
        result = formers({slug: records}, slug, annotations)
        memo[slug] = (records, annotations, result)
        return result
    out = {}
    for a in annotations:
        entry = records.get(a.id)
        if entry is not None and entry.selector == selector_hash(a.quote):
            out[a.id] = entry.former
    return out


def reproduces(text: str, annotations: tuple[Annotation, ...], anchors: tuple[Anchored, ...],
               old: dict[str, Former], new: dict[str, Former]) -> bool:
    """Whether a document analysed with the records ``old`` would anchor the same with ``new``.

    ``text`` is the analysis's plain-text projection, ``anchors`` how its annotations anchored.
    The first build of a project has no records and writes one for every annotation that
    anchored ``exact``; the next build finds those records and, without this, would analyse
    every document again.  A record written from this very anchoring resolves to the same
    place, still ``exact``, unless the passage recurs with the same context on both sides:
    each new record is resolved here to make sure.  Any other difference (a record changed
    or gone, a record for an annotation that did not anchor ``exact``) is not reproduced.
    """
    if old == new:
        return True
    by_id = {x.id: x for x in anchors}
    quotes = {a.id: a.quote for a in annotations}
    occurrences: anchoring.Occurrences | None = None  # of the normalised text, shared by its quotes (resolve)
    starts = None
    for aid in old.keys() | new.keys():
        former = new.get(aid)
        if old.get(aid) == former:
            continue
        x = by_id.get(aid)
        if aid in old or former is None or x is None or x.state != EXACT or x.record != former \
                or aid not in quotes:
            return False
        if occurrences is None:
            norm = anchoring.normalize(text).text
            occurrences = anchoring.Occurrences(norm, indexed=len(new) * len(norm) > anchoring.INDEX_FROM)
            starts = occurrences.kept_starts()
        q = quotes[aid]
        needle, prefix, suffix = (anchoring.normalize_str(s).strip() for s in (q.exact, q.prefix, q.suffix))
        if resolve(occurrences.text, needle, prefix, suffix, former, starts) != Resolution(
                EXACT, former.start, former.start + len(former.exact)):
            return False
    return True


def updated(state: State, annotations: dict[str, tuple[Annotation, ...]],
            anchors: dict[str, tuple[Anchored, ...]], accept: frozenset[tuple[str, str]] = frozenset(),
            memo: dict | None = None) -> State:
    """The state after a build: ``exact`` anchorings (and the ``accept``-ed (slug, id) pairs) get
    fresh records, drifted ones keep theirs, and records of annotations that are gone are dropped.

    ``annotations`` and ``anchors`` are by document slug; an accepted annotation's selector
    hash is that of its quote in ``annotations`` (so rewrite the quote there first).

    ``memo`` (a long-lived process's): slug -> (annotations, anchors, former records,
    records), reused while all three are the same objects (and nothing is accepted).
    """
    out: State = {}
    fresh: dict = {}
    for slug, anns in annotations.items():
        mine = anchors.get(slug, ())
        old = state.get(slug, _NO_RECORDS)
        hit = memo.get(slug) if memo is not None and not accept else None
        if hit is not None and hit[0] is anns and hit[1] is mine and hit[2] is old:
            fresh[slug] = hit
            if hit[3]:
                out[slug] = hit[3]
            continue
        by_id = {x.id: x for x in mine}
        records: dict[str, Entry] = {}
        for a in anns:
            x = by_id.get(a.id)
            if x is not None and x.record is not None and (x.state == EXACT or (slug, a.id) in accept):
                records[a.id] = Entry(selector_hash(a.quote), x.record)
            elif a.id in old:
                records[a.id] = old[a.id]
        fresh[slug] = (anns, mine, old, records)
        if records:
            out[slug] = records
    if memo is not None and not accept:
        memo.clear()
        memo.update(fresh)
    return out


def dumps(state: State) -> str:
    docs = {
        slug: {aid: {"selector": e.selector, "start": e.former.start, "length": e.former.length,
                     "prefix": e.former.prefix, "exact": e.former.exact, "suffix": e.former.suffix}
               for aid, e in sorted(records.items())}
        for slug, records in sorted(state.items())
    }
    return json.dumps({"about": ABOUT, "version": VERSION, "documents": docs}, indent=1, ensure_ascii=False,
                      sort_keys=False) + "\n"


def save(root: Path, state: State) -> bool:
    """Write the state file atomically if it changed; True if written.  An empty state
    and no file leave nothing behind."""
    path = path_of(root)
    data = dumps(state)
    try:
        if path.read_text(encoding="utf-8") == data:
            return False
    except FileNotFoundError:
        if not state:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    atomicfile.write_text(path, data)
    return True
