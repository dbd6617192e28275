//! A snapshot's `manifest.json`: what it holds (every file with size, SHA-256 and rows), when and how it was built,
//! the ledger and reject summary at build time, and the release gate's report. Written last by the build: a snapshot
//! folder is complete exactly when its manifest exists.

use crate::error::{QueryError, Result};
use crate::gate_report::GateReport;
use datafusion::arrow::array::{Array, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The `manifest.json` of a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Snapshot id (its folder name under `snapshots/`).
    pub snapshot_id: String,
    /// As-of date of the build (`YYYY-MM-DD`).
    pub as_of: String,
    /// When the build finished (RFC 3339, UTC).
    pub built_at: String,
    /// Version of the indicator definitions.
    pub definition_version: String,
    /// Rows per table: stored tables (`dims/regions`, `models/persons`, `indicator_values`, …) and base tables
    /// (`certificates`, `certificates/issue_year=YYYY`, `rejects`, `duplicate_claims`, `ledger`).
    pub row_counts: BTreeMap<String, u64>,
    /// Every file of the snapshot by snapshot-relative path, with its size and SHA-256: the files the build wrote
    /// and the warehouse files it refers to (hard links, `linked`), so `verify` can prove the snapshot intact.
    pub files: BTreeMap<String, FileEntry>,
    /// What the ledger and the rejects said when the snapshot was built.
    #[serde(default)]
    pub summary: WarehouseSummary,
    /// The release gate's report, when the build ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateReport>,
    /// Digest of the definitions and layout the per-year files were computed with: a later build takes years over
    /// only from a snapshot with the same digest (see `carry.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models_digest: Option<String>,
    /// The first year this build recomputed; the years before it were taken over from the previous snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recomputed_from_year: Option<i32>,
}

/// One file of a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FileEntryRepr")]
pub struct FileEntry {
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Rows, for Parquet files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// A reference to an immutable warehouse file (certificates, rejects, duplicate claims, ledger), not a file
    /// the build wrote.
    #[serde(default)]
    pub linked: bool,
}

/// How a manifest spells a file: the current object, or the SHA-256 alone (snapshots built before sizes, row counts
/// and links were recorded; their size reads as 0, which `verify` takes as unknown).
#[derive(Deserialize)]
#[serde(untagged)]
enum FileEntryRepr {
    Full {
        bytes: u64,
        sha256: String,
        #[serde(default)]
        rows: Option<u64>,
        #[serde(default)]
        linked: bool,
    },
    Sha256(String),
}

impl From<FileEntryRepr> for FileEntry {
    fn from(repr: FileEntryRepr) -> Self {
        match repr {
            FileEntryRepr::Full { bytes, sha256, rows, linked } => Self { bytes, sha256, rows, linked },
            FileEntryRepr::Sha256(sha256) => Self { sha256, ..Self::default() },
        }
    }
}

/// What the ledger the snapshot was built with says, per input: certificates (the top-level fields, as before
/// training existed) and training records (DESIGN §16). Reason codes of the two inputs overlap (`id_format`, …), so
/// they are never added together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WarehouseSummary {
    /// Certificate files.
    #[serde(flatten)]
    pub certificates: InputSummary,
    /// Training files (empty in manifests written before training existed).
    #[serde(default)]
    pub training: InputSummary,
}

/// The ledger's files of one input, and their rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputSummary {
    /// Ledger rows (submitted files) per status: `loaded`, `superseded`, `unreadable`.
    pub files_by_status: BTreeMap<String, u64>,
    /// Rows read from the files that count now (`loaded`).
    pub rows_read: u64,
    /// Rows accepted from them.
    pub rows_accepted: u64,
    /// Rows rejected from them.
    pub rows_rejected: u64,
    /// Rejected rows of those files per reason code.
    pub rejects_by_reason: BTreeMap<String, u64>,
}

/// Name of the manifest file; a snapshot folder is complete when it exists.
pub const MANIFEST_FILE: &str = skillhouse_model::layout::MANIFEST_FILE;

