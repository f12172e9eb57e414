"""Shards: run one share of the plan and record it; merge every share back into one full report."""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

from parity import gitutil
from parity.atomicfile import write_atomic
from parity.errors import InputError
from parity.prove import ProveOptions, judge, prepare
from parity.results import CommandResult
from parity.shard import assign_shards, check_shard_set

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from parity.plan import Plan
    from parity.prove import ProveReport
    from parity.repository import Repository
    from parity.shard import ShardSpec

__all__ = [
    "load_durations",
    "merge_shards",
    "remember_durations",
    "shard_fields",
    "shard_keys",
]

DURATIONS = "durations.json"


def matrix_digest(repo: Repository) -> str:
    digest = hashlib.sha256()
    for name in repo.config.matrices:
        digest.update(name.encode() + b"\0" + (repo.root / name).read_bytes())
    return digest.hexdigest()


def revision(repo: Repository) -> str:
    return gitutil.commit_of(repo.root, "HEAD") or ""


def load_durations(repo: Repository, path: Path | None) -> dict[str, float]:
    """Seconds per invocation key: from a previous `prove --json` report, else the last local run."""
    source = path or repo.root / ".parity-cache" / DURATIONS
    if not source.is_file():
        if path is not None:
            raise InputError(
                str(path), "durations file not found", hint="pass a `parity prove --json` report"
            )
        return {}
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            str(source), f"cannot read durations: {exc}", hint="pass a prove JSON report"
        ) from None
    if isinstance(document, dict) and isinstance(document.get("commands"), list):
        return {c["key"]: float(c["duration_seconds"]) for c in document["commands"] if c.get("key")}
    if isinstance(document, dict):
        return {str(k): float(v) for k, v in document.items() if isinstance(v, int | float)}
    raise InputError(str(source), "not a durations map or prove report", hint="pass a prove JSON report")


def remember_durations(repo: Repository, report: ProveReport) -> None:
    """Keep each command's last real duration, so the next `--shard` split is balanced."""
    ran = {k: r.duration for k, r in report.results.items() if r.status.value == "ran"}
    if not ran:
        return
    known = load_durations(repo, None)
    known.update(ran)
    write_atomic(repo.root / ".parity-cache" / DURATIONS, json.dumps(dict(sorted(known.items())), indent=1))


def shard_keys(plan: Plan, shard: ShardSpec, durations: dict[str, float]) -> set[str]:
    assignment = assign_shards(plan.invocations, shard.count, durations)
    return {key for key, index in assignment.items() if index == shard.index}


def shard_fields(
    repo: Repository, report: ProveReport, shard: ShardSpec, assigned: set[str]
) -> dict[str, Any]:
    """What a shard adds to its JSON document so `merge` can check and combine it."""
    return {
        "shard": {
            "index": shard.index,
            "count": shard.count,
            "revision": revision(repo),
            "matrix_sha256": matrix_digest(repo),
            "plan": sorted(i.key for i in report.plan.invocations),
            "assigned": sorted(assigned),
        },
        "command_results": {k: r.to_dict() for k, r in sorted(report.results.items()) if k in assigned},
    }


def merge_shards(repo: Repository, paths: Sequence[Path]) -> ProveReport:
    """Check the shard set, then judge every row on the union of the shards' command results."""
    started = time.monotonic()
    documents: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(
                str(path), f"cannot read shard result: {exc}", hint="pass the shard JSON files"
            ) from None
        documents.append((str(path), document))
    check_shard_set(documents)
    first_path, first = documents[0]
    options = ProveOptions()
    check, rows, plan = prepare(repo, options)
    here = {
        "revision": revision(repo),
        "matrix_sha256": matrix_digest(repo),
        "plan": sorted(i.key for i in plan.invocations),
    }
    for field, what in (("revision", "commit"), ("matrix_sha256", "matrix"), ("plan", "plan")):
        if first["shard"][field] != here[field]:
            raise InputError(
                first_path,
                f"comes from a different {what} than this checkout",
                hint="run merge on the commit the shards ran",
            )
    results: dict[str, CommandResult] = {}
    for _, document in documents:
        for key, data in document["command_results"].items():
            results[key] = CommandResult.from_dict(data)
    missing = sorted(set(here["plan"]) - set(results))
    interrupted = any(d.get("interrupted") for _, d in documents)
    if missing and not interrupted:
        raise InputError(
            first_path,
            f"no shard ran {len(missing)} planned command(s)",
            hint="were the shards run with the same --shard count and durations?",
        )
    return judge(repo, options, check, rows, plan, results, {}, interrupted=interrupted, started=started)
