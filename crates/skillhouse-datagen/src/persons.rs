//! Persons and their certificate histories: who they are (ID, birth, home city), which certificates they obtain
//! over the years (levels climbing, different agencies and cities, the odd enterprise appointment), which of
//! those are repeated claims, and which rows an agency got wrong (injected defects).
//!
//! Calibration (DESIGN §14): among each year's new level-bearing certificates 38–50% are at 高级工 or above, and
//! the high-skilled share of the stock rises toward ~35% by the last year. The parameters below were tuned by
//! measurement (see the calibration section of every manifest).

use crate::agency::{Agency, Field};
use crate::config::Config;
use crate::picker::{Candidate, Picker};
use crate::reference::{self, OTHER_PROVINCE_HUKOU, Occupation, UNIT_WEIGHTS};
use crate::rng::Rng;
use chrono::{Datelike, Days, Months, NaiveDate};
use skillhouse_model::{AgencyType, CertType, IdNumber, Level, Programme, RejectReason, age_on};

/// No occupation on the certificate.
pub(crate) const NO_OCCUPATION: u8 = u8::MAX;
/// No programme tag.
pub(crate) const NO_PROGRAMME: u8 = u8::MAX;
/// Flag: a repeated claim (valid; flagged `duplicate_claim` later).
pub(crate) const REPEAT: u8 = 1;
/// Flag: the original of a repeated claim (must stay valid).
pub(crate) const PROTECTED: u8 = 2;

/// A synthetic person.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Person {
    /// The normalised 18-character ID.
    pub id: [u8; 18],
    pub birth: NaiveDate,
}

/// One certificate row as planned; its number is derived from (agency, type, year, level, serial) when written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cert {
    pub person: u32,
    pub date: NaiveDate,
    /// Index into the registry, or `u16::MAX` for the unregistered agency.
    pub agency: u16,
    pub occupation: u8,
    /// Level rank (1 = l5 … 7 = chief), 0 for none.
    pub level: u8,
    /// Index into [`CertType::ALL`].
    pub cert_type: u8,
    /// Index into [`Programme::ALL`], or [`NO_PROGRAMME`].
    pub programme: u8,
    /// Position in the person's history (a tie-break for sorting).
    pub ord: u8,
    /// 0 for a valid row, else 1 + the index of the injected reason in [`RejectReason::ALL`].
    pub defect: u8,
    /// [`REPEAT`] / [`PROTECTED`].
    pub flags: u8,
    /// Serial within (agency, type, year, level), assigned after sorting.
    pub serial: u32,
    /// For `duplicate_cert_no`: the index (in sorted order) of the valid row whose number it repeats.
    pub aux: u32,
}

impl Cert {
    pub(crate) fn cert_type(&self) -> CertType {
        CertType::ALL[usize::from(self.cert_type)]
    }
    pub(crate) fn level(&self) -> Option<Level> {
        Level::from_rank(self.level)
    }
    pub(crate) fn reason(&self) -> Option<RejectReason> {
        self.defect.checked_sub(1).map(|i| RejectReason::ALL[usize::from(i)])
    }
    pub(crate) fn set_reason(&mut self, reason: Option<RejectReason>) {
        self.defect = reason.map_or(0, |r| RejectReason::ALL.iter().position(|x| *x == r).unwrap_or(0) as u8 + 1);
    }
    /// Whether the number must follow the 22-character rule (skill_level at l5–l1).
    pub(crate) fn has_22_char_number(&self) -> bool {
        self.cert_type() == CertType::SkillLevel && (1..=5).contains(&self.level)
    }
    pub(crate) fn is_clean(&self) -> bool {
        self.defect == 0 && self.flags & REPEAT == 0
    }
}

fn type_index(t: CertType) -> u8 {
    CertType::ALL.iter().position(|x| *x == t).unwrap_or(0) as u8
}

pub(crate) fn programme_index(p: Programme) -> u8 {
    Programme::ALL.iter().position(|x| *x == p).unwrap_or(0) as u8
}

fn type_slot(t: AgencyType) -> usize {
    AgencyType::ALL.iter().position(|x| *x == t).unwrap_or(0)
}

/// The picker of issuing agencies: by month (registration and evaluation months), type and reporting unit.
fn agency_picker(config: &Config, agencies: &[Agency]) -> Picker {
    let candidates: Vec<Candidate> = agencies
        .iter()
        .map(|a| Candidate {
            type_slot: type_slot(a.agency_type),
            unit: a.unit,
            active_from: a.active_from,
            weight: a.weight,
            month_mask: a.month_mask,
        })
        .collect();
    Picker::new(config, AgencyType::ALL.len(), &candidates)
}

