"""Shared vocabulary: where something is, how bad a finding is, and what a run observed."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Finding", "Location", "Outcome", "Severity", "Verdict"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A repo-relative POSIX path and an optional 1-based line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem with one matrix row (or the matrix as a whole)."""

    severity: Severity
    code: str  # stable machine id, e.g. "line-drift", "test-ignored"
    location: Location  # the matrix cell (or file) the user should edit
    section: str
    capability: str
    message: str
    hint: str = ""
    ref: str = ""  # the evidence ref text the finding is about, if any


class Outcome(enum.Enum):
    """What one test did in one run, as the test harness reported it."""

    PASSED = "passed"
    FAILED = "failed"
    IGNORED = "ignored"
    SKIPPED = "skipped"  # pytest skip / xfail
    BENCH = "bench"


class Verdict(enum.Enum):
    """What parity concludes about one evidence ref or one row."""

    PROVEN = "proven"
    FLAKY = "flaky"  # passed only on a retry: proof locally, not for sign-off
    FAILED = "failed"
    NOT_RUN = "not run"
    MISSING = "missing"
    AMBIGUOUS = "ambiguous"
    UNGATED = "ungated"
    ERROR = "error"
    SKIPPED = "skipped"  # row not proven because its status needs no proof
