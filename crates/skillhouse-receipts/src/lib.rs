//! Receipts (回执): what happened to a submitted file, told back to the clerk who submitted it, in Chinese.
//!
//! *What it owns.* One receipt per submission — an evaluation agency's certificate file for a month, or a training
//! provider's trainee file for a month (DESIGN §4, §16), as the ledger records it: the files submitted for that
//! month and what became of each (loaded, replaced by a correction, unreadable and why), rows read, accepted and
//! rejected, the rejected rows counted by reason with each reason explained in words a clerk acts on
//! (`datasets/reference/reject_reasons.csv`, through [`skillhouse_model::reason_text`]), and the rejected rows
//! themselves — their row number in the clerk's own file, the reason, and the row as typed with the ID number masked
//! (first 6 and last 1 shown, DESIGN §7; ingestion stores no other form of it). [`Receipt::csv`] and
//! [`Receipt::xlsx`] render it; the CLI (`skillhouse receipts`) writes them to files, the server answers them at
//! `/api/v1/submissions/{agency_id}/{period}/receipt.csv|.xlsx` to that agency's own token.
//!
//! *Where from.* A folder with the warehouse's layout (`docs/warehouse.md`): in practice a snapshot's own folder
//! ([`skillhouse_query::SnapshotFolder::base_dir`]), which holds the ledger and the reject files it was built with,
//! so a receipt, the figures and the API all tell the same state. Plain Parquet reads of the ledger and one reject
//! file ([`read`]), no SQL.
//!
//! *What it must not do.* Emit a raw ID number: cells are as ingestion masked them, and every text that leaves
//! this crate is scanned once more for anything that is a valid ID number ([`mask_ids`]). Names are never stored.

mod error;
mod labels;
mod read;
mod render;

pub use error::{ReceiptError, Result};
pub use labels::{field_label, field_position};
pub use read::{LedgerFile, RejectedRow, read_ledger, read_rejected_rows};
pub use render::{Cell, Section, status_zh};

use skillhouse_model::{IdNumber, RejectReason, TrainingRejectReason, mask_id_text, normalize_key, reason_text};
use std::borrow::Cow;
use std::path::Path;

/// Which input contract a submission follows (the ledger's `input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input {
    /// An evaluation agency's certificate file, `landing/<agency_id>/<YYYY-MM>.<ext>`.
    Certificates,
    /// A training provider's trainee file, `landing/training/<provider_id>/<YYYY-MM>.<ext>`.
    Training,
}

impl Input {
    /// The ledger's code: `certificates` or `training`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Certificates => "certificates",
            Self::Training => "training",
        }
    }

    /// What the submitter is called on a receipt.
    pub const fn submitter_zh(self) -> &'static str {
        match self {
            Self::Certificates => "评价机构代码",
            Self::Training => "培训机构代码",
        }
    }

    /// The receipt's title.
    pub const fn title_zh(self) -> &'static str {
        match self {
            Self::Certificates => "证书数据报送回执",
            Self::Training => "培训数据报送回执",
        }
    }
}

/// One submission: an input, a submitter (agency or provider) and a month.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubmissionKey {
    /// Certificates or training.
    pub input: Input,
    /// The agency (for training, the provider).
    pub agency_id: String,
    /// `YYYY-MM`.
    pub period: String,
}

impl SubmissionKey {
    /// Whether the period is a month (`YYYY-MM`): a file whose name is not a month has no receipt of its own (it is
    /// in the ledger, unreadable, and the rebuild report names it).
    pub fn has_month(&self) -> bool {
        let bytes = self.period.as_bytes();
        bytes.len() == 7
            && bytes[4] == b'-'
            && bytes.iter().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit())
            && matches!(
                &self.period[5..],
                "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
            )
    }

    /// `<agency_id>/<YYYY-MM>` (`training/<provider_id>/<YYYY-MM>`), as in the landing folder.
    pub fn slice(&self) -> String {
        match self.input {
            Input::Certificates => format!("{}/{}", self.agency_id, self.period),
            Input::Training => format!("training/{}/{}", self.agency_id, self.period),
        }
    }
}

/// Rejected rows of one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonCount {
    /// The stable reason code.
    pub code: String,
    /// Rows rejected for it.
    pub rows: i64,
    /// What is wrong and what to do (Chinese).
    pub zh: String,
    /// The same in English.
    pub en: String,
}

/// The receipt of one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Which submission.
    pub key: SubmissionKey,
    /// The snapshot whose ledger and reject files it was read from.
    pub snapshot_id: String,
    /// Every file submitted for the month, in submission order.
    pub files: Vec<LedgerFile>,
    /// The rejected rows of the file that counts now ([`Receipt::current`]), by row number.
    pub rows: Vec<RejectedRow>,
}

