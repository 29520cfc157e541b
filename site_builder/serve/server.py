"""The HTTP server of the live preview: the output folder, the build events, the authoring endpoints.

:class:`LiveServer` serves the output folder under a base path, injects the
reload script into HTML responses, streams the build events to every open
page as server-sent events, and hands authoring writes (``POST``) to
:mod:`site_builder.authoring` when annotating from the preview is on.
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
import posixpath
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .. import authoring
from .rebuild import Builder
from .reload import EVENTS_PATH, Events, inject, inject_extra

HEARTBEAT_SECONDS = 15.0

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
    """Serves ``out`` under ``base_path`` and the build events; see :class:`RequestHandler`."""

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
