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

from . import atomicfile
from .diagnostics import Diagnostics, Pos
from .model import Annotation, Quote
from .reanchor import EXACT, Anchored, Former

FILE_NAME = "anchors.lock.json"
VERSION = 1
ABOUT = ("The last good anchoring of each annotation, written by site-builder build and anchors --update. "
         "Commit it with the content; do not edit it by hand.")


class Entry(NamedTuple):
    selector: str  # hash of the quote selector the record belongs to
    former: Former


State = dict[str, dict[str, Entry]]  # document slug -> annotation id -> entry


@functools.lru_cache(maxsize=1 << 17)  # every build hashes every exact anchoring; most quotes are unchanged
def selector_hash(quote: Quote) -> str:
    data = json.dumps([quote.exact, quote.prefix, quote.suffix], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def path_of(root: Path) -> Path:
    return root / FILE_NAME


def load(root: Path, diags: Diagnostics | None = None) -> State:
    """Read the state file; a missing or unreadable one gives no records (with a warning if broken)."""
    path = path_of(root)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        if diags is not None:
            diags.warning("anchor-state", Pos(FILE_NAME), f"cannot read {FILE_NAME}: {exc}; anchoring starts afresh")
        return {}
    try:
        data = json.loads(raw)
        state: State = {}
        for slug, records in data["documents"].items():
            state[slug] = {
                aid: Entry(str(r["selector"]), Former(str(r["exact"]), str(r["prefix"]), str(r["suffix"]),
                                                      int(r["start"]), int(r["length"])))
                for aid, r in records.items()
            }
        return state
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if diags is not None:
            diags.warning("anchor-state", Pos(FILE_NAME),
                          f"{FILE_NAME} is not a valid anchor state file ({exc}); anchoring starts afresh",
                          "delete it; the next build writes a new one")
        return {}


def formers(state: State, slug: str, annotations: tuple[Annotation, ...]) -> dict[str, Former]:
    """The records that still apply to ``annotations`` (their selectors are unchanged)."""
    records = state.get(slug)
    if not records:
        return {}
    out = {}
    for a in annotations:
        entry = records.get(a.id)
        if entry is not None and entry.selector == selector_hash(a.quote):
            out[a.id] = entry.former
    return out


def updated(state: State, annotations: dict[str, tuple[Annotation, ...]],
            anchors: dict[str, tuple[Anchored, ...]], accept: frozenset[tuple[str, str]] = frozenset()) -> State:
    """The state after a build: ``exact`` anchorings (and the ``accept``-ed (slug, id) pairs) get
    fresh records, drifted ones keep theirs, and records of annotations that are gone are dropped.

    ``annotations`` and ``anchors`` are by document slug; an accepted annotation's selector
    hash is that of its quote in ``annotations`` (so rewrite the quote there first).
    """
    out: State = {}
    for slug, anns in annotations.items():
        by_id = {x.id: x for x in anchors.get(slug, ())}
        old = state.get(slug, {})
        records: dict[str, Entry] = {}
        for a in anns:
            x = by_id.get(a.id)
            if x is not None and x.record is not None and (x.state == EXACT or (slug, a.id) in accept):
                records[a.id] = Entry(selector_hash(a.quote), x.record)
            elif a.id in old:
                records[a.id] = old[a.id]
        if records:
            out[slug] = records
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