/// Everything person generation reads.
pub(crate) struct Context<'a> {
    pub config: &'a Config,
    pub agencies: &'a [Agency],
    pub occupations: &'a [Occupation],
    pub picker: Picker,
    /// Cumulative occupation weights.
    occupation_cumulative: Vec<f64>,
    /// Occupations offering each level l5..l1 (index rank - 1).
    offering: [Vec<u8>; 5],
    start: NaiveDate,
    end: NaiveDate,
}

impl<'a> Context<'a> {
    pub(crate) fn new(config: &'a Config, agencies: &'a [Agency], occupations: &'a [Occupation]) -> Self {
        let mut acc = 0.0;
        let occupation_cumulative = occupations
            .iter()
            .map(|o| {
                acc += o.weight;
                acc
            })
            .collect();
        let offering = std::array::from_fn(|i| {
            let level = Level::from_rank(i as u8 + 1).unwrap_or(Level::L5);
            occupations.iter().enumerate().filter(|(_, o)| o.offers(level)).map(|(j, _)| j as u8).collect()
        });
        Self {
            config,
            agencies,
            occupations,
            picker: agency_picker(config, agencies),
            occupation_cumulative,
            offering,
            start: config.start_date(),
            end: config.end_date(),
        }
    }

    fn occupation_offering(&self, rng: &mut Rng, rank: u8) -> u8 {
        let list = &self.offering[usize::from(rank.clamp(1, 5) - 1)];
        if list.is_empty() { 0 } else { *rng.pick(list) }
    }

    fn offers(&self, occupation: u8, rank: u8) -> bool {
        Level::from_rank(rank).is_some_and(|l| self.occupations[usize::from(occupation)].offers(l))
    }
}

/// Persons per parallel chunk (fixed, so output never depends on the number of threads).
pub(crate) const CHUNK: u64 = 8192;

/// Generates persons `first..first+count` with their certificates.
pub(crate) fn generate_chunk(ctx: &Context<'_>, chunk: u64) -> (Vec<Person>, Vec<Cert>) {
    let first = chunk * CHUNK;
    let count = CHUNK.min(ctx.config.persons.saturating_sub(first));
    let mut rng = Rng::derive(ctx.config.seed, 0x9E50, chunk);
    let mut persons = Vec::with_capacity(count as usize);
    let mut certs = Vec::with_capacity(count as usize * 3 / 2 + 16);
    for i in 0..count {
        let index = (first + i) as u32;
        let person = person(ctx, &mut rng, index, &mut certs);
        persons.push(person);
    }
    (persons, certs)
}

fn birth_date(rng: &mut Rng, latest_year: i32) -> NaiveDate {
    // Certificate earners are young: a quarter born 2000–2007, a third in the 1990s, the rest 1965–1989.
    let buckets = [(2000, 2007, 0.25), (1990, 1999, 0.35), (1980, 1989, 0.22), (1965, 1979, 0.18)];
    let b = buckets[rng.weighted(&buckets.map(|(_, _, w)| w))];
    let year = rng.between(i64::from(b.0), i64::from(b.1.min(latest_year).max(b.0))) as i32;
    let day = rng.between(0, 364) as u64;
    NaiveDate::from_ymd_opt(year, 1, 1).map_or(NaiveDate::MIN, |d| d + Days::new(day))
}

/// The first day on which someone born on `birth` is 16 (周岁) — one day after the 16th anniversary as chrono
/// computes it, which is safe for 29 February birthdays too.
pub(crate) fn sixteenth_birthday(birth: NaiveDate) -> NaiveDate {
    birth.checked_add_months(Months::new(192)).map_or(NaiveDate::MAX, |d| d + Days::new(1))
}

fn random_date(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + Days::new(rng.between(0, span) as u64)
}

/// Certificate types: 67% skill_level, 5% qualification, 9% special_operation, 9% special_equipment,
/// 4.5% special_competence, 5.5% training (training + special competence ≈ 10%, the cap of the 2022 plan).
/// The permits' share keeps the high-skilled share of the stock near the public figures (§14).
const TYPE_WEIGHTS: [f64; 6] = [0.05, 0.67, 0.09, 0.09, 0.045, 0.055];

