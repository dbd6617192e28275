//! Training drops (DESIGN §16): `training/providers.csv` and `training/<provider_id>/<YYYY-MM>.<ext>`, one file per
//! provider and month in which its classes ended, in the same variety of formats, encodings, header spellings and
//! quirks as certificate files, with defects of every §16 reason.
//!
//! Training is an addition to a certificate drop: it reads the certificate plan (persons and certificates) and
//! changes nothing in it, so certificate files are byte-identical with training on or off. Many trainees are the
//! certificate persons (the same ID numbers); a trained person who passes often holds a certificate in the
//! occupation, issued during the class or in the 180 days after it, and sometimes later or before it started
//! (see [`classes`]). The others are persons who hold no certificate, with IDs unique among all persons.

mod calibration;
mod classes;
mod defects;
mod provider;
mod render;
mod vocab;
pub(crate) mod write;

use crate::config::Config;
use crate::persons::{self, Cert, Person};
use crate::plan::{self, FileTask, Plan, UNREGISTERED};
use crate::reference::Occupation;
use crate::rng::Rng;
use chrono::{Datelike, NaiveDate};
use classes::{Class, Inputs, Trainee};
use provider::Provider;
use rayon::prelude::*;
use vocab::Reason;

/// Persons who hold no certificate, per certificate person (they attend the unlinked seats with the certificate
/// persons).
const OTHERS_PER_PERSON: f64 = 0.4;
/// Persons per parallel chunk when generating them.
const CHUNK: u64 = 8192;

/// Everything a training drop holds, before it is written.
pub(crate) struct TrainingPlan {
    pub providers: Vec<Provider>,
    pub unregistered: Provider,
    /// Persons who hold no certificate (trainee person indexes from the number of certificate persons on).
    pub others: Vec<Person>,
    pub classes: Vec<Class>,
    /// Rows of registered providers in path order: provider, month of the class end, class, seat.
    pub rows: Vec<Trainee>,
    /// Rows of the unregistered provider's file.
    pub unregistered_rows: Vec<Trainee>,
    pub files: Vec<FileTask>,
}

/// Plans the training drop of `config` over the certificate plan `plan`.
pub(crate) fn build(config: &Config, plan: &Plan, occupations: &[Occupation]) -> TrainingPlan {
    let providers = provider::generate(config);
    let others = other_persons(config, &plan.persons);
    let picker = provider::picker(config, &providers);
    let inputs = Inputs {
        config,
        occupations,
        agencies: &plan.agencies,
        certs: &plan.certs,
        persons: &plan.persons,
        others: &others,
        providers: &providers,
    };
    let (mut classes, mut rows) = classes::plan(&inputs, &picker);
    // Path order. Keys are unique (a seat is taken once per class), so the unstable sort is deterministic.
    rows.par_sort_unstable_by_key(|r| {
        let c = &classes[r.class as usize];
        (c.provider, c.end.year(), c.end.month(), c.serial, r.seat)
    });
    let mut files = plan::slice_files(rows.len(), |i| {
        let c = &classes[rows[i].class as usize];
        (c.provider, c.end)
    });
    defects::inject(config, &providers, &classes, &mut rows, &files);
    let unregistered = provider::unregistered(config);
    let mut unregistered_rows = Vec::new();
    if config.defect_rate > 0.0 {
        let defects = rows.iter().filter(|r| r.defect != 0).count();
        unregistered_rows = unregistered_class(config, &mut classes, &rows, (defects / 15).clamp(3, 60));
        if let Some(first) = unregistered_rows.first() {
            let end = classes[first.class as usize].end;
            files.push(FileTask {
                owner: UNREGISTERED,
                year: end.year(),
                month: end.month(),
                rows: 0..unregistered_rows.len(),
                unreadable: None,
            });
        }
        plan::add_unreadable(config, providers.len(), &mut files, 1);
    }
    TrainingPlan { providers, unregistered, others, classes, rows, unregistered_rows, files }
}

