//! The Parquet files the build writes: each encoded on a thread of its own, so the files of one query (the years of
//! a year-partitioned model) are encoded in parallel with each other and with the query that produces them (the
//! build's writes were one thread's work while a core stood idle); and each sized and hashed from the bytes as they
//! are written, since the manifest lists both for every file and reading each file back to hash it cost the build a
//! second pass over gigabytes at 30M rows. A file is written beside its place, synced, then renamed into it. The
//! rules every file of the build follows — column storage types, zstd level, row groups, dictionaries — are here too.

use crate::error::{QueryError, Result};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;
use datafusion::prelude::DataFrame;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The type a column is stored as: view types become their plain counterparts, which every Parquet reader knows.
fn storage_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
        DataType::BinaryView | DataType::LargeBinary => DataType::Binary,
        other => other.clone(),
    }
}

/// A result schema with every column at its [`storage_type`].
pub(crate) fn storage_schema(schema: &SchemaRef) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_data_type(storage_type(f.data_type())))
            .collect::<Vec<_>>(),
    ))
}

/// A result batch cast to the storage schema.
pub(crate) fn conform(batch: &RecordBatch, schema: &SchemaRef, path: &Path) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| cast(c, f.data_type()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| QueryError::Encode { what: path.display().to_string(), source })?;
    RecordBatch::try_new(Arc::clone(schema), columns)
        .map_err(|source| QueryError::Encode { what: path.display().to_string(), source })
}

/// Rows per row group of the files the build writes.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Columns whose values are (nearly) all distinct: no dictionary is tried for them. The writer would build one for
/// the first megabyte of every column chunk and then give up.
const DISTINCT_COLUMNS: [&str; 3] = ["person_key", "cert_no", "principal_cert_no"];

/// Columns looked up by one value (`WHERE cert_no = '…'`, an analyst checking a certificate): every row group carries
/// a Bloom filter of them, which DataFusion consults before it reads a row group (`bloom_filter_on_read`, on by
/// default), so a lookup decodes the one row group that may hold the number instead of all of them — the
/// certificates are not sorted by number, so min/max statistics cannot prune. Sized for a full row group of distinct
/// numbers at a 5% false-positive rate (at most 128 KiB a row group; the writer folds a filter down to the values
/// it holds).
const LOOKUP_COLUMNS: [&str; 1] = ["cert_no"];

/// The false-positive rate of the [`LOOKUP_COLUMNS`]' Bloom filters.
const LOOKUP_FPP: f64 = 0.05;

/// zstd level 1, row groups of 128k rows: readers split a file between partitions by row group, so a large table in
/// one file must have several. Level 1 rather than 3: compression was the build's largest single cost (17% of its CPU
/// at 10M rows, plus a fresh compression context with level 3's larger tables for every column chunk). With the
/// distinct columns written without a dictionary the files came out 3–5% smaller than before, not larger (10M).
pub(crate) fn writer_properties() -> WriterProperties {
    let builder = DISTINCT_COLUMNS.iter().fold(WriterProperties::builder(), |builder, column| {
        builder.set_column_dictionary_enabled(ColumnPath::from(*column), false)
    });
    LOOKUP_COLUMNS
        .iter()
        .fold(builder, |builder, column| {
            builder
                .set_column_bloom_filter_enabled(ColumnPath::from(*column), true)
                .set_column_bloom_filter_max_ndv(ColumnPath::from(*column), ROW_GROUP_ROWS as u64)
                .set_column_bloom_filter_fpp(ColumnPath::from(*column), LOOKUP_FPP)
        })
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// Streams a DataFrame into one zstd-compressed Parquet file (written beside it, then renamed).
pub(crate) async fn write_parquet(frame: DataFrame, path: &Path) -> Result<WrittenFile> {
    let mut stream =
        frame.execute_stream().await.map_err(|e| QueryError::engine(format!("running {}", path.display()), e))?;
    let schema = storage_schema(&stream.schema());
    let mut writer = ParquetWriter::start(path.with_extension("parquet.tmp"), Arc::clone(&schema))?;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| QueryError::engine(format!("running {}", path.display()), e))?;
        writer.write(conform(&batch, &schema, path)?)?;
    }
    writer.finish()?.into_place(path.to_path_buf())
}

/// Batches waiting for a file's thread; the query waits when the thread is this far behind.
const QUEUED_BATCHES: usize = 4;

