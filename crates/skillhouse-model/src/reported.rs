//! Reported figures (DESIGN §17): the reasons a row of `landing/reported/<name>.csv|.xlsx` is rejected, and the
//! columns such a file has. Which indicators may be reported, with their units and titles, is reference data
//! (`datasets/reference/reportable_indicators.csv`), not code.

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

reason_codes! {
    /// Why a reported row was rejected. Checked in this order; a row gets the first that applies.
    pub enum ReportedRejectReason {
        /// A required column is empty (indicator_id, region_code, year, value, unit, reported_by, reported_on).
        MissingField => "missing_field",
        /// No indicator of that id: not reportable, not computed, no target's.
        UnknownIndicator => "unknown_indicator",
        /// An indicator SkillHouse computes from the records, or one that is not of the reportable kind.
        IndicatorNotReportable => "indicator_not_reportable",
        /// A region code that is not the province or a reporting unit.
        UnknownRegion => "unknown_region",
        /// A programme that is not one of `1`–`10`, `2.1`–`2.5`.
        UnknownProgramme => "unknown_programme",
        /// An agency type that is not one of the four.
        UnknownAgencyType => "unknown_agency_type",
        /// A year that is not a whole number.
        YearInvalid => "year_invalid",
        /// A year outside the warehouse's years (its first certificate or training year to the as-of year).
        YearOutOfRange => "year_out_of_range",
        /// A unit other than the one the indicator's targets use.
        UnitMismatch => "unit_mismatch",
        /// A value that is not a finite number.
        ValueNotNumeric => "value_not_numeric",
        /// A negative value.
        ValueNegative => "value_negative",
        /// A reporting date that cannot be read or is after the as-of date.
        ReportedOnInvalid => "reported_on_invalid",
        /// The same indicator, region, year, programme and agency type again in one file: the first row counts.
        DuplicateKey => "duplicate_key",
    }
}

impl ReportedRejectReason {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_explanation_is_chinese_then_english() {
        for reason in ReportedRejectReason::ALL {
            assert!(reason.explanation().contains(" / "), "{reason}: Chinese, then English");
        }
    }
}
