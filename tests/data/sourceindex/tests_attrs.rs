#![cfg(feature = "test-utils")]
//! Integration tests gated by a feature.

use std::error::Error;

fn helper_not_a_test() -> u8 {
    1
}

#[test]
fn test_plain_assert() {
    assert_eq!(helper_not_a_test(), 1);
}

#[test]
fn test_computes_only() {
    let x = helper_not_a_test() + 1;
    let _ = x * 2;
    let _ = "assert!(false) inside a string does not count";
    // assert!(false) inside a comment does not count
}

#[test]
fn test_empty() {}

#[tokio::test]
async fn test_tokio_unwrap() {
    let value: Option<u8> = Some(1);
    value.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_tokio_expect() {
    std::env::var("HOME").expect("home is set");
}

#[sqlx::test(migrations = "./migrations")]
async fn test_sqlx_question_mark(pool: PgPool) -> Result<(), Box<dyn Error>> {
    let _row = pool.acquire().await?;
    Ok(())
}

#[test]
fn test_question_mark_without_result() {
    let f = |x: Option<u8>| -> Option<u8> { Some(x? + 1) };
    let _ = f(Some(1));
}

#[test]
#[ignore = "needs a database"]
fn test_ignored_with_reason() {
    panic!("boom");
}

#[test]
#[ignore]
fn test_ignored_plain() {
    unreachable!();
}

#[test]
#[should_panic(expected = "overflow")]
fn test_should_panic_expected() {
    let _ = helper_not_a_test();
}

#[test]
#[should_panic = "bare message"]
fn test_should_panic_bare() {}

#[test]
#[should_panic]
fn test_should_panic_plain() {
    todo!()
}

#[test]
#[cfg_attr(not(feature = "slow"), ignore = "slow test")]
fn test_conditionally_ignored() {
    assert!(matches!(Some(1), Some(_)));
}

#[cfg(all(test, feature = "x"))]
#[test]
fn test_cfg_all() {
    debug_assert_ne!(1, 2);
}

#[test_case(1, 2 ; "small")]
#[test_case(3, 4 ; "large")]
fn test_parametrized(a: u8, b: u8) {
    assert!(a < b);
}

#[test]
fn test_custom_helper() {
    assert_snapshot!(helper_not_a_test());
    check_invariants(1);
}

#[test]
fn test_expect_helper() {
    expect_ok(helper_not_a_test());
}

#[test]
fn test_unimplemented() {
    unimplemented!()
}

#[test]
fn test_returns_err() -> Result<(), String> {
    if helper_not_a_test() == 2 {
        return Err("bad".to_owned());
    }
    Ok(())
}

#[test]
fn r#test_raw_ident() {
    assert!(true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_in_module() {
        assert!(helper_not_a_test() > 0);
    }

    #[cfg(feature = "nested")]
    mod nested {
        #![cfg(unix)]

        #[test]
        fn test_deep() {
            assert_ne!(1, 2);
        }
    }

    fn test_named_but_not_a_test() {
        assert!(true);
    }
}

struct Fixture;

impl Fixture {
    #[test]
    fn not_collected_in_impl() {}
}

fn outer() {
    #[test]
    fn not_collected_in_body() {}
}
