"""Command line: parse arguments, dispatch to a verb, map outcomes to exit codes (the only exiting module)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from parity import __version__
from parity.errors import InputError, ParityError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from rich.console import Console

    from parity.repository import Repository

__all__ = ["main"]

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parity", description=__doc__)
    parser.add_argument("--version", action="version", version=f"parity {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    check = verbs.add_parser("check", help="statically validate every evidence link of the matrix")
    _common(check)
    check.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path(), help="target repository root (default: .)")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rich.console import Console  # noqa: PLC0415 - keep --help and --version fast

    console = Console(stderr=False, highlight=False)
    errors = Console(stderr=True, highlight=False)
    verbs: dict[str, Callable[[argparse.Namespace, Console], int]] = {"check": _check}
    try:
        return verbs[args.verb](args, console)
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


def _repository(args: argparse.Namespace) -> tuple[Repository, str]:
    from parity.config import load_config  # noqa: PLC0415
    from parity.repository import Repository  # noqa: PLC0415

    root: Path = args.repo
    if not root.is_dir():
        raise InputError(str(root), "repository directory not found", hint="pass --repo PATH")
    return Repository(load_config(root)), str(root)


def _check(args: argparse.Namespace, console: Console) -> int:
    from parity.check import run_check  # noqa: PLC0415
    from parity.reporters.console import print_check  # noqa: PLC0415
    from parity.reporters.json_report import check_document, dumps  # noqa: PLC0415

    repo, label = _repository(args)
    report = run_check(repo)
    if args.format == "json":
        sys.stdout.write(dumps(check_document(report)))
    else:
        print_check(console, report, label)
    return EXIT_FINDINGS if report.errors else EXIT_OK
