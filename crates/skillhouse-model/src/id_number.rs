//! Resident ID numbers (GB 11643-1999): normalisation, validation and what they tell.

use crate::reason::RejectReason;
use crate::text::fold_cell;
use chrono::{Datelike, NaiveDate};
use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Why an ID number was refused. Each variant maps to one reject reason code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Wrong length or characters, or a birth date that cannot exist (`id_format`).
    #[error("ID number format: {problem}")]
    Format {
        /// What is wrong, in words (never echoes the number).
        problem: &'static str,
    },
    /// The check character does not match the first 17 digits (`id_checksum`).
    #[error("ID number check character is {found}, expected {expected}")]
    Checksum {
        /// The check character the first 17 digits call for.
        expected: char,
        /// The check character written.
        found: char,
    },
}

impl IdError {
    /// The reject reason for this error.
    pub const fn reason(&self) -> RejectReason {
        match self {
            Self::Format { .. } => RejectReason::IdFormat,
            Self::Checksum { .. } => RejectReason::IdChecksum,
        }
    }
}

/// Gender encoded in the sequence digits (odd = male).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Gender {
    /// Male (odd sequence).
    #[serde(rename = "M")]
    Male,
    /// Female (even sequence).
    #[serde(rename = "F")]
    Female,
}

impl Gender {
    /// `M` or `F`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Male => "M",
            Self::Female => "F",
        }
    }
}

/// A valid, normalised 18-character resident ID number.
///
/// It is personal data: it must never be written to the warehouse, logs or responses. `Debug` and `Display`
/// therefore show only the masked form; use [`IdNumber::expose`] where the full number is truly needed
/// (pseudonymisation, or writing synthetic test data).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    chars: [u8; 18],
    birth_date: NaiveDate,
}

/// The check character for the first 17 digits of an ID number.
///
/// # Panics
/// Never for ASCII-digit input; non-digits are treated as their byte value minus `'0'` and give a meaningless
/// result, so callers validate first.
pub fn id_check_char(first17: &[u8; 17]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d.wrapping_sub(b'0')) * w).sum();
    char::from(CHECK_CHARS[(sum % 11) as usize])
}

fn parse_birth(digits: &[u8]) -> Option<NaiveDate> {
    let text = std::str::from_utf8(digits).ok()?;
    let year: i32 = text.get(0..4)?.parse().ok()?;
    let month: u32 = text.get(4..6)?.parse().ok()?;
    let day: u32 = text.get(6..8)?.parse().ok()?;
    if !(1800..=2099).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

impl IdNumber {
    /// Normalises and validates an ID number as typed: surrounding spaces and full-width characters are folded,
    /// a lower-case `x` becomes `X`, and a 15-digit legacy number is converted to 18 characters (by inserting `19`
    /// before the birth date and computing the check character).
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let folded = fold_cell(raw);
        let bytes = folded.as_bytes();
        match bytes.len() {
            18 => {
                if !bytes[..17].iter().all(u8::is_ascii_digit) {
                    return Err(IdError::Format { problem: "the first 17 characters must be digits" });
                }
                let last = bytes[17].to_ascii_uppercase();
                if !(last.is_ascii_digit() || last == b'X') {
                    return Err(IdError::Format { problem: "the last character must be a digit or X" });
                }
                let birth_date =
                    parse_birth(&bytes[6..14]).ok_or(IdError::Format { problem: "the birth date does not exist" })?;
                let mut first17 = [0u8; 17];
                first17.copy_from_slice(&bytes[..17]);
                let expected = id_check_char(&first17);
                if char::from(last) != expected {
                    return Err(IdError::Checksum { expected, found: char::from(last) });
                }
                let mut chars = [0u8; 18];
                chars[..17].copy_from_slice(&first17);
                chars[17] = last;
                Ok(Self { chars, birth_date })
            }
            15 => {
                if !bytes.iter().all(u8::is_ascii_digit) {
                    return Err(IdError::Format { problem: "a 15-digit ID must be all digits" });
                }
                let mut first17 = [0u8; 17];
                first17[..6].copy_from_slice(&bytes[..6]);
                first17[6..8].copy_from_slice(b"19");
                first17[8..].copy_from_slice(&bytes[6..]);
                let birth_date =
                    parse_birth(&first17[6..14]).ok_or(IdError::Format { problem: "the birth date does not exist" })?;
                let mut chars = [0u8; 18];
                chars[..17].copy_from_slice(&first17);
                chars[17] = id_check_char(&first17) as u8;
                Ok(Self { chars, birth_date })
            }
            0 => Err(IdError::Format { problem: "empty" }),
            _ => Err(IdError::Format { problem: "an ID number has 18 characters (or 15 digits)" }),
        }
    }

    /// Builds a valid ID from its parts, computing the check character. Used by the synthetic-data generator.
    ///
    /// `region` must be six digits and `sequence` below 1000; its parity gives the gender.
    pub fn from_parts(region: &str, birth_date: NaiveDate, sequence: u16) -> Result<Self, IdError> {
        if region.len() != 6 || !region.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::Format { problem: "region must be six digits" });
        }
        if sequence > 999 || !(1800..=2099).contains(&birth_date.year()) {
            return Err(IdError::Format { problem: "sequence or birth year out of range" });
        }
        let text = format!("{region}{}{sequence:03}", birth_date.format("%Y%m%d"));
        let mut first17 = [0u8; 17];
        first17.copy_from_slice(text.as_bytes());
        let mut chars = [0u8; 18];
        chars[..17].copy_from_slice(&first17);
        chars[17] = id_check_char(&first17) as u8;
        Ok(Self { chars, birth_date })
    }

    /// The full normalised number. Personal data: only for pseudonymisation and synthetic test data.
    pub fn expose(&self) -> &str {
        // The bytes are ASCII digits and X by construction.
        std::str::from_utf8(&self.chars).unwrap_or_default()
    }

    /// The 15-digit legacy spelling, for IDs of people born in the 1900s.
    pub fn legacy15(&self) -> Option<String> {
        if &self.chars[6..8] != b"19" {
            return None;
        }
        let s = self.expose();
        Some(format!("{}{}", &s[..6], &s[8..17]))
    }

    /// Birth date.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Gender from the parity of the sequence digits.
    pub fn gender(&self) -> Gender {
        if (self.chars[16] - b'0') % 2 == 1 { Gender::Male } else { Gender::Female }
    }

    /// The 6-digit 户籍 region of issue (anywhere in China; not the reporting unit).
    pub fn hukou_region(&self) -> &str {
        &self.expose()[..6]
    }

    /// First 6 and last 1 characters shown, the rest masked: safe for reject reports.
    pub fn masked(&self) -> String {
        mask_id_text(self.expose())
    }
}

/// Masks whatever was typed in an ID cell (first 6 and last 1 characters shown), for reject reports of rows whose
/// ID did not even validate. Short values are masked entirely but for their length.
pub fn mask_id_text(raw: &str) -> String {
    let chars: Vec<char> = fold_cell(raw).chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    chars.iter().enumerate().map(|(i, c)| if i < 6 || i == n - 1 { *c } else { '*' }).collect()
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests;
