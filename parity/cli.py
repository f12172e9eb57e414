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

    prove = verbs.add_parser("prove", help="run every cited CI command and prove each cited test passed")
    _common(prove)
    prove.add_argument(
        "--row",
        action="append",
        default=[],
        metavar="TEXT",
        help="only rows whose capability contains TEXT, or at matrix line TEXT (repeatable)",
    )
    prove.add_argument(
        "--section", action="append", default=[], metavar="NAME", help="only this `## ` section"
    )
    prove.add_argument("--dry-run", action="store_true", help="print the plan; run nothing")
    prove.add_argument("--no-setup", action="store_true", help="skip the jobs' configured setup commands")
    prove.add_argument(
        "--retries",
        type=_non_negative,
        default=None,
        metavar="N",
        help="re-run failing tests up to N times; passing on a retry is reported flaky",
    )
    prove.add_argument(
        "--timeout",
        type=_positive,
        default=None,
        metavar="SECONDS",
        help="per-command timeout (default: prove.timeout, 1800)",
    )
    prove.add_argument(
        "--log-dir", type=Path, default=None, help="where command logs go (default .parity-cache/logs)"
    )
    prove.add_argument("--verbose", action="store_true", help="stream every command's output")
    prove.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")
    return parser


def _non_negative(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path(), help="target repository root (default: .)")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rich.console import Console  # noqa: PLC0415 - keep --help and --version fast

    console = Console(stderr=False, highlight=False)
    errors = Console(stderr=True, highlight=False)
    verbs: dict[str, Callable[[argparse.Namespace, Console], int]] = {"check": _check, "prove": _prove}
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


def _prove(args: argparse.Namespace, console: Console) -> int:
    from parity.prove import ProveOptions, prepare, prove  # noqa: PLC0415
    from parity.reporters.json_report import dumps, prove_document  # noqa: PLC0415
    from parity.reporters.prove_console import LiveView, print_plan, print_prove  # noqa: PLC0415

    repo, label = _repository(args)
    options = ProveOptions(
        rows=tuple(args.row),
        sections=tuple(args.section),
        setup=not args.no_setup,
        retries=args.retries,
        timeout=args.timeout,
        log_dir=args.log_dir,
        verbose=args.verbose,
    )
    if args.dry_run:
        _, _, plan = prepare(repo, options)
        print_plan(console, plan)
        return EXIT_OK
    from rich.console import Console  # noqa: PLC0415

    view = LiveView(Console(stderr=True, highlight=False), verbose=args.verbose)
    with view.session():
        report = prove(repo, options, on_event=view.event, on_line=view.line)
    if args.format == "json":
        sys.stdout.write(dumps(prove_document(report)))
    else:
        print_prove(console, report, label)
    return report.exit_code
