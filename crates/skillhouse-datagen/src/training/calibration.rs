//! The figures a training drop must give (province, per year of class end), computed from the plan as DESIGN §16
//! defines the training indicators, so that an ingestion and the indicator SQL can be checked end to end: rows
//! and completed rows, subsidy, Youth League, apprenticeship and gold-collar persons, vouchers, class compliance,
//! and 持证率 against the certificate drop.

use super::TrainingPlan;
use super::classes::{NO_SATISFACTION, Trainee};
use super::vocab::{Kind, Outcome};
use crate::config::Config;
use crate::manifest::TrainingYear;
use crate::persons::NO_OCCUPATION;
use crate::plan::{Plan, UNREGISTERED};
use chrono::{Datelike, NaiveDate};

/// What [`figures`] finds.
pub(crate) struct Figures {
    pub years: Vec<TrainingYear>,
    /// Classes among the accepted rows.
    pub classes: u64,
    /// Distinct persons among the accepted rows.
    pub trainees: u64,
    /// Of whom hold a valid skill certificate.
    pub trainees_with_certificates: u64,
}

/// Per class, over its accepted rows.
#[derive(Clone, Copy)]
struct ClassFacts {
    size: u32,
    /// Lowest satisfaction reported, in tenths.
    satisfaction: u16,
    completed_subsidised: u32,
}

/// A year slot and a person, packed into one word (half the memory of a tuple at province scale).
fn key(year: usize, person: u32) -> u64 {
    ((year as u64) << 32) | u64::from(person)
}

/// Distinct persons per year slot among `keys` (see [`key`]).
fn count_distinct(mut keys: Vec<u64>, years: usize) -> Vec<u64> {
    keys.sort_unstable();
    keys.dedup();
    let mut out = vec![0u64; years];
    for k in keys {
        out[(k >> 32) as usize] += 1;
    }
    out
}

fn share(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 { 0.0 } else { (numerator as f64 / denominator as f64 * 10_000.0).round() / 10_000.0 }
}

/// The figures of the accepted rows of `training` (the unregistered provider's rows are all rejected).
pub(crate) fn figures(config: &Config, plan: &Plan, training: &TrainingPlan) -> Figures {
    let years = (config.last_year - config.first_year + 1) as usize;
    let as_of = config.resolved_as_of();
    let classes = &training.classes;
    let year_of = |r: &Trainee| {
        let end = classes[r.class as usize].end.year();
        (end - config.first_year).clamp(0, years as i32 - 1) as usize
    };
    let accepted = || training.rows.iter().filter(|r| r.defect == 0);
    let mut out: Vec<TrainingYear> = (0..years)
        .map(|y| TrainingYear {
            year: config.first_year + y as i32,
            rows: 0,
            completed: 0,
            subsidised_completed: 0,
            youth_league_completed: 0,
            apprenticeship_persons: 0,
            gold_collar_persons: 0,
            vouchers_used: 0,
            classes: 0,
            oversize_classes: 0,
            practical_short_classes: 0,
            unsatisfied_classes: 0,
            short_certificate_course_classes: 0,
            flagged_classes: 0,
            subsidised_in_noncompliant: 0,
            certification_denominator: 0,
            certification_numerator: 0,
            certification_rate: 0.0,
            repeat_subsidised_persons: 0,
        })
        .collect();
    let mut facts = vec![ClassFacts { size: 0, satisfaction: NO_SATISFACTION, completed_subsidised: 0 }; classes.len()];
    let (mut apprentices, mut gold_collar) = (Vec::new(), Vec::new());
    for r in accepted() {
        let (y, class) = (year_of(r), &classes[r.class as usize]);
        let completed = r.outcome().completed();
        let year = &mut out[y];
        year.rows += 1;
        year.completed += u64::from(completed);
        year.subsidised_completed += u64::from(completed && r.subsidised);
        year.youth_league_completed += u64::from(completed && class.youth_league);
        // Valid rows' voucher numbers are unique (one per class and seat), so each counts once.
        year.vouchers_used += u64::from(r.voucher);
        match class.kind {
            Kind::Apprenticeship if completed => apprentices.push(key(y, r.person)),
            Kind::GoldCollar if completed => gold_collar.push(key(y, r.person)),
            _ => {}
        }
        let f = &mut facts[r.class as usize];
        f.size += 1;
        if r.satisfaction != NO_SATISFACTION {
            f.satisfaction =
                if f.satisfaction == NO_SATISFACTION { r.satisfaction } else { f.satisfaction.min(r.satisfaction) };
        }
        f.completed_subsidised += u32::from(completed && r.subsidised);
    }
    for (y, n) in count_distinct(apprentices, years).into_iter().enumerate() {
        out[y].apprenticeship_persons = n;
    }
    for (y, n) in count_distinct(gold_collar, years).into_iter().enumerate() {
        out[y].gold_collar_persons = n;
    }
    let mut class_count = 0;
    for (class, f) in classes.iter().zip(&facts) {
        if f.size == 0 || class.provider == UNREGISTERED {
            continue;
        }
        class_count += 1;
        let year = &mut out[(class.end.year() - config.first_year).clamp(0, years as i32 - 1) as usize];
        let oversize = f.size > 80;
        let practical_short = u32::from(class.hours_practical) * 10 < u32::from(class.hours_total) * 6;
        let unsatisfied = f.satisfaction != NO_SATISFACTION && f.satisfaction < 850;
        let short_course = class.kind == Kind::Other && class.occupation == NO_OCCUPATION && class.hours_total < 40;
        year.classes += 1;
        year.oversize_classes += u64::from(oversize);
        year.practical_short_classes += u64::from(practical_short);
        year.unsatisfied_classes += u64::from(unsatisfied);
        year.short_certificate_course_classes += u64::from(short_course);
        if oversize || practical_short || unsatisfied || short_course {
            year.flagged_classes += 1;
            year.subsidised_in_noncompliant += u64::from(f.completed_subsidised);
        }
    }
    certification(config, plan, training, as_of, &mut out);
    repeat_subsidised(training, &year_of, &mut out);
    let (trainees, trainees_with_certificates) = overlap(plan, training);
    Figures { years: out, classes: class_count, trainees, trainees_with_certificates }
}

