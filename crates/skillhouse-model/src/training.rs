//! The vocabulary of training records (DESIGN §16): provider types, training kinds, results, and the spellings of
//! the yes/no, organiser, hours and satisfaction cells. Every parser folds what clerks type (spaces, full-width
//! forms, ASCII case) and is total: a value maps to one variant or is refused.

use crate::text::{fold_cell, fold_lower};
use std::fmt;

/// The five kinds of training provider (培训机构类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderType {
    /// 企业 — an enterprise training its own staff.
    Enterprise,
    /// 院校 — a technical college or vocational school.
    College,
    /// 社会培训机构 — a private (social) training organisation.
    Social,
    /// 公共实训基地 — a public training base.
    Public,
    /// 线上平台 — an online platform.
    Online,
}

impl ProviderType {
    /// Every type, in catalogue order.
    pub const ALL: [ProviderType; 5] = [Self::Enterprise, Self::College, Self::Social, Self::Public, Self::Online];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::College => "college",
            Self::Social => "social",
            Self::Public => "public",
            Self::Online => "online",
        }
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Enterprise => "企业",
            Self::College => "院校",
            Self::Social => "社会培训机构",
            Self::Public => "公共实训基地",
            Self::Online => "线上平台",
        }
    }

    /// Parses a code or the Chinese name of DESIGN §16.
    pub fn parse(raw: &str) -> Option<Self> {
        let folded = fold_lower(raw);
        Self::ALL.into_iter().find(|t| folded == t.code() || folded == t.name_zh())
    }
}

impl fmt::Display for ProviderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The kind of a training class (培训类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingKind {
    /// 就业技能培训.
    Employment,
    /// 岗位技能提升培训.
    Upskilling,
    /// 创业培训.
    Entrepreneurship,
    /// 企业新型学徒制.
    Apprenticeship,
    /// 金蓝领 / 高技能人才“金蓝领”培训.
    GoldCollar,
    /// 其他.
    Other,
}

impl TrainingKind {
    /// Every kind, in catalogue order.
    pub const ALL: [TrainingKind; 6] = [
        Self::Employment,
        Self::Upskilling,
        Self::Entrepreneurship,
        Self::Apprenticeship,
        Self::GoldCollar,
        Self::Other,
    ];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Employment => "employment",
            Self::Upskilling => "upskilling",
            Self::Entrepreneurship => "entrepreneurship",
            Self::Apprenticeship => "apprenticeship",
            Self::GoldCollar => "gold_collar",
            Self::Other => "other",
        }
    }

    /// The Chinese name of DESIGN §16.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Employment => "就业技能培训",
            Self::Upskilling => "岗位技能提升培训",
            Self::Entrepreneurship => "创业培训",
            Self::Apprenticeship => "企业新型学徒制",
            Self::GoldCollar => "金蓝领",
            Self::Other => "其他",
        }
    }

    /// Whether a row of this kind must name a known occupation (every kind but entrepreneurship and other).
    pub const fn needs_occupation(self) -> bool {
        !matches!(self, Self::Entrepreneurship | Self::Other)
    }

    /// Parses a code or a Chinese spelling of DESIGN §16. Quotation marks are ignored, so
    /// `高技能人才“金蓝领”培训`, `高技能人才"金蓝领"培训` and `高技能人才金蓝领培训` are one spelling.
    pub fn parse(raw: &str) -> Option<Self> {
        let folded: String = fold_lower(raw).chars().filter(|c| !is_quote(*c)).collect();
        let s = folded.as_str();
        Self::ALL.into_iter().find(|k| {
            s == k.code()
                || s == k.name_zh()
                || match k {
                    Self::GoldCollar => s == "高技能人才金蓝领培训" || s == "金蓝领培训",
                    Self::Apprenticeship => s == "企业新型学徒制培训",
                    Self::Other => s == "其它",
                    _ => false,
                }
        })
    }
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '「' | '」' | '『' | '』')
}

impl fmt::Display for TrainingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How a trainee left the class (培训结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingResult {
    /// 合格.
    Passed,
    /// 不合格.
    Failed,
    /// 未结业 — dropped out: did not complete.
    Dropped,
}

impl TrainingResult {
    /// Every result.
    pub const ALL: [TrainingResult; 3] = [Self::Passed, Self::Failed, Self::Dropped];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Dropped => "dropped",
        }
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Passed => "合格",
            Self::Failed => "不合格",
            Self::Dropped => "未结业",
        }
    }

    /// Parses a code or the Chinese name.
    pub fn parse(raw: &str) -> Option<Self> {
        let folded = fold_lower(raw);
        Self::ALL.into_iter().find(|r| folded == r.code() || folded == r.name_zh())
    }
}

