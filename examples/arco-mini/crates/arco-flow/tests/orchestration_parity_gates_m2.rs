//! Parity gates (M2): poll sensors. Run in CI by a dedicated step:
//! `cargo test -p arco-flow --features test-utils --test orchestration_parity_gates_m2`.

use arco_flow::orchestration::compactor::MicroCompactor;
use arco_flow::orchestration::controllers::sensor::{
    initial_state, poll_evaluation, should_evaluate, SensorPolicy,
};
use arco_flow::testing;

const POLICY: SensorPolicy = SensorPolicy {
    min_interval_secs: 30,
};

#[test]
fn parity_m2_poll_sensor_should_evaluate_enforces_min_interval() {
    assert!(should_evaluate(POLICY, None, 0));
    assert!(!should_evaluate(POLICY, Some(100), 100));
    assert!(!should_evaluate(POLICY, Some(100), 129));
    assert!(should_evaluate(POLICY, Some(100), 130));
    // A clock that went backwards never triggers an early evaluation.
    assert!(!should_evaluate(POLICY, Some(100), 50));
}

#[test]
fn parity_m2_poll_sensor_cursor_cas_rejects_stale_expected_version() {
    let mut compactor = MicroCompactor::new();
    let state = initial_state(testing::TENANT, "landing");
    // Two evaluators computed against version 0 in different epochs; the first folded wins.
    let winner = poll_evaluation(POLICY, &state, 60, Some("obj-5"), vec![]);
    let loser = poll_evaluation(POLICY, &state, 95, Some("obj-4"), vec![]);
    assert_ne!(winner.idempotency_key, loser.idempotency_key);

    let report = compactor.compact(&[winner, loser]);
    assert_eq!((report.applied, report.stale), (1, 1));
    let row = &compactor.state().sensor_state["landing"];
    assert_eq!(row.cursor.as_deref(), Some("obj-5"));
    assert_eq!(row.state_version, 1);
    assert_eq!(row.last_evaluation_at_secs, Some(60));
}

#[test]
fn parity_m2_poll_sensor_cursor_cas_accepts_matching_expected_version() {
    let mut compactor = MicroCompactor::new();
    let mut state = initial_state(testing::TENANT, "landing");
    for (now, cursor) in [(60, "obj-2"), (90, "obj-6"), (120, "obj-9")] {
        let event = poll_evaluation(POLICY, &state, now, Some(cursor), vec![]);
        assert_eq!(compactor.compact(&[event]).applied, 1);
        state = compactor.state().sensor_state["landing"].clone();
    }
    assert_eq!(state.cursor.as_deref(), Some("obj-9"));
    assert_eq!(state.state_version, 3);
    assert_eq!(state.last_evaluation_at_secs, Some(120));
}

#[test]
fn parity_m2_poll_sensor_cursor_and_min_interval_survive_compactor_reload() {
    let mut compactor = MicroCompactor::new();
    let state = initial_state(testing::TENANT, "landing");
    compactor.compact(&[poll_evaluation(POLICY, &state, 600, Some("obj\t7"), vec![])]);

    let reloaded = MicroCompactor::load_state(&compactor.snapshot()).expect("snapshot loads");
    let row = &reloaded.state().sensor_state["landing"];
    assert_eq!(row.cursor.as_deref(), Some("obj\t7"));
    assert_eq!(row.state_version, 1);
    // The min interval is enforced from the durable last evaluation time.
    assert!(!should_evaluate(POLICY, row.last_evaluation_at_secs, 620));
    assert!(should_evaluate(POLICY, row.last_evaluation_at_secs, 630));
    // Replaying the folded evaluation after reload is still a duplicate.
    let mut reloaded = reloaded;
    let replay = poll_evaluation(POLICY, &state, 600, Some("obj\t7"), vec![]);
    assert_eq!(reloaded.compact(&[replay]).duplicates, 1);
}
