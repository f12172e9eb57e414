"""The matrix's status counts at every commit that changed it, oldest first (renames followed)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parity import gitutil
from parity.errors import InputError
from parity.matrix import parse_matrix

if TYPE_CHECKING:
    from pathlib import Path

    from parity.config import Config

__all__ = ["History", "Point", "matrix_history"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    sha: str
    date: str
    subject: str
    path: str  # the matrix's name in that commit
    counts: dict[str, int]
    error: str = ""  # the matrix did not parse at this commit (no counts then)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "date": self.date,
            "subject": self.subject,
            "path": self.path,
            "counts": self.counts,
            "total": self.total,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    matrix: str
    statuses: tuple[str, ...]  # the taxonomy's order, then any other status seen
    points: tuple[Point, ...]

    def series(self) -> dict[str, list[int | None]]:
        """Per status, its count at each commit (None where the matrix did not parse)."""
        return {
            status: [None if p.error else p.counts.get(status, 0) for p in self.points]
            for status in self.statuses
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "command": "history",
            "matrix": self.matrix,
            "statuses": list(self.statuses),
            "commits": [p.to_dict() for p in self.points],
        }


def matrix_history(root: Path, config: Config, matrix: str | None = None) -> History:
    """`git log --follow` on the matrix, then parse the matrix as it was at each of those commits."""
    wanted = matrix or config.matrices[0]
    commits = gitutil.log_following(root, wanted)
    if isinstance(commits, gitutil.GitResult):
        raise InputError(
            str(root), f"cannot read the git history: {commits.problem}", hint="pass --repo PATH"
        )
    if not commits:
        raise InputError(
            wanted, "no commit changed this file", hint="commit the matrix, or pass --matrix PATH"
        )
    points = []
    seen: Counter[str] = Counter()
    for commit in commits:
        data = gitutil.file_at(root, commit.sha, commit.path)
        counts: dict[str, int] = {}
        error = ""
        if data is None:
            error = "the matrix was deleted in this commit"
        else:
            try:
                parsed = parse_matrix(data.decode("utf-8"), commit.path, config.columns)
                counts = dict(Counter(row.get(config.columns.status) for row in parsed.rows))
            except UnicodeDecodeError as exc:
                error = f"not UTF-8 (byte 0x{data[exc.start]:02x})"
            except InputError as exc:
                error = exc.render()
        seen.update(counts)
        points.append(
            Point(
                sha=commit.sha,
                date=commit.date,
                subject=commit.subject,
                path=commit.path,
                counts={s: counts[s] for s in (*config.statuses, *sorted(counts)) if s in counts},
                error=error,
            )
        )
    statuses = (*config.statuses, *sorted(s for s in seen if s not in config.statuses))
    return History(matrix=wanted, statuses=statuses, points=tuple(points))
