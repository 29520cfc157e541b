"""Replacing one file atomically: the one way every command writes a file in place.

A reader (a browser, an editor, the live server's watcher, another build)
sees the old bytes or the new ones, never half a file.  The new bytes go to a
hidden temporary file beside the target (same folder, so the rename stays on
one file system), named ``.<name>.<random>.tmp`` so that the watcher's
editor-temporary filter ignores it; then ``os.replace`` swaps it in.  On any
failure the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

DEFAULT_MODE = 0o644


def _mode_for(path: Path, keep_mode: bool) -> int:
    if keep_mode:
        try:
            return path.stat().st_mode & 0o777
        except OSError:
            pass
    return DEFAULT_MODE


@contextmanager
def replacing(path: Path, *, keep_mode: bool = False, mtime: float | None = None,
              make_parents: bool = False) -> Iterator[BinaryIO]:
    """Yield a binary file whose bytes replace ``path`` when the block ends without error.

    ``keep_mode`` keeps an existing file's permission bits (an author's file);
    otherwise the file gets 0644 (mkstemp's 0600 would hide a published page
    from a web server).  ``mtime`` sets the modification time (reproducible
    builds); ``make_parents`` creates missing folders first.
    """
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path, keep_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(tmp, mode)
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes, **options) -> None:
    """Replace ``path`` with ``data`` atomically (options as for :func:`replacing`)."""
    with replacing(path, **options) as fh:
        fh.write(data)


def write_text(path: Path, text: str, **options) -> None:
    """Replace ``path`` with ``text`` as UTF-8, line endings exactly as given."""
    write_bytes(path, text.encode("utf-8"), **options)
