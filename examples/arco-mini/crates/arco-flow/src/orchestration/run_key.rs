//! Strong run identity: a `run_key` is reserved once, with a fingerprint of the request.
//!
//! The reservation is a blob written with a "does not exist" precondition, so two
//! concurrent triggers with the same `run_key` cannot both create a run.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::fnv1a_hex;

/// The stored reservation blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKeyReservation {
    pub run_key: String,
    pub run_id: String,
    pub request_fingerprint: String,
    pub created_at_secs: u64,
}

/// Result of trying to reserve a run_key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationResult {
    /// This call created the reservation: the caller owns the run.
    Reserved(RunKeyReservation),
    /// The key was already reserved by an identical request: return that run.
    Existing(RunKeyReservation),
    /// The key was already reserved by a *different* request: a conflict.
    FingerprintMismatch {
        existing: RunKeyReservation,
        requested_fingerprint: String,
    },
}

/// In-memory stand-in for the object store: path -> blob, with create-if-absent.
#[derive(Debug, Default)]
pub struct ReservationStore {
    blobs: Mutex<BTreeMap<String, RunKeyReservation>>,
}

impl ReservationStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.blobs.lock().expect("store lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Storage path of a run_key's reservation (hashed: run keys are user strings).
pub fn reservation_path(run_key: &str) -> String {
    format!("run_keys/{}.json", fnv1a_hex(run_key))
}

/// Deterministic run id for runs created from a run_key without an API reservation.
pub fn derive_run_id(run_key: &str) -> String {
    format!("run_{}", &fnv1a_hex(run_key)[..12])
}

/// Reserves `run_key` for `run_id`, unless it is already reserved.
///
/// ```
/// use arco_flow::orchestration::run_key::{reserve_run_key, ReservationResult, ReservationStore};
///
/// let store = ReservationStore::new();
/// let first = reserve_run_key(&store, "daily:2024-01-01", "run-1", "fp-a", 10);
/// assert!(matches!(first, ReservationResult::Reserved(_)));
/// let again = reserve_run_key(&store, "daily:2024-01-01", "run-2", "fp-a", 11);
/// match again {
///     ReservationResult::Existing(r) => assert_eq!(r.run_id, "run-1"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
pub fn reserve_run_key(
    store: &ReservationStore,
    run_key: &str,
    run_id: &str,
    request_fingerprint: &str,
    now_secs: u64,
) -> ReservationResult {
    let mut blobs = store.blobs.lock().expect("store lock");
    let path = reservation_path(run_key);
    if let Some(existing) = blobs.get(&path) {
        return if existing.request_fingerprint == request_fingerprint {
            ReservationResult::Existing(existing.clone())
        } else {
            ReservationResult::FingerprintMismatch {
                existing: existing.clone(),
                requested_fingerprint: request_fingerprint.to_owned(),
            }
        };
    }
    let reservation = RunKeyReservation {
        run_key: run_key.to_owned(),
        run_id: run_id.to_owned(),
        request_fingerprint: request_fingerprint.to_owned(),
        created_at_secs: now_secs,
    };
    blobs.insert(path, reservation.clone());
    ReservationResult::Reserved(reservation)
}

/// Reads the reservation for `run_key`, if any.
pub fn get_reservation(store: &ReservationStore, run_key: &str) -> Option<RunKeyReservation> {
    store
        .blobs
        .lock()
        .expect("store lock")
        .get(&reservation_path(run_key))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_reserve_run_key_new_key_is_reserved() {
        let store = ReservationStore::new();
        let result = reserve_run_key(&store, "rk-1", "run-1", "fp", 100);
        let ReservationResult::Reserved(reservation) = result else {
            panic!("expected Reserved, got {result:?}");
        };
        assert_eq!(reservation.created_at_secs, 100);
        assert_eq!(get_reservation(&store, "rk-1"), Some(reservation));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn test_reserve_run_key_duplicate_returns_existing() {
        let store = ReservationStore::new();
        reserve_run_key(&store, "rk-1", "run-1", "fp", 100);
        let result = reserve_run_key(&store, "rk-1", "run-2", "fp", 200);
        let ReservationResult::Existing(existing) = result else {
            panic!("expected Existing, got {result:?}");
        };
        assert_eq!(existing.run_id, "run-1");
        assert_eq!(existing.created_at_secs, 100);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn test_reserve_run_key_detects_fingerprint_mismatch() {
        let store = ReservationStore::new();
        reserve_run_key(&store, "rk-1", "run-1", "fp-a", 100);
        let result = reserve_run_key(&store, "rk-1", "run-2", "fp-b", 200);
        assert_eq!(
            result,
            ReservationResult::FingerprintMismatch {
                existing: get_reservation(&store, "rk-1").unwrap(),
                requested_fingerprint: "fp-b".into(),
            }
        );
        assert_eq!(get_reservation(&store, "rk-1").unwrap().run_id, "run-1");
    }

    #[test]
    fn test_reservation_path_is_hashed_and_stable() {
        assert_eq!(reservation_path("a/b c"), reservation_path("a/b c"));
        assert_ne!(reservation_path("rk-1"), reservation_path("rk-2"));
        let path = reservation_path("../../etc/passwd");
        assert!(path.starts_with("run_keys/") && path.ends_with(".json"));
        assert_eq!(path.len(), "run_keys/".len() + 16 + ".json".len());
    }

    #[test]
    #[ignore = "needs object storage"]
    fn test_reserve_run_key_precondition_against_object_storage() {
        let bucket = std::env::var("ARCO_TEST_BUCKET")
            .expect("set ARCO_TEST_BUCKET to a writable bucket to run this test");
        panic!("object-storage reservation backend is not bundled in arco-mini (bucket {bucket})");
    }
}
