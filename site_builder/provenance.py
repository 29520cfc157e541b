"""Where the running copy of site_builder came from, and how another machine installs the same.

``site-builder init`` writes the project's ``requirements.txt`` from this, so
that the GitHub Pages workflow installs the very generator the project was
made with. site_builder is not published on PyPI, so a bare
``site_builder==<version>`` would install whatever package someone else
registers under that name: it is never written. The sources, in order:

1. PEP 610 ``direct_url.json`` of the installed distribution:
   a git install (``vcs_info``) gives ``site_builder @ git+URL@<commit>``;
   a wheel or sdist file (``archive_info``) is copied into the project, when it
   still exists with the recorded hash, and required by its relative path;
   an archive from an https URL is required by that URL with its hash;
   a local folder (``dir_info``, editable or not) is looked at as a checkout.
2. A git checkout (the folder above the package, or the folder of 1.): its
   remote (the current branch's upstream, else ``origin``) and ``HEAD``
   commit, as ``site_builder @ git+URL@<commit>``.
3. Otherwise nothing: :attr:`Source.requirement` is empty and
   :attr:`Source.problem` says why.

No ``--hash`` option is ever written: on one line it switches pip into
hash-checking mode for every requirement (dependencies included). A wheel kept
in the project's own repository needs none, and an archive URL carries its
hash in the URL's ``#sha256=`` fragment, which pip checks for that file alone.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Callable, NamedTuple
from urllib.parse import unquote, urlsplit, urlunsplit

from . import __version__

DIST_NAME = "site_builder"
PACKAGE_DIR = Path(__file__).resolve().parent
WHEEL_DIR = "wheels"  # where init puts a wheel in the new project
# scp-like git remotes (git@host:owner/repo.git) on these hosts are also served over https
HTTPS_GIT_HOSTS = ("github.com", "gitlab.com", "codeberg.org", "bitbucket.org")

Git = Callable[..., str | None]  # run_git(folder, *args) -> stdout stripped, or None on failure


class Source(NamedTuple):
    """How a new project's workflow installs site_builder."""

    requirement: str  # the requirements.txt line; '' when none could be made
    description: str  # where that is, in words ('' when none)
    wheel: Path | None = None  # a file init copies into the project (the requirement names its copy)
    problem: str = ""  # why no requirement could be made
    caution: str = ""  # something to do before the workflow runs (e.g. push the commit)


