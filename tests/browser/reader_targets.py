"""The three forms of the built reader that the browser tests run on.

* ``site``: the built site, opened from disk;
* ``zip``: the ``--zip`` export, unpacked;
* ``single``: the ``--single-file`` export, one HTML file (pages are ``?p=<key>``).

``Target.url(path)`` is the address of a site page (``documents/x.html``) in that
form, and ``Target.page_of(url)`` the site page an address shows, so one test
can drive all three.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from site_builder import exports
from site_builder.urls import OutPath

TARGETS = ("site", "zip", "single")


class Target(NamedTuple):
    name: str
    root: Path  # the site's folder, or the single file
    site: Path  # the built site (to read a page's source)
    keys: dict[str, str]  # single file: site path -> page key

    def url(self, path: str, query: str = "", fragment: str = "") -> str:
        if self.name == "single":
            q = "?p=" + self.keys[path] + (("&" + query) if query else "")
            return self.root.resolve().as_uri() + q + (f"#{fragment}" if fragment else "")
        return (self.root / path).resolve().as_uri() + (f"?{query}" if query else "") + \
            (f"#{fragment}" if fragment else "")

    def page_of(self, url: str) -> str:
        """The site path of the page that ``url`` shows ("" if none of this target's pages)."""
        parts = urlsplit(url)
        if self.name == "single":
            if unquote(parts.path) != self.root.resolve().as_posix():
                return ""
            key = parse_qs(parts.query).get("p", ["overview"])[0]
            return next((p for p, k in self.keys.items() if k == key), "")
        path = Path(unquote(parts.path))
        try:
            return path.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return ""

    def fragment_of(self, url: str) -> str:
        return unquote(urlsplit(url).fragment)


def make_target(name: str, files: dict[OutPath, bytes], site: Path, folder: Path) -> Target:
    if name == "site":
        return Target(name, site, site, {})
    if name == "zip":
        with zipfile.ZipFile(io.BytesIO(exports.zip_site(files, folder="briefing"))) as zf:
            zf.extractall(folder)
        return Target(name, folder / "briefing", site, {})
    path = folder / "briefing.html"
    path.write_bytes(exports.single_file(files))
    keys = {p.path: exports.page_key(p) for p in exports.bundle_pages(files)}
    return Target(name, path, site, keys)
