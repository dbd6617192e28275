//! Year by year: what a build can take over from the previous snapshot, and the per-year files that make it
//! possible.
//!
//! The compacted certificates (`compact/certificates/<issue year>.parquet`) and every model with a `-- partition_by:
//! year` header (`models/<id>/<year>.parquet`) are stored one file per year. A build recomputes the years from
//! [`CarryPlan::from_year`] on and hard-links the earlier years' files from the previous snapshot, so a night whose
//! drop holds this year's certificates recomputes this year only.
//!
//! Why the earlier years cannot have changed. A year before `from_year`
//! - has the same certificate files as in the previous snapshot (same paths, same SHA-256): `from_year` is at most the
//!   earliest issue year whose partition gained, lost or changed a file;
//! - has the same duplicate-claim flags: within a claim group the certificate with the earliest issue date (then the
//!   smallest cert_no) counts and the others are flagged, so adding or removing a member changes flags only of
//!   members issued on or after it — in its year or later. A claims file that changed while no certificate file did
//!   (a repaired warehouse) is not explained by that, and the whole history is recomputed;
//! - was complete in both builds: `from_year` is at most the as-of year of this build, and at most the previous
//!   build's as-of year unless that build's as-of date was 31 December, so the year had ended by either as-of date
//!   and `issue_date <= $as_of` kept all of it both times.
//!
//! A model's rows for a year may depend on earlier years (`persons`, the stock at each year end): such a model reads
//! its own rows at the end of `from_year - 1` as `<id>_before` ([`STATE_TABLES`]) and continues from them.
//! Everything else — a previous snapshot with another layout, other model definitions, missing or altered files —
//! means a build from nothing (`from_year` = [`FULL_HISTORY`]).

use crate::catalog::SqlCatalog;
use crate::error::{QueryError, Result};
use crate::manifest::{FileEntry, Manifest};
use crate::params::FULL_HISTORY;
use crate::written::{ParquetWriter, WrittenFile};
use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Array, Int64Array, RecordBatch};
use datafusion::arrow::compute::kernels::cmp::eq;
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::prelude::DataFrame;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The header key of a model stored one file per year and recomputed from `$from_year` on.
pub(crate) const PARTITION_KEY: &str = "partition_by";

/// The file a per-year folder holds when it has no rows at all, and the value [`YearFiles::finish`] reports for it.
pub(crate) const NO_ROWS_FILE: &str = "none.parquet";
const NO_ROWS: i64 = i64::MIN;

/// Folder of the compacted certificates, one file per issue year, relative to the snapshot.
pub(crate) const COMPACT_DIR: &str = "compact/certificates";

/// Models that continue from their own rows at the end of `$from_year - 1`.
pub(crate) const STATE_TABLES: [StateTable; 1] =
    [StateTable { model: "persons", table: "persons_before", schema: persons_schema }];

/// A model that continues from its own rows of the year before `$from_year`.
pub(crate) struct StateTable {
    /// The model id.
    pub model: &'static str,
    /// The table the model reads them from.
    pub table: &'static str,
    /// Its columns, for a build from nothing (an empty table).
    pub schema: fn() -> SchemaRef,
}

/// The columns of `persons` (sql/models/persons.sql) as stored.
fn persons_schema() -> SchemaRef {
    let text = |name| Field::new(name, DataType::Utf8, true);
    let flag = |name| Field::new(name, DataType::Boolean, true);
    Arc::new(Schema::new(vec![
        text("person_key"),
        Field::new("year", DataType::Int32, true),
        Field::new("highest_rank", DataType::Int32, true),
        text("highest_level"),
        text("region_code"),
        text("principal_cert_no"),
        flag("skilled"),
        flag("high_skilled"),
        flag("mid_high"),
        Field::new("first_skill_date", DataType::Date32, true),
        Field::new("first_cert_date", DataType::Date32, true),
    ]))
}

