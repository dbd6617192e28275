//! Evaluation agency types (DESIGN §4).

use crate::text::fold_lower;
use std::fmt;

/// The four kinds of evaluation agency (评价机构).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyType {
    /// 企业 — enterprise doing its own skill evaluation.
    Enterprise,
    /// 院校 — technical college or vocational school.
    College,
    /// 社会培训评价组织 — social training-evaluation organisation.
    Social,
    /// 专项职业能力考核机构 — special competence assessor.
    SpecialCompetence,
}

impl AgencyType {
    /// Every type, in catalogue order.
    pub const ALL: [AgencyType; 4] = [Self::Enterprise, Self::College, Self::Social, Self::SpecialCompetence];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::College => "college",
            Self::Social => "social",
            Self::SpecialCompetence => "special_competence",
        }
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Enterprise => "企业",
            Self::College => "院校",
            Self::Social => "社会培训评价组织",
            Self::SpecialCompetence => "专项职业能力考核机构",
        }
    }

    /// English name.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::Enterprise => "Enterprise",
            Self::College => "College",
            Self::Social => "Social training-evaluation organisation",
            Self::SpecialCompetence => "Special competence assessor",
        }
    }

    /// Parses a code or Chinese name.
    pub fn parse(raw: &str) -> Option<Self> {
        let folded = fold_lower(raw);
        let s = folded.as_str();
        Self::ALL.into_iter().find(|t| {
            s == t.code()
                || s == t.name_zh()
                || match t {
                    Self::Enterprise => matches!(s, "企业评价机构" | "用人单位"),
                    Self::College => matches!(s, "技工院校" | "职业院校" | "院校评价机构"),
                    Self::Social => matches!(s, "社会评价组织" | "社会培训评价机构" | "社会组织"),
                    Self::SpecialCompetence => matches!(s, "专项职业能力考核" | "专项能力考核机构"),
                }
        })
    }
}

impl fmt::Display for AgencyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for t in AgencyType::ALL {
            assert_eq!(AgencyType::parse(t.code()), Some(t));
            assert_eq!(AgencyType::parse(t.name_zh()), Some(t));
        }
        assert_eq!(AgencyType::parse(" 企业 "), Some(AgencyType::Enterprise));
        assert_eq!(AgencyType::parse("政府"), None);
    }
}
