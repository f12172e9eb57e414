"""Static test selection: exact verdicts for every flag, then reality checks against cargo and pytest."""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from parity.cargotoml import load_workspace
from parity.pytestconfig import RepoFiles, load_pytest_config
from parity.selection import NotRunReason, PythonTest, RustTest, Selection, select_python, select_rust

DATA = Path(__file__).parent / "data" / "selection"
RUSTWS = DATA / "rustws"
F = "arco-flow"


def _rust(
    kind: str,
    target: str,
    name: str,
    *,
    cfg: tuple[str, ...] = ("test",),
    ignored: bool = False,
    package: str = F,
) -> RustTest:
    return RustTest(
        package=package, target_kind=kind, target_name=target, full_name=name, cfg=cfg, ignored=ignored
    )


M2 = _rust(
    "test",
    "orchestration_parity_gates_m2",
    "parity_m2_poll_sensor_should_evaluate_enforces_min_interval",
    cfg=(),
)
M2_CURSOR = _rust("test", "orchestration_parity_gates_m2", "parity_m2_cursor_survives_reload", cfg=())
SENSOR = _rust(
    "test", "orchestration_sensor_tests", "test_sensor_eval_idempotency_dedupes_duplicate_message", cfg=()
)
LOOKALIKE = _rust("test", "orchestration_sensor_tests", "parity_m2_lookalike_in_sensor_tests", cfg=())
LIB = _rust(
    "lib", "arco_flow", "orchestration::run_key::tests::test_reserve_run_key_duplicate_returns_existing"
)
BASIC = _rust("lib", "arco_flow", "tests::test_lib_basic")
MOCK = _rust("lib", "arco_flow", "tests::test_lib_mock", cfg=("test", 'feature = "mock"'))
NO_STD = _rust("lib", "arco_flow", "tests::test_lib_no_std", cfg=("test", 'not(feature = "std")'))
IGNORED = _rust("lib", "arco_flow", "tests::test_lib_ignored", ignored=True)
BIN = _rust("bin", "flowctl", "test_flowctl_runs", cfg=())
DOC = _rust("doc", "arco_flow", "src/lib.rs - add (line 7)", cfg=())
DOC_RUN_KEY = _rust(
    "doc",
    "arco_flow",
    "src/orchestration/run_key.rs - orchestration::run_key::reserve_run_key (line 3)",
    cfg=(),
)
API = _rust(
    "lib", "arco_api", "tests::test_trigger_run_conflicts_on_fingerprint_mismatch", package="arco-api"
)
API_DOC = _rust("doc", "arco_api", "src/lib.rs - trigger_run (line 3)", cfg=(), package="arco-api")
ALL_RUST = (
    M2,
    M2_CURSOR,
    SENSOR,
    LOOKALIKE,
    LIB,
    BASIC,
    MOCK,
    NO_STD,
    IGNORED,
    BIN,
    DOC,
    DOC_RUN_KEY,
    API,
    API_DOC,
)


def rust(command: str, test: RustTest, *, cwd: str = "", root: Path = RUSTWS) -> Selection:
    return select_rust(shlex.split(command), cwd=cwd, workspace=load_workspace(root, cwd), test=test)


def _yes(detail: str) -> Selection:
    return Selection(selected=True, reason=None, detail=detail)


def _no(reason: NotRunReason, detail: str) -> Selection:
    return Selection(selected=False, reason=reason, detail=detail)


