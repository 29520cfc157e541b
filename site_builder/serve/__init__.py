"""Live preview: ``site-builder serve``.

Four small parts, one module each, which :class:`LivePreview` starts and
stops together:

* the **watcher** (:mod:`.watch`) reports changed source files and drops
  editor temp, swap and backup files (:func:`.watch.is_ignored`), so they
  never trigger a rebuild;
* the **builder** (:mod:`.rebuild`) rebuilds on changes, incrementally
  through a :class:`build.BuildCache`, and writes only the files that changed
  (:func:`writer.update_site`); a failed rebuild keeps the last good site;
* the **reload channel** (:mod:`.reload`): the build events, and the script
  injector (:func:`.reload.inject`), which adds the reload script to HTML
  responses, so ``build`` output never contains it;
* the **server** (:mod:`.server`) serves the output folder over HTTP, pushes
  the build events to every open page as server-sent events, and takes the
  authoring writes (:mod:`site_builder.authoring`) unless ``--read-only``.

The builder keeps the cyclic garbage collector off its long-lived cache
(:mod:`.collector`).

The watcher (watchdog) watches ``content/`` (``site.yml`` is in it) and the
project's ``templates/``, plus the project folder itself without recursion,
only to notice those two folders appearing or disappearing.  The output
folder is never watched: by default it is a temporary folder outside the
project, removed on exit; ``--out`` may name another, which is checked like
``build --out`` (never inside ``content/`` or ``templates/``).
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Callable, TextIO

from .. import authoring
from ..build import Compiled
from ..console import Console
from ..diagnostics import Diagnostic
from ..writer import OutputError, check_output_dir, write_site
from .rebuild import QUIET_SECONDS, Builder
from .reload import Events
from .server import LiveServer, normalize_base_path
from .watch import Watcher

DEFAULT_PORT = 8000
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class LivePreview:
    """Builder + server + watcher, started and stopped together (the CLI and the tests use this)."""

    def __init__(self, root: Path, *, out: Path | None = None, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 base_path: str = "/", strict: bool = False, live_reload: bool = True,
                 quiet: float = QUIET_SECONDS, log: Callable[[str], None] | None = None,
                 port_fallback: bool = False, read_only: bool = False,
                 diagnostic: Callable[[Diagnostic], None] | None = None, alert: Callable[[str], None] | None = None):
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
        self._diagnostic = diagnostic or (lambda d: self.log(d.format()))
        self._alert = alert or self.log
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
        self.builder = Builder(self.root, self.out, self.events, strict=self.strict, quiet=self.quiet, log=self.log,
                               diagnostic=self._diagnostic, alert=self._alert)
        # Watch first, so a save during the first build is not missed.
        self.watcher = Watcher(self.root, self.builder.notify, self.builder.lost)
        self.watcher.start()
        result = self.builder.build_now(initial=True)
        self.initial = result
        pages = sum(1 for p in result.files if p.endswith(".html"))
        if result.ok:
            for d in result.diagnostics.sorted():
                self._diagnostic(d)
            try:
                write_site(self.root, self.out, result.files)
            except (OSError, OutputError) as exc:
                raise ServeError(f"cannot write {self.out}: {exc}") from exc
            self.builder.files = result.files
            self.log(f"built {pages} pages in {self.builder.last_ms:.0f} ms ({result.diagnostics.summary()})")
        else:
            self.builder.fail_with(result.diagnostics, "first build: ")
        self.builder.collector.after_build()  # the first build's cache leaves the collected generations
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
        stream: TextIO | None = None, read_only: bool = False, quiet: bool = False) -> int:
    """``site-builder serve``: run until Ctrl-C or SIGTERM; exit status.

    The terminal is written as the other commands write it (:class:`Console`):
    diagnostics coloured on a terminal unless ``NO_COLOR``; with ``quiet`` only
    errors, failed builds and the address being served.
    """
    console = Console.for_stderr(quiet=quiet, strict=strict, stream=stream or sys.stderr)
    log, alert = console.info, console.alert

    if host not in LOOPBACK:
        console.labelled("warning", f"serving on {host}: anyone who can reach this machine on that interface can read "
                         "the briefing (and its drafts); the default, 127.0.0.1, serves this machine only", always=True)
    try:
        base = normalize_base_path(base_path)
    except ValueError as exc:
        console.error(str(exc))
        return 2
    preview = LivePreview(root, out=out, host=host, port=DEFAULT_PORT if port is None else port, base_path=base,
                          strict=strict, live_reload=live_reload, log=log, port_fallback=port is None,
                          read_only=read_only, diagnostic=console.diagnostic, alert=alert)
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
            console.error(str(exc))
            return 2
        assert preview.out is not None
        where = f"{preview.out} (temporary, removed on exit)" if preview._temp_out else str(preview.out)
        alert(f"serving {preview.url}\n  output: {where}\n  watching content/ and templates/; press Ctrl-C to stop")
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