/// Parses the `subsidised` cell: 是/否, yes/no, 1/0 (DESIGN §16), and true/false, which spreadsheets and JSON
/// write for a boolean cell.
pub fn parse_yes_no(raw: &str) -> Option<bool> {
    match fold_lower(raw).as_str() {
        "是" | "yes" | "1" | "true" | "y" => Some(true),
        "否" | "no" | "0" | "false" | "n" => Some(false),
        _ => None,
    }
}

/// The organiser code of the Youth League (共青团).
pub const YOUTH_LEAGUE: &str = "youth_league";

/// Parses the `organiser` cell: 共青团, 团组织 or youth_league give [`YOUTH_LEAGUE`]; anything else — empty, another
/// organiser — is no organiser of note (DESIGN §16: "else empty").
pub fn parse_organiser(raw: &str) -> Option<&'static str> {
    matches!(fold_lower(raw).as_str(), "共青团" | "团组织" | YOUTH_LEAGUE).then_some(YOUTH_LEAGUE)
}

/// Parses a class-hours cell as a whole number: `48`, `48.0`, `４８`. `None` for text, fractions (`12.5`) and
/// numbers beyond `i32`.
pub fn parse_whole_hours(raw: &str) -> Option<i32> {
    let folded = fold_cell(raw);
    let s = folded.as_ref();
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let digits = whole.strip_prefix('-').unwrap_or(whole);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    whole.parse::<i32>().ok()
}

/// Parses a satisfaction cell: a number from 0 to 100, optionally followed by `%` (`92`, `92.5`, `92%`, `９２％`).
/// `None` for anything else.
pub fn parse_satisfaction(raw: &str) -> Option<f64> {
    let folded = fold_cell(raw);
    let s = folded.as_ref().trim_end_matches(['%', '％']).trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| (0.0..=100.0).contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_design_spelling_parses() {
        for t in ProviderType::ALL {
            assert_eq!(ProviderType::parse(t.code()), Some(t));
            assert_eq!(ProviderType::parse(t.name_zh()), Some(t));
        }
        assert_eq!(ProviderType::parse(" 公共实训基地 "), Some(ProviderType::Public));
        assert_eq!(ProviderType::parse("社会培训评价组织"), None, "an evaluation agency type, not a provider's");
        for k in TrainingKind::ALL {
            assert_eq!(TrainingKind::parse(k.code()), Some(k));
            assert_eq!(TrainingKind::parse(k.name_zh()), Some(k));
        }
        for gold in ["金蓝领", "高技能人才“金蓝领”培训", "高技能人才\"金蓝领\"培训", "GOLD_COLLAR"]
        {
            assert_eq!(TrainingKind::parse(gold), Some(TrainingKind::GoldCollar), "{gold}");
        }
        assert_eq!(TrainingKind::parse("技能培训"), None);
        assert!(!TrainingKind::Entrepreneurship.needs_occupation() && !TrainingKind::Other.needs_occupation());
        assert!(TrainingKind::GoldCollar.needs_occupation());
        for r in TrainingResult::ALL {
            assert_eq!(TrainingResult::parse(r.code()), Some(r));
            assert_eq!(TrainingResult::parse(r.name_zh()), Some(r));
        }
        assert_eq!(TrainingResult::parse("结业"), None);
    }

    #[test]
    fn yes_no_organiser_hours_satisfaction() {
        for (raw, want) in [("是", Some(true)), ("否", Some(false)), ("YES", Some(true)), ("０", Some(false))] {
            assert_eq!(parse_yes_no(raw), want, "{raw}");
        }
        assert_eq!(parse_yes_no("补贴"), None);
        assert_eq!(parse_organiser("共青团"), Some(YOUTH_LEAGUE));
        assert_eq!(parse_organiser(" 团组织 "), Some(YOUTH_LEAGUE));
        assert_eq!(parse_organiser("妇联"), None);
        for (raw, want) in [("48", Some(48)), ("12.0", Some(12)), ("４８", Some(48)), ("-3", Some(-3)), ("0", Some(0))]
        {
            assert_eq!(parse_whole_hours(raw), want, "{raw}");
        }
        for bad in ["12.5", "abc", "", "1e3", "99999999999", ".5", "-"] {
            assert_eq!(parse_whole_hours(bad), None, "{bad}");
        }
        assert_eq!(parse_satisfaction("85"), Some(85.0));
        assert_eq!(parse_satisfaction("92.5%"), Some(92.5));
        assert_eq!(parse_satisfaction("９０％"), Some(90.0));
        for bad in ["101", "-1", "good", "", "%"] {
            assert_eq!(parse_satisfaction(bad), None, "{bad}");
        }
    }
}
