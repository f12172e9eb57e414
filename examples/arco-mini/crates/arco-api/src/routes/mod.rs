//! Route handlers, grouped by API area.

pub mod orchestration;

pub use orchestration::{ApiError, OrchestrationApi};
