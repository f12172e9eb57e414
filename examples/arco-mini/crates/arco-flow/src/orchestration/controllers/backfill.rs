//! Backfill controller: chunk planning and the backfill state machine.
//!
//! Pause/resume/cancel and retry-failed are modelled as transitions here, but their
//! end-to-end execution is not proven yet (see the parity matrix).

use crate::orchestration::events::{BackfillState, EventEnvelope, OrchestrationEventData};

/// Splits partitions into chunks of at most `chunk_size`, preserving order.
pub fn plan_chunks(partitions: &[String], chunk_size: usize) -> Vec<Vec<String>> {
    assert!(chunk_size > 0, "chunk size must be positive");
    partitions
        .chunks(chunk_size)
        .map(<[String]>::to_vec)
        .collect()
}

/// Whether the state machine allows `from -> to`.
pub fn can_transition(from: BackfillState, to: BackfillState) -> bool {
    use BackfillState::{Cancelled, Failed, Paused, Pending, Running, Succeeded};
    matches!(
        (from, to),
        (Pending, Running)
            | (Running, Paused)
            | (Paused, Running)
            | (Running, Succeeded)
            | (Running, Failed)
            | (Failed, Running)
            | (Pending | Running | Paused, Cancelled)
    )
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTransition {
    pub from: BackfillState,
    pub to: BackfillState,
}

/// Builds the `BackfillStateChanged` event for moving to `to` at `current_version + 1`.
pub fn transition(
    tenant_id: &str,
    backfill_id: &str,
    from: BackfillState,
    to: BackfillState,
    current_version: u64,
    now_secs: u64,
) -> Result<EventEnvelope, InvalidTransition> {
    if !can_transition(from, to) {
        return Err(InvalidTransition { from, to });
    }
    let state_version = current_version + 1;
    let data = OrchestrationEventData::BackfillStateChanged {
        backfill_id: backfill_id.to_owned(),
        from_state: from,
        to_state: to,
        state_version,
    };
    let event_id = format!("evt-{backfill_id}-{state_version}");
    Ok(EventEnvelope::new(tenant_id, &event_id, now_secs, data))
}
