//! Partition status: query-time staleness ("is this partition stale, and why?").

use crate::orchestration::compactor::PartitionStatusRow;

/// Why a partition is stale. A partition can be stale for several reasons at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StalenessReason {
    NeverMaterialized,
    FreshnessExpired {
        age_secs: u64,
        max_age_secs: u64,
    },
    CodeChanged {
        materialized_with: String,
        current: String,
    },
    UpstreamChanged {
        upstream_asset: String,
    },
}

impl StalenessReason {
    /// Stable reason code for reports and APIs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NeverMaterialized => "NEVER_MATERIALIZED",
            Self::FreshnessExpired { .. } => "FRESHNESS_EXPIRED",
            Self::CodeChanged { .. } => "CODE_CHANGED",
            Self::UpstreamChanged { .. } => "UPSTREAM_CHANGED",
        }
    }
}

/// What "fresh" means for an asset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StalenessPolicy {
    pub max_age_secs: Option<u64>,
    pub current_code_version: Option<String>,
}

/// Staleness of one partition from its own status row only.
pub fn compute_staleness(
    row: Option<&PartitionStatusRow>,
    policy: &StalenessPolicy,
    now_secs: u64,
) -> Vec<StalenessReason> {
    let Some(at) = row.and_then(|r| r.last_materialized_at_secs) else {
        return vec![StalenessReason::NeverMaterialized];
    };
    let row = row.expect("materialized rows exist");
    let mut reasons = Vec::new();
    if let Some(max_age_secs) = policy.max_age_secs {
        let age_secs = now_secs.saturating_sub(at);
        if age_secs > max_age_secs {
            reasons.push(StalenessReason::FreshnessExpired {
                age_secs,
                max_age_secs,
            });
        }
    }
    if let (Some(current), Some(used)) = (&policy.current_code_version, &row.code_version) {
        if current != used {
            reasons.push(StalenessReason::CodeChanged {
                materialized_with: used.clone(),
                current: current.clone(),
            });
        }
    }
    reasons
}

/// Like [`compute_staleness`], plus one reason per upstream materialized after this one.
pub fn compute_staleness_with_upstreams(
    row: Option<&PartitionStatusRow>,
    upstreams: &[&PartitionStatusRow],
    policy: &StalenessPolicy,
    now_secs: u64,
) -> Vec<StalenessReason> {
    let mut reasons = compute_staleness(row, policy, now_secs);
    if let Some(at) = row.and_then(|r| r.last_materialized_at_secs) {
        for upstream in upstreams {
            if upstream.last_materialized_at_secs.is_some_and(|up| up > at) {
                reasons.push(StalenessReason::UpstreamChanged {
                    upstream_asset: upstream.asset_key.clone(),
                });
            }
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(asset: &str, at: Option<u64>, code: &str) -> PartitionStatusRow {
        PartitionStatusRow {
            tenant_id: "t".into(),
            asset_key: asset.into(),
            partition_key: "2024-01-01".into(),
            last_run_id: at.map(|_| "run-1".into()),
            last_materialized_at_secs: at,
            data_version: at.map(|_| "dv1".into()),
            code_version: at.map(|_| code.into()),
        }
    }

    #[test]
    fn test_staleness_never_materialized() {
        let policy = StalenessPolicy::default();
        assert_eq!(
            compute_staleness(None, &policy, 10),
            vec![StalenessReason::NeverMaterialized]
        );
        let pending = row("sales", None, "v1");
        assert_eq!(
            compute_staleness(Some(&pending), &policy, 10),
            vec![StalenessReason::NeverMaterialized]
        );
    }

    #[test]
    fn test_staleness_freshness_and_code_change() {
        let policy = StalenessPolicy {
            max_age_secs: Some(60),
            current_code_version: Some("v2".into()),
        };
        let reasons = compute_staleness(Some(&row("sales", Some(100), "v1")), &policy, 200);
        let codes: Vec<&str> = reasons.iter().map(StalenessReason::code).collect();
        assert_eq!(codes, vec!["FRESHNESS_EXPIRED", "CODE_CHANGED"]);
        assert_eq!(
            reasons[0],
            StalenessReason::FreshnessExpired {
                age_secs: 100,
                max_age_secs: 60
            }
        );
    }

    #[test]
    fn test_staleness_upstream_changed() {
        let policy = StalenessPolicy::default();
        let me = row("daily_sales", Some(100), "v1");
        let newer = row("orders", Some(150), "v1");
        let older = row("customers", Some(50), "v1");
        let reasons = compute_staleness_with_upstreams(Some(&me), &[&newer, &older], &policy, 200);
        assert_eq!(
            reasons,
            vec![StalenessReason::UpstreamChanged {
                upstream_asset: "orders".into()
            }]
        );
    }

    #[test]
    fn test_fresh_partition_has_no_reasons() {
        let policy = StalenessPolicy {
            max_age_secs: Some(60),
            current_code_version: Some("v1".into()),
        };
        assert!(compute_staleness(Some(&row("sales", Some(100), "v1")), &policy, 130).is_empty());
    }
}
