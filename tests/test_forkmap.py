"""forkmap: prepared jobs run in forked workers, results in order, failures raised in order."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder import forkmap
from site_builder.diagnostics import Pos
from site_builder.templating import TemplateProblem


def _job(i: int) -> tuple[int, int]:
    return i, os.getpid()


def _failing(i: int) -> int:
    if i in (70, 75):
        raise TemplateProblem(Pos("templates/entity.html", 3, 1), f"while rendering page {i}")
    return i


def test_results_come_back_in_order_from_other_processes():
    jobs = [functools.partial(_job, i) for i in range(forkmap.THRESHOLD + 40)]
    results = list(forkmap.run(jobs, 2))
    assert [i for i, _ in results] == list(range(len(jobs)))
    if forkmap.forkable():
        assert {pid for _, pid in results} - {os.getpid()}, "no job ran in a worker"


def test_one_worker_or_few_jobs_run_here():
    assert {pid for _, pid in forkmap.run([functools.partial(_job, i) for i in range(5)], 2)} == {os.getpid()}
    jobs = [functools.partial(_job, i) for i in range(forkmap.THRESHOLD + 1)]
    assert {pid for _, pid in forkmap.run(jobs, 1)} == {os.getpid()}


@pytest.mark.parametrize("workers", [1, 2])
def test_the_first_failure_in_order_is_raised_with_its_position(workers):
    jobs = [functools.partial(_failing, i) for i in range(forkmap.THRESHOLD + 40)]
    seen = []
    with pytest.raises(TemplateProblem) as info:
        for result in forkmap.run(jobs, workers):
            seen.append(result)
    assert seen == list(range(70))
    assert info.value.pos == Pos("templates/entity.html", 3, 1)
    assert info.value.message == "while rendering page 70"


_YOUNG_SCRIPT = """
import functools, gc, json, sys
from site_builder import forkmap

def young(i):
    return len(gc.get_objects(0)) + len(gc.get_objects(1))

gc.enable()
forkmap.before_fork()
enabled_frozen = gc.get_freeze_count()  # the collector on: nothing is frozen
gc.disable()  # as a one-shot build runs
kept = [[i] for i in range(200_000)]  # the parent's objects, all in the youngest generation
jobs = [functools.partial(young, i) for i in range(forkmap.THRESHOLD + 40)]
seen = list(forkmap.run(jobs, 2))
print(json.dumps({"enabled_frozen": enabled_frozen, "frozen": gc.get_freeze_count(), "seen": seen,
                  "forked": forkmap.forkable()}))
"""


def test_workers_forked_with_the_collector_off_do_not_see_the_parents_objects_as_young():
    # Their young collections would walk (and copy) the whole inherited heap; before_fork freezes it.
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", _YOUNG_SCRIPT], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(root)})
    result = json.loads(out.stdout)
    assert result["enabled_frozen"] == 0
    if result["forked"]:
        assert result["frozen"] >= 200_000
        assert max(result["seen"]) < 50_000, "a worker saw the parent's objects in its young generations"
