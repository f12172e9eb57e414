"""Shell syntax detection and `run:` block splitting (parity.shellsplit, parity.shelllex)."""

from __future__ import annotations

import re
import shlex

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from parity.errors import InputError
from parity.shellsplit import CommandKind, shell_syntax_of, split_run

# (text, constructs found): the boundary between "run this argv" and "refuse: shell syntax".
SYNTAX_TABLE = [
    ("cargo test -p arco-flow --features test-utils --tests", ()),
    ("cargo test -- --skip 'a b' --exact", ()),
    ('pytest -k "a and not b" tests/x.py::test_y', ()),
    ("python -c 'import sys; print(sys.argv)'", ()),
    ("echo 'a | b && c; d > e $(f) `g` *'", ()),
    ('echo "a;b" "c|d" "e&&f" "g>h" "*"', ()),
    ("echo \\$HOME \\; \\| \\*", ()),
    ("find . -exec rm {} \\;", ()),
    ("cargo test # a comment with ; and | and &&", ()),
    ("echo a#b", ()),
    ("FOO=1 BAR='x y' cargo test", ()),
    ("[ -f x ]", ()),
    ("git log --format=%H@{u}", ()),
    ("a;b", (";",)),
    ("a ; b", (";",)),
    ("a | b", ("|",)),
    ("a |& b", ("|&",)),
    ("a || b", ("||",)),
    ("a && b", ("&&",)),
    ("sleep 1 &", ("&",)),
    ("echo $(date)", ("$(",)),
    ('echo "$(date)"', ("$(",)),
    ("echo `date`", ("`",)),
    ("echo $((1 + 2))", ("$((",)),
    ("echo $HOME", ("$VAR",)),
    ('echo "$HOME"', ("$VAR",)),
    ("echo $1 $@", ("$VAR",)),
    ("echo ${HOME}", ("${",)),
    ("x > out", (">",)),
    ("x >> out", (">>",)),
    ("x < in", ("<",)),
    ("x 2>&1", ("2>&1",)),
    ("x 2>/dev/null", (">",)),
    ("x &> log", ("&>",)),
    ("cat <<EOF\nbody ; | &&\nEOF", ("<<",)),
    ("cat <<< word", ("<<<",)),
    ("diff <(a) <(b)", ("<(",)),
    ("(cd x && make)", ("(", "&&")),
    ("ls *.py", ("glob",)),
    ("ls a?b", ("glob",)),
    ("ls [ab].txt", ("glob",)),
    ("cd ~/src", ("~",)),
    ("echo {a,b}", ("{a,b}",)),
    ("echo $'a\\nb'", ("$'",)),
    ("if true; then x; fi", (";", "if", "then", "fi")),
    ("for i in 1 2; do x; done", (";", "for", "do", "done")),
    ("{ a; b; }", (";", "{", "}")),
    ("! false", ("!",)),
    ("time cargo test", ("time",)),
    ("a\nb", ("newline",)),
    ("echo 'unterminated", ("unterminated",)),
    ('echo "unterminated', ("unterminated",)),
    ("echo $(unterminated", ("unterminated", "$(")),
]


def test_table_is_big_enough() -> None:
    assert len(SYNTAX_TABLE) >= 30


@pytest.mark.parametrize(("text", "expected"), SYNTAX_TABLE)
def test_shell_syntax_of(text: str, expected: tuple[str, ...]) -> None:
    assert shell_syntax_of(text) == expected


# -- splitting a run block ----------------------------------------------------------------------


def argvs(script: str, **kwargs: object) -> list[tuple[str, ...] | None]:
    return [c.argv for c in split_run(script, **kwargs)]  # type: ignore[arg-type]


def test_continuations_comments_and_blank_lines() -> None:
    script = "# leading comment\ncargo test \\\n  -p x \\\n  --lib   # trailing\n\n\necho done\n"
    commands = split_run(script, first_line=20)
    assert [(c.line, c.text, c.argv, c.kind) for c in commands] == [
        (21, "cargo test -p x --lib", ("cargo", "test", "-p", "x", "--lib"), CommandKind.RUN),
        (26, "echo done", ("echo", "done"), CommandKind.ECHO),
    ]


def test_and_chains_split_and_cd_prefix_changes_cwd() -> None:
    commands = split_run("cd python/arco && python -m pytest tests\npython -m pytest more", cwd="")
    assert [(c.cwd, c.kind, c.argv, c.exit_checked) for c in commands] == [
        ("", CommandKind.CD, ("cd", "python/arco"), False),
        ("python/arco", CommandKind.RUN, ("python", "-m", "pytest", "tests"), True),
        ("python/arco", CommandKind.RUN, ("python", "-m", "pytest", "more"), True),
    ]


def test_cd_lines_relative_to_working_directory() -> None:
    commands = split_run("cd arco-flow\ncargo test\ncd ../..\ncargo test", cwd="crates")
    assert [c.cwd for c in commands] == ["crates", "crates/arco-flow", "crates/arco-flow", ""]


