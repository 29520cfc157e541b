"""The cyclic garbage collector in the live server (see docs/performance.md, "serve-edit").

The server keeps its build cache for its whole life: every document's
analysis and page parts, every page's bytes, the loaded content; millions of
objects that the cyclic collector tracks.  Left alone, the collector's full
collections walk all of them whenever the objects promoted since the last one
reach a quarter of the old ones, which a few edits' rebuilds do: at 1,000
documents one full collection took 0.2 to 0.6 s, in the middle of a rebuild,
and made the slow tenth of the save-to-reload times.

So after each build the objects that survived it are frozen (``gc.freeze``:
moved to a permanent generation that collections skip), and a collection
walks only what was allocated since.  Frozen objects are still freed by
reference counting as soon as the cache lets go of them; only garbage
*cycles* among them wait, for the full collection that runs every
``full_every`` builds, after the build was published (so never between a
save and its reload event).  While objects are frozen, the oldest unfrozen
generation (what builds and the deferred site-wide files left since the last
freeze, small) is collected every ``OLDEST_EVERY`` young collections instead
of every 10, which otherwise ran about twice per edit.
"""

from __future__ import annotations

import gc
import threading

FULL_EVERY = 25  # builds between full collections
OLDEST_EVERY = 100  # young collections between collections of the oldest unfrozen objects (Python's default: 10)


class Collector:
    """Freezes what each build leaves; a full collection every ``full_every`` builds."""

    def __init__(self, full_every: int = FULL_EVERY):
        self.full_every = full_every
        self.since_full = 0
        self.full_collections = 0  # for tests
        self._lock = threading.Lock()
        self._frozen = False
        self._thresholds: tuple[int, int, int] | None = None

    def after_build(self) -> None:
        """Called once a build is published: its survivors leave the collected generations."""
        with self._lock:
            self.since_full += 1
            if self.since_full >= self.full_every or not self._frozen:
                self._full()
                return
            gc.collect(1)  # the build's own young cycles (Jinja contexts), before they are frozen
            gc.freeze()

    def settle(self) -> None:
        """Freeze what the deferred site-wide files left (the search index's memo), without a collection."""
        with self._lock:
            if self._frozen:
                gc.freeze()

    def full(self) -> None:
        """Collect everything, frozen objects included, then freeze the survivors."""
        with self._lock:
            self._full()

    def _full(self) -> None:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        if not self._frozen:
            # What is left unfrozen between two builds is small: collecting it as a whole
            # every 10 young collections (several times per edit) is work for nothing.
            self._thresholds = gc.get_threshold()
            gc.set_threshold(self._thresholds[0], self._thresholds[1], max(self._thresholds[2], OLDEST_EVERY))
        self._frozen = True
        self.since_full = 0
        self.full_collections += 1

    def release(self) -> None:
        """The server stops: every frozen object goes back to the collector."""
        with self._lock:
            if self._frozen:
                gc.unfreeze()
                self._frozen = False
            if self._thresholds is not None:
                gc.set_threshold(*self._thresholds)
                self._thresholds = None
