//! Controllers: pure functions that turn definitions + projected state into new events.

pub mod backfill;
pub mod partition_status;
pub mod schedule;
pub mod sensor;