/// What a build recomputes and what it takes over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CarryPlan {
    /// The first year recomputed; years before it are linked from `previous`.
    pub from_year: i32,
    /// The previous snapshot folder and its manifest's files, when anything is carried.
    pub previous: Option<(PathBuf, BTreeMap<String, FileEntry>)>,
    /// Why: for the build report.
    pub reason: String,
}

impl CarryPlan {
    fn full(reason: impl Into<String>) -> Self {
        Self { from_year: FULL_HISTORY, previous: None, reason: reason.into() }
    }

    /// The previous snapshot's files under `folder` (`compact/certificates`, `models/persons`) for years before
    /// `from_year`, as `(year, relative path, entry)`.
    pub fn carried(&self, folder: &str) -> Vec<(i32, String, FileEntry)> {
        let Some((_, files)) = &self.previous else { return Vec::new() };
        files
            .range(format!("{folder}/")..)
            .take_while(|(rel, _)| rel.starts_with(&format!("{folder}/")))
            .filter_map(|(rel, entry)| {
                let year: i32 = rel.strip_prefix(&format!("{folder}/"))?.strip_suffix(".parquet")?.parse().ok()?;
                (year < self.from_year).then(|| (year, rel.clone(), entry.clone()))
            })
            .collect()
    }
}

/// A digest of everything the year-partitioned outputs depend on besides the certificates: the definition version,
/// the text of every model, and what decides whether a certificate is in force (`in_force`, see
/// [`in_force_inputs`]). Two builds with different digests share nothing.
pub(crate) fn models_digest(catalog: &SqlCatalog, in_force: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(skillhouse_model::DEFINITION_VERSION.as_bytes());
    hasher.update(COMPACT_DIR.as_bytes());
    for model in &catalog.models {
        hasher.update([0]);
        hasher.update(model.file.as_bytes());
        hasher.update([0]);
        hasher.update(model.sql.as_bytes());
    }
    hasher.update([0]);
    hasher.update(in_force);
    hex::encode(hasher.finalize())
}

/// The bytes that decide whether a certificate is in force (DESIGN §18): the revocation and renewal registers as
/// last loaded and the validity periods of the reference folder. A revocation dated years back changes the stock of
/// years a build would otherwise take over, so a change to any of them recomputes every year; the registers change
/// only when the office sends a new one, so a night without one still takes the years over. (What a term's end
/// date passing by changes is `persons.sql`'s to find: it reads again the persons whose terms end in the years it
/// recomputes.)
pub(crate) fn in_force_inputs(warehouse_dir: &Path, reference_dir: &Path) -> Vec<u8> {
    use skillhouse_model::layout::{RENEWALS_DIR, RENEWALS_FILE, REVOCATIONS_DIR, REVOCATIONS_FILE};
    let mut out = Vec::new();
    for path in [
        warehouse_dir.join(REVOCATIONS_DIR).join(REVOCATIONS_FILE),
        warehouse_dir.join(RENEWALS_DIR).join(RENEWALS_FILE),
        reference_dir.join("validity_periods.csv"),
    ] {
        // A missing file and an empty one are the same: no event, no period.
        let bytes = std::fs::read(&path).unwrap_or_default();
        out.extend_from_slice(&Sha256::digest(&bytes));
    }
    out
}

