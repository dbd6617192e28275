//! Reported figures (DESIGN §17): the reasons a row of `landing/reported/<name>.csv|.xlsx` is rejected, and the
//! columns such a file has. Which indicators may be reported, with their units and titles, is reference data
//! (`datasets/reference/reportable_indicators.csv`), not code.

use std::fmt;

/// The columns of a reported-figures file, in DESIGN §17's order (the header names them; their order is free).
pub const REPORTED_COLUMNS: [&str; 10] = [
    "indicator_id",
    "region_code",
    "year",
    "programme",
    "agency_type",
    "value",
    "unit",
    "reported_by",
    "reported_on",
    "source_note",
];

/// The columns a reported row must fill.
pub const REPORTED_REQUIRED: [&str; 7] =
    ["indicator_id", "region_code", "year", "value", "unit", "reported_by", "reported_on"];

/// Why a reported row was rejected. Checked in this order; a row gets the first that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportedRejectReason {
    /// A required column is empty (indicator_id, region_code, year, value, unit, reported_by, reported_on).
    MissingField,
    /// No indicator of that id: not reportable, not computed, no target's.
    UnknownIndicator,
    /// An indicator SkillHouse computes from the records, or one that is not of the reportable kind.
    IndicatorNotReportable,
    /// A region code that is not the province or a reporting unit.
    UnknownRegion,
    /// A programme that is not one of `1`–`10`, `2.1`–`2.5`.
    UnknownProgramme,
    /// An agency type that is not one of the four.
    UnknownAgencyType,
    /// A year that is not a whole number.
    YearInvalid,
    /// A year outside the warehouse's years (its first certificate or training year to the as-of year).
    YearOutOfRange,
    /// A unit other than the one the indicator's targets use.
    UnitMismatch,
    /// A value that is not a finite number.
    ValueNotNumeric,
    /// A negative value.
    ValueNegative,
    /// A reporting date that cannot be read or is after the as-of date.
    ReportedOnInvalid,
    /// The same indicator, region, year, programme and agency type again in one file: the first row counts.
    DuplicateKey,
}

impl ReportedRejectReason {
    /// Every reason, in checking order.
    pub const ALL: [ReportedRejectReason; 13] = [
        Self::MissingField,
        Self::UnknownIndicator,
        Self::IndicatorNotReportable,
        Self::UnknownRegion,
        Self::UnknownProgramme,
        Self::UnknownAgencyType,
        Self::YearInvalid,
        Self::YearOutOfRange,
        Self::UnitMismatch,
        Self::ValueNotNumeric,
        Self::ValueNegative,
        Self::ReportedOnInvalid,
        Self::DuplicateKey,
    ];

    /// The stable snake_case code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::MissingField => "missing_field",
            Self::UnknownIndicator => "unknown_indicator",
            Self::IndicatorNotReportable => "indicator_not_reportable",
            Self::UnknownRegion => "unknown_region",
            Self::UnknownProgramme => "unknown_programme",
            Self::UnknownAgencyType => "unknown_agency_type",
            Self::YearInvalid => "year_invalid",
            Self::YearOutOfRange => "year_out_of_range",
            Self::UnitMismatch => "unit_mismatch",
            Self::ValueNotNumeric => "value_not_numeric",
            Self::ValueNegative => "value_negative",
            Self::ReportedOnInvalid => "reported_on_invalid",
            Self::DuplicateKey => "duplicate_key",
        }
    }

    /// Parses a stable code back to its reason.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// A sentence the reporting office can act on (Chinese, then English).
    pub const fn explanation(self) -> &'static str {
        match self {
            Self::MissingField => "必填项为空 / a required field is empty",
            Self::UnknownIndicator => "指标编码不存在 / no indicator has this id",
            Self::IndicatorNotReportable => {
                "该指标由系统根据记录计算，不接受上报 / this indicator is computed from the records and cannot be reported"
            }
            Self::UnknownRegion => {
                "地区代码不是全省或统计单位 / the region code is not the province or a reporting unit"
            }
            Self::UnknownProgramme => "专项编码无法识别 / programme not recognised",
            Self::UnknownAgencyType => "机构类型无法识别 / agency type not recognised",
            Self::YearInvalid => "年度不是整数 / the year is not a whole number",
            Self::YearOutOfRange => "年度超出数据仓库的年度范围 / the year is outside the warehouse's years",
            Self::UnitMismatch => "计量单位与目标不一致 / the unit is not the one the indicator's targets use",
            Self::ValueNotNumeric => "数值不是数字 / the value is not a number",
            Self::ValueNegative => "数值为负 / the value is negative",
            Self::ReportedOnInvalid => {
                "上报日期无法识别或晚于统计截止日 / the reporting date cannot be read or is after the as-of date"
            }
            Self::DuplicateKey => {
                "同一文件中同一指标、地区、年度、专项和机构类型重复，以第一行为准 / the same key again in one file: the first row counts"
            }
        }
    }
}

impl fmt::Display for ReportedRejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        let mut codes: Vec<&str> = ReportedRejectReason::ALL.iter().map(|r| r.code()).collect();
        for reason in ReportedRejectReason::ALL {
            assert_eq!(ReportedRejectReason::from_code(reason.code()), Some(reason));
            assert!(reason.explanation().contains(" / "), "{reason}: Chinese, then English");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ReportedRejectReason::ALL.len());
    }
}
