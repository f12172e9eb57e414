//! Compactor fold: applies ledger events to projection tables, once per idempotency key.

use std::collections::{BTreeMap, BTreeSet};

use crate::orchestration::events::{
    BackfillCreated, BackfillState, EventEnvelope, OrchestrationEventData, PartitionSelector,
    RunRequest, SensorTrigger,
};
use crate::orchestration::run_key::derive_run_id;

/// A projection table row with a fixed, versioned schema.
pub trait ProjectionRow {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    const PRIMARY_KEY: &'static [&'static str];

    /// Cell values in `COLUMNS` order (`None` is stored as an empty string).
    fn values(&self) -> Vec<String>;

    /// Values of the `PRIMARY_KEY` columns, in order.
    fn primary_key(&self) -> Vec<String> {
        let values = self.values();
        Self::PRIMARY_KEY
            .iter()
            .map(|pk| {
                let idx = Self::COLUMNS
                    .iter()
                    .position(|c| c == pk)
                    .expect("pk column exists");
                values[idx].clone()
            })
            .collect()
    }
}

fn opt<T: ToString>(value: Option<&T>) -> String {
    value.map(ToString::to_string).unwrap_or_default()
}

/// One schedule tick (the tick history table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTickRow {
    pub tenant_id: String,
    pub schedule_id: String,
    pub tick_id: String,
    pub scheduled_for_secs: u64,
    pub run_key: Option<String>,
    pub recorded_at_secs: u64,
}

impl ProjectionRow for ScheduleTickRow {
    const TABLE: &'static str = "schedule_ticks";
    const COLUMNS: &'static [&'static str] = &[
        "tenant_id",
        "schedule_id",
        "tick_id",
        "scheduled_for_secs",
        "run_key",
        "recorded_at_secs",
    ];
    const PRIMARY_KEY: &'static [&'static str] = &["tenant_id", "tick_id"];

    fn values(&self) -> Vec<String> {
        vec![
            self.tenant_id.clone(),
            self.schedule_id.clone(),
            self.tick_id.clone(),
            self.scheduled_for_secs.to_string(),
            opt(self.run_key.as_ref()),
            self.recorded_at_secs.to_string(),
        ]
    }
}

/// Latest materialization of one partition of one asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionStatusRow {
    pub tenant_id: String,
    pub asset_key: String,
    pub partition_key: String,
    pub last_run_id: Option<String>,
    pub last_materialized_at_secs: Option<u64>,
    pub data_version: Option<String>,
    pub code_version: Option<String>,
}

impl ProjectionRow for PartitionStatusRow {
    const TABLE: &'static str = "partition_status";
    const COLUMNS: &'static [&'static str] = &[
        "tenant_id",
        "asset_key",
        "partition_key",
        "last_run_id",
        "last_materialized_at_secs",
        "data_version",
        "code_version",
    ];
    const PRIMARY_KEY: &'static [&'static str] = &["tenant_id", "asset_key", "partition_key"];

    fn values(&self) -> Vec<String> {
        vec![
            self.tenant_id.clone(),
            self.asset_key.clone(),
            self.partition_key.clone(),
            opt(self.last_run_id.as_ref()),
            opt(self.last_materialized_at_secs.as_ref()),
            opt(self.data_version.as_ref()),
            opt(self.code_version.as_ref()),
        ]
    }
}

/// Durable sensor state: cursor plus a version used for compare-and-swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensorStateRow {
    pub tenant_id: String,
    pub sensor_id: String,
    pub cursor: Option<String>,
    pub state_version: u64,
    pub last_evaluation_at_secs: Option<u64>,
}

/// A run_key claimed by the first request that used it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKeyIndexRow {
    pub run_key: String,
    pub run_id: String,
    pub request_fingerprint: String,
    pub source: String,
}

/// A later request that reused a run_key with a different payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKeyConflictRow {
    pub run_key: String,
    pub existing_fingerprint: String,
    pub conflicting_fingerprint: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillRow {
    pub backfill_id: String,
    pub state: BackfillState,
    pub state_version: u64,
    pub partition_selector: PartitionSelector,
    pub total_partitions: u32,
}

/// What folding one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldOutcome {
    Applied,
    /// Dropped: the idempotency key (or run_key + fingerprint) was already folded.
    Duplicate,
    /// Dropped: computed against a state version that is no longer current.
    StaleVersion,
    /// Recorded as a conflict: run_key reused with a different fingerprint.
    Conflict,
    /// Dropped: refers to an entity this projection has never seen.
    Orphaned,
}

