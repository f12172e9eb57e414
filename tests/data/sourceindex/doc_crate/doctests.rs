//! Module docs with a doc-test.
//!
//! ```
//! assert_eq!(1 + 1, 2);
//! ```

/// Reserve a run key.
///
/// ```rust
/// let key = reserve_run_key("a");
/// assert!(key.is_ok());
/// ```
///
/// Some text:
///
/// ```text
/// not rust
/// ```
///
/// ```ignore
/// never run
/// ```
///
/// ```no_run
/// start_server();
/// ```
///
/// ```compile_fail
/// let x: u8 = "no";
/// ```
///
/// ```should_panic
/// panic!("expected");
/// ```
///
/// ~~~rust,edition2021
/// tilde_fence();
/// ~~~
///
/// ````
/// ```
/// inner fence inside a longer fence
/// ```
/// ````
pub fn reserve_run_key(name: &str) -> Result<String, ()> {
    Ok(name.to_owned())
}

/**
 * Block doc comment.
 *
 * ```
 * let _ = 1;
 * ```
 */
pub struct Key<T>(T);

impl<T: Clone> Key<T> {
    /// ```
    /// let _ = 2;
    /// ```
    pub fn get(&self) -> T {
        self.0.clone()
    }
}

/// Docs on an enum.
pub enum Kind {
    /// ```
    /// let _ = Kind::A;
    /// ```
    A,
}

pub mod nested {
    //! ```
    //! let _ = "inner docs of an inline module";
    //! ```

    /// ```sh
    /// echo not rust
    /// ```
    pub fn shell() {}
}

#[cfg(test)]
mod tests {
    /// ```
    /// let _ = "in a cfg(test) module";
    /// ```
    pub fn gated() {}
}

/// ```
/// let _ = "macro";
/// ```
#[macro_export]
macro_rules! documented_macro {
    () => {};
}

pub struct WithFields {
    /// ```
    /// let _ = "field";
    /// ```
    pub field: std::collections::HashMap<u8, u8>,
    /// ```
    /// let _ = "second field";
    /// ```
    second: u8,
}