SKIP_CMD = "cargo test -p arco-flow --features test-utils --tests -- --skip parity_m2_"
REJECTS = NotRunReason.NOT_A_TEST_COMMAND
RUST_CASES = [
    # The brief's examples: `--skip`, `--tests` vs the library, `--lib`, `--exclude`.
    (SKIP_CMD, M2, _no(NotRunReason.FILTERED, "the step passes `--skip parity_m2_`, which matches `parity_m2_poll_sensor_should_evaluate_enforces_min_interval`")),
    (SKIP_CMD, LIB, _yes("`-p arco-flow` selects package `arco-flow` and `--tests` runs the library")),
    (SKIP_CMD, SENSOR, _yes("`-p arco-flow` selects package `arco-flow` and `--tests` runs integration test `orchestration_sensor_tests`")),
    (SKIP_CMD, DOC, _no(NotRunReason.DOCTESTS_NOT_SELECTED, "`--tests` builds no doc-tests (only a plain `cargo test` or `--doc` does)")),
    ("cargo test -p arco-flow --features test-utils --lib", M2, _no(NotRunReason.TARGET_NOT_SELECTED, "`--lib` does not select integration test `orchestration_parity_gates_m2`")),
    ("cargo test --workspace --all-features --exclude arco-flow", LIB, _no(NotRunReason.PACKAGE_NOT_SELECTED, "`--workspace --exclude arco-flow` does not select package `arco-flow`")),
    ("cargo test --workspace --all-features --exclude arco-flow", API, _yes("`--workspace --exclude arco-flow` selects package `arco-api` and a plain `cargo test` runs the library")),
    # Feature gates: `#[cfg(feature)]` and `required-features`; unification through arco-api's dependency.
    ("cargo test -p arco-flow", MOCK, _no(NotRunReason.FEATURE_GATED, '`#[cfg(feature = "mock")]` is false for this step (features of `arco-flow`: `default`, `std`), so the test is compiled out')),
    ("cargo test -p arco-flow --features test-utils", MOCK, _yes("`-p arco-flow` selects package `arco-flow` and a plain `cargo test` runs the library")),
    ("cargo test --workspace", MOCK, _yes("`--workspace` selects package `arco-flow` and a plain `cargo test` runs the library")),
    ("cargo test -p arco-flow --no-default-features", NO_STD, _yes("`-p arco-flow` selects package `arco-flow` and a plain `cargo test` runs the library")),
    ("cargo test --workspace --no-default-features", NO_STD, _no(NotRunReason.FEATURE_GATED, '`#[cfg(not(feature = "std"))]` is false for this step (features of `arco-flow`: `default`, `mock`, `std`), so the test is compiled out')),
    ("cargo test -p arco-flow --tests", M2, _no(NotRunReason.FEATURE_GATED, "integration test `orchestration_parity_gates_m2` has `required-features` `test-utils`, which the step does not enable (enabled: `default`, `std`), so cargo skips it")),
    ("cargo test -p arco-flow --features arco-flow/test-utils --tests", M2, _yes("`-p arco-flow` selects package `arco-flow` and `--tests` runs integration test `orchestration_parity_gates_m2`")),
    ("cargo test -p arco-flow --all-features --test 'orchestration_*'", M2, _yes("`-p arco-flow` selects package `arco-flow` and `--test orchestration_*` runs integration test `orchestration_parity_gates_m2`")),
    # libtest filters: positional, `--exact`, several filters, `--ignored`, `--include-ignored`.
    ("cargo test -p arco-flow -- --exact tests::test_lib_basic", LIB, _no(NotRunReason.FILTERED, "the name filter `tests::test_lib_basic` is not equal to `orchestration::run_key::tests::test_reserve_run_key_duplicate_returns_existing` (`--exact`)")),
    ("cargo test -p arco-flow -- --exact tests::test_lib_basic", BASIC, _yes("`-p arco-flow` selects package `arco-flow` and a plain `cargo test` runs the library")),
    ("cargo test -p arco-flow -- flowctl lib_basic", LIB, _no(NotRunReason.FILTERED, "none of the name filters `flowctl`, `lib_basic` is a substring of `orchestration::run_key::tests::test_reserve_run_key_duplicate_returns_existing`")),
    ("cargo test -p arco-flow", IGNORED, _no(NotRunReason.IGNORED, "`tests::test_lib_ignored` is `#[ignore]`d and the step passes neither `--ignored` nor `--include-ignored`")),
    ("cargo test -p arco-flow -- --ignored", IGNORED, _yes("`-p arco-flow` selects package `arco-flow` and a plain `cargo test` runs the library")),
    ("cargo test -p arco-flow -- --ignored", BASIC, _no(NotRunReason.FILTERED, "the step passes `--ignored`, which runs only ignored tests, and `tests::test_lib_basic` is not ignored")),
    ("cargo test -p arco-flow -- --include-ignored", IGNORED, _yes("`-p arco-flow` selects package `arco-flow` and a plain `cargo test` runs the library")),
    # Doc-tests: plain run, `--doc`, `doctest = false`, a positional TESTNAME.
    ("cargo test -p arco-flow", DOC, _yes("`-p arco-flow` selects package `arco-flow` and a plain `cargo test` runs the library's doc-tests")),
    ("cargo test -p arco-flow --doc", DOC_RUN_KEY, _yes("`-p arco-flow` selects package `arco-flow` and `--doc` runs the library's doc-tests")),
    ("cargo test -p arco-flow --doc", BASIC, _no(NotRunReason.TARGET_NOT_SELECTED, "`--doc` runs only doc-tests, not the library")),
    ("cargo test -p arco-flow --all-targets", DOC, _no(NotRunReason.DOCTESTS_NOT_SELECTED, "`--all-targets` builds no doc-tests (only a plain `cargo test` or `--doc` does)")),
    ("cargo test --workspace", API_DOC, _no(NotRunReason.DOCTESTS_NOT_SELECTED, "the library sets `doctest = false`, so a plain `cargo test` skips its doc-tests")),
    ("cargo test -p arco-flow run_key", DOC_RUN_KEY, _no(NotRunReason.DOCTESTS_NOT_SELECTED, "the positional filter `run_key` makes cargo build only the library and test targets, so no doc-tests")),
    ("cargo test -p arco-flow -- crates/arco-flow/src/lib.rs", DOC, _yes("`-p arco-flow` selects package `arco-flow` and a plain `cargo test` runs the library's doc-tests")),
    # Package selection: default members, globs, spellings.
    ("cargo test", API, _no(NotRunReason.PACKAGE_NOT_SELECTED, "running at the workspace root with no `-p` (default members: `arco-flow`) does not select package `arco-api`")),
    ("cargo test -p 'arco-*' --lib", API, _yes("`-p arco-*` selects package `arco-api` and `--lib` runs the library")),
    ("cargo test --package=arco-api -parco-flow --bins", BIN, _yes("`-p arco-api -p arco-flow` selects package `arco-flow` and `--bins` runs binary `flowctl`")),
    ("cargo +stable t --all -- --skip tests::", BIN, _yes("`--all` selects package `arco-flow` and a plain `cargo test` runs binary `flowctl`")),
    ("cargo test --manifest-path crates/arco-api/Cargo.toml", API, _yes("`--manifest-path crates/arco-api/Cargo.toml` with no `-p` selects package `arco-api` and a plain `cargo test` runs the library")),
    # Commands that run nothing, or that cargo or libtest refuse.
    ("cargo build", M2, _no(REJECTS, "`cargo build` is not a `cargo test` command")),
    ("cargo test --no-run", M2, _no(REJECTS, "`--no-run` compiles the tests but runs none")),
    ("cargo test -- --list", M2, _no(REJECTS, "`--list` lists the tests but runs none")),
    ("cargo test -- --bogus", M2, _no(REJECTS, "every test binary rejects its arguments: Unrecognized option: 'bogus'")),
    ("cargo test -p arco-flow --exclude arco-api", M2, _no(REJECTS, "cargo rejects the command: --exclude can only be used together with --workspace")),
    ("cargo test -p arco-flow --features nope", M2, _no(REJECTS, "cargo rejects the command: the package 'arco-flow' does not contain this feature: nope")),
    ("cargo test -p arco-flow -p arco-api --features nope,bad", M2, _no(REJECTS, "cargo rejects the command: none of the selected packages contains these features: bad, nope")),
    ("cargo test -p arco-flow --test orchestration_parity_gates_m2", M2, _no(REJECTS, "cargo rejects the command: target `orchestration_parity_gates_m2` in package `arco-flow` requires the features: `test-utils`")),
    ("cargo test -p arco-flow --test nope", M2, _no(REJECTS, "cargo rejects the command: no test target named `nope`")),
    ("cargo test -p arco-api --doc --lib", API, _no(REJECTS, "cargo rejects the command: Can't mix --doc with other target selecting options")),
    ("cargo test -p 'zz*'", M2, _no(REJECTS, "cargo rejects the command: package pattern(s) `zz*` not found in workspace `.`")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "test", "expected"), RUST_CASES, ids=[f"{c} | {t.full_name}" for c, t, _ in RUST_CASES]
)
def test_select_rust(command: str, test: RustTest, expected: Selection) -> None:
    assert rust(command, test) == expected


