//! Classes and their trainees: what a class is (provider, kind, occupation, dates, hours, size, satisfaction,
//! subsidy, organiser, programme) and who sits in it — linked to the certificate persons so that 持证率 comes out
//! realistic.
//!
//! Most classes are *anchored* on a certificate: a valid l5–l1 certificate is drawn, and the class trains its
//! occupation and ends before the certificate was issued (mostly within 180 days; some longer before, some
//! starting only after the certificate). Most of an anchored class's seats go to holders of certificates of that
//! occupation issued in the class's window, each certificate at most once; the others go to certificate persons
//! trained in something they never certify in, and to persons who hold no certificate at all. Free classes
//! (entrepreneurship, other, and classes in occupations nobody certifies in afterwards) fill all their seats that
//! way. Classes are numbered per provider and end year; their seats are filled per occupation in parallel, each
//! occupation with its own random stream, so that the output never depends on the number of threads.

use super::provider::{Provider, TrainingField};
use super::vocab::{Kind, Outcome, ProviderType, Reason};
use crate::agency::Agency;
use crate::config::Config;
use crate::persons::{Cert, NO_OCCUPATION, NO_PROGRAMME, Person, REPEAT, programme_index};
use crate::picker::Picker;
use crate::reference::{Occupation, UNIT_WEIGHTS};
use crate::rng::Rng;
use chrono::{Datelike, Days, NaiveDate};
use rayon::prelude::*;
use skillhouse_model::{Programme, age_on};
use std::collections::BTreeMap;

/// No satisfaction reported.
pub(crate) const NO_SATISFACTION: u16 = u16::MAX;

/// Share of classes anchored on a certificate.
const ANCHORED_SHARE: f64 = 0.7;
/// Share of an anchored class's seats offered first to holders of a certificate in its window.
const LINKED_SEAT_SHARE: f64 = 0.8;
/// Share of unlinked seats that go to certificate persons (the rest to persons who hold no certificate).
const CERTIFIED_PERSON_SHARE: f64 = 0.45;

/// One class as planned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Class {
    /// Index into the providers, or [`crate::plan::UNREGISTERED`].
    pub provider: u16,
    pub kind: Kind,
    /// Index into the occupations, or [`NO_OCCUPATION`].
    pub occupation: u8,
    /// Index into [`Programme::ALL`], or [`NO_PROGRAMME`].
    pub programme: u8,
    /// Organised by the Youth League (共青团).
    pub youth_league: bool,
    pub subsidised: bool,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub hours_total: u16,
    pub hours_practical: u16,
    /// Satisfaction in tenths of a per cent, or [`NO_SATISFACTION`].
    pub satisfaction: u16,
    /// Seats planned.
    pub size: u16,
    /// Number within its provider and end year, from 1 (the class id is spelled from it).
    pub serial: u32,
    /// The issue dates its linked seats' certificates are drawn from, if any.
    pub link: Option<(NaiveDate, NaiveDate)>,
}

/// One trainee row (one 人次) as planned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trainee {
    /// Index into the certificate persons, or (from their count on) the persons who hold no certificate.
    pub person: u32,
    /// Index into the classes.
    pub class: u32,
    /// Position in the class, from 0.
    pub seat: u16,
    /// Index into [`Outcome::ALL`].
    pub outcome: u8,
    pub subsidised: bool,
    /// Holds a voucher (whose number is spelled from the class and seat).
    pub voucher: bool,
    /// Tenths of a per cent, or [`NO_SATISFACTION`].
    pub satisfaction: u16,
    /// 0 for a valid row, else 1 + the index of the injected reason in [`Reason::ALL`].
    pub defect: u8,
    /// `duplicate_enrolment` / `voucher_reused`: the index of the earlier valid row it repeats.
    pub aux: u32,
}

impl Trainee {
    pub(crate) fn outcome(&self) -> Outcome {
        Outcome::ALL[usize::from(self.outcome).min(2)]
    }
    pub(crate) fn reason(&self) -> Option<Reason> {
        self.defect.checked_sub(1).map(|i| Reason::ALL[usize::from(i)])
    }
    pub(crate) fn set_reason(&mut self, reason: Option<Reason>) {
        self.defect = reason.map_or(0, |r| r.index() as u8 + 1);
    }
}

