"""Golden and focused tests for loading GitHub Actions workflows (parity.workflow, parity.yamlnodes)."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity.errors import InputError
from parity.workflow import CommandKind, Workflow, job_gating, load_workflow, step_gating

DATA = Path(__file__).parent / "data" / "workflow"
CASES = sorted(p.name for p in DATA.glob("*.yml"))
UPDATE = os.environ.get("PARITY_UPDATE_GOLDENS") == "1"


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    return value


def render(case: str) -> dict[str, Any]:
    try:
        workflow = load_workflow(DATA, case)
    except InputError as error:
        return {"error": error.render()}
    gating = {
        job.id: {
            "job": jsonable(job_gating(workflow, job)),
            "steps": [jsonable(step_gating(workflow, job, step)) for step in job.steps],
        }
        for job in workflow.jobs.values()
    }
    return {"workflow": jsonable(workflow), "gating": gating}


def load(text: str, tmp_path: Path, name: str = "ci.yml") -> Workflow:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return load_workflow(tmp_path, name)


def error_of(text: str | bytes, tmp_path: Path) -> str:
    path = tmp_path / "ci.yml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_workflow(tmp_path, "ci.yml")
    return caught.value.render()


def test_cases_exist() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    got = render(case)
    expected = DATA / case.replace(".yml", ".expected.json")
    if UPDATE:
        expected.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert expected.exists(), f"no golden for {case}: run with PARITY_UPDATE_GOLDENS=1"
    assert got == json.loads(expected.read_text(encoding="utf-8"))


# -- the `on:` quirk -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "triggers"),
    [
        ("on: push", ("push",)),
        ("'on': [push, pull_request]", ("push", "pull_request")),
        ('"on":\n  pull_request:\n  schedule:\n    - cron: "0 3 * * *"', ("pull_request", "schedule")),
        ("on:\n  push:\n    branches: [main]\n  merge_group:", ("push", "merge_group")),
    ],
)
def test_on_key_is_not_read_as_true(on: str, triggers: tuple[str, ...], tmp_path: Path) -> None:
    workflow = load(f"{on}\njobs:\n  a:\n    steps: []\n", tmp_path)
    assert workflow.triggers == triggers


def test_push_branches(tmp_path: Path) -> None:
    workflow = load("on:\n  push:\n    branches: [main, 'release/**']\njobs: {}\n", tmp_path)
    assert workflow.push_branches == ("main", "release/**")
    assert load("on: [push]\njobs: {}\n", tmp_path).push_branches is None


# -- steps, lines and run blocks ----------------------------------------------------------------


RUN_BLOCK = """\
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: tests
        run: |
          set -euxo pipefail
          # only a comment
          cargo test -p arco-flow \\
            --features test-utils --lib
          cd python/arco && python -m pytest tests/unit -q
          echo "a && b; c"   # quoted separators are not separators
          python -m pytest "tests/integration/test_cli_api.py" -v
"""


def test_run_block_commands_lines_and_cwd(tmp_path: Path) -> None:
    step = load(RUN_BLOCK, tmp_path).jobs["test"].steps[1]
    assert (step.index, step.name, step.line, step.run_line) == (1, "tests", 7, 9)
    got = [(c.line, c.cwd, c.kind, c.argv) for c in step.commands]
    assert got == [
        (9, "", CommandKind.SHELL_OPTION, ("set", "-euxo", "pipefail")),
        (11, "", CommandKind.RUN, ("cargo", "test", "-p", "arco-flow", "--features", "test-utils", "--lib")),
        (13, "", CommandKind.CD, ("cd", "python/arco")),
        (13, "python/arco", CommandKind.RUN, ("python", "-m", "pytest", "tests/unit", "-q")),
        (14, "python/arco", CommandKind.ECHO, ("echo", "a && b; c")),
        (
            15,
            "python/arco",
            CommandKind.RUN,
            ("python", "-m", "pytest", "tests/integration/test_cli_api.py", "-v"),
        ),
    ]
    assert step.commands[1].text == "cargo test -p arco-flow --features test-utils --lib"
    assert step.commands[4].text == 'echo "a && b; c"'
    # `cd` before `&&` on a middle line: under bash -e its failure does not fail the step
    assert [c.exit_checked for c in step.commands] == [True, True, False, True, True, True]


def test_single_line_run_line_is_the_key_line(tmp_path: Path) -> None:
    workflow = load("on: [push]\njobs:\n  a:\n    steps:\n      - run: cargo test\n", tmp_path)
    step = workflow.jobs["a"].steps[0]
    assert (step.line, step.run_line, step.commands[0].line) == (5, 5, 5)


def test_folded_run_attributes_every_command_to_its_first_line(tmp_path: Path) -> None:
    text = "on: [push]\njobs:\n  a:\n    steps:\n      - run: >\n          cargo test\n          --lib\n"
    step = load(text, tmp_path).jobs["a"].steps[0]
    assert step.run == "cargo test --lib\n"
    assert [(c.line, c.argv) for c in step.commands] == [(6, ("cargo", "test", "--lib"))]


def test_job_fields(tmp_path: Path) -> None:
    text = """\
