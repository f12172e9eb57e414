"""Predict, without building anything, whether a `cargo test` command runs one Rust test, and why not."""

from __future__ import annotations

import fnmatch
import posixpath
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parity.cargoargs import CargoTestArgs, LibtestArgs, parse_cargo_test
from parity.cargofeatures import cli_feature_requests, resolve_features
from parity.cargotoml import Package, Target, TargetKind, Workspace
from parity.cfgexpr import evaluate_cfg
from parity.selectmodel import NotRunReason, RustTest, Selection

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["select_rust"]

_KIND_WORDS = {
    TargetKind.LIB: "the library",
    TargetKind.BIN: "binary",
    TargetKind.TEST: "integration test",
    TargetKind.BENCH: "bench target",
    TargetKind.EXAMPLE: "example",
}


# cargo's `commands/test.rs`: a TESTNAME with no target flag switches to
# `CompileFilter::all_test_targets()` (the library plus `--tests`), which drops doc-tests.
_TESTNAME_RULE = "the positional filter `{}` makes cargo build only the library and test targets"


def _no(reason: NotRunReason, detail: str, *, certain: bool = True) -> Selection:
    return Selection(selected=False, reason=reason, detail=detail, certain=certain)


def _describe(target: Target) -> str:
    word = _KIND_WORDS[target.kind]
    return word if target.kind is TargetKind.LIB else f"{word} `{target.name}`"


def _is_glob(spec: str) -> bool:
    return any(ch in spec for ch in "*?[")


def _spec_matches(spec: str, name: str) -> bool:
    base = spec.split("@", 1)[0].split(":", 1)[0] if not spec.startswith(("http", "path+")) else spec
    base = base.rsplit("#", 1)[-1]
    return fnmatch.fnmatchcase(name, base) if _is_glob(base) else base == name


def _current_package(args: CargoTestArgs, workspace: Workspace, cwd: str) -> Package | None:
    """The member owning the manifest cargo starts from (None in a virtual root)."""
    return workspace.package_for_path(args.start_dir(cwd))


def _select_packages(
    args: CargoTestArgs, workspace: Workspace, cwd: str
) -> tuple[tuple[Package, ...], str, str | None]:
    """(selected packages, how the command chose them, cargo's error if it refuses)."""
    members = workspace.members
    if args.workspace is not None:
        kept = tuple(p for p in members if not any(_spec_matches(s, p.name) for s in args.exclude))
        how = args.workspace + "".join(f" --exclude {s}" for s in args.exclude)
        return kept, f"`{how}`", None
    if args.packages:
        for spec in args.packages:
            if _is_glob(spec) and not any(_spec_matches(spec, p.name) for p in members):
                root = workspace.root or "."
                return (), "", f"package pattern(s) `{spec}` not found in workspace `{root}`"
        picked = tuple(p for p in members if any(_spec_matches(s, p.name) for s in args.packages))
        return picked, "`" + " ".join(f"-p {s}" for s in args.packages) + "`", None
    current = _current_package(args, workspace, cwd)
    if current is not None and current.dir != workspace.root:
        where = (
            f"`--manifest-path {args.manifest_path}`" if args.manifest_path else f"running in `{cwd or '.'}`"
        )
        return (current,), f"{where} with no `-p`", None
    defaults = tuple(p for p in members if p.name in workspace.default_members)
    names = ", ".join(f"`{p.name}`" for p in defaults)
    return defaults, f"running at the workspace root with no `-p` (default members: {names})", None


def _names_match(pattern: str, name: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern) if _is_glob(pattern) else pattern == name


def _named_lists(args: CargoTestArgs) -> list[tuple[TargetKind, str, tuple[str, ...]]]:
    return [
        (TargetKind.BIN, "--bin", args.bins),
        (TargetKind.TEST, "--test", args.tests),
        (TargetKind.BENCH, "--bench", args.benches),
        (TargetKind.EXAMPLE, "--example", args.examples),
    ]


