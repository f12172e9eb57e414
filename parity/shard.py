"""Split a plan over N CI runners (balanced by known durations) and check that shard results fit together."""

from __future__ import annotations

import hashlib
import heapq
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parity.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from parity.plan import Invocation

__all__ = ["ShardSpec", "assign_shards", "check_shard_set", "parse_shard"]

DEFAULT_DURATION = 60.0  # seconds assumed for a command never timed before


@dataclass(frozen=True, slots=True, kw_only=True)
class ShardSpec:
    index: int  # 1-based, as people write it: 2/4
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> ShardSpec:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise InputError("--shard", f"expected K/N with 1 <= K <= N, got {text!r}", hint="e.g. --shard 2/4")
    return ShardSpec(index=int(match[1]), count=int(match[2]))


def _stable_rank(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def assign_shards(
    invocations: Sequence[Invocation], count: int, durations: Mapping[str, float]
) -> dict[str, int]:
    """Longest-processing-time first onto the least-loaded shard: deterministic for the same inputs.

    Setup commands of a job run on every shard that runs a command of that job, so only test
    commands are assigned. Without known durations every command weighs the same and the order
    comes from a stable hash of its key, which spreads jobs evenly.
    """
    weighted = sorted(
        ((durations.get(i.key, DEFAULT_DURATION), _stable_rank(i.key), i.key) for i in invocations),
        key=lambda item: (-item[0], item[1]),
    )
    loads = [(0.0, shard) for shard in range(1, count + 1)]
    heapq.heapify(loads)
    assignment: dict[str, int] = {}
    for duration, _, key in weighted:
        load, shard = heapq.heappop(loads)
        assignment[key] = shard
        heapq.heappush(loads, (load + duration, shard))
    return assignment


def check_shard_set(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Refuse a set of shard results that is incomplete, duplicated, or from different inputs."""
    if not documents:
        raise InputError("merge", "no shard results given", hint="pass every shard's JSON file")
    infos = []
    for path, document in documents:
        shard = document.get("shard")
        if not isinstance(shard, dict) or document.get("command") != "prove":
            raise InputError(
                path,
                "not a shard result of `parity prove --shard K/N --json FILE`",
                hint="pass the JSON files the shard jobs wrote",
            )
        infos.append((path, shard))
    first_path, first = infos[0]
    for path, shard in infos[1:]:
        for field, what in (
            ("revision", "commit"),
            ("matrix_sha256", "matrix"),
            ("plan", "plan"),
            ("count", "shard count"),
        ):
            if shard.get(field) != first.get(field):
                raise InputError(
                    path,
                    f"comes from a different {what} than {first_path} "
                    f"({shard.get(field)!r} != {first.get(field)!r})",
                    hint="merge only the shards of one run of one commit",
                )
    count = int(first["count"])
    seen: dict[int, str] = {}
    for path, shard in infos:
        index = int(shard["index"])
        if index in seen:
            raise InputError(
                path,
                f"shard {index}/{count} is given twice (also {seen[index]})",
                hint="pass each shard's result once",
            )
        seen[index] = path
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        raise InputError(
            first_path,
            f"shard(s) {', '.join(f'{m}/{count}' for m in missing)} missing",
            hint="wait for every shard job, and pass all of their results",
        )