/// What planning reads.
pub(crate) struct Inputs<'a> {
    pub config: &'a Config,
    pub occupations: &'a [Occupation],
    pub agencies: &'a [Agency],
    /// Registered certificates in path order.
    pub certs: &'a [Cert],
    /// Certificate persons.
    pub persons: &'a [Person],
    /// Persons who hold no certificate.
    pub others: &'a [Person],
    pub providers: &'a [Provider],
}

/// The person of trainee index `index`: a certificate person, or (from their count on) one who holds none.
pub(crate) fn trainee<'a>(persons: &'a [Person], others: &'a [Person], index: u32) -> Option<&'a Person> {
    let i = index as usize;
    persons.get(i).or_else(|| others.get(i.checked_sub(persons.len())?))
}

impl Inputs<'_> {
    fn month_index(&self, date: NaiveDate) -> i64 {
        i64::from(date.year() - self.config.first_year) * 12 + i64::from(date.month0())
    }
}

/// Certificates a training can lead to: valid skill certificates at l5–l1, not repeated claims.
pub(crate) fn linkable(certs: &[Cert]) -> Vec<u32> {
    (0..certs.len() as u32)
        .filter(|i| {
            let c = &certs[*i as usize];
            c.is_clean() && c.flags & REPEAT == 0 && (1..=5).contains(&c.level) && c.occupation != NO_OCCUPATION
        })
        .collect()
}

/// Plans the classes and their trainees: about `config.training × persons` rows, in no particular order.
pub(crate) fn plan(inputs: &Inputs<'_>, picker: &Picker) -> (Vec<Class>, Vec<Trainee>) {
    let linkable = linkable(inputs.certs);
    let mut classes = make_classes(inputs, picker, &linkable);
    number(&mut classes);
    let rows = fill(inputs, &classes, &linkable);
    (classes, rows)
}

