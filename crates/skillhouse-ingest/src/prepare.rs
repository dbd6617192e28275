//! The parallel phase of a batch: each file is read, decoded and validated on its own (a panic in a parser becomes
//! an unreadable file), with the reference data every file shares.

use crate::budget::WorkbookBudget;
use crate::certificates::{CertificateRead, validate_certificate_table};
use crate::field::{HeaderAliases, Input};
use crate::landing::FileJob;
use crate::read::{Format, RawTable, ReadError, XlsxLimits, declared_uncompressed, read_csv, read_jsonl, read_xlsx};
use crate::reference::{Occupations, Providers, Registry};
use crate::seen::SeenFiles;
use crate::training::{TrainingContext, TrainingRead, validate_training_table};
use crate::validate::RowContext;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use skillhouse_model::PseudonymKey;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// Reference data and settings shared by every file of the batch.
pub(crate) struct Shared<'a> {
    pub(crate) aliases: HeaderAliases,
    pub(crate) occupations: Occupations,
    pub(crate) registry: Registry,
    /// The training providers' registry.
    pub(crate) providers: Providers,
    pub(crate) key: &'a PseudonymKey,
    pub(crate) as_of: NaiveDate,
    pub(crate) limits: XlsxLimits,
    /// Decompressed workbook bytes the readers may hold at once.
    pub(crate) workbooks: WorkbookBudget,
    /// Files of earlier batches.
    pub(crate) earlier: SeenFiles,
}

/// A file after the parallel phase.
pub(crate) enum Prepared {
    Skipped,
    Unreadable {
        encoding: String,
        message: String,
    },
    /// `<YYYY-MM>.withdraw`: the month is withdrawn on purpose.
    Withdrawal,
    Read(Box<CertificateRead>),
    Training(Box<TrainingRead>),
}

pub(crate) struct PreparedFile {
    pub(crate) job: FileJob,
    pub(crate) content_hash: String,
    pub(crate) prepared: Prepared,
    pub(crate) elapsed: Duration,
}

/// Runs `f`, turning a panic into [`ReadError::Panic`] so that one bad file never takes the batch down.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            // Kept in the error for tests only (its Display never shows it): a panic message can quote the text
            // being parsed.
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            Err(ReadError::Panic { message })
        }
    }
}

fn read_table(bytes: &[u8], format: Format, input: Input, shared: &Shared<'_>) -> Result<RawTable, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    match format {
        Format::Csv => read_csv(bytes, input, &shared.aliases),
        Format::Xlsx => read_xlsx(bytes, input, &shared.aliases, &shared.limits),
        Format::Jsonl => read_jsonl(bytes, input, &shared.aliases),
    }
}

/// Reads and validates a file's rows as its input says.
fn read_rows(bytes: &[u8], format: Format, job: &FileJob, shared: &Shared<'_>) -> Result<Prepared, ReadError> {
    let table = read_table(bytes, format, job.input, shared)?;
    match job.input {
        Input::Certificates => {
            let ctx = RowContext {
                folder_agency: &job.agency_id,
                registry: &shared.registry,
                occupations: &shared.occupations,
                as_of: shared.as_of,
                key: shared.key,
            };
            let read = validate_certificate_table(table, &ctx)?;
            skillhouse_model::fault::point("ingest.file_read");
            Ok(Prepared::Read(Box::new(read)))
        }
        Input::Training => {
            let ctx = TrainingContext {
                folder_provider: &job.agency_id,
                providers: &shared.providers,
                occupations: &shared.occupations,
                as_of: shared.as_of,
                key: shared.key,
            };
            let read = validate_training_table(table, &ctx)?;
            skillhouse_model::fault::point("ingest.training_read");
            Ok(Prepared::Training(Box::new(read)))
        }
        // Reported figures are read after the batch, by `crate::reported`; discovery never makes a job of one.
        Input::Reported => Err(ReadError::Refused { problem: "reported figures are not read as submissions" }),
        // Never a job: discovery hands the registers to `revocations.rs`.
        Input::Revocations | Input::Renewals => {
            Err(ReadError::Refused { problem: "a register is not a submission (read by revocations.rs)" })
        }
    }
}

pub(crate) fn prepare(job: FileJob, shared: &Shared<'_>) -> PreparedFile {
    let start = Instant::now();
    if let Some(problem) = job.refused {
        // Never opened: a link out of the landing folder may point at anything, a pipe would block the read.
        let prepared =
            Prepared::Unreadable { encoding: String::new(), message: ReadError::Refused { problem }.to_string() };
        return PreparedFile { job, content_hash: String::new(), prepared, elapsed: start.elapsed() };
    }
    let bytes = match std::fs::read(&job.path) {
        Ok(bytes) => bytes,
        Err(cause) => {
            let message = ReadError::Io { cause }.to_string();
            let prepared = Prepared::Unreadable { encoding: String::new(), message };
            return PreparedFile { job, content_hash: String::new(), prepared, elapsed: start.elapsed() };
        }
    };
    let content_hash = hex::encode(Sha256::digest(&bytes));
    let prepared = if shared.earlier.contains(&content_hash, &job.source_file) {
        Prepared::Skipped
    } else if let Some(problem) = job.name_problem {
        Prepared::Unreadable { encoding: String::new(), message: ReadError::BadName { problem }.to_string() }
    } else if job.withdrawal {
        Prepared::Withdrawal
    } else {
        let format = job.format.unwrap_or(Format::Csv);
        let outcome = guarded(|| {
            // Held while the workbook is decompressed, parsed and validated; the cells kept for the commit are a
            // fraction of what parsing needed.
            let _share = (format == Format::Xlsx)
                .then(|| declared_uncompressed(&bytes))
                .flatten()
                .map(|size| shared.workbooks.take(size));
            read_rows(&bytes, format, &job, shared)
        });
        drop(bytes);
        outcome.unwrap_or_else(|e| Prepared::Unreadable { encoding: String::new(), message: e.to_string() })
    };
    PreparedFile { job, content_hash, prepared, elapsed: start.elapsed() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_unreadable_file() {
        let outcome: Result<(), ReadError> = guarded(|| panic!("boom in a parser"));
        match outcome {
            Err(ReadError::Panic { message }) => assert_eq!(message, "boom in a parser"),
            other => panic!("expected a caught panic, got {other:?}"),
        }
        let formatted: Result<(), ReadError> = guarded(|| panic!("row {}", 7));
        assert!(matches!(formatted, Err(ReadError::Panic { ref message }) if message == "row 7"));
        // A panic message can quote the text being parsed: the ledger's message never carries it.
        let shown = formatted.expect_err("a panic").to_string();
        assert!(!shown.contains("row 7") && shown.contains("internal error"), "{shown}");
    }
}
