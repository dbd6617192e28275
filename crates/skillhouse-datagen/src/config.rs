//! The arguments of a drop and their validation.

use crate::error::{DatagenError, Result};
use chrono::NaiveDate;

/// Largest number of agencies (their 4-digit codes must stay unique and below the code of the unregistered one).
pub const MAX_AGENCIES: u32 = 8000;
/// Largest number of persons (person indexes are 32-bit, and hold the persons who only train too).
pub const MAX_PERSONS: u64 = 100_000_000;
/// Training rows per person by default: about province scale (≈ 12M 人次 beside ≈ 10M persons over five years).
pub const DEFAULT_TRAINING: f64 = 1.2;

/// Everything that determines a drop. The same configuration gives byte-identical files.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Number of synthetic persons (each holds ~1.5 certificates on average).
    pub persons: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// First issue year.
    pub first_year: i32,
    /// Last issue year.
    pub last_year: i32,
    /// Share of certificate rows carrying exactly one injected defect (0 to 0.5). Above 0 the drop also holds an
    /// unregistered agency's folder, a few unreadable files, and repeated claims.
    pub defect_rate: f64,
    /// Number of registered agencies; `None` scales with persons (10 for a sample, 220 at province scale).
    pub agencies: Option<u32>,
    /// The as-of date the drop is made for (default: 31 December of the last year). No valid row is dated after
    /// it; `issue_date_future` rows are.
    pub as_of: Option<NaiveDate>,
    /// Training rows (人次) per person over the years (0 to 5; 0: no training drop). Province scale is about
    /// 1.2: ≈ 12M 人次 over 2021–2025 beside ≈ 10M certificate persons.
    pub training: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            persons: 10_000,
            seed: 42,
            first_year: 2021,
            last_year: 2025,
            defect_rate: 0.02,
            agencies: None,
            as_of: None,
            training: DEFAULT_TRAINING,
        }
    }
}

impl Config {
    /// Parses a year range such as `2021-2025` (or one year, `2024`).
    pub fn parse_years(text: &str) -> Result<(i32, i32)> {
        let bad = || DatagenError::InvalidArgument {
            argument: "years",
            problem: format!("{text:?} is not a range like 2021-2025 within 2000-2099"),
        };
        let (a, b) = text.trim().split_once('-').unwrap_or((text.trim(), text.trim()));
        let first: i32 = a.trim().parse().map_err(|_| bad())?;
        let last: i32 = b.trim().parse().map_err(|_| bad())?;
        if !(2000..=2099).contains(&first) || !(first..=2099).contains(&last) || last - first > 30 {
            return Err(bad());
        }
        Ok((first, last))
    }

    /// The years as `2021-2025`.
    pub fn years_text(&self) -> String {
        format!("{}-{}", self.first_year, self.last_year)
    }

    /// The as-of date: the flag, else 31 December of the last year.
    pub fn resolved_as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or_else(|| NaiveDate::from_ymd_opt(self.last_year, 12, 31).unwrap_or(NaiveDate::MAX))
    }

    /// The number of agencies: the flag, else √persons ÷ 4.5 within 10..=220 (≈10 for a 2,000-person sample,
    /// 220 — Pingdingshan's count — from ~1M persons up).
    pub fn resolved_agencies(&self) -> u32 {
        self.agencies.unwrap_or_else(|| ((self.persons as f64).sqrt() / 4.5).round().clamp(10.0, 220.0) as u32)
    }

    /// First day a valid certificate may carry.
    pub(crate) fn start_date(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.first_year, 1, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day a valid certificate may carry: the end of the last year, or the as-of date if earlier.
    pub(crate) fn end_date(&self) -> NaiveDate {
        let year_end = NaiveDate::from_ymd_opt(self.last_year, 12, 31).unwrap_or(NaiveDate::MAX);
        year_end.min(self.resolved_as_of())
    }

    /// Checks every argument's range.
    pub fn validate(&self) -> Result<()> {
        let invalid = |argument, problem: String| Err(DatagenError::InvalidArgument { argument, problem });
        if self.persons == 0 || self.persons > MAX_PERSONS {
            return invalid("persons", format!("{} is outside 1..={MAX_PERSONS}", self.persons));
        }
        if !(2000..=2099).contains(&self.first_year) || !(self.first_year..=2099).contains(&self.last_year) {
            return invalid("years", format!("{} is not a range within 2000-2099", self.years_text()));
        }
        if !(0.0..=0.5).contains(&self.defect_rate) || self.defect_rate.is_nan() {
            return invalid("defect_rate", format!("{} is outside 0..=0.5", self.defect_rate));
        }
        if !(0.0..=5.0).contains(&self.training) || self.training.is_nan() {
            return invalid("training", format!("{} is outside 0..=5", self.training));
        }
        let agencies = self.resolved_agencies();
        if !(4..=MAX_AGENCIES).contains(&agencies) {
            return invalid(
                "agencies",
                format!("{agencies} is outside 4..={MAX_AGENCIES} (one of each type at least)"),
            );
        }
        if self.end_date() < self.start_date() + chrono::Days::new(60) {
            return invalid("as_of", format!("{} leaves less than two months of issue dates", self.resolved_as_of()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_defaults() {
        assert_eq!(Config::parse_years("2021-2025").expect("range"), (2021, 2025));
        assert_eq!(Config::parse_years(" 2024 ").expect("one year"), (2024, 2024));
        assert!(Config::parse_years("2025-2021").is_err());
        assert!(Config::parse_years("21-25").is_err());
        let config = Config { persons: 2_000, ..Config::default() };
        assert_eq!(config.resolved_agencies(), 10);
        assert_eq!(Config { persons: 7_000_000, ..config.clone() }.resolved_agencies(), 220);
        assert_eq!(config.resolved_as_of(), NaiveDate::from_ymd_opt(2025, 12, 31).expect("date"));
        assert!(config.validate().is_ok());
        assert!(Config { defect_rate: 0.6, ..config.clone() }.validate().is_err());
        assert!(Config { training: 6.0, ..config.clone() }.validate().is_err());
        assert!(Config { training: f64::NAN, ..config.clone() }.validate().is_err());
        assert!(Config { agencies: Some(3), ..config }.validate().is_err());
    }
}
