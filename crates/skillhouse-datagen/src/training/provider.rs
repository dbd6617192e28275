//! Synthetic training providers (DESIGN §16): type mix, reporting unit, registration, and the house style of
//! the trainee files each one sends — columns under the §16 header spellings, value spellings, and the format,
//! workbook layout and quirks shared with agencies ([`crate::style`]).

use super::vocab::ProviderType;
use crate::config::Config;
use crate::encode::{self, RegistryRow};
use crate::picker::{Candidate, Picker};
use crate::reference::{self, BRANDS, INDUSTRIES, UNIT_WEIGHTS};
use crate::rng::Rng;
use crate::style::{self, Column};
use chrono::{Datelike, Days, NaiveDate};
use std::collections::BTreeSet;

/// Folder id of the provider that sends files without being in the registry (`unknown_provider`).
pub(crate) const UNREGISTERED_ID: &str = "P99999";
/// Its 4-digit code.
const UNREGISTERED_CODE: u16 = 9999;

/// The type mix of providers (no public figure splits them; a judgement: social training schools are the most
/// numerous, then enterprises' own training centres, colleges, public training bases, online platforms).
const TYPE_MIX: [f64; 5] = [0.28, 0.17, 0.35, 0.12, 0.08];

/// A column of a training file (§16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrainingField {
    IdNumber,
    Name,
    ProviderId,
    ClassId,
    Kind,
    OccupationCode,
    OccupationName,
    Programme,
    Subsidised,
    Voucher,
    Organiser,
    StartDate,
    EndDate,
    HoursTotal,
    HoursPractical,
    Satisfaction,
    Result,
}

impl TrainingField {
    /// Canonical column order.
    const ALL: [TrainingField; 17] = [
        Self::Name,
        Self::IdNumber,
        Self::ClassId,
        Self::Kind,
        Self::OccupationCode,
        Self::OccupationName,
        Self::Programme,
        Self::StartDate,
        Self::EndDate,
        Self::HoursTotal,
        Self::HoursPractical,
        Self::Subsidised,
        Self::Voucher,
        Self::Organiser,
        Self::Satisfaction,
        Self::Result,
        Self::ProviderId,
    ];

    /// The required columns (§16): a row with one of them empty is `missing_field`.
    pub(crate) const REQUIRED: [TrainingField; 9] = [
        Self::IdNumber,
        Self::ClassId,
        Self::Kind,
        Self::Subsidised,
        Self::StartDate,
        Self::EndDate,
        Self::HoursTotal,
        Self::HoursPractical,
        Self::Result,
    ];

    /// How likely a provider's template has an optional column (required ones are always there).
    fn presence(self) -> f64 {
        match self {
            Self::Name => 0.75,
            Self::ProviderId => 0.5,
            Self::OccupationName => 0.5,
            Self::Programme => 0.8,
            Self::Voucher => 0.7,
            Self::Organiser => 0.6,
            Self::Satisfaction => 0.8,
            _ => 1.0,
        }
    }
}

impl Column for TrainingField {
    fn spellings(self) -> &'static [&'static str] {
        match self {
            Self::IdNumber => &["身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number"],
            Self::Name => &["姓名", "name"],
            Self::ProviderId => &["培训机构代码", "机构代码", "provider_id"],
            Self::ClassId => &["班级编号", "培训班号", "class_id"],
            Self::Kind => &["培训类型", "培训类别", "training_kind"],
            Self::OccupationCode => &["职业编码", "职业代码", "occupation_code"],
            Self::OccupationName => &["职业名称", "职业（工种）", "occupation_name"],
            Self::Programme => &["专项", "培训专项", "programme"],
            Self::Subsidised => &["是否补贴性培训", "补贴性培训", "subsidised"],
            Self::Voucher => &["培训券编号", "电子培训券号", "voucher_no"],
            Self::Organiser => &["组织单位", "组织单位类型", "organiser"],
            Self::StartDate => &["开班日期", "培训开始日期", "start_date"],
            Self::EndDate => &["结业日期", "培训结束日期", "end_date"],
            Self::HoursTotal => &["总课时", "培训课时", "hours_total"],
            Self::HoursPractical => &["实操课时", "hours_practical"],
            Self::Satisfaction => &["满意度", "satisfaction"],
            Self::Result => &["培训结果", "结业情况", "result"],
        }
    }

    fn is_id_number(self) -> bool {
        self == Self::IdNumber
    }
}

