fn ok() {}
const S: &str = "never closed;
