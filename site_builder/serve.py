"""Live preview: ``site-builder serve``.

Four small parts:

* the **builder** (:class:`Builder`) rebuilds on changes, incrementally
  through a :class:`build.BuildCache`, and writes only the files that changed
  (:func:`writer.update_site`); a failed rebuild keeps the last good site;
* the **server** (:class:`LiveServer`) serves the output folder over HTTP and
  pushes build events to every open page as server-sent events;
* the **script injector** (:func:`inject`) adds the reload script to HTML
  responses, so ``build`` output never contains it;
* the **ignore filter** (:func:`is_ignored`) drops editor temp, swap and
  backup files, so they never trigger a rebuild.

The watcher (watchdog) watches ``content/`` (``site.yml`` is in it) and the
project's ``templates/``, plus the project folder itself without recursion,
only to notice those two folders appearing or disappearing.  The output
folder is never watched: by default it is a temporary folder outside the
project, removed on exit; ``--out`` may name another, which is checked like
``build --out`` (never inside ``content/`` or ``templates/``).
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
import posixpath
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, TextIO
from urllib.parse import unquote, urlsplit

from . import authoring
from .build import BuildCache, Compiled, compile_site
from .urls import OutPath
from .writer import OutputError, check_output_dir, update_site, write_site

EVENTS_PATH = "/__site_builder__/events"
DEFAULT_PORT = 8000
QUIET_SECONDS = 0.03  # a burst of events ends after this long without another
MAX_DEFER_SECONDS = 1.5  # publish a build at the latest this long after a burst began
HEARTBEAT_SECONDS = 15.0
WATCHED = ("content", "templates")
LOOPBACK = ("127.0.0.1", "::1", "localhost")

# ------------------------------------------------------------- ignore filter

_IGNORED_SUFFIXES = (
    ".swp", ".swo", ".swx", ".swn", ".swpx", ".tmp", ".temp", ".bak", ".orig", ".rej", ".part",
    ".crdownload", ".kate-swp", ".un~", "___jb_tmp___", "___jb_old___",
)
_IGNORED_NAMES = {"4913", "thumbs.db", "desktop.ini"}  # 4913: vim's write test file
_SED_TEMP = re.compile(r"^sed[A-Za-z0-9]{6}$")  # sed -i


def is_ignored(name: str) -> bool:
    """True for editor temp, swap and backup files (and hidden files), which never trigger a rebuild.

    ``name`` is one path component.  Hidden files covers vim swap files
    (``.doc.md.swp``), emacs lock files (``.#doc.md``), gedit's
    ``.goutputstream-*``, and the loader skips them too.
    """
    lower = name.lower()
    return (
        not name
        or name.startswith((".", "#"))  # hidden, emacs auto-save (#doc.md#)
        or name.endswith("~")  # backups
        or lower in _IGNORED_NAMES
        or lower.endswith(_IGNORED_SUFFIXES)
        or bool(_SED_TEMP.match(name))
    )


def relevant(root: Path, path: str) -> str | None:
    """The project-relative path of a watched source file, or None for anything to ignore."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(root)
    except ValueError:
        return None
    parts = rel.parts
    if not parts or parts[0] not in WATCHED:
        return None
    if any(is_ignored(p) for p in parts[1:]):
        return None
    return rel.as_posix()


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


# ------------------------------------------------------------- builder

class Builder:
    """Rebuilds the site after changes and publishes the result to ``out``.

    ``notify`` records a change; the builder thread waits until no event has
    arrived for ``quiet`` seconds (a burst: an editor's atomic save, a
    ``git checkout``), rebuilds, and if more changes arrived meanwhile builds
    again before publishing, so a burst gives one rebuild and one reload.
    """

    def __init__(self, root: Path, out: Path, events: Events, *, strict: bool = False,
                 quiet: float = QUIET_SECONDS, log: Callable[[str], None] = print):
        self.root = root
        self.out = out
        self.events = events
        self.strict = strict
        self.quiet = quiet
        self.log = log
        self.cache = BuildCache()
        self.files: dict[OutPath, bytes] | None = None  # the last good build, as served
        self.instance = uuid.uuid4().hex[:8]
        self.generation = 0
        self.problems: dict | None = None  # the last failed build's messages, until a good one
        self.builds = 0  # rebuilds run (published or not), for tests
        self.last_changed: list[OutPath] = []
        self.last_ms = 0.0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_event = 0.0
        self._burst_start: float | None = None
        self._paths: set[str] = set()
        self._thread: threading.Thread | None = None
        self._building = False
        self._publish_lock = threading.Lock()  # the builder and the deferred-files thread both write
        self._published = 0  # builds published so far
        self._job: tuple[int, Compiled] | None = None  # deferred site-wide files to compute
        self._job_running = False
        self._job_cond = threading.Condition()
        self._job_thread: threading.Thread | None = None
        # (token, pages changed or None for "every page reloads") of recent generations,
        # so a page that connects after an update can tell whether it is out of date.
        self.history: deque[tuple[str, list[str] | None]] = deque(maxlen=64)

    @property
    def token(self) -> str:
        """Names the site being served: changes whenever a rebuild changes a file."""
        return f"{self.instance}-{self.generation}"

    # -- changes

    def notify(self, paths) -> None:
        now = time.monotonic()
        with self._lock:
            self._paths.update(paths)
            self._last_event = now
            if self._burst_start is None:
                self._burst_start = now
            self._wake.set()

    # -- building

    def idle(self) -> bool:
        with self._job_cond:
            job = self._job is not None or self._job_running
        return not (self._wake.is_set() or self._building or job)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every change seen so far is built and published (site-wide files included)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.idle():
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def build_now(self, initial: bool = False) -> Compiled:
        started = time.perf_counter()
        # After the first build, slow site-wide files (search index, graph) are left for
        # later, so the edited pages reload first (see finish_deferred).
        result = compile_site(self.root, strict=self.strict, cache=self.cache, defer=not initial)
        self.last_ms = (time.perf_counter() - started) * 1000
        self.builds += 1
        return result

    def publish(self, result: Compiled, paths: set[str] | None = None) -> None:
        with self._publish_lock:
            self._publish(result, paths)
            self._published += 1
            if result.ok and result.pending is not None:
                with self._job_cond:
                    self._job = (self._published, result)  # the latest replaces any not yet started
                    self._job_cond.notify_all()

    def _publish(self, result: Compiled, paths: set[str] | None) -> None:
        what = _describe(paths)
        if result.ok:
            try:
                if self.files is None:
                    write_site(self.root, self.out, result.files)
                    changed = sorted(result.files)
                else:
                    changed = update_site(self.out, result.files, self.files)
            except (OSError, OutputError) as exc:
                self._fail([f"error: cannot write {self.out}: {exc}"], "1 error", what)
                return
            recovered = self.problems is not None
            self.files = result.files
            self.problems = None
            self.last_changed = changed
            if changed:
                self.generation += 1
                self.history.append((self.token, None))
            warnings = [d.format() for d in result.diagnostics.sorted()]
            for line in warnings:
                self.log(line)
            pages = sum(1 for p in changed if p.endswith(".html"))
            self.log(f"{_now()} {what}rebuilt in {self.last_ms:.0f} ms: {pages} page{'s' * (pages != 1)} "
                     f"({len(changed)} file{'s' * (len(changed) != 1)}) changed ({result.diagnostics.summary()})")
            if changed or recovered:
                self.events.publish("reload", {"token": self.token, "changed": [p.path for p in changed]})
            else:
                self.events.publish("ok", {"token": self.token})
        else:
            lines = [d.format() for d in result.diagnostics.sorted()]
            self._fail(lines, result.diagnostics.summary(), what)

    def finish_deferred(self, result: Compiled, published: int | None = None) -> None:
        """Compute the site-wide files a published build deferred, and publish them.

        Dropped if another build was published meanwhile (it deferred its own).
        """
        if result.pending is None or self.files is None:
            return
        started = time.perf_counter()
        extra = result.pending()
        if not extra:
            return
        with self._publish_lock:
            if published is None or published == self._published:
                self._publish_deferred(extra, started)

    def _publish_deferred(self, extra: dict[OutPath, bytes | None], started: float) -> None:
        assert self.files is not None
        files = dict(self.files)
        for path, data in extra.items():  # None: a file the deferred outputs no longer make
            if data is None:
                files.pop(path, None)
            else:
                files[path] = data
        try:
            changed = update_site(self.out, files, self.files)
        except OSError as exc:
            self._fail([f"error: cannot write {self.out}: {exc}"], "1 error", "")
            return
        self.files = files
        if changed:
            self.generation += 1
            self.history.append((self.token, [p.path for p in changed]))
            self.log(f"{_now()} updated {', '.join(p.path for p in changed)} "
                     f"in {(time.perf_counter() - started) * 1000:.0f} ms")
            self.events.publish("update", {"token": self.token, "changed": [p.path for p in changed]})

    def _fail(self, lines: list[str], summary: str, what: str) -> None:
        self.problems = {"summary": summary, "messages": lines}
        still = "still serving the last good site" if self.files is not None else "no site to serve until a build succeeds"
        self.log(f"{_now()} {what}build failed ({summary}); {still}:")
        for line in lines:
            self.log(line)
        self.events.publish("problems", self.problems)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="site-builder-rebuild", daemon=True)
        self._thread.start()
        self._job_thread = threading.Thread(target=self._run_jobs, name="site-builder-site-wide", daemon=True)
        self._job_thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._job_cond:
            self._job_cond.notify_all()
        for thread in (self._thread, self._job_thread):
            if thread is not None:
                thread.join()
        self._thread = self._job_thread = None

    def _run_jobs(self) -> None:
        """Compute deferred site-wide files (search index, graph) beside the page rebuilds.

        In a thread of its own, so a save during a long search-index rebuild is
        still built and reloaded at once.
        """
        while True:
            with self._job_cond:
                self._job_cond.wait_for(lambda: self._job is not None or self._stop.is_set())
                if self._stop.is_set():
                    return
                published, result = self._job  # type: ignore[misc]
                self._job = None
                self._job_running = True
            try:
                self.finish_deferred(result, published)
            except Exception as exc:  # a bug, not bad content: report it and keep serving
                import traceback
                self.log("".join(traceback.format_exception_only(type(exc), exc)).rstrip())
            finally:
                with self._job_cond:
                    self._job_running = False

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            # Wait for the burst to end.
            while True:
                with self._lock:
                    delay = self._last_event + self.quiet - time.monotonic()
                if delay <= 0:
                    break
                if self._stop.wait(delay):
                    return
            with self._lock:
                self._building = True
                self._wake.clear()
                burst_start = self._burst_start or time.monotonic()
            try:
                result = self.build_now()
            except Exception as exc:  # a bug, not bad content: report it and keep serving
                import traceback
                self._fail(traceback.format_exception_only(type(exc), exc), "internal error", "")
                self._reset_burst()
                self._building = False
                continue
            if self._stop.is_set():
                return
            if self._wake.is_set() and time.monotonic() - burst_start < MAX_DEFER_SECONDS:
                continue  # more changes arrived while building: build again, publish once
            with self._lock:
                paths = self._paths
                self._paths = set()
                self._burst_start = None if not self._wake.is_set() else time.monotonic()
            try:
                self.publish(result, paths)
            finally:
                self._building = False

    def _reset_burst(self) -> None:
        with self._lock:
            self._paths = set()
            self._burst_start = None


