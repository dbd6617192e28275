//! Synthetic evaluation agencies: type mix, reporting unit, registration, activity, and the house style of the
//! files each one sends (format, encoding, header spellings, value spellings and quirks).

use crate::config::Config;
use crate::encode::{self, RegistryRow};
use crate::reference::{self, BRANDS, INDUSTRIES, UNIT_WEIGHTS};
use crate::rng::Rng;
use crate::style::{self, Column};
use chrono::{Datelike, Days, NaiveDate};
use skillhouse_model::AgencyType;
use std::collections::BTreeSet;

/// Pingdingshan's agency mix at the end of 2023 (seed 004): 127 enterprise, 26 college, 43 social, 24 special
/// competence, of 220.
const TYPE_MIX: [(AgencyType, f64); 4] = [
    (AgencyType::Enterprise, 127.0),
    (AgencyType::College, 26.0),
    (AgencyType::Social, 43.0),
    (AgencyType::SpecialCompetence, 24.0),
];

/// Folder id of the agency that sends files without being in the registry (`unknown_agency`).
pub(crate) const UNREGISTERED_ID: &str = "A99999";
/// Its 4-digit code.
pub(crate) const UNREGISTERED_CODE: u16 = 9999;

/// A canonical input field (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    IdNumber,
    Name,
    CertNo,
    CertType,
    OccupationCode,
    OccupationName,
    Level,
    IssueDate,
    AgencyId,
    Programme,
}

impl Field {
    /// Canonical column order.
    pub(crate) const ALL: [Field; 10] = [
        Self::Name,
        Self::IdNumber,
        Self::CertType,
        Self::OccupationCode,
        Self::OccupationName,
        Self::Level,
        Self::CertNo,
        Self::IssueDate,
        Self::AgencyId,
        Self::Programme,
    ];

    /// The header spellings of DESIGN §4.
    pub(crate) const fn spellings(self) -> &'static [&'static str] {
        match self {
            Self::IdNumber => &["身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number"],
            Self::Name => &["姓名", "name"],
            Self::CertNo => &["证书编号", "证书号", "cert_no"],
            Self::CertType => &["证书类型", "证书种类", "cert_type"],
            Self::OccupationCode => &["职业编码", "职业代码", "occupation_code"],
            Self::OccupationName => &["职业名称", "职业（工种）", "occupation_name"],
            Self::Level => &["等级", "技能等级", "职业技能等级", "level"],
            Self::IssueDate => &["发证日期", "发证时间", "颁证日期", "issue_date"],
            Self::AgencyId => &["评价机构代码", "机构代码", "agency_id"],
            Self::Programme => &["专项", "培训专项", "programme"],
        }
    }

    /// Optional columns an agency may leave out.
    const fn optional(self) -> bool {
        matches!(self, Self::Name | Self::OccupationName | Self::AgencyId | Self::Programme)
    }
}

/// The level spellings, in the order of [`CertValues::level_style`].
pub(crate) const LEVEL_STYLES: [&str; 7] = ["五级/初级工", "初级工", "五级", "5", "l5", "L5", "五级（初级工）"];

/// How an agency spells the values of certificate files.
#[derive(Debug, Clone)]
pub(crate) struct CertValues {
    /// Index into [`LEVEL_STYLES`].
    pub level_style: usize,
    /// 0: Chinese names, 1: codes, 2: either, row by row.
    pub cert_type_style: u8,
}

/// The house style of an agency's certificate files.
pub(crate) type Style = style::Style<Field, CertValues>;

impl Column for Field {
    fn spellings(self) -> &'static [&'static str] {
        Field::spellings(self)
    }
    fn is_id_number(self) -> bool {
        self == Self::IdNumber
    }
}