/// Decides `from_year` for a build whose linked base files are `linked`, against the previous snapshot.
pub(crate) fn plan(
    previous: Option<(&Path, &Manifest)>,
    linked: &BTreeMap<String, FileEntry>,
    as_of: NaiveDate,
    digest: &str,
) -> CarryPlan {
    let Some((dir, manifest)) = previous else { return CarryPlan::full("no previous snapshot") };
    if manifest.models_digest.as_deref() != Some(digest) {
        return CarryPlan::full("the previous snapshot was built with other definitions or another layout");
    }
    let Ok(previous_as_of) = NaiveDate::parse_from_str(&manifest.as_of, "%Y-%m-%d") else {
        return CarryPlan::full("the previous snapshot's as-of date is unreadable");
    };
    let years_of = |files: &BTreeMap<String, FileEntry>| -> BTreeMap<i32, BTreeMap<String, String>> {
        let mut out: BTreeMap<i32, BTreeMap<String, String>> = BTreeMap::new();
        for (rel, entry) in files {
            if let Some(year) = certificate_year(rel) {
                out.entry(year).or_default().insert(rel.clone(), entry.sha256.clone());
            }
        }
        out
    };
    let (before, now) = (years_of(&manifest.files), years_of(linked));
    let changed: BTreeSet<i32> =
        before.keys().chain(now.keys()).copied().filter(|year| before.get(year) != now.get(year)).collect();
    let claims = crate::base::DUPLICATE_CLAIMS_FILE;
    let claims_sha = |files: &BTreeMap<String, FileEntry>| files.get(claims).map(|e| e.sha256.clone());
    if changed.is_empty() && claims_sha(&manifest.files) != claims_sha(linked) {
        return CarryPlan::full("the duplicate claims changed while no certificate file did");
    }
    // The previous build saw its as-of year whole only when its as-of date was 31 December.
    let previous_incomplete = if (previous_as_of.month(), previous_as_of.day()) == (12, 31) {
        previous_as_of.year() + 1
    } else {
        previous_as_of.year()
    };
    let mut from_year = as_of.year().min(previous_incomplete);
    let mut reason = format!("the as-of year {}", as_of.year());
    if let Some(&first) = changed.first()
        && first < from_year
    {
        from_year = first;
        reason = format!("certificate files of {first} changed");
    }
    // Every file taken over must still be there as the previous manifest describes it.
    let mut plan = CarryPlan { from_year, previous: Some((dir.to_path_buf(), manifest.files.clone())), reason };
    let intact = plan.previous.as_ref().is_some_and(|(dir, files)| {
        files
            .iter()
            .filter(|(rel, _)| is_year_file(rel, from_year))
            .all(|(rel, entry)| std::fs::metadata(dir.join(rel)).is_ok_and(|m| m.len() == entry.bytes && m.is_file()))
    });
    if !intact {
        return CarryPlan::full("a file of the previous snapshot is missing or altered");
    }
    if !plan.previous.as_ref().is_some_and(|(_, files)| files.keys().any(|rel| rel.starts_with(COMPACT_DIR))) {
        plan = CarryPlan::full("the previous snapshot has no compacted certificates by year");
    }
    plan
}

/// `certificates/issue_year=2024/…` → 2024.
fn certificate_year(rel: &str) -> Option<i32> {
    let rest = rel.strip_prefix("certificates/")?;
    let (folder, _) = rest.split_once('/')?;
    folder.strip_prefix(&format!("{}=", skillhouse_model::schema::PARTITION_COLUMN))?.parse().ok()
}

/// A per-year file (`compact/certificates/2023.parquet`, `models/persons/2023.parquet`) of a year before `from_year`.
fn is_year_file(rel: &str, from_year: i32) -> bool {
    let Some((folder, name)) = rel.rsplit_once('/') else { return false };
    let per_year = folder == COMPACT_DIR || folder.starts_with("models/");
    per_year && name.strip_suffix(".parquet").and_then(|y| y.parse::<i32>().ok()).is_some_and(|y| y < from_year)
}

/// One Parquet file per value of an integer column, written as a query streams: `<dir>/<value>.parquet`.
pub(crate) struct YearFiles {
    dir: PathBuf,
    column: usize,
    name: String,
    from_year: i32,
    schema: SchemaRef,
    open: BTreeMap<i64, ParquetWriter>,
}

