//! Cell-level text folding shared by every parser.

use std::borrow::Cow;

/// Trims every kind of surrounding space (ASCII, ideographic U+3000, no-break) and folds full-width ASCII forms
/// (U+FF01–U+FF5E, e.g. `１２３Ｘ`) to their half-width equivalents.
///
/// Borrows when there is nothing to fold, which is the common case.
pub fn fold_cell(raw: &str) -> Cow<'_, str> {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.chars().all(|c| !is_full_width_ascii(c) && c != '\u{3000}') {
        return Cow::Borrowed(trimmed);
    }
    Cow::Owned(
        trimmed
            .chars()
            .map(|c| match c {
                '\u{3000}' => ' ',
                c if is_full_width_ascii(c) => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
                c => c,
            })
            .collect(),
    )
}

fn is_full_width_ascii(c: char) -> bool {
    ('\u{FF01}'..='\u{FF5E}').contains(&c)
}

/// Folds and lower-cases ASCII letters, for case-insensitive matching of codes and headers.
pub(crate) fn fold_lower(raw: &str) -> String {
    fold_cell(raw).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_folds_full_width() {
        assert_eq!(fold_cell("  １２３ｘ\u{3000}"), "123x");
        assert_eq!(fold_cell("\u{feff}证书编号"), "证书编号");
        assert!(matches!(fold_cell("plain"), Cow::Borrowed("plain")));
        assert_eq!(fold_cell("Ａ　Ｂ"), "A B");
    }
}
