//! Which submitted contents a batch has seen before — in earlier batches (from the ledger) or earlier in this one —
//! and so skips.

use crate::ledger::{Ledger, LedgerStatus};
use std::collections::HashSet;

/// Which contents were seen before. Bytes already loaded are skipped wherever they come from; bytes that were
/// unreadable, and withdrawals (whose bytes are typically empty, the same for every agency), are skipped only under
/// the same name, so a clerk can resubmit a misnamed file under its right name. Entries refused without being read
/// (no content hash) are skipped when refused again under the same name for the same reason, so that a link left
/// in the landing folder is recorded once, not every night.
#[derive(Debug, Default)]
pub(crate) struct SeenFiles {
    loaded: HashSet<String>,
    by_name: HashSet<(String, String)>,
    refused: HashSet<(String, String)>,
}

/// The ledger's `format` of a withdrawal (docs/operations.md, "Withdrawing a month").
pub(crate) const WITHDRAWAL_FORMAT: &str = "withdraw";

impl SeenFiles {
    pub(crate) fn from_ledger(ledger: &Ledger) -> Self {
        let mut seen = Self::default();
        for entry in ledger.entries() {
            let by_name = entry.status == LedgerStatus::Unreadable || entry.format == WITHDRAWAL_FORMAT;
            seen.record(&entry.content_hash, &entry.source_file, by_name, entry.message.as_deref());
        }
        seen
    }

    pub(crate) fn record(&mut self, content_hash: &str, source_file: &str, by_name: bool, message: Option<&str>) {
        if content_hash.is_empty() {
            if let Some(message) = message {
                self.refused.insert((source_file.to_string(), message.to_string()));
            }
            return;
        }
        if by_name {
            self.by_name.insert((content_hash.to_string(), source_file.to_string()));
        } else {
            self.loaded.insert(content_hash.to_string());
        }
    }

    pub(crate) fn contains(&self, content_hash: &str, source_file: &str) -> bool {
        !content_hash.is_empty()
            && (self.loaded.contains(content_hash)
                || self.by_name.contains(&(content_hash.to_string(), source_file.to_string())))
    }

    pub(crate) fn refused_before(&self, source_file: &str, message: &str) -> bool {
        self.refused.contains(&(source_file.to_string(), message.to_string()))
    }
}
