"""Run one function on a thread and hand back its result, or re-raise its exception, when asked.

`prove` runs its static check while the cited commands run: they are child processes that need no
Python, so on a large matrix the check's seconds come off the wall time instead of adding to it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import TYPE_CHECKING, Generic, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

__all__ = ["Background", "in_parallel", "yielding_often"]

SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005

T = TypeVar("T")


class Background(Generic[T]):
    """`start()` may come later than construction: work started early would compete for the GIL."""

    def __init__(self, work: Callable[[], T], *, name: str, start: bool = True) -> None:
        self._work = work
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False
        if start:
            self.start()

    def start(self) -> None:
        """Start the work (once; later calls do nothing)."""
        if not self._started:
            self._started = True
            self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc

    @property
    def failed(self) -> bool:
        """True once the work has raised: the caller can stop early instead of waiting for result()."""
        return self._error is not None

    def result(self) -> T:
        self.start()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return cast("T", self._result)  # set whenever no error was raised


def in_parallel(work: Sequence[Callable[[], T]]) -> list[T]:
    """Each callable on its own thread (for waits on processes and I/O); results in order.

    Plain threads rather than concurrent.futures: this runs on every `prove` start-up, where importing
    an executor costs more than the threads.
    """
    tasks = [Background(item, name=f"parity-parallel-{number}") for number, item in enumerate(work)]
    return [task.result() for task in tasks]


@contextlib.contextmanager
def yielding_often() -> Iterator[None]:
    """Hand the GIL over ten times as often while background work runs.

    The main thread reads each command's output as it arrives and parses it (libtest lines). With
    CPython's 5 ms switch interval, every read behind a busy check thread could wait that long, and
    a command that prints a line per test finished measurably later than when run directly.
    """
    saved = sys.getswitchinterval()
    sys.setswitchinterval(min(saved, SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(saved)
