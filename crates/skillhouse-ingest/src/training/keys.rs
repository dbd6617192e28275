//! The warehouse-wide facts `duplicate_enrolment` and `voucher_reused` are judged against (DESIGN §16): which
//! enrolments (provider, class, person) and which voucher numbers accepted rows already hold.
//!
//! Both are kept as 128-bit fingerprints in one [`PrintIndex`] (an enrolment's and a voucher's are hashed with
//! different labels, so they never meet), the set that holds certificate numbers for `duplicate_cert_no`: sorted
//! runs on disk behind a Bloom filter, so a batch's memory does not grow with the training warehouse. They are read
//! from the key columns of the training files on disk the first time a batch commits a training file — never the
//! rows themselves — and the files of the slices the batch's files may correct keep their fingerprints in memory
//! as well, so that a correction can take them out (its rows are not duplicates of the rows they replace).
//!
//! Unlike the certificates' keys, they are not cached between batches: a night that commits training files reads
//! the training files' four key columns once. (A cache like `index/certificate_keys.bin` would spare that read; it
//! is not needed for correctness.)

use crate::error::{IngestError, Result};
use crate::field::Input;
use crate::prints::PrintIndex;
use crate::warehouse::{Layout, SliceName, read_parquet};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// A 128-bit fingerprint of labelled parts: two SipHash passes with different salts.
fn fingerprint(parts: &[&str]) -> u128 {
    let half = |salt: u8| {
        let mut hasher = DefaultHasher::new();
        salt.hash(&mut hasher);
        parts.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0x5a)) << 64) | u128::from(half(0xa5))
}

/// An accepted row's fingerprints: its enrolment, and its voucher when it names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrainingPrints {
    pub(crate) enrolment: u128,
    pub(crate) voucher: Option<u128>,
}

impl TrainingPrints {
    /// The fingerprints of a row as stored: `provider_id` (the folder's), `class_id` and `voucher_no` in their
    /// compared form, and the person key.
    pub(crate) fn of(provider_id: &str, class_id: &str, person_key: &str, voucher_no: Option<&str>) -> Self {
        Self {
            enrolment: fingerprint(&["enrolment", provider_id, class_id, person_key]),
            voucher: voucher_no.map(|v| fingerprint(&["voucher", v])),
        }
    }

    fn each(self) -> impl Iterator<Item = u128> {
        std::iter::once(self.enrolment).chain(self.voucher)
    }
}

/// Columns a training file is read with for its fingerprints.
const KEY_COLUMNS: [&str; 4] = ["provider_id", "class_id", "person_key", "voucher_no"];
/// Training files read in parallel at a time.
const FILES_IN_FLIGHT: usize = 16;

/// A file's `hash12` and the fingerprints of its accepted rows.
type FilePrints = (String, Vec<u128>);

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct TrainingKeys {
    prints: PrintIndex,
    /// The fingerprints of the files of slices the batch may replace, by slice: `(hash12, fingerprints)` per file.
    slices: HashMap<(String, String), Vec<FilePrints>>,
    /// The slices the batch's files may replace (its training files' provider and month).
    candidates: HashSet<(String, String)>,
}

impl TrainingKeys {
    /// Reads the fingerprints of every training file on disk (the files the ledger names: the batch cleared the
    /// others first). `candidates` are the slices of the batch's training files.
    pub(crate) fn load(layout: &Layout, candidates: HashSet<(String, String)>, memory_prints: usize) -> Result<Self> {
        let index_dir = layout.certificate_keys_path().parent().map(Path::to_path_buf).unwrap_or_default();
        let mut keys = Self {
            prints: PrintIndex::named(&index_dir, "training_prints", None, memory_prints)?,
            slices: HashMap::new(),
            candidates,
        };
        let files: Vec<(PathBuf, SliceName)> = layout
            .data_files_of(Input::Training)?
            .into_iter()
            .filter(|p| p.starts_with(layout.training_dir()))
            .filter_map(|p| SliceName::of_path(&p).map(|s| (p, s)))
            .collect();
        for chunk in files.chunks(FILES_IN_FLIGHT) {
            let read: Vec<Vec<TrainingPrints>> =
                chunk.par_iter().map(|(path, _)| read_prints(path)).collect::<Result<_>>()?;
            for ((_, slice), prints) in chunk.iter().zip(read) {
                keys.add(&slice.agency_id, &slice.period, &slice.hash12, &prints)?;
            }
        }
        Ok(keys)
    }

