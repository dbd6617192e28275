//! Turning a planned certificate into the cells an agency's clerk would have typed: certificate numbers, value
//! spellings of the agency's house style, quirks (stray spaces, full-width digits, lower-case x, 15-digit IDs),
//! and the one injected defect of a defect row.

use crate::agency::{Agency, Field};
use crate::persons::{Cert, NO_OCCUPATION, NO_PROGRAMME, Person};
use crate::plan::UNREGISTERED;
use crate::reference::{GIVEN_CHARS, Occupation, SURNAMES};
use crate::rng::Rng;
use crate::style::DATE_STYLES;
use crate::style::Style;
use chrono::{Datelike, Days, Months, NaiveDate};
use skillhouse_model::{AgencyType, CertType, IdNumber, Level, Programme, RejectReason, id_check_char};
use std::collections::BTreeMap;

/// One cell as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text (in a workbook, a string cell; empty text is a blank cell).
    Text(String),
    /// A real spreadsheet date (serial number with a date format).
    Date(NaiveDate),
    /// A bare serial number.
    Serial(NaiveDate),
    /// A number (a numeric cell in a workbook, a JSON number in JSON Lines, digits in CSV).
    Number(f64),
}

/// How often each quirk occurs in a file (for the manifest).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Quirks {
    pub legacy_id: u64,
    pub lower_x: u64,
    pub full_width: u64,
    pub stray_space: u64,
}

impl Quirks {
    /// The quirks that occur, by name, for the manifest.
    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        [
            ("legacy_id", self.legacy_id),
            ("lower_x", self.lower_x),
            ("full_width", self.full_width),
            ("stray_space", self.stray_space),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| (name.to_string(), n))
        .collect()
    }
}

/// The certificate number of a certificate issued by `agency`.
///
/// skill_level l5–l1: the 22-character rule (`Y` enterprise / `S` otherwise, agency code, 41, site, year, level
/// digit, serial); appointed grades: `TJ`/`SX` + year + agency code + serial; qualification: 16 digits; the other
/// types: a two-letter prefix (`TZ`, `TS`, `ZX`, `PX`) + year + agency code + serial.
pub(crate) fn cert_no(agency: &Agency, cert_type: CertType, year: i32, level: u8, serial: u32) -> String {
    let yy = year.rem_euclid(100);
    let code = agency.code;
    match cert_type {
        CertType::SkillLevel if (1..=5).contains(&level) => {
            let prefix = if agency.agency_type == AgencyType::Enterprise { 'Y' } else { 'S' };
            let site = (agency.site + serial / 1_000_000) % 1_000_000;
            format!("{prefix}{code:04}41{site:06}{yy:02}{}{:06}", 6 - level, serial % 1_000_000)
        }
        CertType::SkillLevel if level == 6 => format!("TJ{year}{code:04}{serial:05}"),
        CertType::SkillLevel => format!("SX{year}{code:04}{serial:05}"),
        CertType::Qualification => format!("{yy:02}41{code:04}{}{:07}", 6 - level.clamp(1, 5), serial % 10_000_000),
        CertType::SpecialOperation => format!("TZ{yy:02}{code:04}{serial:07}"),
        CertType::SpecialEquipment => format!("TS{yy:02}{code:04}{serial:07}"),
        CertType::SpecialCompetence => format!("ZX{yy:02}{code:04}{serial:07}"),
        CertType::Training => format!("PX{year}{code:04}{serial:06}"),
    }
}

/// A synthetic name for person `index` (a common surname and one or two given-name characters).
pub(crate) fn person_name(seed: u64, index: u32) -> String {
    let mut rng = Rng::derive(seed, 0x4A4E, u64::from(index));
    let surname = SURNAMES[rng.weighted(&SURNAME_WEIGHTS)];
    let mut name = String::from(surname);
    name.push_str(GIVEN_CHARS[rng.index(GIVEN_CHARS.len())]);
    if rng.chance(0.7) {
        name.push_str(GIVEN_CHARS[rng.index(GIVEN_CHARS.len())]);
    }
    name
}

