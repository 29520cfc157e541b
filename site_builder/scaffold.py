"""``site-builder init DIR``: a new briefing project that builds as it comes.

Writes, from the templates in ``site_builder/scaffold/``:

* ``content/``: ``site.yml``, ``index.md``, one example document
  (``documents/example.md``), its annotation (``annotations/example.yml``) and
  one glossary entry (``glossary/annotation.yml``), all valid together;
* ``schemas/``: the JSON Schemas the YAML files point their editors at;
* ``.github/workflows/pages.yml``: the same GitHub Pages workflow as
  site_builder's own repository;
* ``requirements.txt``: how the workflow installs site_builder (the way the
  running copy was installed, when that is a public location: a VCS URL, else
  the version number);
* ``.gitignore`` and ``README.md``.

Nothing is ever overwritten: if any of those files exists, nothing is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import __version__, schema

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


def _yaml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def requirement_line() -> str:
    """How CI should install site_builder: this installation's VCS URL (PEP 610), else the version."""
    try:
        from importlib.metadata import distribution
        dist = distribution("site_builder")
        direct = dist.read_text("direct_url.json")
    except Exception:  # noqa: BLE001 - metadata is optional
        direct = None
    if direct:
        try:
            info = json.loads(direct)
        except ValueError:
            info = {}
        vcs = info.get("vcs_info") or {}
        url = info.get("url", "")
        if vcs.get("vcs") == "git" and url.startswith(("https://", "ssh://", "git://")):
            ref = vcs.get("requested_revision") or vcs.get("commit_id") or ""
            return f"site_builder @ git+{url}" + (f"@{ref}" if ref else "")
    return f"site_builder=={__version__}"


REQUIREMENTS = """# How the GitHub Pages workflow (.github/workflows/pages.yml) installs site_builder.
# If your team installs it from somewhere else (a git repository, an internal package index),
# write that here, e.g.  site_builder @ git+https://github.com/<owner>/<repository>@<tag>
{line}
"""


def init(target: Path, *, title: str = "", base_url: str = "", cname: str = "", today: str | None = None) -> Created:
    """Create a new briefing project in ``target`` (created if missing)."""
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

    planned = dict(FILES)
    outputs = {rel: None for rel in planned}
    outputs["requirements.txt"] = None
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
    }
    created = Created(target)
    texts: dict[str, str] = {}
    for rel, template in planned.items():
        text = (SCAFFOLD / template).read_text(encoding="utf-8")
        if rel.startswith("content/") or rel == "README.md":
            for key, value in values.items():
                text = text.replace(key, value)
        texts[rel] = text
    texts["requirements.txt"] = REQUIREMENTS.format(line=requirement_line())
    for kind in sorted(schema.KINDS):
        texts[f"schemas/{kind}.schema.json"] = json.dumps(schema.json_schema(kind), indent=2, ensure_ascii=False) + "\n"
    for rel in sorted(texts):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as fh:  # never overwrite
            fh.write(texts[rel])
        created.files.append(rel)
    return created


def _title_from(target: Path) -> str:
    name = target.resolve().name
    words = re.sub(r"[-_.]+", " ", name).strip()
    return (words[:1].upper() + words[1:]) if words else "New briefing"
