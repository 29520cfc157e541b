"""A template error in the entity pages the live server renders after the reload (``Compiled.later``)
reaches the terminal in the standard diagnostic form and the browser's overlay, as a build's own does."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

from site_builder.build import compile_site
from site_builder.serve.rebuild import Builder
from site_builder.serve.reload import Events

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402
from test_serve_edit import _edit  # noqa: E402


def test_a_template_error_in_a_later_entity_page_is_shown_like_a_build_error(tmp_path):
    generate(tmp_path, 6, words=200, entities=20, per_doc=2)
    entity = sorted((tmp_path / "content/glossary").glob("*.yml"))[0]
    name = yaml.safe_load(entity.read_text(encoding="utf-8"))["name"]
    page = f"glossary/{entity.stem}.html"
    total = int(re.search(rb'id="mentions-h">Mentions <span class="muted">\((\d+)\)', compile_site(tmp_path).files[page])[1])
    # An override that fails only once this entity is mentioned more often than now.
    source = (ROOT / "site_builder/templates/entity.html").read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("{% block main %}")) + 1
    lines.insert(at, f"{{% if view.name == {json.dumps(name)} and view.mention_total > {total} %}}{{{{ view.no_such_field }}}}{{% endif %}}\n")
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates/entity.html").write_text("".join(lines), encoding="utf-8")

    events, said, shown = Events(), [], []
    builder = Builder(tmp_path, tmp_path / "output", events, log=said.append, diagnostic=shown.append,
                      alert=said.append)
    first = builder.build_now(initial=True)
    assert first.ok
    builder.publish(first)
    served = (tmp_path / "output" / page).read_bytes()

    doc = sorted((tmp_path / "content/documents").glob("*.md"))[2]
    _edit(doc, f"A closing line that names {name} once more.")
    edited = builder.build_now(changed={doc.relative_to(tmp_path).as_posix()})
    assert edited.ok and edited.later is not None  # the entity page is left for after the reload
    builder.publish(edited, {doc.relative_to(tmp_path).as_posix()})
    seq = events.seq
    builder.finish_later(edited)

    # The terminal: the diagnostic itself, in the form path:line:col: error: message [code].
    assert [d.format() for d in shown] == [
        f"templates/entity.html:{at + 1}:{d.pos.col}: error: {d.message} [template]" for d in shown]
    assert len(shown) == 1 and "no_such_field" in shown[0].message, said
    assert any("build failed (1 error" in line and "still serving the last good site" in line for line in said), said
    # The browser: a problems event with the same line, and a page opened now gets it on connecting.
    published = [(name, data) for _, name, data in events.wait(seq, 1)]
    assert published == [("problems", {"summary": "1 error, 0 warnings", "messages": [shown[0].format()]})]
    assert builder.problems == published[0][1]
    # The last good entity page is still served; the edited document's page is out.
    assert (tmp_path / "output" / page).read_bytes() == served
    assert b"A closing line that names" in (tmp_path / "output" / f"documents/{doc.stem}.html").read_bytes()

    # Fixing the template clears the overlay with a reload, and the page is rendered.
    (tmp_path / "templates/entity.html").write_text(source, encoding="utf-8")
    fixed = builder.build_now(changed={"templates/entity.html"})
    seq = events.seq
    builder.publish(fixed, {"templates/entity.html"})
    builder.finish_later(fixed)
    assert builder.problems is None
    assert [name for _, name, _ in events.wait(seq, 1)][0] == "reload"
    assert (tmp_path / "output" / page).read_bytes() == compile_site(tmp_path).files[page]
