#[test]
fn test_sensor_eval_idempotency_dedupes_duplicate_message() {
    assert_eq!(arco_flow::add(2, 3), 5);
}

#[test]
fn parity_m2_lookalike_in_sensor_tests() {
    assert_eq!(arco_flow::add(0, 1), 1);
}
