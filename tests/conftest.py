"""Fixtures shared by the test files in this folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from builder_support import ROOT, assert_no_traceback, fixture_changes, fixture_files, run_cli  # noqa: E402

_FIXTURES_AS_COMMITTED = [fixture_files()]  # at the session's start, before any fixture of a test ran


@pytest.fixture(autouse=True)
def fixtures_left_alone():
    """Fail the test that leaves anything in tests/fixtures (a build there writes its cache beside the
    content: build a copy, ``builder_support.fixture_copy``)."""
    yield
    changes = fixture_changes(_FIXTURES_AS_COMMITTED[0])
    if changes is not None:
        _FIXTURES_AS_COMMITTED[0] = fixture_files()  # only the test that did it fails
        pytest.fail(f"this test changed tests/fixtures ({changes}); build a copy (builder_support.fixture_copy)",
                    pytrace=False)


@pytest.fixture(scope="session")
def default_site(tmp_path_factory) -> Path:
    """The default content, built once with the CLI; returns the output folder."""
    out = tmp_path_factory.mktemp("default-site") / "out"
    proc = run_cli("build", "--root", ROOT, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert_no_traceback(proc)
    return out


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the whole session (Playwright's sync API allows
    a single running instance per thread, so every browser test shares it)."""
    import os
    import shutil

    require = os.environ.get("SITE_BUILDER_REQUIRE_BROWSER") == "1"
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

    def need(ok: bool, why: str) -> None:
        if not ok:
            if require:
                pytest.fail(f"{why}; SITE_BUILDER_REQUIRE_BROWSER=1 requires it")
            pytest.skip(why)

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "the Python playwright package is not installed")
    need(Path(chromium).exists(), f"Chromium not found at {chromium} (apt-get install chromium)")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        yield browser
        browser.close()