@pytest.mark.parametrize(
    "cd", ["cd $DIR", "cd ~", "cd", "cd /tmp", "cd ../..", "cd -", "if x; then cd y; fi"]
)
def test_unknowable_cd_refuses_later_commands(cd: str) -> None:
    last = split_run(f"{cd}\ncargo test", cwd="a")[-1]
    assert (last.argv, last.shell_syntax, last.cwd) == (None, ("unknown-cwd",), "")


def test_subshell_cd_does_not_leak() -> None:
    commands = split_run("(cd sub && cargo test)\ncargo test", cwd="")
    assert (commands[1].cwd, commands[1].argv) == ("", ("cargo", "test"))


def test_and_is_not_split_when_the_list_has_or() -> None:
    commands = split_run("a && b || c")
    assert [(c.text, c.argv, c.shell_syntax) for c in commands] == [("a && b || c", None, ("&&", "||"))]


def test_quoted_separators_stay_inside_arguments() -> None:
    assert argvs("echo 'a && b' \"c; d\" e\\|f") == [("echo", "a && b", "c; d", "e|f")]


def test_multi_line_quoted_argument_is_one_command() -> None:
    commands = split_run('python -c "\nimport sys\n"\ncargo test', first_line=3)
    assert [(c.line, c.argv) for c in commands] == [
        (3, ("python", "-c", "\nimport sys\n")),
        (6, ("cargo", "test")),
    ]


def test_heredoc_body_is_not_commands() -> None:
    commands = split_run("cat <<'EOF' > f\ncargo test && rm -rf /\nEOF\ncargo test --lib")
    assert [(c.text, c.argv) for c in commands] == [
        ("cat <<'EOF' > f", None),
        ("cargo test --lib", ("cargo", "test", "--lib")),
    ]


def test_compound_commands_mark_their_bodies() -> None:
    commands = split_run("if [ -f x ]; then\n  cargo test\nfi\ncargo test --lib")
    assert [(c.argv, c.shell_syntax, c.exit_checked) for c in commands] == [
        (None, (";", "compound"), False),
        (None, ("compound",), False),
        (None, ("compound",), False),
        (("cargo", "test", "--lib"), (), True),
    ]


def test_set_and_echo_are_marked() -> None:
    kinds = [c.kind for c in split_run("set -euxo pipefail\necho hi\nexport A=1\nB=2\ncd x\nexit 0\nmake")]
    assert kinds == [
        CommandKind.SHELL_OPTION,
        CommandKind.ECHO,
        CommandKind.ENV,
        CommandKind.ENV,
        CommandKind.CD,
        CommandKind.BUILTIN,
        CommandKind.RUN,
    ]


def test_assignments_and_exports() -> None:
    commands = split_run('export A=1 B="$X"\nFOO=bar cargo test\nA=2\ncargo test --lib')
    assert commands[1].assignments == (("FOO", "bar"),)
    assert commands[1].argv == ("cargo", "test")
    assert commands[1].exported == (("A", "1"), ("B", None))
    assert commands[3].exported == (("A", "2"), ("B", None))


def test_expressions_are_reported_and_block_argv() -> None:
    (command,) = split_run("cargo test ${{ matrix.flags }} -- '${{ inputs.x }}'")
    assert command.argv is None
    assert command.shell_syntax == ()
    assert command.expressions == ("${{ matrix.flags }}", "${{ inputs.x }}")
    assert command.text == "cargo test ${{ matrix.flags }} -- '${{ inputs.x }}'"


@pytest.mark.parametrize(
    ("script", "errexit", "checked"),
    [
        ("a\nb", True, [True, True]),
        ("a\nb", False, [False, True]),
        ("a && b\nc", True, [False, True, True]),
        ("a && b", True, [True, True]),  # the last line's status is the step's
        ("set +e\na\nset -e\nb\nc", True, [True, False, False, True, True]),
    ],
)
def test_exit_checked_follows_bash_errexit(script: str, errexit: bool, checked: list[bool]) -> None:
    assert [c.exit_checked for c in split_run(script, errexit=errexit)] == checked


def test_unfolded_lines_all_get_the_first_line() -> None:
    assert [c.line for c in split_run("a\nb", first_line=7, exact_lines=False)] == [7, 7]


# -- properties: never crash; plain quoted words are never flagged ------------------------------

SHELLISH = st.text(alphabet=st.sampled_from(list("ab -=&|;<>()$`'\"\\*?[]{}~#!\n\t0123")), max_size=60)
KEYWORDS = {"if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done"}
KEYWORDS |= {"select", "in", "function", "time", "!", "[[", "]]", "{", "}"}


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), SHELLISH))
def test_any_text_is_handled(text: str) -> None:
    try:
        syntax = shell_syntax_of(text)
        commands = split_run(text)
    except InputError:
        return
    assert all(isinstance(s, str) for s in syntax)
    assert all(c.argv is None or c.shell_syntax == () for c in commands)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_quoted_words_are_never_flagged(words: list[str]) -> None:
    assume(words[0] not in KEYWORDS and not re.match(r"[A-Za-z_][A-Za-z0-9_]*=", words[0]))
    assume(not any("${{" in w for w in words))
    text = " ".join(shlex.quote(w) for w in words)
    assert shell_syntax_of(text) == ()
    (command,) = split_run(text)
    assert command.argv == tuple(words)
