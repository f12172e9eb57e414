"""Read a pytest command line (`pytest`, `python -m pytest`, `uv run pytest`, ...) into plain values."""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

__all__ = ["PytestArgs", "parse_pytest", "parse_pytest_options", "pytest_launcher"]

_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")
_PYTHON = re.compile(r"(python|pypy)(\d+(\.\d+)*)?(\.exe)?")
_RUNNERS = {"uv", "poetry", "pdm", "pipenv", "hatch", "rye"}
_RUNNER_VALUE_OPTS = {"--with", "--python", "-p", "--extra", "--group", "--package", "--env-file"}
_RUNNER_VALUE_OPTS |= {"--project", "--directory", "--with-requirements", "--index", "--only-group"}

# Options of `python` and `coverage run` that take a separate value.
_LAUNCHER_VALUE_OPTS = {"-X", "-W", "--rcfile", "--source", "--omit", "--include", "--data-file"}
_LAUNCHER_VALUE_OPTS |= {"--context", "--concurrency"}

# pytest 9.2 `--help` plus the common plugins (xdist, cov, timeout, rerunfailures, html, randomly).
_VALUE_OPTS = {
    "-k", "-m", "-p", "-c", "-o", "-r", "-W", "-n",
    "--config-file", "--rootdir", "--deselect", "--ignore", "--ignore-glob", "--junitxml",
    "--junit-xml", "--junitprefix", "--junit-prefix", "--override-ini", "--maxfail", "--tb",
    "--report-chars", "--durations", "--durations-min", "--basetemp", "--confcutdir",
    "--import-mode", "--capture", "--color", "--code-highlight", "--pastebin", "--pythonwarnings",
    "--doctest-glob", "--doctest-report", "--pdbcls", "--show-capture", "--assert", "--verbosity",
    "--lfnf", "--last-failed-no-failures", "--max-warnings", "--log-level", "--log-format",
    "--log-date-format", "--log-cli-level", "--log-cli-format", "--log-cli-date-format",
    "--log-file", "--log-file-mode", "--log-file-level", "--log-file-format",
    "--log-file-date-format", "--log-auto-indent", "--log-disable", "--hypothesis-profile",
    "--hypothesis-verbosity", "--hypothesis-seed", "--numprocesses", "--dist", "--tx",
    "--maxprocesses", "--max-worker-restart", "--timeout", "--timeout-method", "--reruns",
    "--reruns-delay", "--only-rerun", "--html", "--css", "--cov-report", "--cov-config",
    "--cov-fail-under", "--cov-context", "--randomly-seed", "--runpytest",
}  # fmt: skip
_OPTIONAL_VALUE_OPTS = {"--cov", "--debug", "--cache-show"}
_FLAGS = {
    "-v", "-q", "-x", "-s", "-l", "-h", "-V",
    "--verbose", "--quiet", "--exitfirst", "--strict-markers", "--strict-config", "--strict",
    "--co", "--collect-only", "--collectonly", "--lf", "--last-failed", "--ff", "--failed-first",
    "--nf", "--new-first", "--sw", "--stepwise", "--sw-skip", "--stepwise-skip", "--sw-reset",
    "--stepwise-reset", "--cache-clear", "--pdb", "--trace", "--full-trace", "--fulltrace",
    "--showlocals", "--no-showlocals", "--setup-only", "--setup-plan", "--setup-show", "--fixtures",
    "--funcargs", "--fixtures-per-test", "--markers", "--help", "--version", "--keep-duplicates",
    "--collect-in-virtualenv", "--continue-on-collection-errors", "--noconftest", "--pyargs",
    "--runxfail", "--doctest-modules", "--doctest-continue-on-failure",
    "--doctest-ignore-import-errors", "--disable-warnings", "--disable-pytest-warnings",
    "--no-header", "--no-summary", "--no-fold-skipped", "--force-short-summary", "--xfail-tb",
    "--disable-plugin-autoload", "--trace-config", "--hypothesis-show-statistics",
    "--hypothesis-explain", "--cov-append", "--no-cov", "--no-cov-on-fail", "--cov-branch",
    "--looponfail", "-f", "--instafail", "--benchmark-skip", "--benchmark-disable",
}  # fmt: skip
# Options after which pytest runs no test at all.
_STOPS = {
    "-h", "--help", "-V", "--version", "--co", "--collect-only", "--collectonly", "--markers",
    "--fixtures", "--funcargs", "--fixtures-per-test", "--setup-only", "--setup-plan",
    "--cache-show",
}  # fmt: skip
# Options whose effect on selection depends on state parity cannot see (the cache, sys.path).
_UNCERTAIN = {"--lf", "--last-failed", "--sw", "--stepwise", "--pyargs", "--looponfail", "-f"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PytestArgs:
    """The selection-relevant meaning of one pytest argument list."""

    launcher: tuple[str, ...] = ()  # e.g. ("python", "-m", "pytest")
    chdir: str | None = None  # `uv run --directory DIR`
    paths: tuple[str, ...] = ()  # positional file_or_dir arguments, as written
    keyword: str | None = None  # `-k` (the last one wins, as with argparse)
    markexpr: str | None = None  # `-m`
    deselect: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    ignore_glob: tuple[str, ...] = ()
    config_file: str | None = None
    rootdir: str | None = None
    confcutdir: str | None = None
    overrides: tuple[tuple[str, str], ...] = ()  # `-o name=value`
    strict_markers: bool = False
    collect_in_virtualenv: bool = False
    keep_duplicates: bool = False
    stops: tuple[str, ...] = ()  # options that make pytest run nothing
    uncertain: tuple[str, ...] = ()  # options whose effect parity cannot predict
    unknown: tuple[str, ...] = ()  # options parity does not know (maybe from a plugin)
    errors: tuple[str, ...] = ()


def _split(arg: str) -> tuple[str, str | None]:
    if arg.startswith("--"):
        name, eq, value = arg.partition("=")
        return name, value if eq else None
    return arg, None


def _record(fields: dict[str, list[str]], name: str, value: str) -> None:
    key = {
        "-k": "keyword", "-m": "markexpr", "--deselect": "deselect", "--ignore": "ignore",
        "--ignore-glob": "ignore_glob", "-c": "config_file", "--config-file": "config_file",
        "--rootdir": "rootdir", "--confcutdir": "confcutdir", "-o": "overrides",
        "--override-ini": "overrides",
    }.get(name)  # fmt: skip
    if key is not None:
        fields[key].append(value)


def parse_pytest_options(args: list[str] | tuple[str, ...]) -> PytestArgs:
    """Parse pytest's own arguments (argparse with `allow_abbrev=False`); memoised like parse_pytest."""
    return _parse_options_cached(tuple(args))


@functools.lru_cache(maxsize=1024)
def _parse_options_cached(args: tuple[str, ...]) -> PytestArgs:
    fields: dict[str, list[str]] = {
        k: []
        for k in (
            "paths", "keyword", "markexpr", "deselect", "ignore", "ignore_glob", "config_file",
            "rootdir", "confcutdir", "overrides", "flags", "stops", "uncertain", "unknown", "errors",
        )
    }  # fmt: skip
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            fields["paths"].extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            fields["paths"].append(arg)
            continue
        name, value = _split(arg)
        if not arg.startswith("--") and len(arg) > 2:  # `-kfoo`, `-k=foo`, `-vx`, `-rA`
            name, value = arg[:2], arg[2:]
            if name not in _VALUE_OPTS:
                if all(f"-{c}" in _FLAGS for c in value):
                    fields["flags"].extend(f"-{c}" for c in value)
                    value = None
                else:
                    fields["unknown"].append(arg)
                    continue
            else:
                value = value.removeprefix("=")
        if name in _VALUE_OPTS:
            if value is None:
                if i >= len(args):
                    fields["errors"].append(f"argument {name}: expected one argument")
                    break
                value = args[i]
                i += 1
            _record(fields, name, value)
        elif name in _OPTIONAL_VALUE_OPTS:
            if value is None and i < len(args) and not args[i].startswith("-") and name == "--cov":
                i += 1  # argparse `nargs="?"` takes the next word: `--cov src`
            fields["flags"].append(name)
        elif name in _FLAGS and value is None:
            fields["flags"].append(name)
        else:
            fields["unknown"].append(arg)
    flags = set(fields["flags"])
    overrides: list[tuple[str, str]] = []
    for item in fields["overrides"]:
        key, eq, val = item.partition("=")
        if not eq:
            fields["errors"].append(f"-o/--override-ini expects option=value style (got: {item!r}).")
        overrides.append((key, val))
    return PytestArgs(
        paths=tuple(fields["paths"]),
        keyword=fields["keyword"][-1] if fields["keyword"] else None,
        markexpr=fields["markexpr"][-1] if fields["markexpr"] else None,
        deselect=tuple(fields["deselect"]),
        ignore=tuple(fields["ignore"]),
        ignore_glob=tuple(fields["ignore_glob"]),
        config_file=fields["config_file"][-1] if fields["config_file"] else None,
        rootdir=fields["rootdir"][-1] if fields["rootdir"] else None,
        confcutdir=fields["confcutdir"][-1] if fields["confcutdir"] else None,
        overrides=tuple(overrides),
        strict_markers=bool(flags & {"--strict-markers", "--strict"}),
        collect_in_virtualenv="--collect-in-virtualenv" in flags,
        keep_duplicates="--keep-duplicates" in flags,
        stops=tuple(f for f in fields["flags"] if f in _STOPS),
        uncertain=tuple(f for f in fields["flags"] if f in _UNCERTAIN),
        unknown=tuple(fields["unknown"]),
        errors=tuple(fields["errors"]),
    )


def _name(arg: str) -> str:
    return PurePosixPath(arg.replace("\\", "/")).name


def pytest_launcher(argv: list[str] | tuple[str, ...]) -> tuple[int, str | None] | None:
    """Index of pytest's first own argument in argv and any `--directory`; None if not pytest."""
    i = 0
    while i < len(argv) and (argv[i] == "env" or _ENV_ASSIGNMENT.fullmatch(argv[i])):
        i += 1
    chdir = None
    if i < len(argv) and _name(argv[i]) in _RUNNERS:
        i += 1
        if i < len(argv) and argv[i] == "run":
            i += 1
        while i < len(argv) and argv[i].startswith("-"):
            name, value = _split(argv[i])
            i += 1
            if name in _RUNNER_VALUE_OPTS and value is None and i < len(argv):
                value = argv[i]
                i += 1
            if name in {"--directory", "--project"}:
                chdir = value
    if i >= len(argv):
        return None
    head = _name(argv[i])
    if head in {"pytest", "py.test", "pytest.exe"}:
        return i + 1, chdir
    if head not in {"coverage", "coverage3"} and not _PYTHON.fullmatch(head):
        return None
    j = i + 1
    while j < len(argv):
        arg = argv[j]
        following = argv[j + 1] if j + 1 < len(argv) else None
        if arg == "-m" and following in {"pytest", "py.test"}:
            return j + 2, chdir
        if (
            arg == "-m" and following == "coverage"
        ) or arg in _LAUNCHER_VALUE_OPTS:  # python -m coverage run [...] -m pytest
            j += 2
        elif arg == "run" or (arg.startswith("-") and arg not in {"-c", "-m"}):
            j += 1
        else:
            return None
    return None


def parse_pytest(argv: list[str] | tuple[str, ...]) -> PytestArgs | None:
    """Memoised by argv: a matrix asks about the same dozen commands thousands of times."""
    return _parse_pytest_cached(tuple(argv))


@functools.lru_cache(maxsize=1024)
def _parse_pytest_cached(argv: tuple[str, ...]) -> PytestArgs | None:
    """Parse a pytest invocation; None if argv does not run pytest."""
    found = pytest_launcher(argv)
    if found is None:
        return None
    start, chdir = found
    parsed = parse_pytest_options(argv[start:])
    return dataclasses.replace(parsed, launcher=tuple(argv[:start]), chdir=chdir)