def test_each_command_is_worked_out_once_per_workspace_object() -> None:
    workspace = load_workspace(RUSTWS, "")
    for _ in range(2):  # the second round reuses every command's scope from the first
        for command, test, expected in RUST_CASES:
            assert select_rust(shlex.split(command), cwd="", workspace=workspace, test=test) == expected
    # An equal-looking command in another workspace object is worked out afresh.
    before = select_rust(["cargo", "test"], cwd="", workspace=workspace, test=API)
    assert before.reason is NotRunReason.PACKAGE_NOT_SELECTED
    moved = dataclasses.replace(workspace, default_members=("arco-api",))
    after = select_rust(["cargo", "test"], cwd="", workspace=moved, test=API)
    assert after == _yes(
        "running at the workspace root with no `-p` (default members: `arco-api`) selects package "
        "`arco-api` and a plain `cargo test` runs the library"
    )


def test_default_package_follows_the_working_directory() -> None:
    assert rust("cargo test", API, cwd="crates/arco-api/src") == _yes(
        "running in `crates/arco-api/src` with no `-p` selects package `arco-api` and a plain `cargo test` runs the library"
    )
    assert rust("cargo test", LIB, cwd="crates/arco-api") == _no(
        NotRunReason.PACKAGE_NOT_SELECTED,
        "running in `crates/arco-api` with no `-p` does not select package `arco-flow`",
    )