impl Receipt {
    /// Reads the receipt of `key` from a folder with the warehouse's layout, given its ledger (read once with
    /// [`read_ledger`] for many receipts); `None` when the ledger has no file of that submission.
    pub fn read(base: &Path, snapshot_id: &str, ledger: &[LedgerFile], key: &SubmissionKey) -> Result<Option<Self>> {
        let files: Vec<LedgerFile> = ledger.iter().filter(|f| f.key() == *key).cloned().collect();
        if files.is_empty() {
            return Ok(None);
        }
        let mut receipt = Self { key: key.clone(), snapshot_id: snapshot_id.to_string(), files, rows: Vec::new() };
        if let Some(current) = receipt.current() {
            let mut rows = read_rejected_rows(base, current)?;
            for row in &mut rows {
                row.detail = mask_ids(&row.detail).into_owned();
                for value in row.cells.values_mut() {
                    *value = mask_cell(value).into_owned();
                }
            }
            receipt.rows = rows;
        }
        Ok(Some(receipt))
    }

    /// The file whose rows count now: the month's `loaded` file (a correction replaces the earlier one), if any.
    pub fn current(&self) -> Option<&LedgerFile> {
        self.files.iter().rev().find(|f| f.status == "loaded")
    }

    /// The file submitted last for the month.
    pub fn latest(&self) -> Option<&LedgerFile> {
        self.files.last()
    }

    /// Rejected rows of the current file per reason, in the order the rules are checked, each explained.
    pub fn reasons(&self) -> Vec<ReasonCount> {
        let Some(current) = self.current() else { return Vec::new() };
        let order = |code: &str| match self.key.input {
            Input::Certificates => RejectReason::from_code(code).map(|r| r as usize),
            Input::Training => TrainingRejectReason::from_code(code).map(|r| r as usize),
        };
        let mut reasons: Vec<ReasonCount> = current
            .rejects_by_reason
            .iter()
            .filter(|(_, rows)| **rows > 0)
            .map(|(code, rows)| {
                let text = reason_text(self.key.input.code(), code);
                ReasonCount {
                    code: code.clone(),
                    rows: *rows,
                    zh: text.map(|t| t.zh.clone()).unwrap_or_default(),
                    en: text.map(|t| t.en.clone()).unwrap_or_default(),
                }
            })
            .collect();
        reasons.sort_by_key(|r| (order(&r.code).unwrap_or(usize::MAX), r.code.clone()));
        reasons
    }

    /// The fields of the rejected rows' cells, in the alias file's order: the columns of the rows table.
    pub fn row_fields(&self) -> Vec<String> {
        let mut fields: Vec<String> = Vec::new();
        for row in &self.rows {
            for field in row.cells.keys() {
                if !fields.contains(field) {
                    fields.push(field.clone());
                }
            }
        }
        fields.sort_by_key(|f| (field_position(f), f.clone()));
        fields
    }

    /// What ingestion found in a row, without the explanation the receipt gives in its own column: the `detail`
    /// less its leading `zh / en` sentence (kept whole when it does not start with it).
    pub fn finding(&self, row: &RejectedRow) -> String {
        let explanation = reason_text(self.key.input.code(), &row.reason).map(|t| t.both.as_str());
        let rest = explanation.and_then(|e| row.detail.strip_prefix(e)).map(str::trim);
        match rest {
            Some(rest) => rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(rest).to_string(),
            None => row.detail.clone(),
        }
    }
}

/// Every submission of a ledger with a month, filtered by submitter and month, sorted (certificates first, then by
/// submitter and month).
pub fn submissions(ledger: &[LedgerFile], agency_id: Option<&str>, period: Option<&str>) -> Vec<SubmissionKey> {
    let mut keys: Vec<SubmissionKey> = ledger
        .iter()
        .map(LedgerFile::key)
        .filter(|k| k.has_month())
        .filter(|k| agency_id.is_none_or(|a| k.agency_id == a) && period.is_none_or(|p| k.period == p))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// `text` with every run of characters that is a valid ID number (18 characters, or a 15-digit legacy number)
/// masked, first 6 and last 1 shown. Ingestion already masks what it stores; this is the last look before a text
/// leaves for an agency.
pub fn mask_ids(text: &str) -> Cow<'_, str> {
    let is_id_char = |c: char| c.is_ascii_digit() || c == 'X' || c == 'x';
    let mut out = String::new();
    let mut last = 0;
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (is_id_char(c) && i < text.len(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let run = &text[s..i];
                if matches!(run.len(), 15 | 18) && IdNumber::parse(run).is_ok() {
                    out.push_str(&text[last..s]);
                    out.push_str(&mask_id_text(run));
                    last = i;
                }
                start = None;
            }
            _ => {}
        }
    }
    if last == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// A cell masked whole when it is an ID number however typed (full-width digits, spaces), else [`mask_ids`].
fn mask_cell(cell: &str) -> Cow<'_, str> {
    if normalize_key(cell).is_ok_and(|key| IdNumber::parse(&key).is_ok()) {
        return Cow::Owned(mask_id_text(cell));
    }
    mask_ids(cell)
}

#[cfg(test)]
mod tests;
