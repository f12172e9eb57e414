"""Work out which features each workspace package is built with under one `cargo test` command."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from parity.cargotoml import Dependency, DepKind, Package, Workspace
from parity.cfgexpr import evaluate_cfg

if TYPE_CHECKING:
    from collections.abc import Mapping

    from parity.cargoargs import CargoTestArgs

__all__ = ["FeatureRequest", "cli_feature_requests", "resolve_features"]

_HOST_TRIPLE = "x86_64-unknown-linux-gnu"


class FeatureRequest(NamedTuple):
    """What the command line asks of one selected package."""

    features: frozenset[str]  # plain names, or `dep/feat` values
    all_features: bool
    uses_default: bool


def _plural(items: list[str]) -> str:
    return ("this feature: " if len(items) == 1 else "these features: ") + ", ".join(items)


def cli_feature_requests(
    args: CargoTestArgs, workspace: Workspace, selected: tuple[Package, ...], current: Package | None
) -> tuple[dict[str, FeatureRequest], str | None]:
    """Apply `--features`/`--all-features`/`--no-default-features` to the selected packages.

    Follows cargo's `Workspace::members_with_features`: with resolver 2 (or any virtual
    workspace) each selected package takes the requested features it has; a feature no
    selected package has is an error. With resolver 1 in a root package, plain features
    go to the package in the current directory and `member/feat` to that member.
    """
    uses_default = not args.no_default_features
    if workspace.virtual or workspace.resolver >= 2:
        found: set[str] = set()
        requests: dict[str, FeatureRequest] = {}
        for pkg in selected:
            mine: set[str] = set()
            dep_names = {d.name for d in pkg.dependencies}
            for value in args.features:
                dep, slash, feat = value.partition("/")
                if slash and dep.rstrip("?") in dep_names:
                    mine.add(value)
                elif slash and dep == pkg.name and feat in pkg.features:
                    mine.add(feat)
                elif not slash and value in pkg.features:
                    mine.add(value)
                else:
                    continue
                found.add(value)
            requests[pkg.name] = FeatureRequest(frozenset(mine), args.all_features, uses_default)
        missing = sorted(set(args.features) - found)
        if missing and selected:
            if len(selected) == 1:
                return {}, f"the package '{selected[0].name}' does not contain {_plural(missing)}"
            return {}, f"none of the selected packages contains {_plural(missing)}"
        return requests, None
    member_names = {p.name for p in workspace.members}
    own: set[str] = set()
    specific: dict[str, set[str]] = {}
    for value in args.features:
        dep, slash, feat = value.partition("/")
        is_other = current is None or dep != current.name
        if slash and dep in member_names and is_other and dep in {p.name for p in selected}:
            specific.setdefault(dep, set()).add(feat)
        else:
            own.add(value)
    requests = {}
    for pkg in selected:
        if current is not None and pkg.name == current.name:
            requests[pkg.name] = FeatureRequest(frozenset(own), args.all_features, uses_default)
        else:
            feats = frozenset(specific.get(pkg.name, set()))
            requests[pkg.name] = FeatureRequest(feats, args.all_features, uses_default=True)
    return requests, None


def _platform_holds(dep: Dependency, target: str | None) -> bool:
    if dep.platform is None:
        return True
    if dep.platform.startswith("cfg("):
        # An unknown platform cfg keeps the dependency: better to over- than under-enable.
        return evaluate_cfg(dep.platform, features=frozenset(), target=target) is not False
    return dep.platform == (target or _HOST_TRIPLE)


def resolve_features(
    workspace: Workspace, roots: Mapping[str, FeatureRequest], *, target: str | None = None
) -> dict[str, frozenset[str]]:
    """The features each workspace package is compiled with when `roots` are tested.

    Unifies across path dependencies between members as cargo's feature resolver does
    for a test build: normal dependencies always, dev-dependencies of the tested (root)
    packages only, build-dependencies only with resolver 1 (resolver 2 builds them apart).
    """
    wanted: dict[str, set[str]] = {}
    for name, request in roots.items():
        pkg = workspace.package(name)
        if pkg is None:
            continue
        start = set(pkg.features) if request.all_features else set(request.features)
        if request.uses_default:
            start.add("default")
        wanted[name] = start
    changed = True
    while changed:
        changed = False
        for name in list(wanted):
            pkg = workspace.package(name)
            if pkg is None:
                continue
            _, external = pkg.feature_closure(wanted[name])
            active = {v[4:] for v in external if v.startswith("dep:")}
            active |= {v.partition("/")[0] for v in external if "/" in v and "?/" not in v}
            for dep in pkg.dependencies:
                if dep.kind is DepKind.DEV and name not in roots:
                    continue
                if dep.kind is DepKind.BUILD and workspace.resolver >= 2:
                    continue
                if (dep.optional and dep.name not in active) or not _platform_holds(dep, target):
                    continue
                member = workspace.member_for_dependency(dep)
                if member is None:
                    continue
                want = set(dep.features) | ({"default"} if dep.default_features else set())
                for value in external:
                    dep_name, slash, feat = value.removeprefix("dep:").partition("/")
                    if slash and dep_name.rstrip("?") == dep.name:
                        want.add(feat)
                have = wanted.setdefault(member.name, set())
                if not want <= have:
                    have |= want
                    changed = True
    resolved: dict[str, frozenset[str]] = {}
    for name, start in wanted.items():
        pkg = workspace.package(name)
        if pkg is not None:
            resolved[name] = pkg.feature_closure(start)[0]
    return resolved
