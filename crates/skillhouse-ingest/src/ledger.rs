//! The ledger: one row per submitted file (docs/warehouse.md "ledger columns"), rewritten atomically by every
//! ingest.

use crate::error::{IngestError, Result};
use crate::field::Input;
use crate::warehouse::{Layout, SliceName, i64_values, read_parquet, str_values, write_parquet_atomic};
use chrono::{DateTime, Utc};
use polars::prelude::*;
use std::collections::{BTreeMap, HashSet};

/// Where a submitted file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerStatus {
    /// Its rows are in the warehouse.
    Loaded,
    /// A later file for the same agency and month replaced it.
    Superseded,
    /// It could not be read; `message` says why.
    Unreadable,
}

impl LedgerStatus {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Loaded => "loaded",
            Self::Superseded => "superseded",
            Self::Unreadable => "unreadable",
        }
    }

    /// Parses a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Loaded, Self::Superseded, Self::Unreadable].into_iter().find(|s| s.code() == code)
    }
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Landing-relative path.
    pub source_file: String,
    /// SHA-256 hex of the bytes.
    pub content_hash: String,
    /// Agency (folder).
    pub agency_id: String,
    /// `YYYY-MM` (file name).
    pub period: String,
    /// `csv`, `xlsx`, `jsonl`, or the extension as found.
    pub format: String,
    /// `utf-8`, `utf-8-bom`, `gbk`, `gb18030`, `binary`; empty when never decoded.
    pub encoding: String,
    /// The batch that read it.
    pub batch_id: String,
    /// Status.
    pub status: LedgerStatus,
    /// Rows read (`None` when unreadable).
    pub rows_read: Option<i64>,
    /// Rows accepted.
    pub rows_accepted: Option<i64>,
    /// Rows rejected.
    pub rows_rejected: Option<i64>,
    /// Rejects per reason code.
    pub rejects_by_reason: BTreeMap<String, i64>,
    /// Why unreadable.
    pub message: Option<String>,
    /// content_hash of the correcting file.
    pub superseded_by: Option<String>,
    /// When it was read.
    pub ingested_at: DateTime<Utc>,
    /// How long reading, validating and writing it took.
    pub duration_ms: i64,
    /// Which input the file is: certificates or training. `agency_id` holds a training file's provider.
    pub input: Input,
}

/// Every file ever submitted.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    entries: Vec<LedgerEntry>,
    hashes: HashSet<String>,
}

impl Ledger {
    /// Reads the ledger, or an empty one for a new warehouse.
    pub fn load(layout: &Layout) -> Result<Self> {
        let path = layout.ledger_path();
        if !path.is_file() {
            return Ok(Self::default());
        }
        let frame = read_parquet(&path, None)?;
        let text = |name| str_values(&frame, &path, name);
        let (source_file, content_hash, agency_id, period) =
            (text("source_file")?, text("content_hash")?, text("agency_id")?, text("period")?);
        let (format, encoding, batch_id, status) =
            (text("format")?, text("encoding")?, text("batch_id")?, text("status")?);
        let (by_reason, message, superseded_by) =
            (text("rejects_by_reason")?, text("message")?, text("superseded_by")?);
        // Ledgers written before training existed have no `input` column: every row of theirs is a certificate file.
        let inputs = match frame.column("input") {
            Ok(_) => text("input")?,
            Err(_) => vec![None; frame.height()],
        };
        let int = |name| i64_values(&frame, &path, name);
        let (read, accepted, rejected, at, duration) =
            (int("rows_read")?, int("rows_accepted")?, int("rows_rejected")?, int("ingested_at")?, int("duration_ms")?);
        let mut ledger = Self::default();
        for i in 0..frame.height() {
            let status = status[i].as_deref().and_then(LedgerStatus::from_code).ok_or_else(|| {
                IngestError::Reference { path: path.clone(), row: i + 1, problem: "unknown ledger status".into() }
            })?;
            let input = match inputs[i].as_deref() {
                None => Input::Certificates,
                Some(code) => Input::from_code(code).ok_or_else(|| IngestError::Reference {
                    path: path.clone(),
                    row: i + 1,
                    problem: "unknown ledger input".into(),
                })?,
            };
            ledger.push(LedgerEntry {
                source_file: source_file[i].clone().unwrap_or_default(),
                content_hash: content_hash[i].clone().unwrap_or_default(),
                agency_id: agency_id[i].clone().unwrap_or_default(),
                period: period[i].clone().unwrap_or_default(),
                format: format[i].clone().unwrap_or_default(),
                encoding: encoding[i].clone().unwrap_or_default(),
                batch_id: batch_id[i].clone().unwrap_or_default(),
                status,
                rows_read: read[i],
                rows_accepted: accepted[i],
                rows_rejected: rejected[i],
                rejects_by_reason: by_reason[i]
                    .as_deref()
                    .and_then(|j| serde_json::from_str(j).ok())
                    .unwrap_or_default(),
                message: message[i].clone(),
                superseded_by: superseded_by[i].clone(),
                ingested_at: at[i].and_then(DateTime::from_timestamp_millis).unwrap_or_default(),
                duration_ms: duration[i].unwrap_or_default(),
                input,
            });
        }
        Ok(ledger)
    }

