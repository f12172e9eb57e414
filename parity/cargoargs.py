"""Read a `cargo test` argv (cargo's own flags plus the libtest flags after `--`) into plain values."""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

__all__ = ["CargoTestArgs", "LibtestArgs", "parse_cargo_test", "parse_libtest"]

_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")

# `cargo test --help` (cargo 1.95) plus cargo's global options, which clap also takes after `test`.
_CARGO_VALUE_OPTS = {
    "-p": "--package",
    "--package": "--package",
    "--exclude": "--exclude",
    "--bin": "--bin",
    "--test": "--test",
    "--bench": "--bench",
    "--example": "--example",
    "-F": "--features",
    "--features": "--features",
    "-j": "--jobs",
    "--jobs": "--jobs",
    "--profile": "--profile",
    "--target": "--target",
    "--target-dir": "--target-dir",
    "--manifest-path": "--manifest-path",
    "--lockfile-path": "--lockfile-path",
    "--message-format": "--message-format",
    "--color": "--color",
    "--config": "--config",
    "-Z": "-Z",
    "-C": "-C",
    "--artifact-dir": "--artifact-dir",
}
_CARGO_FLAGS = {
    "--lib": "--lib",
    "--bins": "--bins",
    "--tests": "--tests",
    "--benches": "--benches",
    "--examples": "--examples",
    "--all-targets": "--all-targets",
    "--doc": "--doc",
    "--workspace": "--workspace",
    "--all": "--all",
    "--all-features": "--all-features",
    "--no-default-features": "--no-default-features",
    "-r": "--release",
    "--release": "--release",
    "--no-run": "--no-run",
    "--no-fail-fast": "--no-fail-fast",
    "--future-incompat-report": "--future-incompat-report",
    "--ignore-rust-version": "--ignore-rust-version",
    "--unit-graph": "--unit-graph",
    "--timings": "--timings",
    "--locked": "--locked",
    "--offline": "--offline",
    "--frozen": "--frozen",
    "-q": "--quiet",
    "--quiet": "--quiet",
    "-v": "--verbose",
    "--verbose": "--verbose",
    "-h": "--help",
    "--help": "--help",
}
_LIBTEST_VALUE_OPTS = {"--logfile", "--test-threads", "--skip", "--color", "--format", "-Z", "--shuffle-seed"}
_LIBTEST_FLAGS = {
    "--include-ignored",
    "--ignored",
    "--force-run-in-process",
    "--exclude-should-panic",
    "--test",
    "--bench",
    "--list",
    "--fail-fast",
    "-h",
    "--help",
    "--nocapture",
    "--no-capture",
    "-q",
    "--quiet",
    "--exact",
    "--show-output",
    "--report-time",
    "--ensure-time",
    "--shuffle",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LibtestArgs:
    """What the test binaries are told after `--` (libtest's `cli.rs` `parse_opts`)."""

    filters: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    exact: bool = False
    ignored: bool = False
    include_ignored: bool = False
    list_only: bool = False
    help: bool = False
    exclude_should_panic: bool = False
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CargoTestArgs:
    """One `cargo [+toolchain] test ...` command line, by meaning rather than by spelling."""

    toolchain: str | None = None
    chdir: str | None = None
    manifest_path: str | None = None
    packages: tuple[str, ...] = ()
    workspace: str | None = None  # the spelling used, `--workspace` or `--all`
    exclude: tuple[str, ...] = ()
    target_flags: tuple[str, ...] = ()  # `--lib`, `--bins`, `--tests`, ... in argv order
    bins: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    benches: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    all_features: bool = False
    no_default_features: bool = False
    release: bool = False
    target: str | None = None
    no_run: bool = False
    help: bool = False
    testname: str | None = None
    libtest: LibtestArgs = field(default_factory=LibtestArgs)
    errors: tuple[str, ...] = ()

    def start_dir(self, cwd: str) -> str:
        """Where cargo looks for its manifest: `cwd`, moved by `-C` and `--manifest-path`.

        Load the workspace from here (`load_workspace(root, args.start_dir(cwd))`).
        """
        where = posixpath.normpath(posixpath.join(cwd, self.chdir or "."))
        if self.manifest_path is not None:
            where = posixpath.dirname(posixpath.normpath(posixpath.join(where, self.manifest_path)))
        return "" if where in {".", ""} else where

    def has(self, flag: str) -> bool:
        return flag in self.target_flags

    @property
    def target_selected(self) -> bool:
        """Whether any target-selection flag was given (else cargo's default targets apply)."""
        return bool(self.target_flags or self.bins or self.tests or self.benches or self.examples)


def _split_libtest_opt(arg: str) -> tuple[str, str | None]:
    if arg.startswith("--") and "=" in arg:
        name, _, value = arg.partition("=")
        return name, value
    if arg.startswith("-Z") and len(arg) > 2:
        return "-Z", arg[2:]
    return arg, None


def parse_libtest(args: list[str] | tuple[str, ...]) -> LibtestArgs:
    """Parse the test-binary arguments the way libtest's getopts setup does."""
    values: dict[str, list[str]] = {"filters": [], "skip": [], "errors": []}
    flags: set[str] = set()
    i = 0
    only_free = False
    while i < len(args):
        arg = args[i]
        i += 1
        if only_free or not arg.startswith("-") or arg == "-":
            values["filters"].append(arg)
            continue
        if arg == "--":
            only_free = True
            continue
        name, value = _split_libtest_opt(arg)
        if name in _LIBTEST_VALUE_OPTS:
            if value is None:
                if i >= len(args):
                    values["errors"].append(f"Argument to option '{name.lstrip('-')}' missing")
                    break
                value = args[i]
                i += 1
            if name == "--skip":
                values["skip"].append(value)
        elif name in _LIBTEST_FLAGS and value is None:
            flags.add(name)
        else:
            values["errors"].append(f"Unrecognized option: '{name.lstrip('-')}'")
    if {"--ignored", "--include-ignored"} <= flags:
        values["errors"].append("the options --include-ignored and --ignored are mutually exclusive")
    return LibtestArgs(
        filters=tuple(values["filters"]),
        skip=tuple(values["skip"]),
        exact="--exact" in flags,
        ignored="--ignored" in flags,
        include_ignored="--include-ignored" in flags,
        list_only="--list" in flags,
        help=bool(flags & {"-h", "--help"}),
        exclude_should_panic="--exclude-should-panic" in flags,
        errors=tuple(values["errors"]),
    )


def _is_cargo(arg: str) -> bool:
    return PurePosixPath(arg.replace("\\", "/")).name in {"cargo", "cargo.exe"}


def _read_option(argv: list[str], i: int) -> tuple[str | None, str | None, int, str | None]:
    """(canonical option, value, next index, error) for the option at argv[i]."""
    arg = argv[i]
    if arg.startswith("--"):
        name, eq, inline = arg.partition("=")
        if name in _CARGO_FLAGS and not eq:
            return _CARGO_FLAGS[name], None, i + 1, None
        if name in _CARGO_VALUE_OPTS:
            if eq:
                return _CARGO_VALUE_OPTS[name], inline, i + 1, None
            if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                return _CARGO_VALUE_OPTS[name], argv[i + 1], i + 2, None
            return None, None, i + 1, f"`{name}` needs a value"
        return None, None, i + 1, f"unexpected argument `{arg}`"
    # A short option, maybe with its value attached (`-pfoo`, `-p=foo`, `-j4`) or a cluster (`-vv`).
    letter = arg[:2]
    rest = arg[2:]
    if letter in _CARGO_VALUE_OPTS:
        if rest:
            return _CARGO_VALUE_OPTS[letter], rest.removeprefix("="), i + 1, None
        if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            return _CARGO_VALUE_OPTS[letter], argv[i + 1], i + 2, None
        return None, None, i + 1, f"`{letter}` needs a value"
    if letter in _CARGO_FLAGS and all(f"-{c}" in _CARGO_FLAGS for c in rest):
        return _CARGO_FLAGS[letter], None, i + 1, None
    return None, None, i + 1, f"unexpected argument `{arg}`"


_LISTS = {"--package": "packages", "--exclude": "exclude", "--bin": "bins", "--test": "tests"}
_LISTS |= {"--bench": "benches", "--example": "examples"}
_TARGET_FLAGS = {"--lib", "--bins", "--tests", "--benches", "--examples", "--all-targets", "--doc"}


def parse_cargo_test(argv: list[str] | tuple[str, ...]) -> CargoTestArgs | None:
    """Memoised by argv: a matrix asks about the same dozen commands thousands of times."""
    return _parse_cargo_test_cached(tuple(argv))


@functools.lru_cache(maxsize=1024)
def _parse_cargo_test_cached(argv: tuple[str, ...]) -> CargoTestArgs | None:
    """Parse `cargo [+toolchain] [global opts] test|t ...`; None if argv is not `cargo test`."""
    tokens = list(argv)
    while tokens and (tokens[0] == "env" or _ENV_ASSIGNMENT.fullmatch(tokens[0])):
        tokens.pop(0)
    if not tokens or not _is_cargo(tokens[0]):
        return None
    i = 1
    toolchain = None
    if i < len(tokens) and tokens[i].startswith("+"):
        toolchain = tokens[i][1:]
        i += 1
    lists: dict[str, list[str]] = {key: [] for key in [*_LISTS.values(), "features", "errors"]}
    flags: list[str] = []
    single: dict[str, str] = {}
    subcommand = None
    testname: str | None = None
    rest: list[str] = []
    while i < len(tokens):
        arg = tokens[i]
        if arg == "--" and subcommand is not None:
            rest = tokens[i + 1 :]
            break
        if not arg.startswith("-") or arg == "-":
            i += 1
            if subcommand is None:
                subcommand = arg
                if subcommand not in {"test", "t"}:
                    return None
            elif testname is None:
                testname = arg
            else:
                lists["errors"].append(f"unexpected argument `{arg}`")
            continue
        name, value, i, error = _read_option(tokens, i)
        if error is not None:
            lists["errors"].append(error)
        elif name is not None and value is None:
            flags.append(name)
        elif name is not None and value is not None:
            if name in _LISTS:
                lists[_LISTS[name]].append(value)
            elif name == "--features":
                lists["features"].extend(f for f in re.split(r"[\s,]+", value) if f)
            else:
                single[name] = value
    if subcommand is None:
        return None
    workspace = next((f for f in flags if f in {"--workspace", "--all"}), None)
    if lists["exclude"] and workspace is None:
        lists["errors"].append("--exclude can only be used together with --workspace")
    target_flags = tuple(f for f in flags if f in _TARGET_FLAGS)
    if "--doc" in target_flags and (
        len(set(target_flags)) > 1
        or any(lists[k] for k in _LISTS.values() if k not in {"packages", "exclude"})
    ):
        lists["errors"].append("Can't mix --doc with other target selecting options")
    test_args = ([testname] if testname is not None else []) + rest
    return CargoTestArgs(
        toolchain=toolchain,
        chdir=single.get("-C"),
        manifest_path=single.get("--manifest-path"),
        packages=tuple(lists["packages"]),
        workspace=workspace,
        exclude=tuple(lists["exclude"]),
        target_flags=target_flags,
        bins=tuple(lists["bins"]),
        tests=tuple(lists["tests"]),
        benches=tuple(lists["benches"]),
        examples=tuple(lists["examples"]),
        features=tuple(lists["features"]),
        all_features="--all-features" in flags,
        no_default_features="--no-default-features" in flags,
        release="--release" in flags or single.get("--profile") == "release",
        target=single.get("--target"),
        no_run="--no-run" in flags,
        help="--help" in flags,
        testname=testname,
        libtest=parse_libtest(test_args),
        errors=tuple(lists["errors"]),
    )
