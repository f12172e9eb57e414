"""GitHub workflow-command annotations (`::error file=...,line=...::message`): findings inline on the PR diff.

Escaping follows the runner's spec as @actions/core implements it (packages/core/src/command.ts):
data escapes `%`, `\\r`, `\\n`; property values also escape `:` and `,`. GitHub shows only about ten
errors and ten warnings per step, so the most important come first (errors, then rows that claim proof,
then matrix order), at most `limit` of each, then one `::notice::` counting the rest and naming the full
report. Printing these needs no token. Rendered from the JSON document, like every other report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["LIMIT", "Annotation", "annotations_of", "escape_data", "escape_property", "render_annotations"]

LIMIT = 10  # per level and step, what GitHub displays


class Annotation(NamedTuple):
    level: str  # "error" | "warning"
    file: str
    line: int | None
    title: str
    message: str
    claims_proof: bool


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _finding(finding: dict[str, Any], claims_proof: bool) -> Annotation:
    message = finding["message"] + (f"\nfix: {finding['hint']}" if finding["hint"] else "")
    title = f"parity check: {finding['code']}"
    if finding["capability"]:
        title += f" ({finding['capability']})"
    return Annotation(finding["severity"], finding["file"], finding["line"], title, message, claims_proof)


def _check(document: dict[str, Any]) -> Iterator[Annotation]:
    for row in document["rows"]:
        for finding in row["findings"]:
            yield _finding(finding, row["claims_proof"])
    for finding in document["other_findings"]:
        yield _finding(finding, False)


def _prove(document: dict[str, Any]) -> Iterator[Annotation]:
    for row in document["rows"]:
        if row["outcome"] == "failed":
            level = "error"
        elif row["verdict"] == "flaky" or (row["outcome"] == "skipped" and row["verdict"] != "skipped"):
            level = "warning"
        else:
            continue
        lines = list(row["reasons"]) or (["passed only on a retry"] if row["verdict"] == "flaky" else [])
        if row["suggestion"]:
            lines.append(f"-> {row['suggestion']}")
        title = f"parity prove: {row['verdict']} ({row['capability']})"
        yield Annotation(level, row["file"], row["line"], title, "\n".join(lines), row["claims_proof"])


def annotations_of(document: dict[str, Any]) -> list[Annotation]:
    """Every annotation of the document, most important first."""
    found = list(_check(document) if document["command"] == "check" else _prove(document))
    return sorted(
        found, key=lambda a: (a.level != "error", not a.claims_proof, a.file, a.line or 0, a.title, a.message)
    )


def _command(annotation: Annotation, prefix: str) -> str:
    properties = [f"file={escape_property(prefix + annotation.file)}"]
    if annotation.line is not None:
        properties.append(f"line={annotation.line}")
    properties.append(f"title={escape_property(annotation.title)}")
    return f"::{annotation.level} {','.join(properties)}::{escape_data(annotation.message)}"


def render_annotations(
    document: dict[str, Any], *, full_report: str = "", limit: int = LIMIT, prefix: str = ""
) -> list[str]:
    """The workflow-command lines to print (each without its newline).

    `prefix` is the repository's directory inside the GitHub workspace (`examples/arco-mini/`), since
    annotation paths are workspace-relative and the document's are repository-relative.
    """
    found = annotations_of(document)
    lines: list[str] = []
    hidden: dict[str, int] = {"error": 0, "warning": 0}
    for level in ("error", "warning"):
        of_level = [a for a in found if a.level == level]
        lines.extend(_command(a, prefix) for a in of_level[:limit])
        hidden[level] = max(0, len(of_level) - limit)
    if hidden["error"] or hidden["warning"]:
        where = (
            f"the full report is {full_report}"
            if full_report
            else "pass --markdown or --json for the full report"
        )
        message = (
            f"{hidden['error']} more error(s) and {hidden['warning']} more warning(s) are not annotated "
            f"(GitHub shows {limit} of each per step); {where}"
        )
        lines.append(f"::notice title={escape_property('parity')}::{escape_data(message)}")
    return lines
