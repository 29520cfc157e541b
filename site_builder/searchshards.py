"""The search index in shards that the reader loads on demand (``assets/search-index.js``, ``assets/search/``).

A query needs the postings of its words and the text of the records it
ranks and shows, not the whole index, so the index is cut two ways:

* **Units.** The records are grouped into units: the overview (``o``), each
  document with its annotations (``d-<slug>``), and the glossary entries by
  the first character of their id (``e-<c>``).  A unit's *text shard*
  (``assets/search/<unit>.js``) holds its records as the results list needs
  them: kind, label, title, URL, plain text (for snippets) and languages.
* **Groups.** Units fall into ``G`` groups by a hash of their name (``G`` a
  power of two, about :data:`UNITS_PER_GROUP` units per group).  A group's
  *meta shard* (``assets/search/g<i>.js``) lists its units and the length of
  each record (for BM25); its *postings shards* (``assets/search/g<i>-<key>.js``)
  hold its postings by the first letter of the term.  A key whose postings
  pass :data:`MAX_SHARD_BYTES` is split by the next letter (up to
  :data:`MAX_KEY_DEPTH` letters).  Letters outside a-z and 0-9 (CJK, Greek,
  Cyrillic, ...) are keyed by their UTF-16 code unit modulo 32 (``~`` and one
  base-32 digit), so a key is never wider than one letter of the term.

The *manifest* (``assets/search-index.js``, ``window.SB_SEARCH``) is small and
loaded on first use: the number of records and their total length, each
group's record count and shard keys with a digest of each shard (added to
the shard's address as ``?v=``, so a cached old shard is never mixed with a
new manifest), and each entity's name and aliases.  ``search.js`` loads the
meta and postings shards of every group for the keys a query's words can
reach (their prefix, and for typo tolerance their first letter), then the
text shards of the records it ranks and shows.  Every shard registers itself
in ``window.SB_SEARCH_SHARDS``, by a ``<script>`` element, never fetched, so
all of this works from ``file://``.

Each unit's records and postings are cached under a key of its inputs (a
document's analysis token), and each group's files under the keys of its
units, so an edit to one document recomputes one unit and one group.
"""

from __future__ import annotations

import hashlib
import json
import operator
import sys
from collections import Counter, defaultdict
from typing import Callable, NamedTuple

from . import search, urls, views
from .markdown import Markdown
from .model import Content
from .urls import OutPath
from .xref import DocumentAnalysis

INDEX_VERSION = 3
UNITS_PER_GROUP = 256  # units (mostly documents) per group, at most on average
MAX_SHARD_BYTES = 160_000  # a postings shard over this is split by the next letter of its terms
MAX_KEY_DEPTH = 3
SHARDS_DIR = urls.SEARCH_SHARDS_DIR
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_B32 = "0123456789abcdefghijklmnopqrstuv"


class UnitIndex(NamedTuple):
    """One unit's part of the index: its text shard, record lengths, postings and entity names."""

    name: str
    text: bytes
    lengths: tuple[int, ...]
    # term -> (record in the unit, weight, record, weight, ...): flat, and the terms interned, since a
    # long-lived process (and the build cache) keeps every unit's postings (docs/performance.md).
    postings: dict[str, tuple[int, ...]]
    names: tuple[tuple[str, int, tuple[str, ...]], ...]  # (entity id, record in the unit, name and aliases)
    langs: frozenset[str]  # primary language subtags of the records' titles


class GroupMeta(NamedTuple):
    """What the manifest needs of a group."""

    count: int
    total: int  # the sum of its record lengths
    meta_hash: str
    keys: tuple[tuple[str, str], ...]  # (shard key, digest), sorted
    names: tuple[tuple[str, int, tuple[str, ...]], ...]  # (entity id, record in the group, names)
    langs: frozenset[str]


def _register(name: str, data) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'(window.SB_SEARCH_SHARDS=window.SB_SEARCH_SHARDS||{{}})["{name}"]={payload};\n'.encode("utf-8")


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=5).hexdigest()


def shard_path(name: str) -> OutPath:
    return OutPath(f"{SHARDS_DIR}{name}.js")


