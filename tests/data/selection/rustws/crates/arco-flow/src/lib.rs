//! A tiny stand-in for a real orchestration crate.

pub mod orchestration;

/// Adds two numbers.
///
/// ```
/// assert_eq!(arco_flow::add(1, 2), 3);
/// ```
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[cfg(test)]
mod tests {
    #[test]
    fn test_lib_basic() {
        assert_eq!(super::add(2, 2), 4);
    }

    #[test]
    #[ignore = "slow"]
    fn test_lib_ignored() {
        assert_eq!(super::add(1, 1), 2);
    }

    #[cfg(feature = "mock")]
    #[test]
    fn test_lib_mock() {
        assert_eq!(super::add(0, 0), 0);
    }

    #[cfg(not(feature = "std"))]
    #[test]
    fn test_lib_no_std() {
        assert_eq!(super::add(3, 0), 3);
    }
}
