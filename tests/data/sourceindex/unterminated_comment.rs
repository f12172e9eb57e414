fn ok() {}
/* opened /* nested */ but never closed
fn fake() {}
