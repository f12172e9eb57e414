//! Backfill API: selector support and `Idempotency-Key` semantics.

use arco_api::routes::orchestration::{BackfillResponse, CreateBackfillRequest};
use arco_api::routes::{ApiError, OrchestrationApi};
use arco_flow::orchestration::events::{OrchestrationEventData, PartitionSelector};

fn backfill(selector: PartitionSelector) -> CreateBackfillRequest {
    CreateBackfillRequest {
        asset_selection: vec!["daily_sales".into()],
        partition_selector: selector,
        chunk_size: 10,
    }
}

fn explicit(partitions: &[&str]) -> PartitionSelector {
    PartitionSelector::Explicit {
        partitions: partitions.iter().map(|p| (*p).to_owned()).collect(),
    }
}

#[test]
fn test_create_backfill_rejects_non_explicit_selector() {
    let api = OrchestrationApi::new("t1");
    let range = PartitionSelector::Range {
        start: "2024-01-01".into(),
        end: "2024-12-31".into(),
    };
    let err = api.create_backfill("key-1", &backfill(range)).unwrap_err();
    assert_eq!(
        err,
        ApiError::BadRequest(
            "partition selector 'range' is not supported; send an explicit partition list".into()
        )
    );
    assert_eq!(err.status(), 400);
    let filter = PartitionSelector::Filter {
        filters: [("region".into(), "eu".into())].into(),
    };
    assert_eq!(
        api.create_backfill("key-2", &backfill(filter))
            .unwrap_err()
            .status(),
        400
    );
    assert!(api.ledger().is_empty());
}

#[test]
fn test_create_backfill_idempotent_on_key() {
    let api = OrchestrationApi::new("t1");
    let request = backfill(explicit(&["2024-01-01", "2024-01-02"]));
    let first = api.create_backfill("key-1", &request).unwrap();
    let second = api.create_backfill("key-1", &request).unwrap();
    assert!(first.created);
    assert_eq!(
        second,
        BackfillResponse {
            created: false,
            ..first.clone()
        }
    );
    assert_eq!(first.total_partitions, 2);

    let ledger = api.ledger();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].idempotency_key, "backfill_created:key-1");
    let OrchestrationEventData::BackfillCreated(created) = &ledger[0].data else {
        panic!("expected BackfillCreated, got {:?}", ledger[0].data);
    };
    assert_eq!(created.backfill_id, first.backfill_id);

    let other = api.create_backfill("key-2", &request).unwrap();
    assert_ne!(other.backfill_id, first.backfill_id);
}

#[test]
fn test_create_backfill_key_reuse_with_different_body_conflicts() {
    let api = OrchestrationApi::new("t1");
    api.create_backfill("key-1", &backfill(explicit(&["2024-01-01"])))
        .unwrap();
    let err = api
        .create_backfill("key-1", &backfill(explicit(&["2024-01-02"])))
        .unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(api.ledger().len(), 1);
}