/// Persons who hold no certificate, generated in parallel chunks; their IDs are unique among all persons.
fn other_persons(config: &Config, persons: &[Person]) -> Vec<Person> {
    let count = (config.persons as f64 * OTHERS_PER_PERSON).round() as u64;
    let (start, end) = (config.start_date(), config.end_date());
    let chunks: Vec<Vec<Person>> = (0..count.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let mut rng = Rng::derive(config.seed, 0x7E50, chunk);
            let n = CHUNK.min(count - chunk * CHUNK);
            (0..n).map(|_| persons::identity(&mut rng, start, end).0).collect()
        })
        .collect();
    let mut others = chunks.concat();
    persons::make_ids_unique_after(persons, &mut others);
    others
}

/// The unregistered provider's file: copies of the valid rows of one class (ending in the middle month of the
/// years, or else the first class that has any), whose only defect is `unknown_provider`. Their vouchers are left
/// out, so that no row of the drop reuses a voucher without saying so.
fn unregistered_class(config: &Config, classes: &mut Vec<Class>, rows: &[Trainee], wanted: usize) -> Vec<Trainee> {
    let months = (config.last_year - config.first_year + 1) * 12;
    let middle = months / 2;
    let (year, month) = (config.first_year + middle / 12, (middle % 12) as u32 + 1);
    let valid = |r: &&Trainee| r.defect == 0;
    let in_middle = |r: &&Trainee| {
        let end = classes[r.class as usize].end;
        end.year() == year && end.month() == month
    };
    let Some(chosen) = rows.iter().filter(valid).find(in_middle).or_else(|| rows.iter().find(valid)).map(|r| r.class)
    else {
        return Vec::new();
    };
    let copy = Class { provider: UNREGISTERED, serial: 1, ..classes[chosen as usize] };
    classes.push(copy);
    let index = (classes.len() - 1) as u32;
    rows.iter()
        .filter(valid)
        .filter(|r| r.class == chosen)
        .take(wanted)
        .map(|r| {
            let mut copy = Trainee { class: index, voucher: false, aux: 0, ..*r };
            copy.set_reason(Some(Reason::UnknownProvider));
            copy
        })
        .collect()
}

/// Whether certificate `cert` counts for 持证率 (§16): a valid skill certificate that is not a repeated claim.
pub(crate) fn counts_for_certification(cert: &Cert) -> bool {
    cert.is_clean() && cert.flags & persons::REPEAT == 0 && cert.cert_type().is_skill()
}

/// The date range of a class's trainees' certificates that count for 持证率: from its start to 180 days after its
/// end, and not after the as-of date.
pub(crate) fn certification_window(class: &Class, as_of: NaiveDate) -> (NaiveDate, NaiveDate) {
    (class.start, (class.end + chrono::Days::new(180)).min(as_of))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;
    use std::collections::BTreeMap;

    #[test]
    fn class_ends_spread_over_the_years_without_piling_on_their_first_or_last_day() {
        let config = Config { persons: 30_000, seed: 3, ..Config::default() };
        let plan = plan::build(&config).expect("plan");
        let occupations = reference::occupations().expect("occupations");
        let training = build(&config, &plan, &occupations);
        let mut per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for class in training.classes.iter().filter(|c| c.provider != UNREGISTERED) {
            *per_day.entry(class.end).or_default() += 1;
        }
        let classes: usize = per_day.values().sum();
        assert!(classes > 1_000, "{classes} classes");
        let busiest = per_day.values().max().copied().unwrap_or(0);
        assert!(busiest * 100 <= classes, "{busiest} of {classes} classes end on one day");
        let first_day = per_day.get(&config.start_date()).copied().unwrap_or(0);
        assert!(first_day * 200 <= classes, "{first_day} classes end on the first day");
        assert!(per_day.keys().all(|d| config.start_date() <= *d && *d <= config.end_date()));
    }
}