    /// Rewrites the ledger atomically.
    pub fn save(&self, layout: &Layout) -> Result<()> {
        let path = layout.ledger_path();
        let mut frame = self.frame().map_err(|e| IngestError::parquet(&path, e))?;
        skillhouse_model::fault::point("ingest.ledger_before");
        write_parquet_atomic(&path, &mut frame)?;
        skillhouse_model::fault::point("ingest.ledger_saved");
        Ok(())
    }

    fn frame(&self) -> PolarsResult<DataFrame> {
        let e = &self.entries;
        let text = |name: &str, f: &dyn Fn(&LedgerEntry) -> Option<String>| {
            Column::new(name.into(), e.iter().map(f).collect::<Vec<_>>())
        };
        let int = |name: &str, f: &dyn Fn(&LedgerEntry) -> Option<i64>| {
            Column::new(name.into(), e.iter().map(f).collect::<Vec<_>>())
        };
        let columns = vec![
            text("source_file", &|x| Some(x.source_file.clone())),
            text("content_hash", &|x| Some(x.content_hash.clone())),
            text("agency_id", &|x| Some(x.agency_id.clone())),
            text("period", &|x| Some(x.period.clone())),
            text("format", &|x| Some(x.format.clone())),
            text("encoding", &|x| Some(x.encoding.clone())),
            text("batch_id", &|x| Some(x.batch_id.clone())),
            text("status", &|x| Some(x.status.code().to_string())),
            int("rows_read", &|x| x.rows_read),
            int("rows_accepted", &|x| x.rows_accepted),
            int("rows_rejected", &|x| x.rows_rejected),
            text("rejects_by_reason", &|x| serde_json::to_string(&x.rejects_by_reason).ok()),
            text("message", &|x| x.message.clone()),
            text("superseded_by", &|x| x.superseded_by.clone()),
            int("ingested_at", &|x| Some(x.ingested_at.timestamp_millis()))
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))?,
            int("duration_ms", &|x| Some(x.duration_ms)),
            text("input", &|x| Some(x.input.code().to_string())),
        ];
        DataFrame::new(e.len(), columns)
    }

    /// Whether a file with these bytes was submitted before.
    pub fn contains_hash(&self, content_hash: &str) -> bool {
        self.hashes.contains(content_hash)
    }

    /// Appends an entry.
    pub fn push(&mut self, entry: LedgerEntry) {
        self.hashes.insert(entry.content_hash.clone());
        self.entries.push(entry);
    }

    /// Marks every loaded file of the input's slice, other than `by`, superseded by `by`; returns their source
    /// files.
    pub fn supersede(&mut self, input: Input, agency_id: &str, period: &str, by: &str) -> Vec<String> {
        let mut superseded = Vec::new();
        for entry in &mut self.entries {
            if entry.status == LedgerStatus::Loaded
                && entry.input == input
                && entry.agency_id == agency_id
                && entry.period == period
                && entry.content_hash != by
            {
                entry.status = LedgerStatus::Superseded;
                entry.superseded_by = Some(by.to_string());
                superseded.push(entry.source_file.clone());
            }
        }
        superseded
    }

    /// Rows accepted from the files of an input's slice that are loaded now, other than `except` (a content hash):
    /// what a correction of the slice would replace.
    pub fn loaded_rows(&self, input: Input, agency_id: &str, period: &str, except: &str) -> i64 {
        self.entries
            .iter()
            .filter(|e| {
                e.status == LedgerStatus::Loaded
                    && e.input == input
                    && e.agency_id == agency_id
                    && e.period == period
                    && e.content_hash != except
            })
            .map(|e| e.rows_accepted.unwrap_or_default())
            .sum()
    }

    /// Every entry, in submission order.
    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    /// The stems of the data files (`<agency>__<period>__<hash12>`) the `loaded` rows of an input name: the files
    /// that count ([`Layout::clean_leftovers`] removes the others).
    pub fn loaded_stems(&self, input: Input) -> HashSet<String> {
        self.entries
            .iter()
            .filter(|e| e.status == LedgerStatus::Loaded && e.input == input)
            .map(|e| SliceName::stem(&e.agency_id, &e.period, &e.content_hash))
            .collect()
    }
}
