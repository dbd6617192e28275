//! The set of certificate-number fingerprints a batch checks `duplicate_cert_no` against, in bounded memory.
//!
//! The warehouse's fingerprints live on disk, sorted (the end of `index/certificate_keys.bin`); the batch's own
//! are held in memory up to a limit ([`crate::KeysMemory::prints`]), then written out as further sorted runs. A
//! blocked Bloom filter over all of them (10 bits a fingerprint, about 1% false positives, one cache miss a lookup)
//! answers most lookups without touching a run; a positive is settled by one small read per run, through a fence
//! of every [`BLOCK`]th fingerprint. Removals (a correction's replaced rows) are counted, not applied, until the set
//! is written out again: a fingerprint is in the set when it was added more often than removed.
//!
//! Memory is the in-memory part, the filter and the fences, instead of the 40 bytes or more per fingerprint a hash
//! set of them all takes. The filter stops growing at [`MAX_CAPACITY`] fingerprints (60 MiB): a larger warehouse
//! gets more false positives, so more reads, never more memory. The fences take 1/16 byte per fingerprint.

use crate::error::{IngestError, Result};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Hashes fingerprints by taking their bits: they are uniform already.
#[derive(Default)]
pub(crate) struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 ^= value;
    }

    fn write_u128(&mut self, value: u128) {
        self.0 ^= (value as u64) ^ ((value >> 64) as u64);
    }
}

pub(crate) type FingerprintSet<T> = HashSet<T, BuildHasherDefault<FingerprintHasher>>;

type Map<K, V> = HashMap<K, V, BuildHasherDefault<FingerprintHasher>>;
type Set<T> = FingerprintSet<T>;

/// Fingerprints a fence entry stands for: one read of 4 KiB settles a lookup in a run.
pub(crate) const BLOCK: usize = 256;
/// Runs kept before they are merged into one, so a positive costs at most this many reads.
const MAX_RUNS: usize = 8;
/// The filter is rebuilt twice as large when it holds more fingerprints than it was sized for, from this size …
const MIN_CAPACITY: usize = 1 << 20;
/// … up to this one (10 bits each: 60 MiB).
const MAX_CAPACITY: usize = 50_000_000;

/// A sorted run of fingerprints in a file: `len` of them from byte `at`, little-endian `u128`s.
#[derive(Debug, Clone)]
pub(crate) struct SortedRun {
    file: Arc<File>,
    path: PathBuf,
    at: u64,
    len: u64,
    /// The first fingerprint of every block of [`BLOCK`].
    fence: Vec<u128>,
}

impl SortedRun {
    /// A run already on disk, with its fence (as [`RunWriter`] records it).
    pub(crate) fn new(file: Arc<File>, path: PathBuf, at: u64, len: u64, fence: Vec<u128>) -> Self {
        Self { file, path, at, len, fence }
    }

    fn contains(&self, print: u128) -> Result<bool> {
        let block = match self.fence.partition_point(|first| *first <= print) {
            0 => return Ok(false),
            i => i - 1,
        };
        let start = (block * BLOCK) as u64;
        let n = (self.len - start).min(BLOCK as u64) as usize;
        let mut bytes = vec![0u8; n * 16];
        self.file.read_exact_at(&mut bytes, self.at + start * 16).map_err(|e| IngestError::io(&self.path, e))?;
        Ok(bytes.chunks_exact(16).any(|chunk| print_of(chunk) == print))
    }

    /// Reads the run front to back, a block of 64 KiB at a time.
    fn reader(&self) -> RunReader<'_> {
        RunReader { run: self, next: 0, buffer: Vec::new(), at: 0 }
    }
}

fn print_of(bytes: &[u8]) -> u128 {
    u128::from_le_bytes(bytes.try_into().unwrap_or_default())
}

struct RunReader<'a> {
    run: &'a SortedRun,
    /// Index of the next fingerprint to read from the file.
    next: u64,
    buffer: Vec<u128>,
    at: usize,
}

impl RunReader<'_> {
    fn next_print(&mut self) -> Result<Option<u128>> {
        if self.at == self.buffer.len() {
            let n = (self.run.len - self.next).min(4096) as usize;
            if n == 0 {
                return Ok(None);
            }
            let mut bytes = vec![0u8; n * 16];
            self.run
                .file
                .read_exact_at(&mut bytes, self.run.at + self.next * 16)
                .map_err(|e| IngestError::io(&self.run.path, e))?;
            self.buffer = bytes.chunks_exact(16).map(print_of).collect();
            self.next += n as u64;
            self.at = 0;
        }
        self.at += 1;
        Ok(Some(self.buffer[self.at - 1]))
    }
}

