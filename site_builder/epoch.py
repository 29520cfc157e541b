"""``SOURCE_DATE_EPOCH``: the one reading of the reproducible-builds timestamp.

The specification (reproducible-builds.org/specs/source-date-epoch/) asks for a
non-negative integer count of seconds since 1970-01-01 00:00:00 UTC, and for a
build to fail rather than guess when the value is malformed.  Every reader of
the variable (file modification times, zip entry dates, the feed's fallback
date) goes through :func:`source_date_epoch`, and the commands that write files
call :func:`check` first, so a bad value stops them before anything is written.
"""

from __future__ import annotations

import os
import re

VARIABLE = "SOURCE_DATE_EPOCH"
# 9999-12-31T23:59:59Z: later dates cannot be written by the date formats we emit.
MAX_EPOCH = 253402300799
_DIGITS = re.compile(r"[0-9]+")


class EpochError(ValueError):
    """SOURCE_DATE_EPOCH is set to something that is not a usable timestamp."""


def source_date_epoch(environ=None) -> int | None:
    """The timestamp, None when the variable is unset; :class:`EpochError` when malformed."""
    env = os.environ if environ is None else environ
    value = env.get(VARIABLE)
    if value is None:
        return None
    if not _DIGITS.fullmatch(value):
        raise EpochError(f"{VARIABLE} must be a non-negative integer number of seconds since 1970-01-01 UTC "
                         f"(got {value!r}); unset it or set it to e.g. the last commit's time "
                         "(git log -1 --format=%ct)")
    seconds = int(value)
    if seconds > MAX_EPOCH:
        raise EpochError(f"{VARIABLE}={value} is after the year 9999; give seconds since 1970-01-01 UTC, "
                         "not milliseconds")
    return seconds


def check() -> str | None:
    """The problem with SOURCE_DATE_EPOCH as a message, or None when it is unset or valid."""
    try:
        source_date_epoch()
    except EpochError as exc:
        return str(exc)
    return None