/// A Parquet file (zstd, the build's [`writer_properties`]) being encoded on its own thread.
pub(crate) struct ParquetWriter {
    batches: Option<std::sync::mpsc::SyncSender<RecordBatch>>,
    thread: Option<JoinHandle<Result<(u64, String)>>>,
    temporary: PathBuf,
    rows: u64,
}

impl ParquetWriter {
    /// Creates `temporary` and the thread that writes it.
    pub fn start(temporary: PathBuf, schema: SchemaRef) -> Result<Self> {
        let file = File::create(&temporary).map_err(|e| QueryError::io("creating", &temporary, e))?;
        let parquet_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| QueryError::Parquet { path, source }
        };
        let mut writer = ArrowWriter::try_new(HashedFile::new(file), schema, Some(writer_properties()))
            .map_err(parquet_error(&temporary))?;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<RecordBatch>(QUEUED_BATCHES);
        let path = temporary.clone();
        let thread = std::thread::Builder::new()
            .name("skillhouse-parquet".into())
            .spawn(move || {
                for batch in receiver {
                    writer.write(&batch).map_err(parquet_error(&path))?;
                }
                let (file, bytes, sha256) = writer.into_inner().map_err(parquet_error(&path))?.finish();
                file.sync_all().map_err(|e| QueryError::io("syncing", &path, e))?;
                Ok((bytes, sha256))
            })
            .map_err(|e| QueryError::io("starting a writer thread for", &temporary, e))?;
        Ok(Self { batches: Some(sender), thread: Some(thread), temporary, rows: 0 })
    }

    /// Queues a batch; an error if the thread has stopped (with the thread's own error when it has one).
    pub fn write(&mut self, batch: RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        if let Some(batches) = &self.batches
            && batches.send(batch).is_ok()
        {
            return Ok(());
        }
        self.batches = None;
        Err(self.join().err().unwrap_or_else(|| self.stopped()))
    }

    /// Waits for every batch to be written and the file to be synced; the file is still at its temporary path.
    pub fn finish(mut self) -> Result<WrittenFile> {
        self.batches = None;
        let (bytes, sha256) = self.join()?;
        Ok(WrittenFile { path: self.temporary, rows: self.rows, bytes, sha256 })
    }

    /// Waits for the thread to end; what it returned.
    fn join(&mut self) -> Result<(u64, String)> {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(QueryError::Internal(format!("the writer of {} panicked", self.temporary.display()))),
            None => Err(self.stopped()),
        }
    }

    fn stopped(&self) -> QueryError {
        QueryError::Internal(format!("the writer of {} stopped", self.temporary.display()))
    }
}

/// A file being written, hashing what passes through.
struct HashedFile {
    file: File,
    hasher: Sha256,
    bytes: u64,
}

impl HashedFile {
    pub fn new(file: File) -> Self {
        Self { file, hasher: Sha256::new(), bytes: 0 }
    }

    /// The file (to sync), its size and its SHA-256 in hex.
    pub fn finish(self) -> (File, u64, String) {
        (self.file, self.bytes, hex::encode(self.hasher.finalize()))
    }
}