/// A random certificate-file style for the agency in registry position `slot`.
fn cert_style(rng: &mut Rng, slot: usize, force_agency_column: bool) -> Style {
    let columns = |rng: &mut Rng| {
        let mut columns: Vec<(Field, &'static str)> = Vec::new();
        for field in Field::ALL {
            let present = match field {
                Field::AgencyId if force_agency_column => true,
                Field::AgencyId => rng.chance(0.5),
                Field::Programme => rng.chance(0.85),
                Field::Name => rng.chance(0.75),
                Field::OccupationName => rng.chance(0.6),
                _ => !field.optional() || rng.chance(0.5),
            };
            if present {
                columns.push((field, *rng.pick(field.spellings())));
            }
        }
        columns
    };
    let values = |rng: &mut Rng, slot: usize| CertValues {
        level_style: if slot < 14 { (slot * 3 + 1) % LEVEL_STYLES.len() } else { rng.index(LEVEL_STYLES.len()) },
        cert_type_style: rng.below(3) as u8,
    };
    Style::random(rng, slot, columns, values)
}

/// A registered (or, for `unknown_agency`, unregistered) evaluation agency.
#[derive(Debug, Clone)]
pub(crate) struct Agency {
    /// Folder name and registry id, `A` + 5 digits.
    pub id: String,
    /// The 4-digit code inside certificate numbers.
    pub code: u16,
    /// Synthetic Chinese name.
    pub name: String,
    pub agency_type: AgencyType,
    /// Index into [`ReportingUnit::UNITS`].
    pub unit: usize,
    pub registered_on: NaiveDate,
    /// First day it may issue certificates (the first of the month after registration).
    pub active_from: NaiveDate,
    /// Relative size among agencies of its type.
    pub weight: f64,
    /// Calendar months (bit 0 = January) in which it holds evaluations.
    pub month_mask: u16,
    /// 6-digit evaluation-site sequence in its 22-character numbers.
    pub site: u32,
    pub style: Style,
}

/// Splits `n` agencies over the four types in the Pingdingshan proportions (largest remainder, at least one each).
pub(crate) fn type_counts(n: u32) -> [u32; 4] {
    let total: f64 = TYPE_MIX.iter().map(|(_, w)| w).sum();
    let exact: Vec<f64> = TYPE_MIX.iter().map(|(_, w)| f64::from(n) * w / total).collect();
    let mut counts: [u32; 4] = std::array::from_fn(|i| (exact[i].floor() as u32).max(1));
    let mut order: Vec<usize> = (0..4).collect();
    order.sort_by(|a, b| (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor())).then(a.cmp(b)));
    let mut k = 0;
    while counts.iter().sum::<u32>() < n {
        counts[order[k % 4]] += 1;
        k += 1;
    }
    while counts.iter().sum::<u32>() > n {
        // Only when the minimum of one per type overshoots: take from the largest.
        let largest = (0..4).max_by_key(|i| (counts[*i], std::cmp::Reverse(*i))).unwrap_or(0);
        counts[largest] -= 1;
    }
    counts
}

fn name_for(rng: &mut Rng, agency_type: AgencyType, unit: usize) -> String {
    let city = reference::unit_short_name(unit);
    let brand = rng.pick(&BRANDS);
    match agency_type {
        AgencyType::Enterprise => {
            let suffix = rng.pick(&["有限公司", "股份有限公司", "集团有限公司"]);
            format!("{city}{brand}{}{suffix}", rng.pick(&INDUSTRIES))
        }
        AgencyType::College => {
            let kind = rng.pick(&["技师学院", "高级技工学校", "职业技术学院", "工业学校", "交通技师学院"]);
            if rng.chance(0.5) { format!("{city}{kind}") } else { format!("{city}{brand}{kind}") }
        }
        AgencyType::Social => {
            let kind = rng.pick(&["职业技能培训学校", "人力资源服务有限公司", "职业技能评价中心", "职业培训学校"]);
            format!("{city}{brand}{kind}")
        }
        AgencyType::SpecialCompetence => {
            let kind = rng.pick(&["专项职业能力考核站", "专项职业能力考核中心"]);
            format!("{city}{brand}{kind}")
        }
    }
}

fn random_date(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + Days::new(rng.between(0, span) as u64)
}

fn first_of_next_month(date: NaiveDate) -> NaiveDate {
    let (y, m) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(date)
}

fn month_mask(rng: &mut Rng, agency_type: AgencyType, anchor: bool) -> u16 {
    if anchor {
        return 0x0FFF;
    }
    let (mut mask, extra) = match agency_type {
        AgencyType::Enterprise => (0u16, rng.between(8, 12)),
        // Colleges certify their graduates in winter and summer.
        AgencyType::College => (1 | 1 << 5 | 1 << 6 | 1 << 11, rng.between(0, 4)),
        AgencyType::Social => (0, rng.between(6, 12)),
        AgencyType::SpecialCompetence => (0, rng.between(4, 9)),
    };
    let mut months: Vec<u16> = (0..12).collect();
    for i in (1..12).rev() {
        months.swap(i, rng.index(i + 1));
    }
    for m in months.into_iter().take(extra as usize) {
        mask |= 1 << m;
    }
    mask
}

