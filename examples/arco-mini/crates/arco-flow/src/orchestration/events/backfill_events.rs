//! Backfill events: creation with a compact partition selector, and state changes.

use std::collections::BTreeMap;
use std::fmt;

/// Which partitions a backfill covers.
///
/// Backfills over large ranges store the *selector*, never the expanded list, so a
/// ten-year daily backfill is one small event rather than thousands of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionSelector {
    /// An explicit list of partition keys.
    Explicit { partitions: Vec<String> },
    /// An inclusive range of partition keys (resolved by a partition resolver).
    Range { start: String, end: String },
    /// Partitions whose dimensions match all filters (resolved by a partition resolver).
    Filter { filters: BTreeMap<String, String> },
}

impl PartitionSelector {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Explicit { .. } => "explicit",
            Self::Range { .. } => "range",
            Self::Filter { .. } => "filter",
        }
    }

    /// The partition keys, if this selector lists them explicitly.
    pub fn explicit_partitions(&self) -> Option<&[String]> {
        match self {
            Self::Explicit { partitions } => Some(partitions),
            Self::Range { .. } | Self::Filter { .. } => None,
        }
    }

    /// Canonical wire encoding, as stored in the `BackfillCreated` event.
    pub fn encode(&self) -> String {
        match self {
            Self::Explicit { partitions } => format!("explicit:{}", partitions.join(",")),
            Self::Range { start, end } => format!("range:{start}..{end}"),
            Self::Filter { filters } => {
                let parts: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("filter:{}", parts.join(","))
            }
        }
    }
}

/// Lifecycle of a backfill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackfillState {
    Pending,
    Running,
    Paused,
    Succeeded,
    Failed,
    Cancelled,
}

impl BackfillState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

impl fmt::Display for BackfillState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Payload of the `BackfillCreated` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillCreated {
    pub backfill_id: String,
    /// Client-supplied idempotency key (`Idempotency-Key` header).
    pub client_request_id: String,
    pub asset_selection: Vec<String>,
    pub partition_selector: PartitionSelector,
    pub total_partitions: u32,
    pub chunk_size: u32,
}
