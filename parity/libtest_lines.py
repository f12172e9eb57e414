"""Recognise single lines of `cargo test` output; the state machine in `libtest` decides what they mean.

The formats are copied from the programs that print them (rust-lang/rust and rust-lang/cargo):
- library/test/src/formatters/pretty.rs: `write_test_name`, `write_result`, `write_run_start`,
  `write_run_finish`, `write_results` (the failures/successes blocks);
- library/test/src/formatters/terse.rs: `write_short_result`, `write_failed` (`-q`);
- library/test/src/types.rs `TestDesc::test_mode` and `padded_name` (benches pad names);
- cargo src/cargo/ops/cargo_test.rs: the `Running`/`Doc-tests` headers, "to rerun pass", and
  the `--no-fail-fast` "N targets failed" summary;
- cargo src/cargo/core/compiler/job_queue: `could not compile `crate` (target) due to ...`;
- rustup src/errors.rs: "toolchain '{}' is not installed".
"""

from __future__ import annotations

import re
from typing import NamedTuple

from parity.libtest_results import BinaryKind, TestMode
from parity.model import Outcome

__all__ = [
    "ARROW",
    "BLOCK",
    "COULD_NOT_COMPILE",
    "DIAGNOSTIC",
    "EXIT_STATUS",
    "LIST_ITEM",
    "PANIC",
    "RERUN",
    "RUNNING",
    "SECTION",
    "SUMMARY",
    "TARGETS_FAILED",
    "TARGET_ITEM",
    "TERSE_FAILED",
    "TERSE_PROGRESS",
    "Header",
    "Reported",
    "TestLine",
    "clean_line",
    "match_header",
    "match_outcome",
    "match_test_line",
    "match_toolchain_error",
    "outcome_candidate",
]

# CSI (colours, erase), OSC (cargo's hyperlinks, ended by BEL or ST), charset selection
# (`ESC ( B`, which terminfo's sgr0 emits after libtest's coloured `ok`), other 2-byte escapes.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[()*+][0-9A-Za-z]|[@-Z\\-_])")


def clean_line(raw: str) -> str:
    """Drop escapes, the line ending and whatever a bare `\\r` overwrote on a terminal."""
    text = _ANSI.sub("", raw).rstrip("\r\n")
    if "\r" in text:
        parts = [p for p in text.split("\r") if p]
        text = parts[-1] if parts else ""
    return text.rstrip()


class Header(NamedTuple):
    kind: BinaryKind
    src_path: str
    exe_name: str
    exe_path: str


# cargo_test.rs: Test and Bench targets print `{path} ({exe})`, every other target (lib, bin,
# example) prints `unittests {path} ({exe})`; the path is relative to the package root.
_RUNNING_HEADER = re.compile(r"^\s*Running (?P<unit>unittests )?(?P<src>.+) \((?P<exe>[^()]+)\)$")
_OLD_RUNNING_HEADER = re.compile(r"^\s*Running (?P<exe>\S*deps[/\\]\S+)$")  # cargo < 1.52
_DOC_HEADER = re.compile(r"^\s*Doc-tests (?P<crate>\S+)$")
_HASH_SUFFIX = re.compile(r"-[0-9a-f]{8,}$")


def _exe_name(exe_path: str) -> str:
    stem = re.split(r"[/\\]", exe_path)[-1].removesuffix(".exe")
    return _HASH_SUFFIX.sub("", stem)


def match_header(text: str) -> Header | None:
    if m := _DOC_HEADER.match(text):
        return Header(BinaryKind.DOCTEST, "", m["crate"], "")
    if m := _RUNNING_HEADER.match(text):
        src = m["src"]
        if m["unit"]:
            kind = BinaryKind.UNITTESTS
        elif src.replace("\\", "/").startswith("benches/"):
            kind = BinaryKind.BENCH
        else:
            kind = BinaryKind.TEST
        return Header(kind, src, _exe_name(m["exe"]), m["exe"])
    if m := _OLD_RUNNING_HEADER.match(text):
        return Header(BinaryKind.UNKNOWN, "", _exe_name(m["exe"]), m["exe"])
    return None


# pretty.rs write_run_start: "\nrunning {n} {test|tests}{ (shuffle seed: N)}\n"
RUNNING = re.compile(r"^running (?P<n>\d+) tests?(?: \(shuffle seed: \d+\))?$")
SUMMARY = re.compile(
    r"^test result: (?P<status>ok|FAILED)\. (?P<passed>\d+) passed; (?P<failed>\d+) failed; "
    r"(?P<ignored>\d+) ignored; (?P<measured>\d+) measured; (?P<filtered_out>\d+) filtered out"
    r"(?:; finished in .*)?$"
)
BLOCK = re.compile(r"^(?P<kind>failures|successes)(?: \(time limit exceeded\))?:$")
SECTION = re.compile(r"^---- (?P<name>.+) (?:stdout|stderr) ----$")
LIST_ITEM = re.compile(r"^    (?P<name>\S.*)$")
TERSE_PROGRESS = re.compile(r"^(?P<marks>[.iFb]+)(?: \d+/\d+)?$")
TERSE_FAILED = re.compile(r"^(?P<name>\S+(?: - .+? \(line \d+\))?) --- FAILED(?: \(.*\))?$")
# Rust >= 1.73: "thread 'name' panicked at src/x.rs:1:2:", >= 1.90 adds the thread id.
PANIC = re.compile(r"^thread '(?P<name>[^']*)'(?: \(\d+\))? panicked at ")

