//! Orchestration routes: trigger a run (run_key idempotent) and create a backfill.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use arco_flow::orchestration::events::{
    BackfillCreated, EventEnvelope, OrchestrationEventData, PartitionSelector,
};
use arco_flow::orchestration::fnv1a_hex;
use arco_flow::orchestration::run_key::{reserve_run_key, ReservationResult, ReservationStore};

/// An error a handler returns; the HTTP layer maps it with [`ApiError::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    BadRequest(String),
    Conflict(String),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Conflict(_) => 409,
        }
    }
}

/// Body of `POST /runs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRunRequest {
    pub selection: Vec<String>,
    /// Partition dimensions as `(dimension, value)`, in any order.
    pub partitions: Vec<(String, String)>,
    pub run_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRunResponse {
    pub run_id: String,
    /// False when an existing run was returned for the same run_key.
    pub created: bool,
}

/// One task of a run: an asset and the canonical partition key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaskDef {
    pub asset_key: String,
    pub partition_key: String,
}

/// Body of `POST /backfills`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateBackfillRequest {
    pub asset_selection: Vec<String>,
    pub partition_selector: PartitionSelector,
    pub chunk_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillResponse {
    pub backfill_id: String,
    pub total_partitions: u32,
    /// False when the `Idempotency-Key` matched an earlier request.
    pub created: bool,
}

fn escape_component(text: &str) -> String {
    text.replace('%', "%25")
        .replace('=', "%3D")
        .replace('|', "%7C")
}

/// Canonical partition key: dimensions sorted by name, `dim=value` joined by `|`.
///
/// ```
/// use arco_api::routes::orchestration::build_partition_key;
///
/// let dims = vec![("region".to_owned(), "eu".to_owned()), ("date".to_owned(), "2024-01-01".to_owned())];
/// assert_eq!(build_partition_key(&dims).unwrap(), "date=2024-01-01|region=eu");
/// ```
pub fn build_partition_key(dimensions: &[(String, String)]) -> Result<String, ApiError> {
    let mut sorted: BTreeMap<&str, &str> = BTreeMap::new();
    for (dim, value) in dimensions {
        if sorted.insert(dim, value).is_some() {
            return Err(ApiError::BadRequest(format!(
                "duplicate partition dimension '{dim}'"
            )));
        }
    }
    let parts: Vec<String> = sorted
        .iter()
        .map(|(dim, value)| format!("{}={}", escape_component(dim), escape_component(value)))
        .collect();
    Ok(parts.join("|"))
}

/// One task per distinct selected asset, sorted, so the plan does not depend on client order.
pub fn build_task_defs(selection: &[String], partition_key: &str) -> Vec<TaskDef> {
    let mut tasks: Vec<TaskDef> = selection
        .iter()
        .map(|asset| TaskDef {
            asset_key: asset.clone(),
            partition_key: partition_key.to_owned(),
        })
        .collect();
    tasks.sort();
    tasks.dedup();
    tasks
}

/// Fingerprint of the semantic content of a run request (its task definitions).
pub fn request_fingerprint(tasks: &[TaskDef]) -> String {
    let canonical: Vec<String> = tasks
        .iter()
        .map(|t| format!("{}@{}", t.asset_key, t.partition_key))
        .collect();
    fnv1a_hex(&canonical.join("\n"))
}

/// Handler state: run_key reservations, the event ledger and backfill idempotency keys.
#[derive(Debug)]
pub struct OrchestrationApi {
    tenant_id: String,
    reservations: ReservationStore,
    ledger: Mutex<Vec<EventEnvelope>>,
    backfills: Mutex<BTreeMap<String, (String, BackfillResponse)>>,
    next_id: AtomicU64,
    #[cfg(feature = "metrics")]
    metrics: crate::metrics::RouteCounters,
}

impl OrchestrationApi {
    pub fn new(tenant_id: &str) -> Self {
        Self {
            tenant_id: tenant_id.to_owned(),
            reservations: ReservationStore::new(),
            ledger: Mutex::new(Vec::new()),
            backfills: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
            #[cfg(feature = "metrics")]
            metrics: crate::metrics::RouteCounters::default(),
        }
    }

    pub fn reservations(&self) -> &ReservationStore {
        &self.reservations
    }

    /// A copy of every event emitted so far, in order.
    pub fn ledger(&self) -> Vec<EventEnvelope> {
        self.ledger.lock().expect("ledger lock").clone()
    }

