"""Where the matrix, workflows and rules live: `parity.toml` or `[tool.parity]`, else the seed layout."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import tomlkit
import tomlkit.exceptions

from parity.errors import InputError

__all__ = [
    "DEFAULT_ALLOWED_EXECUTABLES",
    "Columns",
    "Config",
    "JobConfig",
    "ProveConfig",
    "load_config",
]

DEFAULT_MATRIX = "docs/parity/dagster-parity-matrix.md"
DEFAULT_ALLOWED_EXECUTABLES = ("cargo", "python", "python3", "pytest", "uv", "nox")


@dataclass(frozen=True, slots=True, kw_only=True)
class Columns:
    """Header names of the matrix columns (the seed's names by default)."""

    capability: str = "Capability"
    feature: str = "Arco Feature"
    status: str = "Status"
    proof_level: str = "Proof Level Required"
    code: str = "Evidence (Code)"
    tests: str = "Evidence (Tests)"
    ci: str = "Evidence (CI)"
    owner: str = "Owner"
    notes: str = "Notes"

    def required(self) -> tuple[str, ...]:
        return (self.capability, self.status, self.code, self.tests, self.ci, self.owner)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobConfig:
    """Per-job settings: earlier `run:` commands of the job that must run before its tests."""

    setup: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ProveConfig:
    timeout_seconds: float = 1800.0
    cargo_no_fail_fast: bool = True
    retries: int = 0
    allow_shell: bool = False
    allowed_executables: tuple[str, ...] = DEFAULT_ALLOWED_EXECUTABLES


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything configurable, resolved against one repository root."""

    repo_root: Path
    source: str = "defaults"  # "parity.toml", "pyproject.toml [tool.parity]" or "defaults"
    matrices: tuple[str, ...] = (DEFAULT_MATRIX,)
    workflows: tuple[str, ...] = ()  # empty: every file under .github/workflows/
    statuses: tuple[str, ...] = ("Implemented", "Partial", "Designed", "Planned", "Exception")
    proof_statuses: tuple[str, ...] = ("Implemented",)  # statuses that need code+test+CI proof
    exception_status: str = "Exception"
    exception_doc: str = "docs/audits/arco-flow-dagster-exception-planning.md"
    forbidden_prefixes: tuple[str, ...] = ("docs/plans/",)
    proof_levels: tuple[str, ...] = ("unit", "integration", "e2e", "prod")
    csv: str | None = None  # None: the matrix's `.csv` sibling, when it exists
    columns: Columns = field(default_factory=Columns)
    prove: ProveConfig = field(default_factory=ProveConfig)
    jobs: dict[str, JobConfig] = field(default_factory=dict)

    def csv_paths(self) -> tuple[str, ...]:
        if self.csv is not None:
            return (self.csv,)
        return tuple(str(Path(m).with_suffix(".csv").as_posix()) for m in self.matrices)


_TOP_KEYS = {
    "matrix",
    "matrices",
    "workflows",
    "statuses",
    "proof_statuses",
    "exception_status",
    "exception_doc",
    "forbidden_prefixes",
    "proof_levels",
    "csv",
    "columns",
    "prove",
    "jobs",
}


def load_config(repo_root: Path) -> Config:
    """Read `parity.toml`, else `[tool.parity]` in `pyproject.toml`, else use the defaults."""
    root = repo_root.resolve()
    toml_path = root / "parity.toml"
    if toml_path.is_file():
        table = _read_toml(toml_path)
        return _build(root, "parity.toml", toml_path, table)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        doc = _read_toml(pyproject)
        tool = doc.get("tool")
        if isinstance(tool, dict) and "parity" in tool:
            return _build(root, "pyproject.toml [tool.parity]", pyproject, tool["parity"])
    return Config(repo_root=root)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path.name, f"cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            path.name, f"not UTF-8 (byte 0x{data[exc.start]:02x})", line=line, hint="save it as UTF-8"
        ) from None
    try:
        return tomlkit.parse(text).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        message = str(exc.args[0] if exc.args else exc)
        message = re.sub(r" at line \d+ col \d+$", "", message)
        raise InputError(
            path.name,
            f"invalid TOML: {message}",
            line=exc.line,
            column=exc.col,
            hint="fix the TOML syntax",
        ) from None


def _line_of(path: Path, key: str) -> int | None:
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip().startswith((f"{key} ", f"{key}=", f"[{key}", f"[tool.parity.{key}")):
                return number
    except OSError:
        return None
    return None


def _build(root: Path, source: str, path: Path, table: Any) -> Config:
    name = path.name

    def fail(key: str, message: str, hint: str) -> InputError:
        return InputError(name, message, line=_line_of(path, key), hint=hint)

    if not isinstance(table, dict):
        raise InputError(name, "parity configuration must be a table", hint="see README: Configuration")
    unknown = sorted(set(table) - _TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key `{unknown[0]}`", f"known keys: {', '.join(sorted(_TOP_KEYS))}")

    def strings(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise fail(key, f"`{key}` must be a string or a list of strings", f'e.g. {key} = ["..."]')

    def string(key: str, default: str) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise fail(key, f"`{key}` must be a string", f'e.g. {key} = "..."')
        return value

    def paths(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """Files parity reads must stay inside the repository: no absolute paths, no `..`."""
        values = strings(key, default)
        for value in values:
            if _escapes(value):
                raise fail(
                    key,
                    f"`{key}` must be a path inside the repository, not `{value}`",
                    "paths are relative to the repository root",
                )
        return values

    base = Config(repo_root=root)
    matrices = paths("matrices", paths("matrix", base.matrices))
    csv_value = table.get("csv")
    if csv_value is not None and not isinstance(csv_value, str):
        raise fail("csv", "`csv` must be a string path", 'e.g. csv = "docs/parity/matrix.csv"')
    if csv_value is not None:
        paths("csv", ())
    return Config(
        repo_root=root,
        source=source,
        matrices=matrices,
        workflows=paths("workflows", base.workflows),
        statuses=strings("statuses", base.statuses),
        proof_statuses=strings("proof_statuses", base.proof_statuses),
        exception_status=string("exception_status", base.exception_status),
        exception_doc=string("exception_doc", base.exception_doc),
        forbidden_prefixes=strings("forbidden_prefixes", base.forbidden_prefixes),
        proof_levels=strings("proof_levels", base.proof_levels),
        csv=csv_value,
        columns=_columns(table.get("columns"), fail),
        prove=_prove(table.get("prove"), fail),
        jobs=_jobs(table.get("jobs"), fail),
    )


def _escapes(value: str) -> bool:
    pure = PurePosixPath(value.replace("\\", "/"))
    return (
        pure.is_absolute()
        or value.startswith("~")
        or ".." in pure.parts
        or bool(re.match(r"^[A-Za-z]:", value))
    )


def _columns(value: Any, fail: Any) -> Columns:
    if value is None:
        return Columns()
    known = set(Columns.__dataclass_fields__)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise fail("columns", "`columns` must map names to header strings", 'e.g. status = "State"')
    unknown = sorted(set(value) - known)
    if unknown:
        raise fail("columns", f"unknown column `{unknown[0]}`", f"known: {', '.join(sorted(known))}")
    return Columns(**value)


def _prove(value: Any, fail: Any) -> ProveConfig:
    if value is None:
        return ProveConfig()
    if not isinstance(value, dict):
        raise fail("prove", "`prove` must be a table", "use a [prove] table")
    base = ProveConfig()
    known = {"timeout", "no_fail_fast", "retries", "allow_shell", "allowed_executables"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise fail("prove", f"unknown key `prove.{unknown[0]}`", f"known: {', '.join(sorted(known))}")
    timeout = value.get("timeout", base.timeout_seconds)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise fail("prove", "`prove.timeout` must be a positive number of seconds", "e.g. 1800")
    retries = value.get("retries", base.retries)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise fail("prove", "`prove.retries` must be a whole number >= 0", "e.g. retries = 1")
    flags = {}
    for key, default in (("no_fail_fast", True), ("allow_shell", False)):
        flag = value.get(key, default)
        if not isinstance(flag, bool):
            raise fail("prove", f"`prove.{key}` must be true or false", f"{key} = {str(default).lower()}")
        flags[key] = flag
    allowed = value.get("allowed_executables", list(base.allowed_executables))
    if not isinstance(allowed, list) or not all(isinstance(v, str) and v for v in allowed):
        raise fail("prove", "`prove.allowed_executables` must be a list of names", '["cargo"]')
    return ProveConfig(
        timeout_seconds=float(timeout),
        cargo_no_fail_fast=flags["no_fail_fast"],
        retries=retries,
        allow_shell=flags["allow_shell"],
        allowed_executables=tuple(allowed),
    )


def _jobs(value: Any, fail: Any) -> dict[str, JobConfig]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail("jobs", "`jobs` must be a table of job ids", "use [jobs.<job-id>]")
    jobs: dict[str, JobConfig] = {}
    for job_id, job in value.items():
        if not isinstance(job, dict) or set(job) - {"setup"}:
            raise fail("jobs", f"[jobs.{job_id}] accepts only `setup`", 'setup = ["<run command>"]')
        setup = job.get("setup", [])
        if not isinstance(setup, list) or not all(isinstance(s, str) for s in setup):
            raise fail("jobs", f"`jobs.{job_id}.setup` must be a list of commands", '["..."]')
        jobs[str(job_id)] = JobConfig(setup=tuple(setup))
    return jobs
