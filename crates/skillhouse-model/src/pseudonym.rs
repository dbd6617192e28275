//! Keyed pseudonymisation of ID numbers (DESIGN §7).
//!
//! `person_key = hex(HMAC-SHA256(key, normalised 18-character ID))`. An unkeyed hash would not do: 18-digit IDs
//! with known birth dates and regions are few enough to enumerate. The key lives outside the warehouse.

use crate::id_number::IdNumber;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// Minimum key length in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// Why key material was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key file does not hold hexadecimal text.
    #[error("the pseudonymisation key must be hexadecimal text (e.g. 64 hex characters); found a non-hex character")]
    NotHex,
    /// Too short to be a secret.
    #[error("the pseudonymisation key has {found} bytes; at least {MIN_KEY_BYTES} are required")]
    TooShort {
        /// Bytes found.
        found: usize,
    },
}

/// The secret key of the pseudonymisation. `Debug` never shows it.
#[derive(Clone)]
pub struct PseudonymKey {
    mac: Hmac<Sha256>,
}

impl PseudonymKey {
    /// Parses a key file's contents: hexadecimal text of at least 32 bytes; surrounding whitespace is ignored.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::NotHex)?;
        Self::from_bytes(&bytes)
    }

    /// Builds a key from raw bytes (at least 32).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort { found: bytes.len() });
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(bytes).map_err(|_| KeyError::TooShort { found: 0 })?;
        Ok(Self { mac })
    }

    /// The pseudonymous person key: 64 lower-case hex characters. The same person under any spelling of their ID
    /// (lower-case x, full-width digits, 15-digit legacy) gets the same key, because [`IdNumber`] is normalised.
    pub fn person_key(&self, id: &IdNumber) -> String {
        let mut mac = self.mac.clone();
        mac.update(id.expose().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn same_person_same_key_under_every_spelling() {
        let key = PseudonymKey::from_hex(KEY_HEX).expect("key");
        let canonical = key.person_key(&IdNumber::parse("11010519491231002X").expect("id"));
        for spelling in ["11010519491231002x", "110105491231002", " １１０１０５１９４９１２３１００２Ｘ "]
        {
            let id = IdNumber::parse(spelling).expect("id");
            assert_eq!(key.person_key(&id), canonical, "{spelling:?}");
        }
        assert_eq!(canonical.len(), 64);
        assert!(!canonical.contains("19491231"));
    }

    #[test]
    fn matches_rfc_hmac_and_depends_on_key() {
        // Independently computed: python3 -c "import hmac,hashlib;print(hmac.new(bytes(range(32)),
        //   b'11010519491231002X', hashlib.sha256).hexdigest())"
        let key = PseudonymKey::from_hex(KEY_HEX).expect("key");
        let id = IdNumber::parse("11010519491231002X").expect("id");
        assert_eq!(key.person_key(&id), EXPECTED_PERSON_KEY);
        let other = PseudonymKey::from_bytes(&[7u8; 32]).expect("key");
        assert_ne!(other.person_key(&id), EXPECTED_PERSON_KEY);
    }

    const EXPECTED_PERSON_KEY: &str = "a66755453b106dcea0cfa264214ae59ff1e8b067f3e5f3aa8085e1d8757880eb";

    #[test]
    fn refuses_weak_or_malformed_keys() {
        assert_eq!(PseudonymKey::from_hex("abcd").map(|_| ()), Err(KeyError::TooShort { found: 2 }));
        assert_eq!(PseudonymKey::from_hex("zz").map(|_| ()), Err(KeyError::NotHex));
        assert_eq!(format!("{:?}", PseudonymKey::from_hex(KEY_HEX).expect("key")), "PseudonymKey(<secret>)");
    }
}