def _describe(paths: set[str] | None) -> str:
    if not paths:
        return ""
    shown = sorted(paths)
    if len(shown) == 1:
        return f"{shown[0]} changed: "
    return f"{shown[0]} and {len(shown) - 1} more changed: "


def _now() -> str:
    return time.strftime("[%H:%M:%S]")


# ------------------------------------------------------------- watcher

class Watcher:
    """watchdog on content/ and templates/ (recursively) and the project folder (not recursively)."""

    def __init__(self, root: Path, on_change: Callable[[list[str]], None]):
        from watchdog.observers import Observer

        self.root = root
        self.on_change = on_change
        self.observer = Observer()
        self._watches: dict[str, object] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        self.observer.schedule(_Handler(self), str(self.root), recursive=False)
        self._sync()
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join()

    def _sync(self) -> None:
        """Watch each of content/ and templates/ that exists (they may come and go)."""
        with self._lock:
            for name in WATCHED:
                folder = self.root / name
                watch = self._watches.get(name)
                if folder.is_dir() and watch is None:
                    try:
                        self._watches[name] = self.observer.schedule(_Handler(self), str(folder), recursive=True)
                    except OSError:
                        pass
                elif not folder.is_dir() and watch is not None:
                    try:
                        self.observer.unschedule(watch)
                    except (KeyError, OSError):
                        pass
                    del self._watches[name]

    def event(self, event) -> None:
        kind = event.event_type
        if kind not in ("created", "deleted", "modified", "moved"):
            return  # opened, closed and attribute changes (the builder's own reads, touch) change nothing
        if kind == "modified" and event.is_directory:
            return  # its entries report themselves
        paths = [event.src_path] + ([event.dest_path] if kind == "moved" else [])
        rels = [r for r in (relevant(self.root, os.fsdecode(p)) for p in paths) if r is not None]
        if not rels:
            return
        if any("/" not in r for r in rels):  # content/ or templates/ itself came or went
            self._sync()
        self.on_change(rels)