    /// Whether a fingerprint is held by an accepted row of the warehouse or of a file committed earlier in the batch.
    pub(crate) fn contains(&self, print: u128) -> Result<bool> {
        self.prints.contains(print)
    }

    /// Adds a file's accepted rows (a warehouse file's, or one committed in this batch).
    pub(crate) fn add(&mut self, provider_id: &str, period: &str, hash12: &str, rows: &[TrainingPrints]) -> Result<()> {
        for row in rows {
            for print in row.each() {
                self.prints.insert(print)?;
            }
        }
        let slice = (provider_id.to_string(), period.to_string());
        if self.candidates.contains(&slice) {
            let prints = rows.iter().flat_map(|r| r.each()).collect();
            self.slices.entry(slice).or_default().push((hash12.to_string(), prints));
        }
        Ok(())
    }

    /// Takes out the files of a slice that a correction replaces — every file of the slice but those of the
    /// replacing file (`keep_hash12`).
    pub(crate) fn remove_slice(&mut self, provider_id: &str, period: &str, keep_hash12: &str) -> Result<()> {
        let slice = (provider_id.to_string(), period.to_string());
        if !self.candidates.contains(&slice) {
            return Err(IngestError::Internal("a training slice replaced that the batch did not expect"));
        }
        let Some(files) = self.slices.get_mut(&slice) else { return Ok(()) };
        let (kept, gone): (Vec<_>, Vec<_>) = files.drain(..).partition(|(hash12, _)| hash12 == keep_hash12);
        *files = kept;
        for print in gone.into_iter().flat_map(|(_, prints)| prints) {
            self.prints.remove(print);
        }
        Ok(())
    }
}

/// The fingerprints of a training file's rows, from its key columns.
fn read_prints(path: &Path) -> Result<Vec<TrainingPrints>> {
    let frame = read_parquet(path, Some(&KEY_COLUMNS))?;
    let column = |name: &'static str| -> Result<StringChunked> {
        let err = |source| IngestError::WarehouseColumn { path: path.to_path_buf(), column: name, source };
        Ok(frame.column(name).map_err(err)?.str().map_err(err)?.rechunk().into_owned())
    };
    let (providers, classes, persons, vouchers) =
        (column("provider_id")?, column("class_id")?, column("person_key")?, column("voucher_no")?);
    let rows = providers
        .iter()
        .zip(classes.iter())
        .zip(persons.iter())
        .zip(vouchers.iter())
        .map(|(((provider, class), person), voucher)| {
            TrainingPrints::of(
                provider.unwrap_or_default(),
                class.unwrap_or_default(),
                person.unwrap_or_default(),
                voucher,
            )
        })
        .collect();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolments_and_vouchers_never_meet() {
        let a = TrainingPrints::of("P1", "C1", "k", Some("V1"));
        assert_eq!(a, TrainingPrints::of("P1", "C1", "k", Some("V1")));
        assert_ne!(a.enrolment, TrainingPrints::of("P2", "C1", "k", None).enrolment, "another provider's class");
        assert_ne!(a.enrolment, TrainingPrints::of("P1", "C1k", "", None).enrolment, "parts are not concatenated");
        assert_ne!(Some(a.enrolment), a.voucher);
        assert_eq!(TrainingPrints::of("P9", "C9", "x", Some("V1")).voucher, a.voucher, "a voucher is one, anywhere");
    }
}
