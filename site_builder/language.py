"""Languages: BCP 47 tags checked against a table of common subtags, and the
dominant script of a text.

A tag is checked for well-formedness (language, then optional script, region
and variants, extensions and a private-use part, as RFC 5646 orders them) and
each subtag is looked up in the tables below: every ISO 639-1 language, the
three-letter codes briefings need (Cantonese, Min Nan, Filipino...), the
scripts in use for living languages and every ISO 3166 region (plus any
three-digit UN M.49 area).  A typo gets the closest valid tag as a suggestion.
Tags compare without case; :func:`canonical` gives the usual spelling
(``zh-hans-cn`` -> ``zh-Hans-CN``).

:func:`detect` finds the dominant script of a text (Han, Kana, Hangul, Arabic,
Hebrew, Cyrillic, Greek, Thai, Devanagari, Latin) and the language it implies
where a document declares none: Han without Kana is Chinese, Kana Japanese,
Hangul Korean; Latin text takes the site's language.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from typing import NamedTuple

from .diagnostics import did_you_mean

LANGUAGES = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz
ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io
is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr
ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si
sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh
yi yo za zh zu
yue cmn nan hak wuu gan hsn cdo lzh fil haw ast ckb yid und mul zxx
""".split())

SCRIPTS = frozenset("""
Arab Armn Beng Bopo Cyrl Deva Ethi Geor Grek Gujr Guru Hang Hani Hans Hant Hebr Hira Hrkt Jpan Kana Khmr
Knda Kore Laoo Latn Mlym Mong Mymr Orya Sinh Taml Telu Thaa Thai Tibt Yiii Zyyy Zmth Zsym Zxxx
""".split())