def unit_index(name: str, recs: list[search.Record]) -> UnitIndex:
    """Tokenise a unit's records: their lengths, postings (term -> record, weight) and text shard."""
    lengths = []
    postings: dict[str, list[int]] = {}
    for i, r in enumerate(recs):
        body = search.tokenize(search.fold(r.text))
        title = search.tokenize(search.fold(r.title))
        weights = Counter(body)
        for t in title:
            weights[t] += search.TITLE_WEIGHT
        lengths.append(len(body) + len(title))
        for t, w in weights.items():
            postings.setdefault(t, []).extend((i, w))
    text = _register(name, {"r": [[r.kind, r.label, r.title, r.url, r.text, r.lang, r.text_lang or r.lang]
                                  for r in recs]})
    names = tuple((r.url[len("glossary/"):-len(".html")], i, r.names) for i, r in enumerate(recs) if r.names)
    langs = frozenset(r.lang.split("-")[0] for r in recs if r.lang)
    return UnitIndex(name, text, tuple(lengths), {sys.intern(t): tuple(v) for t, v in postings.items()}, names, langs)


def _code_units(term: str) -> list[int]:
    raw = term.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]


def _key_unit(unit: int) -> str:
    c = chr(unit)
    return c if c in _PLAIN else "~" + _B32[unit % 32]


def term_key(term: str, depth: int) -> str:
    """The shard key of ``term`` at ``depth`` letters (``keyOf`` in search.js)."""
    return "".join(_key_unit(u) for u in _code_units(term)[:depth])


def _row(entries: list[tuple[int, int]]) -> list[int]:
    row, prev = [], 0
    for rec, w in entries:  # ascending records, delta-encoded
        row.extend((rec - prev, w))
        prev = rec
    return row


def _partition(postings: dict[str, list[int]], sizes: dict[str, int]) -> dict[str, list[str]]:
    """Shard key -> its terms: by first letter, a key over the size bound split by the next letter."""
    out: dict[str, list[str]] = {}
    todo = [(1, list(postings))]
    while todo:
        depth, terms = todo.pop()
        by_key: dict[str, list[str]] = defaultdict(list)
        for t in terms:
            by_key[term_key(t, depth)].append(t)
        for key, members in by_key.items():
            size = sum(sizes[t] for t in members)
            longer = [t for t in members if len(_code_units(t)) > depth]
            if size > MAX_SHARD_BYTES and depth < MAX_KEY_DEPTH and longer:
                kept = [t for t in members if len(_code_units(t)) <= depth]
                if kept:
                    out.setdefault(key, []).extend(kept)
                todo.append((depth + 1, longer))
            else:
                out.setdefault(key, []).extend(members)
    return out


def _utf16_key(term: str) -> bytes:
    return term.encode("utf-16-be", "surrogatepass")  # JavaScript compares strings by UTF-16 code units


def group_files(index: int, units: list[UnitIndex]) -> tuple[dict[OutPath, bytes], GroupMeta]:
    """A group's files (its units' text shards, meta shard and postings shards) and what the manifest needs."""
    files: dict[OutPath, bytes] = {}
    merged: dict[str, list[tuple[int, int]]] = defaultdict(list)
    lengths: list[int] = []
    unit_rows = []
    names = []
    for u in units:
        base = len(lengths)
        files[shard_path(u.name)] = u.text
        unit_rows.append([u.name, _hash(u.text), len(u.lengths)])
        lengths.extend(u.lengths)
        for term, flat in u.postings.items():
            entries = iter(flat)
            merged[term].extend((base + rec, w) for rec, w in zip(entries, entries))
        names.extend((eid, base + rec, n) for eid, rec, n in u.names)
    rows = {t: _row(v) for t, v in merged.items()}
    sizes = {t: len(t.encode("utf-8")) + 6 + sum(len(str(x)) + 1 for x in row) for t, row in rows.items()}
    keys = []
    for key, terms in sorted(_partition(rows, sizes).items()):
        terms.sort(key=_utf16_key)
        name = f"g{index}-{key}"
        data = _register(name, {"t": terms, "p": [rows[t] for t in terms]})
        files[shard_path(name)] = data
        keys.append((key, _hash(data)))
    meta = _register(f"g{index}", {"u": unit_rows, "n": lengths})
    files[shard_path(f"g{index}")] = meta
    langs = frozenset().union(*(u.langs for u in units)) if units else frozenset()
    return files, GroupMeta(len(lengths), sum(lengths), _hash(meta), tuple(keys), tuple(names), langs)


