"""What a matrix row cites, once looked up: the records that `check`, `plan` and `verdicts` share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parity.evidence import CiRef, EvidenceCell, EvidenceRef
    from parity.matrix import Row
    from parity.selection import Selection
    from parity.sourceindex import CrateTarget, TestItem
    from parity.workflow import Command, Step

__all__ = ["CitedCommand", "CitedTest", "Problem", "ResolvedRow", "RowCommands"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """A broken or weak link; `proof_only` problems are errors only for rows that claim proof."""

    code: str
    column: str
    message: str
    hint: str = ""
    ref: str = ""
    warning: bool = False
    proof_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CitedCommand:
    """A cited CI command, resolved to the workflow command that CI really runs."""

    workflow: str
    job: str
    cited: str
    command: Command | None = None
    step: Step | None = None
    match_kind: str = ""
    added_args: tuple[str, ...] = ()
    gates: bool = False
    gating_reason: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        return self.command is not None and self.command.argv is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class CitedTest:
    """One test named as evidence (or a whole file, when no name is given)."""

    ref: EvidenceRef
    name: str | None  # None: "every test in this file"
    items: tuple[TestItem, ...] = ()  # the definitions found (one, unless a whole file is cited)
    crate: CrateTarget | None = None
    selections: tuple[tuple[CitedCommand, Selection], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.ref.path}::{self.name}" if self.name else self.ref.path


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedRow:
    row: Row
    code: EvidenceCell
    tests: EvidenceCell
    ci_refs: tuple[CiRef, ...]
    commands: tuple[CitedCommand, ...]
    cited_tests: tuple[CitedTest, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RowCommands:
    """A row with only its CI cell resolved: all `prove` needs to plan before the full check is done."""

    row: Row
    ci_refs: tuple[CiRef, ...]
    commands: tuple[CitedCommand, ...]
    problems: tuple[Problem, ...]  # the CI cell's own problems