/// Surnames are skewed: the first few are far more common.
const SURNAME_WEIGHTS: [f64; 48] = {
    let mut w = [1.0; 48];
    let mut i = 0;
    while i < 10 {
        w[i] = 5.0 - i as f64 * 0.3;
        i += 1;
    }
    w
};

/// Spells a date in one of the §4 spellings.
pub(crate) fn spell_date(date: NaiveDate, style: usize) -> String {
    let (y, m, d) = (date.year(), date.month(), date.day());
    match style % DATE_STYLES.len() {
        0 => format!("{y:04}-{m:02}-{d:02}"),
        1 => format!("{y}/{m}/{d}"),
        2 => format!("{y:04}{m:02}{d:02}"),
        3 => format!("{y:04}.{m:02}.{d:02}"),
        4 => format!("{y}年{m}月{d}日"),
        _ => format!("{y:04}-{m:02}-{d:02} 00:00:00"),
    }
}

/// Spells a level in one of the §4 spellings.
pub(crate) fn spell_level(level: Level, style: usize) -> String {
    match (level.grade_zh(), level.digit()) {
        (Some(grade), Some(digit)) => match style {
            0 => format!("{grade}/{}", level.name_zh()),
            1 => level.name_zh().to_string(),
            2 => grade.to_string(),
            3 => digit.to_string(),
            4 => format!("l{digit}"),
            5 => format!("L{digit}"),
            _ => format!("{grade}（{}）", level.name_zh()),
        },
        _ if (3..=5).contains(&style) => level.code().to_string(),
        _ => level.name_zh().to_string(),
    }
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap_or(c) } else { c })
        .collect()
}

/// Everything needed to render the rows of one file.
pub(crate) struct Renderer<'a> {
    pub seed: u64,
    pub as_of: NaiveDate,
    pub agencies: &'a [Agency],
    pub unregistered: &'a Agency,
    pub persons: &'a [Person],
    pub occupations: &'a [Occupation],
    /// All registered certificates in path order (sources of duplicate numbers).
    pub certs: &'a [Cert],
}

