"""Bash's token rules, close enough to tell a plain argv from shell syntax (quotes, `$`, operators)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Token", "expression_indexes", "lex", "mask_expressions", "unmask"]

# `${{ }}` is substituted by the runner before bash sees the script, so it is masked first.
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
_MARK = re.compile("\x00(\\d+)\x00")
_OPERATORS = (
    *(";;&", "<<<", "<<-", "&>>"),
    *("&&", "||", ";;", ";&", "|&", "<<", "<&", "<>", "<(", ">>", ">&", ">|", ">(", "&>"),
    *("<", ">", "|", "&", ";", "(", ")"),
)
_METACHARS = frozenset(" \t\n&|;<>()")
_BRACE = re.compile(r"\{[^{}\s]*(,|\.\.)[^{}\s]*\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_PARAMETERS = frozenset("@*#?$!-0123456789")


@dataclass(slots=True)
class Token:
    kind: str  # "word" | "op" | "newline"
    start: int
    end: int
    text: str  # source text (continuations removed); op text for operators
    value: str = ""  # quote-removed word
    syntax: list[str] = field(default_factory=list)
    io_number: bool = False  # `2` of `2>&1`: part of a redirection, not an argument
    heredoc_delimiter: bool = False


class _Lexer:
    """A POSIX/bash token scanner, close enough to bash for deciding what is *not* a plain argv."""

    def __init__(self, source: str) -> None:
        self.s = source
        self.i = 0
        self.tokens: list[Token] = []
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, strip tabs) awaiting the next newline
        self.expect_delimiter: str | None = None

    def run(self) -> list[Token]:
        s, n = self.s, len(self.s)
        while self.i < n:
            c = s[self.i]
            if c in " \t":
                self.i += 1
            elif s.startswith("\\\n", self.i):
                self.i += 2
            elif c == "\n":
                self.tokens.append(Token("newline", self.i, self.i + 1, "\n"))
                self.i += 1
                self._heredoc_bodies()
            elif c == "#":
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end
            elif c in _METACHARS:
                self._operator()
            else:
                self._word()
        return self.tokens

    def _operator(self) -> None:
        op = next(o for o in _OPERATORS if self.s.startswith(o, self.i))
        end = self.i + len(op)
        if op in {"<(", ">("}:  # process substitution: one token up to its `)`
            end = self._skip_balanced(self.i + 1, "(", ")", [])
        token = Token("op", self.i, end, self.s[self.i : end])
        prev = self.tokens[-1] if self.tokens else None
        if op[0] in "<>" and prev and prev.kind == "word" and prev.end == self.i and prev.text.isdigit():
            prev.io_number = True
        if op in {"<<", "<<-"}:
            self.expect_delimiter = op
        self.tokens.append(token)
        self.i = end

    def _heredoc_bodies(self) -> None:
        for delimiter, strip_tabs in self.heredocs:
            while self.i < len(self.s):
                end = self.s.find("\n", self.i)
                end = len(self.s) if end < 0 else end
                line = self.s[self.i : end]
                self.i = min(end + 1, len(self.s))
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        self.heredocs.clear()

    def _word(self) -> None:
        s, n, start = self.s, len(self.s), self.i
        last_close = s.rfind("]", start, self._word_end())  # `[` globs only if a `]` follows
        value: list[str] = []
        syntax: list[str] = []
        while self.i < n and s[self.i] not in _METACHARS:
            c = s[self.i]
            at_start = self.i == start
            if c == "\\":
                if s.startswith("\\\n", self.i):
                    self.i += 2
                    continue
                value.append(s[self.i + 1 : self.i + 2] or "\\")
                self.i += 2
            elif c == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    syntax.append("unterminated")
                    end = n
                value.append(s[self.i + 1 : end])
                self.i = end + 1
            elif c == '"':
                self._double_quoted(value, syntax)
            elif c in "$`":
                value.append(self._expansion(syntax))
            else:
                if c in "*?" or (c == "[" and last_close > self.i):
                    syntax.append("glob")
                elif c == "~" and (at_start or s[self.i - 1] in "=:"):
                    syntax.append("~")
                elif c == "{" and _BRACE.match(s, self.i):
                    syntax.append("{a,b}")
                value.append(c)
                self.i += 1
        text = s[start : self.i].replace("\\\n", "")
        token = Token("word", start, self.i, text, "".join(value), syntax)
        if self.expect_delimiter:
            self.heredocs.append((token.value, self.expect_delimiter == "<<-"))
            token.heredoc_delimiter = True
            self.expect_delimiter = None
        self.tokens.append(token)

    def _word_end(self) -> int:
        end = self.i
        while end < len(self.s) and self.s[end] not in _METACHARS:
            end += 1
        return end

    def _double_quoted(self, value: list[str], syntax: list[str]) -> None:
        s, n = self.s, len(self.s)
        self.i += 1
        while self.i < n and s[self.i] != '"':
            c = s[self.i]
            if c == "\\" and s[self.i + 1 : self.i + 2] in {"$", "`", '"', "\\", "\n"}:
                value.append("" if s[self.i + 1] == "\n" else s[self.i + 1])
                self.i += 2
            elif c in "$`":
                value.append(self._expansion(syntax, quoted=True))
            else:
                value.append(c)
                self.i += 1
        if self.i >= n:
            syntax.append("unterminated")
        self.i += 1

    def _expansion(self, syntax: list[str], *, quoted: bool = False) -> str:
        """Skip `$...` or a backtick substitution; return its text (argv is None anyway)."""
        s, start = self.s, self.i
        nxt = s[self.i + 1 : self.i + 2]
        if s[self.i] == "`":
            self.i = self._skip_to_backtick(self.i + 1, syntax)
            syntax.append("`")
        elif s.startswith("$((", self.i):
            self.i = self._skip_balanced(self.i + 1, "(", ")", syntax)
            syntax.append("$((")
        elif nxt == "(":
            self.i = self._skip_balanced(self.i + 1, "(", ")", syntax)
            syntax.append("$(")
        elif nxt == "{":
            self.i = self._skip_balanced(self.i + 1, "{", "}", syntax)
            syntax.append("${")
        elif nxt and (nxt in _SPECIAL_PARAMETERS or _NAME.match(nxt)):
            match = _NAME.match(s, self.i + 1)
            self.i = match.end() if match else self.i + 2
            syntax.append("$VAR")
        elif nxt in {"'", '"'} and not quoted:
            syntax.append("$" + nxt)  # $'ansi-c' and $"locale" strings
            self.i += 1
            return "$"
        else:
            self.i += 1
        return s[start : self.i]

    def _skip_to_backtick(self, i: int, syntax: list[str]) -> int:
        while i < len(self.s):
            if self.s[i] == "\\":
                i += 2
            elif self.s[i] == "`":
                return i + 1
            else:
                i += 1
        syntax.append("unterminated")
        return len(self.s)

    def _skip_balanced(self, i: int, open_: str, close: str, syntax: list[str]) -> int:
        """From the opening bracket at `i` to just past its match, skipping quoted text."""
        depth, s, n = 0, self.s, len(self.s)
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c in "'\"":
                end = s.find(c, i + 1)
                i = n if end < 0 else end + 1
                continue
            depth += (c == open_) - (c == close)
            i += 1
            if depth == 0:
                return i
        syntax.append("unterminated")
        return n


def lex(source: str) -> list[Token]:
    """Words, operators and newlines; comments, continuations and here-doc bodies are skipped."""
    return _Lexer(source).run()


def mask_expressions(script: str) -> tuple[str, list[str]]:
    found: list[str] = []

    def keep(match: re.Match[str]) -> str:
        found.append(match.group(0))
        return f"\x00{len(found) - 1}\x00"

    return _EXPRESSION.sub(keep, script), found


def expression_indexes(text: str, expressions: list[str]) -> list[int]:
    return [int(i) for i in _MARK.findall(text) if int(i) < len(expressions)]


def unmask(text: str, expressions: list[str]) -> str:
    def restore(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return expressions[index] if index < len(expressions) else match.group(0)

    return _MARK.sub(restore, text)
