"""Properties of the parsers that read untrusted text: round-trips hold, and nothing but InputError escapes.

Hypothesis budgets are small (`max_examples`) so the whole file stays well under 20 seconds.
"""

from __future__ import annotations

import re
import shlex

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from parity.config import Columns
from parity.errors import InputError
from parity.evidence import parse_ci_cell, parse_evidence_cell
from parity.libtest import parse_libtest_lines
from parity.matrix import Matrix, parse_matrix
from parity.model import Outcome
from parity.shellsplit import shell_syntax_of

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COLUMNS = Columns()
HEADER = (
    COLUMNS.capability,
    COLUMNS.status,
    COLUMNS.code,
    COLUMNS.tests,
    COLUMNS.ci,
    COLUMNS.owner,
    COLUMNS.notes,
)

# -- the matrix table ---------------------------------------------------------------------------

# Cell text is built from tokens a matrix really holds: words, code spans, `<br>`, escaped pipes.
_CELL_TOKENS = st.one_of(
    st.text(alphabet="abcXYZ019_-.:/()+,#*", min_size=1, max_size=8),
    st.sampled_from([" ", "`", "<br>", "<br/>", "\\|", "`a\\|b`", "(`sym`)", "é", "→"]),
)
CELLS = st.lists(_CELL_TOKENS, max_size=8).map(lambda tokens: "".join(tokens).strip())
ROWS = st.lists(st.lists(CELLS, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=6)


def render_table(rows: list[list[str]], *, section: str = "Core") -> str:
    lines = [f"## {section}", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines.extend("| " + " | ".join(cells) + " |" for cells in rows)
    return "\n".join(lines) + "\n"


def cells_of(matrix: Matrix) -> list[list[str]]:
    return [[row.get(name) for name in HEADER] for row in matrix.rows]


@FAST
@given(ROWS)
def test_matrix_round_trip(rows: list[list[str]]) -> None:
    text = render_table(rows)
    first = parse_matrix(text, "m.md", COLUMNS)
    assert cells_of(first) == rows  # every cell comes back as written, escaped pipes included
    assert [row.line for row in first.rows] == list(range(5, 5 + len(rows)))
    assert {row.section for row in first.rows} == {"Core"}
    again = parse_matrix(render_table(cells_of(first)), "m.md", COLUMNS)
    assert cells_of(again) == cells_of(first)
    for row in first.rows:  # `fix` rewrites cells in place: each start offset points at its text
        line = text.splitlines()[row.line - 1]
        for cell in row.cells.values():
            assert line[cell.start : cell.start + len(cell.text)] == cell.text


_MATRIX_LINES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "| " + " | ".join(HEADER) + " |",
            "|" + "---|" * len(HEADER),
            "| a | b |",
            "|---|---|",
            "## Section",
            "",
            "```",
            "| Capability | Status |",
            "| x | Implemented | `a.rs:1` | `b.rs:2` (`t`) | `ci.yml` (job `t`: `cargo test`) | TBD | n |",
            "\\|",
            "|",
        ]
    ),
)


@FAST
@given(st.one_of(st.text(max_size=300), st.lists(_MATRIX_LINES, max_size=12).map("\n".join)))
def test_matrix_parser_raises_only_input_errors(text: str) -> None:
    error: InputError | None = None
    try:
        matrix = parse_matrix(text, "m.md", COLUMNS)
    except InputError as exc:
        error = exc
    if error is not None:  # one line, naming the file and (when it has one) a line that exists
        assert error.path == "m.md"
        assert error.line is None or 1 <= error.line <= max(1, len(text.splitlines()))
        return
    assert all(1 <= row.line <= len(text.splitlines()) for row in matrix.rows)


# -- evidence cells -----------------------------------------------------------------------------

IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
SYMBOL = st.lists(IDENT, min_size=1, max_size=3).map("::".join)
PATH = st.builds(
    lambda parts, ext: "/".join(parts) + ext,
    st.lists(st.from_regex(r"[a-z][a-z0-9_\-]{0,8}", fullmatch=True), min_size=1, max_size=4),
    st.sampled_from([".rs", ".py", ".md"]),
)
REF = st.tuples(PATH, st.one_of(st.none(), st.integers(1, 99_999)), st.lists(SYMBOL, max_size=3))
GLUE = st.sampled_from([", ", " + ", " and ", ", ", " / "])
BREAK = st.sampled_from(["<br>", "<br/>", "<br />", "<BR>"])


def render_ref(path: str, line: int | None, symbols: list[str], glue: str) -> str:
    token = path if line is None else f"{path}:{line}"
    names = glue.join(f"`{s}`" for s in symbols)
    return f"`{token}`" + (f" ({names})" if symbols else "")


@FAST
@given(st.lists(REF, min_size=1, max_size=4), GLUE, BREAK)
def test_evidence_cell_round_trip(refs: list[tuple[str, int | None, list[str]]], glue: str, br: str) -> None:
    text = br.join(render_ref(path, line, symbols, glue) for path, line, symbols in refs)
    cell = parse_evidence_cell(text)
    assert [(r.path, r.line, list(r.symbols)) for r in cell.refs] == refs
    assert cell.missing == ()
    assert cell.prose == ()
    for ref in cell.refs:  # offsets point at the path inside the cell (for in-place rewrites)
        assert text[ref.offset : ref.offset + len(ref.token)] == ref.token


COMMAND = st.from_regex(r"[a-z][a-z0-9 _./=:'|;-]{0,30}[a-z0-9]", fullmatch=True)