impl Renderer<'_> {
    fn agency(&self, index: u16) -> &Agency {
        if index == UNREGISTERED { self.unregistered } else { &self.agencies[usize::from(index)] }
    }

    /// The cells of one row, in the style's column order.
    pub(crate) fn row(&self, cert: &Cert, folder: u16, rng: &mut Rng, quirks: &mut Quirks) -> Vec<Cell> {
        let agency = self.agency(folder);
        let style = &agency.style;
        let person = &self.persons[cert.person as usize];
        let reason = cert.reason();
        let cert_type = cert.cert_type();
        let mut date = cert.date;
        let mut level = cert.level();
        let mut occupation = (cert.occupation != NO_OCCUPATION).then(|| usize::from(cert.occupation));
        let mut id = String::from_utf8_lossy(&person.id).into_owned();
        let mut birth = person.birth;
        let missing = if reason == Some(RejectReason::MissingField) { Some(rng.below(4)) } else { None };

        match reason {
            Some(RejectReason::IssueDateFuture) => date = self.as_of + Days::new(rng.between(1, 90) as u64),
            Some(RejectReason::UnderAge) => make_young(&mut id, &mut birth, date, rng),
            Some(RejectReason::LevelNotOffered) => {
                if let Some((o, l)) = self.unoffered(rng, level) {
                    occupation = Some(o);
                    level = Some(l);
                }
            }
            _ => {}
        }
        let rank = level.map_or(0, Level::rank);
        let number_agency = if cert.agency == UNREGISTERED { self.unregistered } else { agency };
        let mut number = cert_no(number_agency, cert_type, date.year(), rank, cert.serial);
        match reason {
            Some(RejectReason::DuplicateCertNo) => {
                if let Some(source) = self.certs.get(cert.aux as usize) {
                    let source_agency = self.agency(source.agency);
                    number =
                        cert_no(source_agency, source.cert_type(), source.date.year(), source.level, source.serial);
                }
            }
            Some(RejectReason::CertNoFormat) => number = break_format(&number, rng),
            Some(RejectReason::CertNoYearMismatch) => {
                let wrong = (date.year() - 10).rem_euclid(100);
                number.replace_range(13..15, &format!("{wrong:02}"));
            }
            Some(RejectReason::CertNoLevelMismatch) => {
                let digit = 6 - rank;
                let other = 1 + (digit + rng.below(4) as u8) % 5;
                number.replace_range(15..16, &other.to_string());
            }
            _ => {}
        }

        let mut cells = Vec::with_capacity(style.columns.len());
        for (field, _) in &style.columns {
            let text = match field {
                Field::IdNumber if missing == Some(0) => String::new(),
                Field::IdNumber => {
                    let fault = match reason {
                        Some(RejectReason::IdFormat) => Some(IdFault::Format),
                        Some(RejectReason::IdChecksum) => Some(IdFault::Checksum),
                        _ => None,
                    };
                    id_text(&id, birth, fault, style, rng, quirks)
                }
                Field::Name => person_name(self.seed, cert.person),
                Field::CertNo if missing == Some(1) => String::new(),
                Field::CertNo => number.clone(),
                Field::CertType if missing == Some(2) => String::new(),
                Field::CertType if reason == Some(RejectReason::UnknownCertType) => {
                    rng.pick(&["驾驶证", "健康证", "上岗证", "结业证书"]).to_string()
                }
                Field::CertType => match style.values.cert_type_style {
                    0 => cert_type.name_zh().to_string(),
                    1 => cert_type.code().to_string(),
                    _ if rng.chance(0.5) => cert_type.name_zh().to_string(),
                    _ => cert_type.code().to_string(),
                },
                Field::Level if reason == Some(RejectReason::UnknownLevel) => {
                    if cert_type.bears_level() {
                        rng.pick(&["六级", "学徒工", "", "高级", "0"]).to_string()
                    } else {
                        rng.pick(&["三级", "l3", "高级工"]).to_string()
                    }
                }
                Field::Level => level.map(|l| spell_level(l, style.values.level_style)).unwrap_or_default(),
                Field::OccupationCode if reason == Some(RejectReason::UnknownOccupation) => {
                    rng.pick(&["9-99-99-99", "", "6-31-01-99", "X-01-02-03"]).to_string()
                }
                Field::OccupationCode => occupation.map(|o| self.occupations[o].code.clone()).unwrap_or_default(),
                Field::OccupationName => occupation.map(|o| self.occupations[o].name_zh.clone()).unwrap_or_default(),
                Field::IssueDate if missing == Some(3) => String::new(),
                Field::IssueDate if reason == Some(RejectReason::IssueDateInvalid) => invalid_date(date, rng),
                Field::IssueDate => match date_value(style, date, rng, quirks) {
                    Cell::Text(text) => text,
                    cell => {
                        cells.push(cell);
                        continue;
                    }
                },
                Field::AgencyId if reason == Some(RejectReason::AgencyMismatch) => {
                    let other = (usize::from(folder) + 1 + rng.index(self.agencies.len() - 1)) % self.agencies.len();
                    self.agencies[other].id.clone()
                }
                Field::AgencyId => agency.id.clone(),
                Field::Programme if cert.programme == NO_PROGRAMME => String::new(),
                Field::Programme => spell_programme(cert.programme, style.programme_style, rng),
            };
            cells.push(Cell::Text(stray_space(text, style.space_share, rng, quirks)));
        }
        cells
    }

    /// An (occupation, level) pair the occupation does not offer among l5–l1: another occupation for the same
    /// level if one exists, else a restricted occupation with a level outside its range.
    fn unoffered(&self, rng: &mut Rng, level: Option<Level>) -> Option<(usize, Level)> {
        let level = level?;
        let others: Vec<usize> = (0..self.occupations.len()).filter(|o| !self.occupations[*o].offers(level)).collect();
        if !others.is_empty() {
            return Some((*rng.pick(&others), level));
        }
        let l5_to_l1 = [Level::L5, Level::L4, Level::L3, Level::L2, Level::L1];
        let pairs: Vec<(usize, Level)> = (0..self.occupations.len())
            .flat_map(|o| l5_to_l1.iter().filter(move |l| !self.occupations[o].offers(**l)).map(move |l| (o, *l)))
            .collect();
        (!pairs.is_empty()).then(|| *rng.pick(&pairs))
    }
}

