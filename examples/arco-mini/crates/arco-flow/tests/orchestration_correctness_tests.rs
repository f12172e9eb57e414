//! Fold correctness: run_key index and conflicts, backfill monotonicity, order insensitivity.

use arco_flow::orchestration::compactor::{FoldOutcome, FoldState, MicroCompactor};
use arco_flow::orchestration::events::{BackfillState, PartitionSelector};
use arco_flow::testing;

#[test]
fn test_fold_run_requested_creates_run_key_index() {
    let mut state = FoldState::new();
    let event = testing::run_requested("daily:2024-01-01", "run-1", "fp-a");
    assert_eq!(state.fold_event(&event), FoldOutcome::Applied);
    let row = &state.run_key_index["daily:2024-01-01"];
    assert_eq!(
        (row.run_id.as_str(), row.request_fingerprint.as_str()),
        ("run-1", "fp-a")
    );
    assert_eq!(row.source, "api");
    assert!(state.run_key_conflicts.is_empty());
}

#[test]
fn test_fold_run_requested_detects_conflict_on_fingerprint_mismatch() {
    let mut state = FoldState::new();
    state.fold_event(&testing::run_requested("daily:2024-01-01", "run-1", "fp-a"));
    let conflicting = testing::run_requested("daily:2024-01-01", "run-2", "fp-b");
    assert_eq!(state.fold_event(&conflicting), FoldOutcome::Conflict);
    // Redelivery of the conflicting request does not record a second conflict.
    let redelivered = testing::run_requested("daily:2024-01-01", "run-2", "fp-b");
    assert_eq!(state.fold_event(&redelivered), FoldOutcome::Duplicate);
    assert_eq!(state.run_key_index["daily:2024-01-01"].run_id, "run-1");
    assert_eq!(state.run_key_conflicts.len(), 1);
    assert_eq!(state.run_key_conflicts[0].existing_fingerprint, "fp-a");
    assert_eq!(state.run_key_conflicts[0].conflicting_fingerprint, "fp-b");
}

#[test]
fn test_backfill_state_changes_are_monotonic() {
    let mut state = FoldState::new();
    let selector = PartitionSelector::Explicit {
        partitions: vec!["a".into(), "b".into()],
    };
    assert_eq!(
        state.fold_event(&testing::backfill_created("bf-1", "req-1", selector, 2)),
        FoldOutcome::Applied
    );
    let start =
        testing::backfill_state_changed("bf-1", BackfillState::Pending, BackfillState::Running, 1);
    let skipped =
        testing::backfill_state_changed("bf-1", BackfillState::Paused, BackfillState::Running, 3);
    let orphan =
        testing::backfill_state_changed("bf-9", BackfillState::Pending, BackfillState::Running, 1);
    assert_eq!(state.fold_event(&skipped), FoldOutcome::StaleVersion);
    assert_eq!(state.fold_event(&start), FoldOutcome::Applied);
    assert_eq!(state.fold_event(&orphan), FoldOutcome::Orphaned);
    let row = &state.backfills["bf-1"];
    assert_eq!((row.state, row.state_version), (BackfillState::Running, 1));
}

#[test]
fn test_fold_is_order_insensitive_for_seeded_shuffle() {
    let mut events = vec![
        testing::schedule_ticked("hourly", "hourly:3600", 3600),
        testing::schedule_ticked("hourly", "hourly:7200", 7200),
        testing::schedule_ticked("hourly", "hourly:3600", 3600),
        testing::partition_materialized("sales", "2024-01-01", "run-1", 100),
        testing::partition_materialized("sales", "2024-01-01", "run-2", 200),
        testing::partition_materialized("sales", "2024-01-02", "run-3", 150),
        testing::push_sensor_eval("orders_topic", "msg-1", 100),
        testing::push_sensor_eval("orders_topic", "msg-1", 100),
    ];
    let mut in_order = MicroCompactor::new();
    in_order.compact(&events);

    let seed = testing::test_seed();
    testing::seeded_shuffle(&mut events, seed);
    let mut shuffled = MicroCompactor::new();
    shuffled.compact(&events);

    let (a, b) = (in_order.state(), shuffled.state());
    assert_eq!(a.schedule_ticks, b.schedule_ticks, "seed {seed}");
    assert_eq!(a.partition_status, b.partition_status, "seed {seed}");
    assert_eq!(a.run_key_index, b.run_key_index, "seed {seed}");
    assert_eq!(a.schedule_ticks.len(), 2);
    let latest = &a.partition_status[&("sales".to_owned(), "2024-01-01".to_owned())];
    assert_eq!(latest.last_run_id.as_deref(), Some("run-2"));
}
