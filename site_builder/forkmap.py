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
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")

THRESHOLD = 64  # jobs; below this, forking costs more than it saves

_JOBS: Sequence[Callable[[], object]] | None = None


def forkable() -> bool:
    """Whether this process may fork workers now (a fork start method, and no other thread running)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def collect_young() -> None:
    """Free the reference cycles the last job left, when the collector is off (see the module notes)."""
    if not gc.isenabled():
        gc.collect(1)


def run(jobs: Sequence[Callable[[], T]], workers: int) -> Iterator[T]:
    """Each job's result, in the order of ``jobs``; in ``workers`` forked processes when that is safe and pays.

    An exception raised by a job is raised here, for the first failing job in
    order (the jobs after it may or may not have run).
    """
    global _JOBS
    if workers <= 1 or len(jobs) < THRESHOLD or not forkable():
        for job in jobs:
            yield job()
            collect_young()
        return
    # Small ranges, so that the workers finish together although pages differ in cost.
    step = max(1, len(jobs) // (workers * 8))
    ranges = [(i, min(i + step, len(jobs))) for i in range(0, len(jobs), step)]
    _JOBS = jobs
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_init)
    try:
        for results, failure in pool.map(_run_range, ranges):
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
