//! The Parquet files the build writes: each encoded on a thread of its own, so the files of one query (the years of
//! a year-partitioned model) are encoded in parallel with each other and with the query that produces them (the
//! build's writes were one thread's work while a core stood idle); and each sized and hashed from the bytes as they
//! are written, since the manifest lists both for every file and reading each file back to hash it cost the build a
//! second pass over gigabytes at 30M rows. A file is written beside its place, synced, then renamed into it.

use crate::error::{QueryError, Result};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

/// Batches waiting for a file's thread; the query waits when the thread is this far behind.
const QUEUED_BATCHES: usize = 4;

/// A Parquet file (zstd, the build's [`crate::snapshot::writer_properties`]) being encoded on its own thread.
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
        let mut writer =
            ArrowWriter::try_new(HashedFile::new(file), schema, Some(crate::snapshot::writer_properties()))
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
}
