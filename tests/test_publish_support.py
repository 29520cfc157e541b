"""Helpers shared by the publish / export / web-annotation / init tests (no tests here).

* building the site with the publishing files (``build.compile_site``), in a copy
  of the default content with a chosen ``base_url`` / ``cname``;
* a link checker that resolves every link and fragment the way a browser does,
  from file:// or under an http(s) base (a GitHub Pages project path or a
  custom domain root), including GitHub Pages' 404 behaviour;
* a validator running the W3C Web Annotation test suite's MUST assertions
  (JSON Schema draft-04) with jsonschema;
* a headless Chromium (Debian's chromium, driven by playwright).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
W3C_DIR = ROOT.parent / "shared" / "testdata" / "w3c-web-annotation"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PROJECT_BASE = "https://org.github.io/briefing-repo/"
DOMAIN_BASE = "https://briefing.example.org/"


# ----------------------------------------------------------------- projects

def project_copy(dest: Path, *, base_url: str | None = None, cname: str | None = None,
                 source: Path = ROOT) -> Path:
    """A copy of ``source``'s content/ (and templates/) with base_url / cname set in site.yml."""
    shutil.copytree(source / "content", dest / "content")
    if (source / "templates").is_dir():
        shutil.copytree(source / "templates", dest / "templates")
    site = dest / "content" / "site.yml"
    text = site.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(base_url|cname):.*\n?", "", text)
    if not text.endswith("\n"):
        text += "\n"
    if base_url:
        text += f"base_url: {json.dumps(base_url)}\n"
    if cname:
        text += f"cname: {cname}\n"
    site.write_text(text, encoding="utf-8")
    return dest


def no_base_env() -> dict:
    """The environment without SITE_BUILDER_BASE_URL (so a CI variable cannot leak into a test)."""
    env = dict(os.environ)
    env.pop("SITE_BUILDER_BASE_URL", None)
    return env


def full_files(root: Path, environ: dict | None = None):
    """The whole site of ``root`` in memory, publishing files included; asserts it builds."""
    from unittest import mock

    from site_builder.build import compile_site
    with mock.patch.dict(os.environ, no_base_env() if environ is None else environ, clear=True):
        result = compile_site(root)
    assert result.ok, "\n".join(d.format() for d in result.diagnostics.sorted())
    return result


def load_analysed():
    """The default content, loaded and analysed as the build does: (content, analyses, refs)."""
    from site_builder import build, loader, validate, xref
    from site_builder.diagnostics import Diagnostics
    from site_builder.markdown import Markdown
    diags = Diagnostics()
    content = loader.load(ROOT, diags)
    md = Markdown(allow_html=content.site.allow_raw_html)
    validate.check(content, md, diags)
    analyses = build.analyse_all(content, md, None, 1)
    return content, analyses, xref.build(content, analyses)


def write_out(files: dict, folder: Path) -> Path:
    for path, data in files.items():
        target = folder / path.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def run_cli(*args, env: dict | None = None, cwd: Path | None = None, timeout: float = 180):
    full_env = no_base_env()
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full_env.get("PYTHONPATH")]))
    full_env.pop("SOURCE_DATE_EPOCH", None)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "site_builder", *map(str, args)], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


# ------------------------------------------------------------------ links

class _Refs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attr, value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for attr in ("href", "src"):
            v = a.get(attr)
            if v is not None and tag in ("a", "link", "script", "img", "iframe", "source", "area"):
                self.refs.append((tag, attr, v))

    handle_startendtag = handle_starttag


def parse_page(data: bytes) -> _Refs:
    p = _Refs()
    p.feed(data.decode("utf-8"))
    p.close()
    return p


def site_map(files: dict) -> dict[str, _Refs]:
    return {p.path: parse_page(d) for p, d in files.items() if p.path.endswith(".html")}


def _check_target(files_by_path: dict, pages: dict, path: str, frag: str, where: str) -> str | None:
    if path not in files_by_path:
        return f"{where}: no file {path}"
    if frag and path.endswith(".html"):
        ids = pages[path].ids
        if unquote(frag) not in ids:
            return f"{where}: no #{frag} in {path}"
    return None


def broken_links(files: dict, mode: str, base: str = "", *, served_at: dict[str, str] | None = None,
                 pages_only: set[str] | None = None) -> list[str]:
    """Every link, stylesheet, script and image reference that does not resolve.

    ``mode`` 'file': opened from disk (file://; folders do not resolve to index.html).
    ``mode`` 'http': served under ``base`` (folders resolve to index.html, like GitHub Pages);
    references leaving ``base`` on the same host are broken.  ``served_at`` maps a page to the URL
    it is served at, if not base + its path (GitHub Pages serves 404.html for any missing URL).
    Links to other hosts are not followed.
    """
    files_by_path = {p.path: d for p, d in files.items()}
    pages = site_map(files)
    problems = []
    disk_root = "/site-under-test/"
    for page, refs in pages.items():
        if pages_only is not None and page not in pages_only:
            continue
        if mode == "file":
            page_url = "file://" + disk_root + page
        else:
            page_url = (served_at or {}).get(page, base + page)
        for tag, attr, value in refs.refs:
            where = f"{page} <{tag} {attr}={value!r}>"
            if value.startswith(("mailto:", "data:", "tel:")):
                continue
            if value.startswith("#"):  # this document, wherever it is served
                if value[1:] and unquote(value[1:]) not in refs.ids:
                    problems.append(f"{where}: no {value} in {page}")
                continue
            u = urljoin(page_url, value)
            parts = urlsplit(u)
            if mode == "file":
                if parts.scheme != "file":
                    if base and u.startswith(base):
                        rel = unquote(parts.path)[len(urlsplit(base).path):]
                        rel = rel + "index.html" if rel == "" or rel.endswith("/") else rel
                        problem = _check_target(files_by_path, pages, rel, parts.fragment, where)
                        if problem:
                            problems.append(problem)
                    continue
                path = unquote(parts.path)
                if not path.startswith(disk_root):
                    problems.append(f"{where}: leaves the site folder ({path})")
                    continue
                rel = path[len(disk_root):]
                if rel == "" or rel.endswith("/"):
                    problems.append(f"{where}: points at a folder ({rel or '/'}), which file:// does not open")
                    continue
                problem = _check_target(files_by_path, pages, rel, parts.fragment, where)
            else:
                b = urlsplit(base)
                if parts.netloc != b.netloc:
                    continue  # another site
                if not parts.path.startswith(b.path):
                    problems.append(f"{where}: leaves the project path {b.path} ({parts.path})")
                    continue
                rel = unquote(parts.path[len(b.path):])
                if rel == "" or rel.endswith("/"):
                    rel += "index.html"
                problem = _check_target(files_by_path, pages, rel, parts.fragment, where)
            if problem:
                problems.append(problem)
    return problems