impl YearFiles {
    /// Files under `dir` for the values of `column` in `schema`; a value below `from_year` is an error.
    pub fn new(dir: &Path, schema: SchemaRef, column: &str, from_year: i32) -> Result<Self> {
        let bad = |message: String| QueryError::Encode {
            what: dir.display().to_string(),
            source: ArrowError::SchemaError(message),
        };
        let index =
            schema.index_of(column).map_err(|_| bad(format!("{PARTITION_KEY}: there is no column `{column}`")))?;
        let data_type = schema.field(index).data_type();
        if !data_type.is_integer() {
            return Err(bad(format!("{PARTITION_KEY}: `{column}` is {data_type}, not an integer column")));
        }
        std::fs::create_dir_all(dir).map_err(|e| QueryError::io("creating", dir, e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            column: index,
            name: column.to_string(),
            from_year,
            schema,
            open: BTreeMap::new(),
        })
    }

    /// Appends a batch's rows to the files of their values.
    pub fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let encode = |source| QueryError::Encode { what: self.dir.display().to_string(), source };
        let keys = cast(batch.column(self.column), &DataType::Int64).map_err(encode)?;
        let keys = keys
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| QueryError::Internal("a partition key is not Int64 after a cast".into()))?;
        if keys.null_count() > 0 {
            return Err(QueryError::Encode {
                what: self.dir.display().to_string(),
                source: ArrowError::InvalidArgumentError(format!("{PARTITION_KEY}: `{}` is null in a row", self.name)),
            });
        }
        let distinct: BTreeSet<i64> = keys.values().iter().copied().collect();
        for key in distinct {
            if key < i64::from(self.from_year) {
                return Err(QueryError::Encode {
                    what: self.dir.display().to_string(),
                    source: ArrowError::InvalidArgumentError(format!(
                        "{PARTITION_KEY}: a row of {} {key} is before $from_year ({}); the query must return only \
                         rows from $from_year on",
                        self.name, self.from_year
                    )),
                });
            }
            let part = if keys.len() == 1 || keys.values().iter().all(|k| *k == key) {
                batch.clone()
            } else {
                let mask = eq(keys, &Int64Array::new_scalar(key)).map_err(encode)?;
                filter_record_batch(batch, &mask).map_err(encode)?
            };
            let writer = match self.open.entry(key) {
                std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::btree_map::Entry::Vacant(entry) => {
                    let temporary = self.dir.join(format!("{key}.parquet.tmp"));
                    entry.insert(ParquetWriter::start(temporary, Arc::clone(&self.schema))?)
                }
            };
            writer.write(part)?;
        }
        Ok(())
    }

    /// Closes, fsyncs and renames every file into place; returns the value and the file of each. A folder left with
    /// no Parquet file at all (no rows, none carried) gets an empty [`NO_ROWS_FILE`], so the table still has its
    /// columns.
    pub fn finish(self) -> Result<Vec<(i64, WrittenFile)>> {
        if self.open.is_empty() && crate::tables::parquet_files(&self.dir)?.is_empty() {
            let path = self.dir.join(NO_ROWS_FILE);
            let written =
                ParquetWriter::start(path.with_extension("parquet.tmp"), Arc::clone(&self.schema))?.finish()?;
            std::fs::rename(&written.path, &path).map_err(|e| QueryError::io("renaming", &written.path, e))?;
            return Ok(vec![(NO_ROWS, WrittenFile { path, ..written })]);
        }
        let mut out = Vec::new();
        // Every file's thread is finished before any file is renamed, so an error leaves only temporary files.
        let mut finished = Vec::new();
        for (key, writer) in self.open {
            finished.push((key, writer.finish()?));
        }
        for (key, written) in finished {
            out.push((key, written.into_place(self.dir.join(format!("{key}.parquet")))?));
        }
        Ok(out)
    }
}

