"""``site-builder init DIR``: a new briefing project that builds as it comes.

Writes, from the templates in ``site_builder/scaffold/``:

* ``content/``: ``site.yml``, ``index.md``, one example document
  (``documents/example.md``), its annotation (``annotations/example.yml``) and
  one glossary entry (``glossary/annotation.yml``), all valid together;
* ``schemas/``: the JSON Schemas the YAML files point their editors at;
* ``.github/workflows/pages.yml``: the same GitHub Pages workflow as
  site_builder's own repository;
* ``requirements.txt``: how the workflow installs site_builder: from where the
  running copy really comes from (:mod:`provenance`: a git URL pinned to a
  commit, or a wheel copied into ``wheels/``), never by a bare name that could
  resolve to someone else's package on PyPI; with no such source, a comment
  saying which one line to write (and :attr:`Created.problem` says why);
* ``.gitignore`` and ``README.md``.

Nothing is ever overwritten: if any of those files exists, nothing is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import provenance, schema

SCAFFOLD = Path(__file__).parent / "scaffold"

# target path in the project -> template path in site_builder/scaffold
FILES = {
    "content/site.yml": "content/site.yml",
    "content/index.md": "content/index.md",
    "content/documents/example.md": "content/documents/example.md",
    "content/annotations/example.yml": "content/annotations/example.yml",
    "content/glossary/annotation.yml": "content/glossary/annotation.yml",
    ".gitignore": "gitignore",
    ".github/workflows/pages.yml": "pages.yml",
    "README.md": "README.md",
}


class ScaffoldError(Exception):
    """The project cannot be created (existing files, bad settings)."""


@dataclass
class Created:
    root: Path
    files: list[str] = field(default_factory=list)
    source: provenance.Source | None = None  # how requirements.txt installs site_builder


def _yaml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


REQUIREMENTS_HEAD = """\
# How the GitHub Pages workflow (.github/workflows/pages.yml) installs site_builder: one line.
# site_builder is not on PyPI: never write a bare "site_builder" or "site_builder==<version>"
# here, which would install whatever package someone else registers under that name.
# The line is one of (see README.md, "How the workflow installs site_builder"):
#   site_builder @ git+https://github.com/<owner>/<repository>@<full commit id>
#   ./wheels/site_builder-<version>-py3-none-any.whl   (a wheel kept in this repository)
"""


def requirements_text(source: provenance.Source) -> str:
    if source.requirement:
        return REQUIREMENTS_HEAD + f"# site-builder init wrote it from {source.description}.\n{source.requirement}\n"
    return (REQUIREMENTS_HEAD + "# site-builder init could not tell where site_builder comes from:\n"
            + "".join(f"#   {line}\n" for line in _wrap(source.problem))
            + "# Write the line below this comment; until then the workflow stops with an error.\n")


def _wrap(text: str, width: int = 90) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def _install_text(source: provenance.Source) -> str:
    """The generated README's sentence on where the workflow gets site_builder."""
    if source.requirement:
        return f"`requirements.txt` installs it from {source.description}:\n\n```text\n{source.requirement}\n```"
    return ("`requirements.txt` does not say yet where to install it from, because `site-builder init` could not "
            "tell where it came from, so the workflow stops with an error until you write that line.")


def init(target: Path, *, title: str = "", base_url: str = "", cname: str = "", today: str | None = None,
         source: provenance.Source | None = None) -> Created:
    """Create a new briefing project in ``target`` (created if missing).

    ``source``: how the workflow installs site_builder (default: where the
    running copy came from, :func:`provenance.install_source`).
    """
    target = Path(target)
    if base_url:
        problem = schema.check_url(base_url)
        if problem or not base_url.lower().startswith(("http://", "https://")):
            raise ScaffoldError(f"--base-url: {problem or 'expected an http(s) URL'}")
        if not base_url.endswith("/"):
            base_url += "/"
    if cname and not schema.CNAME_RE.match(cname):
        raise ScaffoldError(f"--cname: '{cname}' is not a bare domain name such as briefings.example.org")
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} exists and is not a folder")
    title = " ".join(title.split()) or _title_from(target)
    day = today or date.today().isoformat()

    source = source if source is not None else provenance.install_source()
    planned = dict(FILES)
    outputs = {rel: None for rel in planned}
    outputs["requirements.txt"] = None
    wheel_rel = f"{provenance.WHEEL_DIR}/{source.wheel.name}" if source.wheel is not None else ""
    if wheel_rel:
        outputs[wheel_rel] = None
    for kind in sorted(schema.KINDS):
        outputs[f"schemas/{kind}.schema.json"] = None
    existing = [rel for rel in outputs if (target / rel).exists()]
    if existing:
        shown = ", ".join(existing[:4]) + (f" and {len(existing) - 4} more" if len(existing) > 4 else "")
        raise ScaffoldError(f"{target} already has {shown}; nothing was written (choose an empty or new folder)")

    values = {
        "{{TITLE}}": _yaml_str(title),
        "{{TITLE_TEXT}}": title,
        "{{DATE}}": day,
        "{{BASE_URL}}": (f"base_url: {_yaml_str(base_url)}" if base_url else
                         "# base_url: the address the site is published at, e.g. https://<owner>.github.io/<repository>/"),
        "{{CNAME}}": (f"cname: {cname.lower()}" if cname else
                      "# cname: a custom domain for GitHub Pages (written to CNAME), e.g. briefings.<your domain>"),
        "{{INSTALL}}": _install_text(source),
    }
    created = Created(target, source=source)
    texts: dict[str, str] = {}
    for rel, template in planned.items():
        text = (SCAFFOLD / template).read_text(encoding="utf-8")
        if rel.startswith("content/") or rel == "README.md":
            for key, value in values.items():
                text = text.replace(key, value)
        texts[rel] = text
    texts["requirements.txt"] = requirements_text(source)
    for kind in sorted(schema.KINDS):
        texts[f"schemas/{kind}.schema.json"] = json.dumps(schema.json_schema(kind), indent=2, ensure_ascii=False) + "\n"
    for rel in sorted(texts):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as fh:  # never overwrite
            fh.write(texts[rel])
        created.files.append(rel)
    if wheel_rel and source.wheel is not None:
        path = target / wheel_rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as fh:
            fh.write(source.wheel.read_bytes())
        created.files.append(wheel_rel)
    return created


def _title_from(target: Path) -> str:
    name = target.resolve().name
    words = re.sub(r"[-_.]+", " ", name).strip()
    return (words[:1].upper() + words[1:]) if words else "New briefing"