/// How a provider spells the values of its trainee files.
#[derive(Debug, Clone)]
pub(crate) struct TrainingValues {
    /// Training kind: 0 Chinese, 1 code, 2 either, row by row.
    pub kind_style: u8,
    /// Subsidised: 0 是/否, 1 yes/no, 2 1/0.
    pub subsidised_style: u8,
    /// Result: 0 Chinese, 1 code, 2 either, row by row.
    pub result_style: u8,
    /// Youth League organiser: 0 共青团, 1 团组织, 2 youth_league.
    pub organiser_style: u8,
    /// Satisfaction: 0 whole per cent, 1 whole with `%`, 2 one decimal.
    pub satisfaction_style: u8,
    /// Hours and satisfaction as numbers (numeric cells, JSON numbers) where the format has them.
    pub numbers: bool,
    /// Class numbers: 0 `2024012`, 1 `PX2024-012`, 2 `2024年第12期`, 3 code + yy + serial.
    pub class_id_style: u8,
}

/// The house style of a provider's trainee files.
pub(crate) type TrainingStyle = style::Style<TrainingField, TrainingValues>;

/// A registered (or, for `unknown_provider`, unregistered) training provider.
#[derive(Debug, Clone)]
pub(crate) struct Provider {
    /// Folder name and registry id, `P` + 5 digits.
    pub id: String,
    /// A 4-digit code, inside its voucher and class numbers.
    pub code: u16,
    /// Synthetic Chinese name.
    pub name: String,
    pub provider_type: ProviderType,
    /// Index into [`ReportingUnit::UNITS`].
    pub unit: usize,
    pub registered_on: NaiveDate,
    pub style: TrainingStyle,
    /// Relative size among providers of its type.
    weight: f64,
    /// First day it may run classes (the first of the month after registration).
    active_from: NaiveDate,
}

impl Provider {
    /// Its class number `serial` of year `year`, in its house spelling (unique per provider and year).
    pub(crate) fn class_id(&self, year: i32, serial: u32) -> String {
        match self.style.values.class_id_style {
            0 => format!("{year}{serial:03}"),
            1 => format!("PX{year}-{serial:03}"),
            2 => format!("{year}年第{serial}期"),
            _ => format!("{:04}{:02}{serial:04}", self.code, year.rem_euclid(100)),
        }
    }
}

fn training_style(rng: &mut Rng, slot: usize, force: bool) -> TrainingStyle {
    let columns = |rng: &mut Rng| {
        let mut columns = Vec::new();
        for field in TrainingField::ALL {
            // The first provider writes every column, so that even a small drop holds each (and rows that can
            // carry provider_mismatch and voucher_reused).
            if force || rng.chance(field.presence()) {
                columns.push((field, *rng.pick(field.spellings())));
            }
        }
        columns
    };
    let values = |rng: &mut Rng, slot: usize| TrainingValues {
        kind_style: rng.below(3) as u8,
        subsidised_style: if slot < 3 { slot as u8 } else { rng.below(3) as u8 },
        result_style: rng.below(3) as u8,
        organiser_style: if slot < 3 { slot as u8 } else { rng.below(3) as u8 },
        satisfaction_style: if slot < 3 { slot as u8 } else { rng.below(3) as u8 },
        numbers: rng.chance(0.6),
        class_id_style: (slot % 4) as u8,
    };
    style::Style::random(rng, slot, columns, values)
}

