//! Test fixtures: event builders with fresh event ids, and a seeded shuffle.
//!
//! Compiled only for this crate's unit tests or with the `test-utils` feature.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::orchestration::events::{
    BackfillCreated, BackfillState, EventEnvelope, OrchestrationEventData, PartitionSelector,
    RunRequest, SensorTrigger,
};

/// Tenant used by every fixture.
pub const TENANT: &str = "tenant-test";

static NEXT_EVENT: AtomicU64 = AtomicU64::new(1);

/// A fresh event id: redeliveries of the "same" event get distinct ids, like a real ledger.
pub fn next_event_id() -> String {
    format!("evt-{:06}", NEXT_EVENT.fetch_add(1, Ordering::Relaxed))
}

fn envelope(at_secs: u64, data: OrchestrationEventData) -> EventEnvelope {
    EventEnvelope::new(TENANT, &next_event_id(), at_secs, data)
}

pub fn schedule_ticked(schedule_id: &str, tick_id: &str, scheduled_for_secs: u64) -> EventEnvelope {
    envelope(
        scheduled_for_secs,
        OrchestrationEventData::ScheduleTicked {
            schedule_id: schedule_id.to_owned(),
            tick_id: tick_id.to_owned(),
            scheduled_for_secs,
            run_key: Some(format!("sched:{tick_id}")),
        },
    )
}

pub fn push_sensor_eval(sensor_id: &str, message_id: &str, at_secs: u64) -> EventEnvelope {
    envelope(
        at_secs,
        OrchestrationEventData::SensorEvaluated {
            sensor_id: sensor_id.to_owned(),
            trigger: SensorTrigger::Push {
                message_id: message_id.to_owned(),
            },
            cursor_before: None,
            cursor_after: None,
            expected_state_version: None,
            run_requests: vec![RunRequest {
                run_key: format!("{sensor_id}:{message_id}"),
                request_fingerprint: format!("fp-{message_id}"),
            }],
        },
    )
}

pub fn poll_sensor_eval(
    sensor_id: &str,
    poll_epoch: u64,
    cursor_before: Option<&str>,
    cursor_after: Option<&str>,
    expected_state_version: u64,
    at_secs: u64,
) -> EventEnvelope {
    envelope(
        at_secs,
        OrchestrationEventData::SensorEvaluated {
            sensor_id: sensor_id.to_owned(),
            trigger: SensorTrigger::Poll { poll_epoch },
            cursor_before: cursor_before.map(str::to_owned),
            cursor_after: cursor_after.map(str::to_owned),
            expected_state_version: Some(expected_state_version),
            run_requests: vec![],
        },
    )
}

pub fn run_requested(run_key: &str, run_id: &str, fingerprint: &str) -> EventEnvelope {
    envelope(
        0,
        OrchestrationEventData::RunRequested {
            run_key: run_key.to_owned(),
            run_id: run_id.to_owned(),
            request_fingerprint: fingerprint.to_owned(),
            source: "api".to_owned(),
        },
    )
}

pub fn backfill_created(
    backfill_id: &str,
    client_request_id: &str,
    selector: PartitionSelector,
    total_partitions: u32,
) -> EventEnvelope {
    envelope(
        0,
        OrchestrationEventData::BackfillCreated(BackfillCreated {
            backfill_id: backfill_id.to_owned(),
            client_request_id: client_request_id.to_owned(),
            asset_selection: vec!["daily_sales".to_owned()],
            partition_selector: selector,
            total_partitions,
            chunk_size: 10,
        }),
    )
}

pub fn backfill_state_changed(
    backfill_id: &str,
    from_state: BackfillState,
    to_state: BackfillState,
    state_version: u64,
) -> EventEnvelope {
    envelope(
        0,
        OrchestrationEventData::BackfillStateChanged {
            backfill_id: backfill_id.to_owned(),
            from_state,
            to_state,
            state_version,
        },
    )
}

pub fn partition_materialized(
    asset_key: &str,
    partition_key: &str,
    run_id: &str,
    at_secs: u64,
) -> EventEnvelope {
    envelope(
        at_secs,
        OrchestrationEventData::PartitionMaterialized {
            asset_key: asset_key.to_owned(),
            partition_key: partition_key.to_owned(),
            run_id: run_id.to_owned(),
            data_version: format!("dv-{run_id}"),
            code_version: "v1".to_owned(),
            materialized_at_secs: at_secs,
        },
    )
}

/// Seed for randomized tests: `ARCO_TEST_SEED` (CI sets it), else 7.
pub fn test_seed() -> u64 {
    std::env::var("ARCO_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7)
}

/// Deterministic Fisher-Yates shuffle driven by xorshift64.
pub fn seeded_shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = seed.max(1);
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = usize::try_from(x % (i as u64 + 1)).expect("index fits usize");
        items.swap(i, j);
    }
}
