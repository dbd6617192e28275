//! Ingestion: agency submissions → validated, pseudonymised Parquet, with a quarantine and a ledger.
//!
//! This crate owns the path from what evaluation agencies hand over (DESIGN §4: CSV in UTF-8, UTF-8 with BOM or
//! GBK/GB18030, XLSX with title and notes rows, JSON Lines, in `landing/<agency_id>/<YYYY-MM>.<ext>`) to the
//! warehouse files of `docs/warehouse.md`: Hive-partitioned certificate Parquet, rejects, the ledger, the agency
//! registry and the duplicate claims — and likewise training providers' trainee records (DESIGN §16,
//! `landing/training/<provider_id>/<YYYY-MM>.<ext>` → `training/`, `training_rejects/`, `providers/`), read by the
//! same readers, validated by their own rules ([`validate_training_row`]) and recorded in the same ledger (its
//! `input` column tells them apart). [`ingest`] is the one entry point; the CLI's `ingest` command and the
//! nightly rebuild both call it.
//!
//! How a batch runs:
//! 0. **Recover**: whatever an interrupted batch left — temporary files, data files no `loaded` ledger row names —
//!    is removed ([`Layout::clean_leftovers`]); a new warehouse gets an empty ledger before any data file.
//! 1. **Find** the files ([`IngestOptions::paths`]: landing folders, agency folders or files) and sort them in
//!    path order — certificate files (agency folder, then month), then training files (provider, then month).
//! 2. **Read** a window of files in parallel (rayon): the content hash decides whether a file was already loaded
//!    (skipped); polars parses CSV, calamine streams XLSX, serde_json reads JSON Lines; encodings are detected,
//!    header spellings come from `header_aliases.toml`. A file that cannot be read — or whose parser panics — is
//!    recorded as unreadable with a message for the clerk; the other files go on.
//! 3. **Validate** every row against DESIGN §6 in order ([`validate_row`]); each row ends accepted or rejected
//!    with exactly one reason code, so rows read = accepted + rejected for every file.
//! 4. **Commit** the window's files one at a time in path order, while the next window is read and validated:
//!    certificate numbers already in the warehouse or earlier in the batch are `duplicate_cert_no`; a file for an
//!    agency and month already loaded replaces that slice (its numbers are not duplicates of the rows they
//!    replace) and the ledger marks the old file superseded. Parquet files are written to a temporary name and
//!    renamed, never changed in place.
//! 5. **Finish**: the written files are fsynced, then the ledger is rewritten atomically — the commit point: a
//!    file's rows count once the ledger names it `loaded` — and only then are superseded files removed; then the
//!    registry is rewritten and duplicate claims brought up to date: only the claim groups whose rows the batch
//!    added or removed are recomputed (see `claims.rs` and `index/certificate_keys.bin`). A crash at any step leaves the
//!    warehouse as the last saved ledger describes it (plus leftovers step 0 clears), so nothing is ingested twice
//!    or lost.
//!
//! Privacy (DESIGN §7): the raw ID number is only ever held in memory to derive `person_key` (HMAC-SHA256 under
//! the caller's key), birth date, gender and 户籍 region; names are never kept; reject reports mask IDs.
//!
//! Training files follow the same steps; at commit, `duplicate_enrolment` and `voucher_reused` are judged against
//! the warehouse's enrolments and vouchers, held as fingerprints the way certificate numbers are (`training/keys.rs`).
//!
//! Memory is bounded by two windows of files (eight per thread each) plus, per certificate already in the warehouse, its
//! fingerprints (24 bytes, kept once per file and once in a hash set of certificate numbers) — not by the size of
//! the whole input, and not by the rows' text.
//!
//! The HR office's registers of DESIGN §18 — `revocations.csv|.xlsx` and `renewals.csv|.xlsx` at the top of a landing
//! folder — are read after the submissions, each as the whole register (`revocations.rs`), into the same ledger.
//!
//! This crate knows nothing of the query engine: Parquet is the only contract, and column names come from
//! `skillhouse_model::schema`.

mod batch;
mod budget;
mod certificates;
mod claims;
mod commit;
mod decode;
mod error;
mod field;
mod landing;
mod ledger;
mod pending;
mod prepare;
mod prints;
mod read;
mod reference;
mod report;
mod reported;
mod revocations;
mod seen;
mod training;
mod validate;
mod warehouse;

pub use batch::{IngestOptions, READER_THREAD_PREFIX, ingest};
pub use claims::KeysMemory;
pub use decode::{DecodeError, TextEncoding, decode_text};
pub use error::{IngestError, Result};
pub use field::{FIELD_COUNT, Field, HeaderAliases, HeaderMap, Input};
pub use ledger::{Ledger, LedgerEntry, LedgerStatus};
pub use read::{Format, RawTable, ReadError, RowCells, XlsxLimits, is_filler_row};
pub use reference::{Agency, Occupations, Provider, Providers, Registry};
pub use report::{BatchReport, FileOutcome, FileReport, IgnoredEntry, InputTotals, NoProgress, Progress};
pub use training::{TrainingContext, TrainingOutcome, TrainingRejection, TrainingRow, validate_training_row};
pub use validate::{AcceptedRow, Rejection, RowContext, RowOutcome, masked_row_json, validate_row};
pub use warehouse::{Layout, SliceName, read_parquet};

/// Reads one submitted file's bytes (a file of `input`) into a [`RawTable`] without validating it — for tools and
/// tests.
pub fn read_file(
    bytes: &[u8],
    format: Format,
    input: Input,
    aliases: &HeaderAliases,
    limits: &XlsxLimits,
) -> std::result::Result<RawTable, ReadError> {
    match format {
        Format::Csv => read::read_csv(bytes, input, aliases),
        Format::Xlsx => read::read_xlsx(bytes, input, aliases, limits),
        Format::Jsonl => read::read_jsonl(bytes, input, aliases),
    }
}
