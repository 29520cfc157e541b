"""Bidirectional text: author strings never reorder the interface around them.

A name such as ``Acme\u202e`` (with a RIGHT-TO-LEFT OVERRIDE that is never
closed) or an Arabic title placed between interface words would otherwise
reorder the text around it.  Templates isolate such strings:

* ``{{ name | bdi }}`` wraps the escaped text in ``<bdi>`` in HTML content;
* ``{{ name | isolate }}`` puts FIRST STRONG ISOLATE (U+2068) before it and
  POP DIRECTIONAL ISOLATE (U+2069) after it, for ``<title>`` and attribute
  values, where no element can go.

On a left-to-right page a string is isolated when it holds any right-to-left
letter, Arabic digit or explicit directional control; on a right-to-left page
(``language`` ar, he, fa, ur ...) every string is.  Text of only left-to-right
letters and neutrals cannot reorder a left-to-right page, so the common case
keeps its plain markup.
"""

from __future__ import annotations

import functools
import unicodedata

from markupsafe import Markup, escape

FSI = "\u2068"
PDI = "\u2069"
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku-arab", "ps", "sd", "syr", "ug",
                           "ur", "yi"})
# Bidi classes that can move text on a left-to-right page.
_DISRUPTIVE = frozenset({"R", "AL", "AN", "RLE", "LRE", "RLO", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"})


def direction(language: str) -> str:
    """'rtl' for a right-to-left language tag (ar, he-IL, fa ...), else 'ltr'."""
    tag = (language or "").lower()
    return "rtl" if tag in RTL_LANGUAGES or tag.split("-")[0] in RTL_LANGUAGES else "ltr"


def needs_isolation(text: str, page_dir: str = "ltr") -> bool:
    if not text:
        return False
    if page_dir == "rtl":
        return True
    if text.isascii():  # ASCII holds no right-to-left letter and no directional control
        return False
    if len(text) <= 120:
        return _short_disrupts(text)  # names, repeated in lists across the site: each looked at once
    return _disrupts(text)


def _disrupts(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in _DISRUPTIVE for c in text)


_short_disrupts = functools.lru_cache(maxsize=4096)(_disrupts)


def isolate(text: object, page_dir: str = "ltr") -> str:
    """``text`` between isolate marks when it needs them (for <title> and attributes)."""
    s = str(text)
    return f"{FSI}{s}{PDI}" if needs_isolation(s, page_dir) else s


def bdi(text: object, page_dir: str = "ltr") -> Markup:
    """``text``, escaped, in a ``<bdi>`` element when it needs one."""
    safe = text if isinstance(text, Markup) else escape(str(text))
    if needs_isolation(str(text), page_dir):
        return Markup(f"<bdi>{safe}</bdi>")
    return safe if type(safe) is Markup else Markup(safe)
