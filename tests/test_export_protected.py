"""Passphrase-protected single file: `site-builder export --single-file F --passphrase-file P`.

The file's bytes hold no sentence of the briefing; Python and the browser agree
on the encryption; a wrong passphrase says so; the right one opens the full
reader (the same one the unprotected file has) from file:// without a single
network request.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

import pytest
from cryptography.exceptions import InvalidTag

from site_builder import exports, protect
from test_publish_support import ROOT, chromium, full_files, no_base_env, project_copy, run_cli  # noqa: F401

PASSPHRASE = "Tea kettle; orbit — 猫 seven"


@pytest.fixture(scope="module")
def plain():
    return exports.single_file(full_files(ROOT).files)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def sentences(document: bytes) -> list[str]:
    parser = _Text()
    parser.feed(document.decode("utf-8"))
    text = " ".join(" ".join(parser.parts).split())
    return [s for s in re.split(r"(?<=[.!?。])\s+", text) if len(s.split()) >= 4]


# ------------------------------------------------------------------ sealing

def test_sealed_page_round_trips_and_holds_no_sentence(plain):
    sealed = protect.seal(plain, PASSPHRASE)
    payload = protect.payload_of(sealed)
    assert payload["iterations"] >= 600_000 and payload["kdf"] == "PBKDF2-SHA256"
    assert payload["cipher"] == "AES-256-GCM"
    import base64
    assert len(base64.b64decode(payload["salt"])) == 16 and len(base64.b64decode(payload["nonce"])) == 12
    assert protect.decrypt(payload, PASSPHRASE) == plain
    with pytest.raises(InvalidTag):
        protect.decrypt(payload, PASSPHRASE + " ")
    found = sentences(plain)
    assert len(found) > 100
    text = sealed.decode("utf-8")
    leaked = [s for s in found if s in text or html.escape(s, quote=False) in text]
    assert leaked == []
    # Not even the briefing's title: the page is generic.
    title = re.search(r"<title>(.*?)</title>", plain.decode()).group(1)
    assert html.unescape(title) not in text and "<title>Protected briefing</title>" in text


def test_every_export_is_different(plain):
    one, two = protect.seal(plain, PASSPHRASE), protect.seal(plain, PASSPHRASE)
    assert one != two  # random salt and nonce: intentionally not reproducible
    assert protect.decrypt(protect.payload_of(one), PASSPHRASE) == protect.decrypt(protect.payload_of(two), PASSPHRASE)


def test_passphrase_sources(tmp_path):
    f = tmp_path / "pass.txt"
    f.write_bytes("Cafe\u0301 au lait\r\n".encode())  # decomposed é, Windows line end
    assert protect.passphrase_from(f, {}) == "Café au lait" == unicodedata.normalize("NFC", "Cafe\u0301 au lait")
    assert protect.passphrase_from(None, {"SITE_BUILDER_PASSPHRASE": "from env"}) == "from env"
    assert protect.passphrase_from(f, {"SITE_BUILDER_PASSPHRASE": "from env"}) == "Café au lait"  # the file wins
    assert protect.passphrase_from(None, {}) is None
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(protect.PassphraseError, match="empty"):
        protect.passphrase_from(tmp_path / "empty.txt", {})
    with pytest.raises(protect.PassphraseError, match="cannot read"):
        protect.passphrase_from(tmp_path / "missing.txt", {})
    with pytest.raises(protect.PassphraseError, match="empty"):
        protect.passphrase_from(None, {"SITE_BUILDER_PASSPHRASE": " "})


def test_cli_refuses_to_mix_a_passphrase_with_unencrypted_exports(tmp_path):
    root = project_copy(tmp_path / "p")
    (tmp_path / "pass.txt").write_text("a long enough passphrase\n")
    proc = run_cli("export", "--root", root, "--zip", tmp_path / "b.zip", "--passphrase-file", tmp_path / "pass.txt",
                   env=no_base_env())
    assert proc.returncode == 2 and "--single-file" in proc.stderr, proc.stderr
    env = no_base_env()
    env["SITE_BUILDER_PASSPHRASE"] = "a long enough passphrase"
    proc = run_cli("export", "--root", root, "--single-file", tmp_path / "b.html", "--zip", tmp_path / "b.zip", env=env)
    assert proc.returncode == 2 and "cannot be encrypted" in proc.stderr, proc.stderr
    proc = run_cli("export", "--root", root, "--single-file", tmp_path / "b.html", "--passphrase-file",
                   tmp_path / "nope.txt", env=no_base_env())
    assert proc.returncode == 2 and "cannot read the passphrase file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "b.html").exists() and not (tmp_path / "b.zip").exists()
    # There is no option that takes the passphrase itself, not even by abbreviation.
    proc = run_cli("export", "--root", root, "--single-file", tmp_path / "b.html", "--passphrase", "secret words",
                   env=no_base_env())
    assert proc.returncode == 2 and "unrecognized arguments" in proc.stderr
    assert not (tmp_path / "b.html").exists()
    env["SITE_BUILDER_PASSPHRASE"] = "short"
    proc = run_cli("export", "--root", root, "--single-file", tmp_path / "b.html", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "warning: the passphrase has only 5 characters" in proc.stderr
    assert protect.decrypt(protect.payload_of((tmp_path / "b.html").read_bytes()), "short").startswith(b"<!DOCTYPE html>")


# ------------------------------------------------------------------ in a browser

DOC_PAGE = "?p=doc-xi-first-mover-ai"


def _features(page) -> dict:
    """Which reader features the open page offers."""
    return page.evaluate("""() => ({
        popover: !!document.querySelector("a.mention[data-entity]"),
        toggle: !!document.querySelector("[data-theme-toggle]"),
        search: !!document.querySelector("[data-search] input[type=search]"),
        sections: document.querySelectorAll("section.sf-page").length,
    })""")


def test_browser_wrong_then_right_passphrase_opens_the_full_reader_offline(chromium, tmp_path, plain):  # noqa: F811
    root = project_copy(tmp_path / "p")
    (tmp_path / "pass.txt").write_text(PASSPHRASE + "\n", encoding="utf-8")
    target = tmp_path / "protected.html"
    proc = run_cli("export", "--root", root, "--single-file", target, "--passphrase-file", tmp_path / "pass.txt",
                   env=no_base_env())
    assert proc.returncode == 0, proc.stderr
    assert "encrypted" in proc.stderr
    data = target.read_bytes()
    text = data.decode("utf-8")
    assert [s for s in sentences(plain) if s in text or html.escape(s, quote=False) in text] == []
    plain_path = tmp_path / "plain.html"
    plain_path.write_bytes(plain)

    def check(browser):
        context = browser.new_context()
        requests: list[str] = []
        errors: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        context.route("**/*", lambda route: route.abort() if route.request.url.startswith(("http:", "https:"))
                      else route.continue_())
        # What the unprotected file offers: the protected one must offer the same.
        page = context.new_page()
        page.goto(plain_path.as_uri() + DOC_PAGE)
        expected = _features(page)
        page.close()
        # With scripts, the single file shows one page at a time, as the site does.
        assert expected["popover"] and expected["sections"] == 0
        requests.clear()

        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(target.as_uri())
        page.evaluate("localStorage.setItem('sb-theme', 'dark')")
        # The form is labelled, and its status region is tied to the field.
        field = page.get_by_label("Passphrase")
        assert field.get_attribute("type") == "password"
        assert field.get_attribute("aria-describedby") == "unlock-status"
        assert page.locator("#unlock-status").get_attribute("role") == "status"
        assert page.evaluate("document.activeElement.id") == "passphrase"
        # Wrong passphrase: a clear message, the field marked invalid, the page unchanged.
        field.fill("not the passphrase")
        field.press("Enter")
        page.wait_for_function("document.getElementById('unlock-status').textContent.includes('does not open')",
                               timeout=60_000)
        assert "That passphrase does not open this file" in page.inner_text("#unlock-status")
        assert field.get_attribute("aria-invalid") == "true"
        assert page.locator("section.sf-page").count() == 0
        # The right one: the briefing replaces the form.
        field.fill(unicodedata.normalize("NFD", PASSPHRASE))  # typed decomposed: still opens
        page.get_by_role("button", name="Open").click()
        page.wait_for_selector(".site-header", timeout=60_000)
        assert page.locator("#passphrase").count() == 0
        # Another page of the briefing is another load of the file: this tab remembers the key.
        page.goto(target.as_uri() + DOC_PAGE)
        page.wait_for_selector("a.mention[data-entity]", timeout=60_000)
        assert page.locator("#passphrase").count() == 0
        assert _features(page) == expected
        # The page shown is the document, titled as on the site (the document, then the briefing).
        assert page.title().endswith(html.unescape(re.search(r"<title>(.*?)</title>", plain.decode()).group(1)))
        assert page.title() != "Protected briefing"
        # Its scripts ran: the head script applied the remembered theme ...
        assert page.evaluate("document.documentElement.classList.contains('js')")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        # ... and the reader's popovers work.
        link = page.locator("a.mention[data-entity]").first
        link.hover()
        pop = page.locator("#sb-popover")
        pop.wait_for(state="visible")
        assert pop.inner_text().strip()
        page.mouse.move(2, 2)
        if expected["toggle"]:
            toggle = page.locator("[data-theme-toggle]").first
            toggle.click()
            assert page.evaluate("document.documentElement.dataset.theme") == "light"
        if expected["search"]:
            box = page.locator("[data-search] input[type=search]").first
            box.click()
            box.type("DeepSeek", delay=5)
            page.locator(".search-results a.search-hit").first.wait_for()
        # In-file links still work after the swap.
        target_id = link.get_attribute("href")
        assert target_id.startswith("?p=entity-")
        link.click()
        page.wait_for_selector(".site-header", timeout=60_000)
        assert page.evaluate("location.search") == target_id
        assert page.locator("#passphrase").count() == 0
        assert errors == []
        assert {u.split("?")[0] for u in requests if not u.startswith("data:")} == {target.as_uri()}
        context.close()
        # A new tab (a new session) asks for the passphrase again.
        context = browser.new_context()
        page = context.new_page()
        page.goto(target.as_uri() + DOC_PAGE)
        page.get_by_label("Passphrase").wait_for()
        context.close()

    chromium(check)


AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def test_browser_passphrase_form_is_accessible(chromium, tmp_path, plain):  # noqa: F811
    if not AXE_JS.is_file():
        import os
        if os.environ.get("SITE_BUILDER_REQUIRE_BROWSER") == "1":
            pytest.fail("node_modules/axe-core is missing (npm ci --ignore-scripts)")
        pytest.skip("node_modules/axe-core is missing (npm ci --ignore-scripts)")
    target = tmp_path / "protected.html"
    target.write_bytes(protect.seal(plain, PASSPHRASE))

    def violations(page) -> list[str]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE_JS))
        found = page.evaluate("""async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations']})).violations.map(v => v.id + ': ' + v.help)""", AXE_TAGS)
        return found

    def check(browser):
        for scheme in ("light", "dark"):
            context = browser.new_context(color_scheme=scheme)
            page = context.new_page()
            page.goto(target.as_uri())
            assert violations(page) == [], scheme
            page.get_by_label("Passphrase").fill("wrong")
            page.get_by_label("Passphrase").press("Enter")
            page.wait_for_function("document.getElementById('unlock-status').textContent.includes('does not open')",
                                   timeout=60_000)
            assert violations(page) == [], f"{scheme}, with the error shown"
            context.close()

    chromium(check)
