//! Crate-level docs mention fn not_an_item() {}
/* block comment with fn fake_in_comment() {}
   /* nested: still a comment, fn fake_nested() {} */
   still inside the outer comment: fn fake_outer() {}
*/

const RAW: &str = r#"fn fake_in_raw() { "quoted" }"#;
const RAW2: &str = r##"a "# still raw fn fake_raw2() {} "##;
const BYTES: &[u8] = b"fn fake_bytes() {\"}";
const RAW_BYTES: &[u8] = br#"}}}"#;
const C_STR: &core::ffi::CStr = c"fn fake_c() {}";
const ESCAPED: &str = "a \" fn fake_escaped() {} \\";
const MULTILINE: &str = "first
fn fake_multiline() {}
last";
const BRACE: char = '{';
const QUOTE: char = '"';
const TICK: char = '\'';
const NEWLINE: char = '\n';
const UNICODE: char = '\u{1F600}';
const BYTE: u8 = b'}';

pub struct Holder<'a, 'b: 'a> {
    name: &'a str,
    other: &'b str,
}

impl<'a, 'b: 'a> Holder<'a, 'b> {
    pub fn name(&self) -> &'a str {
        let c = 'x';
        let s = '{';
        'outer: loop {
            break 'outer;
        }
        if c == s { "}" } else { self.name }
    }

    pub fn after_lifetimes(&'static self) {}
}

fn r#type() -> u8 {
    let r#match = 1;
    r#match
}

struct r#struct;

macro_rules! make_fn {
    ($name:ident) => {
        fn $name() {}
        fn fake_in_macro_rules() {}
    };
}

make_fn!(generated);

quote! {
    fn fake_in_quote() {}
    struct FakeStruct;
}

some::path::mac![ fn fake_in_brackets() {} ];

fn uses_macros() {
    let _ = quote! { fn fake_in_body_macro() {} };
    fn nested_helper_not_indexed() {}
    struct NestedNotIndexed;
}

/**
 * Block doc comment: fn fake_block_doc() {}
 */
pub fn after_block_doc() {}

/*** not a doc comment ***/
/**/
//// also not a doc comment
pub fn after_plain_comments() {}

#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[doc = "fn fake_doc_attr() {}"]
pub enum Attributed {
    #[cfg_attr(test, allow(dead_code))]
    First { a: [u8; 2] },
    Second(&'static str, char),
    Third = 3,
}

pub const LAST: &str = "}";