def _command_error(
    args: CargoTestArgs, selected: tuple[Package, ...], features: dict[str, frozenset[str]]
) -> str | None:
    """The error cargo stops with before running anything, for explicitly requested targets."""
    names = [p.name for p in selected]
    if (args.has("--lib") or args.has("--doc")) and not any(p.lib for p in selected):
        where = f"package `{names[0]}`" if len(names) == 1 else "packages: " + ", ".join(names)
        return f"no library targets found in {where}"
    for kind, flag, patterns in _named_lists(args):
        for pattern in patterns:
            hits = [(p, t) for p in selected for t in p.targets_of(kind) if _names_match(pattern, t.name)]
            if not hits:
                what = "matches pattern" if _is_glob(pattern) else "named"
                return f"no {flag.lstrip('-')} target {what} `{pattern}`"
            for pkg, target in hits:
                missing = [f for f in target.required_features if f not in features.get(pkg.name, ())]
                if missing:
                    need = ", ".join(f"`{f}`" for f in missing)
                    return f"target `{target.name}` in package `{pkg.name}` requires the features: {need}"
    return None


def _flag_covers(flag: str, target: Target) -> bool:
    """Whether one bulk target flag picks `target` (cargo's `generate_targets` filter rules)."""
    kind = target.kind
    covers = {
        "--lib": kind is TargetKind.LIB,
        "--bins": kind is TargetKind.BIN,
        "--examples": kind is TargetKind.EXAMPLE,
        "--tests": target.test,  # `Target::tested`: lib, bins, tests, and anything with `test = true`
        "--benches": target.bench,  # `Target::benched`: lib, bins, benches by default
        "--all-targets": kind in {TargetKind.LIB, TargetKind.BIN, TargetKind.EXAMPLE}
        or target.test
        or target.bench,
    }
    return covers.get(flag, False)


def _chosen(args: CargoTestArgs) -> str:
    named = [f"{flag} {n}" for _, flag, names in _named_lists(args) for n in names]
    return " ".join([*args.target_flags, *named])


def _target_runs(args: CargoTestArgs, target: Target, doc: bool) -> tuple[bool, str]:
    """Whether the command's target selection runs this target's tests, and which flag decides."""
    if doc:
        if args.has("--doc"):
            if not target.doctestable:
                return False, f"`--doc` finds no doc-tests: crate type {list(target.crate_types)}"
            return True, "`--doc` runs the library's doc-tests"
        if args.target_selected:
            return False, f"`{_chosen(args)}` builds no doc-tests (only a plain `cargo test` or `--doc` does)"
        if args.testname is not None:
            return False, _TESTNAME_RULE.format(args.testname) + ", so no doc-tests"
        if not target.doctest:
            return False, "the library sets `doctest = false`, so a plain `cargo test` skips its doc-tests"
        if not target.doctestable:
            return False, f"crate type {list(target.crate_types)} has no doc-tests"
        return True, "a plain `cargo test` runs the library's doc-tests"
    what = _describe(target)
    if args.has("--doc"):
        return False, f"`--doc` runs only doc-tests, not {what}"
    if not args.target_selected and args.testname is not None:
        if target.kind is TargetKind.LIB or target.test:
            return True, _TESTNAME_RULE.format(args.testname) + f", which include {what}"
        return False, _TESTNAME_RULE.format(args.testname) + f", and {what} sets `test = false`"
    if not args.target_selected:
        if target.test:
            return True, f"a plain `cargo test` runs {what}"
        return False, f"{what} sets `test = false`, so a plain `cargo test` does not run it"
    for kind, flag, patterns in _named_lists(args):
        for pattern in patterns:
            if kind is target.kind and _names_match(pattern, target.name):
                return True, f"`{flag} {pattern}` runs {what}"
    for flag in args.target_flags:
        if _flag_covers(flag, target):
            return True, f"`{flag}` runs {what}"
    return False, f"`{_chosen(args)}` does not select {what}"