/// Generates the registry: `config.resolved_agencies()` agencies, ids `A10001`…, in id order.
pub(crate) fn generate(config: &Config) -> Vec<Agency> {
    let n = config.resolved_agencies();
    let mut rng = Rng::derive(config.seed, 0xA6E1, 0);
    let counts = type_counts(n);
    let mut types: Vec<AgencyType> =
        TYPE_MIX.iter().zip(counts).flat_map(|((t, _), c)| std::iter::repeat_n(*t, c as usize)).collect();
    for i in (1..types.len()).rev() {
        types.swap(i, rng.index(i + 1));
    }
    let start = config.start_date();
    let end = config.end_date();
    let early_from = NaiveDate::from_ymd_opt(config.first_year - 9, 1, 1).unwrap_or(start);
    let before_start = start - Days::new(45);
    let mut seen_types = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(types.len());
    for (i, agency_type) in types.into_iter().enumerate() {
        let mut arng = Rng::derive(config.seed, 0xA6E2, i as u64);
        // The first agency of each type is an "anchor": registered before the first year and active every month,
        // so that every certificate type always has an agency to come from.
        let anchor = seen_types.insert(agency_type.code());
        let unit = arng.weighted(&UNIT_WEIGHTS);
        let registered_on = if anchor || arng.chance(0.65) {
            random_date(&mut arng, early_from, before_start)
        } else {
            random_date(&mut arng, start, if (end - start).num_days() > 120 { end - Days::new(90) } else { start })
        };
        let mut name = name_for(&mut arng, agency_type, unit);
        for attempt in 0..20 {
            if !names.contains(&name) {
                break;
            }
            name = if attempt < 10 { name_for(&mut arng, agency_type, unit) } else { format!("{name}{i}") };
        }
        names.insert(name.clone());
        let weight = if agency_type == AgencyType::Enterprise && arng.chance(0.1) {
            3.0 + arng.unit() * 3.0
        } else {
            0.4 + arng.unit() * 1.6
        };
        let force_agency_column = anchor && agency_type == AgencyType::Enterprise;
        out.push(Agency {
            id: format!("A{:05}", 10_001 + i),
            code: 1000 + ((i as u32 * 7919) % MAX_CODES) as u16,
            name,
            agency_type,
            unit,
            registered_on,
            active_from: first_of_next_month(registered_on),
            weight,
            month_mask: month_mask(&mut arng, agency_type, anchor),
            site: 1 + arng.below(999) as u32,
            style: cert_style(&mut arng, i, force_agency_column),
        });
    }
    out
}

const MAX_CODES: u32 = crate::config::MAX_AGENCIES;

/// The agency whose folder is not in the registry (all its rows are `unknown_agency`).
pub(crate) fn unregistered(config: &Config) -> Agency {
    let mut rng = Rng::derive(config.seed, 0xA6E3, 0);
    let unit = rng.weighted(&UNIT_WEIGHTS);
    let mut style = cert_style(&mut rng, 99, false);
    style.columns.retain(|(f, _)| *f != Field::AgencyId);
    Agency {
        id: UNREGISTERED_ID.to_string(),
        code: UNREGISTERED_CODE,
        name: name_for(&mut rng, AgencyType::Social, unit),
        agency_type: AgencyType::Social,
        unit,
        registered_on: config.start_date(),
        active_from: config.start_date(),
        weight: 1.0,
        month_mask: 0x0FFF,
        site: 1,
        style,
    }
}

/// The registry file `agencies.csv`: agency_id,name,agency_type,region_code,registered_on.
pub(crate) fn registry_csv(agencies: &[Agency], seed: u64) -> String {
    let rows = agencies.iter().map(|a| RegistryRow {
        id: &a.id,
        name: &a.name,
        type_names: (a.agency_type.name_zh(), a.agency_type.code()),
        unit: a.unit,
        registered_on: a.registered_on,
    });
    let header = "agency_id,name,agency_type,region_code,registered_on";
    encode::registry_csv(header, rows, &mut Rng::derive(seed, 0xA6E4, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_mix_follows_pingdingshan() {
        assert_eq!(type_counts(220), [127, 26, 43, 24]);
        assert_eq!(type_counts(10).iter().sum::<u32>(), 10);
        assert_eq!(type_counts(4), [1, 1, 1, 1]);
        let c = type_counts(10);
        assert!(c[0] >= 5, "enterprises dominate: {c:?}");
    }

    #[test]
    fn registry_is_unique_and_complete() {
        let config = Config { persons: 50_000, ..Config::default() };
        let agencies = generate(&config);
        assert_eq!(agencies.len() as u32, config.resolved_agencies());
        let ids: BTreeSet<&str> = agencies.iter().map(|a| a.id.as_str()).collect();
        let codes: BTreeSet<u16> = agencies.iter().map(|a| a.code).collect();
        let names: BTreeSet<&str> = agencies.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(ids.len(), agencies.len());
        assert_eq!(codes.len(), agencies.len());
        assert_eq!(names.len(), agencies.len());
        assert!(codes.iter().all(|c| (1000..UNREGISTERED_CODE).contains(c)));
        for t in AgencyType::ALL {
            assert!(agencies.iter().any(|a| a.agency_type == t && a.registered_on < config.start_date()));
        }
    }
}