    #[cfg(feature = "metrics")]
    pub fn metrics(&self) -> &crate::metrics::RouteCounters {
        &self.metrics
    }

    fn new_id(&self, prefix: &str) -> String {
        format!(
            "{prefix}-{:06}",
            self.next_id.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn emit(&self, data: OrchestrationEventData) {
        let mut ledger = self.ledger.lock().expect("ledger lock");
        let event_id = format!("evt-{:06}", ledger.len() + 1);
        let now = u64::try_from(ledger.len()).unwrap_or(u64::MAX);
        ledger.push(EventEnvelope::new(&self.tenant_id, &event_id, now, data));
    }

    /// `POST /runs`: starts a run, or returns the existing run for a reused `run_key`.
    pub fn trigger_run(&self, request: &TriggerRunRequest) -> Result<TriggerRunResponse, ApiError> {
        #[cfg(feature = "metrics")]
        self.metrics.record(crate::metrics::Route::TriggerRun);
        if request.selection.is_empty() {
            return Err(ApiError::BadRequest("selection must not be empty".into()));
        }
        let partition_key = build_partition_key(&request.partitions)?;
        let tasks = build_task_defs(&request.selection, &partition_key);
        let fingerprint = request_fingerprint(&tasks);
        let (run_id, created) = match &request.run_key {
            None => (self.new_id("run"), true),
            Some(run_key) => {
                match reserve_run_key(
                    &self.reservations,
                    run_key,
                    &self.new_id("run"),
                    &fingerprint,
                    0,
                ) {
                    ReservationResult::Reserved(reservation) => (reservation.run_id, true),
                    // A previous attempt may have crashed between reserving and emitting, so
                    // re-emit; the compactor drops the copy by idempotency key.
                    ReservationResult::Existing(reservation) => (reservation.run_id, false),
                    ReservationResult::FingerprintMismatch { existing, .. } => {
                        return Err(ApiError::Conflict(format!(
                            "run_key '{run_key}' is already used by run {} with a different request",
                            existing.run_id
                        )));
                    }
                }
            }
        };
        let run_key = request
            .run_key
            .clone()
            .unwrap_or_else(|| format!("adhoc:{run_id}"));
        self.emit(OrchestrationEventData::RunRequested {
            run_key,
            run_id: run_id.clone(),
            request_fingerprint: fingerprint,
            source: "api".into(),
        });
        Ok(TriggerRunResponse { run_id, created })
    }

    /// `POST /backfills` with an `Idempotency-Key` header.
    ///
    /// Only explicit partition lists are accepted today: range and filter selectors need a
    /// partition resolver, which does not exist yet.
    pub fn create_backfill(
        &self,
        idempotency_key: &str,
        request: &CreateBackfillRequest,
    ) -> Result<BackfillResponse, ApiError> {
        #[cfg(feature = "metrics")]
        self.metrics.record(crate::metrics::Route::CreateBackfill);
        let Some(partitions) = request.partition_selector.explicit_partitions() else {
            return Err(ApiError::BadRequest(format!(
                "partition selector '{}' is not supported; send an explicit partition list",
                request.partition_selector.kind()
            )));
        };
        if partitions.is_empty() || request.asset_selection.is_empty() {
            return Err(ApiError::BadRequest(
                "backfill must select assets and partitions".into(),
            ));
        }
        let fingerprint = fnv1a_hex(&format!(
            "{}#{}#{}",
            request.asset_selection.join(","),
            request.partition_selector.encode(),
            request.chunk_size
        ));
        let mut backfills = self.backfills.lock().expect("backfills lock");
        if let Some((existing_fingerprint, response)) = backfills.get(idempotency_key) {
            if *existing_fingerprint != fingerprint {
                return Err(ApiError::Conflict(format!(
                    "Idempotency-Key '{idempotency_key}' was used with a different request"
                )));
            }
            return Ok(BackfillResponse {
                created: false,
                ..response.clone()
            });
        }
        let total_partitions = u32::try_from(partitions.len())
            .map_err(|_| ApiError::BadRequest("too many partitions".into()))?;
        let response = BackfillResponse {
            backfill_id: self.new_id("bf"),
            total_partitions,
            created: true,
        };
        self.emit(OrchestrationEventData::BackfillCreated(BackfillCreated {
            backfill_id: response.backfill_id.clone(),
            client_request_id: idempotency_key.to_owned(),
            asset_selection: request.asset_selection.clone(),
            partition_selector: request.partition_selector.clone(),
            total_partitions,
            chunk_size: request.chunk_size,
        }));
        backfills.insert(idempotency_key.to_owned(), (fingerprint, response.clone()));
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arco_flow::orchestration::compactor::{FoldOutcome, FoldState};
    use arco_flow::orchestration::run_key::get_reservation;

    fn dims(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(d, v)| ((*d).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn request(selection: &[&str], run_key: Option<&str>) -> TriggerRunRequest {
        TriggerRunRequest {
            selection: selection.iter().map(|s| (*s).to_owned()).collect(),
            partitions: dims(&[("date", "2024-01-01")]),
            run_key: run_key.map(str::to_owned),
        }
    }

    #[test]
    fn test_build_task_defs_canonical_partition_key() {
        let a =
            build_partition_key(&dims(&[("region", "eu|west"), ("date", "2024-01-01")])).unwrap();
        let b =
            build_partition_key(&dims(&[("date", "2024-01-01"), ("region", "eu|west")])).unwrap();
        assert_eq!(a, "date=2024-01-01|region=eu%7Cwest");
        assert_eq!(a, b);
        let selection = ["sales".to_owned(), "orders".to_owned(), "sales".to_owned()];
        let tasks = build_task_defs(&selection, &a);
        let assets: Vec<&str> = tasks.iter().map(|t| t.asset_key.as_str()).collect();
        assert_eq!(assets, ["orders", "sales"]);
        assert!(tasks.iter().all(|t| t.partition_key == a));
        let reordered = build_task_defs(&["orders".to_owned(), "sales".to_owned()], &b);
        assert_eq!(request_fingerprint(&tasks), request_fingerprint(&reordered));
    }

    #[test]
    fn test_build_partition_key_rejects_duplicate_dimension() {
        let err = build_partition_key(&dims(&[("date", "a"), ("date", "b")])).unwrap_err();
        assert_eq!(
            err,
            ApiError::BadRequest("duplicate partition dimension 'date'".into())
        );
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn test_trigger_run_reemits_when_reservation_exists() {
        let api = OrchestrationApi::new("t1");
        let req = request(&["sales"], Some("daily:2024-01-01"));
        // Simulate a crash after the reservation was written but before the event was emitted.
        let partition_key = build_partition_key(&req.partitions).unwrap();
        let fingerprint = request_fingerprint(&build_task_defs(&req.selection, &partition_key));
        reserve_run_key(
            api.reservations(),
            "daily:2024-01-01",
            "run-earlier",
            &fingerprint,
            0,
        );

        let response = api.trigger_run(&req).unwrap();
        assert_eq!(
            response,
            TriggerRunResponse {
                run_id: "run-earlier".into(),
                created: false
            }
        );
        let retried = api.trigger_run(&req).unwrap();
        assert_eq!(retried.run_id, "run-earlier");

        let ledger = api.ledger();
        assert_eq!(ledger.len(), 2);
        let mut fold = FoldState::new();
        let outcomes: Vec<_> = ledger.iter().map(|e| fold.fold_event(e)).collect();
        assert_eq!(outcomes, [FoldOutcome::Applied, FoldOutcome::Duplicate]);
        assert_eq!(fold.run_key_index["daily:2024-01-01"].run_id, "run-earlier");
    }

    #[test]
    fn test_trigger_run_conflicts_on_fingerprint_mismatch() {
        let api = OrchestrationApi::new("t1");
        let first = api.trigger_run(&request(&["sales"], Some("rk-1"))).unwrap();
        assert!(first.created);
        let err = api
            .trigger_run(&request(&["orders"], Some("rk-1")))
            .unwrap_err();
        assert_eq!(err.status(), 409);
        assert_eq!(
            err,
            ApiError::Conflict(format!(
                "run_key 'rk-1' is already used by run {} with a different request",
                first.run_id
            ))
        );
        assert_eq!(api.ledger().len(), 1);
        assert_eq!(
            get_reservation(api.reservations(), "rk-1").unwrap().run_id,
            first.run_id
        );
    }

    #[cfg(feature = "metrics")]
    #[test]
    fn test_metrics_count_requests_per_route() {
        use crate::metrics::Route;
        let api = OrchestrationApi::new("t1");
        api.trigger_run(&request(&["sales"], None)).unwrap();
        let _ = api.trigger_run(&request(&[], None));
        assert_eq!(api.metrics().get(Route::TriggerRun), 2);
        assert_eq!(api.metrics().get(Route::CreateBackfill), 0);
    }
}
