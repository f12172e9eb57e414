"""Rust crates of 100 files each: lib.rs, 8 areas of mod.rs + 10 item modules with unit tests, 11 tests/."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gen_sources import NOUNS, Sites, SourceFile, Writer, camel

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["write_crate"]

RUST_AREAS = 8  # per crate: lib.rs + 8 x (mod.rs + 10 items) + 11 integration tests = 100 files
RUST_ITEMS = 10
RUST_IT_FILES = 11


def _rust_block(out: Writer, noun: str, seed: int) -> None:
    big, upper = camel(noun), noun.upper()
    out.add(f"""
/// Upper bound on {noun} entries one shard keeps in memory.
pub const MAX_{upper}_ENTRIES: usize = {64 + seed % 9 * 16};

/// One {noun} as the projection stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
@@{big}Record
pub struct {big}Record {{
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub version: u32,
    pub state: {big}State,
}}

impl {big}Record {{
    /// A fresh {noun} at version 1, pending.
    @@{big}Record::new
    pub fn new(id: u64, name: &str) -> Self {{
        Self {{
            id,
            name: name.to_string(),
            tags: Vec::new(),
            version: 1,
            state: {big}State::Pending,
        }}
    }}

    /// Adds a tag once; tags stay sorted so fingerprints are stable across replays.
    @@{big}Record::with_tag
    pub fn with_tag(mut self, tag: &str) -> Self {{
        if let Err(at) = self.tags.binary_search_by(|t| t.as_str().cmp(tag)) {{
            self.tags.insert(at, tag.to_string());
        }}
        self
    }}

    /// Moves to the next state and bumps the version; a terminal state stays put.
    @@{big}Record::advance
    pub fn advance(&mut self) -> bool {{
        match self.state.next() {{
            Some(next) => {{
                self.state = next;
                self.version += 1;
                true
            }}
            None => false,
        }}
    }}
}}

impl fmt::Display for {big}Record {{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{
        write!(f, "{noun}#{{}}@v{{}} ({{:?}})", self.id, self.version, self.state)
    }}
}}

/// Lifecycle of a {noun}.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
@@{big}State
pub enum {big}State {{
    Pending,
    Running,
    Succeeded,
    Failed,
}}

impl {big}State {{
    /// The state a successful step leads to, if any.
    @@{big}State::next
    pub fn next(self) -> Option<Self> {{
        match self {{
            Self::Pending => Some(Self::Running),
            Self::Running => Some(Self::Succeeded),
            Self::Succeeded | Self::Failed => None,
        }}
    }}

    @@{big}State::is_terminal
    pub fn is_terminal(self) -> bool {{
        matches!(self, Self::Succeeded | Self::Failed)
    }}
}}

/// {big} records by id, bounded by [`MAX_{upper}_ENTRIES`]; stale versions never win.
#[derive(Debug, Default)]
@@{big}Index
pub struct {big}Index {{
    entries: BTreeMap<u64, {big}Record>,
}}

impl {big}Index {{
    @@{big}Index::insert
    pub fn insert(&mut self, record: {big}Record) -> bool {{
        if self.entries.len() >= MAX_{upper}_ENTRIES && !self.entries.contains_key(&record.id) {{
            return false;
        }}
        match self.entries.get(&record.id) {{
            Some(existing) if existing.version >= record.version => false,
            _ => {{
                self.entries.insert(record.id, record);
                true
            }}
        }}
    }}

    @@{big}Index::get
    pub fn get(&self, id: u64) -> Option<&{big}Record> {{
        self.entries.get(&id)
    }}

    pub fn len(&self) -> usize {{
        self.entries.len()
    }}

    pub fn is_empty(&self) -> bool {{
        self.entries.is_empty()
    }}
}}

/// FNV-1a over what identifies a {noun} (not its id), so replays hash identically.
@@fingerprint_{noun}
pub fn fingerprint_{noun}(record: &{big}Record) -> u64 {{
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in record.name.bytes().chain(record.tags.iter().flat_map(|t| t.bytes())) {{
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }}
    hash ^ u64::from(record.version)
}}

