"""Helpers of the reading-view tests: fragment links of a built site, and layout figures."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit


class FragmentLink(NamedTuple):
    source: str  # page holding the link, relative to the site
    target: str  # page it leads to
    fragment: str  # the id, decoded


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href and "#" in href:
                self.hrefs.append(href)


def _join(page: str, path: str) -> str:
    out: list[str] = []
    for part in (Path(page).parent / path).as_posix().split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            out.pop()
        else:
            out.append(part)
    return "/".join(out)


def fragment_links(site: Path, pages: list[str]) -> list[FragmentLink]:
    """Every distinct (page, target page, #id) link of the site, to a page of the site."""
    found: set[FragmentLink] = set()
    for page in pages:
        parser = _Anchors()
        parser.feed((site / page).read_text(encoding="utf-8"))
        for href in parser.hrefs:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//") or not parts.fragment or parts.fragment.startswith(":~:"):
                continue
            target = _join(page, unquote(parts.path)) if parts.path else page
            if target.endswith(".html"):
                found.add(FragmentLink(page, target, unquote(parts.fragment)))
    return sorted(found)


# The state of the target after a navigation: its box (a highlight's empty start marker is
# measured by the highlight after it), whether it is shown, and, for a note, whether it is open.
TARGET_STATE = """(id) => {
    const t = document.getElementById(id);
    if (!t) return null;
    let r = t.getBoundingClientRect();
    if (!r.height && t.nextElementSibling) r = t.nextElementSibling.getBoundingClientRect();
    const style = getComputedStyle(t);
    const note = t.classList.contains('note');
    const margin = !!t.closest('.notes-margin');
    return {top: r.top, bottom: r.bottom, height: r.height, vh: innerHeight,
            shown: style.display !== 'none' && style.visibility !== 'hidden' && r.height > 0,
            note, open: !note || !margin || t.classList.contains('is-open'),
            scrollable: document.documentElement.scrollHeight - innerHeight - scrollY};
}"""


def landing_problem(state: dict | None) -> str | None:
    """Why a landing is wrong, or None: the target shown, its top in the top third of the window."""
    if state is None:
        return "no such id"
    if not state["shown"]:
        return "target not shown"
    if not state["open"]:
        return "note not opened"
    top, third = state["top"], state["vh"] / 3
    if top < -1 or top > third:
        # A target so close to the end of the page that it cannot scroll higher is fine when
        # the page is scrolled to its end and the target is wholly visible.
        at_end = state["scrollable"] <= 1 and state["bottom"] <= state["vh"] and top >= -1
        if not at_end:
            return f"top at {top:.0f} px, outside 0..{third:.0f}"
    return None


MEASURE = """() => {
    const box = document.querySelector('.annotated-text');
    const cards = [...document.querySelectorAll('.note-list .note')];
    const anchorTop = (id) => {
        const a = document.getElementById('hl-' + id) || document.getElementById('ref-' + id);
        let r = a.getBoundingClientRect();
        if (!r.height && a.nextElementSibling) r = a.nextElementSibling.getBoundingClientRect();
        return r.top;
    };
    const text = document.querySelector('.doc-text').getBoundingClientRect();
    const rows = cards.map(c => {
        const r = c.getBoundingClientRect();
        return {id: c.dataset.ann, top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left,
                anchor: anchorTop(c.dataset.ann) + scrollY};
    });
    const height = document.documentElement.scrollHeight;
    // The same page with the notes hidden.
    const style = document.createElement('style');
    style.textContent = '.notes { display: none !important; } .annotated-text { min-height: 0 !important; }';
    document.head.appendChild(style);
    const bare = document.documentElement.scrollHeight;
    style.remove();
    return {margin: box.classList.contains('notes-margin'), textRight: text.right, height, bare, rows};
}"""


class Figures(NamedTuple):
    notes: int
    height: int
    bare: int  # page height with the notes hidden
    median: float  # |highlight top - card top|, px
    maximum: float
    within_screen: int  # cards less than one window height from their highlight


def figures(m: dict, window: int) -> Figures:
    d = sorted(abs(r["top"] - r["anchor"]) for r in m["rows"])
    n = len(d)
    median = (d[n // 2] if n % 2 else (d[n // 2 - 1] + d[n // 2]) / 2) if n else 0.0
    return Figures(n, m["height"], m["bare"], median, d[-1] if d else 0.0, sum(1 for x in d if x < window))
