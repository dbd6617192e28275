//! Warehouse-wide certificate facts: the index of certificate numbers already loaded (for
//! `duplicate_cert_no`), and duplicate claims (DESIGN §6 "同一人员同一职业同一等级不得重复申领").

use crate::error::{IngestError, Result};
use crate::warehouse::{Layout, i64_values, read_parquet, str_values, write_parquet_atomic};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// A 128-bit fingerprint of a certificate number: two independent SipHash passes. Keeping fingerprints instead
/// of strings keeps the index at 16 bytes per certificate.
pub(crate) fn cert_fingerprint(cert_no: &str) -> u128 {
    let half = |salt: u8| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut hasher);
        cert_no.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0x5a)) << 64) | u128::from(half(0xa5))
}

/// The certificate numbers in the warehouse, by slice (agency, month).
#[derive(Debug, Default)]
pub(crate) struct CertIndex {
    all: HashSet<u128>,
    by_slice: HashMap<(String, String), Vec<u128>>,
}

impl CertIndex {
    /// Reads the cert_no column of every certificate file.
    pub(crate) fn load(layout: &Layout) -> Result<Self> {
        let files = layout.certificate_files()?;
        let read: Vec<((String, String), Vec<u128>)> = files
            .par_iter()
            .map(|(path, slice)| {
                let frame = read_parquet(path, Some(&["cert_no"]))?;
                let values = str_values(&frame, path, "cert_no")?;
                let prints = values.iter().flatten().map(|c| cert_fingerprint(c)).collect();
                Ok(((slice.agency_id.clone(), slice.period.clone()), prints))
            })
            .collect::<Result<_>>()?;
        let mut index = Self::default();
        for (slice, prints) in read {
            index.insert(slice, prints);
        }
        Ok(index)
    }

    pub(crate) fn contains(&self, print: u128) -> bool {
        self.all.contains(&print)
    }

    /// Forgets the numbers of a slice being replaced.
    pub(crate) fn remove_slice(&mut self, agency_id: &str, period: &str) {
        if let Some(prints) = self.by_slice.remove(&(agency_id.to_string(), period.to_string())) {
            for print in prints {
                self.all.remove(&print);
            }
        }
    }

    pub(crate) fn insert(&mut self, slice: (String, String), prints: Vec<u128>) {
        self.all.extend(prints.iter().copied());
        self.by_slice.entry(slice).or_default().extend(prints);
    }
}

struct Claim {
    person_key: String,
    occupation_code: String,
    level: String,
    issue_date: i64,
    cert_no: String,
}

/// Recomputes `duplicate_claims/duplicate_claims.parquet` over every certificate: among certificates with the
/// same person_key, occupation_code and level (level-bearing types only), the earliest issue date, then the
/// smallest cert_no, counts; every other one is written with the cert_no that counts. Returns how many were
/// flagged.
pub(crate) fn recompute_duplicate_claims(layout: &Layout) -> Result<usize> {
    let files = layout.certificate_files()?;
    let columns = ["cert_no", "person_key", "occupation_code", "level", "issue_date"];
    let per_file: Vec<Vec<Claim>> = files
        .par_iter()
        .map(|(path, _)| {
            let frame = read_parquet(path, Some(&columns))?;
            let cert_no = str_values(&frame, path, "cert_no")?;
            let person = str_values(&frame, path, "person_key")?;
            let occupation = str_values(&frame, path, "occupation_code")?;
            let level = str_values(&frame, path, "level")?;
            let date = i64_values(&frame, path, "issue_date")?;
            let mut claims = Vec::new();
            for i in 0..frame.height() {
                if let (Some(c), Some(p), Some(o), Some(l), Some(d)) =
                    (&cert_no[i], &person[i], &occupation[i], &level[i], date[i])
                {
                    claims.push(Claim {
                        person_key: p.clone(),
                        occupation_code: o.clone(),
                        level: l.clone(),
                        issue_date: d,
                        cert_no: c.clone(),
                    });
                }
            }
            Ok(claims)
        })
        .collect::<Result<_>>()?;
    let mut claims: Vec<Claim> = per_file.into_iter().flatten().collect();
    claims.par_sort_unstable_by(|a, b| {
        (&a.person_key, &a.occupation_code, &a.level, a.issue_date, &a.cert_no).cmp(&(
            &b.person_key,
            &b.occupation_code,
            &b.level,
            b.issue_date,
            &b.cert_no,
        ))
    });
    let mut flagged: Vec<(&Claim, &str)> = Vec::new();
    let mut counted: Option<&Claim> = None;
    for claim in &claims {
        match counted {
            Some(c)
                if c.person_key == claim.person_key
                    && c.occupation_code == claim.occupation_code
                    && c.level == claim.level =>
            {
                flagged.push((claim, c.cert_no.as_str()));
            }
            _ => counted = Some(claim),
        }
    }
    let path = layout.duplicate_claims_path();
    let n = flagged.len();
    let build = || -> PolarsResult<DataFrame> {
        DataFrame::new(
            n,
            vec![
                Column::new("cert_no".into(), flagged.iter().map(|(c, _)| c.cert_no.as_str()).collect::<Vec<_>>()),
                Column::new("counted_cert_no".into(), flagged.iter().map(|(_, k)| *k).collect::<Vec<_>>()),
                Column::new(
                    "person_key".into(),
                    flagged.iter().map(|(c, _)| c.person_key.as_str()).collect::<Vec<_>>(),
                ),
                Column::new(
                    "occupation_code".into(),
                    flagged.iter().map(|(c, _)| c.occupation_code.as_str()).collect::<Vec<_>>(),
                ),
                Column::new("level".into(), flagged.iter().map(|(c, _)| c.level.as_str()).collect::<Vec<_>>()),
            ],
        )
    };
    let mut frame = build().map_err(|e| IngestError::parquet(&path, e))?;
    write_parquet_atomic(&path, &mut frame)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_differ_and_repeat() {
        assert_eq!(cert_fingerprint("Y1"), cert_fingerprint("Y1"));
        assert_ne!(cert_fingerprint("Y1"), cert_fingerprint("Y2"));
    }
}