def _doc_name(test: RustTest, pkg: Package, workspace: Workspace) -> str:
    """Doc-test names as cargo prints them: the source path is relative to the workspace root."""
    prefix = posixpath.relpath(pkg.dir or ".", workspace.root or ".")
    if prefix == "." or test.full_name.startswith(prefix + "/"):
        return test.full_name
    return f"{prefix}/{test.full_name}"


def _filter_verdict(lt: LibtestArgs, name: str, test: RustTest) -> Selection | None:
    def hit(pattern: str) -> bool:
        return name == pattern if lt.exact else pattern in name

    if lt.filters and not any(hit(f) for f in lt.filters):
        shown = ", ".join(f"`{f}`" for f in lt.filters)
        relation = "equal to" if lt.exact else "a substring of"
        which = "the name filter" if len(lt.filters) == 1 else "none of the name filters"
        verb = "is not" if len(lt.filters) == 1 else "is"
        exact = " (`--exact`)" if lt.exact else ""
        return _no(NotRunReason.FILTERED, f"{which} {shown} {verb} {relation} `{name}`{exact}")
    for pattern in lt.skip:
        if hit(pattern):
            return _no(NotRunReason.FILTERED, f"the step passes `--skip {pattern}`, which matches `{name}`")
    if lt.exclude_should_panic and test.should_panic:
        return _no(NotRunReason.FILTERED, f"`--exclude-should-panic` drops `{name}`")
    if test.ignored and not (lt.ignored or lt.include_ignored):
        return _no(
            NotRunReason.IGNORED,
            f"`{name}` is `#[ignore]`d and the step passes neither `--ignored` nor `--include-ignored`",
        )
    if lt.ignored and not test.ignored:
        return _no(
            NotRunReason.FILTERED,
            f"the step passes `--ignored`, which runs only ignored tests, and `{name}` is not ignored",
        )
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Scope:
    """What one command builds, whatever the test: its packages, their features, cargo's refusal."""

    selected: tuple[Package, ...] = ()
    how: str = ""
    package_error: str | None = None  # cargo refuses the package selection
    error: str | None = None  # cargo refuses the features or the named targets
    features: Mapping[str, frozenset[str]] = field(default_factory=dict)


# A check asks about a few commands thousands of times (once per cited test), so each command's
# scope is worked out once per workspace object. Keyed by identity: hashing a workspace costs more
# than the work saved. Each entry holds its workspace, so that id cannot be reused while cached.
_SCOPES: dict[tuple[int, tuple[str, ...], str], tuple[Workspace, _Scope]] = {}
_MAX_SCOPES = 1024


def _scope(args: CargoTestArgs, argv: tuple[str, ...], cwd: str, workspace: Workspace) -> _Scope:
    key = (id(workspace), argv, cwd)
    cached = _SCOPES.get(key)
    if cached is not None and cached[0] is workspace:
        return cached[1]
    scope = _work_out_scope(args, cwd, workspace)
    if len(_SCOPES) >= _MAX_SCOPES:
        _SCOPES.clear()
    _SCOPES[key] = (workspace, scope)
    return scope


def _work_out_scope(args: CargoTestArgs, cwd: str, workspace: Workspace) -> _Scope:
    selected, how, error = _select_packages(args, workspace, cwd)
    if error is not None:
        return _Scope(package_error=error)
    requests, error = cli_feature_requests(args, workspace, selected, _current_package(args, workspace, cwd))
    if error is not None:
        return _Scope(selected=selected, how=how, error=error)
    features = resolve_features(workspace, requests, target=args.target)
    error = _command_error(args, selected, features)
    return _Scope(selected=selected, how=how, error=error, features=features)


