//! Micro-compactor: folds ledger batches into projections and snapshots durable state.

pub mod fold;

pub use fold::{
    FoldOutcome, FoldState, PartitionStatusRow, ProjectionRow, RunKeyConflictRow, RunKeyIndexRow,
    ScheduleTickRow, SensorStateRow,
};

use std::fmt;

use crate::orchestration::events::EventEnvelope;

const SNAPSHOT_HEADER: &str = "arco-compactor-snapshot v1";

/// Counts of what a [`MicroCompactor::compact`] call did with its batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionReport {
    pub applied: usize,
    pub duplicates: usize,
    pub stale: usize,
    pub conflicts: usize,
    pub orphaned: usize,
}

/// A snapshot that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "snapshot line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SnapshotError {}

/// Owns the fold state between batches.
#[derive(Debug, Clone, Default)]
pub struct MicroCompactor {
    state: FoldState,
}

impl MicroCompactor {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn state(&self) -> &FoldState {
        &self.state
    }

    /// Folds a batch of events in ledger order.
    pub fn compact(&mut self, events: &[EventEnvelope]) -> CompactionReport {
        let mut report = CompactionReport::default();
        for event in events {
            match self.state.fold_event(event) {
                FoldOutcome::Applied => report.applied += 1,
                FoldOutcome::Duplicate => report.duplicates += 1,
                FoldOutcome::StaleVersion => report.stale += 1,
                FoldOutcome::Conflict => report.conflicts += 1,
                FoldOutcome::Orphaned => report.orphaned += 1,
            }
        }
        report
    }

    /// Serializes the durable parts of the state: idempotency index and sensor state.
    pub fn snapshot(&self) -> String {
        let mut out = String::from(SNAPSHOT_HEADER);
        out.push('\n');
        for key in self.state.idempotency_keys() {
            out.push_str(&format!("key\t{}\n", escape(key)));
        }
        for row in self.state.sensor_state.values() {
            out.push_str(&format!(
                "sensor\t{}\t{}\t{}\t{}\t{}\n",
                escape(&row.tenant_id),
                escape(&row.sensor_id),
                row.state_version,
                encode_opt(row.cursor.as_deref()),
                encode_opt(
                    row.last_evaluation_at_secs
                        .map(|v| v.to_string())
                        .as_deref()
                ),
            ));
        }
        out
    }

    /// Rebuilds a compactor from [`MicroCompactor::snapshot`] output.
    pub fn load_state(snapshot: &str) -> Result<Self, SnapshotError> {
        let mut lines = snapshot.lines().enumerate();
        match lines.next() {
            Some((_, SNAPSHOT_HEADER)) => {}
            _ => {
                return Err(SnapshotError {
                    line: 1,
                    message: "missing snapshot header".into(),
                })
            }
        }
        let mut state = FoldState::new();
        for (idx, line) in lines {
            let err = |message: &str| SnapshotError {
                line: idx + 1,
                message: message.to_owned(),
            };
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["key", key] => {
                    state.record_idempotency_key(&unescape(key));
                }
                ["sensor", tenant, sensor, version, cursor, last_eval] => {
                    let state_version = version.parse().map_err(|_| err("bad state_version"))?;
                    let last_evaluation_at_secs = match decode_opt(last_eval) {
                        Some(v) => Some(v.parse().map_err(|_| err("bad last_evaluation_at"))?),
                        None => None,
                    };
                    let row = SensorStateRow {
                        tenant_id: unescape(tenant),
                        sensor_id: unescape(sensor),
                        cursor: decode_opt(cursor),
                        state_version,
                        last_evaluation_at_secs,
                    };
                    state.sensor_state.insert(row.sensor_id.clone(), row);
                }
                _ => return Err(err("unknown record")),
            }
        }
        Ok(Self { state })
    }
}

fn escape(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\t', "%09")
        .replace('\n', "%0A")
}

fn unescape(text: &str) -> String {
    text.replace("%0A", "\n")
        .replace("%09", "\t")
        .replace("%25", "%")
}

// `None` is an empty field; `Some(v)` is `=` followed by the escaped value.
fn encode_opt(value: Option<&str>) -> String {
    value.map_or_else(String::new, |v| format!("={}", escape(v)))
}

fn decode_opt(field: &str) -> Option<String> {
    field.strip_prefix('=').map(unescape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_snapshot_roundtrip_preserves_awkward_cursor() {
        let mut compactor = MicroCompactor::new();
        compactor.state.record_idempotency_key("k\t1");
        compactor.state.sensor_state.insert(
            "s1".into(),
            SensorStateRow {
                tenant_id: "t".into(),
                sensor_id: "s1".into(),
                cursor: Some("a%09\tb\nc".into()),
                state_version: 4,
                last_evaluation_at_secs: None,
            },
        );
        let loaded = MicroCompactor::load_state(&compactor.snapshot()).unwrap();
        assert_eq!(loaded.state(), compactor.state());
    }

    #[test]
    fn test_load_state_rejects_unknown_record() {
        let err = MicroCompactor::load_state("arco-compactor-snapshot v1\nbogus\t1\n").unwrap_err();
        assert_eq!(err.to_string(), "snapshot line 2: unknown record");
    }
}
