/// Triggers a run.
///
/// ```
/// assert!(arco_api::trigger_run("k"));
/// ```
pub fn trigger_run(key: &str) -> bool {
    arco_flow::orchestration::run_key::reserve_run_key(key)
}

#[cfg(test)]
mod tests {
    #[test]
    fn test_trigger_run_conflicts_on_fingerprint_mismatch() {
        assert!(super::trigger_run("k"));
    }
}