# A name is one token, except doctests: `{file} - {item path} (line {n})` (rustdoc), whose item
# path may contain spaces (`Foo<'a, T>::bar`). Bench names are padded with spaces before `...`.
_TEST_LINE = re.compile(
    r"test (?P<name>\S+ - .+? \(line \d+\)|\S+?) *"
    r"(?: - (?P<mode>should panic|compile fail|compile))? +\.\.\.(?: (?P<rest>.*))?$"
)
_OUTCOME = re.compile(
    r"^(?:(?P<ok>ok)|(?P<failed>FAILED)(?: \(time limit exceeded\))?"
    r"|(?P<ignored>ignored)(?:, (?P<reason>.*?))?|bench: *(?P<bench>.*?))(?: <[\d.]+s>)?$"
)
# What a test printed without a trailing newline may be glued to: "outputok" or "okoutput".
_GLUED = re.compile(r"(?P<tail>ok|FAILED|ignored)$|^(?P<head>ok|FAILED|ignored)\S")


class Reported(NamedTuple):
    outcome: Outcome
    ignore_reason: str | None
    bench: str | None


class TestLine(NamedTuple):
    name: str
    mode: TestMode
    rest: str  # what follows `... `: an outcome, or output glued to a started test
    prefixed: bool  # found after other text on the line (a parallel test's unterminated print)


def match_outcome(text: str) -> Reported | None:
    """`ok`, `FAILED`, `ignored, reason`, `bench: ...` exactly as `write_result` prints them."""
    m = _OUTCOME.match(text)
    if m is None:
        return None
    if m["ok"]:
        return Reported(Outcome.PASSED, None, None)
    if m["failed"]:
        return Reported(Outcome.FAILED, None, None)
    if m["ignored"]:
        return Reported(Outcome.IGNORED, m["reason"], None)
    return Reported(Outcome.BENCH, None, m["bench"])


def outcome_candidate(text: str) -> Outcome | None:
    m = _GLUED.search(text)
    if m is None:
        return None
    word = m["tail"] or m["head"]
    return {"ok": Outcome.PASSED, "FAILED": Outcome.FAILED}.get(word, Outcome.IGNORED)


def match_test_line(text: str) -> TestLine | None:
    """`test NAME[ - MODE] ... REST`, at the start of the line or after unterminated output."""
    start = 0 if text.startswith("test ") else text.find("test ")
    while start != -1:
        m = _TEST_LINE.fullmatch(text, start)
        if m is not None:
            rest = m["rest"] or ""
            # After other text only a complete result (or a bare start) is believable.
            if start == 0 or not rest or match_outcome(rest):
                mode = TestMode(m["mode"]) if m["mode"] else TestMode.NORMAL
                return TestLine(m["name"], mode, rest, start > 0)
        start = text.find("test ", start + 1)
    return None


# cargo's own lines
RERUN = re.compile(r"^error: (?:test|doctest|bench) failed, to rerun pass `(?P<args>[^`]*)`")
TARGETS_FAILED = re.compile(r"^error: (?P<n>\d+) targets? failed:$")
TARGET_ITEM = re.compile(r"^    `(?P<args>[^`]+)`$")
EXIT_STATUS = re.compile(r"^\s*process didn't exit successfully: `.*` \((?P<status>[^()]*)\)$")
COULD_NOT_COMPILE = re.compile(r"^error: could not compile `(?P<crate>[^`]+)`(?: \((?P<target>[^()]*)\))?")
DIAGNOSTIC = re.compile(r"^error(?:\[(?P<code>E\d+)\])?: (?P<message>.*)$")
ARROW = re.compile(r"^\s*--> (?P<path>.+?):(?P<line>\d+):(?P<col>\d+)$")

_TOOLCHAIN_ERRORS = (
    # rustup >= 1.28: "error: toolchain '1.88-x86_64-unknown-linux-gnu' is not installed"
    re.compile(r"^error: (?:override )?toolchain '(?P<tc>[^']+)' is not install(?:ed|able)"),
    re.compile(r"^error: '[^']+' is not installed for the toolchain '(?P<tc>[^']+)'"),
    re.compile(r"^error: the '[^']+' binary, .* is not applicable to the '(?P<tc>[^']+)' toolchain"),
    re.compile(r"^error: rustup could not choose a version of \S+ to run(?P<tc>)"),
)


def match_toolchain_error(text: str) -> str | None:
    """The toolchain name rustup complained about ("" if it did not name one)."""
    for pattern in _TOOLCHAIN_ERRORS:
        if m := pattern.match(text):
            return m["tc"]
    return None