def test_workspace_must_be_loaded_where_cargo_starts() -> None:
    outside = select_rust(
        ["cargo", "test", "--manifest-path", "../elsewhere/Cargo.toml"],
        cwd="",
        workspace=load_workspace(DATA / "cargotoml" / "virtual_globs", "crates/skipped"),
        test=LIB,
    )
    assert outside == Selection(
        selected=False,
        reason=NotRunReason.PACKAGE_NOT_SELECTED,
        detail="cargo starts from `../elsewhere`, outside the workspace at `crates/skipped` given to parity",
        certain=False,
    )


def test_unknown_target_is_never_compiled() -> None:
    ghost = _rust("test", "ghost", "x", cfg=())
    assert rust("cargo test", ghost) == _no(
        NotRunReason.NOT_COLLECTED,
        "package `arco-flow` has no test target `ghost`, so the test is never compiled",
    )
    stranger = _rust("lib", "x", "y", package="stranger")
    assert rust("cargo test", stranger) == _no(
        NotRunReason.PACKAGE_NOT_SELECTED, "package `stranger` is not a member of the workspace at `.`"
    )


def test_unknown_cfg_and_custom_harness_are_uncertain() -> None:
    loom = _rust("lib", "arco_flow", "tests::test_lib_basic", cfg=("test", "loom"))
    assert rust("cargo test -p arco-flow", loom) == Selection(
        selected=True,
        reason=None,
        detail="`-p arco-flow` selects package `arco-flow` and a plain `cargo test` runs the library"
        " (assuming `cfg(loom)` holds: parity cannot evaluate it)",
        certain=False,
    )
    custom = RustTest(package="single", target_kind="test", target_name="custom", full_name="whatever")
    verdict = rust("cargo test --test custom", custom, root=DATA / "cargotoml" / "single_package")
    assert (verdict.selected, verdict.certain) == (True, False)
    assert verdict.detail.endswith("(the target sets `harness = false`, so its own `main` decides what runs)")


def test_release_turns_debug_assertions_off() -> None:
    debug_only = _rust("lib", "arco_flow", "tests::test_lib_basic", cfg=("debug_assertions",))
    assert rust("cargo test -p arco-flow", debug_only).selected is True
    assert rust("cargo test -p arco-flow --release", debug_only).reason is NotRunReason.FEATURE_GATED


def test_resolver_one_sends_plain_features_to_the_current_package(tmp_path: Path) -> None:
    (tmp_path / "member" / "src").mkdir(parents=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "Cargo.toml").write_text(
        '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2018"\n[features]\nx = []\n'
        '[workspace]\nmembers = ["member"]\n',
        encoding="utf-8",
    )
    (tmp_path / "member" / "Cargo.toml").write_text(
        '[package]\nname = "member"\nversion = "0.1.0"\nedition = "2018"\n[features]\nx = []\n',
        encoding="utf-8",
    )
    (tmp_path / "src" / "lib.rs").write_text("", encoding="utf-8")
    (tmp_path / "member" / "src" / "lib.rs").write_text("", encoding="utf-8")
    gated = RustTest(
        package="member", target_kind="lib", target_name="member", full_name="t", cfg=('feature = "x"',)
    )
    assert load_workspace(tmp_path).resolver == 1
    plain = rust("cargo test -p member --features x", gated, root=tmp_path)
    assert plain.reason is NotRunReason.FEATURE_GATED  # `x` went to `app`, the current package
    assert rust("cargo test -p member --features member/x", gated, root=tmp_path).selected is True