@FAST
@given(
    st.lists(
        st.tuples(
            PATH.map(lambda p: ".github/workflows/" + p.rsplit(".", 1)[0] + ".yml"),
            IDENT,
            st.lists(COMMAND, min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=3,
    ),
    BREAK,
)
def test_ci_cell_round_trip(refs: list[tuple[str, str, list[str]]], br: str) -> None:
    """A command's `|` is written `\\|` in a table cell, and comes back as `|`."""
    text = br.join(
        f"`{wf}` (job `{job}`: " + " + ".join(f"`{c.replace('|', chr(92) + '|')}`" for c in cmds) + ")"
        for wf, job, cmds in refs
    )
    parsed = parse_ci_cell(text)
    assert [(r.workflow, r.job, list(r.commands)) for r in parsed] == refs


_EVIDENCE_NOISE = st.text(alphabet="`()<>br/:.,+ab_1\\|-\n ", max_size=80)


@FAST
@given(st.one_of(st.text(max_size=200), _EVIDENCE_NOISE))
def test_evidence_parsers_never_raise(text: str) -> None:
    cell = parse_evidence_cell(text)
    for ref in cell.refs:
        assert ref.path
        assert ref.line is None or ref.line >= 0
    for ci in parse_ci_cell(text):
        assert ci.workflow


# -- libtest logs -------------------------------------------------------------------------------

_WORDS = {"ok": Outcome.PASSED, "FAILED": Outcome.FAILED, "ignored": Outcome.IGNORED}
TEST_NAME = st.from_regex(r"(tests|mod_a::tests)::[a-z][a-z0-9_]{0,15}", fullmatch=True)
# Noise is what a test prints with --nocapture or what cargo prints between binaries, minus anything
# that has a meaning in libtest's or cargo's grammar (a result, a header, a summary, a block).
_NOISE_PREFIXES = (
    *("test", "running", "Running", "Doc-tests", "error", "failures", "successes", "----"),
    *("thread", "warning", "note:", "process didn't", "Compiling", "Finished"),
)
NOISE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=40).filter(
    lambda line: (
        not line.strip().startswith(_NOISE_PREFIXES)
        and not re.fullmatch(r"\s{4}\S.*|[.iFb]+( \d+/\d+)?", line)
        and "test " not in line
        and "---" not in line
    )
)


@st.composite
def libtest_logs(draw: st.DrawFn) -> tuple[list[str], dict[str, Outcome]]:
    names = draw(st.lists(TEST_NAME, min_size=1, max_size=12, unique=True))
    outcomes = {name: _WORDS[draw(st.sampled_from(sorted(_WORDS)))] for name in names}
    counted = {o: sum(1 for v in outcomes.values() if v is o) for o in _WORDS.values()}
    result_lines = [
        f"test {name} ... {next(w for w, o in _WORDS.items() if o is outcomes[name])}" for name in names
    ]
    status = "FAILED" if counted[Outcome.FAILED] else "ok"
    body: list[str] = []
    for line in result_lines:  # interleave noise before each result line
        body.extend(draw(st.lists(NOISE, max_size=3)))
        body.append(line)
    body.extend(draw(st.lists(NOISE, max_size=3)))
    log = [
        "   Compiling tiny v0.1.0 (/work/tiny)",
        "    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.40s",
        "     Running unittests src/lib.rs (target/debug/deps/tiny-0123456789abcdef)",
        "",
        f"running {len(names)} tests",
        *body,
        "",
        f"test result: {status}. {counted[Outcome.PASSED]} passed; {counted[Outcome.FAILED]} failed; "
        f"{counted[Outcome.IGNORED]} ignored; 0 measured; 0 filtered out; finished in 0.01s",
        "",
    ]
    return log, outcomes


@FAST
@given(libtest_logs())
def test_libtest_keeps_every_result_through_noise(case: tuple[list[str], dict[str, Outcome]]) -> None:
    log, outcomes = case
    run = parse_libtest_lines(log)
    assert {r.name: r.outcome for r in run.results} == outcomes
    assert len(run.results) == len(outcomes)  # no duplicates, nothing invented from the noise
    (summary,) = run.binaries
    assert summary.complete
    assert summary.running == len(outcomes)


@FAST
@given(
    st.lists(
        st.one_of(NOISE, st.text(max_size=60), st.sampled_from(["running 2 tests", "test a ... ok"])),
        max_size=20,
    )
)
def test_libtest_parser_never_raises(lines: list[str]) -> None:
    lines = [line.replace("\n", " ") for line in lines]  # a log line never holds a newline
    run = parse_libtest_lines(lines)
    assert run.lines == len(lines)


# -- shell syntax detection ---------------------------------------------------------------------

SAFE_WORD = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
    min_size=1,
    max_size=10,
)
_KEYWORDS = {"if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done"}
_KEYWORDS |= {"select", "in", "function", "time", "!", "[[", "]]", "{", "}"}


def _plain_first_word(words: list[str]) -> bool:
    first = words[0]
    return first not in _KEYWORDS and not re.match(r"[A-Za-z_][A-Za-z0-9_]*=", first)


@FAST
@given(st.lists(SAFE_WORD, min_size=1, max_size=6))
def test_shlex_quoted_words_are_never_flagged(words: list[str]) -> None:
    assume(_plain_first_word(words) and not any("${{" in w for w in words))
    assert shell_syntax_of(shlex.join(words)) == ()


@FAST
@given(
    st.lists(SAFE_WORD, min_size=1, max_size=6),
    st.sampled_from([";", "|", "&", "$", "`", ">", "<"]),
    st.data(),
)
def test_an_unquoted_operator_is_always_flagged(words: list[str], operator: str, data: st.DataObject) -> None:
    assume(_plain_first_word(words) and not any("${{" in w for w in words))
    quoted = [shlex.quote(w) for w in words]
    at = data.draw(st.integers(1, len(quoted)), label="position")
    before = data.draw(st.sampled_from(["", " "]), label="space before")
    after = data.draw(st.sampled_from(["", " "]), label="space after")
    # A lone `$` before a blank is a literal dollar in bash; before a name it is an expansion.
    inserted = operator + ("x" if operator == "$" else after)
    text = " ".join(quoted[:at]) + before + inserted + " ".join(quoted[at:])
    assert shell_syntax_of(text) != ()