fn make_classes(inputs: &Inputs<'_>, picker: &Picker, linkable: &[u32]) -> Vec<Class> {
    let config = inputs.config;
    let mut rng = Rng::derive(config.seed, 0x7C1A, 0);
    let target = (config.training * config.persons as f64).round() as u64;
    let mut cumulative = Vec::with_capacity(inputs.occupations.len());
    let mut acc = 0.0;
    for o in inputs.occupations {
        acc += o.weight;
        cumulative.push(acc);
    }
    let (first, last) = (config.start_date(), config.end_date());
    let mut supply = Supply::new(inputs, linkable);
    let mut classes = Vec::new();
    let (mut seats, mut anchored_seats) = (0u64, 0u64);
    while seats < target {
        // Anchored classes take their share of the seats (not of the classes: a small drop's are smaller).
        let anchor = (!linkable.is_empty() && anchored_seats as f64 <= ANCHORED_SHARE * seats as f64)
            .then(|| &inputs.certs[linkable[rng.index(linkable.len())] as usize]);
        let (kind, occupation, home) = match anchor {
            Some(c) => (kind_for_rank(&mut rng, c.level), c.occupation, inputs.agencies[usize::from(c.agency)].unit),
            None => {
                let kind = [Kind::Employment, Kind::Upskilling, Kind::Entrepreneurship, Kind::Other]
                    [rng.weighted(&[0.40, 0.20, 0.22, 0.18])];
                let none_share = match kind {
                    Kind::Entrepreneurship => 0.85,
                    Kind::Other => 0.5,
                    _ => 0.0,
                };
                let occupation = if rng.chance(none_share) { NO_OCCUPATION } else { rng.cumulative(&cumulative) as u8 };
                (kind, occupation, rng.weighted(&UNIT_WEIGHTS))
            }
        };
        let (hours_total, hours_practical) = hours(&mut rng, kind);
        let days = duration_days(&mut rng, kind, hours_total);
        // How the anchor's certificate relates to the class: issued during it or within 180 days of its end
        // (most), more than 180 days after its end, or before the class started.
        let relation = if anchor.is_some() { rng.weighted(&[0.86, 0.09, 0.05]) } else { 0 };
        let end = match anchor {
            Some(c) if relation == 0 => c.date - Days::new(rng.between(5, 150) as u64),
            Some(c) if relation == 1 => c.date - Days::new(rng.between(185, 420) as u64),
            Some(c) => c.date + Days::new(rng.between(20, 200) as u64 + days - 1),
            None => first + Days::new(rng.between(0, (last - first).num_days()) as u64),
        };
        // Classes end within the years: one whose certificate came too early for it to end in them ends
        // between the first day and the certificate; one that would end after them ends in their last months.
        let end = if end < first {
            let latest = anchor.map_or(first, |c| c.date.min(last));
            first + Days::new(rng.between(0, (latest - first).num_days()) as u64)
        } else if end > last {
            last - Days::new(rng.between(0, 60) as u64)
        } else {
            end
        };
        let end = end.clamp(first, last);
        let start = end - Days::new(days - 1);
        let link = anchor.map(|_| match relation {
            0 => (start, end + Days::new(180)),
            1 => (end + Days::new(181), end + Days::new(450)),
            _ => (start - Days::new(240), start - Days::new(1)),
        });
        let weights = provider_types_for(kind);
        let provider = picker.pick(&mut rng, start, &weights, home);
        let p = &inputs.providers[usize::from(provider)];
        let youth_league = p.style.has(TrainingField::Organiser) && rng.chance(0.08);
        let subsidised = rng.chance(0.31);
        let occupation_ref = inputs.occupations.get(usize::from(occupation));
        let programme = programme_for(&mut rng, kind, occupation_ref, p.provider_type, youth_league);
        let satisfaction = class_satisfaction(&mut rng, p);
        let size = class_size(&mut rng);
        let size = match link {
            Some(window) => supply.fit(inputs, occupation, window, size),
            None => size,
        };
        seats += u64::from(size);
        if anchor.is_some() {
            anchored_seats += u64::from(size);
        }
        classes.push(Class {
            provider,
            kind,
            occupation,
            programme,
            youth_league,
            subsidised,
            start,
            end,
            hours_total,
            hours_practical,
            satisfaction,
            size,
            serial: 0,
            link,
        });
    }
    cover_compliance_flags(&mut rng, &mut classes);
    classes
}

/// Makes the two rarest compliance flags occur even in a small drop: an oversize class (seated well over 80, so
/// that rejected rows cannot bring it back under) and a short certificate course (kind other, no occupation,
/// under 40 hours). Only free classes are changed: anchored ones keep their certificates' occupations.
fn cover_compliance_flags(rng: &mut Rng, classes: &mut [Class]) {
    let free: Vec<usize> = (0..classes.len()).filter(|i| classes[*i].link.is_none()).collect();
    if free.is_empty() {
        return;
    }
    if !classes.iter().any(|c| c.size > 80) {
        classes[free[rng.index(free.len())]].size = rng.between(95, 110) as u16;
    }
    let short_course = |c: &Class| c.kind == Kind::Other && c.occupation == NO_OCCUPATION && c.hours_total < 40;
    if free.len() > 1 && !classes.iter().any(short_course) {
        let oversize = free.iter().position(|i| classes[*i].size > 80);
        let candidates: Vec<usize> =
            free.iter().enumerate().filter(|(k, _)| Some(*k) != oversize).map(|(_, i)| *i).collect();
        let class = &mut classes[candidates[rng.index(candidates.len())]];
        class.kind = Kind::Other;
        class.occupation = NO_OCCUPATION;
        class.programme = NO_PROGRAMME;
        class.hours_total = 16;
        class.hours_practical = 12;
    }
}

/// Linkable certificates per occupation and month that no class has yet been sized for.
struct Supply {
    counts: Vec<Vec<u32>>,
}

