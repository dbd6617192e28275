//! A certificate row's fingerprints: its number's (128 bits) and its claim group's (64 bits), and the 24 bytes
//! the keys file and the spill hold them in.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// A 128-bit fingerprint of a certificate number: two SipHash passes with different salts.
pub(crate) fn cert_fingerprint(cert_no: &str) -> u128 {
    let half = |salt: u8| {
        let mut hasher = DefaultHasher::new();
        salt.hash(&mut hasher);
        cert_no.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0x5a)) << 64) | u128::from(half(0xa5))
}

/// A 64-bit fingerprint of a claim group (never 0, which marks a row outside every group).
pub(crate) fn group_fingerprint(person_key: &str, occupation_code: &str, level: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    (person_key, occupation_code, level).hash(&mut hasher);
    hasher.finish().max(1)
}

/// One certificate row's fingerprints: 24 bytes, as the keys file and the spill hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyRow {
    /// The certificate number's fingerprint in two halves (low, high): a `u128` field is 16-byte aligned and would
    /// pad the row to 32 bytes.
    cert: [u64; 2],
    /// 0 when the row takes no part in claims (no occupation or no level).
    pub(crate) group: u64,
}

impl KeyRow {
    pub(crate) fn new(cert: u128, group: u64) -> Self {
        Self { cert: [cert as u64, (cert >> 64) as u64], group }
    }

    /// The certificate number's fingerprint.
    pub(crate) fn cert(&self) -> u128 {
        u128::from(self.cert[0]) | (u128::from(self.cert[1]) << 64)
    }

    /// The 24 bytes stored: the certificate number's fingerprint, then the group's, little-endian.
    pub(crate) fn to_bytes(self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..16].copy_from_slice(&self.cert().to_le_bytes());
        out[16..].copy_from_slice(&self.group.to_le_bytes());
        out
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Self {
        Self::new(
            u128::from_le_bytes(bytes[..16].try_into().unwrap_or_default()),
            u64::from_le_bytes(bytes[16..24].try_into().unwrap_or_default()),
        )
    }

    /// The fingerprints of a certificate as stored: its number, and its claim group (person, occupation, level)
    /// when it has an occupation and a level.
    pub(crate) fn of(cert_no: &str, person_key: &str, occupation: Option<&str>, level: Option<&str>) -> Self {
        let group = match (occupation, level) {
            (Some(occupation), Some(level)) => group_fingerprint(person_key, occupation, level),
            _ => 0,
        };
        Self::new(cert_fingerprint(cert_no), group)
    }
}
