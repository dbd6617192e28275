//! Injected defects of training rows: every §16 reason, each on a row that has no other defect, so that under the
//! checking order it is the row's only reason. A share `defect_rate` of rows is chosen at random (file by file in
//! parallel), every reason is then made to occur at least once, and last the two reasons that repeat an earlier
//! valid row — `duplicate_enrolment` (its person, in the same class) and `voucher_reused` (its voucher, in the same
//! file or an earlier file of the same provider) — are given that row. `unknown_provider` rows are the copies in
//! the unregistered provider's folder (see [`super::build`]).

use super::classes::{Class, Trainee};
use super::provider::{Provider, TrainingField};
use super::vocab::Reason;
use crate::config::Config;
use crate::plan::FileTask;
use crate::rng::Rng;
use rayon::prelude::*;

/// Whether `reason` can be injected into `row` so that it is the row's only defect (before sources are resolved).
fn eligible(providers: &[Provider], classes: &[Class], row: &Trainee, reason: Reason) -> bool {
    let provider = &providers[usize::from(classes[row.class as usize].provider)];
    match reason {
        Reason::ProviderMismatch => providers.len() > 1 && provider.style.has(TrainingField::ProviderId),
        Reason::VoucherReused => provider.style.has(TrainingField::Voucher),
        Reason::UnknownProvider => false,
        _ => true,
    }
}

/// Injects the defects of the registered providers' rows (in path order, sliced into `files`).
pub(crate) fn inject(
    config: &Config,
    providers: &[Provider],
    classes: &[Class],
    rows: &mut [Trainee],
    files: &[FileTask],
) {
    let rate = config.defect_rate;
    if rate <= 0.0 {
        return;
    }
    let mut slices: Vec<(usize, &mut [Trainee])> = Vec::with_capacity(files.len());
    let mut rest = &mut *rows;
    for (i, file) in files.iter().enumerate() {
        let (head, tail) = rest.split_at_mut(file.rows.len());
        slices.push((i, head));
        rest = tail;
    }
    slices.into_par_iter().for_each(|(i, slice)| {
        let mut rng = Rng::derive(config.seed, 0x7DEF, i as u64);
        for row in slice.iter_mut() {
            if !rng.chance(rate) {
                continue;
            }
            let options: Vec<Reason> =
                Reason::ALL.into_iter().filter(|r| eligible(providers, classes, row, *r)).collect();
            row.set_reason(Some(*rng.pick(&options)));
        }
    });
    let mut rng = Rng::derive(config.seed, 0x7DF0, 0);
    cover_every_reason(&mut rng, providers, classes, rows);
    resolve_sources(&mut rng, classes, rows);
}

/// Makes every reason but `unknown_provider` occur at least once, even in a tiny drop: a missing reason takes over
/// a row of a reason injected more than once, or else a valid row. The two reasons that need an earlier valid
/// row come last, and only take rows that have one.
fn cover_every_reason(rng: &mut Rng, providers: &[Provider], classes: &[Class], rows: &mut [Trainee]) {
    let n = rows.len();
    if n < 2 {
        return;
    }
    let mut counts = [0usize; Reason::ALL.len()];
    for r in rows.iter().filter_map(Trainee::reason) {
        counts[r.index()] += 1;
    }
    for reason in Reason::ALL.into_iter().filter(|r| *r != Reason::UnknownProvider) {
        if counts[reason.index()] > 0 {
            continue;
        }
        let has_source = |i: usize| match reason {
            Reason::DuplicateEnrolment => {
                (0..i).rev().take_while(|j| rows[*j].class == rows[i].class).any(|j| rows[j].defect == 0)
            }
            Reason::VoucherReused => {
                let provider = classes[rows[i].class as usize].provider;
                (0..i)
                    .rev()
                    .take_while(|j| classes[rows[*j].class as usize].provider == provider)
                    .any(|j| rows[j].defect == 0 && rows[j].voucher)
            }
            _ => true,
        };
        let start = rng.index(n);
        let fits = |i: usize| eligible(providers, classes, &rows[i], reason) && has_source(i);
        let surplus = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| rows[i].reason().is_some_and(|r| counts[r.index()] > 1) && fits(i));
        let found = surplus.or_else(|| (0..n).map(|k| (start + k) % n).find(|&i| rows[i].defect == 0 && fits(i)));
        if let Some(i) = found {
            if let Some(old) = rows[i].reason() {
                counts[old.index()] -= 1;
            }
            rows[i].set_reason(Some(reason));
            counts[reason.index()] += 1;
        }
    }
}

