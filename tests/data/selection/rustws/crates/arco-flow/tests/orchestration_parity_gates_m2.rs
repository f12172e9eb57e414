#[test]
fn parity_m2_poll_sensor_should_evaluate_enforces_min_interval() {
    assert!(arco_flow::orchestration::run_key::reserve_run_key("m2"));
}

#[test]
fn parity_m2_cursor_survives_reload() {
    assert_eq!(arco_flow::add(1, 1), 2);
}
