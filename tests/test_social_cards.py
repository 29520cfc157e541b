"""Social cards (og:image): size, deterministic bytes, real CJK glyphs, caching, and the head tags."""

from __future__ import annotations

import io
import re
import struct
from dataclasses import replace
from pathlib import Path

import html5lib
from PIL import Image, ImageDraw

from site_builder import cards, publish, urls
from site_builder.urls import OutPath
from test_publish_support import PROJECT_BASE, load_analysed, no_base_env, project_copy, run_cli

NS = "{http://www.w3.org/1999/xhtml}"


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        out.append(data[i + 4:i + 8])
        i += 12 + length
    return out


def glyph(font, ch: str) -> bytes:
    img = Image.new("L", (120, 120))
    ImageDraw.Draw(img).text((10, 0), ch, font=font, fill=255)
    return img.tobytes()


def card(title: str = "A title", **kw) -> cards.Card:
    fields = dict(page=OutPath("documents/x.html"), site_title="Briefing", title=title, kind="document",
                  label="Document", notes=3, verdicts=(("accurate", 1), ("false", 2)))
    fields.update(kw)
    return cards.Card(**fields)


def test_card_is_a_1200_by_630_png_without_metadata_chunks():
    data = cards.draw(card())
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.size == (1200, 630)
    chunks = png_chunks(data)
    assert not {b"tIME", b"tEXt", b"zTXt", b"iTXt"} & set(chunks), chunks
    assert cards.draw(card()) == data  # the same card, the same bytes


def test_chinese_titles_have_real_glyphs():
    title = "习近平：人工智能顶层设计"
    assert all(ord(ch) in cards.coverage() for ch in title)
    assert cards.drawable(title) == title
    font = cards._font("bold", 76)
    notdef = glyph(font, "\ue000")  # a private-use character: the font's missing-glyph box
    masks = {ch: glyph(font, ch) for ch in title}
    for ch, mask in masks.items():
        assert mask != notdef and any(mask), f"{ch!r} is drawn as the missing-glyph box"
    assert len(set(masks.values())) == len(set(title))  # every character has a glyph of its own
    # Drawn on a card, the Chinese title differs from the same number of placeholder marks.
    assert cards.draw(card(title)) != cards.draw(card(cards.MISSING * len(title)))


def test_characters_the_font_lacks_become_the_geta_mark():
    assert cards.drawable("Café 😀 \u0627\u0644") == f"Café {cards.MISSING} {cards.MISSING}{cards.MISSING}"
    assert cards.drawable("a\u200bb\u202ec") == "abc"  # invisible and bidi controls are dropped


def test_wrapping_breaks_between_cjk_characters_and_clips_with_an_ellipsis():
    font = cards._font("bold", 76)
    lines = cards.wrap("人工智能" * 40, font, 1000, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 1000 for line in lines)
    lines = cards.wrap("Short words only", font, 1000, 3)
    assert lines == ["Short words only"]


def test_document_cards_count_notes_and_fact_checks_by_verdict():
    content, analyses, _ = load_analysed()
    pages = [(urls.document_path(d.slug), d.title) for d in content.documents] + [(urls.HOME, ""), (urls.NOT_FOUND, "")]
    made = {c.page: c for c in cards.cards_for(content, analyses, pages)}
    assert urls.NOT_FOUND not in made and urls.HOME in made
    for an in analyses:
        c = made[urls.document_path(an.doc.slug)]
        assert c.notes == len(an.annotations) > 0
        checks = [a.verdict for a in an.annotations if a.kind == "fact-check"]
        assert sum(n for _, n in c.verdicts) == len(checks) > 0
        assert dict(c.verdicts) == {v: checks.count(v) for v in set(checks)}


def test_unchanged_cards_are_not_drawn_again(monkeypatch):
    content, analyses, _ = load_analysed()
    pages = [(urls.HOME, ""), (urls.GLOSSARY_INDEX, "Glossary")] + [(urls.document_path(d.slug), d.title)
                                                                   for d in content.documents]
    drawn = []
    real = cards.draw
    monkeypatch.setattr(cards, "draw", lambda c: drawn.append(c.page) or real(c))
    monkeypatch.setattr(cards, "POOL_THRESHOLD", 10**6)  # count the draws in this process
    cache: dict = {}
    first = cards.site_files(content, analyses, pages, cache=cache)
    assert len(drawn) == len(pages) == len(first)
    drawn.clear()
    assert cards.site_files(content, analyses, pages, cache=cache) == first
    assert drawn == []
    doc = content.documents[0]
    changed = replace(content, documents=(replace(doc, title=doc.title + " (updated)"), *content.documents[1:]))
    again = cards.site_files(changed, analyses, pages, cache=cache)
    assert drawn == [urls.document_path(doc.slug)]
    assert again[urls.card_path(urls.document_path(doc.slug))] != first[urls.card_path(urls.document_path(doc.slug))]