/// Which way an ID cell is wrong (an injected defect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdFault {
    /// Fails on length, characters or birth date (`id_format`).
    Format,
    /// A wrong check character (`id_checksum`).
    Checksum,
}

/// The ID cell of a row: the ID as the organisation's clerks write it (legacy 15 digits, lower-case x,
/// full-width digits), or broken by `fault`.
pub(crate) fn id_text<F, V>(
    id: &str,
    birth: NaiveDate,
    fault: Option<IdFault>,
    style: &Style<F, V>,
    rng: &mut Rng,
    quirks: &mut Quirks,
) -> String {
    match fault {
        Some(IdFault::Format) => return break_id(id, rng),
        Some(IdFault::Checksum) => {
            let right = id.as_bytes()[17];
            let choices: Vec<u8> = b"0123456789X".iter().copied().filter(|c| *c != right).collect();
            let mut wrong = id.to_string();
            wrong.replace_range(17..18, &char::from(*rng.pick(&choices)).to_string());
            return wrong;
        }
        None => {}
    }
    if birth.year() < 2000
        && rng.chance(style.legacy_share)
        && let Ok(parsed) = IdNumber::parse(id)
        && let Some(legacy) = parsed.legacy15()
    {
        quirks.legacy_id += 1;
        return legacy;
    }
    let mut text = id.to_string();
    if style.lower_x && text.ends_with('X') {
        quirks.lower_x += 1;
        text = text.replace('X', "x");
    }
    if rng.chance(style.full_width_share) {
        quirks.full_width += 1;
        text = full_width(&text);
    }
    text
}

/// Replaces `id` and `birth` with those of someone under 16 on `on` (an `under_age` row), born in the same region.
pub(crate) fn make_young(id: &mut String, birth: &mut NaiveDate, on: NaiveDate, rng: &mut Rng) {
    let back = on.checked_sub_months(Months::new(15 * 12)).unwrap_or(on);
    *birth = back + Days::new(rng.between(1, 300) as u64);
    if let Ok(young) = IdNumber::from_parts(&id[..6], *birth, rng.below(1000) as u16) {
        *id = young.expose().to_string();
    }
}

/// A date cell in the organisation's way: a spreadsheet date or serial number in its workbooks, else the date
/// spelled its way (now and then in full-width digits).
pub(crate) fn date_value<F, V>(style: &Style<F, V>, date: NaiveDate, rng: &mut Rng, quirks: &mut Quirks) -> Cell {
    if let Some(cell) = date_cell(style, date, rng) {
        return cell;
    }
    let text = spell_date(date, style.date_style);
    if rng.chance(style.full_width_share) {
        quirks.full_width += 1;
        Cell::Text(full_width(&text))
    } else {
        Cell::Text(text)
    }
}

/// A date no parser may accept: 30 February, month 13, 待定, or a month without a day.
pub(crate) fn invalid_date(date: NaiveDate, rng: &mut Rng) -> String {
    let (y, m) = (date.year(), date.month());
    match rng.below(4) {
        0 => format!("{y}-02-30"),
        1 => format!("{y}/13/01"),
        2 => "待定".to_string(),
        _ => format!("{y}-{m:02}"),
    }
}

/// A programme tag (index into [`Programme::ALL`]) in the organisation's spelling, or empty for none.
pub(crate) fn spell_programme(programme: u8, programme_style: u8, rng: &mut Rng) -> String {
    let Some(p) = Programme::ALL.get(usize::from(programme)) else {
        return String::new();
    };
    match (programme_style, rng.below(3)) {
        (0, _) | (3, 0) => p.code().to_string(),
        (1, _) | (3, 1) => p.name_zh().to_string(),
        _ => p.short_name_zh().to_string(),
    }
}