def run_git(folder: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


# ----------------------------------------------------------- metadata

def running_distribution() -> metadata.Distribution | None:
    """The installed distribution whose files are the code running now, or None (a source tree on the path)."""
    try:
        dist = metadata.distribution(DIST_NAME)
    except metadata.PackageNotFoundError:
        return None
    try:
        located = Path(str(dist.locate_file(f"{PACKAGE_DIR.name}/__init__.py"))).resolve()
    except (OSError, ValueError):
        located = None
    if located == PACKAGE_DIR / "__init__.py":
        return dist
    info = direct_url(dist)
    folder = _local_path(info.get("url", "")) if info else None
    if folder is not None and (info or {}).get("dir_info") is not None and folder.resolve() == PACKAGE_DIR.parent:
        return dist  # an editable install of this checkout
    return None


def version() -> str:
    """The version in the package metadata (what ``pip`` installed), else the source's own."""
    dist = running_distribution()
    return dist.version if dist is not None else __version__


def direct_url(dist: metadata.Distribution) -> dict | None:
    try:
        text = dist.read_text("direct_url.json")
    except OSError:
        return None
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    return info if isinstance(info, dict) else None


def _local_path(url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


# ------------------------------------------------------------- sources

def install_source(git: Git = run_git) -> Source:
    """How another machine can install the site_builder that is running now."""
    dist = running_distribution()
    if dist is None:
        return from_checkout(PACKAGE_DIR.parent, git=git)
    info = direct_url(dist)
    if info is None:
        return Source("", "", problem=(
            f"site_builder {dist.version} was installed from a package index, and pip does not record which one; "
            "site_builder is not published on PyPI, so a requirement by name could install someone else's package"))
    return from_direct_url(info, git=git)


def from_direct_url(info: dict, git: Git = run_git) -> Source:
    """A source from PEP 610 ``direct_url.json`` data."""
    url = str(info.get("url", ""))
    subdirectory = str(info.get("subdirectory", "") or "")
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict):
        commit = str(vcs.get("commit_id", ""))
        if vcs.get("vcs") != "git" or not commit:
            return Source("", "", problem=f"site_builder was installed from {vcs.get('vcs', 'a')} repository "
                                          f"{public_url(url) or 'at a private location'}; only git is supported")
        local = _local_path(url)
        if local is not None:  # installed from a clone on this machine: use that clone's remote
            return from_checkout(local / subdirectory if subdirectory else local, git=git, commit=commit)
        remote = public_url(url)
        if not remote:
            return Source("", "", problem=f"site_builder was installed from the git repository at {_safe(url)}, "
                                          "which another machine cannot reach")
        return _vcs_source(remote, commit, subdirectory, f"the git repository {remote}, commit {commit[:12]}")
    archive = info.get("archive_info")
    if isinstance(archive, dict):
        return _archive_source(url, archive)
    if isinstance(info.get("dir_info"), dict):
        local = _local_path(url)
        if local is not None:
            return from_checkout(local / subdirectory if subdirectory else local, git=git)
    return Source("", "", problem=f"pip recorded an install location that is not understood: {_safe(url)}")


def _archive_source(url: str, archive: dict) -> Source:
    hashes = archive.get("hashes") if isinstance(archive.get("hashes"), dict) else {}
    if not hashes and isinstance(archive.get("hash"), str) and "=" in archive["hash"]:
        algo, _, value = archive["hash"].partition("=")
        hashes = {algo: value}
    sha256 = str(hashes.get("sha256", ""))
    local = _local_path(url)
    if local is None:
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.username or parts.password:
            return Source("", "", problem=f"site_builder was installed from {_safe(url)}, which is not a public "
                                          "https address")
        if not sha256:
            return Source("", "", problem=f"site_builder was installed from {url} without a recorded sha256 hash")
        plain = urlunsplit(parts._replace(fragment=""))
        return Source(f"{DIST_NAME} @ {plain}#sha256={sha256}", f"{plain} (sha256 {sha256[:12]}…)")
    if not local.is_file():
        return Source("", "", problem=f"site_builder was installed from the file {local}, which is no longer there")
    if sha256 and hashlib.sha256(local.read_bytes()).hexdigest() != sha256:
        return Source("", "", problem=f"site_builder was installed from {local}, but that file has changed since")
    return Source(f"./{WHEEL_DIR}/{local.name}", f"{WHEEL_DIR}/{local.name}, a copy of the file it was installed from",
                  wheel=local)


def from_checkout(folder: Path, git: Git = run_git, commit: str = "") -> Source:
    """A source from a git checkout: its remote and the commit it is at (or ``commit``)."""
    top = git(folder, "rev-parse", "--show-toplevel")
    if not top:
        return Source("", "", problem=f"site_builder runs from {folder}, which is neither an installed package "
                                      "with a recorded origin nor a git checkout")
    top_path = Path(top)
    try:
        subdirectory = folder.resolve().relative_to(top_path.resolve()).as_posix()
    except ValueError:
        subdirectory = ""
    subdirectory = "" if subdirectory == "." else subdirectory
    commit = commit or git(top_path, "rev-parse", "HEAD") or ""
    upstream = git(top_path, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}") or ""
    names = (git(top_path, "remote") or "").split()
    preferred = [upstream.split("/", 1)[0]] if "/" in upstream else []
    remote_name = next((n for n in preferred + ["origin"] + names if n in names), "")
    if not remote_name:
        return Source("", "", problem=f"site_builder runs from the git checkout {top}, which has no remote to "
                                      "install it from")
    raw = git(top_path, "remote", "get-url", remote_name) or ""
    remote = public_url(raw)
    if not remote or not commit:
        return Source("", "", problem=f"the git remote '{remote_name}' of {top} ({_safe(raw)}) is not an address "
                                      "another machine can install from")
    caution = ""
    if not git(top_path, "branch", "-r", "--contains", commit):
        caution = (f"commit {commit[:12]} is not on any branch of '{remote_name}' that this checkout knows of: "
                   "push it before the workflow runs")
    elif git(top_path, "status", "--porcelain", "--untracked-files=no"):
        caution = f"{top} has uncommitted changes; the workflow installs commit {commit[:12]} without them"
    where = f"the git repository {remote} (remote '{remote_name}' of this checkout), commit {commit[:12]}"
    return _vcs_source(remote, commit, subdirectory, where)._replace(caution=caution)


def _vcs_source(remote: str, commit: str, subdirectory: str, description: str) -> Source:
    line = f"{DIST_NAME} @ git+{remote}@{commit}"
    if subdirectory:
        line += f"#subdirectory={subdirectory}"
    return Source(line, description)


def public_url(url: str) -> str:
    """A git remote as an address another machine can clone, credentials removed; '' for local ones."""
    url = url.strip()
    if url.startswith("git+"):
        url = url[4:]
    if "://" not in url:
        # scp-like: [user@]host:path (a bare path or a Windows drive is local)
        head, sep, path = url.partition(":")
        if not sep or "/" in head or not path or len(head) == 1:
            return ""
        user, _, host = head.rpartition("@")
        if host.lower() in HTTPS_GIT_HOSTS:
            return f"https://{host.lower()}/{path.lstrip('/')}"
        return f"ssh://{user + '@' if user else ''}{host}/{path.lstrip('/')}"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "ssh", "git") or not parts.hostname:
        return ""
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    if parts.scheme == "ssh" and parts.username:
        host = f"{parts.username}@{host}"  # ssh user names are not secrets (git@…)
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _safe(url: str) -> str:
    """``url`` for a message, with any password or token taken out."""
    parts = urlsplit(url)
    if parts.password or (parts.username and parts.scheme in ("http", "https")):
        host = parts.hostname or ""
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return url
