"""Decide whether a Rust `cfg(...)` predicate holds for one build, so gated tests are known."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["TargetInfo", "evaluate_cfg", "target_info"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetInfo:
    """The `target_*` cfg values of one target triple; None where the triple does not tell."""

    arch: str | None
    os: str | None
    family: tuple[str, ...] | None
    env: str | None
    vendor: str | None
    pointer_width: str | None
    endian: str | None


_HOST = TargetInfo(
    arch="x86_64",
    os="linux",
    family=("unix",),
    env="gnu",
    vendor="unknown",
    pointer_width="64",
    endian="little",
)

_POINTER_WIDTH = {
    "x86_64": "64",
    "aarch64": "64",
    "riscv64gc": "64",
    "powerpc64le": "64",
    "s390x": "64",
    "wasm32": "32",
    "i686": "32",
    "i586": "32",
    "armv7": "32",
    "arm": "32",
    "thumbv7em": "32",
}
_BIG_ENDIAN = frozenset({"s390x", "powerpc64", "powerpc", "mips", "sparc64"})
_OS_FAMILY = {
    "linux": ("unix",),
    "macos": ("unix",),
    "ios": ("unix",),
    "freebsd": ("unix",),
    "netbsd": ("unix",),
    "openbsd": ("unix",),
    "android": ("unix",),
    "windows": ("windows",),
    "none": (),
    "unknown": ("wasm",),
    "wasi": ("wasm",),
}


def target_info(triple: str | None) -> TargetInfo:
    """The cfg values of a target triple (`None`: the host, assumed x86_64 Linux with glibc)."""
    if triple is None or triple == "x86_64-unknown-linux-gnu":
        return _HOST
    parts = triple.split("-")
    arch = parts[0]
    vendor = parts[1] if len(parts) > 1 else None
    os_name = parts[2] if len(parts) > 2 else None
    env = parts[3] if len(parts) > 3 else ""
    if os_name == "darwin":
        os_name = "macos"
    if arch.startswith("wasm"):
        family: tuple[str, ...] | None = ("wasm",)
    else:
        family = _OS_FAMILY.get(os_name or "")
    return TargetInfo(
        arch="arm" if arch.startswith(("armv", "thumb")) else arch,
        os=os_name,
        family=family,
        env=env,
        vendor=vendor,
        pointer_width=_POINTER_WIDTH.get(arch),
        endian="big" if arch in _BIG_ENDIAN else "little",
    )


# rustc's cfg grammar: https://doc.rust-lang.org/reference/conditional-compilation.html
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<raw>r(?P<hashes>\#*)"(?P<rawbody>.*?)"(?P=hashes))
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<punct>[(),=])
    )""",
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class _Name:
    name: str


@dataclass(frozen=True, slots=True)
class _Pair:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class _Group:
    op: str  # "all" | "any" | "not"
    items: tuple[_Node, ...]


_Node = _Name | _Pair | _Group


class _Malformed(Exception):  # noqa: N818 - private control flow, never escapes this module
    pass


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _Malformed
        pos = match.end()
        if match.group("string") is not None:
            body = match.group("string")[1:-1]
            tokens.append(("str", re.sub(r"\\(.)", r"\1", body)))
        elif match.group("raw") is not None:
            tokens.append(("str", match.group("rawbody")))
        elif match.group("ident") is not None:
            tokens.append(("ident", match.group("ident")))
        else:
            tokens.append((match.group("punct"), match.group("punct")))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self, kind: str) -> str:
        if self.peek() != kind:
            raise _Malformed
        value = self.tokens[self.pos][1]
        self.pos += 1
        return value

    def predicate(self) -> _Node:
        name = self.take("ident")
        if self.peek() == "=":
            self.take("=")
            return _Pair(name, self.take("str"))
        if self.peek() == "(" and name in {"all", "any", "not"}:
            self.take("(")
            items: list[_Node] = []
            while self.peek() != ")":
                items.append(self.predicate())
                if self.peek() == ",":
                    self.take(",")
                elif self.peek() != ")":
                    raise _Malformed
            self.take(")")
            if name == "not" and len(items) != 1:
                raise _Malformed
            return _Group(name, tuple(items))
        return _Name(name)


def _parse(predicate: str) -> _Node:
    text = predicate.strip()
    if text.startswith("cfg(") and text.endswith(")"):
        text = text[4:-1]
    parser = _Parser(_tokenize(text))
    node = parser.predicate()
    if parser.peek() is not None:
        raise _Malformed
    return node


_ATOMIC_WIDTHS = {"8", "16", "32", "64", "ptr"}
_BASELINE_X86_64_FEATURES = {"fxsr", "sse", "sse2"}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    features: frozenset[str]
    test: bool
    doctest: bool
    debug_assertions: bool
    target: TargetInfo


def _value_of(key: str, value: str, ctx: _Context) -> bool | None:
    target = ctx.target
    simple: dict[str, str | None] = {
        "target_arch": target.arch,
        "target_os": target.os,
        "target_env": target.env,
        "target_vendor": target.vendor,
        "target_pointer_width": target.pointer_width,
        "target_endian": target.endian,
    }
    if key == "feature":
        return value in ctx.features
    if key in simple:
        known = simple[key]
        return None if known is None else value == known
    if key == "target_family":
        return None if target.family is None else value in target.family
    if key == "panic":
        return value == "unwind"
    if key == "target_has_atomic" and target is _HOST:
        return value in _ATOMIC_WIDTHS
    if key == "target_feature" and target is _HOST:
        return True if value in _BASELINE_X86_64_FEATURES else None
    return None


def _name_of(name: str, ctx: _Context) -> bool | None:
    family = ctx.target.family
    flags: dict[str, bool | None] = {
        "test": ctx.test,
        "doctest": ctx.doctest,
        "debug_assertions": ctx.debug_assertions,
        "unix": None if family is None else "unix" in family,
        "windows": None if family is None else "windows" in family,
        "miri": False,
        "proc_macro": False,
        "true": True,
        "false": False,
    }
    return flags.get(name)


def _evaluate(node: _Node, ctx: _Context) -> bool | None:
    match node:
        case _Name(name):
            return _name_of(name, ctx)
        case _Pair(key, value):
            return _value_of(key, value, ctx)
        case _Group(op, items):
            pass
    values = [_evaluate(child, ctx) for child in items]
    if op == "not":
        return None if values[0] is None else not values[0]
    if op == "all":
        if False in values:
            return False
        return None if None in values else True
    # any
    if True in values:
        return True
    return None if None in values else False


def evaluate_cfg(
    predicate: str,
    *,
    features: frozenset[str],
    test: bool = True,
    doctest: bool = False,
    debug_assertions: bool = True,
    target: str | None = None,
) -> bool | None:
    """Whether `predicate` (e.g. `all(test, feature = "x")`) holds; None if unknown or malformed.

    Three-valued: `any(unknown, true)` is True and `all(unknown, false)` is False, so one
    cfg we cannot judge (say `tokio_unstable`) only spoils the answer when it matters.
    """
    try:
        node = _parse(predicate)
    except _Malformed:
        return None
    ctx = _Context(
        features=features,
        test=test,
        doctest=doctest,
        debug_assertions=debug_assertions,
        target=target_info(target),
    )
    return _evaluate(node, ctx)