impl Supply {
    fn new(inputs: &Inputs<'_>, linkable: &[u32]) -> Self {
        let months = ((inputs.config.last_year - inputs.config.first_year + 1) * 12) as usize;
        let mut counts = vec![Vec::new(); inputs.occupations.len()];
        for &i in linkable {
            let c = &inputs.certs[i as usize];
            let per_month: &mut Vec<u32> = &mut counts[usize::from(c.occupation)];
            if per_month.is_empty() {
                *per_month = vec![0; months];
            }
            per_month[inputs.month_index(c.date).clamp(0, months as i64 - 1) as usize] += 1;
        }
        Self { counts }
    }

    /// The size of an anchored class of `occupation` whose linked seats come from certificates issued in
    /// `window`: at most what those certificates can fill (but 8 at least), so that a small drop's classes are
    /// smaller rather than mostly strangers to the certificate drop. A province-scale drop has certificates
    /// enough and keeps the size asked for. The seats expected to be linked are reserved.
    fn fit(&mut self, inputs: &Inputs<'_>, occupation: u8, window: (NaiveDate, NaiveDate), size: u16) -> u16 {
        let Some(per_month) = self.counts.get_mut(usize::from(occupation)).filter(|c| !c.is_empty()) else {
            return size;
        };
        let last = per_month.len() as i64 - 1;
        let (m0, m1) = (inputs.month_index(window.0).clamp(0, last), inputs.month_index(window.1).clamp(0, last));
        let months = &mut per_month[m0 as usize..=m1 as usize];
        let available: u32 = months.iter().sum();
        let fitting = (f64::from(available) / LINKED_SEAT_SHARE).ceil() as u16;
        let size = size.min(fitting.max(8));
        let mut reserve = ((f64::from(size) * LINKED_SEAT_SHARE).round() as u32).min(available);
        for count in months.iter_mut() {
            let taken = reserve.min(*count);
            *count -= taken;
            reserve -= taken;
        }
        size
    }
}

/// Numbers classes from 1 per provider and end year, in order of end date.
fn number(classes: &mut [Class]) {
    let mut order: Vec<usize> = (0..classes.len()).collect();
    order.sort_by_key(|i| {
        let c = &classes[*i];
        (c.provider, c.end.year(), c.end, c.start, *i)
    });
    let mut previous: Option<(u16, i32)> = None;
    let mut serial = 0;
    for i in order {
        let key = (classes[i].provider, classes[i].end.year());
        serial = if previous == Some(key) { serial + 1 } else { 1 };
        previous = Some(key);
        classes[i].serial = serial;
    }
}

/// The kind of a class that leads to a certificate of level rank `rank`: entry levels through employment
/// training and apprenticeships, l3 mostly through upskilling, technicians through 金蓝领.
fn kind_for_rank(rng: &mut Rng, rank: u8) -> Kind {
    match rank {
        1 | 2 => [Kind::Employment, Kind::Upskilling, Kind::Apprenticeship][rng.weighted(&[0.55, 0.33, 0.12])],
        3 => [Kind::Upskilling, Kind::GoldCollar, Kind::Apprenticeship, Kind::Employment]
            [rng.weighted(&[0.65, 0.12, 0.10, 0.13])],
        _ => [Kind::GoldCollar, Kind::Upskilling][rng.weighted(&[0.45, 0.55])],
    }
}

/// Provider-type weights (enterprise, college, social, public, online) for a class of `kind`.
fn provider_types_for(kind: Kind) -> [f64; 5] {
    match kind {
        Kind::Employment => [0.05, 0.25, 0.45, 0.20, 0.05],
        Kind::Upskilling => [0.45, 0.10, 0.25, 0.05, 0.15],
        Kind::Entrepreneurship => [0.0, 0.15, 0.45, 0.25, 0.15],
        Kind::Apprenticeship => [0.75, 0.25, 0.0, 0.0, 0.0],
        Kind::GoldCollar => [0.45, 0.35, 0.10, 0.10, 0.0],
        Kind::Other => [0.10, 0.10, 0.40, 0.10, 0.30],
    }
}