/// First level of a person's first level-bearing certificate (l5, l4, l3, l2, l1), by years since the first year.
fn first_level(rng: &mut Rng, years_in: i32, age: u32) -> u8 {
    // Later years hold more people climbing from an earlier certificate (more so toward the end, since later
    // certificates of a history crowd there), so first certificates start lower over time to keep each year's
    // share at or above l3 near the middle of 38–50%. Measured, not derived: see the manifest's calibration.
    let k = f64::from(years_in.clamp(0, 4));
    let shift = (0.0155 * k * k).min(0.21);
    let mut weights = [0.28 + shift, 0.26, 0.31 - shift * 0.6, 0.11 - shift * 0.3, 0.04 - shift * 0.1];
    if age < 20 {
        weights = [0.6, 0.3, 0.1, 0.0, 0.0];
    }
    rng.weighted(&weights.map(|w: f64| w.max(0.0))) as u8 + 1
}

/// Agency-type weights for a certificate (enterprise, college, social, special competence). For skill-level
/// certificates they follow the 2022 evaluation targets by agency type (seed 001): enterprises 1.2M (440k at ≥l3),
/// colleges 0.8M (310k), social organisations 0.4M (50k).
fn agency_types_for(cert_type: CertType, rank: u8) -> [f64; 4] {
    match cert_type {
        CertType::SkillLevel if rank >= 6 => [1.0, 0.0, 0.0, 0.0],
        CertType::SkillLevel if rank >= 3 => [440.0, 310.0, 50.0, 0.0],
        CertType::SkillLevel => [760.0, 490.0, 350.0, 0.0],
        CertType::Qualification => [0.0, 0.5, 0.5, 0.0],
        CertType::SpecialOperation | CertType::SpecialEquipment => [0.0, 0.0, 1.0, 0.0],
        CertType::SpecialCompetence => [0.0, 0.0, 0.0, 1.0],
        CertType::Training => [0.0, 0.3, 0.4, 0.3],
    }
}

fn programme_for(ctx: &Context<'_>, rng: &mut Rng, cert: &Cert, age: u32) -> u8 {
    if !rng.chance(0.70) {
        return NO_PROGRAMME;
    }
    let agency_type = ctx.agencies.get(usize::from(cert.agency)).map(|a| a.agency_type);
    let occupation = ctx.occupations.get(usize::from(cert.occupation)).and_then(|o| o.programme);
    let p = match (cert.cert_type(), occupation) {
        (CertType::SpecialOperation | CertType::SpecialEquipment, _) => {
            if rng.chance(0.6) {
                Programme::SafeHenan
            } else {
                Programme::TransportAndWater
            }
        }
        (CertType::SpecialCompetence, _) => {
            if rng.chance(0.5) {
                Programme::Agriculture
            } else {
                Programme::KeyGroups
            }
        }
        (_, None) => *rng.pick(&[Programme::KeyGroups, Programme::Youth, Programme::Agriculture]),
        (_, Some(own)) => {
            let r = rng.unit();
            if r < 0.62 {
                own
            } else if r < 0.72 && age <= 35 {
                Programme::Youth
            } else if r < 0.80 && agency_type == Some(AgencyType::College) {
                Programme::Colleges
            } else if r < 0.80 && agency_type == Some(AgencyType::Enterprise) {
                Programme::PrivateEnterprises
            } else if r < 0.86 {
                Programme::SkillsCompetitions
            } else if r < 0.93 {
                Programme::KeyGroups
            } else {
                own.top_level()
            }
        }
    };
    programme_index(p)
}

/// A new person who is 16 by `end` at the latest, and the index of their home reporting unit (most IDs are from
/// there; some from elsewhere in Henan or another province).
pub(crate) fn identity(rng: &mut Rng, start: NaiveDate, end: NaiveDate) -> (Person, usize) {
    let latest_birth_year = end.year() - 16;
    let mut birth = birth_date(rng, latest_birth_year);
    if sixteenth_birthday(birth).max(start) > end {
        birth = NaiveDate::from_ymd_opt(latest_birth_year - 1, 1, 1 + rng.below(28) as u32).unwrap_or(birth);
    }
    let home = rng.weighted(&UNIT_WEIGHTS);
    let r = rng.unit();
    let hukou = if r < 0.85 {
        reference::hukou_code(home, rng.index(9))
    } else if r < 0.92 {
        reference::hukou_code(rng.index(18), rng.index(9))
    } else {
        rng.pick(&OTHER_PROVINCE_HUKOU).to_string()
    };
    let sequence = rng.below(1000) as u16;
    let mut id = [b'0'; 18];
    if let Ok(parsed) = IdNumber::from_parts(&hukou, birth, sequence) {
        id.copy_from_slice(parsed.expose().as_bytes());
    }
    (Person { id, birth }, home)
}

