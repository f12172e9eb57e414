"""Find the items, tests, doc-tests and `mod` declarations of one Rust file, without a Rust parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parity.rustcursor import GROUP_OPENERS, TO_COMMA, TO_SEMI, Cursor, Token
from parity.rustdoc import doctests_in, impl_names
from parity.rustlex import Attr, DocComment, DocKind, Masked, mask_rust, parse_attr
from parity.rusttest import cfg_of, rust_test, string_arg
from parity.sourcemodel import Symbol, SymbolKind, TestItem

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ModDecl", "RustScan", "scan_rust"]

_QUALIFIERS = frozenset({"async", "unsafe", "default", "safe", "auto"})
_CONST_FN_NEXT = frozenset({"fn", "unsafe", "async", "extern"})
_PREFIXES = _QUALIFIERS | {"const", "extern"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModDecl:
    """`mod name;`: where the module's file is expected, and what gates it."""

    name: str
    inline: tuple[str, ...]  # inline `mod a { ... }` blocks around the declaration
    cfg: tuple[str, ...]  # predicates of the file, the enclosing inline modules and the declaration
    path_attr: str | None
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RustScan:
    """What one file defines. Test and doc-test names are still relative to the file's module."""

    line_count: int
    symbols: tuple[Symbol, ...]
    tests: tuple[TestItem, ...]
    doctests: tuple[TestItem, ...]
    mod_decls: tuple[ModDecl, ...]
    inner_cfg: tuple[str, ...]  # `#![cfg(...)]` at the top of the file
    decls_by_name: Mapping[str, tuple[ModDecl, ...]] = field(default_factory=dict, repr=False, compare=False)


@dataclass(slots=True)
class _Scope:
    path: tuple[str, ...] = ()  # qualname segments
    doc_path: tuple[str, ...] = ()  # rustdoc item path segments (an impl is named by its self type)
    mods: tuple[str, ...] = ()  # inline module nesting
    cfg: list[str] = field(default_factory=list)
    tests_allowed: bool = False
    docs: list[DocComment] = field(default_factory=list)  # inner docs (`//!`) of this module


@dataclass(slots=True, kw_only=True)
class _Item:
    """What was read before an item's keyword."""

    attrs: list[Attr]
    docs: list[DocComment]
    attr_line: int
    scope: _Scope
    stop: int

    @property
    def cfg(self) -> list[str]:
        return [*self.scope.cfg, *cfg_of(self.attrs)]