/// Class hours in total and practical. Most classes give at least 60% to practice (rounded up, so that a class
/// meant to comply does); a few fall short (rounded down) — entrepreneurship courses more often.
fn hours(rng: &mut Rng, kind: Kind) -> (u16, u16) {
    let choices: &[u16] = match kind {
        Kind::Employment => &[40, 56, 64, 80, 96, 120, 160],
        Kind::Upskilling => &[24, 32, 40, 48, 64, 80, 120],
        Kind::Entrepreneurship => &[40, 56, 64, 80],
        Kind::Apprenticeship => &[200, 240, 320, 400, 480],
        Kind::GoldCollar => &[48, 64, 80, 120, 160],
        Kind::Other => &[8, 12, 16, 24, 32, 40, 48, 64],
    };
    let total = *rng.pick(choices);
    let short_share = if kind == Kind::Entrepreneurship { 0.2 } else { 0.07 };
    let practical = if rng.chance(short_share) {
        u32::from(total) * rng.between(30, 55) as u32 / 100
    } else {
        (u32::from(total) * rng.between(60, 75) as u32).div_ceil(100)
    };
    (total, practical as u16)
}

/// Calendar days a class lasts: eight class hours a working day, five days a week; apprenticeships half a year
/// to a year and a half.
fn duration_days(rng: &mut Rng, kind: Kind, hours_total: u16) -> u64 {
    match kind {
        Kind::Apprenticeship => rng.between(180, 540) as u64,
        _ => (u64::from(hours_total).div_ceil(8) * 7 / 5).max(1) + rng.between(0, 4) as u64,
    }
}

/// Seats: mostly 20–60, some small classes, some of 61–80, a few over the limit of 80.
fn class_size(rng: &mut Rng) -> u16 {
    const BUCKETS: [(i64, i64, f64); 5] =
        [(8, 19, 0.10), (20, 40, 0.40), (41, 60, 0.30), (61, 80, 0.16), (81, 120, 0.04)];
    let (lo, hi, _) = BUCKETS[rng.weighted(&BUCKETS.map(|b| b.2))];
    rng.between(lo, hi) as u16
}

/// The class's satisfaction (the lowest its trainees report): mostly 85 or more, some lower, some classes with
/// none; in tenths, whole per cents unless the provider writes decimals.
fn class_satisfaction(rng: &mut Rng, provider: &Provider) -> u16 {
    if !provider.style.has(TrainingField::Satisfaction) || rng.chance(0.06) {
        return NO_SATISFACTION;
    }
    let whole = if rng.chance(0.88) { rng.between(85, 99) } else { rng.between(70, 84) };
    let tenths = if provider.style.values.satisfaction_style == 2 { rng.between(0, 9) } else { 0 };
    (whole * 10 + tenths) as u16
}

fn programme_for(
    rng: &mut Rng,
    kind: Kind,
    occupation: Option<&Occupation>,
    provider_type: ProviderType,
    youth_league: bool,
) -> u8 {
    if youth_league && rng.chance(0.7) {
        return programme_index(Programme::Youth);
    }
    if !rng.chance(0.6) {
        return NO_PROGRAMME;
    }
    let p = match (kind, occupation.and_then(|o| o.programme)) {
        (Kind::Entrepreneurship, _) | (_, None) => {
            *rng.pick(&[Programme::KeyGroups, Programme::Agriculture, Programme::Youth, Programme::Digital])
        }
        (_, Some(own)) => {
            let r = rng.unit();
            if r < 0.65 {
                own
            } else if r < 0.75 && provider_type == ProviderType::Enterprise {
                Programme::PrivateEnterprises
            } else if r < 0.75 && provider_type == ProviderType::College {
                Programme::Colleges
            } else if r < 0.82 && kind == Kind::GoldCollar {
                Programme::SkillsCompetitions
            } else if r < 0.90 {
                Programme::KeyGroups
            } else {
                own.top_level()
            }
        }
    };
    programme_index(p)
}

