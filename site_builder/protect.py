"""Passphrase-protected sharing: a single-file export whose whole content is encrypted.

:func:`seal` wraps any finished HTML document (in practice the output of
:func:`site_builder.exports.single_file`) in a small page that holds it only
as ciphertext:

* the key is derived from the passphrase with PBKDF2-HMAC-SHA256
  (:data:`ITERATIONS` rounds, a random 16-byte salt) and the document is
  encrypted with AES-256-GCM (a random 12-byte nonce) through the
  ``cryptography`` library; GCM's tag means a wrong passphrase (or a changed
  byte) is detected, never shown as garbage;
* the page asks for the passphrase in an ordinary form (a label, a status
  region that says what went wrong), derives the same key with the browser's
  WebCrypto, decrypts, and replaces itself with the briefing
  (``document.open``/``write``/``close``), so the briefing's own scripts run
  as if the file had been opened directly. Nothing is fetched: it works
  offline from disk.

The passphrase is NFC-normalised on both sides, so the same words typed on
any keyboard open the file.  Because salt and nonce are random, two exports
of the same briefing differ in every byte: protected files are intentionally
not reproducible.

:func:`passphrase_from` reads the passphrase from a file or from
``$SITE_BUILDER_PASSPHRASE``; never from the command line, where other users
of the machine and the shell history would see it.
"""

from __future__ import annotations

import base64
import html
import json
import os
import unicodedata
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

ITERATIONS = 600_000  # OWASP's recommendation for PBKDF2-HMAC-SHA256 (2023)
SALT_BYTES = 16
NONCE_BYTES = 12
FORMAT = "site_builder-protected-1"  # also the AES-GCM associated data
PASSPHRASE_ENV = "SITE_BUILDER_PASSPHRASE"
SHORT_PASSPHRASE = 12  # characters; shorter ones get a warning


class PassphraseError(Exception):
    """The passphrase cannot be used (missing file, empty...): a usage error."""


def normalise(passphrase: str) -> str:
    return unicodedata.normalize("NFC", passphrase)


def passphrase_from(path: str | os.PathLike | None, environ: dict | None = None) -> str | None:
    """The passphrase from ``path`` (its text, one trailing line break removed) or else
    ``$SITE_BUILDER_PASSPHRASE``; None when neither is given."""
    env = os.environ if environ is None else environ
    if path is not None:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise PassphraseError(f"cannot read the passphrase file {path}: {exc.strerror or exc}") from exc
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PassphraseError(f"the passphrase file {path} is not UTF-8 text") from exc
        if text.endswith("\r\n"):
            text = text[:-2]
        elif text.endswith("\n"):
            text = text[:-1]
        if not text.strip():
            raise PassphraseError(f"the passphrase file {path} is empty")
        return normalise(text)
    value = env.get(PASSPHRASE_ENV)
    if value is None:
        return None
    if not value.strip():
        raise PassphraseError(f"{PASSPHRASE_ENV} is set but empty")
    return normalise(value)


def derive_key(passphrase: str, salt: bytes, iterations: int = ITERATIONS) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(normalise(passphrase).encode("utf-8"))


def encrypt(plaintext: bytes, passphrase: str, *, iterations: int = ITERATIONS) -> dict:
    """The sealed payload: format, KDF parameters, salt, nonce and ciphertext (base64)."""
    if iterations < ITERATIONS:
        raise ValueError(f"at least {ITERATIONS} PBKDF2 iterations")
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    key = derive_key(passphrase, salt, iterations)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, FORMAT.encode("ascii"))
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return {"format": FORMAT, "kdf": "PBKDF2-SHA256", "iterations": iterations, "cipher": "AES-256-GCM",
            "salt": b64(salt), "nonce": b64(nonce), "ciphertext": b64(ciphertext)}


def decrypt(payload: dict, passphrase: str) -> bytes:
    """The inverse of :func:`encrypt` (raises ``cryptography.exceptions.InvalidTag`` on a wrong passphrase)."""
    salt = base64.b64decode(payload["salt"])
    key = derive_key(passphrase, salt, int(payload["iterations"]))
    return AESGCM(key).decrypt(base64.b64decode(payload["nonce"]), base64.b64decode(payload["ciphertext"]),
                               payload["format"].encode("ascii"))


def payload_of(page: bytes) -> dict:
    """The sealed payload inside a page made by :func:`seal`."""
    text = page.decode("utf-8")
    start = text.index('<script type="application/json" id="sealed">') + len('<script type="application/json" id="sealed">')
    return json.loads(text[start:text.index("</script>", start)])


def seal(document: bytes, passphrase: str, *, lang: str = "en", iterations: int = ITERATIONS) -> bytes:
    """``document`` (a complete HTML page, UTF-8) as a page that shows it only after the passphrase is typed.

    The page says nothing about the briefing: its title and text are generic.
    """
    payload = json.dumps(encrypt(document, passphrase, iterations=iterations), separators=(",", ":"))
    return PAGE.replace("{lang}", html.escape(lang or "en", quote=True)).replace("{payload}", payload) \
        .replace("{script}", SCRIPT).encode("utf-8")


PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="site_builder (protected single-file export)">
<title>Protected briefing</title>
<style>
:root { color-scheme: light dark; --bg: #fdfcf8; --fg: #1d1d1f; --muted: #55555e; --rule: #8a8577; --accent: #1a4fa3;
  --bad: #ad1f29; }
@media (prefers-color-scheme: dark) { :root { --bg: #16171a; --fg: #e9e7e2; --muted: #aeaca5; --rule: #8d8e96;
  --accent: #94bdff; --bad: #ff9096; } }
body { margin: 0; background: var(--bg); color: var(--fg); font: 1.0625rem/1.6 system-ui, sans-serif; }
main { max-width: 32rem; margin: 12vh auto 2rem; padding: 0 1.25rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .75rem; }
p { margin: 0 0 1rem; }
.muted { color: var(--muted); font-size: .95rem; }
label { display: block; font-weight: 700; margin: 1.5rem 0 .35rem; }
.row { display: flex; gap: .5rem; flex-wrap: wrap; }
input { flex: 1 1 14rem; font: inherit; padding: .5rem .6rem; border: 2px solid var(--rule); border-radius: 6px;
  background: var(--bg); color: var(--fg); }
input[aria-invalid="true"] { border-color: var(--bad); }
button { font: inherit; font-weight: 700; padding: .5rem 1.1rem; border: 2px solid var(--accent); border-radius: 6px;
  background: var(--accent); color: var(--bg); cursor: pointer; }
button[disabled] { opacity: .6; cursor: progress; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
#unlock-status { min-height: 1.6em; margin-top: .75rem; }
#unlock-status.error { color: var(--bad); font-weight: 700; }
</style>
</head>
<body>
<main>
<h1>Protected briefing</h1>
<p>This file holds an encrypted briefing. Type the passphrase you were given to open it.</p>
<p class="muted">It is decrypted here, in this browser: nothing is sent anywhere, and it works offline.</p>
<form id="unlock" novalidate>
<label for="passphrase">Passphrase</label>
<div class="row">
<input id="passphrase" name="passphrase" type="password" autocomplete="current-password" spellcheck="false"
  autocapitalize="off" required aria-describedby="unlock-status">
<button type="submit" id="unlock-button">Open</button>
</div>
<p id="unlock-status" role="status" aria-live="polite"></p>
</form>
<noscript><p><strong>Opening this file needs JavaScript</strong>, which is turned off in this browser.</p></noscript>
</main>
<script type="application/json" id="sealed">{payload}</script>
<script>
{script}
</script>
</body>
</html>
"""

SCRIPT = r"""(function () {
  "use strict";
  var form = document.getElementById("unlock");
  var input = document.getElementById("passphrase");
  var button = document.getElementById("unlock-button");
  var status = document.getElementById("unlock-status");
  var sealed = JSON.parse(document.getElementById("sealed").textContent);

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
    input.setAttribute("aria-invalid", isError ? "true" : "false");
  }
  function bytes(b64) {
    var s = atob(b64), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  if (!(window.crypto && crypto.subtle && window.TextEncoder)) {
    say("This browser cannot decrypt the file (it offers no Web Crypto here). Open it in a current browser " +
        "such as Firefox, Chrome or Edge.", true);
    button.disabled = true;
    return;
  }
  var enc = new TextEncoder();
  // The key of this file, kept for this tab only, so that moving between the pages of the briefing
  // (each a new load of this file, "?p=...") does not ask again. Closing the tab forgets it.
  var remembered = "sb-unlock:" + sealed.salt;

  function open(key) {
    return crypto.subtle.decrypt(
      {name: "AES-GCM", iv: bytes(sealed.nonce), additionalData: enc.encode(sealed.format)},
      key, bytes(sealed.ciphertext)).then(function (plain) {
      var page = new TextDecoder("utf-8").decode(plain);
      input.value = "";
      return crypto.subtle.exportKey("raw", key).then(function (raw) {
        try {
          sessionStorage.setItem(remembered, btoa(String.fromCharCode.apply(null, new Uint8Array(raw))));
        } catch (e) { /* storage off: each page asks again */ }
        // Replace this page with the briefing; its own scripts run as on a page just opened.
        document.open();
        document.write(page);
        document.close();
      });
    });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var phrase = input.value.normalize("NFC");
    if (!phrase) { say("Type the passphrase first.", true); input.focus(); return; }
    button.disabled = true;
    say("Opening\u2026", false);
    crypto.subtle.importKey("raw", enc.encode(phrase), "PBKDF2", false, ["deriveKey"]).then(function (base) {
      return crypto.subtle.deriveKey(
        {name: "PBKDF2", hash: "SHA-256", salt: bytes(sealed.salt), iterations: sealed.iterations},
        base, {name: "AES-GCM", length: 256}, true, ["decrypt"]);
    }).then(open).then(null, function () {
      button.disabled = false;
      say("That passphrase does not open this file. Check it (capitals, spaces) and try again.", true);
      input.select();
      input.focus();
    });
  });
  var kept = null;
  try { kept = sessionStorage.getItem(remembered); } catch (e) { kept = null; }
  if (kept) {
    // document.open() is ignored while this page is still being parsed: start once it is parsed.
    var ready = new Promise(function (resolve) {
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", resolve);
      else resolve();
    });
    ready.then(function () {
      return crypto.subtle.importKey("raw", bytes(kept), {name: "AES-GCM"}, true, ["decrypt"]);
    }).then(open).then(null, function () {
      try { sessionStorage.removeItem(remembered); } catch (e) { /* nothing kept */ }
      input.focus();
    });
    return;
  }
  input.focus();
})();"""
