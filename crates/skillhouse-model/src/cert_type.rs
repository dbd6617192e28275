//! Certificate types (DESIGN §5).

use crate::text::fold_lower;
use std::fmt;

/// The kind of certificate a row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertType {
    /// 职业资格证书 — vocational qualification (older system; carries a level, 16-digit numbers).
    Qualification,
    /// 职业技能等级证书 — skill-level certificate (carries a level, 22-character numbers).
    SkillLevel,
    /// 特种作业操作证 — special operation permit.
    SpecialOperation,
    /// 特种设备作业人员证 — special equipment operator permit.
    SpecialEquipment,
    /// 专项职业能力证书 — special competence certificate (skilled, no level).
    SpecialCompetence,
    /// 培训合格证书 — training certificate (makes nobody skilled).
    Training,
}

impl CertType {
    /// Every type, in catalogue order.
    pub const ALL: [CertType; 6] = [
        Self::Qualification,
        Self::SkillLevel,
        Self::SpecialOperation,
        Self::SpecialEquipment,
        Self::SpecialCompetence,
        Self::Training,
    ];

    /// Stable code used in the warehouse.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Qualification => "qualification",
            Self::SkillLevel => "skill_level",
            Self::SpecialOperation => "special_operation",
            Self::SpecialEquipment => "special_equipment",
            Self::SpecialCompetence => "special_competence",
            Self::Training => "training",
        }
    }

    /// Official Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Qualification => "职业资格证书",
            Self::SkillLevel => "职业技能等级证书",
            Self::SpecialOperation => "特种作业操作证",
            Self::SpecialEquipment => "特种设备作业人员证",
            Self::SpecialCompetence => "专项职业能力证书",
            Self::Training => "培训合格证书",
        }
    }

    /// English name.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::Qualification => "Vocational qualification certificate",
            Self::SkillLevel => "Skill level certificate",
            Self::SpecialOperation => "Special operation permit",
            Self::SpecialEquipment => "Special equipment operator permit",
            Self::SpecialCompetence => "Special competence certificate",
            Self::Training => "Training certificate",
        }
    }

    /// A 技能类证书: counts towards skilled persons (everything but training).
    pub const fn is_skill(self) -> bool {
        !matches!(self, Self::Training)
    }

    /// Whether the type carries a level (and must).
    pub const fn bears_level(self) -> bool {
        matches!(self, Self::Qualification | Self::SkillLevel)
    }

    /// Parses a code or a Chinese spelling (full name, or the name without 证书/证), tolerating spaces and
    /// full-width characters.
    pub fn parse(raw: &str) -> Option<Self> {
        let folded = fold_lower(raw);
        let s = folded.as_str();
        Self::ALL.into_iter().find(|t| s == t.code() || s == t.name_zh() || Self::aliases(*t).contains(&s))
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Qualification => &["职业资格", "职业资格证"],
            Self::SkillLevel => &["职业技能等级", "技能等级证书", "职业技能等级证"],
            Self::SpecialOperation => &["特种作业", "特种作业证", "特种作业操作证书"],
            Self::SpecialEquipment => &["特种设备", "特种设备作业证", "特种设备作业人员证书"],
            Self::SpecialCompetence => &["专项职业能力", "专项能力证书", "专项职业能力证"],
            Self::Training => &["培训合格", "培训合格证", "培训证书"],
        }
    }
}

impl fmt::Display for CertType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        for t in CertType::ALL {
            assert_eq!(CertType::parse(t.code()), Some(t));
            assert_eq!(CertType::parse(t.name_zh()), Some(t));
            assert_eq!(CertType::parse(&format!("  {}　", t.name_zh())), Some(t));
            assert_eq!(CertType::parse(&t.code().to_uppercase()), Some(t));
            for alias in CertType::aliases(t) {
                assert_eq!(CertType::parse(alias), Some(t), "{alias}");
            }
        }
        assert_eq!(CertType::parse("驾驶证"), None);
        assert_eq!(CertType::parse(""), None);
    }

    #[test]
    fn skill_and_level_flags() {
        assert!(!CertType::Training.is_skill());
        assert!(CertType::SpecialCompetence.is_skill());
        assert!(!CertType::SpecialCompetence.bears_level());
        assert!(CertType::Qualification.bears_level() && CertType::SkillLevel.bears_level());
    }
}
