"""A staging folder left by a build that was killed outright is removed by the next build, never a running one's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder import writer
from site_builder.writer import Staging

pytestmark = pytest.mark.skipif(writer.fcntl is None, reason="needs POSIX file locks")

HOLD = """
import sys, time
from pathlib import Path
from site_builder.writer import Staging
s = Staging(Path(sys.argv[1]), Path(sys.argv[2]))
print(s.folder, flush=True)
time.sleep(120)
"""


def _staging_in_child(root: Path, out: Path) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(root), str(out)], stdout=subprocess.PIPE, text=True,
                             env=env)
    folder = Path(child.stdout.readline().strip())
    assert folder.is_dir()
    return child, folder


def test_the_folder_of_a_killed_build_is_removed_and_a_running_ones_is_kept(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    out = root / "output"
    killed, abandoned = _staging_in_child(root, out)
    running, busy = _staging_in_child(root, out)
    try:
        killed.send_signal(signal.SIGKILL)  # no handler runs: the folder and its lock file stay
        killed.wait()
        assert abandoned.is_dir()
        with Staging(root, out) as staging:
            (staging.folder / "index.html").write_text("new")
            staging.commit()
        assert not abandoned.exists() and not Path(f"{abandoned}{writer.LOCK_SUFFIX}").exists()
        assert busy.is_dir() and Path(f"{busy}{writer.LOCK_SUFFIX}").is_file()  # its build still holds the lock
        assert (out / "index.html").read_text() == "new"
        assert not (out / Path(f"{busy}{writer.LOCK_SUFFIX}").name).exists()  # the lock file is never published
    finally:
        running.kill()
        running.wait()
        killed.stdout.close()
        running.stdout.close()
    # A folder with no lock file (its build may have only just made it) is never touched.
    bare = root / ".output.new-bare"
    bare.mkdir()
    with Staging(root, out) as staging:
        staging.discard()
    assert bare.is_dir()
    # The second child was killed too, in the meantime: its folder has gone with this build, and no lock file is left.
    assert not busy.exists()
    assert not [p.name for p in root.iterdir() if p.name.endswith(writer.LOCK_SUFFIX)]
