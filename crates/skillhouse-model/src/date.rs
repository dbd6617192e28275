//! The date spellings agencies use (DESIGN §4), spreadsheet serial dates, and ages in whole years (周岁).

use crate::text::fold_cell;
use chrono::{Datelike, Days, NaiveDate};

/// Parses `2024-05-01`, `2024/5/1`, `20240501`, `2024.05.01`, `2024年5月1日`, any of those followed by a time of day
/// (`2024-05-01 00:00:00`, `2024-05-01T08:00`), and a spreadsheet serial number (`45413`, `45413.0`) in the 1900
/// date system. Returns `None` for anything else, including dates that do not exist.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let folded = fold_cell(raw);
    let s = folded.as_ref();
    if s.is_empty() {
        return None;
    }
    // A time-of-day tail is dropped: certificates are dated by day.
    let s = s.split(['T', ' ']).next().unwrap_or(s);
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.len() {
            8 => ymd(&s[0..4], &s[4..6], &s[6..8]),
            5 => excel_serial_to_date(s.parse::<f64>().ok()?),
            _ => None,
        };
    }
    if let Some((int_part, frac)) = s.split_once('.')
        && int_part.len() == 5
        && int_part.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        return excel_serial_to_date(s.parse::<f64>().ok()?);
    }
    let s = s.strip_suffix('日').unwrap_or(s);
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月']).collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()) => ymd(y, m, d),
        _ => None,
    }
}

fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Converts a spreadsheet serial date (1900 date system, as Excel and WPS write it) to a date; the fraction
/// (time of day) is ignored. Serial 61 is 1900-03-01; the phantom 1900-02-29 of the 1900 system is not a date.
pub fn excel_serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(61.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let days = serial.trunc() as u64;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(days))
}

/// Age in whole years (周岁) on `on` for someone born on `birth`; `None` if `on` is before the birth.
///
/// Someone born on 29 February has their birthday on 1 March in common years.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    let years = on.year() - birth.year();
    let had_birthday = (on.month(), on.day()) >= (birth.month(), birth.day());
    u32::try_from(if had_birthday { years } else { years - 1 }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn every_design_spelling() {
        let want = Some(d(2024, 5, 1));
        for s in [
            "2024-05-01",
            "2024/5/1",
            "20240501",
            "2024.05.01",
            "2024年5月1日",
            "2024年05月01日",
            " 2024-5-1 ",
            "２０２４－０５－０１",
            "2024-05-01 00:00:00",
            "2024-05-01T08:30:00",
            "45413",
            "45413.0",
        ] {
            assert_eq!(parse_date(s), want, "{s:?}");
        }
    }

    #[test]
    fn refuses_impossible_and_garbage() {
        for s in ["", "2024-02-30", "2023/13/01", "20241301", "昨天", "24-5-1", "2024-5", "1.5", "123"] {
            assert_eq!(parse_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn serial_dates_match_spreadsheets() {
        // Reference values from a spreadsheet: 1 Jan 2021 is 44197, 31 Dec 2025 is 46022.
        assert_eq!(excel_serial_to_date(44197.0), Some(d(2021, 1, 1)));
        assert_eq!(excel_serial_to_date(46022.75), Some(d(2025, 12, 31)));
        assert_eq!(excel_serial_to_date(61.0), Some(d(1900, 3, 1)));
        assert_eq!(excel_serial_to_date(60.0), None);
        assert_eq!(excel_serial_to_date(f64::NAN), None);
    }

    #[test]
    fn whole_year_age() {
        let birth = d(1990, 6, 15);
        assert_eq!(age_on(birth, d(2025, 6, 14)), Some(34));
        assert_eq!(age_on(birth, d(2025, 6, 15)), Some(35));
        assert_eq!(age_on(birth, d(2026, 6, 14)), Some(35));
        assert_eq!(age_on(birth, d(2026, 6, 15)), Some(36));
        assert_eq!(age_on(birth, d(1990, 6, 14)), None);
        let leap = d(2008, 2, 29);
        assert_eq!(age_on(leap, d(2024, 2, 28)), Some(15));
        assert_eq!(age_on(leap, d(2024, 2, 29)), Some(16));
        assert_eq!(age_on(leap, d(2025, 2, 28)), Some(16));
        assert_eq!(age_on(leap, d(2026, 2, 28)), Some(17));
    }
}
