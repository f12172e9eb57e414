//! Sensor controller: minimum evaluation interval and evaluation events (push and poll).

use crate::orchestration::compactor::SensorStateRow;
use crate::orchestration::events::{
    EventEnvelope, OrchestrationEventData, RunRequest, SensorTrigger,
};

/// Evaluation policy of a poll sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorPolicy {
    pub min_interval_secs: u64,
}

/// A poll sensor is evaluated only if `min_interval_secs` passed since its last evaluation.
pub fn should_evaluate(
    policy: SensorPolicy,
    last_evaluation_at_secs: Option<u64>,
    now_secs: u64,
) -> bool {
    match last_evaluation_at_secs {
        None => true,
        Some(last) => now_secs.saturating_sub(last) >= policy.min_interval_secs,
    }
}

/// The poll epoch of `now_secs`: evaluations within one epoch share an idempotency key.
pub fn poll_epoch(policy: SensorPolicy, now_secs: u64) -> u64 {
    now_secs / policy.min_interval_secs.max(1)
}

/// Builds a poll evaluation against the sensor's current state (cursor + version for CAS).
pub fn poll_evaluation(
    policy: SensorPolicy,
    state: &SensorStateRow,
    now_secs: u64,
    cursor_after: Option<&str>,
    run_requests: Vec<RunRequest>,
) -> EventEnvelope {
    let data = OrchestrationEventData::SensorEvaluated {
        sensor_id: state.sensor_id.clone(),
        trigger: SensorTrigger::Poll {
            poll_epoch: poll_epoch(policy, now_secs),
        },
        cursor_before: state.cursor.clone(),
        cursor_after: cursor_after.map(str::to_owned),
        expected_state_version: Some(state.state_version),
        run_requests,
    };
    let event_id = format!("evt-{}-{now_secs}", state.sensor_id);
    EventEnvelope::new(&state.tenant_id, &event_id, now_secs, data)
}

/// Builds a push evaluation for one delivered message.
pub fn push_evaluation(
    tenant_id: &str,
    sensor_id: &str,
    message_id: &str,
    now_secs: u64,
    run_requests: Vec<RunRequest>,
) -> EventEnvelope {
    let data = OrchestrationEventData::SensorEvaluated {
        sensor_id: sensor_id.to_owned(),
        trigger: SensorTrigger::Push {
            message_id: message_id.to_owned(),
        },
        cursor_before: None,
        cursor_after: None,
        expected_state_version: None,
        run_requests,
    };
    EventEnvelope::new(
        tenant_id,
        &format!("evt-{sensor_id}-{message_id}"),
        now_secs,
        data,
    )
}

/// An empty state for a sensor that has never been evaluated.
pub fn initial_state(tenant_id: &str, sensor_id: &str) -> SensorStateRow {
    SensorStateRow {
        tenant_id: tenant_id.to_owned(),
        sensor_id: sensor_id.to_owned(),
        cursor: None,
        state_version: 0,
        last_evaluation_at_secs: None,
    }
}
