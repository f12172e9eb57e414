"""Command line: parse arguments, dispatch to a verb, map outcomes to exit codes (the only exiting module)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import pkgutil
import sys
from typing import TYPE_CHECKING, Any, cast

from parity import __version__
from parity.errors import InputError, ParityError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import ModuleType

    from rich.console import Console

__all__ = ["EXIT_FINDINGS", "EXIT_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "main", "run"]

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
_NOT_VERBS = {"common"}


def _verbs(only: str | None = None) -> dict[str, ModuleType]:
    """Every module of parity.verbs is a verb; `verify_signoff` is spelled `verify-signoff`.

    With `only` naming a verb, just that one is imported: `parity prove` need not load ten others.
    """
    import parity.verbs  # noqa: PLC0415

    names = {
        info.name.replace("_", "-"): info.name
        for info in sorted(pkgutil.iter_modules(parity.verbs.__path__), key=lambda i: i.name)
        if info.name not in _NOT_VERBS
    }
    if only in names:
        names = {only: names[only]}
    return {verb: importlib.import_module(f"parity.verbs.{module}") for verb, module in names.items()}


def _parser(verbs: dict[str, ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parity", description="Prove a Rust + Python monorepo's parity matrix instead of trusting it."
    )
    parser.add_argument("--version", action="version", version=f"parity {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, module in verbs.items():
        module.configure(sub.add_parser(name, help=module.HELP, description=module.__doc__))
    return parser


@contextlib.contextmanager
def _batch_gc() -> Iterator[None]:
    """Collect cycles rarely while a verb runs, then restore the interpreter's thresholds.

    A check builds millions of long-lived, acyclic objects (scans, ASTs, rows). With CPython's
    default thresholds the collector re-traverses that growing heap again and again: a quarter of
    a 5,000-row check's time, for next to no garbage. Cycles are still collected, just in bigger
    batches.
    """
    saved = gc.get_threshold()
    gc.set_threshold(50_000, 50, 50)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


class _DeferredConsole:
    """rich's Console for stdout, made on first use.

    Importing rich takes tens of milliseconds; `prove` would spend them before its first command
    starts, and `prove --format json` never prints through this console at all.
    """

    def __init__(self) -> None:
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console  # noqa: PLC0415

            self._console = Console(highlight=False)
        return getattr(self._console, name)


def _say(message: str) -> None:
    """An error line on stderr (rich, as every other message, but never with markup)."""
    from rich.console import Console  # noqa: PLC0415

    Console(stderr=True, highlight=False).print(message, markup=False, soft_wrap=True)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        verbs = _verbs(arguments[0] if arguments else None)
        args = _parser(verbs).parse_args(arguments)
    except KeyboardInterrupt:  # Ctrl-C while still starting up: no traceback either
        sys.stderr.write("parity: interrupted\n")
        return EXIT_INTERRUPTED
    console = cast("Console", _DeferredConsole())
    try:
        with _batch_gc():
            return int(verbs[args.verb].run(args, console))
    except InputError as exc:
        _say(f"parity: error: {exc.render()}")
        return EXIT_INPUT
    except ParityError as exc:
        _say(f"parity: error: {exc}")
        return EXIT_INPUT
    except KeyboardInterrupt:
        _say("parity: interrupted")
        return EXIT_INTERRUPTED
    except Exception:  # noqa: BLE001 - the one place that turns a bug into a report
        import tempfile  # noqa: PLC0415
        import traceback  # noqa: PLC0415

        with tempfile.NamedTemporaryFile("w", prefix="parity-crash-", suffix=".log", delete=False) as log:
            traceback.print_exc(file=log)
        _say(f"parity: internal error (a bug in parity); details in {log.name}")
        return EXIT_INTERNAL


def run() -> int:
    """The process entry point (the `parity` script, `python -m parity`): `main`, then exit promptly.

    What a run cached (every file's scan) stays reachable until the process ends, and the
    interpreter's last full collection would walk all of it, a quarter of a second after a
    5,000-row check, to free nothing the exit does not free anyway. Freezing it skips that walk;
    `atexit` handlers still run. In-process callers use `main`, which leaves the collector alone.
    """
    code = main()
    gc.freeze()
    return code