/// 持证率 per year: distinct persons with a passed row that has an occupation, and those of them certified in
/// that occupation within the class's window.
fn certification(config: &Config, plan: &Plan, training: &TrainingPlan, as_of: NaiveDate, out: &mut [TrainingYear]) {
    let years = out.len();
    let mut held: Vec<(u32, u8, NaiveDate)> = plan
        .certs
        .iter()
        .filter(|c| super::counts_for_certification(c) && c.occupation != NO_OCCUPATION)
        .map(|c| (c.person, c.occupation, c.date))
        .collect();
    held.sort_unstable();
    let (mut denominator, mut numerator) = (Vec::new(), Vec::new());
    for r in training.rows.iter().filter(|r| r.defect == 0) {
        let class = &training.classes[r.class as usize];
        if r.outcome() != Outcome::Passed || class.occupation == NO_OCCUPATION {
            continue;
        }
        let y = (class.end.year() - config.first_year).clamp(0, years as i32 - 1) as usize;
        denominator.push(key(y, r.person));
        let (from, to) = super::certification_window(class, as_of);
        let first = held.partition_point(|h| (h.0, h.1) < (r.person, class.occupation));
        let certified = held[first..]
            .iter()
            .take_while(|h| (h.0, h.1) == (r.person, class.occupation))
            .any(|h| from <= h.2 && h.2 <= to);
        if certified {
            numerator.push(key(y, r.person));
        }
    }
    let denominator = count_distinct(denominator, years);
    let numerator = count_distinct(numerator, years);
    for (y, year) in out.iter_mut().enumerate() {
        year.certification_denominator = denominator[y];
        year.certification_numerator = numerator[y];
        year.certification_rate = share(numerator[y], denominator[y]);
    }
}

/// 重复享受补贴 per year: persons with subsidised accepted rows in two or more classes of one occupation.
fn repeat_subsidised(training: &TrainingPlan, year_of: &dyn Fn(&Trainee) -> usize, out: &mut [TrainingYear]) {
    let mut seats: Vec<(u64, u8, u32)> = training
        .rows
        .iter()
        .filter(|r| r.defect == 0 && r.subsidised && training.classes[r.class as usize].occupation != NO_OCCUPATION)
        .map(|r| (key(year_of(r), r.person), training.classes[r.class as usize].occupation, r.class))
        .collect();
    seats.sort_unstable();
    seats.dedup();
    let mut repeaters = Vec::new();
    for pair in seats.windows(2) {
        if (pair[0].0, pair[0].1) == (pair[1].0, pair[1].1) {
            repeaters.push(pair[0].0);
        }
    }
    for (y, n) in count_distinct(repeaters, out.len()).into_iter().enumerate() {
        out[y].repeat_subsidised_persons = n;
    }
}

/// Distinct trainees of the accepted rows, and how many of them hold a valid skill certificate.
fn overlap(plan: &Plan, training: &TrainingPlan) -> (u64, u64) {
    let mut holds = vec![false; plan.persons.len()];
    for c in plan.certs.iter().filter(|c| super::counts_for_certification(c)) {
        holds[c.person as usize] = true;
    }
    let mut persons: Vec<u32> = training.rows.iter().filter(|r| r.defect == 0).map(|r| r.person).collect();
    persons.sort_unstable();
    persons.dedup();
    let with = persons.iter().filter(|p| holds.get(**p as usize).copied().unwrap_or(false)).count();
    (persons.len() as u64, with as u64)
}
