//! Skill levels of the 新八级工 system (DESIGN §5, §14).

use crate::text::fold_lower;
use std::fmt;

/// A certificate level. 学徒工 (apprentice) is a training stage with no certificate, so it is not a level here.
///
/// Variants are declared in rank order, so `Ord` follows [`Level::rank`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Level {
    /// 五级/初级工.
    #[serde(rename = "l5")]
    L5,
    /// 四级/中级工.
    #[serde(rename = "l4")]
    L4,
    /// 三级/高级工.
    #[serde(rename = "l3")]
    L3,
    /// 二级/技师.
    #[serde(rename = "l2")]
    L2,
    /// 一级/高级技师.
    #[serde(rename = "l1")]
    L1,
    /// 特级技师 — appointed by enterprises.
    #[serde(rename = "special_grade")]
    SpecialGrade,
    /// 首席技师 — appointed by enterprises.
    #[serde(rename = "chief")]
    Chief,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 7] = [Self::L5, Self::L4, Self::L3, Self::L2, Self::L1, Self::SpecialGrade, Self::Chief];

    /// Rank for "highest level" comparisons: no level is 0, l5 is 1 … chief is 7.
    pub const fn rank(self) -> u8 {
        match self {
            Self::L5 => 1,
            Self::L4 => 2,
            Self::L3 => 3,
            Self::L2 => 4,
            Self::L1 => 5,
            Self::SpecialGrade => 6,
            Self::Chief => 7,
        }
    }

    /// The level of a rank (1–7).
    pub fn from_rank(rank: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.rank() == rank)
    }

    /// Stable code (`l5` … `l1`, `special_grade`, `chief`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::L5 => "l5",
            Self::L4 => "l4",
            Self::L3 => "l3",
            Self::L2 => "l2",
            Self::L1 => "l1",
            Self::SpecialGrade => "special_grade",
            Self::Chief => "chief",
        }
    }

    /// Title name (初级工 … 首席技师).
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::L5 => "初级工",
            Self::L4 => "中级工",
            Self::L3 => "高级工",
            Self::L2 => "技师",
            Self::L1 => "高级技师",
            Self::SpecialGrade => "特级技师",
            Self::Chief => "首席技师",
        }
    }

    /// Grade name (五级 … 一级); `None` for the appointed grades.
    pub const fn grade_zh(self) -> Option<&'static str> {
        match self {
            Self::L5 => Some("五级"),
            Self::L4 => Some("四级"),
            Self::L3 => Some("三级"),
            Self::L2 => Some("二级"),
            Self::L1 => Some("一级"),
            Self::SpecialGrade | Self::Chief => None,
        }
    }

    /// English name.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::L5 => "Junior worker (level 5)",
            Self::L4 => "Intermediate worker (level 4)",
            Self::L3 => "Senior worker (level 3)",
            Self::L2 => "Technician (level 2)",
            Self::L1 => "Senior technician (level 1)",
            Self::SpecialGrade => "Special-grade technician",
            Self::Chief => "Chief technician",
        }
    }

    /// The digit of the 22-character certificate number and of the `5`…`1` spellings; `None` above l1.
    pub const fn digit(self) -> Option<u8> {
        match self {
            Self::L5 => Some(5),
            Self::L4 => Some(4),
            Self::L3 => Some(3),
            Self::L2 => Some(2),
            Self::L1 => Some(1),
            Self::SpecialGrade | Self::Chief => None,
        }
    }

    /// 高技能: 高级工 and above.
    pub const fn is_high_skilled(self) -> bool {
        self.rank() >= Self::L3.rank()
    }

    /// Parses every spelling of DESIGN §4: `五级/初级工`, `初级工`, `五级`, `5`, `l5`, `L5`, `五级（初级工）`,
    /// `特级技师`, `special_grade`, `首席技师`, `chief`, with spaces and full-width characters tolerated. A combined
    /// spelling whose parts disagree (`五级/高级工`) is refused.
    pub fn parse(raw: &str) -> Option<Self> {
        let folded = fold_lower(raw);
        let cleaned = folded.replace([' ', '）', ')'], "");
        let mut found: Option<Self> = None;
        let mut any = false;
        for part in cleaned.split(['/', '／', '（', '(', '、']).filter(|p| !p.is_empty()) {
            any = true;
            let level = Self::parse_single(part)?;
            if found.is_some_and(|f| f != level) {
                return None;
            }
            found = Some(level);
        }
        if any { found } else { None }
    }

    fn parse_single(s: &str) -> Option<Self> {
        let s = s.strip_prefix("职业技能等级").unwrap_or(s);
        Some(match s {
            "l5" | "5" | "五级" | "初级工" | "初级" | "junior" => Self::L5,
            "l4" | "4" | "四级" | "中级工" | "中级" | "intermediate" => Self::L4,
            "l3" | "3" | "三级" | "高级工" | "senior" => Self::L3,
            "l2" | "2" | "二级" | "技师" | "technician" => Self::L2,
            "l1" | "1" | "一级" | "高级技师" | "senior_technician" => Self::L1,
            "special_grade" | "特级技师" | "特级" => Self::SpecialGrade,
            "chief" | "首席技师" | "首席" => Self::Chief,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling a clerk may type for a level, built from the level's own names.
    fn spellings(level: Level) -> Vec<String> {
        let mut out = vec![
            level.code().to_string(),
            level.code().to_uppercase(),
            level.name_zh().to_string(),
            format!(" {} ", level.name_zh()),
        ];
        if let (Some(grade), Some(digit)) = (level.grade_zh(), level.digit()) {
            out.push(grade.to_string());
            out.push(format!("{grade}/{}", level.name_zh()));
            out.push(format!("{grade}（{}）", level.name_zh()));
            out.push(digit.to_string());
            out.push(char::from_u32(0xFF10 + u32::from(digit)).map(String::from).unwrap_or_default());
        }
        out
    }

    #[test]
    fn every_spelling_round_trips() {
        for level in Level::ALL {
            for spelling in spellings(level) {
                assert_eq!(Level::parse(&spelling), Some(level), "{spelling:?}");
            }
            assert_eq!(Level::from_rank(level.rank()), Some(level));
        }
    }

    #[test]
    fn refuses_nonsense_and_contradictions() {
        for bad in ["", "六级", "0", "6", "学徒工", "五级/高级工", "l6", "/"] {
            assert_eq!(Level::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ranks_follow_the_eight_grade_ladder() {
        let ranks: Vec<u8> = Level::ALL.iter().map(|l| l.rank()).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5, 6, 7]);
        assert!(Level::L3.is_high_skilled() && !Level::L4.is_high_skilled());
        assert!(Level::Chief > Level::SpecialGrade && Level::SpecialGrade > Level::L1);
    }
}
