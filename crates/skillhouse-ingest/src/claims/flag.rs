//! Duplicate claims (DESIGN §6): which claim groups have several members, reading the members back from their
//! files, and writing `duplicate_claims/duplicate_claims.parquet`.

use super::cache::{count_rows, file_digest};
use super::keys::{KeyRow, cert_fingerprint, group_fingerprint};
use super::{CertKeys, ClaimsBase, FILES_IN_FLIGHT, KEY_COLUMNS};
use crate::error::{IngestError, Result};
use crate::prints::{FingerprintSet, scratch_file};
use crate::warehouse::{Layout, i64_values, read_parquet, str_values, write_parquet_atomic};
use polars::prelude::*;
use rayon::prelude::*;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

impl CertKeys {
    /// Recomputes `duplicate_claims/duplicate_claims.parquet` for the groups that changed (all of them when the
    /// previous file cannot be trusted), then saves the keys with the new file's digest. Among certificates with the
    /// same person_key, occupation_code and level, the earliest issue date, then the smallest cert_no, counts;
    /// every other one is written with the cert_no that counts. Returns how many are flagged.
    pub(crate) fn update_duplicate_claims(&mut self, layout: &Layout) -> Result<usize> {
        let path = layout.duplicate_claims_path();
        let total_rows = self.total_rows;
        // Many touched groups (a first load): recomputing everything is cheaper than sifting.
        let full = self.base == ClaimsBase::Unknown || self.touched_all || self.touched.len() as u64 > total_rows / 8;
        if !full && self.touched.is_empty() && path.is_file() {
            if self.changed || !layout.certificate_keys_path().is_file() {
                self.save(layout, file_digest(&path)?)?;
            }
            return count_rows(&path);
        }
        let start = std::time::Instant::now();
        self.flush_spill()?;
        let touched = std::mem::take(&mut self.touched);
        let recompute = self.groups_with_several(if full { None } else { Some(&touched) })?;
        let grouped = start.elapsed();
        let mut flagged = self.flag(&recompute)?;
        if !full && path.is_file() {
            flagged.extend(carried_claims(&path, &touched)?);
        }
        flagged.sort();
        flagged.dedup();
        let n = flagged.len();
        write_claims(&path, &flagged)?;
        skillhouse_model::fault::point("ingest.claims_written");
        let claimed = start.elapsed();
        self.base = ClaimsBase::Matches;
        self.touched_all = false;
        self.save(layout, file_digest(&path)?)?;
        tracing::debug!(
            full,
            groups_with_several = recompute.len(),
            flagged = n,
            group_ms = grouped.as_millis() as u64,
            flag_ms = (claimed - grouped).as_millis() as u64,
            save_ms = (start.elapsed() - claimed).as_millis() as u64,
            "duplicate claims recomputed"
        );
        Ok(n)
    }

    /// Claim groups with at least two rows: among `among` only, or all. The groups are spread over partitions of
    /// [`KeysMemory::claim_groups`] on disk by their value, then each partition is sorted in memory on its own.
    fn groups_with_several(&self, among: Option<&FingerprintSet<u64>>) -> Result<FingerprintSet<u64>> {
        let parts = (self.total_rows / self.partition_rows + 1) as usize;
        let mut outs = Vec::with_capacity(parts);
        for _ in 0..parts {
            let (file, path) = scratch_file(&self.index_dir, "claim_groups")?;
            outs.push((BufWriter::with_capacity(1 << 18, file), path));
        }
        for file in self.files.values() {
            for row in self.read_rows(file)? {
                let g = row.group;
                if g != 0 && among.is_none_or(|a| a.contains(&g)) {
                    let (out, path) = &mut outs[((u128::from(g) * parts as u128) >> 64) as usize];
                    out.write_all(&g.to_le_bytes()).map_err(|e| IngestError::io(path.as_path(), e))?;
                }
            }
        }
        let mut several = FingerprintSet::default();
        for (out, path) in outs {
            let file = out.into_inner().map_err(|e| IngestError::io(&path, e.into_error()))?;
            let len = file.metadata().map_err(|e| IngestError::io(&path, e))?.len();
            let mut bytes = vec![0u8; usize::try_from(len).map_err(|_| IngestError::Internal("partition too big"))?];
            file.read_exact_at(&mut bytes, 0).map_err(|e| IngestError::io(&path, e))?;
            let mut groups: Vec<u64> =
                bytes.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default())).collect();
            drop(bytes);
            groups.par_sort_unstable();
            several.extend(groups.chunk_by(|a, b| a == b).filter(|run| run.len() > 1).map(|run| run[0]));
        }
        Ok(several)
    }

    /// Reads back the members of `groups` and flags every one but the first of each real group.
    fn flag(&self, groups: &FingerprintSet<u64>) -> Result<Vec<Flagged>> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        // Which files hold members.
        let mut wanted: Vec<PathBuf> = Vec::new();
        for (relative, file) in &self.files {
            if self.read_rows(file)?.iter().any(|r| groups.contains(&r.group)) {
                wanted.push(self.certificates_dir.join(relative));
            }
        }
        // A few files at a time: polars reads on its own thread pool, and a thread of ours waiting for it takes up
        // the next file meanwhile, so an unbounded parallel loop would end up with every file half-read at once.
        let mut claims: Vec<Claim> = Vec::new();
        for chunk in wanted.chunks(FILES_IN_FLIGHT) {
            let per_file: Vec<Vec<Claim>> =
                chunk.par_iter().map(|path| read_claims(path, groups)).collect::<Result<_>>()?;
            claims.extend(per_file.into_iter().flatten());
        }
        claims.par_sort_unstable();
        let mut flagged = Vec::new();
        let mut counted: Option<&Claim> = None;
        for claim in &claims {
            match counted {
                Some(c) if c.same_group(claim) => flagged.push(Flagged {
                    person_key: claim.person_key.clone(),
                    occupation_code: claim.occupation_code.clone(),
                    level: claim.level.clone(),
                    cert_no: claim.cert_no.clone(),
                    counted_cert_no: c.cert_no.clone(),
                }),
                _ => counted = Some(claim),
            }
        }
        Ok(flagged)
    }
}

