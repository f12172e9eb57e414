//! End-to-end flows across controllers, compactor and run_key reservations.
//!
//! Ignored by default; the scheduled `e2e` CI job runs them with `-- --ignored`.

use arco_flow::orchestration::compactor::MicroCompactor;
use arco_flow::orchestration::controllers::schedule::{reconcile, ScheduleSpec};
use arco_flow::orchestration::events::OrchestrationEventData;
use arco_flow::orchestration::run_key::{reserve_run_key, ReservationResult, ReservationStore};
use arco_flow::testing;

#[test]
#[ignore = "e2e: run by the scheduled e2e job"]
fn e2e_schedule_tick_reserves_one_run_per_tick_across_retries() {
    let spec = ScheduleSpec::every("hourly", 3600, 0).with_catchup(3 * 3600, 3);
    let store = ReservationStore::new();
    let mut compactor = MicroCompactor::new();
    // The controller crashes after emitting and is retried with the same inputs.
    for attempt in 0..2 {
        let events = reconcile(&spec, testing::TENANT, Some(0), 3 * 3600);
        assert_eq!(events.len(), 3);
        let report = compactor.compact(&events);
        assert_eq!(report.applied, if attempt == 0 { 3 } else { 0 });
        for event in &events {
            let OrchestrationEventData::ScheduleTicked {
                run_key: Some(run_key),
                tick_id,
                ..
            } = &event.data
            else {
                panic!("unexpected event {:?}", event.data);
            };
            let result = reserve_run_key(&store, run_key, &format!("run-{tick_id}"), tick_id, 0);
            assert_eq!(
                matches!(result, ReservationResult::Reserved(_)),
                attempt == 0
            );
        }
    }
    assert_eq!(store.len(), 3);
    assert_eq!(compactor.state().schedule_ticks.len(), 3);
}

#[test]
#[ignore = "e2e: run by the scheduled e2e job"]
fn e2e_push_sensor_redelivery_after_reload_creates_one_run() {
    let mut compactor = MicroCompactor::new();
    compactor.compact(&[testing::push_sensor_eval("orders_topic", "msg-1", 10)]);
    let mut reloaded = MicroCompactor::load_state(&compactor.snapshot()).expect("snapshot loads");
    let report = reloaded.compact(&[testing::push_sensor_eval("orders_topic", "msg-1", 20)]);
    assert_eq!(report.duplicates, 1);
    assert_eq!(
        reloaded.state().sensor_state["orders_topic"].last_evaluation_at_secs,
        Some(10)
    );
}
