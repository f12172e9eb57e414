//! Orchestration domain: events, projections (compactor), run identity and controllers.

pub mod compactor;
pub mod controllers;
pub mod events;
pub mod run_key;

/// Hashes bytes with 64-bit FNV-1a.
///
/// Used wherever a short, stable, dependency-free digest is needed (idempotency keys,
/// reservation paths, request fingerprints). Not a cryptographic hash.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET_BASIS;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// Formats [`fnv1a_64`] of `text` as 16 lowercase hex digits.
pub fn fnv1a_hex(text: &str) -> String {
    format!("{:016x}", fnv1a_64(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_fnv1a_known_vectors() {
        // Reference values from the FNV specification test suite.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_hex("foobar"), "85944171f73967e8");
    }
}