REGIONS = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY
BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK
FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR
IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK
ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW EU UN
""".split())

_LOWER_SCRIPTS = {s.lower(): s for s in SCRIPTS}

# Right-to-left languages and scripts (the ``dir`` attribute).
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb", "yid", "ku-arab"})
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm"})

_SYNTAX = re.compile(
    r"^(?P<lang>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|\d{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|\d[a-z0-9]{3}))*)"
    r"(?P<extensions>(?:-[a-wyz0-9](?:-[a-z0-9]{2,8})+)*)"
    r"(?:-x(?:-[a-z0-9]{1,8})+)?$"
)


def canonical(tag: str) -> str:
    """The usual spelling of a tag: language lower case, Script title case, REGION upper case."""
    out = []
    for i, part in enumerate(tag.split("-")):
        if i > 0 and out[-1] == "x":
            out.extend(p.lower() for p in tag.split("-")[i:])
            break
        if i > 0 and len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif i > 0 and len(part) == 2 and part.isalpha() and len(out[-1]) > 1:
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


# Three-letter ISO 639-2 codes that BCP 47 spells with two letters.
_TWO_LETTER = {"eng": "en", "chi": "zh", "zho": "zh", "jpn": "ja", "kor": "ko", "fre": "fr", "fra": "fr",
               "ger": "de", "deu": "de", "spa": "es", "rus": "ru", "ara": "ar", "heb": "he", "por": "pt",
               "ita": "it", "vie": "vi", "ukr": "uk", "per": "fa", "fas": "fa", "hin": "hi", "tha": "th"}


def _suggest(tag: str) -> str:
    """The closest valid tag to ``tag``: each unknown subtag replaced by its nearest known one."""
    by_name = {n.lower(): code for code, n in LANGUAGE_NAMES.items()}
    if tag.lower() in by_name:
        return by_name[tag.lower()]
    parts = tag.replace("_", "-").split("-")
    fixed = []
    for i, part in enumerate(parts):
        low = part.lower()
        if i == 0 and low in _TWO_LETTER:
            fixed.append(_TWO_LETTER[low])
            continue
        if i == 0:
            table = LANGUAGES
        elif len(part) == 4 and part.isalpha():
            table = frozenset(s.lower() for s in SCRIPTS)
        elif len(part) == 2 and part.isalpha():
            table = frozenset(r.lower() for r in REGIONS)
        else:
            fixed.append(low)
            continue
        if low in table:
            fixed.append(low)
            continue
        hint = did_you_mean(low, table)
        if not hint:
            return ""
        fixed.append(hint.split("'")[1])
    return canonical("-".join(fixed))


def check(tag: str) -> str | None:
    """An error message for a malformed or unknown tag, with a suggestion where one is close; None if valid."""
    low = tag.lower()
    m = _SYNTAX.match(low)
    problem = ""
    if m is None:
        problem = f"'{tag}' is not a well-formed BCP 47 tag (language[-Script][-REGION], e.g. 'en', 'zh-Hans', 'pt-BR')"
    elif m["lang"] not in LANGUAGES:
        problem = f"unknown language subtag '{m['lang']}' in '{tag}'"
    elif m["script"] and m["script"] not in _LOWER_SCRIPTS:
        problem = f"unknown script subtag '{tag.split('-')[1]}' in '{tag}'"
    elif m["region"] and not m["region"].isdigit() and m["region"].upper() not in REGIONS:
        problem = f"unknown region subtag '{m['region'].upper()}' in '{tag}'"
    else:
        variants = [v for v in m["variants"].split("-") if v]
        if len(set(variants)) != len(variants):
            problem = f"'{tag}' repeats a variant subtag"
    if not problem:
        return None
    suggestion = _suggest(tag) if m is None or problem.startswith("unknown") else ""
    if suggestion and suggestion.lower() != low and check(suggestion) is None:
        return f"{problem} (did you mean '{suggestion}'?)"
    return problem


def primary(tag: str) -> str:
    return (tag or "").split("-")[0].lower()


def direction(tag: str) -> str:
    """'rtl' for a right-to-left language or script tag (ar, he-IL, az-Arab ...), else 'ltr'."""
    parts = (tag or "").split("-")
    if len(parts) > 1 and len(parts[1]) == 4:
        return "rtl" if parts[1].title() in RTL_SCRIPTS else "ltr"
    return "rtl" if parts[0].lower() in RTL_LANGUAGES else "ltr"


def same_language(a: str, b: str) -> bool:
    """Whether text tagged ``a`` needs no ``lang`` of its own inside a page tagged ``b``."""
    return (a or "").lower() == (b or "").lower() or (primary(a) == primary(b) and "-" not in (a or ""))


# ------------------------------------------------------------ script detection

_SCRIPT_NAMES = {
    "CJK": "Han", "HIRAGANA": "Kana", "KATAKANA": "Kana", "HANGUL": "Hangul", "ARABIC": "Arabic",
    "HEBREW": "Hebrew", "CYRILLIC": "Cyrillic", "GREEK": "Greek", "THAI": "Thai", "DEVANAGARI": "Devanagari",
    "LATIN": "Latin",
}
SCRIPT_LANGUAGES = {
    "Han": "zh", "Kana": "ja", "Hangul": "ko", "Arabic": "ar", "Hebrew": "he", "Cyrillic": "ru",
    "Greek": "el", "Thai": "th", "Devanagari": "hi",
}
LANGUAGE_NAMES = {
    "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "he": "Hebrew", "ru": "Russian",
    "el": "Greek", "th": "Thai", "hi": "Hindi", "en": "English", "fr": "French", "de": "German",
    "es": "Spanish", "pt": "Portuguese", "it": "Italian", "uk": "Ukrainian", "fa": "Persian", "ur": "Urdu",
    "vi": "Vietnamese", "id": "Indonesian", "tr": "Turkish", "pl": "Polish", "nl": "Dutch", "yue": "Cantonese",
}
_CODE_RE = re.compile(r"```.*?```|`[^`\n]*`|\]\([^)]*\)|<[^>\n]*>|https?://\S+", re.S)


@functools.lru_cache(maxsize=4096)
def _script(c: str) -> str:
    o = ord(c)
    if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D:
        return "Kana"
    if 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3134F:
        return "Han"
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "Hangul"
    if not c.isalpha():
        return ""
    name = unicodedata.name(c, "").split(" ")[0]
    return _SCRIPT_NAMES.get(name, "")


class Detected(NamedTuple):
    script: str  # the dominant script, e.g. "Han"; "" for a text with no letters
    language: str  # the language it implies; "" for Latin (the site's language applies) or no letters


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_SCRIPTS: dict[str, bytes] = {}


def _ascii_scripts() -> dict[str, bytes]:
    """The ASCII characters of each script (the Latin letters), as bytes."""
    if not _ASCII_SCRIPTS:
        for o in range(128):
            script = _script(chr(o))
            if script:
                _ASCII_SCRIPTS[script] = _ASCII_SCRIPTS.get(script, b"") + bytes([o])
    return _ASCII_SCRIPTS


def detect(text: str) -> Detected:
    """The dominant script of ``text`` (Markdown: code, links and tags are skipped) and its language."""
    # ASCII letters are counted by deleting them from the text's ASCII bytes; the other characters are
    # counted once each (Counter counts in C), then the few distinct ones classified.
    plain = _CODE_RE.sub(" ", text)
    counts: Counter[str] = Counter()
    ascii_bytes = plain.encode("ascii", "ignore")
    for script, chars in _ascii_scripts().items():
        n = len(ascii_bytes) - len(ascii_bytes.translate(None, chars))
        if n:
            counts[script] += n
    if not plain.isascii():
        for c, n in Counter("".join(_NON_ASCII.findall(plain))).items():
            script = _script(c)
            if script:
                counts[script] += n
    if not counts:
        return Detected("", "")
    # Japanese mixes Han and Kana: both count towards it; Han text with some Kana (5%) is Japanese.
    cjk = counts.get("Han", 0) + counts.get("Kana", 0)
    ranked = sorted(((n, s) for s, n in counts.items() if s not in ("Han", "Kana")), reverse=True)
    best_n, best = ranked[0] if ranked else (0, "")
    if cjk >= best_n and cjk:
        script = "Kana" if counts.get("Kana", 0) * 20 >= cjk and counts.get("Kana") else "Han"
        return Detected(script, SCRIPT_LANGUAGES[script])
    return Detected(best, SCRIPT_LANGUAGES.get(best, ""))


def name(tag: str) -> str:
    """An English name for the tag's language (its primary subtag), or the tag itself."""
    return LANGUAGE_NAMES.get(primary(tag), tag)
