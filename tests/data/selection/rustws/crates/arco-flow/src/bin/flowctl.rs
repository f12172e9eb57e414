fn main() {
    println!("{}", arco_flow::add(1, 2));
}

#[test]
fn test_flowctl_runs() {
    assert_eq!(arco_flow::add(1, 2), 3);
}
