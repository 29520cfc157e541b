"""The live preview's error overlay is readable in both themes: every piece of its text has a
contrast of at least 4.5:1 against what is behind it, computed from Chromium's computed colours,
and axe-core finds no contrast problem in it.  The overlay is shown by the live-reload script
itself (serve.reload.inject), driven by a stand-in EventSource that reports a failed build."""

from __future__ import annotations

import json
import shutil

import pytest

from reader_support import AXE_JS, need, open_context
from site_builder.serve import reload

PROBLEMS = {"summary": "2 errors", "messages": [
    "content/site.yml:3:11: error: YAML syntax error: flow sequence not closed [yaml-syntax]",
    "content/annotations/x.yml:7:5: error: quote not found in the document [quote-not-found]"]}

FAKE_EVENTS = """window.EventSource = function () {
  var handlers = {};
  this.addEventListener = function (name, f) { handlers[name] = f; };
  setTimeout(function () { if (handlers.problems) handlers.problems({data: %s}); }, 0);
};""" % json.dumps(json.dumps(PROBLEMS))

CONTRAST = """() => {
  function rgba(s) { const m = s.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; }
  function lum(c) { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); }
  function background(el) {  // the first opaque background behind el (alpha composited on the way)
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let out = [255, 255, 255];
    for (let i = layers.length - 1; i >= 0; i--) {
      const c = layers[i];
      out = out.map((v, k) => c[k] * c[3] + v * (1 - c[3]));
    }
    return out;
  }
  const o = document.getElementById('site-builder-overlay');
  return [...o.querySelectorAll('*')].filter(e => e.tagName !== 'STYLE' && e.textContent.trim() &&
                                                 [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .map(e => { const fg = rgba(getComputedStyle(e).color), bg = background(e), a = lum(fg), b = lum(bg);
                return {tag: e.tagName, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
                        fg: getComputedStyle(e).color, bg: bg.join(','), visible: e.getBoundingClientRect().width > 0}; });
}"""


@pytest.mark.parametrize("theme", ["light", "dark", "dark-by-toggle", "light-by-toggle"])
def test_error_overlay_is_readable_in_both_themes(reader_browser, reader_site, tmp_path, theme):
    site = tmp_path / "site"
    shutil.copytree(reader_site, site)
    page_path = next((site / "documents").glob("*.html"))
    page_path.write_bytes(reload.inject(page_path.read_bytes(), "token", "/__events", path="documents/x.html"))
    scheme = "dark" if theme.startswith("dark") != theme.endswith("toggle") else "light"
    ctx = open_context(reader_browser, 1280, 800, scheme)
    if theme.endswith("toggle"):
        ctx.add_init_script(f"try {{ localStorage.setItem('sb-theme', '{theme.split('-')[0]}'); }} catch (e) {{}}")
    ctx.add_init_script(FAKE_EVENTS)
    try:
        page = ctx.new_page()
        page.goto(page_path.resolve().as_uri())
        overlay = page.locator("#site-builder-overlay")
        overlay.wait_for(state="visible")
        assert "Build failed: 2 errors" in overlay.inner_text() and "quote-not-found" in overlay.inner_text()
        dark = page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(253, 252, 248)"
        assert dark == theme.startswith("dark"), theme
        texts = page.evaluate(CONTRAST)
        assert {t["tag"] for t in texts} >= {"H2", "P", "PRE", "BUTTON"}, texts
        low = [t for t in texts if t["ratio"] < 4.5 or not t["visible"]]
        assert not low, low
        # The overlay covers the page: the text behind it does not show through.
        assert page.evaluate("getComputedStyle(document.getElementById('site-builder-overlay')).backgroundColor") \
            == "rgb(20, 20, 24)"
        need(AXE_JS.exists(), f"{AXE_JS} is missing (npm ci)")
        page.add_script_tag(path=str(AXE_JS))
        violations = page.evaluate("""async () => (await axe.run('#site-builder-overlay',
            {runOnly: {type: 'rule', values: ['color-contrast', 'color-contrast-enhanced']}})).violations
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""")
        assert not violations, violations
        page.locator("#site-builder-overlay button").click()
        overlay.wait_for(state="detached")
    finally:
        ctx.close()