/// The key columns of a certificate frame (as written, or as read back), row by row.
struct KeyColumns {
    cert_no: StringChunked,
    person: StringChunked,
    occupation: StringChunked,
    level: StringChunked,
    date: Vec<Option<i64>>,
}

impl KeyColumns {
    /// The key columns of a frame read back, borrowed from its arrays (no string per row is copied).
    fn of(frame: &DataFrame, path: &Path) -> Result<Self> {
        let text = |name: &'static str| -> Result<StringChunked> {
            let err = |source| IngestError::WarehouseColumn { path: path.to_path_buf(), column: name, source };
            Ok(frame.column(name).map_err(err)?.str().map_err(err)?.rechunk().into_owned())
        };
        Ok(Self {
            cert_no: text("cert_no")?,
            person: text("person_key")?,
            occupation: text("occupation_code")?,
            level: text("level")?,
            date: i64_values(frame, path, "issue_date")?,
        })
    }

    /// Row `i` as a claim, when it takes part in claims.
    fn claim(&self, i: usize) -> Option<Claim> {
        Some(Claim {
            person_key: self.person.get(i)?.to_string(),
            occupation_code: self.occupation.get(i)?.to_string(),
            level: self.level.get(i)?.to_string(),
            issue_date: self.date[i]?,
            cert_no: self.cert_no.get(i)?.to_string(),
        })
    }

    /// Row `i`'s claim group; 0 when it takes part in none (no person, date, occupation or level).
    fn group(&self, i: usize) -> u64 {
        match (self.date[i], self.person.get(i), self.occupation.get(i), self.level.get(i)) {
            (Some(_), Some(person), Some(occupation), Some(level)) => group_fingerprint(person, occupation, level),
            _ => 0,
        }
    }

    fn key_row(&self, i: usize) -> Option<KeyRow> {
        Some(KeyRow::new(cert_fingerprint(self.cert_no.get(i)?), self.group(i)))
    }
}

pub(super) fn read_key_rows(path: &Path) -> Result<Vec<KeyRow>> {
    let frame = read_parquet(path, Some(&KEY_COLUMNS))?;
    let columns = KeyColumns::of(&frame, path)?;
    Ok((0..frame.height()).filter_map(|i| columns.key_row(i)).collect())
}

/// The claims of a file's rows whose claim group is one of `groups` (by fingerprint; a collision only adds a
/// group's members, which are then compared by their values).
fn read_claims(path: &Path, groups: &FingerprintSet<u64>) -> Result<Vec<Claim>> {
    let frame = read_parquet(path, Some(&KEY_COLUMNS))?;
    let columns = KeyColumns::of(&frame, path)?;
    Ok((0..frame.height()).filter(|&i| groups.contains(&columns.group(i))).filter_map(|i| columns.claim(i)).collect())
}

/// A certificate taking part in claims; ordered by group, then the order in which certificates count.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Claim {
    person_key: String,
    occupation_code: String,
    level: String,
    issue_date: i64,
    cert_no: String,
}

impl Claim {
    fn same_group(&self, other: &Self) -> bool {
        self.person_key == other.person_key
            && self.occupation_code == other.occupation_code
            && self.level == other.level
    }
}

/// A row of the claims file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Flagged {
    person_key: String,
    occupation_code: String,
    level: String,
    cert_no: String,
    counted_cert_no: String,
}

/// The rows of the previous claims file whose group did not change.
fn carried_claims(path: &Path, touched: &FingerprintSet<u64>) -> Result<Vec<Flagged>> {
    let frame = read_parquet(path, None)?;
    let cert_no = str_values(&frame, path, "cert_no")?;
    let counted = str_values(&frame, path, "counted_cert_no")?;
    let person = str_values(&frame, path, "person_key")?;
    let occupation = str_values(&frame, path, "occupation_code")?;
    let level = str_values(&frame, path, "level")?;
    let mut out = Vec::new();
    for i in 0..frame.height() {
        if let (Some(c), Some(k), Some(p), Some(o), Some(l)) =
            (&cert_no[i], &counted[i], &person[i], &occupation[i], &level[i])
            && !touched.contains(&group_fingerprint(p, o, l))
        {
            out.push(Flagged {
                person_key: p.clone(),
                occupation_code: o.clone(),
                level: l.clone(),
                cert_no: c.clone(),
                counted_cert_no: k.clone(),
            });
        }
    }
    Ok(out)
}

fn write_claims(path: &Path, flagged: &[Flagged]) -> Result<()> {
    let n = flagged.len();
    let column =
        |name: &str, f: fn(&Flagged) -> &str| Column::new(name.into(), flagged.iter().map(f).collect::<Vec<_>>());
    let mut frame = DataFrame::new(
        n,
        vec![
            column("cert_no", |c| &c.cert_no),
            column("counted_cert_no", |c| &c.counted_cert_no),
            column("person_key", |c| &c.person_key),
            column("occupation_code", |c| &c.occupation_code),
            column("level", |c| &c.level),
        ],
    )
    .map_err(|e| IngestError::parquet(path, e))?;
    write_parquet_atomic(path, &mut frame)
}
