//! Projection schemas: table names, column order and primary keys are a stable contract.
//!
//! Uses only the public API (no `arco_flow::testing`), so it also runs without
//! the `test-utils` feature.

use arco_flow::orchestration::compactor::{PartitionStatusRow, ProjectionRow, ScheduleTickRow};

#[test]
fn test_schedule_tick_row_schema() {
    assert_eq!(ScheduleTickRow::TABLE, "schedule_ticks");
    assert_eq!(
        ScheduleTickRow::COLUMNS,
        [
            "tenant_id",
            "schedule_id",
            "tick_id",
            "scheduled_for_secs",
            "run_key",
            "recorded_at_secs"
        ]
    );
    assert_eq!(ScheduleTickRow::PRIMARY_KEY, ["tenant_id", "tick_id"]);
    let row = ScheduleTickRow {
        tenant_id: "t1".into(),
        schedule_id: "daily".into(),
        tick_id: "daily:86400".into(),
        scheduled_for_secs: 86_400,
        run_key: None,
        recorded_at_secs: 86_401,
    };
    assert_eq!(
        row.values(),
        ["t1", "daily", "daily:86400", "86400", "", "86401"]
    );
    assert_eq!(row.primary_key(), ["t1", "daily:86400"]);
}

#[test]
fn test_partition_status_row_schema() {
    assert_eq!(PartitionStatusRow::TABLE, "partition_status");
    assert_eq!(
        PartitionStatusRow::PRIMARY_KEY,
        ["tenant_id", "asset_key", "partition_key"]
    );
    let row = PartitionStatusRow {
        tenant_id: "t1".into(),
        asset_key: "daily_sales".into(),
        partition_key: "date=2024-01-01".into(),
        last_run_id: Some("run-9".into()),
        last_materialized_at_secs: Some(1_700_000_000),
        data_version: Some("dv-1".into()),
        code_version: None,
    };
    assert_eq!(row.values().len(), PartitionStatusRow::COLUMNS.len());
    assert_eq!(row.primary_key(), ["t1", "daily_sales", "date=2024-01-01"]);
    assert_eq!(row.values()[4], "1700000000");
    assert_eq!(row.values()[6], "");
}

#[test]
fn test_primary_keys_are_declared_columns() {
    for pk in ScheduleTickRow::PRIMARY_KEY {
        assert!(ScheduleTickRow::COLUMNS.contains(pk), "{pk}");
    }
    for pk in PartitionStatusRow::PRIMARY_KEY {
        assert!(PartitionStatusRow::COLUMNS.contains(pk), "{pk}");
    }
}
