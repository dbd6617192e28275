//! What a published indicator value discloses about persons: the `-- disclosure:` line of an indicator's header,
//! carried into the `indicators` catalogue, from which the server's small-cell suppression (DESIGN §7) takes the
//! quantities each value is made of. It lives with the indicator's SQL so that a new indicator cannot be published
//! without saying what it counts: the build refuses a header without it.
//!
//! The forms:
//! - `count <quantity>` — the value is a count of persons or certificates (`count new_skilled`);
//! - `share <numerator> / <denominator>` — a share of two counted quantities; indicators that publish the same
//!   quantity share its cells, so naming the same quantity as another indicator is what lets suppression withhold a
//!   cell everywhere it appears (`share high_skilled_persons / skilled_persons`);
//! - `share <numerator> / public` — a share over a published reference figure (employment), itself not protected;
//! - `public` — a count of something that describes no person (agencies on a public registry); never suppressed.
//!
//! Quantity names are lower-case ASCII words with `_` and digits.

use crate::error::{QueryError, Result};
use std::fmt;

/// The keyword of the denominator that is a public reference figure.
const PUBLIC: &str = "public";

/// How an indicator's values disclose counts of persons or certificates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Disclosure {
    /// The value is a count of this quantity.
    Count {
        /// The quantity counted (cells are keyed by it).
        quantity: String,
    },
    /// The value is numerator ÷ denominator.
    Share {
        /// Quantity counted by the numerator.
        numerator: String,
        /// Quantity counted by the denominator, or `None` when it is a public reference figure.
        denominator: Option<String>,
    },
    /// A count of something that is not personal data; never suppressed.
    Public,
}

impl Disclosure {
    /// Parses the value of a `-- disclosure:` line. `file` and `line` say where it came from, for the error.
    pub fn parse(text: &str, file: &str, line: usize) -> Result<Self> {
        let refuse = |message: String| QueryError::Header { file: file.to_string(), line, message };
        let words: Vec<&str> = text.split_whitespace().collect();
        let disclosure = match words.as_slice() {
            [PUBLIC] => Self::Public,
            ["count", quantity] => Self::Count { quantity: quantity_name(quantity).map_err(refuse)? },
            ["share", numerator, "/", denominator] => Self::Share {
                numerator: quantity_name(numerator).map_err(refuse)?,
                denominator: match *denominator {
                    PUBLIC => None,
                    other => Some(quantity_name(other).map_err(refuse)?),
                },
            },
            _ => {
                return Err(refuse(format!(
                    "`-- disclosure: {text}` is not `count <quantity>`, `share <numerator> / <denominator>` \
                     (`public` for a published denominator) or `public`"
                )));
            }
        };
        Ok(disclosure)
    }

    /// Whether values of this disclosure are shares (they carry a numerator and a denominator).
    pub fn is_share(&self) -> bool {
        matches!(self, Self::Share { .. })
    }
}

/// A quantity name, checked: suppression keys cells by it, so a typo would silently stop two indicators sharing them.
fn quantity_name(word: &str) -> std::result::Result<String, String> {
    let valid = word != PUBLIC
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(word.to_string())
    } else {
        Err(format!("`{word}` is not a quantity name (lower-case letters, digits and `_`)"))
    }
}

impl fmt::Display for Disclosure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count { quantity } => write!(f, "count {quantity}"),
            Self::Share { numerator, denominator } => {
                write!(f, "share {numerator} / {}", denominator.as_deref().unwrap_or(PUBLIC))
            }
            Self::Public => f.write_str(PUBLIC),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_parses_and_prints_back() {
        for text in [
            "count new_skilled",
            "share high_skilled_persons / skilled_persons",
            "share skilled_persons / public",
            "public",
        ] {
            let parsed = Disclosure::parse(text, "indicators/x.sql", 3).expect("valid");
            assert_eq!(parsed.to_string(), text);
        }
        assert_eq!(
            Disclosure::parse("share a / public", "f", 1).expect("valid"),
            Disclosure::Share { numerator: "a".into(), denominator: None }
        );
        assert!(Disclosure::parse("share a / b", "f", 1).expect("valid").is_share());
    }

    #[test]
    fn malformed_lines_are_refused_with_their_place() {
        for text in ["", "count", "count A", "share a b", "share a / ", "sum a", "count public", "share 1x / b"] {
            let error = Disclosure::parse(text, "indicators/x.sql", 7).expect_err(text);
            assert!(
                matches!(&error, QueryError::Header { file, line: 7, .. } if file == "indicators/x.sql"),
                "{error}"
            );
        }
    }
}