/// Writes sorted fingerprints, recording the fence as it goes.
pub(crate) struct RunWriter<W: Write> {
    out: W,
    path: PathBuf,
    pub(crate) len: u64,
    pub(crate) fence: Vec<u128>,
}

impl<W: Write> RunWriter<W> {
    pub(crate) fn new(out: W, path: &Path) -> Self {
        Self { out, path: path.to_path_buf(), len: 0, fence: Vec::new() }
    }

    fn push(&mut self, print: u128) -> Result<()> {
        if self.len.is_multiple_of(BLOCK as u64) {
            self.fence.push(print);
        }
        self.len += 1;
        self.out.write_all(&print.to_le_bytes()).map_err(|e| IngestError::io(&self.path, e))
    }

    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}

/// A file for scratch data beside the keys, removed from its folder as soon as it is open (so a crash leaves
/// nothing behind; the name is that of a temporary file, which the next batch would clear anyway).
pub(crate) fn scratch_file(dir: &Path, what: &str) -> Result<(File, PathBuf)> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::fs::create_dir_all(dir).map_err(|e| IngestError::io(dir, e))?;
    let path = dir.join(format!(".{what}.tmp-{}-{n}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| IngestError::io(&path, e))?;
    std::fs::remove_file(&path).map_err(|e| IngestError::io(&path, e))?;
    Ok((file, path))
}

/// A blocked Bloom filter over fingerprints (already uniform: its probes are their bits). A fingerprint's six bits
/// all fall in one 64-byte block, so a lookup costs one cache miss, not six.
#[derive(Debug)]
struct Bloom {
    blocks: Vec<[u64; 8]>,
    /// Fingerprints it is sized for, at 10 bits each.
    capacity: usize,
    count: usize,
}

impl Bloom {
    fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.clamp(MIN_CAPACITY, MAX_CAPACITY);
        Self { blocks: vec![[0; 8]; (capacity * 10).div_ceil(512)], capacity, count: 0 }
    }

    /// The block (chosen by the low half) and the six bits in it (nine bits each of the high half).
    fn probe(&self, print: u128) -> (usize, [u64; 8]) {
        let block = ((u128::from(print as u64) * self.blocks.len() as u128) >> 64) as usize;
        let high = (print >> 64) as u64;
        let mut mask = [0u64; 8];
        for i in 0..6 {
            let bit = (high >> (i * 9)) & 511;
            mask[(bit / 64) as usize] |= 1 << (bit % 64);
        }
        (block, mask)
    }

    fn insert(&mut self, print: u128) {
        self.count += 1;
        let (block, mask) = self.probe(print);
        for (word, bits) in self.blocks[block].iter_mut().zip(mask) {
            *word |= bits;
        }
    }

    fn may_contain(&self, print: u128) -> bool {
        let (block, mask) = self.probe(print);
        self.blocks[block].iter().zip(mask).all(|(word, bits)| word & bits == bits)
    }
}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct PrintIndex {
    /// Where runs are spilled.
    dir: PathBuf,
    /// What the runs hold, for their scratch files' names.
    what: &'static str,
    filter: Bloom,
    /// The warehouse's fingerprints as saved, when there were any.
    base: Option<SortedRun>,
    runs: Vec<SortedRun>,
    memory: Set<u128>,
    /// Removals not yet applied to `base` and `runs`.
    removed: Map<u128, u32>,
    /// Fingerprints held in `memory` before they are spilled.
    spill_at: usize,
}

impl PrintIndex {
    /// The set of `base`'s fingerprints (read once, for the filter and the fence); runs are spilled into `dir`.
    pub(crate) fn new(dir: &Path, base: Option<SortedRun>, spill_at: usize) -> Result<Self> {
        Self::named(dir, "certificate_prints", base, spill_at)
    }

    /// [`PrintIndex::new`] with the runs' scratch files named after `what` they hold.
    pub(crate) fn named(dir: &Path, what: &'static str, base: Option<SortedRun>, spill_at: usize) -> Result<Self> {
        let mut index = Self {
            dir: dir.to_path_buf(),
            what,
            filter: Bloom::with_capacity(base.as_ref().map_or(0, |b| b.len as usize + b.len as usize / 4)),
            base,
            runs: Vec::new(),
            memory: Set::default(),
            removed: Map::default(),
            spill_at: spill_at.max(1),
        };
        if let Some(base) = &mut index.base {
            let mut fence = Vec::with_capacity(base.len as usize / BLOCK + 1);
            let mut reader = base.reader();
            let mut n = 0usize;
            while let Some(print) = reader.next_print()? {
                if n.is_multiple_of(BLOCK) {
                    fence.push(print);
                }
                n += 1;
                index.filter.insert(print);
            }
            base.fence = fence;
        }
        Ok(index)
    }

