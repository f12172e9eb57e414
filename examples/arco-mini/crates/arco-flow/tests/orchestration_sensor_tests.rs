//! Sensor evaluations through the compactor: push dedupe and poll cursor handling.

use arco_flow::orchestration::compactor::MicroCompactor;
use arco_flow::testing;

#[test]
fn test_sensor_eval_idempotency_dedupes_duplicate_message() {
    let mut compactor = MicroCompactor::new();
    let delivery = testing::push_sensor_eval("orders_topic", "msg-17", 100);
    let redelivery = testing::push_sensor_eval("orders_topic", "msg-17", 160);
    assert_eq!(
        delivery.idempotency_key,
        "sensor_eval:orders_topic:msg:msg-17"
    );

    let report = compactor.compact(&[delivery, redelivery]);
    assert_eq!((report.applied, report.duplicates), (1, 1));
    let state = compactor.state();
    assert_eq!(state.sensor_eval_count["orders_topic"], 1);
    assert_eq!(
        state.sensor_state["orders_topic"].last_evaluation_at_secs,
        Some(100)
    );
    assert_eq!(state.run_key_index.len(), 1);
    assert!(state.run_key_index.contains_key("orders_topic:msg-17"));
}

#[test]
fn test_push_sensor_distinct_messages_both_apply() {
    let mut compactor = MicroCompactor::new();
    let report = compactor.compact(&[
        testing::push_sensor_eval("orders_topic", "msg-1", 100),
        testing::push_sensor_eval("orders_topic", "msg-2", 101),
    ]);
    assert_eq!(report.applied, 2);
    assert_eq!(compactor.state().sensor_eval_count["orders_topic"], 2);
    assert_eq!(compactor.state().run_key_index.len(), 2);
}

#[test]
fn test_poll_sensor_advances_cursor_and_version() {
    let mut compactor = MicroCompactor::new();
    let report = compactor.compact(&[
        testing::poll_sensor_eval("landing", 1, None, Some("obj-3"), 0, 60),
        testing::poll_sensor_eval("landing", 2, Some("obj-3"), Some("obj-5"), 1, 120),
    ]);
    assert_eq!(report.applied, 2);
    let row = &compactor.state().sensor_state["landing"];
    assert_eq!(row.cursor.as_deref(), Some("obj-5"));
    assert_eq!(row.state_version, 2);
}
