//! Files whose size and SHA-256 are computed from the bytes as they are written: the manifest lists both for every
//! file of a snapshot, and reading each file back to hash it cost the build a second pass over gigabytes at 30M rows.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

/// A file being written, hashing what passes through.
pub(crate) struct HashedFile {
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

/// A file the build wrote: its final path, rows, size and SHA-256.
#[derive(Debug, Clone)]
pub(crate) struct WrittenFile {
    pub path: PathBuf,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
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
