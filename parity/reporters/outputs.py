"""Write every report a `check` or `prove` run asked for: files, the GitHub job summary, annotations.

Report files are written atomically with their directories created. A report file from an earlier run
is replaced; any other existing file (the matrix, say, after a typo in `--markdown`) needs `--force`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from parity.atomicfile import write_atomic
from parity.errors import InputError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Mapping
    from typing import TextIO

__all__ = ["ReportPaths", "add_output_arguments", "report_paths", "write_outputs"]

_SNIFF_BYTES = 4096
_MIN_SUMMARY_BYTES = 1024  # less room than this in the step summary: not even the headline fits


class ReportPaths(NamedTuple):
    junit: Path | None = None
    json: Path | None = None
    markdown: Path | None = None


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reports (any combination; written atomically, directories created)")
    group.add_argument(
        "--junit", type=Path, metavar="PATH", help="JUnit XML: a testsuite per section, a testcase per row"
    )
    group.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="the versioned JSON document (parity/schemas/report.schema.json)",
    )
    group.add_argument(
        "--markdown", type=Path, metavar="PATH", help="a Markdown summary of the rows that need attention"
    )
    group.add_argument(
        "--force", action="store_true", help="replace a report path that holds a file parity did not write"
    )


def report_paths(args: argparse.Namespace) -> ReportPaths:
    """The requested report paths, refused up front (before a long prove) when they cannot be written."""
    paths = ReportPaths(junit=args.junit, json=args.json, markdown=args.markdown)
    chosen = {kind: path for kind, path in paths._asdict().items() if path is not None}
    resolved = [path.resolve() for path in chosen.values()]
    for index, path in enumerate(chosen.values()):
        if resolved[index] in resolved[:index]:
            raise InputError(
                _display(path), "two reports would be written to this path", hint="give each its own path"
            )
    for kind, path in chosen.items():
        if path.is_dir():
            raise InputError(_display(path), "is a directory", hint="give a file path for the report")
        if path.exists() and not args.force and not _written_by_parity(path, kind):
            raise InputError(
                _display(path),
                f"already exists and is not a parity {kind} report; refusing to overwrite it",
                hint="pass --force to replace it, or choose another path",
            )
    return paths


def _written_by_parity(path: Path, kind: str) -> bool:
    """Whether an existing file is an earlier parity report of this kind (safe to replace)."""
    from parity.reporters.markdown import MARKER  # noqa: PLC0415

    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    if kind == "json":
        return head.lstrip().startswith("{") and '"schema_version"' in head and '"command"' in head
    if kind == "junit":
        return '<testsuites name="parity ' in head
    return head.startswith(MARKER)


def _display(path: Path) -> str:
    return path.as_posix()


def _full_report(paths: ReportPaths) -> str:
    for path in (paths.markdown, paths.json, paths.junit):
        if path is not None:
            return _display(path)
    return ""


def write_outputs(
    document: dict[str, Any],
    paths: ReportPaths,
    *,
    root: Path,
    force: bool = False,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """Write the requested files, append the GitHub step summary, print annotations under Actions."""
    from parity.reporters.json_report import dumps  # noqa: PLC0415
    from parity.reporters.junit_report import render_junit  # noqa: PLC0415
    from parity.reporters.markdown import STEP_SUMMARY_LIMIT, render_markdown  # noqa: PLC0415

    environ = os.environ if environ is None else environ
    renderers: dict[str, Callable[[], str | bytes]] = {
        "junit": lambda: render_junit(document),
        "json": lambda: dumps(document),
        "markdown": lambda: render_markdown(document),
    }
    for kind, path in paths._asdict().items():
        if path is None:
            continue
        replace = force or not path.exists() or _written_by_parity(path, kind)
        try:
            write_atomic(path, renderers[kind](), overwrite=replace, label=_display(path))
        except OSError as exc:
            raise InputError(_display(path), f"cannot write the report: {exc.strerror or exc}") from exc
    full_report = _full_report(paths)
    summary = environ.get("GITHUB_STEP_SUMMARY", "")
    if summary:
        _append_step_summary(Path(summary), document, full_report, STEP_SUMMARY_LIMIT, render_markdown)
    if environ.get("GITHUB_ACTIONS") == "true":
        from parity.reporters.annotations import render_annotations  # noqa: PLC0415

        out = stream or sys.stdout
        for line in render_annotations(
            document, full_report=full_report, prefix=_workspace_prefix(root, environ)
        ):
            out.write(line + "\n")
        out.flush()


def _append_step_summary(
    path: Path, document: dict[str, Any], full_report: str, limit: int, render: Any
) -> None:
    """Append (never truncate: earlier commands of the step wrote there too), within GitHub's 1 MiB cap."""
    try:
        used = path.stat().st_size
    except OSError:
        used = 0
    budget = limit - used - 1
    if budget < _MIN_SUMMARY_BYTES:
        return  # the step's summary is full already: a headline alone would push it over the cap
    text = render(document, budget=budget, full_report=full_report)
    # Not write_atomic: the runner owns this file and reads it after the step; appending is its protocol.
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(("\n" if used else "") + text)
    except OSError as exc:  # a summary nobody asked for must not turn a verdict into exit 2
        sys.stderr.write(f"parity: warning: cannot append the job summary to {path}: {exc.strerror or exc}\n")


def _workspace_prefix(root: Path, environ: Mapping[str, str]) -> str:
    """Annotation paths are relative to the workspace; ours to the repository, which may sit below it."""
    workspace = environ.get("GITHUB_WORKSPACE", "")
    if not workspace:
        return ""
    try:
        inner = root.resolve().relative_to(Path(workspace).resolve()).as_posix()
    except ValueError:
        return ""
    return "" if inner == "." else f"{inner}/"
