//! The ten special programmes (十个专项) of the 2025 provincial plan, with the five sub-programmes of programme 2.

use crate::text::fold_lower;
use std::fmt;

/// A special training programme a certificate may be tagged with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Programme {
    /// 1 先进制造业技能培训专项.
    #[serde(rename = "1")]
    AdvancedManufacturing,
    /// 2 现代服务业技能培训专项.
    #[serde(rename = "2")]
    ModernServices,
    /// 2.1 康养托育.
    #[serde(rename = "2.1")]
    ElderlyAndChildCare,
    /// 2.2 文旅文创.
    #[serde(rename = "2.2")]
    CultureAndTourism,
    /// 2.3 纺织服装.
    #[serde(rename = "2.3")]
    TextilesAndApparel,
    /// 2.4 电商·豫菜.
    #[serde(rename = "2.4")]
    EcommerceAndHenanCuisine,
    /// 2.5 安全河南.
    #[serde(rename = "2.5")]
    SafeHenan,
    /// 3 “三农”领域技能培训专项.
    #[serde(rename = "3")]
    Agriculture,
    /// 4 数字领域技能培训专项.
    #[serde(rename = "4")]
    Digital,
    /// 5 交通水利领域技能培训专项.
    #[serde(rename = "5")]
    TransportAndWater,
    /// 6 青年技能人才培训专项.
    #[serde(rename = "6")]
    Youth,
    /// 7 民营企业技能培训专项.
    #[serde(rename = "7")]
    PrivateEnterprises,
    /// 8 院校技能培训专项.
    #[serde(rename = "8")]
    Colleges,
    /// 9 职业技能竞赛培训专项.
    #[serde(rename = "9")]
    SkillsCompetitions,
    /// 10 重点群体技能培训专项.
    #[serde(rename = "10")]
    KeyGroups,
}

impl Programme {
    /// Every programme and sub-programme, in the plan's order.
    pub const ALL: [Programme; 15] = [
        Self::AdvancedManufacturing,
        Self::ModernServices,
        Self::ElderlyAndChildCare,
        Self::CultureAndTourism,
        Self::TextilesAndApparel,
        Self::EcommerceAndHenanCuisine,
        Self::SafeHenan,
        Self::Agriculture,
        Self::Digital,
        Self::TransportAndWater,
        Self::Youth,
        Self::PrivateEnterprises,
        Self::Colleges,
        Self::SkillsCompetitions,
        Self::KeyGroups,
    ];

