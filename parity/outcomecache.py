"""A whole `prove` run's outcome, served again while nothing it depends on has changed.

The result cache spares re-running a command; this spares the rest. With the same tree (every
visible file: matrix, workflows, config, sources), the same options and the same parity, the plan,
the static check and the verdicts come out the same; so when, in addition, every command's result
cache key still matches (same toolchains) and its entry and log are intact, the re-run only hashes
the tree, probes the toolchains and verifies the entries, and replays the stored report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parity import __version__
from parity.cache import CacheEntryError, read_entry, write_entry
from parity.plan import Invocation
from parity.reporters.json_report import relative_path

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from parity.cache import CacheSession

__all__ = ["OUTCOME_FORMAT", "OutcomeCache", "outcome_key"]

OUTCOME_FORMAT = 1
_REUSABLE = ("ran", "cached")  # statuses whose results the result cache holds


def outcome_key(tree: str, options: Mapping[str, Any]) -> str:
    """Everything the plan, the check and the verdicts are a function of, besides the command results."""
    blob = {"format": OUTCOME_FORMAT, "parity": __version__, "tree": tree, "options": dict(options)}
    return hashlib.sha256(json.dumps(blob, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeCache:
    """`<cache dir>/outcomes/<key>.json`: the prove document and each command's result cache key."""

    directory: Path
    root: Path  # the repository: report paths are relative to it

    def _entry(self, key: str) -> Path:
        return self.directory / "outcomes" / f"{key}.json"

    def store(self, key: str, document: dict[str, Any], session: CacheSession) -> bool:
        """Keep a complete run whose every command result is in the result cache; say if it was kept."""
        if document.get("interrupted") or document.get("for_signoff") or "shard" in document:
            return False
        commands = document["commands"]
        if any(c["status"] not in _REUSABLE or c["error"] for c in commands):
            return False
        payload = {
            "document": document,
            "command_keys": {c["key"]: session.key(_invocation(c)) for c in commands},
        }
        write_entry(self._entry(key), key=key, fmt=OUTCOME_FORMAT, payload=payload)
        return True

    def replay(self, key: str, session: CacheSession) -> dict[str, Any] | None:
        """The stored document with every command marked cached, or None: any doubt is a miss."""
        entry_path = self._entry(key)
        if not entry_path.is_file():
            return None
        try:
            payload = read_entry(entry_path, key=key, fmt=OUTCOME_FORMAT)
            document: dict[str, Any] = payload["document"]
            command_keys: dict[str, str] = payload["command_keys"]
            commands = document["commands"]
        except (CacheEntryError, KeyError, TypeError):
            return None  # torn or foreign: the run just happens the long way
        session.prime(_invocation(c) for c in commands)  # every toolchain probe at once
        moved: dict[str, str] = {}
        for command in commands:
            cache_key = command_keys.get(command["key"])
            if cache_key is None or session.key(_invocation(command)) != cache_key:
                return None  # a toolchain changed
            log = session.verify(cache_key)
            if log is None:
                return None  # the command's own entry is gone or damaged: it must run again
            log = relative_path(log, self.root)
            moved[command["log_path"]] = log
            command.update(status="cached", log_path=log)
        for row in document["rows"]:
            for test in row["tests"]:
                test["log_path"] = moved.get(test["log_path"], test["log_path"])
        return document


def _invocation(command: Mapping[str, Any]) -> Invocation:
    """What a result cache key is made of, from a report's command entry."""
    return Invocation(
        key=command["key"],
        argv=tuple(command["argv"]),
        cwd=command["cwd"],
        env=tuple(sorted(command["env"].items())),
        kind=command["kind"],
        workflow=command["workflow"],
        job=command["job"],
        step_line=command["step_line"],
        rows=tuple(command["rows"]),
    )