# ------------------------------------------------------------------- W3C

class W3CValidator:
    """The W3C Web Annotation test suite's assertions (draft-04 JSON Schemas) via jsonschema."""

    def __init__(self, folder: Path = W3C_DIR):
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        self.folder = folder
        resources = []
        for f in sorted(folder.rglob("*.json")):
            if "samples" in f.relative_to(folder).parts:
                continue
            data = json.loads(f.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                resources.append((data["id"], Resource(data, specification=DRAFT4)))
        self.registry = Registry().with_resources(resources)
        self.format_checker = jsonschema.FormatChecker()

        @self.format_checker.checks("uri")
        def _absolute_uri(value) -> bool:  # an absolute URI: a scheme, then no whitespace
            return not isinstance(value, str) or bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value))

        self._jsonschema = jsonschema

    @functools.lru_cache(maxsize=None)
    def _assertions(self, test: str):
        spec = json.loads((self.folder / test).read_text(encoding="utf-8"))
        out = []
        for rel in spec["assertions"]:
            schema = json.loads((self.folder / rel).read_text(encoding="utf-8"))
            validator = self._jsonschema.Draft4Validator(schema, registry=self.registry,
                                                         format_checker=self.format_checker)
            out.append((rel, validator, schema.get("expectedResult", "valid") == "valid",
                        schema.get("errorMessage", "")))
        return out

    def failures(self, test: str, instance) -> list[str]:
        """Assertions of ``test`` (e.g. 'annotations/annotationMusts.test') that ``instance`` fails."""
        return [f"{rel}: {message}" for rel, validator, expected, message in self._assertions(test)
                if validator.is_valid(instance) != expected]


def w3c_validator() -> W3CValidator:
    if not (W3C_DIR / "annotations" / "annotationMusts.test").is_file():
        pytest.skip(f"W3C Web Annotation test data not found at {W3C_DIR}")
    return _shared_validator()


@functools.lru_cache(maxsize=1)
def _shared_validator() -> W3CValidator:
    return W3CValidator()


# ---------------------------------------------------------------- browser

def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def need_browser() -> None:
    """Skip unless Chromium and playwright are there (fail instead with SITE_BUILDER_REQUIRE_BROWSER=1)."""
    required = os.environ.get("SITE_BUILDER_REQUIRE_BROWSER") == "1"
    problem = ""
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:  # pragma: no cover - a test dependency
            problem = "the playwright package is not installed"
    if problem:
        if required:
            pytest.fail(f"{problem}; SITE_BUILDER_REQUIRE_BROWSER=1 requires it")
        pytest.skip(problem)


def run_in_browser(check):
    """``check(browser)`` in a thread of its own, with its own Playwright and Chromium.

    Playwright's sync API refuses to start while another instance runs in the same
    thread (other test packages keep a session-wide one), so each check gets a
    fresh thread.  Exceptions (assertions, skips) are re-raised here.
    """
    import threading
    outcome: dict = {}

    def target():
        try:
            from playwright.sync_api import sync_playwright
            with sync_playwright() as p:
                browser = launch_browser(p)
                try:
                    outcome["value"] = check(browser)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="publish-tests-browser")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture()
def chromium():
    """``chromium(check)`` runs ``check(browser)`` in headless Chromium (see run_in_browser)."""
    need_browser()
    return run_in_browser

def make_minimal(root: Path, *, docs: dict[str, str] | None = None, site_extra: str = "") -> Path:
    """A small valid project: site.yml, index.md and one document per ``{slug: date}`` ('' for none)."""
    (root / "content" / "documents").mkdir(parents=True, exist_ok=True)
    (root / "content" / "site.yml").write_text('title: "Minimal briefing"\ndate: "2025-05-01"\n' + site_extra,
                                               encoding="utf-8")
    (root / "content" / "index.md").write_text("---\ntitle: Overview\n---\n\nThe overview.\n", encoding="utf-8")
    for slug, date in (docs or {}).items():
        front = f'---\ntitle: "Document {slug}"\n' + (f'date: "{date}"\n' if date else "") + "---\n\n"
        (root / "content" / "documents" / f"{slug}.md").write_text(front + f"The text of {slug}.\n", encoding="utf-8")
    return root
