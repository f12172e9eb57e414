"""`parity prove`: run every cited CI command and prove each cited test ran and passed under it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.errors import InputError
from parity.reporters.outputs import add_output_arguments, report_paths
from parity.verbs.common import add_repo_argument, non_negative_int, open_repository, positive_float

if TYPE_CHECKING:
    from rich.console import Console

    from parity.prove import ProveOptions
    from parity.reporters.outputs import ReportPaths
    from parity.repository import Repository
    from parity.shard import ShardSpec

__all__ = ["HELP", "configure", "run"]

HELP = "run every cited CI command and prove each cited test ran and passed under it"

# What the report needs once the commands have run: loaded while they run (`prove(preload=...)`).
_AFTERWARDS = (
    "parity.merge",
    "parity.reporters.json_report",
    "parity.reporters.outputs",
    "parity.reporters.junit_report",
    "parity.reporters.markdown",
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument(
        "--row",
        action="append",
        default=[],
        metavar="TEXT",
        help="only rows whose capability contains TEXT, or at matrix line TEXT (repeatable)",
    )
    parser.add_argument(
        "--section",
        action="append",
        default=[],
        metavar="NAME",
        help="only rows of this `## ` section (repeatable)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan; run nothing")
    parser.add_argument("--no-setup", action="store_true", help="skip the jobs' configured setup commands")
    parser.add_argument(
        "--retries",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="re-run failing tests up to N times; passing on a retry is reported flaky",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="per-command timeout (default: prove.timeout, 1800)",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=None,
        help="where command logs go (default: .parity-cache/logs in the repository)",
    )
    parser.add_argument("--no-cache", action="store_true", help="re-run every command (ignore the cache)")
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="result cache (default: .parity-cache in the repository)"
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        default=None,
        metavar="K/N",
        help="run only shard K of N (balanced by known durations); combine results with `parity merge`",
    )
    parser.add_argument(
        "--durations-from",
        type=Path,
        default=None,
        metavar="REPORT",
        help="a previous `prove --json` report whose durations balance the shards",
    )
    parser.add_argument("--verbose", action="store_true", help="stream every command's output")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")
    add_output_arguments(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    from parity.prove import ProveOptions, prepare, prove  # noqa: PLC0415
    from parity.reporters.prove_console import LiveView, print_plan, stderr_console  # noqa: PLC0415

    paths = report_paths(args)  # refuse bad report paths before minutes of builds, not after
    repo = open_repository(args.repo)
    options = ProveOptions(
        rows=tuple(args.row),
        sections=tuple(args.section),
        setup=not args.no_setup,
        retries=args.retries,
        timeout=args.timeout,
        log_dir=args.log_dir,
        verbose=args.verbose,
        cache=not args.no_cache,
        cache_dir=args.cache_dir,
        shard=args.shard,
        durations=_durations(repo, args.durations_from) if args.shard else {},
    )
    if args.shard and not paths.json:
        message = "a shard must write its result with --json PATH"
        raise InputError("--shard", message, hint="add --json out/shard.json")
    if args.dry_run:
        _, _, plan = prepare(repo, options)
        print_plan(console, plan)
        return 0
    view = LiveView(stderr_console, verbose=args.verbose)
    started = time.monotonic()
    session = None
    if options.cache:  # (--no-cache, as CI gates run, loads none of the caching)
        from parity.cache import cache_session  # noqa: PLC0415

        session = cache_session(repo, options)
        session.prefetch()  # the last run's toolchain probes start now, alongside hashing the tree
    outcomes = None
    if session is not None and not args.shard:
        from parity.outcomecache import OutcomeCache, outcome_key  # noqa: PLC0415

        outcomes = OutcomeCache(directory=session.cache.directory, root=repo.root)
        outcome = outcome_key(session.tree(), _outcome_options(options))
        replayed = outcomes.replay(outcome, session)
        if replayed is not None:  # nothing changed since a complete run: its report, re-emitted
            view.console.print(_REPLAYED, markup=False, soft_wrap=True)
            view.replayed(replayed["commands"])
            replayed["summary"]["duration_seconds"] = round(time.monotonic() - started, 3)
            summary = replayed["summary"]
            _emit(replayed, args, console, repo.root, paths)
            session.remember_toolchains()
            return 0 if summary["claims_proven"] == summary["claims"] else 1
    with view.session():
        report = prove(
            repo, options, on_event=view.event, on_line=view.line, preload=_AFTERWARDS, cache=session
        )
    from parity.merge import remember_durations, shard_fields  # noqa: PLC0415
    from parity.reporters.json_report import prove_document  # noqa: PLC0415

    document = prove_document(report, root=repo.root)
    if args.shard:
        document.update(shard_fields(repo, report, args.shard, set(report.assigned or ())))
    elif not report.interrupted:
        remember_durations(repo, report)
        if outcomes is not None and session is not None:
            outcomes.store(outcome, document, session)
    if session is not None:
        session.remember_toolchains()
    _emit(document, args, console, repo.root, paths)
    return report.exit_code


_REPLAYED = (
    "parity: nothing changed since the last complete run (files, options, toolchains): "
    "its report, replayed; --no-cache runs everything"
)


def _emit(
    document: dict[str, Any], args: argparse.Namespace, console: Console, root: Path, paths: ReportPaths
) -> None:
    """stdout (text or JSON) and the report files, from the document: a replay and a run alike."""
    from parity.reporters.json_report import dumps  # noqa: PLC0415
    from parity.reporters.outputs import write_outputs  # noqa: PLC0415
    from parity.reporters.prove_console import print_prove  # noqa: PLC0415

    if args.format == "json":
        sys.stdout.write(dumps(document))
    else:
        print_prove(console, document, str(args.repo))
    stream = sys.stderr if args.format == "json" else sys.stdout  # keep stdout one JSON document
    # Written after an interrupted run too (the document says so); the exit code is then 130.
    write_outputs(document, paths, root=root, force=args.force, stream=stream)


def _outcome_options(options: ProveOptions) -> dict[str, Any]:
    """The options a report depends on (the tree covers the config, the matrix and the workflows)."""
    return {
        "rows": list(options.rows),
        "sections": list(options.sections),
        "setup": options.setup,
        "retries": options.retries,
        "timeout": options.timeout,
        "log_dir": str(options.log_dir) if options.log_dir else None,
    }


def _durations(repo: Repository, path: Path | None) -> dict[str, float]:
    from parity.merge import load_durations  # noqa: PLC0415

    return load_durations(repo, path)


def _shard(text: str) -> ShardSpec:
    from parity.shard import parse_shard  # noqa: PLC0415

    try:
        return parse_shard(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