class _Handler:
    """A watchdog event handler forwarding to :meth:`Watcher.event`."""

    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def dispatch(self, event) -> None:
        try:
            self.watcher.event(event)
        except Exception:  # never let the observer thread die
            pass


# ------------------------------------------------------------- server

_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
    ".pdf": "application/pdf", ".map": "application/json", ".webmanifest": "application/manifest+json",
}


def content_type(name: str) -> str:
    ext = posixpath.splitext(name)[1].lower()
    if ext in _TYPES:
        return _TYPES[ext]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def normalize_base_path(value: str) -> str:
    """'/repo/' from 'repo', '/repo' or '/repo/'; '/' for ''."""
    parts = [p for p in value.strip().split("/") if p]
    for p in parts:
        if p in (".", "..") or "\\" in p:
            raise ValueError(f"invalid base path: {value!r}")
    return "/" + "".join(p + "/" for p in parts)


class LiveServer(ThreadingHTTPServer):
    """Serves ``out`` under ``base_path`` and the build events; see :class:`_Handler`."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], out: Path, builder: Builder, events: Events,
                 base_path: str = "/", live_reload: bool = True):
        host = address[0]
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.out = out
        self.out_real = os.path.realpath(out)
        self.builder = builder
        self.events = events
        self.base_path = base_path
        self.live_reload = live_reload
        self.authoring = None  # an authoring.Authoring when annotating from the preview is on
        self.stopping = False
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    def handle_error(self, request, client_address) -> None:
        """A browser closing its connection mid-response is routine: no traceback for it."""
        exc = sys.exc_info()[1]
        if self.stopping or isinstance(exc, (OSError, ValueError)):
            return
        print(f"warning: request from {client_address[0]} failed: {exc!r}", file=sys.stderr)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def resolve(self, rel: str) -> Path | None:
        """The file for a site-relative, percent-decoded URL path, or None if there is none to serve.

        Only regular files inside the output folder: no '..', no hidden
        files, and symbolic links only if they stay inside it.
        """
        if "\x00" in rel or "\\" in rel:
            return None
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        if any(p == ".." or p.startswith(".") for p in parts):
            return None
        candidate = os.path.join(self.out_real, *parts)
        real = os.path.realpath(candidate)
        if real != self.out_real and not real.startswith(self.out_real + os.sep):
            return None
        return Path(real)


class RequestHandler(BaseHTTPRequestHandler):
    server: LiveServer
    protocol_version = "HTTP/1.1"
    server_version = "site-builder"
    timeout = 30  # an idle keep-alive connection is closed after this long

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the terminal is for build messages

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_POST(self) -> None:
        """Authoring writes (see :mod:`authoring`); refused when it is off."""
        raw_path = self.path.split("?", 1)[0]
        base, auth = self.server.base_path, self.server.authoring
        length = int(self.headers.get("Content-Length") or 0)
        if auth is None or not raw_path.startswith(base + authoring.PREFIX) or not 0 <= length <= authoring.MAX_BODY:
            self.close_connection = True
            self._send(HTTPStatus.FORBIDDEN if auth is None else HTTPStatus.NOT_FOUND,
                       b'{"error": "authoring is off"}\n' if auth is None else b'{"error": "not found"}\n',
                       "application/json", head=False)
            return
        reply = auth.handle(raw_path[len(base + authoring.PREFIX):], self.headers, self.rfile.read(length))
        self._send(HTTPStatus(reply.status), json.dumps(reply.data).encode() + b"\n", "application/json", head=False)

    # -- routing

    def _serve(self, head: bool) -> None:
        target = self.path
        if not target.startswith("/"):  # absolute-form: http://host/path
            target = urlsplit(target).path or "/"
        raw_path = target.split("?", 1)[0].split("#", 1)[0]
        if raw_path == EVENTS_PATH:
            if head:
                self._send(HTTPStatus.OK, b"", "text/event-stream", head=True)
            else:
                self._events()
            return
        base = self.server.base_path
        if raw_path + "/" == base:
            self._redirect(base)
            return
        if not raw_path.startswith(base):
            self._not_found(head)
            return
        rel = unquote(raw_path[len(base):], errors="replace")
        if self.server.builder.files is None:
            self._no_site(head)
            return
        path = self.server.resolve(rel)
        if path is None:
            self._not_found(head)
            return
        if path.is_dir():
            if not raw_path.endswith("/"):
                self._redirect(raw_path + "/")
                return
            path = path / "index.html"
        if not path.is_file():
            self._not_found(head)
            return
        self._file(path, HTTPStatus.OK, head)

    def _file(self, path: Path, status: HTTPStatus, head: bool, base_href: str | None = None) -> None:
        token = self.server.builder.token  # before reading: the bytes are at least this new
        try:
            data = path.read_bytes()
        except OSError:
            self._send(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8", head)
            return
        ctype = content_type(path.name)
        if ctype.startswith("text/html"):
            rel = os.path.relpath(path, self.server.out_real).replace(os.sep, "/")
            data = inject(data, token, base_href=base_href, script=self.server.live_reload, path=rel)
            if self.server.authoring is not None and status == HTTPStatus.OK:
                data = inject_extra(data, self.server.authoring.page_extra(rel))
        self._send(status, data, ctype, head)

    def _not_found(self, head: bool) -> None:
        page = Path(self.server.out_real) / "404.html"
        if self.server.builder.files is not None and page.is_file():
            # The 404 page's links are relative to the site root, where it lives; it is
            # served at any depth, so point them there.
            self._file(page, HTTPStatus.NOT_FOUND, head, base_href=self.server.base_path)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8", head)

    def _no_site(self, head: bool) -> None:
        """No good build yet: a page that shows the problems and reloads once the site builds."""
        token = self.server.builder.token
        body = (b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build failed</title></head>"
                b"<body><h1>The site has not built yet</h1><p>Fix the problems and save.</p></body></html>\n")
        problems = self.server.builder.problems
        if problems and not self.server.live_reload:
            body = body.replace(b"</body>", b"<pre>" + html.escape("\n".join(problems["messages"])).encode()
                                + b"</pre></body>")
        if self.server.live_reload:
            body = inject(body, token)
        self._send(HTTPStatus.SERVICE_UNAVAILABLE, body, "text/html; charset=utf-8", head)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, data: bytes, ctype: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    # -- server-sent events

    def _events(self) -> None:
        server = self.server
        builder = server.builder
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        seq = server.events.seq
        hello = {"token": builder.token, "problems": builder.problems, "history": list(builder.history)}
        try:
            self._event("hello", hello, retry=1000)
            while not server.stopping:
                batch = server.events.wait(seq, HEARTBEAT_SECONDS)
                if server.stopping or server.events.closed:
                    break
                if not batch:
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    continue
                for seq, name, data in batch:
                    self._event(name, data)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            pass

    def _event(self, name: str, data: dict, retry: int | None = None) -> None:
        text = (f"retry: {retry}\n" if retry else "") + f"event: {name}\ndata: {json.dumps(data)}\n\n"
        self.wfile.write(text.encode("utf-8"))
        self.wfile.flush()


# ------------------------------------------------------------- the whole

class LivePreview:
    """Builder + server + watcher, started and stopped together (the CLI and the tests use this)."""

    def __init__(self, root: Path, *, out: Path | None = None, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 base_path: str = "/", strict: bool = False, live_reload: bool = True,
                 quiet: float = QUIET_SECONDS, log: Callable[[str], None] | None = None,
                 port_fallback: bool = False, read_only: bool = False):
        self.root = Path(root).resolve()
        self.read_only = read_only
        self.host = host
        self.port = port
        self.port_fallback = port_fallback
        self.base_path = normalize_base_path(base_path)
        self.strict = strict
        self.live_reload = live_reload
        self.quiet = quiet
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._temp_out = out is None
        self.out = Path(out).resolve() if out is not None else None
        self.events = Events()
        self.builder: Builder | None = None
        self.server: LiveServer | None = None
        self.watcher: Watcher | None = None
        self._server_thread: threading.Thread | None = None
        self.initial: Compiled | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host = self.server.server_address[0]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.server.server_address[1]}{self.base_path}"

    def log(self, line: str) -> None:
        self._log(line)

    def start(self) -> "LivePreview":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        if not (self.root / "content").is_dir():
            raise ServeError(f"no content/ folder in {self.root}: is --root the briefing project?")
        if self._temp_out:
            self.out = Path(tempfile.mkdtemp(prefix="site-builder-serve-")).resolve()
        else:
            assert self.out is not None
            try:
                check_output_dir(self.root, self.out)
            except OutputError as exc:
                raise ServeError(str(exc)) from exc
        assert self.out is not None
        self.builder = Builder(self.root, self.out, self.events, strict=self.strict, quiet=self.quiet, log=self.log)
        # Watch first, so a save during the first build is not missed.
        self.watcher = Watcher(self.root, self.builder.notify)
        self.watcher.start()
        result = self.builder.build_now(initial=True)
        self.initial = result
        pages = sum(1 for p in result.files if p.endswith(".html"))
        if result.ok:
            for line in (d.format() for d in result.diagnostics.sorted()):
                self.log(line)
            try:
                write_site(self.root, self.out, result.files)
            except (OSError, OutputError) as exc:
                raise ServeError(f"cannot write {self.out}: {exc}") from exc
            self.builder.files = result.files
            self.log(f"built {pages} pages in {self.builder.last_ms:.0f} ms ({result.diagnostics.summary()})")
        else:
            self.builder._fail([d.format() for d in result.diagnostics.sorted()], result.diagnostics.summary(),
                               "first build: ")
        self.server = self._bind()
        if not self.read_only:
            self.server.authoring = authoring.Authoring(self.root, self.host, self.server.server_address[1],
                                                        self.base_path)
        self._server_thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                               name="site-builder-http", daemon=True)
        self._server_thread.start()
        self.builder.start()

    def _bind(self) -> LiveServer:
        assert self.builder is not None and self.out is not None
        port = self.port
        last: OSError | None = None
        for attempt in range(20 if self.port_fallback else 1):
            try:
                return LiveServer((self.host, port + attempt if port else 0), self.out, self.builder, self.events,
                                  self.base_path, self.live_reload)
            except OSError as exc:
                last = exc
        raise ServeError(f"cannot listen on {self.host}:{port}: {last.strerror if last else 'error'}"
                         + (" (the port is in use: choose another with --port, or --port 0 for any free one)"
                            if last is not None and last.errno in (98, 48, 10048) else ""))

    def stop(self) -> None:
        """Stop watching, building and serving; remove the temporary output folder.  Idempotent."""
        if self.watcher is not None:
            try:
                self.watcher.stop()
            except RuntimeError:
                pass
            self.watcher = None
        if self.builder is not None:
            self.builder.stop()
        if self.server is not None:
            self.server.stopping = True
            self.events.close()
            self.server.shutdown()
            self.server.close_connections()
            self.server.server_close()  # joins the request threads
            self.server = None
        if self._server_thread is not None:
            self._server_thread.join()
            self._server_thread = None
        if self._temp_out and self.out is not None and self.out.exists():
            shutil.rmtree(self.out, ignore_errors=True)

    def __enter__(self) -> "LivePreview":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ServeError(Exception):
    """The preview cannot start (bad options, port in use, output folder not usable)."""


def run(root: Path, *, out: Path | None = None, host: str = "127.0.0.1", port: int | None = None,
        base_path: str = "/", open_browser: bool = False, strict: bool = False, live_reload: bool = True,
        stream: TextIO | None = None, read_only: bool = False) -> int:
    """``site-builder serve``: run until Ctrl-C or SIGTERM; exit status."""
    stream = stream or sys.stderr

    def log(line: str) -> None:
        print(line, file=stream, flush=True)

    if host not in LOOPBACK:
        log(f"warning: serving on {host}: anyone who can reach this machine on that interface can read the "
            "briefing (and its drafts); the default, 127.0.0.1, serves this machine only")
    try:
        base = normalize_base_path(base_path)
    except ValueError as exc:
        log(f"error: {exc}")
        return 2
    preview = LivePreview(root, out=out, host=host, port=DEFAULT_PORT if port is None else port, base_path=base,
                          strict=strict, live_reload=live_reload, log=log, port_fallback=port is None,
                          read_only=read_only)
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None

    def on_term(signum, frame):  # noqa: ARG001
        stop.set()

    try:
        if previous is not None:
            signal.signal(signal.SIGTERM, on_term)
        try:
            preview.start()
        except ServeError as exc:
            log(f"error: {exc}")
            return 2
        assert preview.out is not None
        where = f"{preview.out} (temporary, removed on exit)" if preview._temp_out else str(preview.out)
        log(f"serving {preview.url}\n  output: {where}\n  watching content/ and templates/; press Ctrl-C to stop")
        if open_browser:
            import webbrowser
            webbrowser.open(preview.url)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        try:
            preview.stop()
        except KeyboardInterrupt:  # a second Ctrl-C while stopping
            preview.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    log("stopped")
    return 0