def manifest(groups: list[GroupMeta], first_lang: str) -> bytes:
    """``assets/search-index.js``: what the reader needs before it knows which shards a query needs."""
    names = sorted((eid, g, rec, n) for g, meta in enumerate(groups) for eid, rec, n in meta.names)
    langs = frozenset().union(*(m.langs for m in groups)) if groups else frozenset()
    data = {
        "v": INDEX_VERSION,
        "n": sum(m.count for m in groups),
        "L": sum(m.total for m in groups),
        # Per group: record count, meta shard digest, {postings shard key: digest}.
        "g": [[m.count, m.meta_hash, dict(m.keys)] for m in groups],
        # Names and aliases: [[group, record in the group, name, alias, ...], ...] (search.js compares them normalised).
        "a": [[g, rec, *n] for _, g, rec, n in names],
        # Whether the records' titles are in more than one language (each result then names its language).
        "m": bool(langs - {first_lang.split("-")[0]}) if first_lang else len(langs) > 1,
    }
    return search._js_assign("SB_SEARCH", data)


def group_count(units: int) -> int:
    g = 1
    while g * UNITS_PER_GROUP < units:
        g *= 2
    return g


def group_of(name: str, groups: int) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big") % groups


class Transient(dict):
    """A memo of units (which hold functions) that the build cache on disk stores empty."""

    def __reduce__(self):
        return (Transient, ())


class Unit(NamedTuple):
    name: str
    key: str  # digest of everything ``make`` reads
    make: Callable[[], list[search.Record]]


def units(content: Content, analyses: list[DocumentAnalysis], doc_keys: list[str] | None = None,
          digest: Callable[..., str] | None = None, memo: dict | None = None) -> list[Unit]:
    """Every unit in order (overview, documents, entity letters), each with the key of its inputs.

    ``doc_keys``: a key per analysis that changes whenever it does (the renderer's
    tokens); without them a document's key digests its records.  ``memo`` (with
    ``doc_keys``; a live server's): each unit is kept with the objects it was made
    from and taken again while they are the same."""
    digest = digest or views.digest
    made: list[Markdown] = []  # one renderer, made by the first unit whose records are made

    def md() -> Markdown:
        if not made:
            made.append(Markdown(allow_html=content.site.allow_raw_html))
        return made[0]

    site_lang = content.site.language
    common = digest(site_lang, content.site.allow_raw_html, INDEX_VERSION)
    out = [Unit("o", digest(common, content.overview), lambda: search.overview_records(content, md()))]
    kept: dict = memo if memo is not None and doc_keys is not None else {}
    made_here: dict = {}
    for i, an in enumerate(analyses):
        key = doc_keys[i] if doc_keys is not None else None
        hit = kept.get(an.doc.slug)
        if hit is not None and hit[0] is an and hit[1] == common and hit[2] == key:
            made_here[an.doc.slug] = hit
            out.append(hit[3])
            continue
        make = (lambda an=an: search.document_records(an, site_lang))
        out.append(Unit(f"d-{an.doc.slug}", digest(common, key) if key is not None else digest(common, make()), make))
        made_here[an.doc.slug] = (an, common, key, out[-1])
    by_letter: dict[str, list] = defaultdict(list)
    for e in sorted(content.entities, key=lambda e: e.id):
        by_letter[e.id[:1]].append(e)
    for letter, ents in sorted(by_letter.items()):
        hit = kept.get(f"e-{letter}")
        if hit is not None and hit[1] == common and len(hit[0]) == len(ents) and all(map(operator.is_, hit[0], ents)):
            made_here[f"e-{letter}"] = hit
            out.append(hit[2])
            continue
        out.append(Unit(f"e-{letter}", digest(common, tuple(ents)),
                        lambda ents=ents: search.entity_records(ents, site_lang, md())))
        made_here[f"e-{letter}"] = (tuple(ents), common, out[-1])
    if kept is memo:
        memo.clear()
        memo.update(made_here)
    return out