fn person(ctx: &Context<'_>, rng: &mut Rng, index: u32, certs: &mut Vec<Cert>) -> Person {
    let (person, home) = identity(rng, ctx.start, ctx.end);
    let birth = person.birth;
    let earliest = sixteenth_birthday(birth).max(ctx.start);

    let n = [1usize, 2, 3, 4][rng.weighted(&[0.62, 0.27, 0.08, 0.03])];
    let mut dates: Vec<NaiveDate> = (0..n).map(|_| random_date(rng, earliest, ctx.end)).collect();
    dates.sort_unstable();
    let main_occupation = rng.cumulative(&ctx.occupation_cumulative) as u8;
    let first_cert = certs.len();
    let mut held: Vec<(u8, u8)> = Vec::new();
    let mut last_level: Option<(u8, u8)> = None;
    for (k, date) in dates.into_iter().enumerate() {
        let age = age_on(birth, date).unwrap_or(16);
        let mut cert_type = CertType::ALL[rng.weighted(&TYPE_WEIGHTS)];
        let mut occupation = NO_OCCUPATION;
        let mut level = 0u8;
        if cert_type.bears_level() {
            match choose_level(ctx, rng, last_level, main_occupation, &held, date, age) {
                Some((occ, rank)) => {
                    occupation = occ;
                    level = rank;
                    held.push((occ, rank));
                    last_level = Some((occ, rank));
                }
                None => cert_type = CertType::SpecialOperation,
            }
        } else if cert_type == CertType::Training && rng.chance(0.5) {
            occupation = main_occupation;
        }
        push_cert(ctx, rng, certs, index, k as u8, date, cert_type, occupation, level, home, age);
    }
    // The odd enterprise appointment to 特级技师, rarer still 首席技师 (enterprises only).
    if let Some((occ, rank)) = last_level
        && rank >= 4
        && rng.chance(if rank == 5 { 0.10 } else { 0.03 })
    {
        let after = certs.last().map_or(ctx.start, |c| c.date) + Days::new(30);
        if after < ctx.end {
            let date = random_date(rng, after, ctx.end);
            let age = age_on(birth, date).unwrap_or(30);
            push_cert(ctx, rng, certs, index, 8, date, CertType::SkillLevel, occ, 6, home, age);
            let after = date + Days::new(60);
            if rng.chance(0.12) && after < ctx.end {
                let date = random_date(rng, after, ctx.end);
                push_cert(ctx, rng, certs, index, 9, date, CertType::SkillLevel, occ, 7, home, age);
            }
        }
    }
    mark_repeats_and_defects(ctx, rng, certs, first_cert, index, home, birth);
    person
}

#[allow(clippy::too_many_arguments)] // reason: one call site per certificate kind; a struct would only rename them
fn push_cert(
    ctx: &Context<'_>,
    rng: &mut Rng,
    certs: &mut Vec<Cert>,
    person: u32,
    ord: u8,
    date: NaiveDate,
    cert_type: CertType,
    occupation: u8,
    level: u8,
    home: usize,
    age: u32,
) {
    let agency = ctx.picker.pick(rng, date, &agency_types_for(cert_type, level), home);
    let mut cert = Cert {
        person,
        date,
        agency,
        occupation,
        level,
        cert_type: type_index(cert_type),
        programme: NO_PROGRAMME,
        ord,
        defect: 0,
        flags: 0,
        serial: 0,
        aux: 0,
    };
    cert.programme = programme_for(ctx, rng, &cert, age);
    certs.push(cert);
}

/// Next (occupation, level) of a person's level-bearing history: climbing in the same trade, or a neighbouring
/// level in another; never a pair already held (that would be a repeated claim, which is injected separately).
fn choose_level(
    ctx: &Context<'_>,
    rng: &mut Rng,
    last: Option<(u8, u8)>,
    main: u8,
    held: &[(u8, u8)],
    date: NaiveDate,
    age: u32,
) -> Option<(u8, u8)> {
    for _attempt in 0..6 {
        let (occ, rank) = match last {
            Some((occ, rank)) if rng.chance(0.8) => {
                let step = if rng.chance(0.15) { 2 } else { 1 };
                (occ, (rank + step).min(5))
            }
            Some((_, rank)) => {
                let rank = (i64::from(rank) + rng.between(0, 1)).clamp(1, 5) as u8;
                (ctx.occupation_offering(rng, rank), rank)
            }
            None => {
                let rank = first_level(rng, date.year() - ctx.config.first_year, age);
                (main, rank)
            }
        };
        let occ = if ctx.offers(occ, rank) { occ } else { ctx.occupation_offering(rng, rank) };
        if ctx.offers(occ, rank) && !held.contains(&(occ, rank)) {
            return Some((occ, rank));
        }
    }
    None
}

