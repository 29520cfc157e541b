"""The reload channel of the live preview: the script injected into served pages, and the build events.

The **script injector** (:func:`inject`) adds the reload script to HTML
responses as they are served, so ``build`` output never contains it.  The
script listens to the server-sent events at :data:`EVENTS_PATH`, which the
server fills from :class:`Events`: ``reload``, ``update``, ``problems`` and
``ok``, each with the token of the site being served.
"""

from __future__ import annotations

import html
import json
import re
import threading

EVENTS_PATH = "/__site_builder__/events"

# ------------------------------------------------------------- script injector

_CLIENT_JS = r"""
(function () {
  if (window.__siteBuilderLive) return;
  window.__siteBuilderLive = true;
  var served = __TOKEN__;
  var page = __PAGE__;
  var key = "site-builder:scroll:" + location.pathname;
  var pending = null;  // a scroll position restored from before the last reload, until the page has loaded
  try {
    var saved = sessionStorage.getItem(key);
    if (saved) {
      sessionStorage.removeItem(key);
      pending = JSON.parse(saved);
      var restore = function () { if (pending) window.scrollTo(pending[0], pending[1]); };
      if (document.readyState === "complete") { restore(); pending = null; }
      else {
        document.addEventListener("DOMContentLoaded", restore);
        window.addEventListener("load", function () {
          restore();
          requestAnimationFrame(function () { restore(); pending = null; });
        });
      }
    }
  } catch (e) {}
  function reload() {
    // A second reload can arrive before the first one's position was restored:
    // keep that position rather than the top of the half-loaded page.
    var xy = pending || [window.scrollX, window.scrollY];
    try { sessionStorage.setItem(key, JSON.stringify(xy)); } catch (e) {}
    location.reload();
  }
  // Whether this page changed after the version it was served at: a full
  // rebuild reloads every page; a deferred update only the pages it changed.
  function stale(d) {
    var h = d.history || [], i;
    for (i = 0; i < h.length && h[i][0] !== served; i++) {}
    if (i === h.length) return true;  // too old, or another server: reload
    for (i = i + 1; i < h.length; i++) {
      if (h[i][1] === null || h[i][1].indexOf(page) >= 0) return true;
    }
    return false;
  }
  function hide() {
    var o = document.getElementById("site-builder-overlay");
    if (o) o.remove();
  }
  // The overlay sets every property it relies on, so the page's styles (either theme, any
  // project's templates) cannot make it unreadable: an opaque dark panel, light text,
  // contrast above 7:1 throughout.
  var STYLE = "#site-builder-overlay,#site-builder-overlay *{all:revert !important}" +
    "#site-builder-overlay{position:fixed !important;inset:0 !important;z-index:2147483647 !important;" +
    "overflow:auto !important;box-sizing:border-box !important;margin:0 !important;padding:2rem !important;" +
    "background:#141418 !important;color:#f4f4f5 !important;color-scheme:dark !important;" +
    "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace !important;text-align:left !important}" +
    "#site-builder-overlay h2{margin:0 6rem .5rem 0 !important;font:600 18px/1.3 system-ui,sans-serif !important;" +
    "color:#ff9b94 !important}" +
    "#site-builder-overlay p{margin:0 0 1rem !important;font:14px/1.4 system-ui,sans-serif !important;" +
    "color:#d4d4d8 !important}" +
    "#site-builder-overlay pre{white-space:pre-wrap !important;margin:0 !important;padding:0 !important;" +
    "background:#141418 !important;color:#f4f4f5 !important;font:inherit !important}" +
    "#site-builder-overlay button{position:absolute !important;top:1rem !important;right:1rem !important;" +
    "font:600 14px system-ui,sans-serif !important;color:#141418 !important;background:#f4f4f5 !important;" +
    "border:1px solid #f4f4f5 !important;border-radius:4px !important;padding:.35rem .8rem !important;" +
    "cursor:pointer !important}" +
    "#site-builder-overlay button:focus-visible{outline:3px solid #94bdff !important;outline-offset:2px !important}" +
    "#site-builder-overlay style{display:none !important}";
  function show(d) {
    hide();
    var o = document.createElement("div");
    o.id = "site-builder-overlay";
    o.setAttribute("role", "alert");
    var style = document.createElement("style");
    style.textContent = STYLE;
    var h = document.createElement("h2");
    h.textContent = "Build failed: " + d.summary;
    var p = document.createElement("p");
    p.textContent = "The page shows the last good build. Fix the problems below and save; this disappears on the next good build.";
    var pre = document.createElement("pre");
    pre.className = "site-builder-messages";
    pre.textContent = d.messages.join("\n");
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Dismiss";
    close.onclick = hide;
    o.appendChild(style); o.appendChild(close); o.appendChild(h); o.appendChild(p); o.appendChild(pre);
    (document.body || document.documentElement).appendChild(o);
  }
  var source = new EventSource(__EVENTS__);
  source.addEventListener("hello", function (e) {
    var d = JSON.parse(e.data);
    if (d.token !== served && stale(d)) { reload(); return; }
    served = d.token;
    if (d.problems) show(d.problems); else hide();
  });
  source.addEventListener("reload", function () { reload(); });
  source.addEventListener("update", function (e) {
    var d = JSON.parse(e.data);
    if (d.changed.indexOf(page) >= 0) reload(); else served = d.token;
  });
  source.addEventListener("problems", function (e) { show(JSON.parse(e.data)); });
  source.addEventListener("ok", function () { hide(); });
})();
"""