/// All projection tables plus the global idempotency index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldState {
    idempotency_keys: BTreeSet<String>,
    /// Tick history, keyed by `tick_id`.
    pub schedule_ticks: BTreeMap<String, ScheduleTickRow>,
    pub sensor_state: BTreeMap<String, SensorStateRow>,
    pub sensor_eval_count: BTreeMap<String, u64>,
    pub run_key_index: BTreeMap<String, RunKeyIndexRow>,
    pub run_key_conflicts: Vec<RunKeyConflictRow>,
    pub backfills: BTreeMap<String, BackfillRow>,
    /// Keyed by `(asset_key, partition_key)`.
    pub partition_status: BTreeMap<(String, String), PartitionStatusRow>,
}

impl FoldState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one event; see [`FoldOutcome`] for what can happen to it.
    pub fn fold_event(&mut self, event: &EventEnvelope) -> FoldOutcome {
        // Global idempotency gate: the ledger is at-least-once, so drop seen keys.
        if self.idempotency_keys.contains(&event.idempotency_key) {
            return FoldOutcome::Duplicate;
        }
        let outcome = match &event.data {
            OrchestrationEventData::ScheduleTicked {
                schedule_id,
                tick_id,
                scheduled_for_secs,
                run_key,
            } => {
                let row = ScheduleTickRow {
                    tenant_id: event.tenant_id.clone(),
                    schedule_id: schedule_id.clone(),
                    tick_id: tick_id.clone(),
                    scheduled_for_secs: *scheduled_for_secs,
                    run_key: run_key.clone(),
                    recorded_at_secs: event.emitted_at_secs,
                };
                self.schedule_ticks.insert(tick_id.clone(), row);
                FoldOutcome::Applied
            }
            OrchestrationEventData::SensorEvaluated {
                sensor_id,
                trigger,
                cursor_after,
                expected_state_version,
                run_requests,
                ..
            } => self.fold_sensor_evaluated(
                event,
                sensor_id,
                trigger,
                cursor_after.as_deref(),
                *expected_state_version,
                run_requests,
            ),
            OrchestrationEventData::RunRequested {
                run_key,
                run_id,
                request_fingerprint,
                source,
            } => self.fold_run_requested(run_key, run_id, request_fingerprint, source),
            OrchestrationEventData::BackfillCreated(created) => self.fold_backfill_created(created),
            OrchestrationEventData::BackfillStateChanged {
                backfill_id,
                from_state,
                to_state,
                state_version,
            } => self.fold_backfill_state_changed(
                backfill_id,
                *from_state,
                *to_state,
                *state_version,
            ),
            OrchestrationEventData::PartitionMaterialized {
                asset_key,
                partition_key,
                run_id,
                data_version,
                code_version,
                materialized_at_secs,
            } => {
                let key = (asset_key.clone(), partition_key.clone());
                let newer = self.partition_status.get(&key).is_none_or(|row| {
                    row.last_materialized_at_secs
                        .is_none_or(|at| at <= *materialized_at_secs)
                });
                if newer {
                    let row = PartitionStatusRow {
                        tenant_id: event.tenant_id.clone(),
                        asset_key: asset_key.clone(),
                        partition_key: partition_key.clone(),
                        last_run_id: Some(run_id.clone()),
                        last_materialized_at_secs: Some(*materialized_at_secs),
                        data_version: Some(data_version.clone()),
                        code_version: Some(code_version.clone()),
                    };
                    self.partition_status.insert(key, row);
                    FoldOutcome::Applied
                } else {
                    FoldOutcome::StaleVersion
                }
            }
        };
        if matches!(outcome, FoldOutcome::Applied | FoldOutcome::Conflict) {
            self.record_idempotency_key(&event.idempotency_key);
        }
        outcome
    }

    /// Marks `key` as folded; returns false if it already was.
    pub fn record_idempotency_key(&mut self, key: &str) -> bool {
        self.idempotency_keys.insert(key.to_owned())
    }

    pub fn has_seen(&self, key: &str) -> bool {
        self.idempotency_keys.contains(key)
    }

    pub fn idempotency_keys(&self) -> impl Iterator<Item = &str> {
        self.idempotency_keys.iter().map(String::as_str)
    }

    fn fold_sensor_evaluated(
        &mut self,
        event: &EventEnvelope,
        sensor_id: &str,
        trigger: &SensorTrigger,
        cursor_after: Option<&str>,
        expected_state_version: Option<u64>,
        run_requests: &[RunRequest],
    ) -> FoldOutcome {
        let current_version = self
            .sensor_state
            .get(sensor_id)
            .map_or(0, |s| s.state_version);
        // CAS gate: drop poll evaluations computed against a stale cursor version.
        if matches!(trigger, SensorTrigger::Poll { .. })
            && expected_state_version != Some(current_version)
        {
            return FoldOutcome::StaleVersion;
        }
        let state = self
            .sensor_state
            .entry(sensor_id.to_owned())
            .or_insert_with(|| SensorStateRow {
                tenant_id: event.tenant_id.clone(),
                sensor_id: sensor_id.to_owned(),
                cursor: None,
                state_version: 0,
                last_evaluation_at_secs: None,
            });
        if matches!(trigger, SensorTrigger::Poll { .. }) {
            state.cursor = cursor_after.map(str::to_owned);
        }
        state.state_version += 1;
        state.last_evaluation_at_secs = Some(event.emitted_at_secs);
        *self
            .sensor_eval_count
            .entry(sensor_id.to_owned())
            .or_insert(0) += 1;
        let source = format!("sensor:{sensor_id}");
        for request in run_requests {
            let run_id = derive_run_id(&request.run_key);
            self.fold_run_requested(
                &request.run_key,
                &run_id,
                &request.request_fingerprint,
                &source,
            );
        }
        FoldOutcome::Applied
    }

    /// Indexes a run request by run_key; a reused key with another fingerprint is a conflict.
    pub fn fold_run_requested(
        &mut self,
        run_key: &str,
        run_id: &str,
        request_fingerprint: &str,
        source: &str,
    ) -> FoldOutcome {
        match self.run_key_index.get(run_key) {
            None => {
                let row = RunKeyIndexRow {
                    run_key: run_key.to_owned(),
                    run_id: run_id.to_owned(),
                    request_fingerprint: request_fingerprint.to_owned(),
                    source: source.to_owned(),
                };
                self.run_key_index.insert(run_key.to_owned(), row);
                FoldOutcome::Applied
            }
            Some(existing) if existing.request_fingerprint == request_fingerprint => {
                FoldOutcome::Duplicate
            }
            Some(existing) => {
                let conflict = RunKeyConflictRow {
                    run_key: run_key.to_owned(),
                    existing_fingerprint: existing.request_fingerprint.clone(),
                    conflicting_fingerprint: request_fingerprint.to_owned(),
                    source: source.to_owned(),
                };
                self.run_key_conflicts.push(conflict);
                FoldOutcome::Conflict
            }
        }
    }

    fn fold_backfill_created(&mut self, created: &BackfillCreated) -> FoldOutcome {
        if self.backfills.contains_key(&created.backfill_id) {
            return FoldOutcome::Duplicate;
        }
        let row = BackfillRow {
            backfill_id: created.backfill_id.clone(),
            state: BackfillState::Pending,
            state_version: 0,
            partition_selector: created.partition_selector.clone(),
            total_partitions: created.total_partitions,
        };
        self.backfills.insert(created.backfill_id.clone(), row);
        FoldOutcome::Applied
    }

    /// State changes must be strictly sequential: version n+1 from the current state.
    fn fold_backfill_state_changed(
        &mut self,
        backfill_id: &str,
        from_state: BackfillState,
        to_state: BackfillState,
        state_version: u64,
    ) -> FoldOutcome {
        let Some(row) = self.backfills.get_mut(backfill_id) else {
            return FoldOutcome::Orphaned;
        };
        if state_version != row.state_version + 1 || from_state != row.state {
            return FoldOutcome::StaleVersion;
        }
        row.state = to_state;
        row.state_version = state_version;
        FoldOutcome::Applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn test_fold_schedule_ticked_idempotent_with_same_tick_id() {
        let mut state = FoldState::new();
        let first = testing::schedule_ticked("daily", "daily:86400", 86_400);
        // Redelivery carries a new event id but the same tick_id.
        let redelivered = testing::schedule_ticked("daily", "daily:86400", 86_400);
        assert_ne!(first.event_id, redelivered.event_id);
        assert_eq!(state.fold_event(&first), FoldOutcome::Applied);
        assert_eq!(state.fold_event(&redelivered), FoldOutcome::Duplicate);
        assert_eq!(state.schedule_ticks.len(), 1);
        assert_eq!(
            state.schedule_ticks["daily:86400"].recorded_at_secs,
            first.emitted_at_secs
        );
    }

    #[test]
    fn test_record_idempotency_key_reports_first_insert_only() {
        let mut state = FoldState::new();
        assert!(state.record_idempotency_key("k1"));
        assert!(!state.record_idempotency_key("k1"));
        assert!(state.has_seen("k1"));
        assert!(!state.has_seen("k2"));
    }

    #[test]
    fn test_older_materialization_does_not_regress_partition_status() {
        let mut state = FoldState::new();
        let newer = testing::partition_materialized("sales", "2024-01-02", "run-2", 200);
        let older = testing::partition_materialized("sales", "2024-01-02", "run-1", 100);
        assert_eq!(state.fold_event(&newer), FoldOutcome::Applied);
        assert_eq!(state.fold_event(&older), FoldOutcome::StaleVersion);
        let row = &state.partition_status[&("sales".to_owned(), "2024-01-02".to_owned())];
        assert_eq!(row.last_run_id.as_deref(), Some("run-2"));
    }
}
