"""Python packages of 100 files each: __init__, 49 modules, 45 unit and 5 integration pytest files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gen_sources import NOUNS, Sites, SourceFile, Writer, camel

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["PY_ROOT", "write_package"]

PY_ROOT = "python/genpy"
PY_MODULES = 49  # per package: __init__ + 49 modules + 45 unit + 5 integration test files = 100
PY_UNIT = 45
PY_IT = 5


def _py_block(out: Writer, noun: str, seed: int) -> None:
    big, upper = camel(noun), noun.upper()
    out.add(f'''
MAX_{upper}_ENTRIES = {64 + seed % 9 * 16}


@@{big}State
class {big}State(enum.Enum):
    """Lifecycle of a {noun}."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @@{big}State.next
    def next(self) -> {big}State | None:
        order = [{big}State.PENDING, {big}State.RUNNING, {big}State.SUCCEEDED]
        if self in order[:-1]:
            return order[order.index(self) + 1]
        return None

    @@{big}State.is_terminal
    def is_terminal(self) -> bool:
        return self in {{{big}State.SUCCEEDED, {big}State.FAILED}}


@dataclasses.dataclass(frozen=True, slots=True)
@@{big}Record
class {big}Record:
    """One {noun} as the SDK sees it."""

    id: int
    name: str
    tags: tuple[str, ...] = ()
    version: int = 1
    state: {big}State = {big}State.PENDING

    @@{big}Record.with_tag
    def with_tag(self, tag: str) -> {big}Record:
        if tag in self.tags:
            return self
        return dataclasses.replace(self, tags=tuple(sorted((*self.tags, tag))))

    @@{big}Record.advance
    def advance(self) -> {big}Record:
        following = self.state.next()
        if following is None:
            return self
        return dataclasses.replace(self, state=following, version=self.version + 1)


@@{big}Index
class {big}Index:
    """{big} records by id; a stale version never replaces a newer one."""

    def __init__(self, limit: int = MAX_{upper}_ENTRIES) -> None:
        self._entries: dict[int, {big}Record] = {{}}
        self._limit = limit

    @@{big}Index.insert
    def insert(self, record: {big}Record) -> bool:
        existing = self._entries.get(record.id)
        if existing is None and len(self._entries) >= self._limit:
            return False
        if existing is not None and existing.version >= record.version:
            return False
        self._entries[record.id] = record
        return True

    @@{big}Index.get
    def get(self, record_id: int) -> {big}Record | None:
        return self._entries.get(record_id)

    def __len__(self) -> int:
        return len(self._entries)


@@fingerprint_{noun}
def fingerprint_{noun}(record: {big}Record) -> str:
    """Stable digest of what identifies a {noun} (not its id)."""
    digest = hashlib.sha256()
    digest.update(record.name.encode())
    for tag in record.tags:
        digest.update(b"\\0" + tag.encode())
    digest.update(str(record.version).encode())
    return digest.hexdigest()[:16]


@@group_{noun}_by_state
def group_{noun}_by_state(records: Iterable[{big}Record]) -> dict[{big}State, list[int]]:
    grouped: dict[{big}State, list[int]] = {{}}
    for record in records:
        grouped.setdefault(record.state, []).append(record.id)
    return grouped
''')
    out.blank()
    out.blank()


def _py_module(root: Path, sites: Sites, path: str, nouns: tuple[str, str], seed: int) -> SourceFile:
    out = Writer(path)
    out.add(f'''
"""{camel(nouns[0])} and {nouns[1]} records for the SDK: states, records and bounded indexes."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
''')
    out.blank()
    out.blank()
    for number, noun in enumerate(nouns):
        _py_block(out, noun, seed + number)
    del out.lines[-2:]
    return out.write(root, sites)


def _py_unit(root: Path, sites: Sites, path: str, module: str, nouns: tuple[str, str]) -> SourceFile:
    out = Writer(path)
    names = sorted(f"{camel(n)}{kind}" for n in nouns for kind in ("Index", "Record", "State")) + sorted(
        f"{fn}_{n}{tail}" for n in nouns for fn, tail in (("fingerprint", ""), ("group", "_by_state"))
    )
    imports = "".join(f"    {name},\n" for name in names)
    out.add(f'''
"""Unit tests for `{module}`."""

from __future__ import annotations

import pytest

from {module} import (
{imports.rstrip()}
)
''')
    for noun in nouns:
        big = camel(noun)
        out.blank()
        out.blank()
        out.add(f"""
@@T:test_{noun}_record_starts_pending
def test_{noun}_record_starts_pending() -> None:
    record = {big}Record(id=1, name="a")
    assert record.version == 1
    assert record.state is {big}State.PENDING


@@T:test_{noun}_tags_are_sorted_and_unique
def test_{noun}_tags_are_sorted_and_unique() -> None:
    record = {big}Record(id=1, name="x").with_tag("b").with_tag("a").with_tag("b")
    assert record.tags == ("a", "b")


