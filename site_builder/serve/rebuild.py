"""The builder of the live preview: rebuilds after changes, incrementally, and publishes the result.

It rebuilds through a :class:`build.BuildCache`, writes only the files that
changed (:func:`writer.update_site`), computes the deferred site-wide files
(search index, graph) in a thread of its own, and announces each result on
the reload channel.  A failed rebuild keeps the last good site.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Callable

from ..build import BuildCache, Compiled, compile_site
from ..diagnostics import Diagnostic, Diagnostics
from ..templating import TemplateProblem
from ..urls import OutPath
from ..writer import OutputError, update_site, write_site
from .collector import Collector
from .reload import Events

QUIET_SECONDS = 0.015  # a burst of events ends after this long without another (an atomic save: about 1 ms)
MAX_DEFER_SECONDS = 1.5  # publish a build at the latest this long after a burst began
FULL_CHECK_EVERY = 20  # every this many rebuilds, every source file is checked, not only those reported


class Builder:
    """Rebuilds the site after changes and publishes the result to ``out``.

    ``notify`` records a change; the builder thread waits until no event has
    arrived for ``quiet`` seconds (a burst: an editor's atomic save, a
    ``git checkout``), rebuilds, and if more changes arrived meanwhile builds
    again before publishing, so a burst gives one rebuild and one reload.
    """

    def __init__(self, root: Path, out: Path, events: Events, *, strict: bool = False,
                 quiet: float = QUIET_SECONDS, log: Callable[[str], None] = print,
                 diagnostic: Callable[[Diagnostic], None] | None = None,
                 alert: Callable[[str], None] | None = None):
        self.root = root
        self.out = out
        self.events = events
        self.strict = strict
        self.quiet = quiet
        self.log = log  # status lines (left out with --quiet)
        self.diagnostic = diagnostic or (lambda d: log(d.format()))  # one problem in the content
        self.alert = alert or log  # what must be seen even with --quiet: a failed build, a bug
        self.cache = BuildCache()
        self.collector = Collector()  # the cyclic collector over the long-lived cache (see .collector)
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
        # Paths reported since the last rebuild began, for the loader (see loader.FileCache.expect);
        # None: check every file (the first rebuild, and whenever an event may have been missed).
        self._since: set[str] | None = None
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
            if self._since is not None:
                self._since.update(paths)
            self._last_event = now
            if self._burst_start is None:
                self._burst_start = now
            self._wake.set()

    def lost(self) -> None:
        """The watcher may have missed events: rebuild, checking every source file."""
        now = time.monotonic()
        with self._lock:
            self._since = None
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

    def build_now(self, initial: bool = False, changed: set[str] | None = None) -> Compiled:
        """Build; ``changed``: the source paths reported since the last build began (None: unknown)."""
        started = time.perf_counter()
        full = changed is None or self.builds % FULL_CHECK_EVERY == 0
        self.cache.files.expect(None if full else changed)
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
            for d in result.diagnostics.sorted():
                self.diagnostic(d)
            pages = sum(1 for p in changed if p.endswith(".html"))
            self.log(f"{_now()} {what}rebuilt in {self.last_ms:.0f} ms: {pages} page{'s' * (pages != 1)} "
                     f"({len(changed)} file{'s' * (len(changed) != 1)}) changed ({result.diagnostics.summary()})")
            if changed or recovered:
                self.events.publish("reload", {"token": self.token, "changed": [p.path for p in changed]})
            else:
                self.events.publish("ok", {"token": self.token})
        else:
            self.fail_with(result.diagnostics, what)

    def finish_later(self, result: Compiled) -> None:
        """Render the entity pages a published build left at their last version, and publish them.

        In the building thread, after the reload event and before the next build
        (which would render them again if this did not run).
        """
        if result.later is None or not result.ok or self.files is None:
            return
        started = time.perf_counter()
        try:
            extra = result.later()
        except TemplateProblem as exc:
            # As a build's own template error: the terminal's diagnostic form and the browser's overlay.
            # The edited pages are out; the entity pages stay at their last version until a build fixes it.
            problem = Diagnostics()
            problem.error("template", exc.pos, exc.message)
            with self._publish_lock:
                self.fail_with(problem, "entity pages: ")
            return
        with self._publish_lock:
            self._publish_deferred(dict(extra), started)

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
        self.collector.settle()

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

    def fail_with(self, diagnostics: Diagnostics, what: str) -> None:
        """A build with errors: the terminal gets each problem, the browser's overlay the same lines."""
        items = diagnostics.sorted()
        self._fail([d.format() for d in items], diagnostics.summary(), what, items)

    def _fail(self, lines: list[str], summary: str, what: str, items: list[Diagnostic] | None = None) -> None:
        self.problems = {"summary": summary, "messages": lines}
        still = "still serving the last good site" if self.files is not None else "no site to serve until a build succeeds"
        self.alert(f"{_now()} {what}build failed ({summary}); {still}:")
        if items is not None:
            for d in items:
                self.diagnostic(d)
        else:
            for line in lines:
                self.alert(line)
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
        self.collector.release()

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
                self.alert("".join(traceback.format_exception_only(type(exc), exc)).rstrip())
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
                changed, self._since = self._since, set()
            try:
                result = self.build_now(changed=changed)
            except Exception as exc:  # a bug, not bad content: report it and keep serving
                import traceback
                self._fail(traceback.format_exception_only(type(exc), exc), "internal error", "")
                with self._lock:
                    self._since = None  # the next build checks every file
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
                self.finish_later(result)
                self.collector.after_build()  # after the reload event, never before it
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
