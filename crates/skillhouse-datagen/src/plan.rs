//! From persons to files: sorting the certificates into agency × month slices (path order), numbering them,
//! making sure every reason code occurs, resolving `duplicate_cert_no` sources, and planning the unregistered
//! agency's file and the unreadable files.

use crate::agency::{self, Agency};
use crate::config::Config;
use crate::error::Result;
use crate::persons::{self, Cert, Context, PROTECTED, Person};
use crate::reference;
use crate::rng::Rng;
use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use skillhouse_model::RejectReason;
use std::collections::BTreeSet;
use std::ops::Range;

/// Agency index of the unregistered agency in [`Cert::agency`] and [`FileTask::agency`].
pub(crate) const UNREGISTERED: u16 = u16::MAX;

/// A whole file that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// An `.xlsx` that is an HTML table (what some systems export as "Excel").
    NotZip,
    /// A real workbook cut short in transfer.
    TruncatedXlsx,
    /// A `.csv` whose bytes are neither UTF-8 nor GB18030.
    Undecodable,
    /// A zero-byte `.csv`.
    Empty,
    /// A `.csv` whose header matches no known spelling.
    NoHeader,
}

impl Unreadable {
    pub(crate) const ALL: [Unreadable; 5] =
        [Self::NotZip, Self::TruncatedXlsx, Self::Undecodable, Self::Empty, Self::NoHeader];

    pub(crate) const fn extension(self) -> &'static str {
        match self {
            Self::NotZip | Self::TruncatedXlsx => "xlsx",
            _ => "csv",
        }
    }

    /// Why it cannot be read, for the manifest.
    pub(crate) const fn why(self) -> &'static str {
        match self {
            Self::NotZip => "not_a_zip: an .xlsx that is really an HTML table",
            Self::TruncatedXlsx => "truncated_xlsx: the workbook's zip archive is cut short",
            Self::Undecodable => "undecodable: bytes that are neither UTF-8 nor GB18030",
            Self::Empty => "empty: zero bytes",
            Self::NoHeader => "no_header: no column header matches a known spelling",
        }
    }
}

/// One file to write.
#[derive(Debug, Clone)]
pub(crate) struct FileTask {
    /// Index into the registry (of agencies or of training providers), or [`UNREGISTERED`].
    pub owner: u16,
    pub year: i32,
    pub month: u32,
    /// Rows in [`Plan::certs`] (or [`Plan::unregistered_certs`]).
    pub rows: Range<usize>,
    pub unreadable: Option<Unreadable>,
}

