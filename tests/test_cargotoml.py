"""Cargo workspace model: goldens per fixture tree, exact errors, features, and `cargo metadata` agreement."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from parity.cargotoml import Package, TargetKind, Workspace, load_workspace
from parity.errors import InputError

DATA = Path(__file__).parent / "data" / "selection" / "cargotoml"
RUSTWS = Path(__file__).parent / "data" / "selection" / "rustws"
CASES = [
    ("virtual_globs", ""),
    ("virtual_globs", "crates/alpha/src"),
    ("virtual_globs", "crates/skipped"),
    ("root_package", ""),
    ("root_package", "member"),
    ("single_package", ""),
]


def _as_json(ws: Workspace) -> dict[str, object]:
    return {
        "root": ws.root,
        "virtual": ws.virtual,
        "resolver": ws.resolver,
        "current": ws.current,
        "default_members": list(ws.default_members),
        "members": [
            {
                "name": p.name,
                "dir": p.dir,
                "manifest": p.manifest,
                "edition": p.edition,
                "features": {k: list(v) for k, v in sorted(p.features.items())},
                "targets": [
                    {
                        "kind": t.kind.value,
                        "name": t.name,
                        "path": t.path,
                        "test": t.test,
                        "bench": t.bench,
                        "doctest": t.doctest,
                        "harness": t.harness,
                        "required_features": list(t.required_features),
                        "crate_types": list(t.crate_types),
                    }
                    for t in p.targets
                ],
                "dependencies": [
                    {
                        "name": d.name,
                        "package": d.package,
                        "kind": d.kind.value,
                        "path": d.path,
                        "optional": d.optional,
                        "default_features": d.default_features,
                        "features": list(d.features),
                        "platform": d.platform,
                    }
                    for d in p.dependencies
                ],
            }
            for p in ws.members
        ],
    }


@pytest.mark.parametrize(("case", "cwd"), CASES)
def test_golden(case: str, cwd: str) -> None:
    actual = _as_json(load_workspace(DATA / case, cwd))
    slug = cwd.replace("/", "_") or "root"
    golden = DATA / f"{case}@{slug}.expected.json"
    if os.environ.get("PARITY_UPDATE_GOLDENS") == "1":
        golden.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_virtual_workspace_members_and_defaults() -> None:
    ws = load_workspace(DATA / "virtual_globs", "crates/alpha/src")
    # `crates/README.md` matches the glob but is no directory; `crates/skipped` is excluded;
    # `libs/helper` joins as a path dependency under the root.
    assert [p.name for p in ws.members] == ["alpha-core", "beta", "gen", "helper"]
    assert ws.default_members == ("alpha-core",)
    assert ws.current == "alpha-core"
    assert ws.virtual is True
    assert ws.resolver == 2


def test_excluded_package_is_its_own_workspace() -> None:
    ws = load_workspace(DATA / "virtual_globs", "crates/skipped")
    assert (ws.root, [p.name for p in ws.members], ws.current) == ("crates/skipped", ["skipped"], "skipped")


def test_package_for_path_picks_the_deepest_member() -> None:
    ws = load_workspace(DATA / "root_package")
    root_pkg = ws.package_for_path("src/main.rs")
    member = ws.package_for_path("member/src/lib.rs")
    assert (root_pkg.name if root_pkg else None, member.name if member else None) == ("root-app", "member")
    assert ws.package("nope") is None


def test_targets_of_root_package() -> None:
    ws = load_workspace(DATA / "root_package")
    pkg = ws.package("root-app")
    assert pkg is not None
    lib = pkg.lib
    assert lib is not None
    assert (lib.name, lib.path, lib.test, lib.doctest, lib.doctestable) == (
        "rootlib",
        "src/mylib.rs",
        False,
        True,
        False,  # a cdylib has no doc-tests
    )
    assert [t.name for t in pkg.targets_of(TargetKind.BIN)] == ["quiet", "root-app", "loud", "multi"]
    assert pkg.targets_of(TargetKind.BENCH) == ()  # autobenches = false
    demo = pkg.target(TargetKind.EXAMPLE, "demo")
    assert demo is not None
    assert (demo.test, demo.required_features) == (True, ("extras",))
    assert ws.resolver == 2  # edition 2021 root package
    assert ws.default_members == ("root-app",)


def test_autotests_false_keeps_only_explicit_tests() -> None:
    pkg = load_workspace(DATA / "single_package").package("single")
    assert pkg is not None
    tests = pkg.targets_of(TargetKind.TEST)
    assert [(t.name, t.path, t.harness) for t in tests] == [
        ("custom", "checks/custom.rs", False),
        ("suite", "tests/suite/main.rs", True),
    ]


def _features(
    pkg: Package | None, requested: set[str], *, all_features: bool = False, no_default: bool = False
) -> list[str]:
    assert pkg is not None
    return sorted(pkg.enabled_features(requested, all_features, no_default))


def test_enabled_features_closure() -> None:
    ws = load_workspace(DATA / "virtual_globs")
    alpha = ws.package("alpha-core")
    assert _features(alpha, set()) == ["default", "json"]
    assert _features(alpha, set(), no_default=True) == []
    # `beta/extra` (not weak) turns on the implicit feature `beta`; `dep:gamma` and
    # `helper?/slow` turn on nothing local.
    assert _features(alpha, {"full"}, no_default=True) == ["beta", "full", "json"]
    assert _features(alpha, set(), all_features=True) == [
        "beta",
        "default",
        "full",
        "helper",
        "json",
        "unixonly",
    ]
    assert _features(alpha, {"nope"}, no_default=True) == []


def test_workspace_dependency_inheritance() -> None:
    alpha = load_workspace(DATA / "virtual_globs").package("alpha-core")
    assert alpha is not None
    helper = next(d for d in alpha.dependencies if d.name == "helper")
    assert (helper.path, helper.features, helper.default_features, helper.optional) == (
        "libs/helper",
        ("fast", "slow"),
        False,
        True,
    )


@pytest.mark.parametrize(
    ("case", "cwd", "message"),
    [
        (
            "bad_toml",
            "",
            "Cargo.toml:3: invalid TOML: Expected newline or end of document after a statement"
            " (cargo cannot read this manifest either)",
        ),
        (
            "missing_member",
            "",
            "Cargo.toml: workspace member `crates/ghost` has no Cargo.toml"
            " (cargo fails with 'failed to load manifest for workspace member')",
        ),
        (
            "not_a_member",
            "crates/stray/src",
            "crates/stray/Cargo.toml: package believes it is in the workspace at `.` but is not a member"
            " (add it to `workspace.members` or `workspace.exclude`, as cargo asks)",
        ),
    ],
)
def test_errors(case: str, cwd: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_workspace(DATA / case, cwd)
    assert str(caught.value) == message


def test_no_manifest_anywhere(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    with pytest.raises(InputError) as caught:
        load_workspace(tmp_path, "sub")
    assert str(caught.value) == "sub: no Cargo.toml here or in any parent directory (cargo would fail here)"


_LIB_KINDS = {"lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro"}


def _from_metadata(root: Path, cwd: str) -> tuple[dict[str, object], list[str], list[str]]:
    raw = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
        cwd=root / cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(raw)
    names = {p["id"]: p["name"] for p in data["packages"]}
    packages = {}
    for p in data["packages"]:
        pkg_dir = Path(p["manifest_path"]).parent
        targets = sorted(
            (
                "lib" if t["kind"][0] in _LIB_KINDS else t["kind"][0],
                t["name"],
                Path(t["src_path"]).relative_to(pkg_dir).as_posix(),
                t["test"],
                t["doctest"],
                tuple(t.get("required-features") or ()),
            )
            for t in p["targets"]
        )
        packages[p["name"]] = {
            "features": {k: sorted(v) for k, v in p["features"].items()},
            "targets": targets,
        }
    members = sorted(names[m] for m in data["workspace_members"])
    defaults = sorted(names[m] for m in data["workspace_default_members"])
    return packages, members, defaults


def _from_parity(root: Path, cwd: str) -> tuple[dict[str, object], list[str], list[str]]:
    ws = load_workspace(root, cwd)
    packages: dict[str, object] = {
        p.name: {
            "features": {k: sorted(v) for k, v in p.features.items()},
            "targets": sorted(
                (t.kind.value, t.name, t.path, t.test, t.doctest and t.doctestable, t.required_features)
                for t in p.targets
            ),
        }
        for p in ws.members
    }
    current = ws.package(ws.current) if ws.current else None
    # `cargo metadata` reports the package of the current directory as the default member.
    defaults = sorted(ws.default_members) if current is None or current.dir == ws.root else [current.name]
    return packages, sorted(p.name for p in ws.members), defaults


@pytest.mark.cargo
@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
@pytest.mark.parametrize(
    ("root", "cwd"),
    [
        (DATA / "virtual_globs", ""),
        (DATA / "virtual_globs", "crates/alpha/src"),
        (DATA / "virtual_globs", "crates/skipped"),
        (DATA / "root_package", ""),
        (DATA / "root_package", "member"),
        (DATA / "single_package", ""),
        (RUSTWS, ""),
        (RUSTWS, "crates/arco-api"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else (v or "root"),
)
def test_agrees_with_cargo_metadata(root: Path, cwd: str, tmp_path: Path) -> None:
    copy = tmp_path / root.name
    shutil.copytree(root, copy)
    assert _from_parity(copy, cwd) == _from_metadata(copy, cwd)
