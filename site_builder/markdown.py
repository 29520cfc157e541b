"""Stage 3: Markdown, through one configured MarkdownIt.

This module knows nothing of the site.  It offers three things:

* :meth:`Markdown.parse` -> tokens plus a *plain-text projection* of the text
  as rendered, with a segment map from projection offsets back to tokens (a
  core rule named ``briefing_projection`` builds it, after ``text_join``);
* :func:`apply_marks` -> inserts highlight and mention tokens at projection
  offsets, splitting text tokens so the HTML stays well nested (a whole
  mention that no highlight edge cuts is one ``mention`` token);
* :meth:`Markdown.render_blocks` -> HTML per top-level block, with the
  annotation notes that belong beside each block.

Links are checked, not silently dropped: an unsafe scheme is reported with its
position.  Raw HTML is escaped unless the site opted in.
"""

from __future__ import annotations

import functools
import heapq
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from . import alignmarks, plainbody
from .alignmarks import BodyLayout
from .markdownlinks import SAFE_LINK_SCHEMES, LinkProblem, LinkRef, check_link, find_links  # noqa: F401 (re-exported)
from .markdownlinks import find_link_problems as _find_link_problems

BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of projection text [start, end) produced by one inline child token."""

    start: int
    end: int
    block: int  # index of the inline token in the token stream
    child: int  # index in that inline token's children
    kind: str  # "text", "code" or "break"
    linkable: bool  # may hold entity mentions (not in links, code or headings)


@dataclass
class Projection:
    text: str = ""
    segments: list[Segment] = field(default_factory=list)

    def linkable_runs(self):
        """(start, text) of each run where mentions may be linked.

        A run is a linkable text segment, joined with the segments that follow
        it as long as they are its next siblings and only text or line breaks:
        so a name wrapped onto the next source line ("Communist Party⏎of
        China") is still one mention, while formatting, links and code end a run.
        """
        t = self.text
        start = end = -1
        last: Segment | None = None
        for s in self.segments:
            if (last is not None and (s.linkable or s.kind == "break") and s.block == last.block
                    and s.child == last.child + 1 and s.start == last.end):
                end, last = s.end, s
                continue
            if last is not None:
                yield start, t[start:end]
                last = None
            if s.linkable:
                start, end, last = s.start, s.end, s
        if last is not None:
            yield start, t[start:end]


@dataclass(frozen=True, slots=True)
class MarkSpan:
    """An annotation highlight over projection offsets [start, end)."""

    start: int
    end: int
    id: str
    kind: str
    number: int


@dataclass(frozen=True, slots=True)
class MentionSpan:
    """An entity mention over projection offsets, inside one text segment."""

    start: int
    end: int
    entity: str
    anchor: str
    href: str


@dataclass(frozen=True, slots=True)
class Block:
    html: str
    notes: tuple[str, ...]  # annotation ids whose span ends in this block


@dataclass
class Parsed:
    tokens: list[Token]
    projection: Projection
    link_problems: list[LinkProblem]
    links: list[LinkRef] = field(default_factory=list)
    layout: BodyLayout = field(default_factory=BodyLayout)  # top-level blocks and alignment markers


def _highlight(code: str, lang: str, _attrs) -> str:
    name = (lang or "").strip().split()[0] if lang and lang.strip() else ""
    if not name:
        return ""
    try:
        lexer = get_lexer_by_name(name)
    except ClassNotFound:
        return ""
    body = pygments_highlight(code, lexer, HtmlFormatter(nowrap=True))
    return f'<pre class="highlight"><code class="language-{escapeHtml(name)}">{body}</code></pre>\n'


def _projection_rule(state) -> None:
    """Core rule: build the plain-text projection of the rendered text."""
    parts: list[str] = []
    segments: list[Segment] = []
    offset = 0
    heading_depth = 0
    first_block = True
    for bi, tok in enumerate(state.tokens):
        if tok.type == "heading_open":
            heading_depth += 1
        elif tok.type == "heading_close":
            heading_depth -= 1
        if tok.type != "inline":
            continue
        if not first_block:
            parts.append(BLOCK_SEPARATOR)
            offset += len(BLOCK_SEPARATOR)
        first_block = False
        link_depth = 0
        for ci, child in enumerate(tok.children or ()):
            t = child.type
            if t == "link_open":
                link_depth += 1
                continue
            if t == "link_close":
                link_depth -= 1
                continue
            if t in ("text", "text_special"):
                content, kind = child.content, "text"
            elif t == "code_inline":
                content, kind = child.content, "code"
            elif t in ("softbreak", "hardbreak"):
                content, kind = "\n", "break"
            else:
                continue  # images, raw HTML, emphasis markers carry no text
            if not content:
                continue
            parts.append(content)
            linkable = kind == "text" and link_depth == 0 and heading_depth == 0
            segments.append(Segment(offset, offset + len(content), bi, ci, kind, linkable))
            offset += len(content)
    state.env["projection"] = Projection("".join(parts), segments)


BODY_MEMO = 4096  # distinct annotation bodies kept rendered (render_with_links)


class Markdown:
    """The one configured MarkdownIt of a build."""

    def __init__(self, allow_html: bool = False):
        md = MarkdownIt("commonmark", {"html": allow_html, "typographer": False, "highlight": _highlight})
        md.enable(["table", "strikethrough"])
        md.use(footnote_plugin).use(deflist_plugin).use(alignmarks.plugin)
        # Every link stays a link token so check_link can report it with its
        # position; the render rules below still never emit an unsafe URL.
        md.validateLink = lambda url: True
        md.add_render_rule("link_open", _render_safe_url("href"))
        md.add_render_rule("image", _render_safe_url("src"))
        md.core.ruler.after("text_join", "briefing_projection", _projection_rule)
        md.add_render_rule("hl_open", _render_hl_open)
        md.add_render_rule("hl_close", lambda self, tokens, idx, options, env: "</mark>")
        md.add_render_rule("mention_open", _render_mention_open)
        md.add_render_rule("mention_close", lambda self, tokens, idx, options, env: "</a>")
        md.add_render_rule("mention", _render_mention)
        md.add_render_rule("hl_anchor", _render_hl_anchor)
        md.add_render_rule("ann_ref", _render_ann_ref)
        md.add_render_rule("heading_anchor", _render_heading_anchor)
        md.add_render_rule("table_open", lambda self, tokens, idx, options, env: '<div class="table-wrap"><table>\n')
        md.add_render_rule("table_close", lambda self, tokens, idx, options, env: "</table></div>\n")
        self.md = md
        self._bodies: dict[str, tuple[str, tuple[LinkProblem, ...], tuple[LinkRef, ...]]] = {}

    def parse(self, source: str, body: bool = True) -> Parsed:
        """Parse Markdown; in a document ``body``, ``{align: …}`` lines are alignment markers,
        elsewhere (the overview, a description) they are text like any other."""
        env: dict = {alignmarks.ENV_KEY: True} if body else {}
        tokens = self.md.parse(source, env)
        layout = env.get(alignmarks.ENV_KEY)
        return Parsed(tokens, env["projection"], _find_link_problems(tokens, source), find_links(tokens, source),
                      layout if isinstance(layout, BodyLayout) else BodyLayout())

    def render_blocks(self, tokens: list[Token], note_blocks: dict[int, list[str]] | None = None) -> list[Block]:
        """Render top-level blocks; ``note_blocks`` maps an inline token index to annotation ids."""
        note_blocks = note_blocks or {}
        _heading_ids(tokens)
        blocks: list[Block] = []
        start = 0
        depth = 0
        for i, tok in enumerate(tokens):
            if depth == 0 and tok.nesting == 1:
                # Each top-level block takes the direction of its own text (an Arabic paragraph
                # in an English document is laid out right to left).
                tok.attrSet("dir", "auto")
            depth += tok.nesting
            if depth == 0:
                group = tokens[start:i + 1]
                notes: list[str] = []
                for j in range(start, i + 1):
                    notes.extend(note_blocks.get(j, ()))
                blocks.append(Block(self.md.renderer.render(group, self.md.options, {}), tuple(notes)))
                start = i + 1
        return blocks

    def render(self, source: str) -> str:
        """Render plain Markdown (annotation bodies, descriptions) to HTML."""
        return self.md.render(source)

    def render_checked(self, source: str) -> tuple[str, list[LinkProblem]]:
        """Render Markdown and report its unsafe links, from one parse."""
        tokens = self.md.parse(source, {})
        # Check before rendering: the render rules replace unsafe URLs with '#' in place.
        problems = _find_link_problems(tokens, source)
        return self.md.renderer.render(tokens, self.md.options, {}), problems

    def render_with_links(self, source: str) -> tuple[str, list[LinkProblem], list[LinkRef]]:
        """Render Markdown; report its unsafe links and list every link, from one parse.

        Kept by source text (annotation bodies repeat across a briefing: a
        standard caveat, a recurring source note), so each distinct body is
        parsed once per process; positions are relative to the source text.
        """
        hit = self._bodies.get(source)
        if hit is None and (plain := plainbody.render(source)) is not None:
            hit = (plain, (), ())  # one simple paragraph: no links (plainbody.py)
        elif hit is None:
            tokens = self.md.parse(source, {})
            problems = _find_link_problems(tokens, source)
            links = find_links(tokens, source)
            hit = (self.md.renderer.render(tokens, self.md.options, {}), tuple(problems), tuple(links))
            if len(self._bodies) >= BODY_MEMO:
                self._bodies.clear()
            self._bodies[source] = hit
        return hit[0], list(hit[1]), list(hit[2])

    def links(self, source: str) -> list[LinkRef]:
        return find_links(self.md.parse(source, {}), source)

    def render_inline(self, source: str) -> str:
        return self.md.renderInline(source)

    def link_problems(self, source: str) -> list[LinkProblem]:
        return _find_link_problems(self.md.parse(source, {}), source)


# ---------------------------------------------------------------- marks

def apply_marks(parsed: Parsed, marks: list[MarkSpan], mentions: list[MentionSpan]) -> dict[int, list[str]]:
    """Split text tokens at mark and mention boundaries and insert mark tokens.

    Highlights wrap text leaves only, so overlapping and nested annotations and
    spans that cross emphasis or links always give valid HTML.  Returns, per
    inline token index, the annotation ids whose span ends there (their notes
    go beside that block).
    """
    tokens = parsed.tokens
    segs = parsed.projection.segments
    by_block: dict[int, list[Segment]] = {}
    for s in segs:
        by_block.setdefault(s.block, []).append(s)
    notes: dict[int, list[str]] = {}
    # The last segment each annotation covers receives its reference marker.
    end_seg: dict[str, Segment] = {}
    seg_ends = [s.end for s in segs]  # in order: the segments follow each other
    for m in marks:
        last = None
        for s in _segments_overlapping(segs, bisect_right(seg_ends, m.start), m.start, m.end):
            if s.kind != "break":
                last = s
        if last is not None:
            end_seg[m.id] = last
            notes.setdefault(last.block, []).append(m.id)
    refs_at: dict[tuple[int, int], list[MarkSpan]] = {}
    for m in marks:
        s = end_seg.get(m.id)
        if s is not None:
            refs_at.setdefault((s.block, s.child), []).append(m)
    started: set[str] = set()
    # The marks and mentions over each leaf, found as the leaves come in order.
    active_marks = _Overlapping(marks)
    active_mentions = _Overlapping(sorted(mentions, key=lambda x: x.start))
    for bi, block_segs in by_block.items():
        inline = tokens[bi]
        children = inline.children or []
        seg_by_child = {s.child: s for s in block_segs}
        out: list[Token] = []
        pending_refs: list[MarkSpan] = []
        open_mention: list[MentionSpan | None] = [None]  # a mention that continues past a line break
        link_depth = 0
        for ci, child in enumerate(children):
            if child.type == "link_open":
                link_depth += 1
            elif child.type == "link_close":
                link_depth -= 1
            seg = seg_by_child.get(ci)
            ending = refs_at.get((bi, ci), []) if seg is not None else []
            if seg is None or seg.kind == "break":
                out.append(child)
                pending_refs.extend(ending)
            else:
                # Each number goes right after the words its annotation ends on; a number that
                # cannot go there (inside a link or a mention) waits for the link to close.
                pieces, late = _split_leaf(child, seg, active_marks.over(seg.start, seg.end),
                                           active_mentions.over(seg.start, seg.end) if seg.linkable else [],
                                           started, open_mention,
                                           ending if link_depth == 0 else [])
                out.extend(pieces)
                pending_refs.extend(late if link_depth == 0 else ending)
            # A reference number is a link: never inside a link or an open mention.
            if pending_refs and link_depth == 0 and open_mention[0] is None:
                for m in sorted(pending_refs, key=lambda m: m.number):
                    out.append(_token("ann_ref", meta={"id": m.id, "number": m.number, "kind": m.kind}))
                pending_refs = []
        if open_mention[0] is not None:  # pragma: no cover - runs never outlast their inline token
            out.append(_token("mention_close"))
        for m in pending_refs:
            out.append(_token("ann_ref", meta={"id": m.id, "number": m.number, "kind": m.kind}))
        inline.children = out
    return notes


def _segments_overlapping(segs: list[Segment], first: int, start: int, end: int):
    """The segments over [start, end); ``first`` is the first segment that ends after ``start``."""
    for i in range(first, len(segs)):
        s = segs[i]
        if s.start >= end:
            break
        yield s


class _Overlapping:
    """The spans of a list that overlap each of a series of ranges, in list order.

    The ranges must come in order (neither end ever goes back, as the leaves of a
    document do), so each span is added and dropped once: linear in the spans plus
    the answers, however many leaves and spans a document has.
    """

    def __init__(self, spans: list) -> None:
        self.spans = spans
        self.by_start = sorted(range(len(spans)), key=lambda i: spans[i].start)
        self.next = 0  # in by_start: the first span not yet added
        self.live: list[tuple[int, int]] = []  # a heap of (end, index) of the spans added and not dropped

    def over(self, start: int, end: int) -> list:
        """The spans with ``span.start < end`` and ``span.end > start``, in list order."""
        spans, by_start, live = self.spans, self.by_start, self.live
        while self.next < len(by_start) and spans[by_start[self.next]].start < end:
            i = by_start[self.next]
            heapq.heappush(live, (spans[i].end, i))
            self.next += 1
        while live and live[0][0] <= start:
            heapq.heappop(live)
        if not live:
            return []
        return [spans[i] for i in sorted(i for _, i in live)]


_new_token = Token.__new__


def _token(type_: str, content: str = "", meta: dict | None = None, tag: str = "", nesting: int = 0,
           markup: str = "") -> Token:
    """A Token with every field set as ``Token(type_, tag, nesting)`` sets it, then ``content``,
    ``meta`` and ``markup``; without the dataclass's ``__init__`` and ``__post_init__``, which cost
    three times as much (apply_marks makes tokens for every mention and several for every highlight)."""
    t = _new_token(Token)
    t.type = type_
    t.tag = tag
    t.nesting = nesting  # type: ignore[assignment]
    t.attrs = {}
    t.map = None
    t.level = 0
    t.children = None
    t.content = content
    t.markup = markup
    t.info = ""
    t.meta = meta or {}
    t.block = False
    t.hidden = False
    return t


def _split_leaf(child: Token, seg: Segment, marks: list[MarkSpan], mentions: list[MentionSpan],
                started: set[str], state: list, ending: list[MarkSpan]) -> tuple[list[Token], list[MarkSpan]]:
    """Split one text leaf at mark and mention boundaries.

    ``state[0]`` carries a mention that began in an earlier leaf of the same run
    (across a line break) into this one, and out again if it goes on.
    ``ending`` are the annotations whose last piece is in this leaf: each one's
    reference number is put right after that piece (after the mention it ends
    in, if any).  ``marks`` and ``mentions`` are those over this leaf, in order.
    Returns the tokens and the numbers that could not be placed.
    """
    active_marks, active_mentions = marks, mentions
    if not active_marks and not active_mentions:
        return [child], list(ending)
    if not active_marks and state[0] is None:  # no highlight here (so no number ends here either)
        pieces = _mentions_only(child, seg, active_mentions)
        if pieces is not None:
            return pieces, []
    waiting = sorted(ending, key=lambda m: (min(m.end, seg.end), m.number))
    cuts = {seg.start, seg.end}
    for m in active_marks:
        cuts.update(x for x in (m.start, m.end) if seg.start < x < seg.end)
    for m in active_mentions:
        cuts.update(x for x in (m.start, m.end) if seg.start < x < seg.end)
    points = sorted(cuts)
    out: list[Token] = []
    content = child.content
    open_mention: MentionSpan | None = state[0]
    mention_at: dict[int, MentionSpan] = {}  # the first mention starting at each offset
    for mn in active_mentions:
        mention_at.setdefault(mn.start, mn)
    pairs = list(zip(points, points[1:]))
    # Past the last highlight's end nothing is highlighted: once no mention is open and no number
    # waits there, the rest of the leaf is text and mentions only (the same tokens, made faster).
    last_mark = max((m.end for m in active_marks), default=seg.end)
    tail = len(pairs) if last_mark >= seg.end else points.index(last_mark)
    i = 0
    while i < len(pairs):
        if i == tail and open_mention is None and not waiting:
            rest = _mentions_only(child, seg, [mn for mn in active_mentions if mn.end > last_mark], last_mark)
            if rest is not None:
                out.extend(rest)
                break
        a, b = pairs[i]
        i += 1
        if open_mention is not None and a >= open_mention.end:
            out.append(_token("mention_close"))
            open_mention = None
        covering = [m for m in active_marks if m.start <= a and m.end >= b]
        if open_mention is None:
            mn = mention_at.get(a)
            if mn is not None and mn.end == b and not covering and child.type == "text":
                # A whole mention in one piece, not highlighted: one token (the same HTML as open, text, close).
                _whole_mention(out, mn, content[a - seg.start:b - seg.start])
                while waiting and min(waiting[0].end, seg.end) <= b:
                    m = waiting.pop(0)
                    out.append(_token("ann_ref", meta={"id": m.id, "number": m.number, "kind": m.kind}))
                continue
            if mn is not None:
                open_mention = mn
                out.append(_token("mention_open", meta={"href": mn.href, "anchor": mn.anchor, "entity": mn.entity}))
        for m in covering:
            if m.id not in started:
                started.add(m.id)
                out.append(_token("hl_anchor", meta={"id": m.id}))
        piece = _token(child.type, content[a - seg.start:b - seg.start], None, child.tag, child.nesting, child.markup)
        if covering:
            out.append(_token("hl_open", meta={"ids": [m.id for m in covering], "kinds": [m.kind for m in covering]}))
            out.append(piece)
            out.append(_token("hl_close"))
        else:
            out.append(piece)
        if open_mention is not None and open_mention.end <= b:
            out.append(_token("mention_close"))
            open_mention = None
        if open_mention is None:
            while waiting and min(waiting[0].end, seg.end) <= b:
                m = waiting.pop(0)
                out.append(_token("ann_ref", meta={"id": m.id, "number": m.number, "kind": m.kind}))
    state[0] = open_mention
    return out, waiting


def _whole_mention(out: list[Token], mn: MentionSpan, text: str) -> None:
    """A whole mention link whose text is one unhighlighted piece, as one ``mention`` token (rendered as
    ``mention_open``, that text and ``mention_close`` would be: :func:`_render_mention`)."""
    out.append(_token("mention", text, {"href": mn.href, "anchor": mn.anchor, "entity": mn.entity}))


def _mentions_only(child: Token, seg: Segment, mentions: list[MentionSpan], at: int | None = None) -> list[Token] | None:
    """:func:`_split_leaf` for a leaf (from ``at`` on) with mentions and no highlight, when each
    mention lies inside that part (else None): text, then each mention as one ``mention`` token; the
    same tokens as the general loop makes, without looking for highlights at every cut."""
    start, end = seg.start, seg.end
    content, kind, tag, nesting, markup = child.content, child.type, child.tag, child.nesting, child.markup
    if kind != "text":  # pragma: no cover - text_join leaves only text leaves; the general loop handles others
        return None
    out: list[Token] = []
    at = start if at is None else at
    for mn in mentions:
        if mn.start < at or mn.end > end:
            return None  # one begins in an earlier leaf or goes on past this one
        if mn.start > at:
            out.append(_token(kind, content[at - start:mn.start - start], None, tag, nesting, markup))
        _whole_mention(out, mn, content[mn.start - start:mn.end - start])
        at = mn.end
    if at < end:
        out.append(_token(kind, content[at - start:], None, tag, nesting, markup))
    return out


_SLUG_DROP_RE = re.compile(r"[^\w\u3400-\u9fff]+")


def _heading_ids(tokens: list[Token]) -> None:
    """Give each h2-h4 an id (``sec-<slug>``, unique in the document) and a link to itself.

    The ``sec-`` prefix keeps them apart from the ids of highlights, notes and mentions.
    """
    seen: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open" or tok.tag not in ("h2", "h3", "h4") or tok.attrGet("id"):
            continue
        inline = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1].type == "inline" else None
        text = "".join(c.content for c in (inline.children or []) if c.type in ("text", "code_inline")) if inline else ""
        base = "sec-" + (_SLUG_DROP_RE.sub("-", text.casefold()).strip("-_")[:60] or "section")
        slug, n = base, 2
        while slug in seen:
            slug, n = f"{base}-{n}", n + 1
        seen.add(slug)
        tok.attrSet("id", slug)
        if inline is not None:
            inline.children = (inline.children or []) + [_token("heading_anchor", meta={"id": slug})]


def _render_heading_anchor(self, tokens, idx, options, env) -> str:
    hid = escapeHtml(tokens[idx].meta["id"])
    return f' <a class="heading-anchor" href="#{hid}" aria-label="Link to this section">#</a>'


def _render_safe_url(attr: str):
    def rule(self, tokens, idx, options, env):
        tok = tokens[idx]
        url = tok.attrGet(attr)
        if isinstance(url, str) and check_link(url):
            tok.attrSet(attr, "#")
        if tok.type == "image":
            return self.image(tokens, idx, options, env)
        return self.renderToken(tokens, idx, options, env)
    return rule


def _render_hl_open(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    kinds = meta["kinds"]
    cls = f"hl hl-{kinds[-1]}" + (" hl-multi" if len(kinds) > 1 else "")
    return f'<mark class="{cls}" data-ann="{escapeHtml(" ".join(meta["ids"]))}">'


def _render_hl_anchor(self, tokens, idx, options, env) -> str:
    return f'<span class="hl-anchor" id="hl-{escapeHtml(tokens[idx].meta["id"])}"></span>'


def _render_mention_open(self, tokens, idx, options, env) -> str:
    m = tokens[idx].meta
    # No data-entity: the href names the entity's page, and the reader derives the entity from it.
    return f'<a class="mention" id="{escapeHtml(m["anchor"])}" href="{escapeHtml(m["href"])}">'


@functools.lru_cache(maxsize=4096)
def _escaped_href(href: str) -> str:
    return escapeHtml(href)  # a document's mentions of one entity share its href


def _render_mention(self, tokens, idx, options, env) -> str:
    """A whole mention link from one token: ``mention_open``, the text as the ``text`` rule renders it, ``mention_close``."""
    tok = tokens[idx]
    m = tok.meta
    return (f'<a class="mention" id="{escapeHtml(m["anchor"])}" href="{_escaped_href(m["href"])}">'
            f'{escapeHtml(tok.content)}</a>')


def _render_ann_ref(self, tokens, idx, options, env) -> str:
    m = tokens[idx].meta
    aid = escapeHtml(m["id"])
    return (f'<sup class="ann-ref ann-ref-{escapeHtml(m["kind"])}" id="ref-{aid}">'
            f'<a href="#ann-{aid}" aria-label="Annotation {m["number"]}">{m["number"]}</a></sup>')
