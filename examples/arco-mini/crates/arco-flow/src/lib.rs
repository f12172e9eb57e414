//! Arco flow: the event-sourced orchestration core.
//!
//! Controllers (schedules, sensors, backfills) emit [`orchestration::events::EventEnvelope`]s
//! into a ledger; the compactor folds them into projection tables. Every event carries an
//! idempotency key so at-least-once delivery never produces duplicate effects.

pub mod orchestration;

#[cfg(any(test, feature = "test-utils"))]
pub mod testing;

pub use orchestration::events::{EventEnvelope, OrchestrationEventData};