/// The earlier valid rows a repeating row may take its person or voucher from: the most recent, and a uniform
/// sample of all (a reservoir of one).
#[derive(Default)]
struct Sources {
    recent: Option<u32>,
    sample: Option<u32>,
    seen: u64,
}

impl Sources {
    fn push(&mut self, rng: &mut Rng, row: usize) {
        self.recent = Some(row as u32);
        self.seen += 1;
        if rng.below(self.seen) == 0 {
            self.sample = Some(row as u32);
        }
    }

    fn pick(&self, rng: &mut Rng) -> Option<u32> {
        if rng.chance(0.5) { self.recent } else { self.sample }
    }
}

/// Gives every `duplicate_enrolment` row the person of an earlier valid row of its class, and every
/// `voucher_reused` row an earlier valid voucher row of its provider. A row with no such earlier row becomes an
/// `id_checksum` row instead. Rows are in path order: provider, month, class, seat.
fn resolve_sources(rng: &mut Rng, classes: &[Class], rows: &mut [Trainee]) {
    let mut in_class = Sources::default();
    let mut in_provider = Sources::default();
    for i in 0..rows.len() {
        if i > 0 && rows[i].class != rows[i - 1].class {
            in_class = Sources::default();
        }
        let provider = |row: &Trainee| classes[row.class as usize].provider;
        if i > 0 && provider(&rows[i]) != provider(&rows[i - 1]) {
            in_provider = Sources::default();
        }
        match rows[i].reason() {
            Some(Reason::DuplicateEnrolment) => match in_class.pick(rng) {
                Some(source) => {
                    rows[i].aux = source;
                    rows[i].person = rows[source as usize].person;
                }
                None => rows[i].set_reason(Some(Reason::IdChecksum)),
            },
            Some(Reason::VoucherReused) => match in_provider.pick(rng) {
                Some(source) => rows[i].aux = source,
                None => rows[i].set_reason(Some(Reason::IdChecksum)),
            },
            Some(_) => {}
            None => {
                in_class.push(rng, i);
                if rows[i].voucher {
                    in_provider.push(rng, i);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persons::{NO_OCCUPATION, NO_PROGRAMME};
    use crate::training::classes::NO_SATISFACTION;
    use crate::training::vocab::Kind;
    use chrono::NaiveDate;

    fn class(provider: u16) -> Class {
        let date = NaiveDate::from_ymd_opt(2024, 5, 10).expect("date");
        Class {
            provider,
            kind: Kind::Employment,
            occupation: NO_OCCUPATION,
            programme: NO_PROGRAMME,
            youth_league: false,
            subsidised: true,
            start: date,
            end: date,
            hours_total: 40,
            hours_practical: 30,
            satisfaction: NO_SATISFACTION,
            size: 3,
            serial: 1,
            link: None,
        }
    }

    fn row(class: u32, person: u32, voucher: bool, reason: Option<Reason>) -> Trainee {
        let mut t = Trainee {
            person,
            class,
            seat: 0,
            outcome: 0,
            subsidised: true,
            voucher,
            satisfaction: 0,
            defect: 0,
            aux: 0,
        };
        t.set_reason(reason);
        t
    }

    #[test]
    fn repeating_rows_take_an_earlier_valid_row_or_become_checksum_rows() {
        // Provider 0: class 0 (two valid rows, a duplicate); provider 1: class 1 whose first row repeats, class 2.
        let classes = [class(0), class(1), class(1)];
        let mut rows = vec![
            row(0, 10, true, None),
            row(0, 11, false, Some(Reason::IdFormat)),
            row(0, 12, false, None),
            row(0, 13, false, Some(Reason::DuplicateEnrolment)),
            row(0, 14, true, Some(Reason::VoucherReused)),
            row(1, 20, false, Some(Reason::DuplicateEnrolment)),
            row(1, 21, true, Some(Reason::VoucherReused)),
            row(1, 22, true, None),
            row(2, 30, true, Some(Reason::VoucherReused)),
        ];
        resolve_sources(&mut Rng::new(1), &classes, &mut rows);
        assert!([10, 12].contains(&rows[3].person), "a valid classmate's person");
        assert_eq!(rows[rows[3].aux as usize].person, rows[3].person);
        assert_eq!(rows[4].aux, 0, "the only earlier valid voucher row of provider 0");
        assert_eq!(rows[5].reason(), Some(Reason::IdChecksum), "no earlier row in its class");
        assert_eq!(rows[6].reason(), Some(Reason::IdChecksum), "no earlier voucher of provider 1");
        assert_eq!((rows[8].reason(), rows[8].aux), (Some(Reason::VoucherReused), 7), "an earlier file or class");
    }
}
