"""parity.background: work on a thread whose result or exception reaches the caller intact."""

from __future__ import annotations

import sys
import threading

import pytest

from parity.background import SWITCH_INTERVAL, Background, in_parallel, yielding_often


def test_a_background_result_and_its_exception_reach_the_caller() -> None:
    started = threading.Event()

    def work() -> int:
        started.set()
        return 42

    late = Background(work, name="test-late", start=False)
    assert not started.is_set()  # nothing runs before start()
    assert late.result() == 42  # result() starts it if nobody did

    def broken() -> int:
        raise ValueError("check failed")

    failing = Background(broken, name="test-failing")
    with pytest.raises(ValueError, match="check failed"):
        failing.result()
    assert failing.failed


def test_in_parallel_returns_results_in_the_order_given() -> None:
    gate = threading.Barrier(3, timeout=10)  # all three must be running at once to get past it

    def task(value: int) -> int:
        gate.wait()
        return value * 10

    assert in_parallel([lambda v=v: task(v) for v in (3, 1, 2)]) == [30, 10, 20]


def test_yielding_often_lowers_the_switch_interval_only_while_it_lasts() -> None:
    saved = sys.getswitchinterval()
    seen = []

    def checked_work() -> None:
        with yielding_often():
            seen.append(sys.getswitchinterval())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        checked_work()
    assert seen == [pytest.approx(min(saved, SWITCH_INTERVAL))]
    assert sys.getswitchinterval() == saved  # restored, even after an exception