# --- pytest -----------------------------------------------------------------------------------

PY_FILES = {
    "pyproject.toml": """\
[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-m 'not slow' -p no:cacheprovider"
markers = ["slow: slow tests", "cli: command line"]
python_files = ["test_*.py", "check_*.py"]
""",
    "tests/unit/__init__.py": "",
    "tests/unit/test_types.py": """\
import pytest


class TestPartitionKey:
    def test_roundtrip(self):
        assert True

    @pytest.mark.slow
    def test_big(self):
        assert True


@pytest.mark.cli
def test_cli_parse():
    assert True


@pytest.mark.parametrize("x", [1, 2], ids=["one", "two"])
def test_param(x):
    assert x


@pytest.mark.skip(reason="later")
def test_later():
    assert False
""",
    "tests/integration/test_cli_api.py": "def test_cli_end_to_end():\n    assert True\n\n\ndef test_other():\n    assert True\n",
    "tests/helpers.py": "def test_not_collected():\n    assert True\n",
    "tests/build/test_in_build.py": "def test_build():\n    assert True\n",
    "tests/check_extra.py": "def test_extra():\n    assert True\n",
    "other/test_outside.py": "def test_outside():\n    assert True\n",
}

ROUNDTRIP = PythonTest(
    file="tests/unit/test_types.py", nodeid_in_file="TestPartitionKey::test_roundtrip", name="test_roundtrip"
)
BIG = PythonTest(
    file="tests/unit/test_types.py",
    nodeid_in_file="TestPartitionKey::test_big",
    name="test_big",
    markers=("slow",),
)
CLI_PARSE = PythonTest(
    file="tests/unit/test_types.py", nodeid_in_file="test_cli_parse", name="test_cli_parse", markers=("cli",)
)
PARAM = PythonTest(
    file="tests/unit/test_types.py", nodeid_in_file="test_param", name="test_param", param_ids=("one", "two")
)
LATER = PythonTest(
    file="tests/unit/test_types.py", nodeid_in_file="test_later", name="test_later", markers=("skip",)
)
END_TO_END = PythonTest(
    file="tests/integration/test_cli_api.py", nodeid_in_file="test_cli_end_to_end", name="test_cli_end_to_end"
)
OTHER = PythonTest(file="tests/integration/test_cli_api.py", nodeid_in_file="test_other", name="test_other")
HELPER = PythonTest(file="tests/helpers.py", nodeid_in_file="test_not_collected", name="test_not_collected")
IN_BUILD = PythonTest(file="tests/build/test_in_build.py", nodeid_in_file="test_build", name="test_build")
EXTRA = PythonTest(file="tests/check_extra.py", nodeid_in_file="test_extra", name="test_extra")
OUTSIDE = PythonTest(file="other/test_outside.py", nodeid_in_file="test_outside", name="test_outside")
ALL_PY = (ROUNDTRIP, BIG, CLI_PARSE, PARAM, LATER, END_TO_END, OTHER, HELPER, IN_BUILD, EXTRA, OUTSIDE)


@pytest.fixture(scope="module")
def pyproj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pyproj")
    for rel, text in PY_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def py(root: Path, command: str, test: PythonTest, *, cwd: str = "") -> Selection:
    argv = shlex.split(command)
    return select_python(argv, cwd=cwd, repo_root=root, config=load_pytest_config(root, cwd, argv), test=test)