/// Fills every class's seats, occupation by occupation in parallel.
fn fill(inputs: &Inputs<'_>, classes: &[Class], linkable: &[u32]) -> Vec<Trainee> {
    let months = ((inputs.config.last_year - inputs.config.first_year + 1) * 12) as usize;
    // Linkable certificates per occupation and month of issue.
    let mut buckets: Vec<Vec<Vec<u32>>> = vec![Vec::new(); inputs.occupations.len()];
    for &i in linkable {
        let c = &inputs.certs[i as usize];
        let per_month = &mut buckets[usize::from(c.occupation)];
        if per_month.is_empty() {
            *per_month = vec![Vec::new(); months];
        }
        let m = inputs.month_index(c.date).clamp(0, months as i64 - 1) as usize;
        per_month[m].push(i);
    }
    let mut groups: BTreeMap<u8, Vec<u32>> = BTreeMap::new();
    for (i, c) in classes.iter().enumerate() {
        groups.entry(c.occupation).or_default().push(i as u32);
    }
    let tasks: Vec<(u8, Vec<u32>, Vec<Vec<u32>>)> = groups
        .into_iter()
        .map(|(occupation, mut members)| {
            members.sort_by_key(|i| (classes[*i as usize].end, *i));
            let pool = buckets.get_mut(usize::from(occupation)).map(std::mem::take).unwrap_or_default();
            (occupation, members, pool)
        })
        .collect();
    let parts: Vec<Vec<Trainee>> = tasks
        .into_par_iter()
        .map(|(occupation, members, mut pool)| {
            let mut rng = Rng::derive(inputs.config.seed, 0x7C2A, u64::from(occupation));
            let mut rows = Vec::new();
            // The persons of the last subsidised class of this occupation, some of whom enrol again that year.
            let mut last_subsidised: Option<(i32, Vec<u32>)> = None;
            for &index in &members {
                let class = &classes[index as usize];
                let returners = match &last_subsidised {
                    Some((year, persons)) if class.subsidised && *year == class.end.year() => persons.as_slice(),
                    _ => &[],
                };
                let seated = seat_class(inputs, &mut rng, class, index, &mut pool, returners, &mut rows);
                if class.subsidised {
                    last_subsidised = Some((class.end.year(), seated));
                }
            }
            rows
        })
        .collect();
    parts.concat()
}

/// Seats one class; returns the persons seated.
fn seat_class(
    inputs: &Inputs<'_>,
    rng: &mut Rng,
    class: &Class,
    index: u32,
    pool: &mut [Vec<u32>],
    returners: &[u32],
    rows: &mut Vec<Trainee>,
) -> Vec<u32> {
    let provider = &inputs.providers[usize::from(class.provider)];
    let has_voucher_column = provider.style.has(TrainingField::Voucher);
    let mut members: Vec<u32> = Vec::with_capacity(usize::from(class.size));
    for _ in 0..class.size {
        let linked = match class.link {
            Some((from, to)) if rng.chance(LINKED_SEAT_SHARE) => {
                draw_linked(inputs, rng, pool, from, to, class, &members)
            }
            _ => None,
        };
        let Some(person) = linked.or_else(|| draw_unlinked(inputs, rng, class, &members, returners)) else {
            continue;
        };
        let outcome =
            if linked.is_some() { rng.weighted(&[0.95, 0.04, 0.01]) } else { rng.weighted(&[0.80, 0.08, 0.12]) };
        let subsidised = class.subsidised && rng.chance(0.95);
        let satisfaction = match class.satisfaction {
            NO_SATISFACTION => NO_SATISFACTION,
            _ if rng.chance(0.03) => NO_SATISFACTION,
            base if rng.chance(0.3) => {
                // Some trainees rate the class higher than the lowest; in whole per cents unless the provider
                // writes decimals.
                let bump = if base % 10 == 0 { 10 * rng.between(1, 5) } else { rng.between(1, 50) };
                (base + bump as u16).min(1000)
            }
            base => base,
        };
        rows.push(Trainee {
            person,
            class: index,
            seat: members.len() as u16,
            outcome: outcome as u8,
            subsidised,
            voucher: subsidised && has_voucher_column && rng.chance(0.4),
            satisfaction,
            defect: 0,
            aux: 0,
        });
        members.push(person);
    }
    members
}

fn old_enough(inputs: &Inputs<'_>, person: u32, on: NaiveDate) -> bool {
    trainee(inputs.persons, inputs.others, person)
        .and_then(|p| age_on(p.birth, on))
        .is_some_and(|a| (16..=64).contains(&a))
}

