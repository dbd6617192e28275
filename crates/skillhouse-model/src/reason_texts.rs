//! What each reject reason means, in words a clerk acts on: `datasets/reference/reject_reasons.csv` (`input, code,
//! zh, en`), compiled in. The CSV is the one home of these sentences — the `detail` of every rejected row, the
//! receipts handed back to agencies and providers, and anything else that explains a reason read them from here.
//! (Compiling a file in is not IO: the text is part of the binary, as `occupations.csv` is part of datagen.)

use std::collections::HashMap;
use std::sync::LazyLock;

/// The bundled reference file.
const REJECT_REASONS_CSV: &str = include_str!("../../../datasets/reference/reject_reasons.csv");

/// One reason's explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonText {
    /// Which input's reason: `certificates` or `training` (codes overlap between inputs).
    pub input: String,
    /// The stable reason code.
    pub code: String,
    /// What is wrong and what to do, in Chinese.
    pub zh: String,
    /// The same in English.
    pub en: String,
    /// `zh / en`, the form a rejected row's `detail` starts with.
    pub both: String,
}

static TEXTS: LazyLock<HashMap<(String, String), ReasonText>> = LazyLock::new(|| parse(REJECT_REASONS_CSV));

/// Parses the reference file: a header line, then `input,code,zh,en` per line (the reference folder's format: no
/// field is quoted and no cell holds a comma). Lines that do not have four cells are skipped; the reference test
/// (`tests/it/reference.rs`) proves the bundled file has none and a row for every reason.
fn parse(text: &str) -> HashMap<(String, String), ReasonText> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            let [input, code, zh, en] = cells.as_slice() else { return None };
            let text = ReasonText {
                input: (*input).to_string(),
                code: (*code).to_string(),
                zh: (*zh).to_string(),
                en: (*en).to_string(),
                both: format!("{zh} / {en}"),
            };
            Some(((text.input.clone(), text.code.clone()), text))
        })
        .collect()
}

/// The explanation of reason `code` of `input` (`certificates` or `training`), if the reference has one.
pub fn reason_text(input: &str, code: &str) -> Option<&'static ReasonText> {
    TEXTS.get(&(input.to_string(), code.to_string()))
}

/// Every explanation of the reference file, by input and code.
pub fn reason_texts() -> impl Iterator<Item = &'static ReasonText> {
    TEXTS.values()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_of_both_inputs_is_explained_in_both_languages() {
        for reason in crate::RejectReason::ALL {
            let text = reason_text("certificates", reason.code()).expect("a certificate reason in the reference");
            assert!(!text.zh.is_empty() && !text.en.is_empty(), "{reason}");
            assert!(!text.zh.is_ascii(), "{reason}: zh is Chinese");
            assert_eq!(reason.explanation(), text.both);
        }
        for reason in crate::TrainingRejectReason::ALL {
            let text = reason_text("training", reason.code()).expect("a training reason in the reference");
            assert!(!text.zh.is_ascii(), "{reason}: zh is Chinese");
            assert_eq!(reason.explanation(), text.both);
        }
        // The two inputs explain `missing_field` differently: certificates and training files require other fields.
        assert_ne!(reason_text("certificates", "missing_field"), reason_text("training", "missing_field"));
        assert_eq!(reason_text("certificates", "nope"), None);
    }

    #[test]
    fn lines_without_four_cells_are_skipped() {
        let parsed = parse("input,code,zh,en\ncertificates,a,甲,A\nbroken,line\n");
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[&("certificates".to_string(), "a".to_string())].both, "甲 / A");
    }
}