DESELECT = NotRunReason.DESELECTED
PY_CASES = [
    ("python -m pytest tests/integration/test_cli_api.py -v", END_TO_END, _yes("collecting `tests/integration/test_cli_api.py` reaches `tests/integration/test_cli_api.py::test_cli_end_to_end`")),
    ("python -m pytest tests/integration/test_cli_api.py -v", ROUNDTRIP, _no(NotRunReason.FILTERED, "the step collects only `tests/integration/test_cli_api.py`, which does not include `tests/unit/test_types.py`")),
    ("pytest tests/unit/test_types.py::TestPartitionKey", ROUNDTRIP, _yes("collecting `tests/unit/test_types.py::TestPartitionKey` reaches `tests/unit/test_types.py::TestPartitionKey::test_roundtrip`")),
    ("pytest tests/unit/test_types.py::TestPartitionKey::test_roundtrip", CLI_PARSE, _no(NotRunReason.FILTERED, "the step names node `tests/unit/test_types.py::TestPartitionKey::test_roundtrip`, not `test_cli_parse`")),
    ("pytest tests/unit/test_types.py::test_param[two]", PARAM, _yes("collecting `tests/unit/test_types.py::test_param[two]` reaches `tests/unit/test_types.py::test_param[two]`; only 1 of 2 cases run: the step names node `tests/unit/test_types.py::test_param[two]`, not `test_param[one]`")),
    # -k matches names of the item, its class, module and directories, and its markers.
    ("pytest -k 'not slow and cli' -m ''", END_TO_END, _yes("collecting the default paths reaches `tests/integration/test_cli_api.py::test_cli_end_to_end`")),
    ("pytest -k 'not slow and cli' -m ''", ROUNDTRIP, _no(DESELECT, "`-k 'not slow and cli'` deselects `test_roundtrip` (it matches against: tests, unit, test_types.py, TestPartitionKey, test_roundtrip)")),
    ("pytest -k 'not slow and cli' -m ''", BIG, _no(DESELECT, "`-k 'not slow and cli'` deselects `test_big` (it matches against: tests, unit, test_types.py, TestPartitionKey, test_big, slow)")),
    ("pytest -k ONE", PARAM, _yes("collecting the default paths reaches `tests/unit/test_types.py::test_param[one]`; only 1 of 2 cases run: `-k ONE` deselects `test_param[two]` (it matches against: tests, unit, test_types.py, test_param[two], parametrize)")),
    # -m, and addopts' -m from pyproject.toml.
    ("pytest", BIG, _no(DESELECT, "`-m 'not slow'` (from `addopts`) deselects `test_big`")),
    ("pytest -m cli", ROUNDTRIP, _no(DESELECT, "`-m cli` deselects `test_roundtrip`")),
    ("pytest -m 'slow or cli'", BIG, _yes("collecting the default paths reaches `tests/unit/test_types.py::TestPartitionKey::test_big`")),
    ("pytest --deselect tests/unit/test_types.py::TestPartitionKey", ROUNDTRIP, _no(DESELECT, "`--deselect tests/unit/test_types.py::TestPartitionKey` deselects `tests/unit/test_types.py::TestPartitionKey::test_roundtrip`")),
    # testpaths, and collection rules.
    ("pytest", OUTSIDE, _no(NotRunReason.FILTERED, "with no path arguments pytest collects `testpaths` `tests`, which does not include `other/test_outside.py`")),
    ("pytest", HELPER, _no(NotRunReason.NOT_COLLECTED, "`helpers.py` does not match `python_files` (`test_*.py`, `check_*.py`)")),
    ("pytest tests/helpers.py", HELPER, _yes("collecting `tests/helpers.py` reaches `tests/helpers.py::test_not_collected`")),
    ("pytest", EXTRA, _yes("collecting the default paths reaches `tests/check_extra.py::test_extra`")),
    ("pytest", IN_BUILD, _no(NotRunReason.NOT_COLLECTED, "`norecursedirs` pattern `build` skips directory `tests/build`")),
    ("pytest tests/build", IN_BUILD, _yes("collecting `tests/build` reaches `tests/build/test_in_build.py::test_build`")),
    ("pytest tests --ignore tests/integration", END_TO_END, _no(NotRunReason.NOT_COLLECTED, "`--ignore tests/integration` skips `tests/integration`")),
    ("pytest --ignore-glob '*/unit/*'", ROUNDTRIP, _no(NotRunReason.NOT_COLLECTED, "`--ignore-glob */unit/*` skips `tests/unit/test_types.py`")),
    ("pytest -o python_functions=check_", ROUNDTRIP, _no(NotRunReason.NOT_COLLECTED, "`test_roundtrip` does not match `python_functions` (check_)")),
    ("pytest -o python_classes=Suite", ROUNDTRIP, _no(NotRunReason.NOT_COLLECTED, "class `TestPartitionKey` does not match `python_classes` (Suite)")),
    ("pytest", LATER, _yes("collecting the default paths reaches `tests/unit/test_types.py::test_later`; it is marked `skip`, which decides at run time whether it is skipped")),
    # Commands that run nothing or that pytest refuses.
    ("pytest --co", ROUNDTRIP, _no(REJECTS, "`--co` makes pytest run no test")),
    ("pytest -k 'a and'", ROUNDTRIP, _no(REJECTS, "pytest rejects the command: Wrong expression passed to '-k': a and: at column 6: expected not OR left parenthesis OR identifier; got end of input")),
    ("pytest -k 'x(y=1)'", ROUNDTRIP, _no(REJECTS, "pytest rejects the command: Keyword expressions do not support call parameters.")),
    ("pytest tests/nope.py", ROUNDTRIP, _no(REJECTS, "pytest rejects the command: file or directory not found: tests/nope.py")),
    ("python script.py", ROUNDTRIP, _no(REJECTS, "`python script.py` is not a pytest command")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "test", "expected"), PY_CASES, ids=[f"{c} | {t.nodeid_in_file}" for c, t, _ in PY_CASES]
)
def test_select_python(pyproj: Path, command: str, test: PythonTest, expected: Selection) -> None:
    assert py(pyproj, command, test) == expected