on: [push]
jobs:
  build:
    steps: []
  test:
    name: Tests
    needs: build
    if: github.event_name == 'push'
    continue-on-error: ${{ matrix.experimental }}
    strategy:
      matrix:
        os: [ubuntu-latest]
    runs-on: ${{ matrix.os }}
    steps:
      - run: cargo test
"""
    job = load(text, tmp_path).jobs["test"]
    assert (job.id, job.name, job.line, job.needs, job.has_matrix) == ("test", "Tests", 5, ("build",), True)
    assert job.if_ == "github.event_name == 'push'"
    assert job.continue_on_error == "${{ matrix.experimental }}"
    assert job.runs_on == ("${{ matrix.os }}",)


# -- working directory and env ------------------------------------------------------------------


def test_working_directory_inheritance(tmp_path: Path) -> None:
    text = """\
on: [push]
defaults:
  run:
    working-directory: wf
jobs:
  a:
    steps:
      - run: pytest
  b:
    defaults:
      run:
        working-directory: job
    steps:
      - run: pytest
      - working-directory: step/
        run: pytest
"""
    workflow = load(text, tmp_path)
    steps = [*workflow.jobs["a"].steps, *workflow.jobs["b"].steps]
    assert [s.working_directory for s in steps] == ["wf", "job", "step/"]
    assert [s.commands[0].cwd for s in steps] == ["wf", "job", "step"]
    no_defaults = load("on: [push]\njobs:\n  a:\n    steps:\n      - run: pytest\n", tmp_path)
    assert no_defaults.jobs["a"].steps[0].working_directory is None
    assert no_defaults.jobs["a"].steps[0].commands[0].cwd == ""


def test_effective_env_merges_workflow_job_step_and_command(tmp_path: Path) -> None:
    text = """\
on: [push]
env:
  A: workflow
  B: workflow
  C: 1
jobs:
  test:
    env:
      B: job
      D: job
    steps:
      - env:
          D: step
        run: |
          export E=exported
          F=prefix cargo test
