"""Run a list of prepared jobs in forked worker processes, results in order.

The renderer prepares every page to render as a closure over what the page
needs (its plan, the Jinja environment, the site view).  Closures cannot be
pickled, but a forked child inherits them: the parent keeps the jobs in a
module global, forks the workers, and sends each only a range of indices;
the workers send back the results (page bytes), which are plain data.

Forking is used only where it is safe and pays: a start method ``fork``
exists, no other thread runs in this process (the live server's threads
could hold a lock the child would inherit; it renders in one process), and
there are enough jobs.  Otherwise the jobs run here, one after the other, and
the results are the same.

With the cyclic collector switched off (a one-shot ``build``), each job is
followed by a collection of the young generations: a template render leaves
reference cycles (Jinja contexts and macros) that hold the page's whole view,
and a young collection frees them for the cost of the objects that one job
allocated.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")

THRESHOLD = 64  # jobs; below this, forking costs more than it saves
RANGE = 32  # jobs per range at most, so that a range's results (pages) are few
AHEAD = 2  # ranges per worker sent out before their results are taken: the results held at once are bounded

# The most job results the last forked run held at once (sent out but not yet taken), for the tests.
held_at_most = 0

_JOBS: Sequence[Callable[[], object]] | None = None


def forkable() -> bool:
    """Whether this process may fork workers now (a fork start method, and no other thread running)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def collect_young() -> None:
    """Free the reference cycles the last job left, when the collector is off (see the module notes)."""
    if not gc.isenabled():
        gc.collect(1)


def before_fork() -> None:
    """Call just before forking workers: with the collector off, put every object made so far out of its reach.

    With the collector off (a one-shot ``build``), every object the parent made
    sits in the youngest generation, so a worker's first :func:`collect_young`
    would walk the whole inherited heap and write to each object's header,
    copying every memory page the fork shared.  Frozen, those objects are left
    out of the workers' collections (and the parent, collector off, collects
    nothing anyway).
    """
    if not gc.isenabled():
        gc.freeze()


def run(jobs: Sequence[Callable[[], T]], workers: int) -> Iterator[T]:
    """Each job's result, in the order of ``jobs``; in ``workers`` forked processes when that is safe and pays.

    An exception raised by a job is raised here, for the first failing job in
    order (the jobs after it may or may not have run).
    """
    global _JOBS, held_at_most
    if workers <= 1 or len(jobs) < THRESHOLD or not forkable():
        for job in jobs:
            yield job()
            collect_young()
        return
    # Small ranges, so that the workers finish together although pages differ in cost, and only
    # AHEAD ranges per worker sent out at a time: the results wait here until they are taken,
    # so a range is sent out only when an earlier one's results have been taken.
    step = max(1, min(RANGE, len(jobs) // (workers * 8)))
    ranges = iter([(i, min(i + step, len(jobs))) for i in range(0, len(jobs), step)])
    _JOBS = jobs
    held_at_most = 0
    before_fork()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_init)
    try:
        out: deque[tuple[Future, int]] = deque()
        held = 0

        def send() -> int:
            bounds = next(ranges, None)
            if bounds is None:
                return 0
            out.append((pool.submit(_run_range, bounds), bounds[1] - bounds[0]))
            return bounds[1] - bounds[0]

        for _ in range(workers * AHEAD):
            held += send()
        while out:
            future, size = out.popleft()
            held_at_most = max(held_at_most, held)
            results, failure = future.result()
            held -= size
            held += send()
            yield from results
            if failure is not None:
                raise failure
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        _JOBS = None
    pool.shutdown(wait=True)


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group; the parent handles it and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # ``build`` turns it into an interruption; a worker just ends


def _run_range(bounds: tuple[int, int]) -> tuple[list[object], Exception | None]:
    """The results of the jobs in ``bounds`` up to the first that fails, and its exception."""
    assert _JOBS is not None, "forkmap worker started without jobs"
    out = []
    for i in range(*bounds):
        try:
            out.append(_JOBS[i]())
        except Exception as exc:  # raised in the parent, after the results before it
            return out, exc
        collect_young()
    return out, None
