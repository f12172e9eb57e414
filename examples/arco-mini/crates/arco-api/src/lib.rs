//! Arco API: orchestration request handlers over `arco-flow`.
//!
//! Handlers are transport-agnostic: the HTTP layer maps [`routes::ApiError`] to a status
//! code and serializes the response types.

pub mod routes;

#[cfg(feature = "metrics")]
pub mod metrics;
