"""Command line: parse arguments, dispatch to a verb, map outcomes to exit codes (the only exiting module)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import pkgutil
import sys
import tempfile
import traceback
from typing import TYPE_CHECKING

from parity import __version__
from parity.errors import InputError, ParityError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import ModuleType

__all__ = ["EXIT_FINDINGS", "EXIT_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "main", "run"]

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
_NOT_VERBS = {"common"}


def _verbs() -> dict[str, ModuleType]:
    """Every module of parity.verbs is a verb; `verify_signoff` is spelled `verify-signoff`."""
    import parity.verbs  # noqa: PLC0415

    found = {}
    for info in sorted(pkgutil.iter_modules(parity.verbs.__path__), key=lambda i: i.name):
        if info.name not in _NOT_VERBS:
            found[info.name.replace("_", "-")] = importlib.import_module(f"parity.verbs.{info.name}")
    return found


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


def main(argv: Sequence[str] | None = None) -> int:
    try:
        verbs = _verbs()
        args = _parser(verbs).parse_args(argv)
        from rich.console import Console  # noqa: PLC0415 - keep --help and --version fast
    except KeyboardInterrupt:  # Ctrl-C while still starting up: no traceback either
        sys.stderr.write("parity: interrupted\n")
        return EXIT_INTERRUPTED
    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    try:
        with _batch_gc():
            return int(verbs[args.verb].run(args, console))
    except InputError as exc:
        errors.print(f"parity: error: {exc.render()}", markup=False, soft_wrap=True)
        return EXIT_INPUT
    except ParityError as exc:
        errors.print(f"parity: error: {exc}", markup=False, soft_wrap=True)
        return EXIT_INPUT
    except KeyboardInterrupt:
        errors.print("parity: interrupted", markup=False)
        return EXIT_INTERRUPTED
    except Exception:  # noqa: BLE001 - the one place that turns a bug into a report
        with tempfile.NamedTemporaryFile("w", prefix="parity-crash-", suffix=".log", delete=False) as log:
            traceback.print_exc(file=log)
        errors.print(f"parity: internal error (a bug in parity); details in {log.name}", markup=False)
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