def test_select_python_with_shared_repo_files(pyproj: Path) -> None:
    files = RepoFiles(pyproj)  # as a check shares one across all its cited tests
    for _ in range(2):
        for command, test, expected in PY_CASES:
            argv = shlex.split(command)
            config = load_pytest_config(pyproj, "", argv)
            found = select_python(argv, cwd="", repo_root=pyproj, config=config, test=test, files=files)
            assert found == expected


def test_testpaths_apply_only_at_the_rootdir(pyproj: Path) -> None:
    assert py(pyproj, "pytest", OUTSIDE, cwd="other") == _yes(
        "collecting the default paths reaches `other/test_outside.py::test_outside`"
    )
    assert py(pyproj, "pytest unit -k types", ROUNDTRIP, cwd="tests") == _yes(
        "collecting `unit` reaches `tests/unit/test_types.py::TestPartitionKey::test_roundtrip`"
    )


def test_uncertain_inputs(pyproj: Path, tmp_path: Path) -> None:
    lf = py(pyproj, "pytest --lf", ROUNDTRIP)
    assert (lf.selected, lf.certain) == (True, False)
    assert lf.detail.endswith("(`--lf` depends on state parity cannot see)")
    plugin = py(pyproj, "pytest -n 4 --frobnicate", ROUNDTRIP)
    assert plugin.detail.endswith("(parity does not know the option `--frobnicate` (a plugin's?))")
    shutil.copytree(pyproj, tmp_path / "p")
    (tmp_path / "p" / "tests" / "conftest.py").write_text(
        "def pytest_collection_modifyitems(items):\n    pass\n", encoding="utf-8"
    )
    hooked = py(tmp_path / "p", "pytest", ROUNDTRIP)
    assert (
        hooked.certain,
        hooked.detail.endswith("(tests/conftest.py (pytest_collection_modifyitems) can change collection)"),
    ) == (False, True)


def test_strict_markers(pyproj: Path) -> None:
    weird = PythonTest(
        file="tests/unit/test_types.py",
        nodeid_in_file="test_cli_parse",
        name="test_cli_parse",
        markers=("weird",),
    )
    assert py(pyproj, "pytest --strict-markers", weird) == Selection(
        selected=False,
        reason=NotRunReason.NOT_COLLECTED,
        detail="with `--strict-markers`, the unregistered marker `weird` makes its module a collection error"
        " (unless a plugin registers it)",
        certain=False,
    )
    refused = py(pyproj, "pytest --strict-markers -m weird", ROUNDTRIP)
    assert (refused.reason, refused.detail) == (
        REJECTS,
        "pytest rejects the command: Unknown marker(s) in '-m' expression: weird (unless a plugin registers them)",
    )


# --- reality checks ---------------------------------------------------------------------------

_RESULT = re.compile(r"^test (?P<name>.+?) \.\.\. (?P<outcome>ok|FAILED|ignored)", re.MULTILINE)
CARGO_VARIANTS = [
    ("", "cargo test"),
    ("", "cargo test --workspace"),
    ("", SKIP_CMD),
    ("", "cargo test -p arco-flow --features test-utils --lib"),
    ("", "cargo test --workspace --all-features --exclude arco-flow"),
    ("", "cargo test -p arco-flow --no-default-features -- --include-ignored"),
    ("", "cargo test -p arco-flow -- --ignored"),
    ("", "cargo test -p arco-flow --doc"),
    ("crates/arco-api", "cargo test"),
    ("", "cargo test -p arco-flow --all-targets --features arco-flow/test-utils -- --exact parity_m2_cursor_survives_reload tests::test_lib_basic"),
    ("", "cargo test -p arco-flow -p arco-api run_key"),
    ("crates/arco-flow", "cargo test --bins --tests -- parity_m2 flowctl"),
    ("", "cargo test --workspace --no-default-features -- reserve_run_key src/lib.rs"),
]  # fmt: skip


