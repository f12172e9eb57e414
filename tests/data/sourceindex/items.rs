#![allow(dead_code)]

use std::fmt;
use std::{collections::HashMap, sync::Arc};
extern crate alloc;

pub mod declared;
#[cfg(feature = "extra")]
#[path = "elsewhere/extra_impl.rs"]
mod extra;

/// Result of a reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationResult {
    /// Newly reserved.
    Reserved,
    /// Already there.
    AlreadyExists { run_id: String },
    FingerprintMismatch(String, u64),
}

pub struct Unit;
pub struct Tuple(pub u8, pub(crate) String);
pub(crate) struct Generic<T: Clone, const N: usize>
where
    T: Default,
{
    items: [T; N],
}

pub union Bits {
    int: u32,
    float: f32,
}

pub trait Store: Send + Sync {
    const NAME: &'static str;
    type Key;
    fn get(&self, key: &Self::Key) -> Option<String>;
    fn put(&mut self, key: Self::Key, value: String) {
        let _ = (key, value);
    }
}

impl ReservationResult {
    pub const fn is_new(&self) -> bool {
        matches!(self, Self::Reserved)
    }

    pub(crate) async fn wait(&self) {}

    pub unsafe fn raw(&self) -> *const Self {
        self
    }
}

impl fmt::Display for ReservationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl<T: Clone + Default, const N: usize> Default for Generic<T, N>
where
    T: fmt::Debug,
{
    fn default() -> Self {
        todo!()
    }
}

unsafe impl Send for Bits {}
impl !Sync for Unit {}
impl<'a> From<&'a str> for Tuple {
    fn from(value: &'a str) -> Self {
        Tuple(0, value.to_owned())
    }
}

pub static GLOBAL: Arc<u8> = todo_static();
static mut COUNTER: u32 = 0;
pub const LIMIT: usize = { 1 + 2 };
const _: () = {
    fn hidden_in_const_block() {}
};
pub type Map = HashMap<String, [u8; 4]>;

pub const unsafe extern "C" fn exported(x: u32) -> u32 {
    x
}

extern "C" {
    fn abs(input: i32) -> i32;
    static errno: i32;
}

pub mod inline {
    pub mod deeper {
        pub fn helper() -> u8 {
            1
        }
    }

    pub struct Inner;

    impl Inner {
        pub fn new() -> Self {
            Inner
        }
    }
}

fn todo_static() -> Arc<u8> {
    Arc::new(0)
}
