"""The vocabulary of test selection: a test as the source index found it, and the verdict on it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["NotRunReason", "PythonTest", "RustTest", "Selection"]


class NotRunReason(enum.Enum):
    """Why a cited command would not run a cited test."""

    FILTERED = "filtered"  # a name filter, `--skip`, `--exact`, `--ignored`, or paths/node ids
    IGNORED = "ignored"  # `#[ignore]` without `--ignored`/`--include-ignored`
    FEATURE_GATED = "feature-gated"  # `#[cfg(...)]` false or `required-features` missing
    TARGET_NOT_SELECTED = "target-not-selected"
    PACKAGE_NOT_SELECTED = "package-not-selected"
    DOCTESTS_NOT_SELECTED = "doctests-not-selected"
    DESELECTED = "deselected"  # pytest `-k`, `-m`, `--deselect`
    NOT_COLLECTED = "not-collected"  # never compiled / collected: naming rules, `--ignore`, no target
    NOT_A_TEST_COMMAND = "not-a-test-command"  # not a test runner, runs nothing, or refused by it


class Selection(NamedTuple):
    """Whether the command runs the test; `detail` is a plain sentence naming the flag responsible.

    `certain` is False when the answer rests on something parity cannot see statically
    (a cfg it cannot evaluate, a `harness = false` target, a plugin option, ...).
    """

    selected: bool
    reason: NotRunReason | None
    detail: str
    certain: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RustTest:
    """One Rust test as the source index found it."""

    package: str
    target_kind: str  # "lib" | "test" | "bin" | "bench" | "example" | "doc"
    target_name: str
    # libtest name, e.g. "orchestration::run_key::tests::test_x"; for doc-tests
    # "src/lib.rs - orchestration::run_key::reserve_run_key (line 12)" (package-relative path is
    # accepted; cargo prints it relative to the workspace root, which selection restores)
    full_name: str
    cfg: tuple[str, ...] = ()  # raw cfg predicates that must all hold
    ignored: bool = False
    should_panic: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonTest:
    """One pytest test function (all of its parametrized cases) as the source index found it."""

    file: str  # repo-relative POSIX path
    nodeid_in_file: str  # "TestX::test_y" or "test_z"
    name: str  # the function name
    markers: tuple[str, ...] = ()  # every marker in scope: function, class and module `pytestmark`
    param_ids: tuple[str, ...] | None = None  # ids of the parametrized cases, None if not parametrized
