#!/usr/bin/env python3
"""Screenshots of the built default briefing for the docs, into docs/screenshots/.

    python3 scripts/screenshots.py                 # builds the default briefing first
    python3 scripts/screenshots.py --site output   # an already built site

Takes the home page, a document, an entity page and the entity graph, in the light and
dark themes, at phone (360 px) and desktop (1280 px) widths, plus a document with an
entity popover open and the search box with results:
``docs/screenshots/<page>-<phone|desktop>-<light|dark>.png``.

Uses Debian's Chromium through the Python playwright package (never a downloaded browser).
Chinese text needs CJK fonts: this installs Debian's fonts-noto-cjk when run as root and
they are missing (otherwise it says so and goes on).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from reader_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZES = {"phone": (360, 740, 2), "desktop": (1280, 800, 1)}
PAGES = {
    "home": "index.html",
    "document": "documents/xi-first-mover-ai.html",
    "entity": "glossary/deepseek.html",
    "graph": "graph.html",
}
# Freeze the caret and transitions so shots are stable.
STILL = "*, *::before, *::after { transition: none !important; animation: none !important; caret-color: transparent !important; }"


def ensure_cjk_fonts() -> None:
    fc = shutil.which("fc-list")
    if fc and "CJK" in subprocess.run([fc], capture_output=True, text=True).stdout:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing fonts-noto-cjk (Chinese text in the screenshots)", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "fonts-noto-cjk"], check=False,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
    else:
        print("note: no CJK fonts; Chinese text will show as boxes (apt-get install fonts-noto-cjk)", file=sys.stderr)


def build(out: Path) -> None:
    from reader_build import compile_reader
    from site_builder.writer import write_site

    write_site(ROOT, out, compile_reader(ROOT))


def first_document(site: Path) -> str:
    docs = sorted((site / "documents").glob("*.html"))
    return f"documents/{docs[0].name}" if docs else "index.html"


def shoot(site: Path, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    pages = dict(PAGES)
    if not (site / pages["document"]).exists():
        pages["document"] = first_document(site)
    written = []
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size, (width, height, scale) in SIZES.items():
            for theme in ("light", "dark"):
                ctx = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                                          color_scheme=theme)
                page = ctx.new_page()
                for name, path in pages.items():
                    page.goto((site / path).resolve().as_uri())
                    page.add_style_tag(content=STILL)
                    if name == "document":
                        # Start at the annotated text, so highlights and notes are in view.
                        page.evaluate("""() => { const t = document.querySelector('.legend') ||
                                         document.querySelector('.annotated-text');
                                         if (t) window.scrollTo(0, t.getBoundingClientRect().top + scrollY - 16); }""")
                    elif name == "graph" and size == "desktop":
                        page.evaluate("""() => { const g = document.querySelector('.graph-figure');
                                         if (g) window.scrollTo(0, g.getBoundingClientRect().top + scrollY - 60); }""")
                    target = out / f"{name}-{size}-{theme}.png"
                    page.screenshot(path=str(target))
                    written.append(target)
                # Reading aids: an entity popover over the text, and search results.
                page.goto((site / pages["document"]).resolve().as_uri())
                page.add_style_tag(content=STILL)
                link = page.locator(".annotated-text a.mention").nth(3)
                link.scroll_into_view_if_needed()
                page.evaluate("window.scrollBy(0, -window.innerHeight / 3)")
                link.hover()
                page.wait_for_selector("#sb-popover:not([hidden])")
                target = out / f"popover-{size}-{theme}.png"
                page.screenshot(path=str(target))
                written.append(target)
                page.goto((site / "index.html").resolve().as_uri())
                page.add_style_tag(content=STILL)
                page.fill("#search-input", "全球南方" if size == "phone" else "export controls")
                page.wait_for_selector(".search-results a.search-hit")
                target = out / f"search-{size}-{theme}.png"
                page.screenshot(path=str(target))
                written.append(target)
                ctx.close()
        browser.close()
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", type=Path, help="an already built site (default: build the default briefing)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    ensure_cjk_fonts()
    with tempfile.TemporaryDirectory(prefix="site-builder-shots-") as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            build(site)
        for path in shoot(site, args.out):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
