"""Compiler-style diagnostics shared by every stage.

Every problem is a :class:`Diagnostic` with a stable ``code`` (so one kind can
be silenced), a severity, a source position and a message.  Stages append to a
:class:`Diagnostics` collector and carry on, so one run reports every problem.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable


# The warnings a project may silence with ``ignore:`` in site.yml.  Errors can
# never be silenced: they mean the site would be wrong or incomplete.
SILENCEABLE = (
    "base-url-invalid",
    "base-url-missing",
    "cname-mismatch",
    "entity-unused",
    "factcheck-unsourced",
    "unexpected-file",
)


# The errors a project may downgrade to warnings with ``warn:`` in site.yml.
DOWNGRADABLE = (
    "link-broken",
)


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # information for the author (e.g. a detected language); never fails a build, even --strict


@dataclass(frozen=True, slots=True)
class Pos:
    """A position in a source file: path relative to the project root, 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{max(self.col, 1)}"


# Directional controls in content (a name with U+202E) would reorder a message in
# the terminal around them: messages show them as <U+XXXX>.
_BIDI_CONTROLS = {c: f"<U+{c:04X}>" for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def _shown(text: str) -> str:
    return text.translate(_BIDI_CONTROLS)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    pos: Pos
    message: str
    notes: tuple[str, ...] = ()

    def format(self) -> str:
        head = f"{self.pos}: {self.severity.value}: {_shown(self.message)} [{self.code}]"
        if not self.notes:
            return head
        return head + "".join(f"\n    {_shown(line)}" for note in self.notes for line in note.splitlines())

    def sort_key(self) -> tuple:
        return (self.pos.path, self.pos.line, self.pos.col, self.code, self.message)


@dataclass
class Diagnostics:
    """Collects diagnostics; ``ignore`` holds warning codes the author silenced (errors always count),
    ``warn`` error codes the author downgraded to warnings (only those in :data:`DOWNGRADABLE`)."""

    ignore: frozenset[str] = frozenset()
    items: list[Diagnostic] = field(default_factory=list)
    warn: frozenset[str] = frozenset()

    def error(self, code: str, pos: Pos, message: str, *notes: str) -> None:
        self._add(Diagnostic(code, Severity.ERROR, pos, message, tuple(n for n in notes if n)))

    def warning(self, code: str, pos: Pos, message: str, *notes: str) -> None:
        self._add(Diagnostic(code, Severity.WARNING, pos, message, tuple(n for n in notes if n)))

    def note(self, code: str, pos: Pos, message: str, *notes: str) -> None:
        self._add(Diagnostic(code, Severity.NOTE, pos, message, tuple(n for n in notes if n)))

    def _add(self, diag: Diagnostic) -> None:
        if diag.severity is Severity.ERROR and diag.code in self.warn and diag.code in DOWNGRADABLE:
            diag = Diagnostic(diag.code, Severity.WARNING, diag.pos, diag.message, diag.notes)
        if diag.code in self.ignore and diag.severity is Severity.WARNING:
            return
        if diag.pos.line <= 0:  # every diagnostic has a place: a whole file is its first line
            diag = Diagnostic(diag.code, diag.severity, Pos(diag.pos.path, 1, 1), diag.message, diag.notes)
        self.items.append(diag)

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            self._add(d)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    @property
    def notes(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.NOTE]

    def has_errors(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))

    def sorted(self) -> list[Diagnostic]:
        seen: set[Diagnostic] = set()
        out = []
        for d in sorted(self.items, key=Diagnostic.sort_key):
            if d not in seen:
                seen.add(d)
                out.append(d)
        return out

    def summary(self) -> str:
        e, w, n = len(self.errors), len(self.warnings), len(self.notes)
        notes = f", {n} note{'s' * (n != 1)}" if n else ""
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}{notes}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A `` (did you mean 'x'?)`` suffix when a close choice exists, else ''."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class ContentError(Exception):
    """Raised to abort a build whose content has errors; carries the diagnostics."""

    def __init__(self, diagnostics: Diagnostics):
        super().__init__(diagnostics.summary())
        self.diagnostics = diagnostics
