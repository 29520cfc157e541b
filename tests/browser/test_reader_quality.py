"""Quality bars on the built default briefing: Nu HTML Checker, axe-core, internal links.

* vnu (npm ``vnu-jar``, run with Java): 0 errors on every page;
* axe-core (npm ``axe-core``, injected in headless Chromium): 0 violations at
  WCAG 2.1 A/AA on every page, with the system in light and in dark mode, with the
  theme toggle overriding the system, and with a popover and search results open;
* every internal link, script/stylesheet reference and #fragment resolves.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from reader_support import AXE_JS, VNU_JAR, format_axe, need, open_context, run_axe, run_vnu, url, watch


# ------------------------------------------------------------------ Nu HTML Checker

def test_vnu_reports_no_errors(reader_site: Path, reader_pages: list[str]):
    java = shutil.which("java")
    need(java is not None, "java is not installed (apt-get install default-jre-headless)")
    need(VNU_JAR.exists(), f"{VNU_JAR} is missing (npm ci)")
    errors = run_vnu(reader_site, java)
    shown = "\n".join(f"{m.get('url', '').rsplit('/site/', 1)[-1]}:{m.get('lastLine', '?')}: {m['message']}"
                      for m in errors[:30])
    assert not errors, f"{len(errors)} Nu HTML Checker errors:\n{shown}"


# ------------------------------------------------------------------ axe-core

THEMES = {
    # name: (system colour scheme, theme remembered by the toggle or None)
    "light": ("light", None),
    "dark": ("dark", None),
    "dark-by-toggle": ("light", "dark"),
    "light-by-toggle": ("dark", "light"),
}
TOGGLE_SAMPLE = ("index.html", "documents/", "glossary/deepseek.html", "graph.html", "annotations/index.html")


@pytest.mark.parametrize("theme", list(THEMES))
def test_axe_reports_no_violations(reader_browser, reader_site: Path, reader_pages: list[str], theme: str):
    need(AXE_JS.exists(), f"{AXE_JS} is missing (npm ci)")
    scheme, stored = THEMES[theme]
    pages = reader_pages if stored is None else [p for p in reader_pages if p.startswith(TOGGLE_SAMPLE)]
    ctx = open_context(reader_browser, scheme=scheme)
    if stored:
        ctx.add_init_script(f"try {{ localStorage.setItem('sb-theme', '{stored}'); }} catch (e) {{}}")
    page = ctx.new_page()
    errors = watch(page)
    found = {}
    try:
        for path in pages:
            page.goto(url(reader_site, path))
            want_dark = (stored or scheme) == "dark"
            bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert (bg != "rgb(253, 252, 248)") == want_dark, f"{path}: theme {theme} not applied ({bg})"
            violations = run_axe(page)
            if violations:
                found[path] = violations
    finally:
        ctx.close()
    assert not found, f"axe-core violations ({theme}):\n{format_axe(found)}"
    assert not errors, errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 360])
def test_axe_with_popovers_and_search_open(reader_browser, reader_site: Path, reader_pages: list[str],
                                           scheme: str, width: int):
    need(AXE_JS.exists(), f"{AXE_JS} is missing (npm ci)")
    doc = next(p for p in reader_pages if p.startswith("documents/"))
    ctx = open_context(reader_browser, width, 800, scheme)
    page = ctx.new_page()
    found = {}
    try:
        page.goto(url(reader_site, doc))
        page.locator("a.mention").first.focus()
        page.wait_for_selector("#sb-popover:not([hidden])")
        found["entity popover"] = run_axe(page)
        page.keyboard.press("Escape")
        page.locator("mark.hl[tabindex]").first.focus()
        page.wait_for_selector("#sb-popover.popover-is-annotation:not([hidden])")
        found["annotation popover"] = run_axe(page)
        page.keyboard.press("Escape")
        page.locator("#search-input").fill("DeepSeek")
        page.wait_for_selector(".search-results a.search-hit")
        found["search results"] = run_axe(page)
    finally:
        ctx.close()
    found = {k: v for k, v in found.items() if v}
    assert not found, f"axe-core violations with popovers or search open ({scheme}, {width}px):\n{format_axe(found)}"


def test_theme_blocks_agree():
    """The dark palette is written twice (system preference, toggle); both copies must match."""
    css = (Path(__file__).resolve().parents[2] / "site_builder" / "templates" / "assets" / "style.css").read_text()
    toggle = css.split(':root[data-theme="dark"] {', 1)[1].split("}", 1)[0]
    system = css.split(':root:not([data-theme="light"]) {', 1)[1].split("}", 1)[0]
    norm = lambda block: sorted(" ".join(block.split()).split(";"))  # noqa: E731
    assert norm(toggle) == norm(system)


# ------------------------------------------------------------------ links

class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and (name == "id" or tag == "a"):
                self.ids.add(value)
            if name in ("href", "src", "xlink:href", "data-index", "data-root"):
                self.refs.append((name, value))

    handle_startendtag = handle_starttag


def test_every_internal_link_and_fragment_resolves(reader_site: Path, reader_pages: list[str]):
    parsed: dict[str, _Refs] = {}
    for path in reader_pages:
        p = _Refs()
        p.feed((reader_site / path).read_text(encoding="utf-8"))
        parsed[path] = p
    problems = []
    checked = 0
    for path, p in parsed.items():
        for attr, ref in p.refs:
            parts = urlsplit(ref)
            if parts.scheme or ref.startswith("//"):
                continue  # external (http, https, mailto)
            target = path if not parts.path else (Path(path).parent / unquote(parts.path)).as_posix()
            target = _normalise(target)
            file = reader_site / target
            checked += 1
            if target is None or not file.is_file():
                problems.append(f"{path}: {attr}={ref!r} -> missing {target}")
                continue
            if parts.fragment and target.endswith(".html"):
                ids = parsed[target].ids if target in parsed else set()
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{path}: {attr}={ref!r} -> no id {parts.fragment!r} in {target}")
    assert checked > 100
    assert not problems, f"{len(problems)} broken internal references:\n" + "\n".join(problems[:40])


def _normalise(path: str) -> str | None:
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not out:
                return None
            out.pop()
        else:
            out.append(part)
    return "/".join(out)