    pub(crate) fn contains(&self, print: u128) -> Result<bool> {
        if !self.filter.may_contain(print) {
            return Ok(false);
        }
        let mut count = i64::from(self.memory.contains(&print));
        for run in self.base.iter().chain(&self.runs) {
            count += i64::from(run.contains(print)?);
        }
        Ok(count > self.removed.get(&print).map_or(0, |n| i64::from(*n)))
    }

    pub(crate) fn insert(&mut self, print: u128) -> Result<()> {
        if self.filter.count >= self.filter.capacity && self.filter.capacity < MAX_CAPACITY {
            self.grow_filter()?;
        }
        self.filter.insert(print);
        self.memory.insert(print);
        if self.memory.len() >= self.spill_at {
            self.spill()?;
        }
        Ok(())
    }

    pub(crate) fn remove(&mut self, print: u128) {
        if !self.memory.remove(&print) {
            *self.removed.entry(print).or_default() += 1;
        }
    }

    /// Writes the in-memory fingerprints out as a sorted run; merges the runs into one when there are too many.
    fn spill(&mut self) -> Result<()> {
        let mut sorted: Vec<u128> = self.memory.drain().collect();
        sorted.sort_unstable();
        self.memory = Set::default();
        let run = self.write_run(vec![Source::Memory(sorted)])?;
        self.runs.push(run);
        if self.runs.len() >= MAX_RUNS {
            let sources = std::mem::take(&mut self.runs);
            let merged = self.write_run(sources.iter().map(|r| Source::Run(r.reader())).collect())?;
            self.runs.push(merged);
        }
        Ok(())
    }

    /// Merges sources into a new run. A fingerprint that is in several (removed, then added again) is written
    /// once, its removals reduced to match, so a lookup, which finds a fingerprint in a run or not, stays right.
    fn write_run(&mut self, sources: Vec<Source<'_>>) -> Result<SortedRun> {
        let (file, path) = scratch_file(&self.dir, self.what)?;
        let mut writer = RunWriter::new(BufWriter::with_capacity(1 << 20, file), &path);
        merge_into(sources, &mut self.removed, Removals::Repeats, &mut writer)?;
        let (len, fence) = (writer.len, std::mem::take(&mut writer.fence));
        let file = writer.into_inner().into_inner().map_err(|e| IngestError::io(&path, e.into_error()))?;
        Ok(SortedRun::new(Arc::new(file), path, 0, len, fence))
    }

    fn grow_filter(&mut self) -> Result<()> {
        let mut filter = Bloom::with_capacity(self.filter.capacity * 2);
        for run in self.base.iter().chain(&self.runs) {
            let mut reader = run.reader();
            while let Some(print) = reader.next_print()? {
                filter.insert(print);
            }
        }
        for print in &self.memory {
            filter.insert(*print);
        }
        self.filter = filter;
        Ok(())
    }

    /// Writes every fingerprint in the set, once and in order, to `writer`; the set is then empty but for its
    /// filter, until [`set_base`] gives it what was written.
    ///
    /// [`set_base`]: PrintIndex::set_base
    pub(crate) fn write_all<W: Write>(&mut self, writer: &mut RunWriter<W>) -> Result<()> {
        let mut sorted: Vec<u128> = self.memory.drain().collect();
        sorted.sort_unstable();
        self.memory = Set::default();
        let base = self.base.take();
        let runs = std::mem::take(&mut self.runs);
        let mut sources: Vec<Source<'_>> = base.iter().chain(&runs).map(|r| Source::Run(r.reader())).collect();
        sources.push(Source::Memory(sorted));
        merge_into(sources, &mut self.removed, Removals::All, writer)?;
        self.removed = Map::default();
        Ok(())
    }

    /// Reads the set from `base` (as written by [`write_all`]); the filter, a superset, stays.
    ///
    /// [`write_all`]: PrintIndex::write_all
    pub(crate) fn set_base(&mut self, base: SortedRun) {
        self.base = Some(base);
    }
}

enum Source<'a> {
    Run(RunReader<'a>),
    /// Sorted.
    Memory(Vec<u128>),
}

/// Which removals a merge applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Removals {
    /// Every one: the output is the set.
    All,
    /// Only against repeats of a fingerprint within the merge (the others may concern runs not merged).
    Repeats,
}

