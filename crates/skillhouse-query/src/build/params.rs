//! The parameters of a build, bound to the `$name` placeholders of the SQL files.

use chrono::NaiveDate;
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;
use std::collections::HashMap;

/// `$from_year` of a build from nothing: every issue year is at least this.
pub const FULL_HISTORY: i32 = 0;

/// Relative tolerance of the `~` (about, 左右) comparator: a value within 5% below the target, or above it, is met
/// (`$approx_tolerance` of `sql/values/indicator_values.sql`).
pub const APPROX_TOLERANCE: f64 = 0.05;

/// Width of 序时进度's `on_pace` band, in shares of the target: a flow whose completion (value ÷ target) is at the
/// elapsed share of the year or up to 5 percentage points above it is on pace, further above it ahead
/// (`$pace_band` of `sql/values/indicator_values.sql`, docs/pace.md).
pub const PACE_BAND: f64 = 0.05;

/// Values bound to the named placeholders of every model and indicator. Binding (not splicing) keeps the SQL files
/// constant, pasteable and safe whatever the values are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildParams {
    /// `$as_of` (DATE): certificates issued after it are ignored and the current year's stock ends on it.
    pub as_of: NaiveDate,
    /// `$youth_min_age` (BIGINT): youngest youth age in whole years on the issue date, inclusive (16).
    pub youth_min_age: u32,
    /// `$youth_max_age` (BIGINT): oldest youth age in whole years on the issue date, inclusive (35).
    pub youth_max_age: u32,
    /// `$province_code` (VARCHAR): region code of the province rows (410000).
    pub province_code: String,
}

impl BuildParams {
    /// The parameters of DESIGN §8 for an as-of date: youth 16–35, province 410000.
    pub fn new(as_of: NaiveDate) -> Self {
        Self {
            as_of,
            youth_min_age: skillhouse_model::YOUTH_MIN_AGE,
            youth_max_age: skillhouse_model::YOUTH_MAX_AGE,
            province_code: skillhouse_model::PROVINCE_CODE.to_string(),
        }
    }

    /// The values as DataFusion named parameters (`$as_of` ↔ key `as_of`).
    pub fn param_values(&self) -> ParamValues {
        let mut values: HashMap<&str, ScalarValue> = HashMap::new();
        values.insert("as_of", ScalarValue::Date32(Some(date32(self.as_of))));
        values.insert("youth_min_age", ScalarValue::Int64(Some(i64::from(self.youth_min_age))));
        values.insert("youth_max_age", ScalarValue::Int64(Some(i64::from(self.youth_max_age))));
        values.insert("province_code", ScalarValue::Utf8(Some(self.province_code.clone())));
        // The year-partitioned models return the years from `$from_year` on; the build moves it forward when it
        // takes earlier years over from the previous snapshot (`carry.rs`).
        values.insert("from_year", ScalarValue::Int32(Some(FULL_HISTORY)));
        // The values join's: the definition version stamped on every row, and the `~` comparator's tolerance.
        values.insert("definition_version", ScalarValue::Utf8(Some(skillhouse_model::DEFINITION_VERSION.to_string())));
        values.insert("approx_tolerance", ScalarValue::Float64(Some(APPROX_TOLERANCE)));
        values.insert("pace_band", ScalarValue::Float64(Some(PACE_BAND)));
        ParamValues::from(values)
    }
}

/// Days since 1970-01-01, the Arrow `Date32` representation.
pub(crate) fn date32(date: NaiveDate) -> i32 {
    let days = date.signed_duration_since(NaiveDate::default()).num_days();
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date32_counts_days_from_the_epoch() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
        assert_eq!(date32(day(1970, 1, 1)), 0);
        assert_eq!(date32(day(1970, 1, 2)), 1);
        assert_eq!(date32(day(2024, 1, 1)), 19_723);
        assert_eq!(date32(day(1969, 12, 31)), -1);
    }
}