/// Groups {noun} records by state, in state order.
@@group_{noun}_by_state
pub fn group_{noun}_by_state(records: &[{big}Record]) -> BTreeMap<{big}State, Vec<u64>> {{
    let mut grouped: BTreeMap<{big}State, Vec<u64>> = BTreeMap::new();
    for record in records {{
        grouped.entry(record.state).or_default().push(record.id);
    }}
    grouped
}}
""")
    out.blank()


def _rust_tests(out: Writer, noun: str, seed: int) -> None:
    big = camel(noun)
    out.add(f"""
    #[test]
    @@T:test_{noun}_record_starts_pending
    fn test_{noun}_record_starts_pending() {{
        let record = {big}Record::new({seed}, "{noun}-a");
        assert_eq!(record.version, 1);
        assert_eq!(record.state, {big}State::Pending);
    }}

    #[test]
    @@T:test_{noun}_tags_are_sorted_and_unique
    fn test_{noun}_tags_are_sorted_and_unique() {{
        let record = {big}Record::new(1, "x").with_tag("b").with_tag("a").with_tag("b");
        assert_eq!(record.tags, vec!["a".to_string(), "b".to_string()]);
    }}

    #[test]
    @@T:test_{noun}_advance_stops_at_terminal_state
    fn test_{noun}_advance_stops_at_terminal_state() {{
        let mut record = {big}Record::new(2, "y");
        assert!(record.advance());
        assert!(record.advance());
        assert!(!record.advance());
        assert_eq!(record.version, 3);
        assert!(record.state.is_terminal());
    }}

    #[test]
    @@T:test_{noun}_index_rejects_stale_versions
    fn test_{noun}_index_rejects_stale_versions() {{
        let mut index = {big}Index::default();
        let mut newer = {big}Record::new(7, "z");
        newer.advance();
        assert!(index.insert(newer));
        assert!(!index.insert({big}Record::new(7, "z")));
        assert_eq!(index.get(7).map(|r| r.version), Some(2));
    }}

    #[test]
    @@T:test_{noun}_fingerprint_ignores_id
    fn test_{noun}_fingerprint_ignores_id() {{
        let a = {big}Record::new(1, "same").with_tag("t");
        let b = {big}Record::new(2, "same").with_tag("t");
        assert_eq!(fingerprint_{noun}(&a), fingerprint_{noun}(&b));
    }}
""")
    out.blank()


def _rust_item(root: Path, sites: Sites, path: str, nouns: tuple[str, str], seed: int) -> SourceFile:
    out = Writer(path)
    out.add(f"""
//! {camel(nouns[0])} and {nouns[1]} projections: records, lifecycle states and bounded indexes.
//!
//! Generated for the parity benchmark; the shapes follow a real orchestration crate.

use std::collections::BTreeMap;
use std::fmt;
""")
    out.blank()
    for number, noun in enumerate(nouns):
        _rust_block(out, noun, seed + number)
    out.add("""
#[cfg(test)]
mod tests {
    use super::*;
""")
    out.blank()
    for number, noun in enumerate(nouns):
        _rust_tests(out, noun, seed + number)
    out.lines.pop()
    out.add("}")
    return out.write(root, sites)


def _rust_mod(root: Path, sites: Sites, path: str, label: str, children: list[str], doc: str) -> SourceFile:
    out = Writer(path)
    out.add(f"//! {doc}")
    out.blank()
    out.add("\n".join(f"pub mod {child};" for child in children))
    out.blank()
    out.add(f"""
/// Label used in metrics and logs.
@@LABEL
pub const LABEL: &str = "{label}";

/// `{label}-<shard>`, as dashboards group it.
@@shard_label
pub fn shard_label(shard: u32) -> String {{
    format!("{{}}-{{}}", LABEL, shard)
}}

#[cfg(test)]
mod tests {{
    use super::*;