def _shown_name(test: RustTest) -> str:
    return f"crates/{test.package}/{test.full_name}" if test.target_kind == "doc" else test.full_name


@pytest.mark.cargo
@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_rust_predictions_match_real_cargo_runs(tmp_path: Path) -> None:
    root = tmp_path / "rustws"
    shutil.copytree(RUSTWS, root)
    env = {**os.environ, "CARGO_TARGET_DIR": str(Path(tempfile.gettempdir()) / "target-selection")}
    env["CARGO_TERM_COLOR"] = "never"
    assert len({t.full_name for t in ALL_RUST}) == len(ALL_RUST)  # names identify tests below
    mismatches = []
    for cwd, command in CARGO_VARIANTS:
        argv = shlex.split(command)
        proc = subprocess.run(
            [*argv[:2], "--offline", *argv[2:]],
            cwd=root / cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        ran = {m["name"] for m in _RESULT.finditer(proc.stdout) if m["outcome"] != "ignored"}
        ignored = {m["name"] for m in _RESULT.finditer(proc.stdout) if m["outcome"] == "ignored"}
        workspace = load_workspace(root, cwd)
        verdicts = {_shown_name(t): select_rust(argv, cwd=cwd, workspace=workspace, test=t) for t in ALL_RUST}
        predicted = {name for name, v in verdicts.items() if v.selected}
        predicted_ignored = {name for name, v in verdicts.items() if v.reason is NotRunReason.IGNORED}
        if (ran, ignored) != (predicted, predicted_ignored):
            mismatches.append((cwd, command, sorted(ran ^ predicted), sorted(ignored ^ predicted_ignored)))
    assert mismatches == []


PYTEST_VARIANTS = [
    ("", "pytest"),
    ("", "pytest -m ''"),
    ("", "python -m pytest tests/integration/test_cli_api.py"),
    ("", "pytest -k 'not slow and cli' -m ''"),
    ("", "pytest --deselect tests/unit/test_types.py::test_param[one]"),
    ("", "pytest tests --ignore tests/integration -k 'TestPartition or outside' -m 'slow or not slow'"),
    ("", "pytest tests/unit/test_types.py::TestPartitionKey tests/unit/test_types.py::test_param[two] other"),
    ("", "pytest tests/helpers.py tests/build"),
    ("tests", "pytest unit -k param"),
    ("", "pytest -o python_files=test_*.py --ignore-glob '*/unit/*'"),
    ("", "pytest -k tests"),
    ("tests/unit", "pytest -k 'unit and types'"),
    ("other", "pytest .. -k 'one or outside'"),
]


def _cases(test: PythonTest) -> list[PythonTest]:
    if test.param_ids is None:
        return [test]
    return [
        PythonTest(
            file=test.file,
            nodeid_in_file=test.nodeid_in_file,
            name=test.name,
            markers=test.markers,
            param_ids=(case,),
        )
        for case in test.param_ids
    ]


def test_python_predictions_match_real_pytest_collection(pyproj: Path) -> None:
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    mismatches = []
    for cwd, command in PYTEST_VARIANTS:
        argv = shlex.split(command)
        own = argv[1:] if argv[0] == "pytest" else argv[3:]
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *own, "--collect-only", "-q"],
            cwd=pyproj / cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        collected = {line for line in proc.stdout.splitlines() if "::" in line}
        config = load_pytest_config(pyproj, cwd, argv)
        predicted = set()
        for test in (case for t in ALL_PY for case in _cases(t)):
            if select_python(argv, cwd=cwd, repo_root=pyproj, config=config, test=test).selected:
                suffix = f"[{test.param_ids[0]}]" if test.param_ids else ""
                predicted.add(f"{test.file}::{test.nodeid_in_file}{suffix}")
        if collected != predicted:
            mismatches.append((cwd, command, sorted(collected ^ predicted), proc.stderr[-500:]))
    assert mismatches == []
