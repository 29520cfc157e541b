"""Fixtures for the reader tests: the built default briefing and headless Chromium.

Tools that are missing (Chromium, the Python playwright package, Java, the npm
packages vnu-jar and axe-core in ./node_modules) skip the tests that need them,
unless SITE_BUILDER_REQUIRE_BROWSER=1 (set by scripts/test in CI): then they fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reader_build import compile_reader  # noqa: E402
from reader_support import ROOT, open_context, watch  # noqa: E402
from reader_targets import TARGETS, make_target  # noqa: E402


@pytest.fixture(scope="session")
def reader_files():
    """The default briefing's output files, with the reader files."""
    return compile_reader(ROOT)


@pytest.fixture(scope="session")
def reader_site(tmp_path_factory, reader_files) -> Path:
    """The default briefing, built with the reader files, in a temporary folder."""
    from site_builder.writer import write_site

    out = tmp_path_factory.mktemp("reader-site") / "site"
    write_site(ROOT, out, reader_files)
    return out


@pytest.fixture(scope="session", params=TARGETS)
def target(request, tmp_path_factory, reader_files, reader_site):
    """The reader as the built site, the unpacked zip export and the single-file export."""
    return make_target(request.param, reader_files, reader_site, tmp_path_factory.mktemp(f"target-{request.param}"))


@pytest.fixture(scope="session")
def reader_pages(reader_site: Path) -> list[str]:
    return sorted(p.relative_to(reader_site).as_posix() for p in reader_site.rglob("*.html"))


@pytest.fixture(scope="session")
def reader_browser(chromium_browser):
    return chromium_browser


def _page(browser, width, height):
    ctx = open_context(browser, width, height)
    page = ctx.new_page()
    page.errors = watch(page)
    return ctx, page


@pytest.fixture
def desktop(reader_browser):
    ctx, page = _page(reader_browser, 1280, 900)
    yield page
    ctx.close()


@pytest.fixture
def phone(reader_browser):
    ctx, page = _page(reader_browser, 360, 740)
    yield page
    ctx.close()