fn name_for(rng: &mut Rng, provider_type: ProviderType, unit: usize) -> String {
    let city = reference::unit_short_name(unit);
    let brand = rng.pick(&BRANDS);
    match provider_type {
        ProviderType::Enterprise => {
            let suffix = rng.pick(&["有限公司职工培训中心", "集团培训中心", "股份有限公司技能培训中心"]);
            format!("{city}{brand}{}{suffix}", rng.pick(&INDUSTRIES))
        }
        ProviderType::College => {
            let kind = rng.pick(&["技师学院", "高级技工学校", "职业技术学院", "职业中等专业学校"]);
            if rng.chance(0.5) { format!("{city}{kind}") } else { format!("{city}{brand}{kind}") }
        }
        ProviderType::Social => {
            let kind = rng.pick(&["职业培训学校", "职业技能培训学校", "培训学校"]);
            format!("{city}{brand}{kind}")
        }
        ProviderType::Public => {
            let kind = rng.pick(&["公共实训基地", "公共实训中心", "高技能人才公共实训基地"]);
            if rng.chance(0.5) { format!("{city}{kind}") } else { format!("{city}{brand}{kind}") }
        }
        ProviderType::Online => {
            let kind = rng.pick(&["在线学习平台", "网络科技有限公司", "职业技能线上平台"]);
            format!("{brand}{}{kind}", rng.pick(&INDUSTRIES))
        }
    }
}

fn first_of_next_month(date: NaiveDate) -> NaiveDate {
    let (y, m) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(date)
}

/// The number of providers: √persons ÷ 3.5 within 10..=400.
pub(crate) fn count(config: &Config) -> u32 {
    ((config.persons as f64).sqrt() / 3.5).round().clamp(10.0, 400.0) as u32
}

/// Generates the registry: [`count`] providers, ids `P20001`…, in id order.
pub(crate) fn generate(config: &Config) -> Vec<Provider> {
    let n = count(config) as usize;
    let mut rng = Rng::derive(config.seed, 0x7A01, 0);
    let start = config.start_date();
    let end = config.end_date();
    let early_from = NaiveDate::from_ymd_opt(config.first_year - 8, 1, 1).unwrap_or(start);
    let before_start = start - Days::new(45);
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // The first five are one of each type, registered before the first year ("anchors"), so that every type
        // always has a provider to run its classes.
        let anchor = i < ProviderType::ALL.len();
        let provider_type = if anchor { ProviderType::ALL[i] } else { ProviderType::ALL[rng.weighted(&TYPE_MIX)] };
        let mut prng = Rng::derive(config.seed, 0x7A02, i as u64);
        let unit = prng.weighted(&UNIT_WEIGHTS);
        let registered_on = if anchor || prng.chance(0.7) {
            random_date(&mut prng, early_from, before_start)
        } else {
            random_date(&mut prng, start, if (end - start).num_days() > 120 { end - Days::new(90) } else { start })
        };
        let mut name = name_for(&mut prng, provider_type, unit);
        if names.contains(&name) {
            name = format!("{name}{}", i + 1);
        }
        names.insert(name.clone());
        let weight = 0.4 + prng.unit() * 1.6;
        out.push(Provider {
            id: format!("P{:05}", 20_001 + i),
            code: 1000 + ((i as u32 * 7919) % 8000) as u16,
            name,
            provider_type,
            unit,
            registered_on,
            style: training_style(&mut prng, i, i == 0),
            weight,
            active_from: first_of_next_month(registered_on),
        });
    }
    out
}

fn random_date(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + Days::new(rng.between(0, span) as u64)
}

/// The provider whose folder is not in the registry (all its rows are `unknown_provider`).
pub(crate) fn unregistered(config: &Config) -> Provider {
    let mut rng = Rng::derive(config.seed, 0x7A03, 0);
    let unit = rng.weighted(&UNIT_WEIGHTS);
    let mut style = training_style(&mut rng, 99, false);
    style.columns.retain(|(f, _)| *f != TrainingField::ProviderId);
    Provider {
        id: UNREGISTERED_ID.to_string(),
        code: UNREGISTERED_CODE,
        name: name_for(&mut rng, ProviderType::Social, unit),
        provider_type: ProviderType::Social,
        unit,
        registered_on: config.start_date(),
        style,
        weight: 1.0,
        active_from: config.start_date(),
    }
}