@pytest.mark.parametrize(("steps", "expected"), [(0, "pending"), (1, "running"), (3, "succeeded")])
@@T:test_{noun}_advance
def test_{noun}_advance(steps: int, expected: str) -> None:
    record = {big}Record(id=2, name="y")
    for _ in range(steps):
        record = record.advance()
    assert record.state.value == expected


class Test{big}Index:
    @@T:Test{big}Index::test_rejects_stale_version
    def test_rejects_stale_version(self) -> None:
        index = {big}Index()
        assert index.insert({big}Record(id=7, name="z").advance())
        assert not index.insert({big}Record(id=7, name="z"))
        assert index.get(7).version == 2

    @@T:Test{big}Index::test_respects_limit
    def test_respects_limit(self) -> None:
        index = {big}Index(limit=1)
        assert index.insert({big}Record(id=1, name="a"))
        assert not index.insert({big}Record(id=2, name="b"))
        assert len(index) == 1


@@T:test_{noun}_fingerprint_ignores_id
def test_{noun}_fingerprint_ignores_id() -> None:
    first = {big}Record(id=1, name="same").with_tag("t")
    second = {big}Record(id=2, name="same").with_tag("t")
    assert fingerprint_{noun}(first) == fingerprint_{noun}(second)
    assert group_{noun}_by_state([first, second]) == {{{big}State.PENDING: [1, 2]}}
""")
    return out.write(root, sites)


def _py_it(root: Path, sites: Sites, path: str, modules: list[tuple[str, tuple[str, str]]]) -> SourceFile:
    out = Writer(path)
    out.add('"""Integration: records flow through several modules\' indexes together."""')
    out.blank()
    out.add("from __future__ import annotations")
    out.blank()
    for alias, (module, _) in enumerate(modules):
        out.add(f"import {module} as m{alias}")
    for alias, (_, nouns) in enumerate(modules):
        for noun in nouns:
            big = camel(noun)
            out.blank()
            out.blank()
            out.add(f"""
@@T:test_m{alias}_{noun}_index_keeps_newest_version
def test_m{alias}_{noun}_index_keeps_newest_version() -> None:
    index = m{alias}.{big}Index()
    record = m{alias}.{big}Record(id=11, name="shared")
    for _ in range(3):
        assert index.insert(record) or record.version == 1
        record = record.advance()
    assert len(index) == 1
    assert index.get(11).version == 3


@@T:test_m{alias}_{noun}_groups_by_state
def test_m{alias}_{noun}_groups_by_state() -> None:
    records = [m{alias}.{big}Record(id=1, name="a"), m{alias}.{big}Record(id=2, name="b").advance()]
    grouped = m{alias}.group_{noun}_by_state(records)
    assert grouped == {{m{alias}.{big}State.PENDING: [1], m{alias}.{big}State.RUNNING: [2]}}
""")
    return out.write(root, sites)


def _py_init(root: Path, sites: Sites, path: str, label: str) -> SourceFile:
    out = Writer(path)
    out.add(f'''
"""`{label}`: generated SDK package (parity benchmark)."""

from __future__ import annotations

__all__ = ["PACKAGE", "shard_label"]

@@PACKAGE
PACKAGE = "{label}"


@@shard_label
def shard_label(shard: int) -> str:
    """`<package>-<shard>`, as dashboards group it."""
    return f"{{PACKAGE}}-{{shard}}"
''')
    return out.write(root, sites)


def write_package(root: Path, sites: Sites, number: int) -> None:
    src = f"{PY_ROOT}/src/genpy"
    package = f"pkg_{number:02d}"
    init = _py_init(root, sites, f"{src}/{package}/__init__.py", f"genpy.{package}")
    modules: list[tuple[SourceFile, str, tuple[str, str]]] = []
    # Package 0 gives one slot to `genpy/__init__.py`, so every package stays 100 files.
    for index in range(PY_MODULES):
        if number == 0 and index == PY_MODULES - 1:
            _py_init(root, sites, f"{src}/__init__.py", "genpy")
            continue
        seed = 7919 + number * PY_MODULES + index
        nouns = (NOUNS[(3 * seed) % len(NOUNS)], NOUNS[(3 * seed + 1) % len(NOUNS)])
        module = f"genpy.{package}.mod_{index:02d}"
        modules.append(
            (_py_module(root, sites, f"{src}/{package}/mod_{index:02d}.py", nouns, seed), module, nouns)
        )
    for index in range(PY_UNIT):
        source, module, nouns = modules[index]
        test = _py_unit(
            root, sites, f"{PY_ROOT}/tests/unit/test_p{number:02d}_m{index:02d}.py", module, nouns
        )
        sites.py_unit.append((test, source))
    for index in range(PY_IT):
        chosen = [modules[PY_UNIT + index % (len(modules) - PY_UNIT)], modules[(index * 7) % PY_UNIT]]
        path = f"{PY_ROOT}/tests/integration/test_p{number:02d}_flow_{index}.py"
        test = _py_it(root, sites, path, [(module, nouns) for _, module, nouns in chosen])
        sites.py_it.append((test, [chosen[0][0], chosen[1][0], init]))
