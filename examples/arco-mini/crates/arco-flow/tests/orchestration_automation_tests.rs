//! Automation events: idempotency keys for schedules, sensors and backfills.

use std::collections::BTreeMap;

use arco_flow::orchestration::controllers::schedule::{reconcile, ScheduleSpec};
use arco_flow::orchestration::events::{
    cursor_hash, BackfillState, OrchestrationEventData, PartitionSelector,
};
use arco_flow::testing;

#[test]
fn test_schedule_ticked_event_idempotency_key() {
    let first = testing::schedule_ticked("daily", "daily:86400", 86_400);
    let retry = testing::schedule_ticked("daily", "daily:86400", 86_400);
    assert_eq!(first.idempotency_key, "sched_tick:daily:86400");
    assert_ne!(first.event_id, retry.event_id);
    assert_eq!(first.idempotency_key, retry.idempotency_key);
    assert_eq!(first.event_type(), "ScheduleTicked");
}

#[test]
fn test_schedule_controller_bounded_catchup_emits_only_recent_ticks() {
    let day = 86_400;
    // The controller was down for 30 days; catch up at most 2 ticks within 3 days.
    let spec = ScheduleSpec::every("daily", day, 0).with_catchup(3 * day, 2);
    let events = reconcile(&spec, testing::TENANT, Some(day), 31 * day);
    let ticks: Vec<(String, u64)> = events
        .iter()
        .map(|e| match &e.data {
            OrchestrationEventData::ScheduleTicked {
                tick_id,
                scheduled_for_secs,
                ..
            } => (tick_id.clone(), *scheduled_for_secs),
            other => panic!("unexpected event {other:?}"),
        })
        .collect();
    assert_eq!(
        ticks,
        vec![
            (format!("daily:{}", 30 * day), 30 * day),
            (format!("daily:{}", 31 * day), 31 * day)
        ]
    );
}

#[test]
fn test_sensor_evaluated_poll_idempotency_uses_cursor_before() {
    let a = testing::poll_sensor_eval("landing", 42, Some("obj-10"), Some("obj-12"), 3, 1_000);
    let retry = testing::poll_sensor_eval("landing", 42, Some("obj-10"), Some("obj-13"), 3, 1_005);
    let advanced =
        testing::poll_sensor_eval("landing", 42, Some("obj-12"), Some("obj-13"), 4, 1_010);
    assert_eq!(
        a.idempotency_key,
        format!(
            "sensor_eval:landing:poll:42:{}",
            cursor_hash(Some("obj-10"))
        )
    );
    // Same epoch and input cursor: same key, whatever the output was.
    assert_eq!(a.idempotency_key, retry.idempotency_key);
    assert_ne!(a.idempotency_key, advanced.idempotency_key);
}

#[test]
fn test_backfill_created_uses_compact_selector() {
    let selector = PartitionSelector::Range {
        start: "2015-01-01".into(),
        end: "2024-12-31".into(),
    };
    let event = testing::backfill_created("bf-1", "req-1", selector.clone(), 3653);
    let OrchestrationEventData::BackfillCreated(created) = &event.data else {
        panic!("expected BackfillCreated, got {:?}", event.data);
    };
    assert_eq!(created.partition_selector, selector);
    assert_eq!(created.partition_selector.explicit_partitions(), None);
    assert_eq!(
        created.partition_selector.encode(),
        "range:2015-01-01..2024-12-31"
    );
    assert_eq!(created.total_partitions, 3653);
    assert_eq!(event.idempotency_key, "backfill_created:req-1");

    let filters = BTreeMap::from([("region".to_owned(), "eu".to_owned())]);
    assert_eq!(
        PartitionSelector::Filter { filters }.encode(),
        "filter:region=eu"
    );
}

#[test]
fn test_backfill_state_changed_uses_state_version() {
    let pause =
        testing::backfill_state_changed("bf-1", BackfillState::Running, BackfillState::Paused, 2);
    let resume =
        testing::backfill_state_changed("bf-1", BackfillState::Paused, BackfillState::Running, 3);
    let pause_again =
        testing::backfill_state_changed("bf-1", BackfillState::Running, BackfillState::Paused, 4);
    assert_eq!(pause.idempotency_key, "backfill_state:bf-1:2:PAUSED");
    assert_eq!(resume.idempotency_key, "backfill_state:bf-1:3:RUNNING");
    // Pausing twice is two transitions, not a duplicate.
    assert_ne!(pause.idempotency_key, pause_again.idempotency_key);
}