def test_meta_tags_are_escaped():
    content, analyses, _ = load_analysed()
    site = replace(content.site, base_url=PROJECT_BASE, title='Brief "quoted" <script>x()</script> & co')
    meta = publish.MetaBuilder(replace(content, site=site), analyses, environ={}).for_page(
        urls.document_path(content.documents[0].slug), content.documents[0].title)
    from site_builder import templating
    env = templating.make_environment(None)
    page = env.from_string('{% from "_meta.html" import meta_tags %}<!DOCTYPE html><html><head><title>t</title>'
                           '{{ meta_tags(meta) }}</head><body></body></html>').render(meta=meta)
    assert "<script>x()" not in page
    head = html5lib.parse(page).find(f"{NS}head")
    found = {(m.get("property") or m.get("name")): m.get("content") for m in head.iter(f"{NS}meta")}
    assert found["og:image"] == PROJECT_BASE + "cards/documents/" + content.documents[0].slug + ".png"
    assert found["twitter:card"] == "summary_large_image"
    assert found["twitter:image"] == found["og:image"]
    assert found["og:image:alt"] == f"{content.documents[0].title} · {site.title}"
    assert (found["og:image:width"], found["og:image:height"]) == ("1200", "630")


def _build(tmp_path: Path, name: str, base: str | None) -> Path:
    root = project_copy(tmp_path / f"p-{name}", base_url=base)
    out = tmp_path / f"out-{name}"
    proc = run_cli("build", "--root", root, "--out", out, env=no_base_env())
    assert proc.returncode == 0, proc.stderr
    return out


def _heads(out: Path) -> dict[str, dict[str, list[str]]]:
    heads = {}
    for page in sorted(out.rglob("*.html")):
        head = html5lib.parse(page.read_text(encoding="utf-8")).find(f"{NS}head")
        metas: dict[str, list[str]] = {}
        for m in head.iter(f"{NS}meta"):
            key = m.get("property") or m.get("name")
            if key:
                metas.setdefault(key, []).append(m.get("content"))
        heads[page.relative_to(out).as_posix()] = metas
    return heads


def test_built_site_has_a_card_per_page_and_builds_are_byte_identical(tmp_path):
    one = _build(tmp_path, "one", PROJECT_BASE)
    two = _build(tmp_path, "two", PROJECT_BASE)
    pngs = sorted(p.relative_to(one).as_posix() for p in (one / "cards").rglob("*.png"))
    assert pngs == sorted(p.relative_to(two).as_posix() for p in (two / "cards").rglob("*.png"))
    for rel in pngs:
        assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel
    heads = _heads(one)
    for rel, metas in heads.items():
        if rel == "404.html":
            assert "og:image" not in metas and metas["twitter:card"] == ["summary"]
            continue
        image = metas["og:image"]
        assert len(image) == 1 and image[0].startswith(PROJECT_BASE), rel
        card_file = one / image[0][len(PROJECT_BASE):]
        assert card_file.is_file(), rel
        assert Image.open(card_file).size == (1200, 630)
        assert metas["twitter:card"] == ["summary_large_image"] and metas["twitter:image"] == image
    assert len(pngs) == len(heads) - 1  # every page but the 404 page


def test_without_base_url_no_cards_and_no_og_image(tmp_path):
    out = _build(tmp_path, "nobase", None)
    assert not (out / "cards").exists()
    for rel, metas in _heads(out).items():
        assert "og:image" not in metas and "twitter:image" not in metas, rel
        assert metas["twitter:card"] == ["summary"], rel


def test_a_rebuild_with_the_build_cache_redraws_only_changed_cards(tmp_path, monkeypatch):
    from unittest import mock

    from site_builder.build import BuildCache, compile_site
    root = project_copy(tmp_path / "p", base_url=PROJECT_BASE)
    drawn = []
    real = cards.draw
    monkeypatch.setattr(cards, "draw", lambda c: drawn.append(c.page) or real(c))
    monkeypatch.setattr(cards, "POOL_THRESHOLD", 10**6)  # count the draws in this process
    cache = BuildCache()
    with mock.patch.dict("os.environ", no_base_env(), clear=True):
        first = compile_site(root, cache=cache)
        assert first.ok and len(drawn) == sum(1 for p in first.files if p.path.startswith("cards/"))
        drawn.clear()
        again = compile_site(root, cache=cache)
        assert drawn == [] and again.files == first.files
        doc = next((root / "content" / "documents").glob("*.md"))
        text = doc.read_text(encoding="utf-8")
        doc.write_text(re.sub(r'(?m)^title: "?(.*?)"?$', r'title: "\1, revised"', text, count=1), encoding="utf-8")
        third = compile_site(root, cache=cache)
    assert third.ok
    # the document's card, and its annotation page's, whose title names the document
    assert sorted(drawn) == [urls.annotations_path(doc.stem), urls.document_path(doc.stem)]


def test_cards_drawn_in_a_process_pool_are_the_same_bytes(monkeypatch):
    content, analyses, _ = load_analysed()
    pages = [(urls.HOME, ""), (urls.GLOSSARY_INDEX, "Glossary")] + [(urls.entity_path(e.id), e.name)
                                                                   for e in content.entities[:6]]
    alone = cards.site_files(content, analyses, pages, workers=1)
    monkeypatch.setattr(cards, "POOL_THRESHOLD", 2)
    pooled = cards.site_files(content, analyses, pages, workers=2)
    assert pooled == alone and len(alone) == len(pages)
