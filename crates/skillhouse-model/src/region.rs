//! Reporting units (统计报告单位) of Henan, 2025 (DESIGN §14).

use crate::text::fold_cell;

/// Region code of the whole province.
pub const PROVINCE_CODE: &str = "410000";

/// A reporting unit: one of the 17 prefecture-level cities, 济源示范区, 郑州航空港区, or the province itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportingUnit {
    /// 6-digit region code.
    pub code: &'static str,
    /// Chinese name.
    pub name_zh: &'static str,
    /// English name.
    pub name_en: &'static str,
}

const fn unit(code: &'static str, name_zh: &'static str, name_en: &'static str) -> ReportingUnit {
    ReportingUnit { code, name_zh, name_en }
}

impl ReportingUnit {
    /// The province as a whole.
    pub const PROVINCE: ReportingUnit = unit(PROVINCE_CODE, "河南省", "Henan Province");

    /// The 19 reporting units below the province, in code order of the 2025 list.
    pub const UNITS: [ReportingUnit; 19] = [
        unit("410100", "郑州市", "Zhengzhou"),
        unit("410200", "开封市", "Kaifeng"),
        unit("410300", "洛阳市", "Luoyang"),
        unit("410400", "平顶山市", "Pingdingshan"),
        unit("410500", "安阳市", "Anyang"),
        unit("410600", "鹤壁市", "Hebi"),
        unit("410700", "新乡市", "Xinxiang"),
        unit("410800", "焦作市", "Jiaozuo"),
        unit("410900", "濮阳市", "Puyang"),
        unit("411000", "许昌市", "Xuchang"),
        unit("411100", "漯河市", "Luohe"),
        unit("411200", "三门峡市", "Sanmenxia"),
        unit("411300", "南阳市", "Nanyang"),
        unit("411400", "商丘市", "Shangqiu"),
        unit("411500", "信阳市", "Xinyang"),
        unit("411600", "周口市", "Zhoukou"),
        unit("411700", "驻马店市", "Zhumadian"),
        unit("419001", "济源示范区", "Jiyuan Demonstration Zone"),
        unit("410173", "郑州航空港区", "Zhengzhou Airport Economy Zone"),
    ];

    /// Looks a unit (or the province) up by code or by Chinese name, with or without the 市 suffix.
    pub fn parse(raw: &str) -> Option<Self> {
        let s = fold_cell(raw);
        let s = s.as_ref();
        std::iter::once(Self::PROVINCE).chain(Self::UNITS).find(|u| {
            u.code == s
                || u.name_zh == s
                || u.name_zh.strip_suffix('市') == Some(s)
                || (u.code == "419001" && s == "济源")
                || (u.code == "410173" && matches!(s, "航空港区" | "郑州航空港经济综合实验区"))
                || (u.code == PROVINCE_CODE && matches!(s, "河南" | "全省"))
        })
    }

    /// Whether `code` is the province or one of its 19 reporting units.
    pub fn is_known(code: &str) -> bool {
        code == PROVINCE_CODE || Self::UNITS.iter().any(|u| u.code == code)
    }

    /// Whether this unit's code can be the first six digits of a resident ID (the airport zone's is a
    /// statistical code only).
    pub fn is_id_prefix(&self) -> bool {
        self.code != "410173" && self.code != PROVINCE_CODE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nineteen_units_plus_province() {
        assert_eq!(ReportingUnit::UNITS.len(), 19);
        let mut codes: Vec<&str> = ReportingUnit::UNITS.iter().map(|u| u.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 19, "codes are unique");
        assert_eq!(ReportingUnit::parse("开封").map(|u| u.code), Some("410200"));
        assert_eq!(ReportingUnit::parse(" 410173 ").map(|u| u.name_en), Some("Zhengzhou Airport Economy Zone"));
        assert_eq!(ReportingUnit::parse("410000"), Some(ReportingUnit::PROVINCE));
        assert!(ReportingUnit::parse("北京").is_none());
        assert!(!ReportingUnit::UNITS[18].is_id_prefix());
    }
}
