fn ok() {}
const S: &str = "café";