/// Reads `manifest.json` of a snapshot folder.
pub fn read_manifest(snapshot_dir: &Path) -> Result<Manifest> {
    let path = snapshot_dir.join(MANIFEST_FILE);
    let text = std::fs::read(&path).map_err(|e| QueryError::io("reading", &path, e))?;
    serde_json::from_slice(&text).map_err(|source| QueryError::Manifest { path, source })
}

/// The ledger and reject summary of the registered base tables, per input.
pub(crate) async fn warehouse_summary(ctx: &SessionContext) -> Result<WarehouseSummary> {
    Ok(WarehouseSummary {
        certificates: input_summary(ctx, "certificates").await?,
        training: input_summary(ctx, "training").await?,
    })
}

/// The summary of one input's ledger rows (a ledger written before the `input` column holds certificates only).
async fn input_summary(ctx: &SessionContext, input: &'static str) -> Result<InputSummary> {
    let mut summary = InputSummary::default();
    let of_input = format!("COALESCE(input, 'certificates') = '{input}'");
    let by_status = format!(
        "SELECT COALESCE(status, 'unknown') AS status, COUNT(*) AS files, \
        CAST(COALESCE(SUM(rows_read), 0) AS BIGINT) AS rows_read, \
        CAST(COALESCE(SUM(rows_accepted), 0) AS BIGINT) AS rows_accepted, \
        CAST(COALESCE(SUM(rows_rejected), 0) AS BIGINT) AS rows_rejected \
        FROM ledger WHERE {of_input} GROUP BY COALESCE(status, 'unknown')"
    );
    for row in text_and_counts(ctx, &by_status, "summarising the ledger").await? {
        let (status, counts) = row;
        summary.files_by_status.insert(status.clone(), counts[0]);
        if status == "loaded" {
            (summary.rows_read, summary.rows_accepted, summary.rows_rejected) = (counts[1], counts[2], counts[3]);
        }
    }
    // From the ledger's per-file counts, not by reading the reject files: a rejected row is in its file's count by
    // construction (rows read = accepted + rejected, per reason), the files of a superseded or unreadable entry are
    // not in the warehouse, and reading thousands of small reject files took 2 s at 10M rows and 7–14 s at 30M.
    let by_file = format!(
        "SELECT rejects_by_reason, COUNT(*) AS files FROM ledger \
        WHERE status = 'loaded' AND rejects_by_reason IS NOT NULL AND {of_input} GROUP BY rejects_by_reason"
    );
    for (counts, files) in text_and_counts(ctx, &by_file, "summarising the rejects").await? {
        let counts: BTreeMap<String, u64> = serde_json::from_str(&counts).map_err(|e| {
            QueryError::Internal(format!(
                "the ledger's rejects_by_reason {counts:?} is not a JSON object of counts: {e}"
            ))
        })?;
        for (reason, n) in counts {
            *summary.rejects_by_reason.entry(reason).or_default() += n * files[0];
        }
    }
    summary.rejects_by_reason.retain(|_, n| *n > 0);
    Ok(summary)
}

/// Runs a query whose first column is text and the others integer counts.
async fn text_and_counts(ctx: &SessionContext, sql: &str, what: &str) -> Result<Vec<(String, Vec<u64>)>> {
    let batches = ctx
        .sql(sql)
        .await
        .map_err(|e| QueryError::engine(what, e))?
        .collect()
        .await
        .map_err(|e| QueryError::engine(what, e))?;
    let mut out = Vec::new();
    for batch in batches {
        let encode = |source| QueryError::Encode { what: what.to_string(), source };
        let text = cast(batch.column(0), &DataType::Utf8).map_err(encode)?;
        let text = text
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| QueryError::Internal(format!("{what}: text column")))?
            .clone();
        let mut columns = Vec::new();
        for index in 1..batch.num_columns() {
            let column = cast(batch.column(index), &DataType::Int64).map_err(encode)?;
            let column = column
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| QueryError::Internal(format!("{what}: count column")))?
                .clone();
            columns.push(column);
        }
        for row in 0..batch.num_rows() {
            let key = if text.is_null(row) { String::new() } else { text.value(row).to_string() };
            let counts = columns.iter().map(|c| u64::try_from(c.value(row)).unwrap_or_default()).collect();
            out.push((key, counts));
        }
    }
    Ok(out)
}
