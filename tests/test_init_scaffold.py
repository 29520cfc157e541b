"""`site-builder init DIR`: a new project that builds and passes check as it comes."""

from __future__ import annotations

import pytest
import yaml

from site_builder import publish, scaffold, webannotation
from test_publish_support import ROOT, full_files, run_cli


def test_init_creates_a_project_that_checks_and_builds(tmp_path):
    target = tmp_path / "new-briefing"
    proc = run_cli("init", target)
    assert proc.returncode == 0, proc.stderr
    for rel in ("content/site.yml", "content/index.md", "content/documents/example.md",
                "content/annotations/example.yml", "content/glossary/annotation.yml", ".gitignore",
                ".github/workflows/pages.yml", "requirements.txt", "README.md", "schemas/site.schema.json"):
        assert (target / rel).is_file(), rel
    check = run_cli("check", "--root", target)
    assert check.returncode == 0, check.stderr
    assert "0 errors" in check.stderr
    assert ": error:" not in check.stderr
    # a newcomer's first check is clean: the missing address is reported only with --publish
    assert ": warning:" not in check.stderr and "0 warnings" in check.stderr, check.stderr
    publishing = run_cli("check", "--root", target, "--publish", env={"SITE_BUILDER_BASE_URL": ""})
    assert publishing.returncode == 0 and "[base-url-missing]" in publishing.stderr, publishing.stderr
    strict_ok = run_cli("check", "--root", target, "--strict", env={"SITE_BUILDER_BASE_URL": "https://o.github.io/r/"})
    assert strict_ok.returncode == 0, strict_ok.stderr
    build = run_cli("build", "--root", target)
    assert build.returncode == 0, build.stderr
    assert ": warning:" not in build.stderr and "0 warnings" in build.stderr, build.stderr
    out = target / "output"
    assert (out / "index.html").is_file() and (out / "documents" / "example.html").is_file()
    assert (out / "glossary" / "annotation.html").is_file()
    # the example annotation anchors and the example entity is linked from the text
    page = (out / "documents" / "example.html").read_text(encoding="utf-8")
    assert 'id="ann-how-annotations-work"' in page
    assert 'class="mention"' in page and "../glossary/annotation.html" in page
    # and the whole site, publishing files included, is complete
    files = full_files(target).files
    assert publish.NOJEKYLL in files and webannotation.collection_path("example") in files


def test_title_base_url_and_cname_options(tmp_path):
    target = tmp_path / "x"
    proc = run_cli("init", target, "--title", 'A "quoted" title: with colon', "--base-url",
                   "https://org.github.io/repo", "--cname", "briefing.example.org")
    assert proc.returncode == 0, proc.stderr
    site = yaml.safe_load((target / "content" / "site.yml").read_text(encoding="utf-8"))
    assert site["title"] == 'A "quoted" title: with colon'
    assert site["base_url"] == "https://org.github.io/repo/"
    assert site["cname"] == "briefing.example.org"
    check = run_cli("check", "--root", target)
    assert check.returncode == 0, check.stderr
    files = full_files(target).files
    assert files[publish.CNAME] == b"briefing.example.org\n"
    assert publish.SITEMAP in files and publish.FEED in files


def test_default_title_comes_from_the_folder(tmp_path):
    created = scaffold.init(tmp_path / "china-ai_policy", today="2025-01-02")
    site = yaml.safe_load((created.root / "content" / "site.yml").read_text(encoding="utf-8"))
    assert site["title"] == "China ai policy" and site["date"] == "2025-01-02"


def test_init_never_overwrites(tmp_path):
    target = tmp_path / "p"
    (target / "content").mkdir(parents=True)
    (target / "content" / "site.yml").write_text("title: mine\n", encoding="utf-8")
    proc = run_cli("init", target)
    assert proc.returncode == 2 and "content/site.yml" in proc.stderr and "nothing was written" in proc.stderr
    assert (target / "content" / "site.yml").read_text() == "title: mine\n"
    assert not (target / "content" / "index.md").exists()
    # an existing empty folder is fine
    (tmp_path / "empty").mkdir()
    assert run_cli("init", tmp_path / "empty").returncode == 0


@pytest.mark.parametrize("args", [["--base-url", "ftp://x.org/"], ["--base-url", "not a url"],
                                  ["--cname", "https://x.org"], ["--cname", "x.org/path"]])
def test_bad_options_are_rejected(tmp_path, args):
    proc = run_cli("init", tmp_path / "p", *args)
    assert proc.returncode == 2 and "error:" in proc.stderr
    assert not (tmp_path / "p" / "content").exists()


def test_the_scaffold_workflow_is_the_repository_workflow(tmp_path):
    repo = (ROOT / ".github" / "workflows" / "pages.yml").read_bytes()
    assert (scaffold.SCAFFOLD / "pages.yml").read_bytes() == repo
    created = scaffold.init(tmp_path / "p")
    assert (created.root / ".github" / "workflows" / "pages.yml").read_bytes() == repo


def test_pages_workflow_uses_the_official_actions():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    triggers = wf.get("on", wf.get(True))
    assert triggers["push"]["branches"] == ["main"] and "workflow_dispatch" in triggers
    assert wf["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = [s.get("uses", "") for job in wf["jobs"].values() for s in job["steps"]]
    for action in ("actions/configure-pages@", "actions/upload-pages-artifact@", "actions/deploy-pages@"):
        assert any(s.startswith(action) for s in steps), action
    build_steps = wf["jobs"]["build"]["steps"]
    upload = next(s for s in build_steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["include-hidden-files"] is True  # .nojekyll survives the upload
    run = " ".join(s.get("run", "") for s in build_steps)
    assert "site-builder build --publish --out _site" in run and upload["with"]["path"] == "_site"
    assert wf["jobs"]["deploy"]["environment"]["name"] == "github-pages"
    assert wf["jobs"]["deploy"]["needs"] == "build"


def test_package_data_ships_the_scaffold():
    # Every file of the package's data folders is package data (the built wheel itself is
    # checked in test_fresh_install.py).
    import tomllib
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = data["tool"]["setuptools"]
    assert setuptools["packages"]["find"]["include"] == ["site_builder", "site_builder.*"]
    assert setuptools["package-data"] == {"*": ["*"]}


def test_every_yaml_file_init_writes_names_its_schema(tmp_path):
    created = scaffold.init(tmp_path / "p")
    yaml_files = [rel for rel in created.files if rel.endswith((".yml", ".yaml"))]
    assert ".github/workflows/pages.yml" in yaml_files and "content/site.yml" in yaml_files
    for rel in yaml_files:
        first = (created.root / rel).read_text(encoding="utf-8").splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(prefix), rel
        target = first[len(prefix):]
        if target.startswith("https://"):
            assert target == "https://json.schemastore.org/github-workflow.json", rel
        else:  # a schema init wrote into the project
            schema_file = ((created.root / rel).parent / target).resolve()
            assert schema_file.is_file() and schema_file.is_relative_to(created.root.resolve()), rel