impl Write for HashedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// A file the build wrote: its path, rows, size and SHA-256.
#[derive(Debug, Clone)]
pub(crate) struct WrittenFile {
    pub path: PathBuf,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

impl WrittenFile {
    /// Renames the synced temporary file to `path` (the fault point `build.parquet_tmp` just before).
    pub fn into_place(self, path: PathBuf) -> Result<Self> {
        skillhouse_model::fault::point("build.parquet_tmp");
        std::fs::rename(&self.path, &path).map_err(|e| QueryError::io("renaming", &self.path, e))?;
        Ok(Self { path, ..self })
    }
}

/// Writes a file atomically: a temporary file beside it, fsync, rename. `fault` names the fault point between the
/// temporary file and the rename.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], fault: &str) -> Result<()> {
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary).map_err(|e| QueryError::io("creating", &temporary, e))?;
    file.write_all(bytes).map_err(|e| QueryError::io("writing", &temporary, e))?;
    file.sync_all().map_err(|e| QueryError::io("syncing", &temporary, e))?;
    skillhouse_model::fault::point(fault);
    std::fs::rename(&temporary, path).map_err(|e| QueryError::io("renaming", &temporary, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_and_digest_are_those_of_the_bytes_on_disk() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("f");
        let mut file = HashedFile::new(File::create(&path).expect("create"));
        file.write_all(b"skill").expect("write");
        file.write_all(&[0u8; 70_000]).expect("write");
        let (_, bytes, sha256) = file.finish();
        let on_disk = std::fs::read(&path).expect("read");
        assert_eq!(bytes, on_disk.len() as u64);
        assert_eq!(bytes, 70_005);
        assert_eq!(sha256, hex::encode(Sha256::digest(&on_disk)));
        // SHA-256 of the empty input, from FIPS 180-2's examples.
        let (_, _, empty) = HashedFile::new(File::create(dir.path().join("e")).expect("create")).finish();
        assert_eq!(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    /// The certificate number of row `i`.
    fn number(i: usize) -> String {
        format!("S{:012}", i)
    }

    /// Writes `c.parquet` in `dir` through a [`ParquetWriter`]: two row groups whose numbers interleave (even in the
    /// first, odd in the second), so min/max statistics cannot tell them apart.
    fn interleaved_file(dir: &Path) -> WrittenFile {
        use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
        use datafusion::arrow::datatypes::Field;
        let schema = Arc::new(Schema::new(vec![
            Field::new("cert_no", DataType::Utf8, false),
            Field::new("n", DataType::Int64, false),
        ]));
        let mut writer = ParquetWriter::start(dir.join("c.parquet"), Arc::clone(&schema)).expect("start");
        for half in 0..2 {
            let rows: Vec<usize> = (0..ROW_GROUP_ROWS).map(|i| 2 * i + half).collect();
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|&i| number(i)))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|&i| i as i64))),
            ];
            writer.write(RecordBatch::try_new(Arc::clone(&schema), columns).expect("batch")).expect("write");
        }
        writer.finish().expect("finish")
    }

    /// Each row group's Bloom filter holds all of its own numbers and rejects nearly all of the other's.
    #[test]
    fn every_row_group_carries_a_bloom_filter_of_its_certificate_numbers() {
        use datafusion::parquet::data_type::ByteArray;
        use datafusion::parquet::file::properties::ReaderProperties;
        use datafusion::parquet::file::reader::FileReader;
        use datafusion::parquet::file::serialized_reader::{ReadOptionsBuilder, SerializedFileReader};

        let dir = tempfile::tempdir().expect("test setup");
        let written = interleaved_file(dir.path());
        let options = ReadOptionsBuilder::new()
            .with_reader_properties(ReaderProperties::builder().set_read_bloom_filter(true).build())
            .build();
        let reader =
            SerializedFileReader::new_with_options(File::open(&written.path).expect("open"), options).expect("read");
        assert_eq!(reader.num_row_groups(), 2);
        let groups: Vec<_> = (0..2).map(|g| reader.get_row_group(g).expect("row group")).collect();
        assert!(groups[0].get_column_bloom_filter(1).is_none(), "only the lookup columns carry a filter");
        let filters: Vec<_> =
            groups.iter().map(|g| g.get_column_bloom_filter(0).expect("a Bloom filter on cert_no")).collect();
        let sample = 10_000;
        for (half, filter) in filters.iter().enumerate() {
            let own = (0..sample).filter(|i| filter.check(&ByteArray::from(number(2 * i + half).as_str()))).count();
            assert_eq!(own, sample, "a filter holds every number of its row group");
            let other =
                (0..sample).filter(|i| filter.check(&ByteArray::from(number(2 * i + 1 - half).as_str()))).count();
            assert!(other < sample / 10, "{other} of {sample} numbers of the other row group pass the filter");
        }
    }

    /// A lookup by number in a session of SkillHouse's reads only the row group the filters let through.
    #[tokio::test]
    async fn a_lookup_by_number_reads_one_row_group() {
        use datafusion::arrow::util::pretty::pretty_format_batches;
        let dir = tempfile::tempdir().expect("test setup");
        let written = interleaved_file(dir.path());
        let ctx = crate::config::QueryConfig::default().session().expect("session");
        let path = written.path.to_string_lossy().into_owned();
        ctx.register_parquet("c", &path, Default::default()).await.expect("register");
        let lookup = format!("SELECT n FROM c WHERE cert_no = '{}'", number(4001));
        let found = ctx.sql(&lookup).await.expect("plan").collect().await.expect("run");
        assert_eq!(pretty_format_batches(&found).expect("format").to_string().matches("| 4001 |").count(), 1);
        let explained = ctx.sql(&format!("EXPLAIN ANALYZE {lookup}")).await.expect("plan").collect().await;
        let explained = pretty_format_batches(&explained.expect("run")).expect("format").to_string();
        assert!(explained.contains("row_groups_pruned_bloom_filter=2 total → 1 matched"), "{explained}");
    }
}
