"""A `run:` block is bash source: find its simple commands and refuse to guess at shell syntax."""

from __future__ import annotations

import enum
import posixpath
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from parity.shelllex import Token, expression_indexes, lex, mask_expressions, unmask

__all__ = ["Command", "CommandKind", "shell_syntax_of", "split_run"]

# Operators reported under one name: what matters is the construct, not its spelling.
_OPERATOR_NAMES = {
    ";;&": ";;",
    ";&": ";;",
    "<>": "<",
    ">|": ">",
    "&>>": "&>",
    "<&": ">&",
    ")": "(",
    "<<-": "<<",
}
_SEPARATORS = frozenset({"&&", "||", "|", "|&", ";", "&", ";;", ";;&", ";&"})
_OPENERS = frozenset({"if", "case", "for", "while", "until", "select", "{"})
_CLOSERS = frozenset({"fi", "esac", "done", "}"})
_KEYWORDS = _OPENERS | _CLOSERS | {"then", "else", "elif", "do", "in", "function", "[[", "]]", "!", "time"}
_BEFORE_COMMAND = frozenset({"then", "else", "elif", "do", "if", "while", "until", "!", "time", "{"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_BUILTINS = frozenset(
    {"exit", "source", ".", "shopt", "ulimit", "umask", "trap", "alias", "unset", "eval", "exec"}
    | {"pushd", "popd", "return", "true", "false", ":", "read", "wait", "readonly", "declare"}
    | {"local", "typeset", "test", "["}
)


class CommandKind(enum.StrEnum):
    """What a command is for: only RUN commands can be test commands."""

    RUN = "run"
    CD = "cd"
    SHELL_OPTION = "set"
    ECHO = "echo"
    ENV = "env"  # `export X=1` or a bare `X=1`
    BUILTIN = "builtin"


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One simple command of a `run:` block, as bash would run it."""

    text: str  # continuations joined, whitespace collapsed, comments dropped
    argv: tuple[str, ...] | None  # None: shell syntax or `${{ }}` we will not execute as argv
    line: int  # line in the workflow file (the run text's first line if lines are not exact)
    cwd: str  # repo-relative; "" is the repo root
    kind: CommandKind = CommandKind.RUN
    program: str | None = None  # first word after assignments (quote-removed), even when argv is None
    shell_syntax: tuple[str, ...] = ()
    expressions: tuple[str, ...] = ()
    assignments: tuple[tuple[str, str], ...] = ()  # `FOO=1 cmd` prefix, not part of argv
    exported: tuple[tuple[str, str | None], ...] = ()  # earlier `export X=v` lines; None: not static
    exit_checked: bool = True  # a failure of this command fails the step (bash -e semantics)


def _operator_syntax(tokens: list[Token], index: int) -> str:
    op = tokens[index].text
    if op.startswith(("<(", ">(")):
        return op[:2]
    if op == ">&" and index > 0 and tokens[index - 1].io_number and tokens[index - 1].text == "2":
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is not None and following.text == "1":
            return "2>&1"
    return _OPERATOR_NAMES.get(op, op)


def _logical_lines(tokens: list[Token]) -> list[list[Token]]:
    """Split at newlines, except after `&&`, `||` and `|`, where bash reads on."""
    lines: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind != "newline":
            lines[-1].append(token)
        elif lines[-1] and not (lines[-1][-1].kind == "op" and lines[-1][-1].text in {"&&", "||", "|", "|&"}):
            lines.append([])
    return [line for line in lines if line]


def _keywords(line: list[Token], stack: list[str]) -> list[str]:
    """Reserved words at command positions; keeps `stack` of open compound commands across lines."""
    found: list[str] = []
    command_position = True
    for token in line:
        if token.kind == "op":
            if token.text == "(" and (not stack or stack[-1] != "case"):
                stack.append("(")
            elif token.text == ")" and stack and stack[-1] == "(":
                stack.pop()
            command_position = token.text in _SEPARATORS or token.text in {"(", ")"}
            continue
        word = token.text
        if command_position and word in _KEYWORDS:
            found.append(word)
            if word in _OPENERS:
                stack.append(word)
            elif word in _CLOSERS and stack:
                stack.pop()
            command_position = word in _BEFORE_COMMAND
            continue
        command_position = False
    return found


def _segments(line: list[Token]) -> list[list[Token]]:
    """Split an and-list at `&&` when it is nothing more (with `||`, `;`, `&` it stays whole)."""
    ops = {t.text for t in line if t.kind == "op"}
    if not ops & {"||", ";", "&", "(", ")", ";;", ";;&", ";&"}:
        parts: list[list[Token]] = [[]]
        for token in line:
            if token.kind == "op" and token.text == "&&":
                parts.append([])
            else:
                parts[-1].append(token)
        return [p for p in parts if p]
    return [line]


def _syntax(tokens: list[Token]) -> list[str]:
    found: list[str] = []
    for index, token in enumerate(tokens):
        found.extend([_operator_syntax(tokens, index)] if token.kind == "op" else token.syntax)
    return found


def shell_syntax_of(text: str) -> tuple[str, ...]:
    """Every construct in `text` that makes it more than one plain argv (() when shlex-safe)."""
    masked, _ = mask_expressions(text)
    tokens = lex(masked)
    found = _syntax(tokens)
    if len(_logical_lines(tokens)) > 1:
        found.append("newline")
    stack: list[str] = []
    for line in _logical_lines(tokens):
        found.extend(_keywords(line, stack))
    return tuple(dict.fromkeys(found))


@dataclass(slots=True)
class _State:
    cwd: str | None
    errexit: bool
    exported: dict[str, str | None] = field(default_factory=dict)
    dirs: list[str | None] = field(default_factory=list)  # pushd stack


def _join_cwd(cwd: str | None, target: str) -> str | None:
    if cwd is None or not target or target.startswith(("/", "~", "-")):
        return None
    joined = posixpath.normpath(posixpath.join(cwd or ".", target))
    if joined == ".":
        return ""
    return None if joined == ".." or joined.startswith("../") else joined


def _apply(
    command: Command,
    words: list[Token],
    assigned: list[Token],
    state: _State,
    expressions: list[str],
    *,
    subshell: bool,
) -> None:
    """Carry what a command changes for the commands after it: cwd, errexit, exported env."""
    argv = command.argv
    compound = "compound" in command.shell_syntax
    moves = {"cd", "pushd", "popd"}
    if command.program in moves or (any(t.value in moves for t in words) and (argv is None or compound)):
        if subshell:
            return  # a subshell's `cd` does not outlive it
        if argv is None or compound or len(argv) > 2:
            state.cwd = None  # conditional or computed: from here on we cannot know where we are
        elif command.program == "popd":
            state.cwd = state.dirs.pop() if state.dirs and len(argv) == 1 else None
        else:
            if command.program == "pushd":
                state.dirs.append(state.cwd)
            state.cwd = _join_cwd(state.cwd, argv[1]) if len(argv) == 2 else None
    elif command.kind is CommandKind.SHELL_OPTION and argv is not None:
        for index, arg in enumerate(argv[1:], start=1):
            if arg[:1] in {"-", "+"} and arg[1:] != "o" and "e" in arg and not arg.startswith("--"):
                state.errexit = arg[0] == "-"
            elif arg in {"-o", "+o"} and argv[index + 1 : index + 2] == ("errexit",):
                state.errexit = arg == "-o"
    elif command.kind is CommandKind.ENV:
        exporting = command.program == "export"
        for token in words[1:] if exporting else assigned:
            name, eq, value = token.value.partition("=")
            if eq and _NAME.fullmatch(name) and (exporting or name in state.exported):
                static = not token.syntax and not expression_indexes(token.text, expressions)
                state.exported[name] = value if static and not compound else None


def _kind(program: str | None) -> CommandKind:
    if program is None:
        return CommandKind.ENV
    if program == "cd":
        return CommandKind.CD
    if program == "set":
        return CommandKind.SHELL_OPTION
    if program in {"echo", "printf"}:
        return CommandKind.ECHO
    if program == "export":
        return CommandKind.ENV
    return CommandKind.BUILTIN if program in _BUILTINS else CommandKind.RUN


def _text(segment: list[Token]) -> str:
    """Tokens joined by one space where the source had any whitespace (or a continuation)."""
    parts = [
        token.text if index == 0 or token.start == segment[index - 1].end else " " + token.text
        for index, token in enumerate(segment)
    ]
    return "".join(parts)


def split_run(
    script: str, *, first_line: int = 1, exact_lines: bool = True, cwd: str | None = "", errexit: bool = True
) -> tuple[Command, ...]:
    """The simple commands of a bash `run:` script, one per logical line or `&&` link.

    `first_line` is the workflow line of the script's first line; when the YAML style folds lines
    (`exact_lines=False`) every command is attributed to it. `errexit` says whether the shell
    starts with `-e` (GitHub's default `bash -e {0}` does); `cwd` None means not statically known.
    """
    masked, expressions = mask_expressions(script)
    tokens = lex(masked)
    newlines = [m.start() for m in re.finditer("\n", masked)]
    lines = _logical_lines(tokens)
    state = _State(cwd=cwd, errexit=errexit)
    stack: list[str] = []
    commands: list[Command] = []
    for number, line in enumerate(lines):
        was_open = bool(stack)
        compound = bool(_keywords(line, stack)) or was_open or bool(stack)
        segments = _segments(line)
        for position, segment in enumerate(segments):
            syntax = _syntax(segment) + (["compound"] if compound else [])
            words = [t for t in segment if t.kind == "word" and not t.io_number]
            assigned: list[Token] = []
            while words and _ASSIGNMENT.match(words[0].text):
                assigned.append(words.pop(0))
            if state.cwd is None:
                syntax.append("unknown-cwd")
            found = expression_indexes(" ".join(t.text for t in segment), expressions)
            plain = not syntax and not found
            final = number == len(lines) - 1 or (state.errexit and position == len(segments) - 1)
            command = Command(
                text=unmask(_text(segment), expressions),
                argv=tuple(t.value for t in words) if plain else None,
                line=first_line + (bisect_right(newlines, segment[0].start) if exact_lines else 0),
                cwd=state.cwd or "",
                kind=_kind(words[0].value if words else None),
                program=words[0].value if words else None,
                shell_syntax=tuple(dict.fromkeys(syntax)),
                expressions=tuple(expressions[i] for i in found),
                assignments=tuple(
                    (n, unmask(v, expressions)) for n, _, v in (t.value.partition("=") for t in assigned)
                ),
                exported=tuple(state.exported.items()),
                exit_checked=final and not compound,
            )
            commands.append(command)
            subshell = segment[0].text == "(" and segment[-1].text == ")"
            _apply(command, words, assigned, state, expressions, subshell=subshell)
    return tuple(commands)
