"""How the command line talks to a person on standard error.

* Colour on a terminal only: ``NO_COLOR`` (https://no-color.org) turns it off,
  ``FORCE_COLOR`` turns it on where the output is not a terminal, and
  ``TERM=dumb`` means no colour.
* Progress (stage, documents done of total) on a terminal only, and only once
  an operation has run for about a second; the line is erased when done.
* ``--quiet``: only errors (and, with ``--strict``, the warnings that count as
  errors).

Non-interactive output (a pipe, a log file, CI) stays exactly the plain lines
the commands always printed.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Mapping, TextIO

from .diagnostics import Diagnostic, Severity

PROGRESS_DELAY_ENV = "SITE_BUILDER_PROGRESS_DELAY"  # seconds before progress shows; default 1
PROGRESS_INTERVAL = 0.1  # seconds between redraws of the progress line (a stage's first one always draws)

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
RED = "\x1b[31m"
YELLOW = "\x1b[33m"
CYAN = "\x1b[36m"
GREEN = "\x1b[32m"
ERASE_LINE = "\r\x1b[K"

SEVERITY_COLOURS = {"error": BOLD + RED, "warning": BOLD + YELLOW, "note": BOLD + CYAN}


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def colour_wanted(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour ``stream``: NO_COLOR wins, then FORCE_COLOR, then "is it a terminal"."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):
        return False
    if env.get("FORCE_COLOR", ""):
        return True
    if env.get("TERM", "") == "dumb":
        return False
    return _isatty(stream)


@dataclass
class Console:
    """Standard error, as the commands write to it."""

    stream: TextIO
    colour: bool = False
    interactive: bool = False  # a terminal: progress and the build's summary line
    quiet: bool = False
    strict: bool = False  # with quiet: warnings count as errors, so they are shown
    delay: float = 1.0
    _started: float = field(default_factory=time.monotonic)
    _drawn_at: float = -1.0
    _stage: str = ""
    _showing: bool = False

    @classmethod
    def for_stderr(cls, *, quiet: bool = False, strict: bool = False, stream: TextIO | None = None,
                   environ: Mapping[str, str] | None = None) -> "Console":
        stream = stream if stream is not None else sys.stderr
        env = os.environ if environ is None else environ
        try:
            delay = float(env.get(PROGRESS_DELAY_ENV, "") or 1.0)
        except ValueError:
            delay = 1.0
        interactive = _isatty(stream) and env.get("TERM", "") != "dumb"
        return cls(stream, colour=colour_wanted(stream, env), interactive=interactive, quiet=quiet,
                   strict=strict, delay=max(delay, 0.0))

    # ------------------------------------------------------------ lines

    def _paint(self, text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if self.colour and style else text

    def _write(self, line: str) -> None:
        self.clear_progress()
        print(line, file=self.stream, flush=True)

    def info(self, message: str) -> None:
        """A plain line (what was done, what to do next); not with --quiet."""
        if not self.quiet:
            self._write(message)

    def success(self, message: str) -> None:
        """The closing line of a command that worked; not with --quiet."""
        if not self.quiet:
            self._write(self._paint(message, GREEN) if self.interactive else message)

    def alert(self, message: str) -> None:
        """A plain line shown even with --quiet (the address being served, a build that failed)."""
        self._write(message)

    def labelled(self, severity: str, message: str, always: bool = False) -> None:
        """``error: …``, ``warning: …`` or ``note: …``; only errors with --quiet, unless ``always``."""
        if self.quiet and severity != "error" and not always:
            return
        self._write(f"{self._paint(severity + ':', SEVERITY_COLOURS.get(severity, ''))} {message}")

    def error(self, message: str) -> None:
        self.labelled("error", message)

    def note(self, message: str) -> None:
        self.labelled("note", message)

    def diagnostic(self, d: Diagnostic) -> None:
        if self.quiet and (d.severity is Severity.NOTE or d.severity is Severity.WARNING and not self.strict):
            return
        if not self.colour:
            self._write(d.format())
            return
        head = (f"{self._paint(str(d.pos) + ':', BOLD)} "
                f"{self._paint(d.severity.value + ':', SEVERITY_COLOURS[d.severity.value])} "
                f"{d.message} {self._paint('[' + d.code + ']', DIM)}")
        notes = "".join(f"\n    {line}" for note in d.notes for line in note.splitlines())
        self._write(head + notes)

    def diagnostics(self, items) -> None:
        for d in items:
            self.diagnostic(d)

    # --------------------------------------------------------- progress

    def progress(self, stage: str, done: int = 0, total: int = 0) -> None:
        """Show ``stage done/total`` on a terminal once the command has run for ``delay`` seconds."""
        if not self.interactive or self.quiet:
            return
        now = time.monotonic()
        if now - self._started < self.delay:
            return
        if stage == self._stage and now - self._drawn_at < PROGRESS_INTERVAL and done != total:
            return
        self._stage, self._drawn_at = stage, now
        counts = f" {done}/{total}" if total else ""
        self.stream.write(f"{ERASE_LINE}{self._paint(stage, DIM)}{counts}…")
        self.stream.flush()
        self._showing = True

    def clear_progress(self) -> None:
        if self._showing:
            self.stream.write(ERASE_LINE)
            self.stream.flush()
            self._showing = False