    #[test]
    @@T:test_shard_label_prefixes_label
    fn test_shard_label_prefixes_label() {{
        assert_eq!(shard_label(3), "{label}-3");
    }}
}}
""")
    return out.write(root, sites)


def _rust_it(
    root: Path, sites: Sites, path: str, lib: str, modules: list[tuple[str, tuple[str, str]]]
) -> SourceFile:
    out = Writer(path)
    out.add("//! Integration tests across modules, through the crate's public API only.")
    out.blank()
    for alias, (module, _) in enumerate(modules):
        out.add(f"use {lib}::{module} as m{alias};")
    out.blank()
    for alias, (_, nouns) in enumerate(modules):
        for noun in nouns:
            big = camel(noun)
            out.add(f"""
#[test]
@@T:m{alias}_{noun}_index_keeps_newest_version
fn m{alias}_{noun}_index_keeps_newest_version() {{
    let mut index = m{alias}::{big}Index::default();
    for version in 1..4u32 {{
        let mut record = m{alias}::{big}Record::new(11, "shared");
        for _ in 1..version {{
            record.advance();
        }}
        assert!(index.insert(record));
    }}
    assert_eq!(index.len(), 1);
    assert_eq!(index.get(11).map(|r| r.version), Some(3));
}}

#[test]
@@T:m{alias}_{noun}_groups_by_state
fn m{alias}_{noun}_groups_by_state() {{
    let mut running = m{alias}::{big}Record::new(2, "b");
    running.advance();
    let records = vec![m{alias}::{big}Record::new(1, "a"), running];
    let grouped = m{alias}::group_{noun}_by_state(&records);
    assert_eq!(grouped.len(), 2);
    assert_eq!(grouped[&m{alias}::{big}State::Running], vec![2]);
}}
""")
            out.blank()
    out.lines.pop()
    return out.write(root, sites)


def write_crate(root: Path, sites: Sites, number: int) -> None:
    package = f"gen-c{number:02d}"
    lib = package.replace("-", "_")
    base = f"crates/{package}"
    sites.crates.append(package)
    manifest = root / base / "Cargo.toml"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(
        f'[package]\nname = "{package}"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n'
        f'description = "Generated orchestration crate {number} (parity benchmark)."\n\n'
        "[features]\ndefault = []\n# Extra counters in the projections.\nmetrics = []\n\n[dependencies]\n",
        encoding="utf-8",
    )
    areas = [f"area_{a}" for a in range(RUST_AREAS)]
    sites.rust_unit.append(
        _rust_mod(root, sites, f"{base}/src/lib.rs", package, areas, f"{package}: projections by area.")
    )
    items: dict[tuple[int, int], tuple[str, tuple[str, str]]] = {}
    for area in range(RUST_AREAS):
        children = [f"item_{i:02d}" for i in range(RUST_ITEMS)]
        doc = f"Area {area} of {package}: one module per projection."
        mod = _rust_mod(root, sites, f"{base}/src/area_{area}/mod.rs", f"{package}-a{area}", children, doc)
        sites.rust_unit.append(mod)
        for item in range(RUST_ITEMS):
            seed = (number * RUST_AREAS + area) * RUST_ITEMS + item
            nouns = (NOUNS[(2 * seed) % len(NOUNS)], NOUNS[(2 * seed + 1) % len(NOUNS)])
            path = f"{base}/src/area_{area}/item_{item:02d}.rs"
            sites.rust_unit.append(_rust_item(root, sites, path, nouns, seed))
            items[area, item] = (f"area_{area}::item_{item:02d}", nouns)
    by_module = {source.path: source for source in sites.rust_unit}
    for test in range(RUST_IT_FILES):
        area = test % RUST_AREAS
        chosen = [(area, (2 * test) % RUST_ITEMS), (area, (2 * test + 1) % RUST_ITEMS)]
        modules = [items[key] for key in chosen]
        source = _rust_it(root, sites, f"{base}/tests/it_{test:02d}.rs", lib, modules)
        code = [by_module[f"{base}/src/area_{a}/item_{i:02d}.rs"] for a, i in chosen]
        sites.rust_it.append((source, code))
