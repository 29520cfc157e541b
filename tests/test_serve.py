"""``site-builder serve``: live preview with incremental rebuilds and live reload.

The server runs in-process on a free port (``LivePreview``); a small
server-sent-events client listens for build events the way the injected
script does.  One test runs the real CLI and stops it with Ctrl-C.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from site_builder import writer
from site_builder.build import BuildCache, compile_site
from site_builder.serve import LivePreview
from site_builder.serve.reload import EVENTS_PATH, inject
from site_builder.serve.server import normalize_base_path
from site_builder.serve.watch import is_ignored, relevant

REPO = Path(__file__).resolve().parents[1]
DOC = "content/documents/xi-first-mover-ai.md"
DOC_PAGE = "documents/xi-first-mover-ai.html"
EVENT_TIMEOUT = 20.0


# ------------------------------------------------------------------ helpers

def copy_project(dest: Path) -> Path:
    """The default briefing (content and the project's templates folder) in a folder of its own."""
    shutil.copytree(REPO / "content", dest / "content")
    if (REPO / "templates").is_dir():
        shutil.copytree(REPO / "templates", dest / "templates")
    return dest


class EventClient:
    """Reads the server-sent events stream in a thread; events land in a queue."""

    def __init__(self, preview: LivePreview):
        host, port = preview.server.server_address[:2]
        self.conn = http.client.HTTPConnection(host, port, timeout=EVENT_TIMEOUT + 10)
        self.conn.request("GET", EVENTS_PATH)
        self.sock = self.conn.sock  # the response takes it over (Connection: close)
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        assert self.resp.getheader("Content-Type").startswith("text/event-stream")
        self.events: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.hello = self.next("hello")

    def _read(self) -> None:
        name, data = None, []
        try:
            while True:
                line = self.resp.fp.readline()
                if not line:
                    break
                line = line.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and name:
                    self.events.put((name, json.loads("\n".join(data))))
                    name, data = None, []
        except (OSError, ValueError):
            pass

    def next(self, name: str | None = None, timeout: float = EVENT_TIMEOUT) -> tuple[str, dict] | dict:
        """The next event (of kind ``name`` if given, skipping others)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name or 'event'} within {timeout} s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if name is None:
                return event
            if event[0] == name:
                return event[1]

    def drain(self, wait: float) -> list[tuple[str, dict]]:
        """Every event arriving within ``wait`` seconds."""
        out = []
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(self.events.get(timeout=left))
            except queue.Empty:
                break
        return out

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
        self.thread.join(5)


def get(preview: LivePreview, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """A raw request (the path is sent exactly as given)."""
    host, port = preview.server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def page(preview: LivePreview, rel: str) -> str:
    status, _, body = get(preview, preview.base_path + rel)
    assert status == 200, (rel, status)
    return body.decode("utf-8")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def full_build(root: Path, dest: Path) -> dict[str, bytes]:
    result = compile_site(root)
    assert result.ok, [d.format() for d in result.diagnostics.sorted()]
    writer.write_site(root, dest, result.files)
    return tree(dest)


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def preview(project):
    lines: list[str] = []
    p = LivePreview(project, port=0, quiet=0.05, log=lines.append)
    p.lines = lines
    p.start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
def events(preview):
    client = EventClient(preview)
    yield client
    client.close()


# ------------------------------------------------------------------ serving

def test_serves_the_built_site_with_the_reload_script(preview):
    assert preview.url.startswith("http://127.0.0.1:")
    status, headers, body = get(preview, "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert b"data-site-builder-live" in body and b"EventSource" in body
    assert body.rstrip().endswith(b"</html>")
    # Only served pages get the script: the files built into the output folder do not.
    on_disk = tree(preview.out)
    assert on_disk["index.html"] in body.replace(body[body.index(b"<script data-site-builder-live"):
                                                      body.index(b"</script>\n", body.index(b"<script data-site-builder-live")) + 10], b"")
    assert all(b"data-site-builder-live" not in data for data in on_disk.values())


def test_build_output_never_contains_the_reload_script(project, tmp_path):
    files = full_build(project, tmp_path / "out")
    assert files
    assert all(b"site-builder-live" not in data and b"__site_builder__" not in data for data in files.values())


def test_content_types_directories_and_404(preview):
    status, headers, body = get(preview, "/assets/style.css")
    assert (status, headers["content-type"]) == (200, "text/css; charset=utf-8")
    assert b"data-site-builder-live" not in body
    status, headers, _ = get(preview, "/glossary/")
    assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert get(preview, "/glossary/")[2] == get(preview, "/glossary/index.html")[2]
    status, headers, _ = get(preview, "/glossary")
    assert (status, headers["location"]) == (301, "/glossary/")
    status, headers, body = get(preview, "/no/such/page.html")
    assert status == 404 and headers["content-type"].startswith("text/html")
    assert b"Page not found" in body  # the site's own 404 page
    assert b'<base href="/">' in body  # its root-relative links work at any depth
    status, headers, body = get(preview, "/index.html", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


@pytest.mark.parametrize("path", [
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/documents/../../../../etc/passwd",
    "/documents/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%252e%252e/%252e%252e/etc/passwd",
    "/..%5c..%5c..%5cetc%5cpasswd",
    "//etc/passwd",
    "/etc/passwd",
    "/%00index.html",
    "http://127.0.0.1/../../etc/passwd",
    "/.site-builder-output",
    "/escape/passwd",
    "/escape.html",
])
def test_only_files_under_the_output_folder_are_served(preview, path):
    (preview.out / "escape").symlink_to("/etc")
    (preview.out / "escape.html").symlink_to("/etc/passwd")
    status, _, body = get(preview, path)
    assert status == 404, (path, status)
    assert b"root:" not in body
    assert b"Page not found" in body


def test_symlinks_inside_the_output_folder_are_served(preview):
    (preview.out / "alias.html").symlink_to(preview.out / "index.html")
    status, _, body = get(preview, "/alias.html")
    assert status == 200 and b"<html" in body


def test_base_path_serves_the_site_under_a_path(project):
    with LivePreview(project, port=0, base_path="repo", log=lambda line: None) as p:
        assert p.base_path == "/repo/" and p.url.endswith("/repo/")
        assert get(p, "/repo/")[0] == 200
        assert get(p, "/repo")[:2][0] == 301 and get(p, "/repo")[1]["location"] == "/repo/"
        assert get(p, "/")[0] == 404 and get(p, "/index.html")[0] == 404
        status, _, body = get(p, "/repo/missing")
        assert status == 404 and b'<base href="/repo/">' in body
        # Every link on every page resolves under the base path (what --base-path is for).
        seen, todo, broken = set(), ["/repo/"], []
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.add(url)
            status, headers, body = get(p, url)
            if status != 200:
                broken.append(url)
                continue
            if not headers["content-type"].startswith("text/html"):
                continue
            for href in re.findall(rb'(?:href|src)="([^"#?]*)', body):
                href = href.decode()
                if not href or href.startswith(("http:", "https:", "mailto:", "/__site_builder__")):
                    continue
                base = url if url.endswith("/") else url.rsplit("/", 1)[0] + "/"
                target = os.path.normpath(base + href) if not href.startswith("/") else href
                if href.endswith("/"):
                    target += "/"
                todo.append(target)
        assert len(seen) > 40
        assert not broken, broken


def test_base_path_is_normalised():
    assert normalize_base_path("") == "/"
    assert normalize_base_path("/") == "/"
    assert normalize_base_path("repo") == "/repo/"
    assert normalize_base_path("/a/b") == "/a/b/"
    with pytest.raises(ValueError):
        normalize_base_path("/a/../b")


def test_injection_goes_before_the_last_body_end():
    html = b"<html><body><p>x</p><script>'</body>'</script></BODY >\n</html>"
    out = inject(html, "t-1")
    assert out.index(b"data-site-builder-live") < out.rindex(b"</BODY >")
    assert out.count(b"data-site-builder-live") == 1
    assert inject(b"no body here", "t").startswith(b"no body here<script")


# ------------------------------------------------------------------ live reload

def test_edit_reloads_and_the_served_page_changes(preview, events, project):
    assert events.hello["token"] == preview.builder.token and events.hello["problems"] is None
    before = page(preview, DOC_PAGE)
    assert "A sentence added by the test" not in before
    doc = project / DOC
    doc.write_text(doc.read_text(encoding="utf-8").rstrip() + "\n\nA sentence added by the test.\n", encoding="utf-8")
    data = events.next("reload")
    assert DOC_PAGE in data["changed"]
    assert "A sentence added by the test" in page(preview, DOC_PAGE)
    # A page served now carries the newest token, so it does not reload again on connecting: the
    # reload's, or that of the update with the deferred site-wide files (search index, graph),
    # which can follow it at once.
    body = get(preview, "/")[2]
    token = data["token"]
    if json.dumps(token).encode() not in body:
        token = events.next("update")["token"]
        assert json.dumps(token).encode() in body
    generation = int(preview.builder.token.rsplit("-", 1)[1])
    assert generation >= int(token.rsplit("-", 1)[1]) >= int(data["token"].rsplit("-", 1)[1])


def test_create_rename_and_delete_documents(preview, events, project):
    new = project / "content/documents/new-note.md"
    new.write_text("---\ntitle: A new document\n---\n\nDeepSeek released a model.\n", encoding="utf-8")
    data = events.next("reload")
    assert "documents/new-note.html" in data["changed"]
    assert "A new document" in page(preview, "documents/new-note.html")
    assert "A new document" in page(preview, "index.html")
    assert "new-note.html" in page(preview, "glossary/deepseek.html")

    new.rename(project / "content/documents/renamed-note.md")
    data = events.next("reload")
    assert {"documents/new-note.html", "documents/renamed-note.html"} <= set(data["changed"])
    assert get(preview, "/documents/new-note.html")[0] == 404
    assert "A new document" in page(preview, "documents/renamed-note.html")
    assert "renamed-note.html" in page(preview, "glossary/deepseek.html")

    (project / "content/documents/renamed-note.md").unlink()
    data = events.next("reload")
    assert "documents/renamed-note.html" in data["changed"]
    assert get(preview, "/documents/renamed-note.html")[0] == 404
    assert "renamed-note" not in page(preview, "glossary/deepseek.html")
    assert preview.builder.wait_idle(120)  # the deferred site-wide files (search index, graph) too
    assert tree(preview.out) == full_build(project, project.parent / "clean")


def test_editor_atomic_save_and_temp_files(preview, events, project):
    doc = project / DOC
    folder = doc.parent
    builds = preview.builder.builds
    # Swap, backup, lock and scratch files alone never rebuild.
    for name in (".xi-first-mover-ai.md.swp", "xi-first-mover-ai.md~", ".#xi-first-mover-ai.md", "#xi-first-mover-ai.md#",
                 "4913", ".goutputstream-ABC123", "xi-first-mover-ai.md.tmp", "sedAb12Cd"):
        (folder / name).write_text("scratch", encoding="utf-8")
        (folder / name).unlink()
    assert events.drain(0.6) == []
    assert preview.builder.builds == builds
    # An atomic save as editors do it: backup, write a temp file, rename it over the original.
    text = doc.read_text(encoding="utf-8")
    shutil.copy(doc, folder / "xi-first-mover-ai.md~")
    tmp = folder / ".xi-first-mover-ai.md.tmp1234"
    tmp.write_text(text.rstrip() + "\n\nSaved atomically.\n", encoding="utf-8")
    os.replace(tmp, doc)
    (folder / "xi-first-mover-ai.md~").unlink()
    data = events.next("reload")
    assert DOC_PAGE in data["changed"]
    assert "Saved atomically." in page(preview, DOC_PAGE)
    assert [e for e in events.drain(0.5) if e[0] == "reload"] == []


def test_a_burst_of_changes_is_one_rebuild(preview, events, project):
    # Like a git checkout: a hundred files written back to back.
    folder = project / "content/documents"
    for i in range(100):
        (folder / f"burst-{i:03d}.md").write_text(f"---\ntitle: Burst {i}\n---\n\nText {i}.\n", encoding="utf-8")
    data = events.next("reload")
    assert sum(1 for p in data["changed"] if p.startswith("documents/burst-")) == 100
    later = events.drain(1.0)
    assert [e for e in later if e[0] in ("reload", "problems")] == []
    assert "Burst 99" in page(preview, "documents/burst-099.html")


def test_broken_yaml_shows_the_problems_then_recovers(preview, events, project):
    good = page(preview, "index.html")
    site = project / "content/site.yml"
    original = site.read_text(encoding="utf-8")
    site.write_text(original + "subtitle: [unclosed\n", encoding="utf-8")
    problems = events.next("problems")
    check = subprocess.run([sys.executable, "-m", "site_builder", "check", "--root", str(project)],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    expected = [line for line in check.stderr.splitlines() if re.match(r"^\S+:\d+:\d+: (error|warning): ", line)]
    # Each message is a diagnostic line with its note lines (the unclosed list's note) under it.
    assert expected and [m.splitlines()[0] for m in problems["messages"]] == expected
    assert "\n".join(problems["messages"]) in check.stderr
    assert re.match(r"^content/site\.yml:\d+:\d+: error: YAML syntax error", problems["messages"][0])
    assert problems["summary"].startswith("1 error")
    # The last good site is still served, and a page opened now learns of the problems on connecting.
    assert page(preview, "index.html") == good
    late = EventClient(preview)
    try:
        assert late.hello["problems"] == problems
    finally:
        late.close()
    assert any("content/site.yml" in line and "error" in line for line in preview.lines)

    site.write_text(original.replace("title:", "title: Fixed,", 1), encoding="utf-8")
    data = events.next("reload")
    assert "index.html" in data["changed"]
    assert "Fixed," in page(preview, "index.html")
    late = EventClient(preview)
    try:
        assert late.hello["problems"] is None
    finally:
        late.close()


def test_template_edit_rerenders_what_uses_it(preview, events, project):
    templates = project / "templates"
    templates.mkdir(exist_ok=True)
    shutil.copy(REPO / "site_builder/templates/entity.html", templates / "entity.html")
    edit(templates / "entity.html", "<h1{{", '<h1 class="edited"{{')
    data = events.next("reload")
    changed = set(data["changed"])
    assert changed and all(p.startswith("glossary/") and p != "glossary/index.html" for p in changed)
    assert 'class="edited"' in page(preview, "glossary/deepseek.html")
    assert preview.builder.wait_idle(120)  # the deferred site-wide files (search index, graph) too
    assert tree(preview.out) == full_build(project, project.parent / "clean")


def test_first_build_failing_still_serves_and_recovers(project):
    site = project / "content/site.yml"
    original = site.read_text(encoding="utf-8")
    site.write_text("title: [broken\n", encoding="utf-8")
    with LivePreview(project, port=0, quiet=0.05, log=lambda line: None) as p:
        status, _, body = get(p, "/")
        assert status == 503 and b"data-site-builder-live" in body
        client = EventClient(p)
        try:
            assert re.match(r"^content/site\.yml:\d+:\d+: error: YAML syntax error", client.hello["problems"]["messages"][0])
            site.write_text(original, encoding="utf-8")
            client.next("reload")
            assert get(p, "/")[0] == 200
        finally:
            client.close()


def test_stop_leaves_no_threads_or_temp_folders(project):
    before = set(threading.enumerate())
    p = LivePreview(project, port=0, log=lambda line: None).start()
    out = p.out
    client = EventClient(p)
    assert out.is_dir() and (out / "index.html").is_file()
    p.stop()
    client.close()
    deadline = time.monotonic() + 5
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(threading.enumerate()) - before == set()
    assert not out.exists()
    assert not [x for x in out.parent.glob(f".{out.name}*")]


def test_out_folder_is_kept_and_checked(project, tmp_path):
    out = tmp_path / "site"
    with LivePreview(project, out=out, port=0, log=lambda line: None):
        assert (out / "index.html").is_file()
    assert (out / "index.html").is_file()  # --out is the user's: kept
    from site_builder.serve import ServeError
    with pytest.raises(ServeError):
        LivePreview(project, out=project / "content" / "out", port=0, log=lambda line: None).start()


def test_ignore_filter():
    for name in (".doc.md.swp", ".doc.md.swx", "doc.md~", ".#doc.md", "#doc.md#", "4913", "doc.md.tmp", "doc.bak",
                 ".goutputstream-XYZ", "doc.md___jb_tmp___", "sedAbC123", ".DS_Store", "doc.md.orig"):
        assert is_ignored(name), name
    for name in ("doc.md", "site.yml", "entity.html", "style.css", "sediment.md"):
        assert not is_ignored(name), name
    root = Path("/proj")
    assert relevant(root, "/proj/content/documents/a.md") == "content/documents/a.md"
    assert relevant(root, "/proj/templates/assets/style.css") == "templates/assets/style.css"
    assert relevant(root, "/proj/output/index.html") is None
    assert relevant(root, "/proj/content/.git/index") is None
    assert relevant(root, "/elsewhere/content/a.md") is None


# ------------------------------------------------------------------ incremental == full

def _edits(root: Path):
    """(label, change) pairs covering every kind of input; each leaves a valid project."""
    doc = root / DOC
    yield "document body", lambda: doc.write_text(doc.read_text(encoding="utf-8").rstrip()
                                                  + "\n\nDeepSeek and Tencent, once more.\n", encoding="utf-8")
    yield "document front matter", lambda: edit(doc, 'title: "', 'title: "Edited: ')
    ann = root / "content/annotations/xi-first-mover-ai.yml"
    yield "annotation", lambda: edit(ann, "kind: note", "kind: context")
    g = root / "content/glossary/deepseek.yml"
    yield "glossary summary", lambda: edit(g, "summary: ", "summary: Edited. ")
    yield "glossary alias added", lambda: edit(g, "aliases: [", "aliases: [Chinese President, ")
    t = root / "content/glossary/tencent.yml"
    yield "glossary name (an alias)", lambda: edit(t, "name: Tencent", "name: Tencent Group")
    yield "glossary alias removed", lambda: edit(g, "aliases: [Chinese President, ", "aliases: [")
    entry = root / "content/glossary/test-lab.yml"
    yield "glossary entry created", lambda: entry.write_text(
        "name: Test Lab\ntype: company\nsummary: A lab made by the test.\naliases: [researchers]\n", encoding="utf-8")
    yield "glossary entry deleted", lambda: entry.unlink()
    yield "new document", lambda: (root / "content/documents/zz-new.md").write_text(
        "---\ntitle: New\n---\n\nTencent Group met Xi Jinping.\n", encoding="utf-8")
    yield "renamed document", lambda: (root / "content/documents/zz-new.md").rename(root / "content/documents/aa-new.md")
    yield "deleted document", lambda: (root / "content/documents/aa-new.md").unlink()
    tpl = root / "templates" / "_macros.html"
    yield "new template override", lambda: (tpl.parent.mkdir(exist_ok=True), tpl.write_text(
        (REPO / "site_builder/templates/_macros.html").read_text(encoding="utf-8").replace("note-head", "note-head x", 1),
        encoding="utf-8"))
    yield "template edit", lambda: edit(tpl, "note-head x", "note-head y")
    yield "template removed", lambda: tpl.unlink()
    saved = root / "annotations-saved.yml"  # outside content/: not a source
    yield "annotation file removed", lambda: ann.rename(saved)
    yield "annotation file restored", lambda: saved.rename(ann)
    lock = root / "anchors.lock.json"
    yield "anchor state written", lambda: lock.write_text(
        (REPO / "anchors.lock.json").read_text(encoding="utf-8").replace('"start": 2516', '"start": 2400', 1)
        .replace('"prefix": "se AI models', '"prefix": "se AI systems', 1), encoding="utf-8")
    yield "anchor state edited", lambda: edit(lock, '"start": 2400', '"start": 2300')
    yield "anchor state removed", lambda: lock.unlink()
    site = root / "content/site.yml"
    yield "site settings", lambda: edit(site, 'title: "', 'title: "Renamed: ')


def test_incremental_build_equals_a_clean_full_build(project):
    # The project overrides every template with a copy, so the two builds compared read the same ones.
    shutil.copytree(REPO / "site_builder/templates", project / "templates", dirs_exist_ok=True)
    cache = BuildCache()
    assert compile_site(project, cache=cache).ok
    for label, change in _edits(project):
        change()
        incremental = compile_site(project, cache=cache)
        clean = compile_site(project)
        assert [d.format() for d in incremental.diagnostics.sorted()] == [d.format() for d in clean.diagnostics.sorted()], label
        assert incremental.ok and clean.ok, (label, [d.format() for d in clean.diagnostics.errors])
        assert incremental.files.keys() == clean.files.keys(), label
        differing = [p for p in clean.files if incremental.files[p] != clean.files[p]]
        assert not differing, (label, differing)
        if label != "site settings":  # the site title is on every page
            assert len(cache.render.rendered) < len(clean.files) - 5, (label, len(cache.render.rendered))


def test_incremental_rebuild_touches_only_what_changed(project):
    cache = BuildCache()
    first = compile_site(project, cache=cache)
    assert first.ok
    assert compile_site(project, cache=cache).ok
    assert cache.render.rendered == [] and cache.analysed == [] and cache.files.parsed == []
    doc = project / DOC
    doc.write_text(doc.read_text(encoding="utf-8").rstrip() + "\n\nA plain closing line.\n", encoding="utf-8")
    assert compile_site(project, cache=cache).ok
    assert cache.analysed == ["xi-first-mover-ai"]
    assert cache.files.parsed == [DOC]
    assert cache.render.rendered == [DOC_PAGE]  # no mention, annotation or count changed elsewhere
    edit(project / "content/glossary/tencent.yml", "summary:", "summary: Edited.")
    assert compile_site(project, cache=cache).ok
    assert cache.analysed == []  # a summary is not an alias: no document is analysed again
    rendered = set(cache.render.rendered)
    assert "glossary/tencent.html" in rendered and "glossary/index.html" in rendered
    assert "glossary/alibaba.html" not in rendered or "tencent" in first.files["glossary/alibaba.html"].decode()


def test_server_output_equals_a_full_build_after_edits(preview, events, project):
    doc = project / DOC
    doc.write_text(doc.read_text(encoding="utf-8").rstrip() + "\n\nXi Jinping and DeepSeek.\n", encoding="utf-8")
    events.next("reload")
    edit(project / "content/glossary/deepseek.yml", "name: DeepSeek", "name: DeepSeek Lab")
    events.next("reload")
    assert preview.builder.wait_idle(120)  # the deferred site-wide files (search index, graph) too
    assert tree(preview.out) == full_build(project, project.parent / "clean")


# ------------------------------------------------------------------ the command line

def _start_cli(project: Path, *args: str) -> tuple[subprocess.Popen, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "site_builder", "serve", "--root", str(project), *args],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "press Ctrl-C to stop" in line:
            return proc, lines
    proc.kill()
    raise AssertionError("serve did not start: " + "\n".join(lines))


def test_cli_serve_prints_the_url_and_stops_cleanly_on_ctrl_c(project):
    proc, lines = _start_cli(project, "--port", "0")
    try:
        url = next(re.search(r"http://\S+", line).group(0) for line in lines if "serving http" in line)
        out = Path(next(line.split("output: ", 1)[1].split(" (temporary")[0] for line in lines if "output: " in line))
        assert out.is_dir()
        host, port = re.match(r"http://([\d.]+):(\d+)/", url).groups()
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
        os.kill(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "\n".join(lines) + stderr
    assert proc.returncode == 0, text
    assert "Traceback" not in text and "Traceback" not in stdout
    assert stderr.strip().endswith("stopped")
    assert not out.exists()


def test_cli_serve_warns_when_listening_beyond_this_machine(project):
    proc, lines = _start_cli(project, "--port", "0", "--host", "0.0.0.0")
    try:
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert any(line.startswith("warning: serving on 0.0.0.0") for line in lines)
    assert proc.returncode == 0 and "Traceback" not in stderr


def test_cli_serve_port_in_use_is_an_error(project):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        port = blocker.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "site_builder", "serve", "--root", str(project),
                               "--port", str(port)], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        blocker.close()
    assert proc.returncode == 2
    assert "error: cannot listen on 127.0.0.1:" in proc.stderr and "--port" in proc.stderr
    assert "Traceback" not in proc.stderr
