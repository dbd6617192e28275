//! Identifiers that are compared as keys — certificate numbers, agency codes, occupation codes (and, when training
//! records arrive, class and voucher numbers): one normal form, so that values a person cannot tell apart are the
//! same key.
//!
//! Copy-paste from web forms, PDFs and right-to-left aware editors brings invisible characters into cells: a
//! zero-width space inside a number, a right-to-left mark in front of it, a NUL padding it. Left in, each makes a
//! distinct key out of one certificate number, and uniqueness checks pass four copies of it. [`normalize_key`] is
//! the one place that decides what a key is; every key column goes through it before any comparison.

use crate::text::fold_cell;
use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;

/// Why a cell cannot be used as an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// A control character (C0/C1: NUL, tab, line feed, escape …) inside the value, not just around it: what the
    /// value was meant to be cannot be told, so it is refused rather than guessed.
    #[error("control character U+{code:04X} at character {position} of the identifier")]
    ControlCharacter {
        /// 1-based character position in the value after surrounding spaces were trimmed.
        position: usize,
        /// The code point.
        code: u32,
    },
}

/// Whether `c` is a Unicode format character (general category Cf): invisible, with no meaning in an identifier
/// (zero-width space and joiners, bidirectional marks and embeddings, soft hyphen, byte-order mark, tags …).
/// The list is Unicode 15's Cf, written out rather than pulled from a property table crate for one category.
pub fn is_format_char(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// The normal form of an identifier cell: surrounding spaces trimmed and full-width forms folded ([`fold_cell`]),
/// Unicode NFKC applied (compatibility forms such as `１`, `①` or `ｍ` become `1`, `1`, `m`), format characters
/// removed wherever they are, control characters removed from both ends (NUL padding, a stray tab or carriage
/// return) and spaces trimmed again. A control character left inside the value is an error: `Y12\u{0}34` is not
/// `Y1234` for certain.
///
/// Letters keep their case (callers that compare case-insensitively upper-case after this); an empty result means
/// the cell held nothing but invisible characters and counts as empty.
///
/// Borrows when the value is already in normal form, which is the common case.
pub fn normalize_key(raw: &str) -> Result<Cow<'_, str>, IdentifierError> {
    let folded = fold_cell(raw);
    let plain = folded.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if plain {
        // ASCII letters, digits, punctuation and inner spaces are NFKC already and hold no format or control
        // character: nothing to do.
        return Ok(folded);
    }
    let composed: String = folded.nfkc().filter(|c| !is_format_char(*c)).collect();
    let stripped = composed.trim_matches(|c: char| c.is_control() || c.is_whitespace());
    if let Some((index, c)) = stripped.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(IdentifierError::ControlCharacter { position: index + 1, code: c as u32 });
    }
    // NFKC can turn compatibility spaces into ASCII ones and full-width forms into ASCII: fold once more so the
    // result is a fixed point.
    Ok(Cow::Owned(fold_cell(stripped).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_variants_of_one_number_are_one_key() {
        let plain = "Y00014100000124300001";
        let variants = [
            format!("{plain}\u{0}"),
            "Y0001410\u{200B}0000124300001".to_string(),
            format!("\u{200F}{plain}"),
            format!("\u{FEFF}{plain}\u{200E}"),
            format!("  {plain}\t"),
            plain.chars().map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c)).collect(),
            format!("\u{202B}{plain}\u{202C}"),
            "Y0001\u{00AD}4100000124300001".to_string(),
        ];
        for v in &variants {
            assert_eq!(normalize_key(v).as_deref(), Ok(plain), "{v:?}");
        }
    }

    #[test]
    fn nfkc_folds_compatibility_forms() {
        assert_eq!(normalize_key("PX-①").as_deref(), Ok("PX-1"));
        assert_eq!(normalize_key("Ａ００１").as_deref(), Ok("A001"));
        assert_eq!(normalize_key("A\u{3000}001").as_deref(), Ok("A 001"));
        assert_eq!(normalize_key("ﬁ-1").as_deref(), Ok("fi-1"));
    }

    #[test]
    fn inner_control_characters_are_refused() {
        assert_eq!(normalize_key("Y12\u{0}34"), Err(IdentifierError::ControlCharacter { position: 4, code: 0 }));
        assert_eq!(normalize_key(" A0\u{1B}01"), Err(IdentifierError::ControlCharacter { position: 3, code: 0x1B }));
        assert!(normalize_key("Y12\n34").is_err());
    }

    #[test]
    fn only_invisible_is_empty_and_plain_values_borrow() {
        assert_eq!(normalize_key("\u{200B}\u{0}\u{200F}").as_deref(), Ok(""));
        assert!(matches!(normalize_key("A001"), Ok(Cow::Borrowed("A001"))));
        assert!(matches!(normalize_key("证书-1"), Ok(Cow::Owned(_))));
        assert_eq!(normalize_key("证书-1").as_deref(), Ok("证书-1"));
    }
}