/// Row reasons injected into single rows (`unknown_agency` comes from the unregistered agency's folder).
pub(crate) fn row_reasons() -> impl Iterator<Item = RejectReason> {
    RejectReason::ALL.into_iter().filter(|r| *r != RejectReason::UnknownAgency)
}

/// Whether `reason` can be injected into `cert` so that it is the row's only defect.
pub(crate) fn eligible(ctx_agencies: &[Agency], cert: &Cert, reason: RejectReason) -> bool {
    use RejectReason as R;
    let level_bearing = cert.cert_type().bears_level();
    match reason {
        R::UnknownOccupation => level_bearing,
        R::LevelNotOffered => level_bearing && (1..=5).contains(&cert.level),
        R::AgencyMismatch => {
            ctx_agencies.len() > 1
                && ctx_agencies.get(usize::from(cert.agency)).is_some_and(|a| a.style.has(Field::AgencyId))
        }
        R::CertNoFormat | R::CertNoYearMismatch | R::CertNoLevelMismatch => cert.has_22_char_number(),
        R::UnknownAgency => false,
        _ => true,
    }
}

fn mark_repeats_and_defects(
    ctx: &Context<'_>,
    rng: &mut Rng,
    certs: &mut Vec<Cert>,
    first: usize,
    person: u32,
    home: usize,
    birth: NaiveDate,
) {
    let rate = ctx.config.defect_rate;
    if rate <= 0.0 {
        return;
    }
    // Repeated claims: the same person, occupation and level again, later, under another number.
    let end = certs.len();
    for i in first..end {
        let original = certs[i];
        if original.level == 0 || !rng.chance(rate * 0.25) {
            continue;
        }
        let after = original.date + Days::new(20);
        if after >= ctx.end {
            continue;
        }
        let date = random_date(rng, after, ctx.end);
        let age = age_on(birth, date).unwrap_or(30);
        let level = original.level;
        push_cert(
            ctx,
            rng,
            certs,
            person,
            10 + (i - first) as u8,
            date,
            original.cert_type(),
            original.occupation,
            level,
            home,
            age,
        );
        if let Some(last) = certs.last_mut() {
            last.flags = REPEAT;
        }
        certs[i].flags |= PROTECTED;
    }
    for cert in &mut certs[first..] {
        if cert.flags != 0 || !rng.chance(rate) {
            continue;
        }
        let options: Vec<RejectReason> = row_reasons().filter(|r| eligible(ctx.agencies, cert, *r)).collect();
        cert.set_reason(Some(*rng.pick(&options)));
    }
}

/// Makes every person's ID unique (a collision would silently merge two persons): bumps the sequence by 2
/// (keeping the gender) until the first 17 digits are unused.
pub(crate) fn make_ids_unique(persons: &mut [Person]) {
    make_ids_unique_after(&[], persons);
}

/// Makes the IDs of `persons` unique among themselves and against `existing` (whose IDs are unique and stay as
/// they are), as [`make_ids_unique`] does.
pub(crate) fn make_ids_unique_after(existing: &[Person], persons: &mut [Person]) {
    let key = |id: &[u8; 18]| -> u64 { id[..17].iter().fold(0, |acc, d| acc * 10 + u64::from(d - b'0')) };
    let mut seen = std::collections::HashSet::with_capacity(existing.len() + persons.len());
    seen.extend(existing.iter().map(|p| key(&p.id)));
    for p in persons.iter_mut() {
        loop {
            if seen.insert(key(&p.id)) {
                break;
            }
            let seq = u32::from(p.id[14] - b'0') * 100 + u32::from(p.id[15] - b'0') * 10 + u32::from(p.id[16] - b'0');
            let next = (seq + 2) % 1000;
            p.id[14] = b'0' + (next / 100) as u8;
            p.id[15] = b'0' + (next / 10 % 10) as u8;
            p.id[16] = b'0' + (next % 10) as u8;
            let mut first17 = [0u8; 17];
            first17.copy_from_slice(&p.id[..17]);
            p.id[17] = skillhouse_model::id_check_char(&first17) as u8;
        }
    }
}
