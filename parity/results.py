"""What running one planned command produced, in a form that survives the cache and shard merges."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parity.junit import JunitRun
    from parity.libtest import LibtestRun

__all__ = ["CommandResult", "CommandStatus"]


class CommandStatus(enum.Enum):
    RAN = "ran"
    CACHED = "cached"
    ERROR = "error"  # could not produce results: start failure, timeout, toolchain, setup
    REFUSED = "refused"  # the command policy would not run it
    INTERRUPTED = "interrupted"
    NOT_RUN = "not run"  # skipped (e.g. another shard's, or Ctrl-C came first)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandResult:
    key: str  # Invocation.key
    display: str
    status: CommandStatus
    exit_code: int | None = None
    duration: float = 0.0
    log_path: str = ""
    log_sha256: str = ""
    error: str = ""  # plain sentence, with the fix where we know it
    libtest: LibtestRun | None = None
    junit: JunitRun | None = None
    retried: tuple[str, ...] = ()  # failing tests re-run by exact name
    flaky: tuple[str, ...] = ()  # ...of which these passed on a retry

    @property
    def executed(self) -> int:
        """Tests that actually ran (passed or failed); a run with zero proves nothing."""
        from parity.model import Outcome  # noqa: PLC0415

        ran = (Outcome.PASSED, Outcome.FAILED)
        if self.libtest is not None:
            return sum(1 for r in self.libtest.results if r.outcome in ran)
        if self.junit is not None:
            return sum(1 for r in self.junit.results if r.outcome in ran)
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "display": self.display,
            "status": self.status.value,
            "exit_code": self.exit_code,
            "duration_seconds": round(self.duration, 3),
            "log_path": self.log_path,
            "log_sha256": self.log_sha256,
            "error": self.error,
            "tests_executed": self.executed,
            "retried": list(self.retried),
            "flaky": list(self.flaky),
            "libtest": self.libtest.to_dict() if self.libtest else None,
            "junit": self.junit.to_dict() if self.junit else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CommandResult:
        return cls(
            key=data["key"],
            display=data["display"],
            status=CommandStatus(data["status"]),
            exit_code=data["exit_code"],
            duration=float(data["duration_seconds"]),
            log_path=data["log_path"],
            log_sha256=data["log_sha256"],
            error=data["error"],
            retried=tuple(data["retried"]),
            flaky=tuple(data["flaky"]),
            libtest=_libtest_run().from_dict(data["libtest"]) if data.get("libtest") else None,
            junit=_junit_run().from_dict(data["junit"]) if data.get("junit") else None,
        )


def _libtest_run() -> type[LibtestRun]:
    from parity.libtest import LibtestRun  # noqa: PLC0415 - only results read back from a cache need it

    return LibtestRun


def _junit_run() -> type[JunitRun]:
    from parity.junit import JunitRun  # noqa: PLC0415 - only results read back from a cache need it

    return JunitRun