"""
    workflow = load(text, tmp_path)
    job = workflow.jobs["test"]
    step = job.steps[0]
    assert workflow.effective_env(job, step) == {"A": "workflow", "B": "job", "C": "1", "D": "step"}
    command = step.commands[1]
    assert command.argv == ("cargo", "test")
    assert workflow.effective_env(job, step, command) == {
        "A": "workflow",
        "B": "job",
        "C": "1",
        "D": "step",
        "E": "exported",
        "F": "prefix",
    }


# -- refusing bad input: one line, with a location ---------------------------------------------


def test_billion_laughs_is_refused_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        load_workflow(DATA, "bomb_billion_laughs.yml")
    assert time.perf_counter() - start < 1.0
    assert caught.value.render() == (
        "bomb_billion_laughs.yml:6:9: too many YAML aliases (possible billion-laughs) "
        "(at most 100 small aliases are allowed)"
    )


def test_a_few_aliases_still_work() -> None:
    workflow = load_workflow(DATA, "anchors_ok.yml")
    assert workflow.jobs["lint"].env == {"CARGO_TERM_COLOR": "always"}
    assert workflow.jobs["lint"].steps[0].uses == "actions/checkout@v4"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- on: push\n- jobs: {}\n", "ci.yml:1: the workflow must be a mapping, not a list"),
        ("on: [push]\njobs:\n  - test\n", "ci.yml:3: `jobs` must be a mapping, not a list"),
        ("on: [push]\n", "ci.yml:1: workflow has no `jobs:` (a workflow needs `on:` and `jobs:`)"),
        (
            "on: [push]\njobs:\n  t:\n    steps:\n      - cargo test\n",
            "ci.yml:5: step 1 of job `t` must be a mapping, not a string",
        ),
        (
            "on: [push]\njobs:\n  t:\n    steps:\n      - run: 42\n",
            "ci.yml:5: `run:` of step 1 of job `t` must be a string",
        ),
        (
            "on: [push]\njobs:\n  t:\n    steps:\n      - run:\n          - a\n",
            "ci.yml:6: `run:` of step 1 of job `t` must be a string",
        ),
        (
            "on: push\njobs:\n  t:\n    steps:\n      - run: a\n     - run: b\n",
            "ci.yml:6:6: YAML syntax error: did not find expected key "
            "(while parsing a block mapping) (check indentation and quoting)",
        ),
        (
            "on: [push]\njobs: {}\n---\non: push\n",
            "ci.yml:3:1: YAML syntax error: expected a single document in the stream, "
            "but found another document (check indentation and quoting)",
        ),
    ],
)
def test_bad_input_messages(text: str, message: str, tmp_path: Path) -> None:
    assert error_of(text, tmp_path) == message


def test_not_utf8_names_the_byte_and_its_position(tmp_path: Path) -> None:
    got = error_of(b"on: [push]\njobs:\n  t:\n    name: caf\xe9\n", tmp_path)
    assert got == "ci.yml:4:14: not UTF-8 (byte 0xe9) (save the file as UTF-8)"


def test_too_large(tmp_path: Path) -> None:
    assert (
        error_of("#" * (5 * 1024 * 1024 + 1), tmp_path)
        == "ci.yml: workflow is larger than 5 MB (refusing to parse it)"
    )


def test_missing_file_and_escaping_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_workflow(tmp_path, ".github/workflows/missing.yml")
    assert caught.value.render() == (
        ".github/workflows/missing.yml: cannot read workflow: No such file or directory (check the workflow path)"
    )
    with pytest.raises(InputError) as caught:
        load_workflow(tmp_path, "../ci.yml")
    assert caught.value.render() == (
        "../ci.yml: workflow path must be relative to the repository root (e.g. .github/workflows/ci.yml)"
    )


def test_deep_nesting_does_not_crash_the_interpreter(tmp_path: Path) -> None:
    got = error_of("on: [push]\njobs: " + "[" * 200_000 + "]" * 200_000 + "\n", tmp_path)
    assert got == "ci.yml:2:69: YAML nesting deeper than 64 levels"


# -- property: any YAML document loads or raises InputError, nothing else -----------------------

KEYS = st.sampled_from(
    [
        "on",
        "jobs",
        "steps",
        "run",
        "uses",
        "env",
        "if",
        "needs",
        "name",
        "defaults",
        "working-directory",
        "shell",
        "continue-on-error",
        "strategy",
        "matrix",
        "runs-on",
        "push",
        "branches",
        "with",
        "id",
        "t",
        "x",
    ]
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=20))
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=25,
)
CONDITIONS = st.one_of(
    st.sampled_from(
        [
            "always()",
            "failure()",
            "github.event_name == 'push'",
            "${{ github.ref == 'refs/heads/main' }}",
            "contains(github.event.pull_request.labels.*.name, 'x')",
            "!cancelled() && needs.a.result",
            "((",
        ]
    ),
    st.text(max_size=15),
)
STEPS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "run": st.text(alphabet=st.sampled_from(list("ab cd-&|;<>()$`'\"\\*\n#=~{},")), max_size=40),
            "if": CONDITIONS,
            "continue-on-error": st.one_of(st.booleans(), CONDITIONS),
            "working-directory": st.sampled_from(["a", "../b", "/c", "${{ matrix.d }}", "./e/../f"]),
            "shell": st.sampled_from(["bash", "sh", "pwsh", "bash {0}", "python", "sh -e {0}"]),
        },
    ),
    max_size=4,
)
JOBS = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.fixed_dictionaries(
        {"steps": STEPS},
        optional={
            "if": CONDITIONS,
            "needs": st.sampled_from(["a", "b", "c"]),
            "continue-on-error": CONDITIONS,
        },
    ),
    min_size=1,
    max_size=3,
)
TRIGGERS = st.sampled_from(
    [
        "push",
        ["push", "pull_request"],
        {"push": {"branches": ["main"]}},
        {"schedule": [{"cron": "0 3 * * *"}]},
        {"pull_request": {"types": ["labeled"]}, "merge_group": None},
        {"push": {"tags": ["v*"]}},
    ]
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workflow-property")


def check_loads_or_refuses(root: Path, document: object) -> None:
    (root / "ci.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
    try:
        workflow = load_workflow(root, "ci.yml")
    except InputError as error:
        message = error.render()
    else:
        message = ""
        for job in workflow.jobs.values():
            job_gating(workflow, job)
            for step in job.steps:
                step_gating(workflow, job, step)
    assert "\n" not in message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(KEYS, DOCUMENTS, max_size=5))
def test_any_document_loads_or_raises_input_error(scratch: Path, document: dict[str, Any]) -> None:
    check_loads_or_refuses(scratch, document)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.fixed_dictionaries({"on": TRIGGERS, "jobs": JOBS}))
def test_any_workflow_shape_loads_or_raises_input_error(scratch: Path, document: dict[str, Any]) -> None:
    check_loads_or_refuses(scratch, document)