class _Scanner(Cursor):
    def __init__(self, masked: Masked) -> None:
        super().__init__(masked)
        self.doc_index = 0
        self.symbols: list[Symbol] = []
        self.tests: list[TestItem] = []
        self.doctests: list[TestItem] = []
        self.mod_decls: list[ModDecl] = []

    # --- attributes and docs ----------------------------------------------------------------
    def attributes(self, stop: int, scope: _Scope) -> tuple[list[Attr], int | None, Token | None]:
        """Outer attributes (inner ones add their `cfg` to `scope`), then the first token after them."""
        attrs: list[Attr] = []
        first: int | None = None
        hash_mark = self.tok(stop)
        while hash_mark is not None and hash_mark[1] == "#":
            after_hash = self.pos
            bracket = self.tok(stop)
            inner = bracket is not None and bracket[1] == "!"
            if inner:
                bracket = self.tok(stop)
            if bracket is None or bracket[1] != "[":
                self.pos = after_hash
                break
            close = self.skip_group(bracket[2], stop)
            attr = parse_attr(self.m.text[bracket[2] + 1 : close - 1], self.line(hash_mark[2]))
            if inner:
                scope.cfg.extend(cfg_of([attr]))
            else:
                attrs.append(attr)
                first = hash_mark[2] if first is None else first
            self.pos = close
            hash_mark = self.tok(stop)
        return attrs, first, hash_mark

    def take_docs(self, low: int, high: int, scope: _Scope) -> list[DocComment]:
        """Outer docs in [low, high) are returned; inner docs there belong to `scope`."""
        docs = self.m.docs
        outer: list[DocComment] = []
        while self.doc_index < len(docs) and docs[self.doc_index].offset < high:
            doc = docs[self.doc_index]
            self.doc_index += 1
            if doc.offset >= low:
                (outer if doc.kind is DocKind.OUTER else scope.docs).append(doc)
        return outer

    def add_doctests(self, docs: list[DocComment], doc_path: tuple[str, ...], cfg: list[str]) -> None:
        if any(doc.has_fence for doc in docs):
            self.doctests.extend(doctests_in(docs, "::".join(doc_path), tuple(cfg)))

    def item_doctests(self, item: _Item, name: str) -> None:
        """`add_doctests` for an item's own docs; its path and cfg are only worked out if it has docs."""
        if item.docs:
            self.add_doctests(item.docs, (*item.scope.doc_path, name), item.cfg)

    def symbol(self, name: Token, kind: SymbolKind, item: _Item, end: int, prefix: tuple[str, ...]) -> Symbol:
        line = self.line(name[2])
        symbol = Symbol(
            name=name[1],
            kind=kind,
            qualname="::".join((*prefix, name[1])),
            line=line,
            attr_line=min(item.attr_line, line),
            end_line=self.line(end),
            attrs=tuple([a.text for a in item.attrs]) if item.attrs else (),
        )
        self.symbols.append(symbol)
        return symbol

    # --- items ------------------------------------------------------------------------------
    def items(self, stop: int, scope: _Scope) -> None:
        while True:
            region = self.pos
            attrs, first, start = self.attributes(stop, scope)
            if start is None:
                self.take_docs(region, stop, scope)
                return
            docs = self.take_docs(region, start[2], scope)
            low = start[2]  # where the item starts: its first attribute, doc comment or keyword
            if first is not None and first < low:
                low = first
            if docs and docs[0].offset < low:
                low = docs[0].offset
            item = _Item(attrs=attrs, docs=docs, attr_line=self.line(low), scope=scope, stop=stop)
            self.item(start, item)

    def item(self, start: Token, item: _Item) -> None:
        stop = item.stop
        word: Token | None = start
        if start[1] == "pub":
            word = self.tok(stop)
            if word is not None and word[1] == "(":
                self.pos = self.skip_group(word[2], stop)
                word = self.tok(stop)
        foreign = False
        while word is not None and word[1] in _PREFIXES:
            following = self.peek(stop)
            if following is None:
                return
            if (word[1] in _QUALIFIERS and following[0] == "id") or (
                word[1] == "const" and following[1] in _CONST_FN_NEXT
            ):
                word = self.tok(stop)
            elif word[1] == "extern" and following[1] == "crate":
                self.skip_to(TO_SEMI, stop)
                return
            elif word[1] == "extern":
                foreign = True
                if following[0] == "lit":
                    self.tok(stop)
                word = self.tok(stop)
            else:
                break
        if word is None:
            return
        if word[1] in GROUP_OPENERS:
            if foreign:  # `extern "C" { fn f(); }`
                self.container(word[2], item, (), ())
            else:  # not an item: never read a stray block as items
                self.pos = self.skip_group(word[2], stop)
            return
        keyword = word[1]
        if keyword == "union":  # a contextual keyword: `union` may also name a macro or a fn
            following = self.peek(stop)
            keyword = "union" if following is not None and following[0] == "id" else ""
        if keyword == "fn":
            self.function(item)
        elif keyword in {"struct", "enum", "union", "trait"}:
            self.type_item(keyword, item)
        elif keyword == "mod":
            self.module(item)
        elif keyword == "impl":
            self.impl(word, item)
        elif keyword in {"const", "static", "type"}:
            self.value_item(keyword, item)
        elif keyword == "use":
            self.skip_to(TO_SEMI, stop)
        elif word[0] == "id":
            following = self.peek(stop)
            if following is not None and following[1] in {"!", "::"}:
                self.macro_call(word, item)

    def value_item(self, keyword: str, item: _Item) -> None:
        """`const`, `static` (`mut`), `type`: up to the `;`."""
        name = self.tok(item.stop)
        if name is not None and name[1] == "mut":
            name = self.tok(item.stop)
        end = self.skip_to(TO_SEMI, item.stop)
        if name is not None and name[0] == "id" and name[1] != "_":
            self.symbol(name, SymbolKind(keyword), item, end, item.scope.path)
            self.item_doctests(item, name[1].removeprefix("r#"))

    def macro_call(self, path: Token, item: _Item) -> None:
        """`m! { ... }`, `a::m!(...);`, `macro_rules! name { ... }`: skipped; a macro_rules is a symbol."""
        stop = item.stop
        macro = path
        while (bang := self.tok(stop)) is not None and bang[1] == "::":
            macro = self.tok(stop) or macro
        if bang is None or bang[1] != "!":
            return
        group = self.tok(stop)
        name: Token | None = None
        if group is not None and group[0] == "id":
            name, group = group, self.tok(stop)
        if group is None or group[1] not in GROUP_OPENERS:
            return
        self.pos = self.skip_group(group[2], stop)
        end = self.pos - 1
        semi = self.peek(stop)
        if group[1] != "{" and semi is not None and semi[1] == ";":
            self.tok(stop)
        if macro[1] == "macro_rules" and name is not None:
            self.symbol(name, SymbolKind.MACRO, item, end, item.scope.path)
            self.item_doctests(item, name[1].removeprefix("r#"))

    def container(
        self, open_pos: int, item: _Item, path: tuple[str, ...], doc_path: tuple[str, ...], *, mod: str = ""
    ) -> int:
        """Index the items of a `{ ... }` block (module, impl, trait, extern); returns the `}` offset."""
        scope = item.scope
        close = self.skip_group(open_pos, item.stop)
        inner = _Scope(
            path=scope.path + path,
            doc_path=scope.doc_path + doc_path,
            mods=(*scope.mods, mod) if mod else scope.mods,
            cfg=item.cfg,
            tests_allowed=bool(mod),
        )
        self.pos = open_pos + 1
        self.items(close - 1, inner)
        self.add_doctests(inner.docs, inner.doc_path, inner.cfg)
        self.pos = close
        return close - 1

    def function(self, item: _Item) -> None:
        name = self.tok(item.stop)
        if name is None or name[0] != "id":
            return
        body, returns = self.header(item.stop)
        end = self.pos - 1
        if body is not None:
            end = self.skip_group(body, item.stop) - 1
            self.pos = end + 1
        scope = item.scope
        symbol = self.symbol(name, SymbolKind.FN, item, end, scope.path)
        self.item_doctests(item, name[1].removeprefix("r#"))
        if scope.tests_allowed and body is not None and item.attrs:
            found = rust_test(
                symbol=symbol,
                attrs=item.attrs,
                cfg=scope.cfg,
                mods=scope.mods,
                body=self.clean[body : end + 1],
                returns=returns,
            )
            if found is not None:
                self.tests.append(found)

    def module(self, item: _Item) -> None:
        name = self.tok(item.stop)
        if name is None or name[0] != "id":
            return
        bare = name[1].removeprefix("r#")
        following = self.tok(item.stop)
        if following is not None and following[1] == "{":
            end = self.container(following[2], item, (name[1],), (bare,), mod=name[1])
        else:
            end = following[2] if following is not None else item.stop - 1
            path_attr = next((string_arg(a.args) for a in item.attrs if a.path == "path"), None)
            self.mod_decls.append(
                ModDecl(
                    name=bare,
                    inline=item.scope.mods,
                    cfg=tuple(item.cfg),
                    path_attr=path_attr,
                    line=self.line(name[2]),
                )
            )
        self.symbol(name, SymbolKind.MOD, item, end, item.scope.path)
        self.item_doctests(item, bare)

    def type_item(self, keyword: str, item: _Item) -> None:
        """`struct`, `enum`, `union`, `trait` (whose items are indexed as `Trait::item`)."""
        name = self.tok(item.stop)
        if name is None or name[0] != "id":
            return
        bare = name[1].removeprefix("r#")
        body, _ = self.header(item.stop)
        end = self.pos - 1
        if body is not None and keyword == "trait":
            end = self.container(body, item, (name[1],), (bare,))
        elif body is not None:
            end = self.skip_group(body, item.stop) - 1
            self.members(body, end, keyword, name, item)
            self.pos = end + 1
        self.symbol(name, SymbolKind(keyword), item, end, item.scope.path)
        self.item_doctests(item, bare)

    def members(self, open_pos: int, close: int, keyword: str, owner: Token, item: _Item) -> None:
        """Enum variants (symbols `Enum::Variant`) or named struct fields (doc-tests only)."""
        scope = _Scope(cfg=item.cfg)
        owner_name = owner[1].removeprefix("r#")
        self.pos = open_pos + 1
        while True:
            region = self.pos
            attrs, first, name = self.attributes(close, scope)
            if name is not None and name[1] == "pub":
                name = self.tok(close)
                if name is not None and name[1] == "(":
                    self.pos = self.skip_group(name[2], close)
                    name = self.tok(close)
            if name is None:
                return
            docs = self.take_docs(region, name[2], scope)
            end = self.skip_to(TO_COMMA, close)
            if name[0] != "id":
                continue
            if keyword != "enum" and not docs:
                continue  # a struct field without docs: neither a symbol nor a doc-test
            starts = [name[2], *([first] if first is not None else []), *[d.offset for d in docs[:1]]]
            member = _Item(attrs=attrs, docs=docs, attr_line=self.line(min(starts)), scope=scope, stop=close)
            if keyword == "enum":
                self.symbol(name, SymbolKind.VARIANT, member, end, (*item.scope.path, owner[1]))
            if docs:
                doc_path = (*item.scope.doc_path, owner_name, name[1].removeprefix("r#"))
                self.add_doctests(docs, doc_path, member.cfg)

    def impl(self, keyword: Token, item: _Item) -> None:
        body, _ = self.header(item.stop)
        if body is None:
            return
        display, bare, doc_name = impl_names(self.clean[keyword[3] : body])
        end = self.container(body, item, (bare,), (doc_name,))
        self.symbol(
            (keyword[0], display, keyword[2], keyword[3]), SymbolKind.IMPL, item, end, item.scope.path
        )
        self.item_doctests(item, doc_name)


def scan_rust(path: str, text: str) -> RustScan:
    """Index one Rust source text (`path` is only used in error messages)."""
    masked = mask_rust(path, text)
    scanner = _Scanner(masked)
    top = _Scope(tests_allowed=True)
    scanner.items(len(masked.clean), top)
    scanner.add_doctests(top.docs, (), top.cfg)
    count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    by_name: dict[str, tuple[ModDecl, ...]] = {}
    for decl in scanner.mod_decls:
        by_name[decl.name] = (*by_name.get(decl.name, ()), decl)
    return RustScan(
        line_count=count,
        symbols=tuple(sorted(scanner.symbols, key=lambda s: (s.line, s.qualname))),
        tests=tuple(scanner.tests),
        doctests=tuple(sorted(scanner.doctests, key=lambda d: d.line)),
        mod_decls=tuple(scanner.mod_decls),
        inner_cfg=tuple(top.cfg),
        decls_by_name=by_name,
    )
