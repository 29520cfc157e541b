#!/usr/bin/env python3
"""Regenerate the fonts the social cards are drawn with (site_builder/fonts/).

The cards use Noto Sans CJK SC (SIL Open Font License 1.1), subset with
fontTools to what briefing titles need: Latin, Greek and Cyrillic, general and
CJK punctuation, full-width forms, and the 3,755 level-1 Han characters of
GB 2312 (the most frequent simplified Chinese characters), in Regular and
Bold.  The source is Debian's fonts-noto-cjk package (or any copy of the
Noto Sans CJK collection):

    python3 scripts/make_card_fonts.py [/usr/share/fonts/opentype/noto]

The output is reproducible: the same source font gives the same bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

OUT = Path(__file__).resolve().parent.parent / "site_builder" / "fonts"
FACE = "Noto Sans CJK SC"

RANGES = [
    (0x0020, 0x007E), (0x00A0, 0x024F),  # Basic Latin, Latin-1, Latin Extended-A/B
    (0x0370, 0x03FF), (0x0400, 0x04FF),  # Greek, Cyrillic
    (0x2000, 0x206F), (0x20A0, 0x20BF),  # General punctuation, currency
    (0x2100, 0x214F), (0x2190, 0x21FF),  # Letterlike symbols, arrows
    (0x2010, 0x2027), (0x2212, 0x2212),
    (0x3000, 0x303F), (0xFF00, 0xFFEF),  # CJK symbols and punctuation, half/full-width forms
]


def gb2312_hanzi() -> list[int]:
    """The 3,755 level-1 Han characters of GB 2312 (rows 16-55, the most frequent ones), via Python's gb2312 codec."""
    out = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                ch = bytes([row, cell]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            out.append(ord(ch))
    return out


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else Path("/usr/share/fonts/opentype/noto")
    codepoints = sorted({c for lo, hi in RANGES for c in range(lo, hi + 1)} | set(gb2312_hanzi()))
    OUT.mkdir(parents=True, exist_ok=True)
    for weight in ("Regular", "Bold"):
        collection = TTCollection(str(src / f"NotoSansCJK-{weight}.ttc"))
        font = next(f for f in collection.fonts if f["name"].getDebugName(1) == FACE)
        options = subset.Options()
        options.layout_features = ["kern", "liga", "palt", "vert", "locl"]
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.hinting = False
        options.desubroutinize = False
        sub = subset.Subsetter(options)
        sub.populate(unicodes=codepoints)
        sub.subset(font)
        if "head" in font:  # fixed timestamps: the same source gives the same bytes
            font["head"].created = font["head"].modified = 0
        font.recalcTimestamp = False
        target = OUT / f"CardSans-{weight}.otf"
        font.save(str(target))
        print(f"{target.name}: {target.stat().st_size / 1024:.0f} KB, {len(codepoints)} code points")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