class Shards:
    """The sharded index of one build, with a memo a long-lived process keeps between builds.

    ``outputs()`` lists (name, inputs key, make) for each group and for the
    manifest, in the order they must be made; the renderer calls ``make`` only
    for those whose key changed.
    """

    def __init__(self, content: Content, all_units: list[Unit], memo: dict | None = None):
        self.memo = memo if memo is not None else {}
        self.unit_memo: dict[str, tuple[str, UnitIndex]] = self.memo.setdefault("units", {})
        self.group_memo: dict[int, tuple[str, GroupMeta]] = self.memo.setdefault("groups", {})
        self.first_lang = content.site.language
        self.count = group_count(len(all_units))
        members: dict[int, list[Unit]] = defaultdict(list)
        groups: dict[tuple[str, int], int] = self.memo.setdefault("group_of", {})  # (unit, count) -> its group
        for u in all_units:  # units keep their order within a group
            g = groups.get((u.name, self.count))
            if g is None:
                g = groups[(u.name, self.count)] = group_of(u.name, self.count)
            members[g].append(u)
        self.members = [members.get(i, []) for i in range(self.count)]
        keys = self.memo.get("group_keys")  # group -> (its units, key)
        if not isinstance(keys, Transient):
            keys = self.memo["group_keys"] = Transient()
        self.keys = []
        for i, m in enumerate(self.members):
            hit = keys.get(i)
            if hit is None or len(hit[0]) != len(m) or not all(map(operator.is_, hit[0], m)):
                hit = keys[i] = (m, views.digest(INDEX_VERSION, self.count, i, [(u.name, u.key) for u in m]))
            self.keys.append(hit[1])
        if len(self.unit_memo) > len(all_units):  # units whose document is gone (a stale one is never used)
            live = {u.name for u in all_units}
            for name in [n for n in self.unit_memo if n not in live]:
                del self.unit_memo[name]
        for i in [i for i in self.group_memo if i >= self.count]:
            del self.group_memo[i]
        for i in [i for i in keys if i >= self.count]:
            del keys[i]
        if len(groups) > 2 * len(all_units) + 1000:  # names of documents since deleted
            groups.clear()

    def unit(self, u: Unit) -> UnitIndex:
        hit = self.unit_memo.get(u.name)
        if hit is not None and hit[0] == u.key:
            return hit[1]
        made = unit_index(u.name, u.make())
        self.unit_memo[u.name] = (u.key, made)
        return made

    def group(self, i: int) -> dict[OutPath, bytes]:
        files, meta = group_files(i, [self.unit(u) for u in self.members[i]])
        self.group_memo[i] = (self.keys[i], meta)
        return files

    def group_meta(self, i: int) -> GroupMeta:
        hit = self.group_memo.get(i)
        if hit is None or hit[0] != self.keys[i]:
            self.group(i)
        return self.group_memo[i][1]

    def manifest(self) -> dict[OutPath, bytes]:
        return {urls.SEARCH_INDEX_JS: manifest([self.group_meta(i) for i in range(self.count)], self.first_lang)}

    def outputs(self) -> list[tuple[str, str, Callable[[], dict[OutPath, bytes]]]]:
        out: list[tuple[str, str, Callable[[], dict[OutPath, bytes]]]] = [
            (f"search-group-{self.count}-{i}", self.keys[i], (lambda i=i: self.group(i))) for i in range(self.count)]
        out.append(("search-manifest", views.digest(INDEX_VERSION, self.keys), self.manifest))
        return out

    def files(self) -> dict[OutPath, bytes]:
        out: dict[OutPath, bytes] = {}
        for _, _, make in self.outputs():
            out.update(make())
        return out


def site_files(content: Content, analyses: list[DocumentAnalysis], refs=None, env=None) -> dict[OutPath, bytes]:
    """Every reader file: the sharded search index, entity data and the scripts the pages load."""
    files = search.static_scripts(env)
    files.update(Shards(content, units(content, analyses)).files())
    files[urls.ENTITIES_JS] = search.entities_js(content)
    return files