/// A cell's text, now and then (share `space_share`) with stray spaces around it.
pub(crate) fn stray_space(text: String, space_share: f64, rng: &mut Rng, quirks: &mut Quirks) -> String {
    if !text.is_empty() && rng.chance(space_share) {
        quirks.stray_space += 1;
        match rng.below(3) {
            0 => format!(" {text}"),
            1 => format!("{text} "),
            _ => format!("\u{3000}{text}\u{3000}"),
        }
    } else {
        text
    }
}

fn date_cell<F, V>(style: &Style<F, V>, date: NaiveDate, rng: &mut Rng) -> Option<Cell> {
    use crate::style::{Format, XlsxDates};
    if style.format != Format::Xlsx {
        return None;
    }
    match style.xlsx_dates {
        XlsxDates::Text => None,
        // A few rows of a date column are typed as text even where the column is formatted as dates.
        XlsxDates::DateCells if rng.chance(0.05) => None,
        XlsxDates::DateCells => Some(Cell::Date(date)),
        XlsxDates::Serial => Some(Cell::Serial(date)),
    }
}

/// An ID that fails on format: a dropped digit, a letter O for a zero, or an impossible birth month with a
/// correct check character.
fn break_id(id: &str, rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => {
            let mut s = id.to_string();
            s.remove(9);
            s
        }
        1 => {
            let mut s = id.to_string();
            s.replace_range(15..16, "O");
            s
        }
        _ => {
            let mut first17 = [0u8; 17];
            first17.copy_from_slice(&id.as_bytes()[..17]);
            first17[10] = b'1';
            first17[11] = b'3';
            format!("{}{}", String::from_utf8_lossy(&first17), id_check_char(&first17))
        }
    }
}

/// A 22-character number broken on format: one digit short, the wrong province, a wrong prefix, or a letter.
fn break_format(number: &str, rng: &mut Rng) -> String {
    let mut s = number.to_string();
    match rng.below(4) {
        0 => {
            s.pop();
        }
        1 => s.replace_range(5..7, "42"),
        2 => s.replace_range(0..1, "X"),
        _ => s.replace_range(20..21, "O"),
    }
    s
}

/// The age check of an `under_age` row.
#[cfg(test)]
fn is_under_age(birth: NaiveDate, date: NaiveDate) -> bool {
    skillhouse_model::age_on(birth, date).is_some_and(|a| a < skillhouse_model::MIN_CERTIFICATE_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillhouse_model::check_skill_level_cert_no;

    #[test]
    fn spellings_parse_back() {
        for level in Level::ALL {
            for style in 0..7 {
                assert_eq!(Level::parse(&spell_level(level, style)), Some(level), "{level} {style}");
            }
        }
        let date = NaiveDate::from_ymd_opt(2024, 5, 1).expect("date");
        for style in 0..DATE_STYLES.len() {
            assert_eq!(skillhouse_model::parse_date(&spell_date(date, style)), Some(date));
            assert_eq!(skillhouse_model::parse_date(&full_width(&spell_date(date, style))), Some(date));
        }
        let birth = NaiveDate::from_ymd_opt(2009, 6, 1).expect("date");
        assert!(is_under_age(birth, date));
    }

    #[test]
    fn broken_numbers_fail_only_on_format() {
        let good = "Y012341000456243000789";
        assert!(check_skill_level_cert_no(good, 2024, Level::L3).is_ok());
        let mut rng = Rng::new(3);
        for _ in 0..50 {
            let bad = break_format(good, &mut rng);
            assert_eq!(
                check_skill_level_cert_no(&bad, 2024, Level::L3),
                Err(skillhouse_model::CertNoError::Format),
                "{bad}"
            );
            let id = "11010519491231002X";
            assert!(matches!(IdNumber::parse(&break_id(id, &mut rng)), Err(skillhouse_model::IdError::Format { .. })));
        }
    }
}
