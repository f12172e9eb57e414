"""pytest rootdir/config discovery: goldens per fixture tree, exact errors, and agreement with pytest itself."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from parity.errors import InputError
from parity.pytestconfig import PathKind, PytestConfig, RepoFiles, load_pytest_config

DATA = Path(__file__).parent / "data" / "selection" / "pytestconfig"
CASES = [
    ("pyproject_ini_options", "", ()),
    ("pyproject_ini_options", "tests/unit", ()),
    ("pytest_ini_wins", "", ()),
    ("pytest_ini_wins", "sub/deep", ()),
    ("pytest_ini_wins", "", ("pytest", "sub/deep")),
    ("pytest_ini_wins", "", ("pytest", "-c", "pyproject.toml", "--rootdir", "sub")),
    ("setup_cfg", "src", ()),
    ("native_toml", "tests", ("python", "-m", "pytest", "--confcutdir", ".")),
    ("bare_pyproject", "pkg", ()),
    ("no_config", "pkg/inner", ()),
    ("no_config", "pkg", ("pytest", "-c", "/dev/null")),
]


def _slug(cwd: str, argv: tuple[str, ...]) -> str:
    text = "_".join([cwd or "root", *argv[1:]]) if argv else cwd or "root"
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")


@pytest.mark.parametrize(
    ("case", "cwd", "argv"), CASES, ids=lambda v: v if isinstance(v, str) else " ".join(v)
)
def test_golden(case: str, cwd: str, argv: tuple[str, ...]) -> None:
    config = load_pytest_config(DATA / case, cwd, argv)
    actual = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}
    golden = DATA / f"{case}@{_slug(cwd, argv)}.expected.json"
    if os.environ.get("PARITY_UPDATE_GOLDENS") == "1":
        golden.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_pyproject_values_as_pytest_reads_them() -> None:
    config = load_pytest_config(DATA / "pyproject_ini_options", "tests/unit")
    assert config.rootdir == ""
    assert config.inifile == "pyproject.toml"
    assert config.addopts == ("-ra", "-m", "not slow", "--strict-markers")  # shlex-split string
    assert config.markers[-2:] == ("slow", "cli")
    assert config.python_classes == ("Test", "*Suite")
    assert config.strict_markers is True


def test_pytest_ini_beats_pyproject_and_continuation_lines() -> None:
    config = load_pytest_config(DATA / "pytest_ini_wins")
    assert (config.inifile, config.addopts, config.testpaths) == (
        "pytest.ini",
        ("-q", "-p", "no:cacheprovider"),
        ("tests", "other"),
    )
    assert config.python_functions == ("check_", "test_")


def test_path_arguments_move_the_rootdir() -> None:
    assert load_pytest_config(DATA / "pytest_ini_wins", "", ["pytest", "sub/deep"]).rootdir == "sub"
    assert load_pytest_config(DATA / "pytest_ini_wins", "", ["pytest"]).rootdir == ""


def test_native_toml_lists_are_taken_as_they_are() -> None:
    config = load_pytest_config(DATA / "native_toml", "tests")
    assert (config.rootdir, config.addopts, config.python_files) == (
        "",
        ("-ra", "-m not slow"),
        ("*_check.py",),
    )


def test_strict_and_setup_cfg_markers() -> None:
    config = load_pytest_config(DATA / "setup_cfg", "src")
    assert (config.inifile, config.strict_markers, config.norecursedirs) == ("setup.cfg", True, ("vendor",))
    assert config.markers[-2:] == ("slow", "network")


def test_overrides_follow_ini_parsing() -> None:
    config = PytestConfig(rootdir="", inifile=None, confcutdir="")
    changed = config.with_overrides([("python_files", "check_*.py  *_spec.py"), ("strict_markers", "on")])
    assert (changed.python_files, changed.strict_markers) == (("check_*.py", "*_spec.py"), True)
    with pytest.raises(InputError) as caught:
        config.with_overrides([("strict", "maybe")])
    assert str(caught.value) == "-o: invalid truth value 'maybe' for strict"


@pytest.mark.parametrize(
    ("case", "cwd", "argv", "message"),
    [
        ("bad_ini", "", (), "pytest.ini:3: unexpected line: 'this line has no separator'"),
        ("no_config", "", ("pytest", "-c", "nope.ini"), "nope.ini: pytest config file (`-c`) not found"),
        (
            "no_config",
            "",
            ("pytest", "--rootdir", "missing"),
            "missing: directory given to `--rootdir` not found",
        ),
    ],
)
def test_errors(case: str, cwd: str, argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_pytest_config(DATA / case, cwd, argv)
    assert str(caught.value) == message


def test_repo_files(tmp_path: Path) -> None:
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n", encoding="utf-8")
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "test_x.py").write_text("", encoding="utf-8")
    (tmp_path / "a" / ".hidden.py").write_text("", encoding="utf-8")
    (tmp_path / "a" / "conftest.py").write_text("collect_ignore = ['b']\n", encoding="utf-8")
    files = RepoFiles(tmp_path)
    assert [files.kind(p) for p in ("a", "a/test_x.py", "zzz")] == [
        PathKind.DIR,
        PathKind.FILE,
        PathKind.MISSING,
    ]
    assert (files.is_venv("venv"), files.is_venv("a")) == (True, False)
    assert files.glob("", "a/*.py") == ("a/conftest.py", "a/test_x.py")  # glob skips dot-files
    assert files.glob("a", "**") == ("a/b", "a/conftest.py", "a/test_x.py")
    assert files.conftest_hooks(["a", ""]) == ("a/conftest.py (collect_ignore)",)


def test_repo_files_keep_their_answers_for_the_run(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "conftest.py").write_text("collect_ignore = []\n", encoding="utf-8")
    files = RepoFiles(tmp_path)
    asked = (files.kind("a/x.py"), files.glob("", "a/*.py"), files.conftest_hooks(["a"]))
    assert asked == (PathKind.MISSING, ("a/conftest.py",), ("a/conftest.py (collect_ignore)",))
    (tmp_path / "a" / "x.py").write_text("", encoding="utf-8")
    (tmp_path / "a" / "conftest.py").write_text("", encoding="utf-8")
    # One check's repository does not change under it: the same object answers as before ...
    assert (files.kind("a/x.py"), files.glob("", "a/*.py"), files.conftest_hooks(["a"])) == asked
    # ... and a new one (the next run) looks again.
    fresh = RepoFiles(tmp_path)
    assert (fresh.kind("a/x.py"), fresh.glob("", "a/*.py"), fresh.conftest_hooks(["a"])) == (
        PathKind.FILE,
        ("a/conftest.py", "a/x.py"),
        (),
    )


_HEADER = re.compile(r"^rootdir: (?P<rootdir>.+)\n(?:configfile: (?P<inifile>\S+).*\n)?", re.MULTILINE)


@pytest.mark.parametrize(
    ("case", "cwd", "argv"),
    [c for c in CASES if "/dev/null" not in c[2]],
    ids=lambda v: v if isinstance(v, str) else " ".join(v),
)
def test_agrees_with_pytest(case: str, cwd: str, argv: tuple[str, ...], tmp_path: Path) -> None:
    root = tmp_path / case
    shutil.copytree(DATA / case, root)
    (root / ".git").mkdir()  # stands for the repo boundary; pytest looks no higher here
    args = list(argv[argv.index("pytest") + 1 :]) if argv else []
    proc = subprocess.run(
        # `-v` undoes a `-q` from addopts, which would hide the header
        [sys.executable, "-m", "pytest", "--collect-only", "-v", "-p", "no:cacheprovider", *args],
        cwd=root / cwd,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    match = _HEADER.search(proc.stdout)
    assert match is not None, proc.stdout + proc.stderr
    config = load_pytest_config(root, cwd, argv)
    real_rootdir = Path(match["rootdir"]).relative_to(root).as_posix()
    assert config.rootdir == ("" if real_rootdir == "." else real_rootdir)
    inifile = match["inifile"]
    expected_ini = None if inifile is None else Path(os.path.normpath(Path(match["rootdir"]) / inifile))
    expected_ini = None if expected_ini is None else expected_ini.relative_to(root).as_posix()
    assert config.inifile == expected_ini