/// A holder of a linkable certificate of the class's occupation issued between `from` and `to`, each certificate
/// used once.
fn draw_linked(
    inputs: &Inputs<'_>,
    rng: &mut Rng,
    pool: &mut [Vec<u32>],
    from: NaiveDate,
    to: NaiveDate,
    class: &Class,
    members: &[u32],
) -> Option<u32> {
    if pool.is_empty() {
        return None;
    }
    let last = pool.len() as i64 - 1;
    let (m0, m1) = (inputs.month_index(from).clamp(0, last) as usize, inputs.month_index(to).clamp(0, last) as usize);
    let total: usize = pool[m0..=m1].iter().map(Vec::len).sum();
    if total == 0 {
        return None;
    }
    for _attempt in 0..6 {
        let mut k = rng.index(total);
        let mut m = m0;
        while k >= pool[m].len() {
            k -= pool[m].len();
            m += 1;
        }
        let cert = &inputs.certs[pool[m][k] as usize];
        if cert.date < from || cert.date > to {
            continue;
        }
        if old_enough(inputs, cert.person, class.start) && !members.contains(&cert.person) {
            pool[m].swap_remove(k);
            return Some(cert.person);
        }
    }
    None
}

/// Someone trained without a certificate to show for it in the window: a returner from the last subsidised class
/// of the occupation now and then, else a certificate person or a person who holds none.
fn draw_unlinked(inputs: &Inputs<'_>, rng: &mut Rng, class: &Class, members: &[u32], returners: &[u32]) -> Option<u32> {
    let certified = inputs.persons.len() as u64;
    for _attempt in 0..8 {
        let person = if !returners.is_empty() && rng.chance(0.05) {
            *rng.pick(returners)
        } else if inputs.others.is_empty() || rng.chance(CERTIFIED_PERSON_SHARE) {
            rng.below(certified) as u32
        } else {
            (certified + rng.below(inputs.others.len() as u64)) as u32
        };
        if old_enough(inputs, person, class.start) && !members.contains(&person) {
            return Some(person);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_keep_or_break_the_sixty_percent_rule_on_purpose() {
        let mut rng = Rng::new(9);
        let (mut short, mut exactly_sixty, mut all) = (0, 0, 0);
        for kind in [Kind::Employment, Kind::Entrepreneurship, Kind::Apprenticeship, Kind::Other] {
            for _ in 0..2_000 {
                let (total, practical) = hours(&mut rng, kind);
                assert!(0 < practical && practical <= total, "{kind:?} {total} {practical}");
                all += 1;
                short += usize::from(u32::from(practical) * 10 < u32::from(total) * 6);
                exactly_sixty += usize::from(u32::from(practical) * 10 == u32::from(total) * 6);
            }
        }
        let share = short as f64 / all as f64;
        assert!((0.05..0.15).contains(&share), "practical-short share {share:.3}");
        assert!(exactly_sixty > 0, "classes at exactly 60% occur (and comply)");
    }

    #[test]
    fn sizes_are_mostly_within_eighty() {
        let mut rng = Rng::new(4);
        let sizes: Vec<u16> = (0..10_000).map(|_| class_size(&mut rng)).collect();
        let over = sizes.iter().filter(|s| **s > 80).count();
        assert!((200..600).contains(&over), "{over} of 10,000 over 80");
        assert!(sizes.contains(&80) && sizes.contains(&81));
        assert!(sizes.iter().all(|s| (8..=120).contains(s)));
    }

    #[test]
    fn a_trainee_index_past_the_certificate_persons_is_a_person_without_certificate() {
        let birth = NaiveDate::from_ymd_opt(1990, 1, 1).expect("date");
        let persons = [Person { id: *b"11010519491231002X", birth }];
        let others = [Person { id: *b"440524188001010014", birth }];
        assert_eq!(trainee(&persons, &others, 0).map(|p| p.id), Some(persons[0].id));
        assert_eq!(trainee(&persons, &others, 1).map(|p| p.id), Some(others[0].id));
        assert!(trainee(&persons, &others, 2).is_none());
    }
}