/// Streams `frame` into [`YearFiles`] under `dir`, by `column`; returns the value and the file of each file written.
pub(crate) async fn write_years(
    frame: DataFrame,
    dir: &Path,
    column: &str,
    from_year: i32,
) -> Result<Vec<(i64, WrittenFile)>> {
    let what = || format!("running {}", dir.display());
    let mut stream = frame.execute_stream().await.map_err(|e| QueryError::engine(what(), e))?;
    let schema = crate::written::storage_schema(&stream.schema());
    let mut files = YearFiles::new(dir, Arc::clone(&schema), column, from_year)?;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| QueryError::engine(what(), e))?;
        files.push(&crate::written::conform(&batch, &schema, dir)?)?;
    }
    files.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int32Array;
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;

    /// Rows of years 2021–2023 arriving interleaved in many small batches: every file holds one year and the files
    /// together hold every row.
    #[tokio::test]
    async fn every_file_holds_one_year_and_no_row_is_lost() {
        let ctx = SessionContext::new();
        let schema = Arc::new(Schema::new(vec![
            Field::new("year", DataType::Int32, true),
            Field::new("n", DataType::Int32, false),
        ]));
        let total = 10_000;
        let batches: Vec<RecordBatch> = (0..total)
            .collect::<Vec<i32>>()
            .chunks(997)
            .map(|chunk| {
                let years: Int32Array = chunk.iter().map(|n| Some(2021 + n % 3)).collect();
                let ns = Int32Array::from(chunk.to_vec());
                RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(years), Arc::new(ns)]).expect("test setup")
            })
            .collect();
        let table = MemTable::try_new(Arc::clone(&schema), vec![batches]).expect("test setup");
        let frame = ctx.read_table(Arc::new(table)).expect("test setup");
        let dir = tempfile::tempdir().expect("test setup");
        let written = write_years(frame, dir.path(), "year", 2000).await.expect("written");
        assert_eq!(written.iter().map(|(y, _)| *y).collect::<Vec<_>>(), vec![2021, 2022, 2023]);
        for (year, WrittenFile { path, rows, bytes, sha256 }) in &written {
            let on_disk = std::fs::read(path).expect("written file");
            assert_eq!(
                (*bytes, sha256.as_str()),
                (on_disk.len() as u64, hex::encode(Sha256::digest(&on_disk)).as_str())
            );
            // Worked out from the generator: n % 3 == year - 2021.
            let expected = (0..total).filter(|n| i64::from(n % 3) == year - 2021).count() as u64;
            assert_eq!(*rows, expected, "rows of {year}");
            let check = SessionContext::new();
            check.register_parquet("t", path.to_str().expect("utf-8"), Default::default()).await.expect("readable");
            let batches =
                check.sql("SELECT MIN(year), MAX(year), COUNT(*) FROM t").await.expect("q").collect().await.expect("q");
            let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).expect("format").to_string();
            assert!(text.contains(&format!("| {year} ")), "{text}");
            assert!(text.contains(&format!("| {expected} ")), "{text}");
            assert!(!text.contains(&format!("{}", year + 1)) && !text.contains(&format!("{}", year - 1)), "{text}");
        }
        assert_eq!(written.iter().map(|(_, w)| w.rows).sum::<u64>(), total as u64);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    #[tokio::test]
    async fn a_missing_or_text_column_or_an_early_year_is_an_error() {
        let ctx = SessionContext::new();
        let dir = tempfile::tempdir().expect("test setup");
        for (sql, column, from_year) in [
            ("SELECT 1 AS year", "month", 0),
            ("SELECT 'a' AS year", "year", 0),
            ("SELECT 2023 AS year", "year", 2024),
            ("SELECT CAST(NULL AS INT) AS year", "year", 0),
        ] {
            let frame = ctx.sql(sql).await.expect("test setup");
            let error = write_years(frame, dir.path(), column, from_year).await.expect_err(sql);
            assert!(format!("{error:?}").contains(PARTITION_KEY), "{sql}: {error:?}");
        }
    }

    fn entry(sha: &str) -> FileEntry {
        FileEntry { bytes: 0, sha256: sha.into(), rows: Some(1), linked: true }
    }

    fn manifest(as_of: &str, files: &[(&str, &str)], digest: &str) -> Manifest {
        Manifest {
            as_of: as_of.into(),
            models_digest: Some(digest.into()),
            files: files.iter().map(|(rel, sha)| (rel.to_string(), entry(sha))).collect(),
            ..Manifest::default()
        }
    }

    #[test]
    fn from_year_is_the_earliest_changed_year_or_the_as_of_year() {
        let dir = tempfile::tempdir().expect("test setup");
        std::fs::create_dir_all(dir.path().join(COMPACT_DIR)).expect("test setup");
        std::fs::write(dir.path().join(COMPACT_DIR).join("2022.parquet"), b"").expect("test setup");
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let base = [
            ("certificates/issue_year=2022/A__2022-01__aa.parquet", "a"),
            ("certificates/issue_year=2023/A__2023-01__bb.parquet", "b"),
            ("certificates/issue_year=2024/A__2024-01__cc.parquet", "c"),
            ("duplicate_claims/duplicate_claims.parquet", "d"),
            ("compact/certificates/2022.parquet", "e"),
        ];
        let previous = manifest("2024-06-30", &base, "m");
        let linked = |extra: &[(&str, &str)], drop: &str| -> BTreeMap<String, FileEntry> {
            base.iter()
                .chain(extra)
                .filter(|(rel, _)| *rel != drop && !rel.starts_with("compact/"))
                .map(|(rel, sha)| (rel.to_string(), entry(sha)))
                .collect()
        };
        let at = |as_of, files: &BTreeMap<String, FileEntry>, digest| {
            plan(Some((dir.path(), &previous)), files, day(as_of), digest).from_year
        };
        // A night of this year's files: only the as-of year is recomputed.
        assert_eq!(
            at("2024-07-01", &linked(&[("certificates/issue_year=2024/B__2024-06__dd.parquet", "f")], ""), "m"),
            2024
        );
        // Nothing new at all: still the as-of year (its stock ends on the new as-of date).
        assert_eq!(at("2024-07-01", &linked(&[], ""), "m"), 2024);
        // A late file of 2023, a removed file of 2023 (superseded): from 2023.
        assert_eq!(
            at("2024-07-01", &linked(&[("certificates/issue_year=2023/B__2023-02__ee.parquet", "g")], ""), "m"),
            2023
        );
        assert_eq!(at("2024-07-01", &linked(&[], "certificates/issue_year=2023/A__2023-01__bb.parquet"), "m"), 2023);
        // A new year: the previous as-of year is recomputed (it now ends on 31 December).
        assert_eq!(at("2025-01-02", &linked(&[], ""), "m"), 2024);
        // A previous build as of 31 December saw its year whole: a night of the next year recomputes that year only.
        let year_end = manifest("2023-12-31", &base, "m");
        let night = linked(&[("certificates/issue_year=2024/B__2024-06__dd.parquet", "f")], "");
        assert_eq!(plan(Some((dir.path(), &year_end)), &night, day("2024-03-31"), "m").from_year, 2024);
        // Other definitions, or claims changed without a certificate file: everything.
        assert_eq!(at("2024-07-01", &linked(&[], ""), "other"), FULL_HISTORY);
        let mut claims_only = linked(&[], "");
        claims_only.insert("duplicate_claims/duplicate_claims.parquet".into(), entry("changed"));
        assert_eq!(at("2024-07-01", &claims_only, "m"), FULL_HISTORY);
        // A carried file that is gone from the previous snapshot: everything.
        std::fs::remove_file(dir.path().join(COMPACT_DIR).join("2022.parquet")).expect("test setup");
        assert_eq!(at("2024-07-01", &linked(&[], ""), "m"), FULL_HISTORY);
        assert_eq!(plan(None, &linked(&[], ""), day("2024-07-01"), "m").from_year, FULL_HISTORY);
    }
}
