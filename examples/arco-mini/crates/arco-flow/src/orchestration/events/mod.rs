//! Orchestration events and their idempotency keys.
//!
//! The ledger is delivered at least once, so every event derives a deterministic
//! idempotency key from its *semantic identity* (not from its random event id).
//! The compactor drops any event whose key it has already folded.

pub mod backfill_events;

pub use backfill_events::{BackfillCreated, BackfillState, PartitionSelector};

use super::fnv1a_hex;

/// Version of the envelope layout; bumped on incompatible changes.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// What caused a sensor evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SensorTrigger {
    /// A push sensor received a message (e.g. a Pub/Sub delivery).
    Push { message_id: String },
    /// A poll sensor timer fired in the given poll epoch.
    Poll { poll_epoch: u64 },
}

/// A request to start a run, deduplicated by `run_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    pub run_key: String,
    pub request_fingerprint: String,
}

/// The typed payload of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrchestrationEventData {
    ScheduleTicked {
        schedule_id: String,
        tick_id: String,
        scheduled_for_secs: u64,
        run_key: Option<String>,
    },
    SensorEvaluated {
        sensor_id: String,
        trigger: SensorTrigger,
        cursor_before: Option<String>,
        cursor_after: Option<String>,
        /// Poll sensors only: the sensor state version this evaluation was computed
        /// against (compare-and-swap on the cursor).
        expected_state_version: Option<u64>,
        run_requests: Vec<RunRequest>,
    },
    RunRequested {
        run_key: String,
        run_id: String,
        request_fingerprint: String,
        source: String,
    },
    BackfillCreated(BackfillCreated),
    BackfillStateChanged {
        backfill_id: String,
        from_state: BackfillState,
        to_state: BackfillState,
        state_version: u64,
    },
    PartitionMaterialized {
        asset_key: String,
        partition_key: String,
        run_id: String,
        data_version: String,
        code_version: String,
        materialized_at_secs: u64,
    },
}

impl OrchestrationEventData {
    /// Stable event type name, as stored in the ledger.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::ScheduleTicked { .. } => "ScheduleTicked",
            Self::SensorEvaluated { .. } => "SensorEvaluated",
            Self::RunRequested { .. } => "RunRequested",
            Self::BackfillCreated(_) => "BackfillCreated",
            Self::BackfillStateChanged { .. } => "BackfillStateChanged",
            Self::PartitionMaterialized { .. } => "PartitionMaterialized",
        }
    }

    /// Derives the idempotency key from the event's semantic identity.
    pub fn idempotency_key(&self) -> String {
        match self {
            // One tick per (schedule, tick): redelivery of the same tick is a no-op.
            Self::ScheduleTicked { tick_id, .. } => format!("sched_tick:{tick_id}"),
            Self::SensorEvaluated {
                sensor_id,
                trigger: SensorTrigger::Push { message_id },
                ..
            } => format!("sensor_eval:{sensor_id}:msg:{message_id}"),
            // Poll evaluations are keyed by the *input* cursor, so a retried evaluation of
            // the same epoch over the same cursor dedupes, while a new cursor does not.
            Self::SensorEvaluated {
                sensor_id,
                trigger: SensorTrigger::Poll { poll_epoch },
                cursor_before,
                ..
            } => format!(
                "sensor_eval:{sensor_id}:poll:{poll_epoch}:{}",
                cursor_hash(cursor_before.as_deref())
            ),
            Self::RunRequested {
                run_key,
                request_fingerprint,
                ..
            } => {
                format!("run_requested:{run_key}:{request_fingerprint}")
            }
            Self::BackfillCreated(created) => {
                format!("backfill_created:{}", created.client_request_id)
            }
            Self::BackfillStateChanged {
                backfill_id,
                state_version,
                to_state,
                ..
            } => {
                format!(
                    "backfill_state:{backfill_id}:{state_version}:{}",
                    to_state.as_str()
                )
            }
            Self::PartitionMaterialized {
                asset_key,
                partition_key,
                run_id,
                ..
            } => {
                format!("materialized:{asset_key}:{partition_key}:{run_id}")
            }
        }
    }
}

/// Hash of a poll sensor's input cursor; `None` (first evaluation) hashes as empty.
pub fn cursor_hash(cursor: Option<&str>) -> String {
    fnv1a_hex(cursor.unwrap_or(""))
}

/// One ledger record: payload plus routing and dedupe metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEnvelope {
    pub event_id: String,
    pub schema_version: u32,
    pub tenant_id: String,
    pub idempotency_key: String,
    pub emitted_at_secs: u64,
    pub data: OrchestrationEventData,
}

impl EventEnvelope {
    /// Wraps `data`, deriving its idempotency key.
    pub fn new(
        tenant_id: &str,
        event_id: &str,
        emitted_at_secs: u64,
        data: OrchestrationEventData,
    ) -> Self {
        Self {
            event_id: event_id.to_owned(),
            schema_version: EVENT_SCHEMA_VERSION,
            tenant_id: tenant_id.to_owned(),
            idempotency_key: data.idempotency_key(),
            emitted_at_secs,
            data,
        }
    }

    pub fn event_type(&self) -> &'static str {
        self.data.event_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(cursor_before: Option<&str>, poll_epoch: u64) -> OrchestrationEventData {
        OrchestrationEventData::SensorEvaluated {
            sensor_id: "s3_landing".into(),
            trigger: SensorTrigger::Poll { poll_epoch },
            cursor_before: cursor_before.map(str::to_owned),
            cursor_after: Some("obj-9".into()),
            expected_state_version: Some(1),
            run_requests: vec![],
        }
    }

    #[test]
    fn test_poll_key_changes_with_cursor_and_epoch() {
        let base = poll(Some("obj-1"), 10).idempotency_key();
        assert_eq!(
            base,
            format!(
                "sensor_eval:s3_landing:poll:10:{}",
                cursor_hash(Some("obj-1"))
            )
        );
        assert_ne!(base, poll(Some("obj-2"), 10).idempotency_key());
        assert_ne!(base, poll(Some("obj-1"), 11).idempotency_key());
        assert_eq!(base, poll(Some("obj-1"), 10).idempotency_key());
    }

    #[test]
    fn test_envelope_new_derives_key_and_schema_version() {
        let env = EventEnvelope::new("t1", "evt-1", 5, poll(None, 3));
        assert_eq!(env.schema_version, EVENT_SCHEMA_VERSION);
        assert_eq!(env.event_type(), "SensorEvaluated");
        assert_eq!(
            env.idempotency_key,
            format!("sensor_eval:s3_landing:poll:3:{}", cursor_hash(None))
        );
    }
}
