"""The command line on a terminal and off it: colour, progress, the summary line, --quiet, --version.

Terminal paths run the real CLI with its standard streams on a pseudo-terminal (pty).
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import yaml

from builder_support import ROOT, make_project, run_cli

SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour and bold
ERASE = "\r\x1b[K"


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "SOURCE_DATE_EPOCH")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def run_on_terminal(*args, **env: str) -> tuple[int, str]:
    """Run the CLI with stdin, stdout and stderr on a pty; returns (status, everything it wrote)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "site_builder", *map(str, args)], stdin=slave, stdout=slave,
                            stderr=slave, env=_env(**env), close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    status = proc.wait(timeout=120)
    os.close(master)
    return status, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def _example_counts() -> tuple[int, int, int]:
    docs = len(list((ROOT / "content" / "documents").glob("*.md")))
    notes = sum(len(yaml.safe_load(p.read_text(encoding="utf-8"))["annotations"])
                for p in (ROOT / "content" / "annotations").glob("*.yml"))
    entities = len(list((ROOT / "content" / "glossary").glob("*.yml")))
    return docs, notes, entities


def _broken_project(root: Path) -> Path:
    return make_project(root, {
        "content/documents/doc.md": '---\ntitle: "Doc"\n---\n\nXinhua reported on Xi.\n',
        "content/annotations/doc.yml": "annotations:\n  - id: a\n    kind: note\n    quote: \"not in the text\"\n"
                                       "    body: x\n",
        "content/glossary/unused.yml": "name: Unused\ntype: concept\nsummary: Never mentioned.\n",
    })


def test_build_on_a_terminal_shows_progress_and_one_summary_line(tmp_path):
    out = tmp_path / "site"
    # The progress delay (1 s by default) set to 0, so that this small build shows it.
    # --no-cache: a build from the saved output of an unchanged project has no stages to show.
    status, text = run_on_terminal("build", "--root", ROOT, "--out", out, "--no-cache", SITE_BUILDER_PROGRESS_DELAY="0")
    assert status == 0, text
    docs, notes, entities = _example_counts()
    plain = SGR.sub("", text)
    assert f"analysing documents {docs}/{docs}" in plain, text  # stage, documents done of total
    assert ERASE in text  # the progress line is erased before anything else is printed
    final = [ln for ln in plain.split(ERASE)[-1].splitlines() if ln.strip()]
    assert len(final) == 1, final  # ends with one summary line, no progress left behind
    summary = final[0]
    pages = sum(1 for p in out.rglob("*.html"))
    assert summary.startswith(f"built {pages} pages, {docs} document{'s' * (docs != 1)}, {notes} notes, "
                              f"{entities} entities, 0 warnings into {out} in "), summary
    assert re.search(r" in \d+\.\d s; open ", summary) and summary.endswith(f"open {out / 'index.html'}")
    assert SGR.search(text)  # coloured on a terminal


def test_no_progress_or_escape_codes_when_not_a_terminal(tmp_path):
    out = tmp_path / "site"
    proc = run_cli("build", "--root", ROOT, "--out", out, env={"SITE_BUILDER_PROGRESS_DELAY": "0", "TERM": "xterm"})
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "analysing" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and re.fullmatch(r"built \d+ pages into .* in \d+ ms \(0 errors, 0 warnings\); open .*",
                                            lines[0]), lines


def test_diagnostics_are_coloured_on_a_terminal_and_no_color_turns_it_off(tmp_path):
    root = _broken_project(tmp_path / "p")
    status, text = run_on_terminal("check", "--root", root)
    assert status == 1
    assert "\x1b[1m\x1b[31merror:\x1b[0m" in text and "\x1b[1m\x1b[33mwarning:\x1b[0m" in text, text
    assert "\x1b[2m[quote-not-found]\x1b[0m" in text
    assert "content/annotations/doc.yml:" in SGR.sub("", text)

    status, text = run_on_terminal("check", "--root", root, NO_COLOR="1")
    assert status == 1 and "error:" in text and not SGR.search(text), text
    # the plain text is the same with and without colour
    piped = run_cli("check", "--root", root)
    assert piped.stderr.splitlines() == text.splitlines()


def test_force_color_colours_a_pipe_and_no_color_wins(tmp_path):
    root = _broken_project(tmp_path / "p")
    forced = run_cli("check", "--root", root, env={"FORCE_COLOR": "1"})
    assert "\x1b[1m\x1b[31merror:\x1b[0m" in forced.stderr
    both = run_cli("check", "--root", root, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b" not in both.stderr


def test_quiet_prints_only_errors(tmp_path):
    out = tmp_path / "site"
    status, text = run_on_terminal("build", "--root", ROOT, "--out", out, "--quiet", SITE_BUILDER_PROGRESS_DELAY="0")
    assert status == 0 and text.strip() == "", text  # no progress, no summary
    assert (out / "index.html").is_file()
    piped = run_cli("--quiet", "check", "--root", ROOT, "--publish", env={"SITE_BUILDER_BASE_URL": ""})
    assert piped.returncode == 0 and piped.stderr == ""  # the base-url-missing warning is not an error

    root = _broken_project(tmp_path / "p")
    proc = run_cli("check", "-q", "--root", root)
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if not ln.startswith(" ")]
    assert lines and all(": error:" in ln or ln.startswith("check: ") for ln in lines), lines
    assert "[entity-unused]" not in proc.stderr and "[quote-not-found]" in proc.stderr
    # with --strict the warnings are errors, so they are printed
    strict = run_cli("check", "-q", "--strict", "--root", root)
    assert "[entity-unused]" in strict.stderr
    # usage and output errors still show
    bad = run_cli("export", "-q", "--root", ROOT)
    assert bad.returncode == 2 and "error: say what to export" in bad.stderr


def test_version_comes_from_the_package_metadata():
    import tomllib

    from site_builder import __version__, provenance
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"site-builder {provenance.version()}"
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # the distribution's version is the package's (setuptools reads it from site_builder.__version__)
    assert data["project"]["dynamic"] == ["version"]
    assert data["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "site_builder.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def _serve_until_listening(*args, env: dict) -> str:
    """Start ``serve`` on a free port, wait for the address line, stop it; everything it wrote to stderr."""
    import signal
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "site_builder", "serve", "--port", "0", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    lines: list[str] = []
    seen = threading.Event()

    def read():
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("serving http"):
                seen.set()
        seen.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert seen.wait(120), "serve did not start"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    return "".join(lines)


def test_serve_writes_the_terminal_like_the_other_commands(tmp_path):
    """Coloured diagnostics when colour is wanted; --quiet keeps only errors and the address."""
    root = _broken_project(tmp_path / "p")
    text = _serve_until_listening("--root", root, env=_env(FORCE_COLOR="1"))
    assert "\x1b[1m\x1b[31merror:\x1b[0m" in text and "\x1b[2m[quote-not-found]\x1b[0m" in text, text
    assert "[entity-unused]" in SGR.sub("", text)
    plain = _serve_until_listening("--root", root, env=_env(NO_COLOR="1"))
    assert "\x1b" not in plain and "error:" in plain and "build failed" in plain

    quiet = _serve_until_listening("-q", "--root", root, env=_env(NO_COLOR="1"))
    assert "[quote-not-found]" in quiet and "build failed" in quiet  # errors still show
    assert "[entity-unused]" not in quiet  # a warning does not
    assert "serving http" in quiet  # nor does it hide where the preview is

    good = _serve_until_listening("--quiet", "--root", ROOT, env=_env(NO_COLOR="1"))
    assert "built " not in good and "stopped" not in good, good
    assert good.startswith("serving http"), good