impl FileTask {
    /// `YYYY-MM`.
    pub(crate) fn period(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// Everything a drop holds, before it is written.
pub(crate) struct Plan {
    pub agencies: Vec<Agency>,
    pub unregistered: Agency,
    pub persons: Vec<Person>,
    /// Certificates of registered agencies in path order: agency, issue date, person.
    pub certs: Vec<Cert>,
    /// Rows of the unregistered agency's file.
    pub unregistered_certs: Vec<Cert>,
    pub files: Vec<FileTask>,
}

/// Builds the plan of a drop.
pub(crate) fn build(config: &Config) -> Result<Plan> {
    let occupations = reference::occupations()?;
    let agencies = agency::generate(config);
    let ctx = Context::new(config, &agencies, &occupations);
    let chunks = config.persons.div_ceil(persons::CHUNK);
    let parts: Vec<(Vec<Person>, Vec<Cert>)> =
        (0..chunks).into_par_iter().map(|chunk| persons::generate_chunk(&ctx, chunk)).collect();
    let mut persons = Vec::with_capacity(config.persons as usize);
    let mut certs = Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum());
    for (p, c) in parts {
        persons.extend(p);
        certs.extend(c);
    }
    persons::make_ids_unique(&mut persons);
    // Path order: agency folder, month file, row (issue date, then person). Keys are unique, so the unstable sort
    // is deterministic.
    certs.par_sort_unstable_by_key(|c| (c.agency, c.date, c.person, c.ord));
    number(config, &mut certs);
    let mut rng = Rng::derive(config.seed, 0x9A1A, 0);
    if config.defect_rate > 0.0 {
        cover_every_reason(&mut rng, &agencies, &mut certs);
    }
    resolve_duplicate_numbers(&mut rng, config, &mut certs);
    let mut files = slice_files(certs.len(), |i| (certs[i].agency, certs[i].date));
    let unregistered = agency::unregistered(config);
    let mut unregistered_certs = Vec::new();
    if config.defect_rate > 0.0 {
        let defects = certs.iter().filter(|c| c.defect != 0).count();
        // "A small file": a handful of rows, however large the drop.
        let wanted = (defects / 15).clamp(3, 60);
        unregistered_certs = unregistered_rows(config, &certs, wanted);
        if let Some(first) = unregistered_certs.first() {
            files.push(FileTask {
                owner: UNREGISTERED,
                year: first.date.year(),
                month: first.date.month(),
                rows: 0..unregistered_certs.len(),
                unreadable: None,
            });
        }
        add_unreadable(config, agencies.len(), &mut files, 0);
    }
    Ok(Plan { agencies, unregistered, persons, certs, unregistered_certs, files })
}

fn year_slot(config: &Config, year: i32) -> usize {
    (year - config.first_year).clamp(0, config.last_year - config.first_year) as usize
}

/// Assigns serial numbers per (agency, type, year, level) in path order, agencies in parallel.
fn number(config: &Config, certs: &mut [Cert]) {
    let years = (config.last_year - config.first_year + 1) as usize;
    let mut slices: Vec<&mut [Cert]> = Vec::new();
    let mut rest = certs;
    while !rest.is_empty() {
        let agency = rest[0].agency;
        let len = rest.iter().position(|c| c.agency != agency).unwrap_or(rest.len());
        let (head, tail) = rest.split_at_mut(len);
        slices.push(head);
        rest = tail;
    }
    slices.into_par_iter().for_each(|slice| {
        let mut counters = vec![0u32; 6 * years * 8];
        for cert in slice.iter_mut() {
            let key = (usize::from(cert.cert_type) * years + year_slot(config, cert.date.year())) * 8
                + usize::from(cert.level);
            counters[key] += 1;
            cert.serial = counters[key];
        }
    });
}

/// With a defect rate above zero, every row reason occurs at least once, even in a tiny drop: a missing reason
/// takes over a row of a reason injected more than once, or else a clean row. `duplicate_cert_no` comes last so
/// that the earlier valid row it needs stays valid.
fn cover_every_reason(rng: &mut Rng, agencies: &[Agency], certs: &mut [Cert]) {
    if certs.len() < 2 {
        return;
    }
    let mut counts = [0usize; 16];
    for c in certs.iter() {
        if let Some(r) = c.reason() {
            counts[reason_slot(r)] += 1;
        }
    }
    let mut order: Vec<RejectReason> = persons::row_reasons().filter(|r| *r != RejectReason::DuplicateCertNo).collect();
    order.push(RejectReason::DuplicateCertNo);
    for reason in order {
        if counts[reason_slot(reason)] > 0 {
            continue;
        }
        let n = certs.len();
        let start = rng.index(n);
        let first_clean = certs.iter().position(|c| c.is_clean() && c.flags & PROTECTED == 0).unwrap_or(n);
        let fits = |c: &Cert, i: usize| {
            persons::eligible(agencies, c, reason)
                && (reason != RejectReason::DuplicateCertNo || (i > first_clean && !c.has_22_char_number()))
        };
        let surplus = (0..n).map(|k| (start + k) % n).find(|&i| {
            let c = &certs[i];
            c.reason().is_some_and(|r| counts[reason_slot(r)] > 1) && fits(c, i)
        });
        let clean = || {
            (0..n).map(|k| (start + k) % n).find(|&i| {
                let c = &certs[i];
                c.is_clean() && c.flags & PROTECTED == 0 && i != first_clean && fits(c, i)
            })
        };
        if let Some(i) = surplus.or_else(clean) {
            if let Some(old) = certs[i].reason() {
                counts[reason_slot(old)] -= 1;
            }
            certs[i].set_reason(Some(reason));
            counts[reason_slot(reason)] += 1;
        }
    }
}

fn reason_slot(reason: RejectReason) -> usize {
    RejectReason::ALL.iter().position(|r| *r == reason).unwrap_or(0)
}

/// Gives every `duplicate_cert_no` row the number of a valid row earlier in path order — one whose number also
/// passes that row's own 22-character checks, so that the duplicate is the only defect. A row with no such
/// earlier row becomes an `id_checksum` row instead.
fn resolve_duplicate_numbers(rng: &mut Rng, config: &Config, certs: &mut [Cert]) {
    let years = (config.last_year - config.first_year + 1) as usize;
    // Per key: the most recent valid row and a uniform sample of all earlier ones (reservoir of one).
    // Key 0 is "any number"; 1 + year × 5 + (rank − 1) is "a 22-character number of that year and level".
    let keys = 1 + years * 5;
    let mut recent: Vec<Option<u32>> = vec![None; keys];
    let mut sample: Vec<(Option<u32>, u64)> = vec![(None, 0); keys];
    for (i, cert) in certs.iter_mut().enumerate() {
        let key = if cert.has_22_char_number() {
            1 + year_slot(config, cert.date.year()) * 5 + usize::from(cert.level - 1)
        } else {
            0
        };
        if cert.reason() == Some(RejectReason::DuplicateCertNo) {
            let source = if rng.chance(0.5) { recent[key] } else { sample[key].0 };
            match source {
                Some(s) => cert.aux = s,
                None => cert.set_reason(Some(RejectReason::IdChecksum)),
            }
            continue;
        }
        if !cert.is_clean() {
            continue;
        }
        let keys_of_row: &[usize] = if key == 0 { &[0] } else { &[0, key] };
        for &k in keys_of_row {
            recent[k] = Some(i as u32);
            sample[k].1 += 1;
            if rng.below(sample[k].1) == 0 {
                sample[k].0 = Some(i as u32);
            }
        }
    }
}

/// Cuts `len` rows in path order into one file per owner and month; `key` gives a row's owner and date.
pub(crate) fn slice_files(len: usize, key: impl Fn(usize) -> (u16, NaiveDate)) -> Vec<FileTask> {
    let mut files = Vec::new();
    let mut start = 0;
    for i in 1..=len {
        let boundary = i == len || {
            let ((a, da), (b, db)) = (key(i - 1), key(i));
            a != b || da.year() != db.year() || da.month() != db.month()
        };
        if boundary {
            let (owner, date) = key(start);
            files.push(FileTask { owner, year: date.year(), month: date.month(), rows: start..i, unreadable: None });
            start = i;
        }
    }
    files
}

/// Rows for the unregistered agency: copies of valid certificates of one month (otherwise valid rows, so that
/// `unknown_agency` is their only defect), renumbered under the agency's own code.
fn unregistered_rows(config: &Config, certs: &[Cert], wanted: usize) -> Vec<Cert> {
    let months = (config.last_year - config.first_year + 1) * 12;
    let middle = months / 2;
    let (year, month) = (config.first_year + middle / 12, (middle % 12) as u32 + 1);
    let usable = |c: &&Cert| c.is_clean() && c.flags & PROTECTED == 0;
    let mut picked: Vec<Cert> = certs
        .iter()
        .filter(usable)
        .filter(|c| c.date.year() == year && c.date.month() == month)
        .take(wanted)
        .copied()
        .collect();
    if picked.is_empty() {
        let Some(any) = certs.iter().find(usable) else {
            return picked;
        };
        let (y, m) = (any.date.year(), any.date.month());
        picked = certs
            .iter()
            .filter(usable)
            .filter(|c| c.date.year() == y && c.date.month() == m)
            .take(wanted)
            .copied()
            .collect();
    }
    picked.sort_by_key(|c| (c.date, c.person, c.ord));
    for (i, c) in picked.iter_mut().enumerate() {
        c.agency = UNREGISTERED;
        c.serial = 1 + i as u32;
        c.flags = 0;
        c.set_reason(Some(RejectReason::UnknownAgency));
    }
    picked
}

/// Adds one unreadable file of each kind, each in a month for which its owner (one of `owners`) sends nothing else
/// (a second file for the same owner and month would be a correction of the first). `offset` shifts the owners
/// the search starts from, so that certificates and training put theirs in different places.
pub(crate) fn add_unreadable(config: &Config, owners: usize, files: &mut Vec<FileTask>, offset: usize) {
    let mut used: BTreeSet<(u16, i32, u32)> = files.iter().map(|f| (f.owner, f.year, f.month)).collect();
    let free_month = |used: &BTreeSet<(u16, i32, u32)>, agency: u16| {
        (config.first_year..=config.last_year).rev().flat_map(|y| (1..=12).rev().map(move |m| (y, m))).find(
            |&(y, m)| {
                NaiveDate::from_ymd_opt(y, m, 1).is_some_and(|first| first <= config.end_date())
                    && !used.contains(&(agency, y, m))
            },
        )
    };
    for (k, kind) in Unreadable::ALL.into_iter().enumerate() {
        let start = (k * 7 + 3 + offset) % owners;
        let found =
            (0..owners).map(|i| ((start + i) % owners) as u16).find_map(|a| free_month(&used, a).map(|ym| (a, ym)));
        // Every owner sends every month: the file goes to the December before the first year.
        let (owner, (year, month)) = found.unwrap_or((start as u16, (config.first_year - 1, 12 - k as u32)));
        used.insert((owner, year, month));
        files.push(FileTask { owner, year, month, rows: 0..0, unreadable: Some(kind) });
    }
    files.sort_by_key(|f| (f.owner, f.year, f.month));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persons::REPEAT;

    #[test]
    fn unreadable_files_take_free_months() {
        let config = Config { persons: 3_000, ..Config::default() };
        let plan = build(&config).expect("plan");
        let mut slices = BTreeSet::new();
        for f in &plan.files {
            assert!(slices.insert((f.owner, f.year, f.month)), "one file per agency and month");
        }
        assert_eq!(plan.files.iter().filter(|f| f.unreadable.is_some()).count(), 5);
        assert!(plan.certs.iter().any(|c| c.flags & REPEAT != 0));
    }
}