def select_rust(argv: Sequence[str], *, cwd: str, workspace: Workspace, test: RustTest) -> Selection:
    """Would `argv`, run in repo-relative `cwd`, run `test`? `workspace` must be loaded for that cwd."""
    args = parse_cargo_test(tuple(argv))
    if args is None:
        return _no(NotRunReason.NOT_A_TEST_COMMAND, f"`{shlex.join(argv)}` is not a `cargo test` command")
    lt = args.libtest
    stops = [
        (bool(args.errors), f"cargo rejects the command: {args.errors[0] if args.errors else ''}"),
        (args.help or lt.help, "`--help` prints usage and runs no test"),
        (args.no_run, "`--no-run` compiles the tests but runs none"),
        (lt.list_only, "`--list` lists the tests but runs none"),
        (bool(lt.errors), f"every test binary rejects its arguments: {lt.errors[0] if lt.errors else ''}"),
    ]
    for stop, detail in stops:
        if stop:
            return _no(NotRunReason.NOT_A_TEST_COMMAND, detail)
    start = args.start_dir(cwd)
    if not (workspace.root in {"", start} or start.startswith(workspace.root + "/")):
        detail = (
            f"cargo starts from `{start or '.'}`, outside the workspace at `{workspace.root}` given to parity"
        )
        return _no(NotRunReason.PACKAGE_NOT_SELECTED, detail, certain=False)
    pkg = workspace.package(test.package)
    if pkg is None:
        return _no(
            NotRunReason.PACKAGE_NOT_SELECTED,
            f"package `{test.package}` is not a member of the workspace at `{workspace.root or '.'}`",
        )
    scope = _scope(args, tuple(argv), cwd, workspace)
    if scope.package_error is not None:
        return _no(NotRunReason.NOT_A_TEST_COMMAND, f"cargo rejects the command: {scope.package_error}")
    how = scope.how
    if pkg not in scope.selected:
        return _no(NotRunReason.PACKAGE_NOT_SELECTED, f"{how} does not select package `{pkg.name}`")
    if scope.error is not None:
        return _no(NotRunReason.NOT_A_TEST_COMMAND, f"cargo rejects the command: {scope.error}")
    features = scope.features
    doc = test.target_kind == "doc"
    try:
        target = pkg.lib if doc else pkg.target(TargetKind(test.target_kind), test.target_name)
    except ValueError:
        target = None
    if target is None:
        kind = "library" if doc else f"{test.target_kind} target `{test.target_name}`"
        return _no(
            NotRunReason.NOT_COLLECTED, f"package `{pkg.name}` has no {kind}, so the test is never compiled"
        )
    runs, why = _target_runs(args, target, doc)
    if not runs:
        reason = NotRunReason.DOCTESTS_NOT_SELECTED if doc else NotRunReason.TARGET_NOT_SELECTED
        return _no(reason, why)
    on = features.get(pkg.name, frozenset())
    feature_words = ", ".join(f"`{f}`" for f in sorted(on)) or "none"
    missing = [f for f in target.required_features if f not in on] if not doc else []
    if missing:
        need = ", ".join(f"`{f}`" for f in missing)
        return _no(
            NotRunReason.FEATURE_GATED,
            f"{_describe(target)} has `required-features` {need}, which the step does not enable"
            f" (enabled: {feature_words}), so cargo skips it",
        )
    certain = target.harness
    unknown: list[str] = []
    for predicate in test.cfg:
        holds = evaluate_cfg(
            predicate,
            features=on,
            test=not doc,
            doctest=doc,
            debug_assertions=not args.release,
            target=args.target,
        )
        if holds is False:
            return _no(
                NotRunReason.FEATURE_GATED,
                f"`#[cfg({predicate})]` is false for this step (features of `{pkg.name}`: {feature_words}),"
                " so the test is compiled out",
            )
        if holds is None:
            unknown.append(predicate)
            certain = False
    name = _doc_name(test, pkg, workspace) if doc else test.full_name
    verdict = _filter_verdict(lt, name, test)
    if verdict is not None:
        return verdict._replace(certain=verdict.certain and certain)
    notes = "" if not unknown else f" (assuming `cfg({unknown[0]})` holds: parity cannot evaluate it)"
    if not target.harness:
        notes += " (the target sets `harness = false`, so its own `main` decides what runs)"
    return Selection(
        selected=True,
        reason=None,
        detail=f"{how} selects package `{pkg.name}` and {why}{notes}",
        certain=certain,
    )