/// The picker of providers for classes: by month of the class's start, type and reporting unit. Providers run
/// classes in every month.
pub(crate) fn picker(config: &Config, providers: &[Provider]) -> Picker {
    let candidates: Vec<Candidate> = providers
        .iter()
        .map(|p| Candidate {
            type_slot: p.provider_type.index(),
            unit: p.unit,
            active_from: p.active_from,
            weight: p.weight,
            month_mask: 0x0FFF,
        })
        .collect();
    Picker::new(config, ProviderType::ALL.len(), &candidates)
}

/// The registry file `training/providers.csv`: provider_id,name,provider_type,region_code,registered_on.
pub(crate) fn registry_csv(providers: &[Provider], seed: u64) -> String {
    let rows = providers.iter().map(|p| RegistryRow {
        id: &p.id,
        name: &p.name,
        type_names: (p.provider_type.name_zh(), p.provider_type.code()),
        unit: p.unit,
        registered_on: p.registered_on,
    });
    let header = "provider_id,name,provider_type,region_code,registered_on";
    encode::registry_csv(header, rows, &mut Rng::derive(seed, 0x7A04, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_unique_and_holds_every_type() {
        let config = Config { persons: 40_000, ..Config::default() };
        let providers = generate(&config);
        assert_eq!(providers.len() as u32, count(&config));
        let ids: BTreeSet<&str> = providers.iter().map(|p| p.id.as_str()).collect();
        let codes: BTreeSet<u16> = providers.iter().map(|p| p.code).collect();
        let names: BTreeSet<&str> = providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!((ids.len(), codes.len(), names.len()), (providers.len(), providers.len(), providers.len()));
        for t in ProviderType::ALL {
            assert!(providers.iter().any(|p| p.provider_type == t && p.registered_on < config.start_date()));
        }
        let first = &providers[0];
        assert!(TrainingField::ALL.iter().all(|f| first.style.has(*f)), "the first provider writes every column");
        assert!(providers.iter().all(|p| TrainingField::REQUIRED.iter().all(|f| p.style.has(*f))));
        let csv = registry_csv(&providers, 1);
        assert_eq!(csv.lines().count(), providers.len() + 1);
        assert!(!unregistered(&config).style.has(TrainingField::ProviderId));
    }

    #[test]
    fn every_spelling_a_gbk_file_may_hold_is_encodable() {
        use super::super::vocab::{Kind, Outcome, UNKNOWN_KINDS};
        let kinds = [
            Kind::Employment,
            Kind::Upskilling,
            Kind::Entrepreneurship,
            Kind::Apprenticeship,
            Kind::GoldCollar,
            Kind::Other,
        ];
        let mut texts: Vec<String> =
            TrainingField::ALL.iter().flat_map(|f| f.spellings()).map(|s| s.to_string()).collect();
        texts.extend(kinds.iter().flat_map(|k| k.names_zh()).map(|s| s.to_string()));
        texts.extend(Outcome::ALL.iter().map(|o| o.name_zh().to_string()));
        texts.extend(ProviderType::ALL.iter().map(|t| t.name_zh().to_string()));
        texts.extend(["共青团", "团组织", "是", "否"].map(String::from));
        texts.extend(UNKNOWN_KINDS.map(String::from));
        let config = Config { persons: 200_000, ..Config::default() };
        for p in generate(&config) {
            texts.push(p.name.clone());
            texts.push(p.class_id(2024, 12));
        }
        for text in texts {
            assert!(!encoding_rs::GBK.encode(&text).2, "{text}");
        }
    }

    #[test]
    fn class_numbers_are_unique_per_provider_and_year() {
        let config = Config { persons: 2_000, ..Config::default() };
        for p in generate(&config) {
            let ids: BTreeSet<String> =
                (2021..=2025).flat_map(|y| (1..=1200).map(move |s| (y, s))).map(|(y, s)| p.class_id(y, s)).collect();
            assert_eq!(ids.len(), 5 * 1200, "{}", p.id);
        }
    }
}