_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_HEAD_START = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)


def client_script(token: str, events_url: str = EVENTS_PATH, page: str = "") -> bytes:
    js = (_CLIENT_JS.replace("__TOKEN__", json.dumps(token)).replace("__EVENTS__", json.dumps(events_url))
          .replace("__PAGE__", json.dumps(page)))
    return f'<script data-site-builder-live>{js}</script>\n'.encode("utf-8")


def inject(page: bytes, token: str, events_url: str = EVENTS_PATH, base_href: str | None = None,
           script: bool = True, path: str = "") -> bytes:
    """``page`` with the live-reload script before ``</body>`` (and a ``<base>`` when given).

    ``path`` is the page's output path, so the script knows whether a change concerns it.
    """
    if base_href is not None:
        tag = f'<base href="{html.escape(base_href, quote=True)}">'.encode()
        m = _HEAD_START.search(page)
        page = page[:m.end()] + b"\n" + tag + page[m.end():] if m else tag + page
    if not script:
        return page
    code = client_script(token, events_url, path)
    matches = list(_BODY_END.finditer(page))
    if not matches:
        return page + code
    at = matches[-1].start()
    return page[:at] + code + page[at:]


def inject_extra(page: bytes, extra: bytes) -> bytes:
    """``page`` with ``extra`` before its last ``</body>``."""
    if not extra:
        return page
    matches = list(_BODY_END.finditer(page))
    at = matches[-1].start() if matches else len(page)
    return page[:at] + extra + page[at:]


# ------------------------------------------------------------- events

class Events:
    """Build events for the open pages: a short history and a condition to wait on."""

    KEEP = 64

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._seq = 0
        self._history: list[tuple[int, str, dict]] = []
        self.closed = False

    @property
    def seq(self) -> int:
        with self._cond:
            return self._seq

    def publish(self, name: str, data: dict) -> None:
        with self._cond:
            self._seq += 1
            self._history.append((self._seq, name, data))
            del self._history[:-self.KEEP]
            self._cond.notify_all()

    def wait(self, after: int, timeout: float) -> list[tuple[int, str, dict]]:
        """Events after sequence number ``after``; empty on timeout or when closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._seq > after or self.closed, timeout)
            if self.closed:
                return []
            return [e for e in self._history if e[0] > after]

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
