"""forkmap: prepared jobs run in forked workers, results in order, failures raised in order."""

from __future__ import annotations

import functools
import os

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