    /// Stable code: `1`–`10`, `2.1`–`2.5`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::AdvancedManufacturing => "1",
            Self::ModernServices => "2",
            Self::ElderlyAndChildCare => "2.1",
            Self::CultureAndTourism => "2.2",
            Self::TextilesAndApparel => "2.3",
            Self::EcommerceAndHenanCuisine => "2.4",
            Self::SafeHenan => "2.5",
            Self::Agriculture => "3",
            Self::Digital => "4",
            Self::TransportAndWater => "5",
            Self::Youth => "6",
            Self::PrivateEnterprises => "7",
            Self::Colleges => "8",
            Self::SkillsCompetitions => "9",
            Self::KeyGroups => "10",
        }
    }

    /// The parent programme of a sub-programme (`2` for `2.x`), `None` for the ten.
    pub const fn parent(self) -> Option<Programme> {
        match self {
            Self::ElderlyAndChildCare
            | Self::CultureAndTourism
            | Self::TextilesAndApparel
            | Self::EcommerceAndHenanCuisine
            | Self::SafeHenan => Some(Self::ModernServices),
            _ => None,
        }
    }

    /// The one of the ten programmes this rolls up into (itself, or its parent).
    pub const fn top_level(self) -> Programme {
        match self.parent() {
            Some(parent) => parent,
            None => self,
        }
    }

    /// The name in the 2025 plan (for sub-programmes, the sub-programme's own short name).
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::AdvancedManufacturing => "先进制造业技能培训专项",
            Self::ModernServices => "现代服务业技能培训专项",
            Self::ElderlyAndChildCare => "康养托育",
            Self::CultureAndTourism => "文旅文创",
            Self::TextilesAndApparel => "纺织服装",
            Self::EcommerceAndHenanCuisine => "电商·豫菜",
            Self::SafeHenan => "安全河南",
            Self::Agriculture => "“三农”领域技能培训专项",
            Self::Digital => "数字领域技能培训专项",
            Self::TransportAndWater => "交通水利领域技能培训专项",
            Self::Youth => "青年技能人才培训专项",
            Self::PrivateEnterprises => "民营企业技能培训专项",
            Self::Colleges => "院校技能培训专项",
            Self::SkillsCompetitions => "职业技能竞赛培训专项",
            Self::KeyGroups => "重点群体技能培训专项",
        }
    }

    /// The short name used on dashboards (DESIGN §9).
    pub const fn short_name_zh(self) -> &'static str {
        match self {
            Self::AdvancedManufacturing => "先进制造业",
            Self::ModernServices => "现代服务业",
            Self::ElderlyAndChildCare => "康养托育",
            Self::CultureAndTourism => "文旅文创",
            Self::TextilesAndApparel => "纺织服装",
            Self::EcommerceAndHenanCuisine => "电商·豫菜",
            Self::SafeHenan => "安全河南",
            Self::Agriculture => "三农",
            Self::Digital => "数字",
            Self::TransportAndWater => "交通水利",
            Self::Youth => "青年",
            Self::PrivateEnterprises => "民营企业",
            Self::Colleges => "院校",
            Self::SkillsCompetitions => "职业技能竞赛",
            Self::KeyGroups => "重点群体",
        }
    }

    /// English name.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::AdvancedManufacturing => "Advanced manufacturing",
            Self::ModernServices => "Modern services",
            Self::ElderlyAndChildCare => "Elderly and child care",
            Self::CultureAndTourism => "Culture and tourism",
            Self::TextilesAndApparel => "Textiles and apparel",
            Self::EcommerceAndHenanCuisine => "E-commerce and Henan cuisine",
            Self::SafeHenan => "Safe Henan",
            Self::Agriculture => "Agriculture (san nong)",
            Self::Digital => "Digital",
            Self::TransportAndWater => "Transport and water",
            Self::Youth => "Youth",
            Self::PrivateEnterprises => "Private enterprises",
            Self::Colleges => "Colleges",
            Self::SkillsCompetitions => "Skills competitions",
            Self::KeyGroups => "Key groups",
        }
    }

    /// Parses a code (`1`–`10`, `2.1`–`2.5`), the full name of the plan, or the short name, with or without the
    /// `技能培训专项`/`专项` suffix, quotes, and either middle dot in 电商·豫菜.
    pub fn parse(raw: &str) -> Option<Self> {
        let folded = fold_lower(raw);
        let cleaned: String =
            folded.chars().filter(|c| !matches!(c, '“' | '”' | '"' | '·' | '・' | '•' | '.' | ' ' | '、')).collect();
        if let Some(p) = Self::ALL.into_iter().find(|p| p.code() == folded.as_str()) {
            return Some(p);
        }
        let strip = |name: &str| -> String {
            name.chars().filter(|c| !matches!(c, '“' | '”' | '·' | '.' | ' ')).collect()
        };
        let mut stem = cleaned.as_str();
        for suffix in ["技能人才培训专项", "技能培训专项", "培训专项", "专项", "技能培训", "领域"]
        {
            if let Some(s) = stem.strip_suffix(suffix) {
                stem = s;
            }
        }
        let stem = stem.strip_suffix("领域").unwrap_or(stem);
        Self::ALL.into_iter().find(|p| strip(p.name_zh()) == cleaned || strip(p.short_name_zh()) == stem)
    }
}

impl fmt::Display for Programme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        for p in Programme::ALL {
            assert_eq!(Programme::parse(p.code()), Some(p), "code {}", p.code());
            assert_eq!(Programme::parse(p.name_zh()), Some(p), "{}", p.name_zh());
            assert_eq!(Programme::parse(p.short_name_zh()), Some(p), "{}", p.short_name_zh());
            assert_eq!(Programme::parse(&format!(" {} ", p.short_name_zh())), Some(p));
        }
        assert_eq!(Programme::parse("电商豫菜"), Some(Programme::EcommerceAndHenanCuisine));
        assert_eq!(Programme::parse("电商・豫菜"), Some(Programme::EcommerceAndHenanCuisine));
        assert_eq!(Programme::parse("三农领域技能培训专项"), Some(Programme::Agriculture));
        assert_eq!(Programme::parse("１０"), Some(Programme::KeyGroups));
    }

    #[test]
    fn refuses_unknown() {
        for bad in ["", "0", "11", "2.6", "航天", "专项"] {
            assert_eq!(Programme::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sub_programmes_roll_up_into_two() {
        let subs: Vec<&str> = Programme::ALL.iter().filter(|p| p.parent().is_some()).map(|p| p.code()).collect();
        assert_eq!(subs, ["2.1", "2.2", "2.3", "2.4", "2.5"]);
        assert_eq!(Programme::SafeHenan.top_level(), Programme::ModernServices);
        assert_eq!(Programme::Digital.top_level(), Programme::Digital);
    }
}
