"""Shared helpers of the reader tests (tools, skipping, browser contexts)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRE = os.environ.get("SITE_BUILDER_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
NODE_MODULES = ROOT / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"


def need(ok: bool, why: str) -> None:
    """Skip (or, when SITE_BUILDER_REQUIRE_BROWSER=1, fail) unless a tool is there."""
    if not ok:
        if REQUIRE:
            pytest.fail(f"{why}; SITE_BUILDER_REQUIRE_BROWSER=1 requires it")
        pytest.skip(why)


def open_context(browser, width: int = 1280, height: int = 900, scheme: str = "light", **kw):
    return browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme, **kw)


def watch(page) -> list[str]:
    """Collect a page's console errors and uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def url(site: Path, path: str) -> str:
    return (site / path).resolve().as_uri()


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def run_vnu(site: Path, java: str = "java") -> list[dict]:
    """Nu HTML Checker errors for every HTML page under ``site`` (warnings are not returned)."""
    proc = subprocess.run([java, "-jar", str(VNU_JAR), "--format", "json", "--skip-non-html", str(site)],
                          capture_output=True, text=True, timeout=900)
    report = json.loads(proc.stderr or proc.stdout)
    return [m for m in report["messages"] if m["type"] in ("error", "non-document-error")]


def run_axe(page) -> list[dict]:
    """axe-core violations (WCAG 2.0, 2.1 and 2.2 A and AA) of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
                                               preload: false});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }""", AXE_TAGS)


def format_axe(found: dict[str, list[dict]]) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: {v['id']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {n}" for n in v["nodes"])
    return "\n".join(lines)
