"""Source files for the benchmark's generated repository, with the line of every definition and test.

A template line `@@name` (or `@@T:name` for a test) marks the line after it as the one that defines
`name`, so matrix rows can cite `path:line` (`name`) exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["NOUNS", "Site", "Sites", "SourceFile", "Writer", "camel"]

NOUNS = (
    "asset", "backfill", "cursor", "lease", "ledger", "manifest", "partition", "queue", "run_key",
    "schedule", "sensor", "shard", "snapshot", "tick", "token", "watermark", "checkpoint", "batch",
    "trigger", "window", "tenant", "quota", "artifact", "lineage", "catalog", "segment", "epoch",
    "heartbeat", "worker", "slot", "budget", "digest", "channel", "journal", "cohort", "policy",
    "retry", "deadline", "bucket", "span", "frame", "grant",
)  # fmt: skip
_MARK = re.compile(r"^\s*@@(?P<test>T:)?(?P<name>\S+)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """A definition or a test that a row can cite: `path:line` (`name`)."""

    path: str
    line: int
    name: str

    def cite(self) -> str:
        return f"`{self.path}:{self.line}` (`{self.name}`)"


@dataclass(slots=True, kw_only=True)
class SourceFile:
    path: str
    code: list[Site] = field(default_factory=list)
    tests: list[Site] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Sites:
    """What the generated repository defines, grouped the way rows cite it."""

    crates: list[str] = field(default_factory=list)
    rust_unit: list[SourceFile] = field(default_factory=list)  # src files with their unit tests
    rust_it: list[tuple[SourceFile, list[SourceFile]]] = field(default_factory=list)  # tests/x.rs, code
    py_unit: list[tuple[SourceFile, SourceFile]] = field(default_factory=list)  # test file, module
    py_it: list[tuple[SourceFile, list[SourceFile]]] = field(default_factory=list)  # test file, code
    files: int = 0


class Writer:
    """Collects a file's lines; a `@@name` / `@@T:name` line marks the next line as defining `name`."""

    def __init__(self, path: str) -> None:
        self.source = SourceFile(path=path)
        self.lines: list[str] = []

    def add(self, block: str) -> None:
        mark: re.Match[str] | None = None
        for raw in block.strip("\n").split("\n"):
            found = _MARK.match(raw)
            if found is not None:
                mark = found
                continue
            if mark is not None:
                site = Site(path=self.source.path, line=len(self.lines) + 1, name=mark["name"])
                (self.source.tests if mark["test"] else self.source.code).append(site)
                mark = None
            self.lines.append(raw.rstrip())

    def blank(self) -> None:
        self.lines.append("")

    def write(self, root: Path, sites: Sites) -> SourceFile:
        target = root / self.source.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        sites.files += 1
        return self.source


def camel(noun: str) -> str:
    return "".join(part.capitalize() for part in noun.split("_"))
