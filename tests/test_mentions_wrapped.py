"""Names wrapped onto the next source line are still one mention."""

from __future__ import annotations

from html.parser import HTMLParser

from builder_support import make_project, run_cli

from site_builder.markdown import Markdown, MarkSpan, MentionSpan, apply_marks
from site_builder.mentions import Matcher, find_in_runs
from site_builder.model import Entity

ENTITY = Entity("cpc", "Communist Party of China", "organization", "The ruling party.", aliases=("CPC",))


class _NestedLinks(HTMLParser):
    """Records whether an <a> ever opens inside another <a>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.nested = False

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.nested |= self.depth > 0
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "a":
            self.depth -= 1


def _render(source: str, marks=()):
    md = Markdown()
    parsed = md.parse(source)
    found = find_in_runs(parsed.projection.linkable_runs(), Matcher([ENTITY]))
    spans = [MentionSpan(f.start, f.end, f.entity, f"m-{i}", "cpc.html") for i, f in enumerate(found)]
    notes = apply_marks(parsed, list(marks), spans)
    return found, parsed, "".join(b.html for b in md.render_blocks(parsed.tokens, notes))


def test_a_name_across_a_soft_line_break_is_one_mention():
    found, parsed, html = _render("The Communist Party\nof China met.")
    assert len(found) == 1
    assert parsed.projection.text[found[0].start:found[0].end] == "Communist Party\nof China"
    assert '<a class="mention" id="m-0" href="cpc.html">Communist Party\nof China</a>' in html


def test_formatting_still_ends_a_run():
    found, _, _ = _render("The *Communist Party*\nof China met.")
    assert found == []


def test_reference_number_never_lands_inside_a_wrapped_mention():
    source = "The Communist Party\nof China met."
    md = Markdown()
    text = md.parse(source).projection.text
    start = text.index("Communist")
    end = text.index("Party") + len("Party")  # the annotation ends mid-mention, before the line break
    _, _, html = _render(source, [MarkSpan(start, end, "a1", "note", 1)])
    checker = _NestedLinks()
    checker.feed(html)
    assert not checker.nested, html
    # The number follows the whole mention, not the end of the annotated words inside it.
    assert html.index('id="ref-a1"') > html.index("of China")


def test_wrapped_mention_is_listed_on_the_entity_page(tmp_path):
    root = make_project(tmp_path / "p", {
        "content/documents/doc.md": "---\ntitle: A document\n---\n\nThe Communist Party\nof China met.\n",
        "content/glossary/cpc.yml": "name: Communist Party of China\ntype: organization\nsummary: The ruling party.\n",
    })
    out = tmp_path / "out"
    proc = run_cli("build", "--root", root, "--out", out)
    assert proc.returncode == 0, proc.stderr
    page = (out / "glossary/cpc.html").read_text(encoding="utf-8")
    assert "documents/doc.html#m-cpc-1" in page