/// Merges sorted sources into `writer`, applying removals (and taking the applied ones out of `removed`).
fn merge_into<W: Write>(
    sources: Vec<Source<'_>>,
    removed: &mut Map<u128, u32>,
    removals: Removals,
    writer: &mut RunWriter<W>,
) -> Result<()> {
    let mut readers: Vec<Box<dyn FnMut() -> Result<Option<u128>> + '_>> = sources
        .into_iter()
        .map(|source| -> Box<dyn FnMut() -> Result<Option<u128>> + '_> {
            match source {
                Source::Run(mut reader) => Box::new(move || reader.next_print()),
                Source::Memory(sorted) => {
                    let mut it = sorted.into_iter();
                    Box::new(move || Ok(it.next()))
                }
            }
        })
        .collect();
    let mut heap = BinaryHeap::new();
    for (i, reader) in readers.iter_mut().enumerate() {
        if let Some(print) = reader()? {
            heap.push(Reverse((print, i)));
        }
    }
    let mut last: Option<u128> = None;
    while let Some(Reverse((print, i))) = heap.pop() {
        let applies = removals == Removals::All || last == Some(print);
        let drop = applies
            && removed.get_mut(&print).is_some_and(|n| {
                let take = *n > 0;
                *n = n.saturating_sub(1);
                take
            });
        if !drop {
            writer.push(print)?;
            last = Some(print);
        }
        if let Some(next) = readers[i]()? {
            heap.push(Reverse((next, i)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(n: u64) -> u128 {
        crate::claims::cert_fingerprint(&format!("Y{n}"))
    }

    #[test]
    fn lookups_agree_with_a_hash_set_through_spills_merges_and_removals() {
        let dir = tempfile::tempdir().expect("tmp");
        // A base run of 10,000 fingerprints on disk.
        let (file, path) = scratch_file(dir.path(), "base").expect("scratch");
        let mut base_prints: Vec<u128> = (0..10_000).map(print).collect();
        base_prints.sort_unstable();
        let mut writer = RunWriter::new(BufWriter::new(file), &path);
        for p in &base_prints {
            writer.push(*p).expect("push");
        }
        let (len, fence) = (writer.len, std::mem::take(&mut writer.fence));
        let file = writer.into_inner().into_inner().expect("flush");
        let base = SortedRun::new(Arc::new(file), path, 0, len, fence);
        let mut index = PrintIndex::new(dir.path(), Some(base), 1_000_000).expect("index");
        let mut expected: HashSet<u128> = base_prints.iter().copied().collect();
        // Spills and merges are driven by hand below.
        for n in 5_000..25_000 {
            if expected.insert(print(n)) {
                index.insert(print(n)).expect("insert");
            }
        }
        index.spill().expect("spill");
        for n in (0..25_000).step_by(3) {
            if expected.remove(&print(n)) {
                index.remove(print(n));
            }
        }
        // Removed, then added again: present.
        for n in (0..25_000).step_by(9) {
            if expected.insert(print(n)) {
                index.insert(print(n)).expect("insert");
            }
        }
        for _ in 0..MAX_RUNS {
            index.spill().expect("spill");
        }
        assert!(index.runs.len() < MAX_RUNS, "runs are merged");
        for n in 0..30_000 {
            assert_eq!(index.contains(print(n)).expect("lookup"), expected.contains(&print(n)), "Y{n}");
        }
        // Written out: each fingerprint once, sorted, and the set still answers from the written file.
        let (file, path) = scratch_file(dir.path(), "all").expect("scratch");
        let mut writer = RunWriter::new(Vec::new(), &path);
        index.write_all(&mut writer).expect("write all");
        let mut want: Vec<u128> = expected.iter().copied().collect();
        want.sort_unstable();
        let written: Vec<u128> = writer.out.chunks_exact(16).map(print_of).collect();
        assert_eq!(written, want);
        file.write_all_at(&writer.out, 0).expect("write");
        index.set_base(SortedRun::new(Arc::new(file), path, 0, writer.len, writer.fence.clone()));
        for n in 0..30_000 {
            assert_eq!(index.contains(print(n)).expect("lookup"), expected.contains(&print(n)), "after write, Y{n}");
        }
    }

    #[test]
    fn the_filter_grows_without_losing_fingerprints() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut index = PrintIndex::new(dir.path(), None, 1_000_000).expect("index");
        index.filter = Bloom::with_capacity(0);
        index.filter.capacity = 1000; // as if sized for a thousand
        for n in 0..5_000 {
            index.insert(print(n)).expect("insert");
        }
        assert!(index.filter.capacity >= 5_000);
        assert!((0..5_000).all(|n| index.contains(print(n)).expect("lookup")));
        let false_positives = (5_000..105_000).filter(|n| index.filter.may_contain(print(*n))).count();
        assert!(false_positives < 2_000, "{false_positives} of 100,000 absent fingerprints pass the filter");
        // However large the warehouse, the filter stops at 60 MiB.
        let largest = Bloom::with_capacity(usize::MAX);
        assert_eq!((largest.capacity, largest.blocks.len() * 64), (MAX_CAPACITY, 62_500_032));
    }
}
