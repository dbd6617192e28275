//! The reference data the generator draws from: the occupation table (compiled in from
//! `datasets/reference/occupations.csv`), the reporting units with their weights, and the pools of synthetic names.

use crate::error::{DatagenError, Result};
use skillhouse_model::{Level, Programme, ReportingUnit};

/// The occupation reference, compiled in so that a drop depends only on the generator's version and arguments.
const OCCUPATIONS_CSV: &str = include_str!("../../../datasets/reference/occupations.csv");

/// One occupation of the 2022 classification with the levels it offers.
#[derive(Debug, Clone)]
pub(crate) struct Occupation {
    /// `D-DD-DD-DD`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// Lowest level offered.
    pub min_level: Level,
    /// Highest level offered (l1 at most; the appointed grades are open to every occupation).
    pub max_level: Level,
    /// The programme its certificates are usually tagged with.
    pub programme: Option<Programme>,
    /// Relative frequency among certificates.
    pub weight: f64,
}

impl Occupation {
    /// Whether the occupation offers `level` (the appointed grades are open to all).
    pub(crate) fn offers(&self, level: Level) -> bool {
        level.rank() > Level::L1.rank() || (self.min_level <= level && level <= self.max_level)
    }
}

/// The 15 occupations DESIGN §14 names; they are the most common in the drops.
const CORE_CODES: [&str; 15] = [
    "6-31-01-03",
    "6-18-02-04",
    "4-03-02-01",
    "4-03-02-02",
    "4-02-07-10",
    "4-01-02-07",
    "4-10-01-05",
    "4-10-01-06",
    "4-10-01-03",
    "6-30-99-00",
    "4-08-03-07",
    "5-05-01-00",
    "4-12-01-01",
    "6-18-01-01",
    "4-07-05-01",
];

/// Parses the compiled-in occupation table.
pub(crate) fn occupations() -> Result<Vec<Occupation>> {
    let mut lines = OCCUPATIONS_CSV.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').map(str::trim).collect();
    let col = |name: &str| {
        header.iter().position(|h| *h == name).ok_or_else(|| DatagenError::Reference {
            table: "occupations.csv",
            line: 1,
            problem: format!("no column {name}"),
        })
    };
    let (code_i, name_i, min_i, max_i, prog_i) =
        (col("occupation_code")?, col("name_zh")?, col("min_level")?, col("max_level")?, col("programme")?);
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let bad = |problem: String| DatagenError::Reference { table: "occupations.csv", line: n + 2, problem };
        let cell = |i: usize| cells.get(i).copied().ok_or_else(|| bad(format!("missing column {i}")));
        let level = |i: usize| {
            let text = cell(i)?;
            Level::parse(text).ok_or_else(|| bad(format!("unknown level {text:?}")))
        };
        let code = cell(code_i)?.to_string();
        let programme = match cell(prog_i)? {
            "" => None,
            text => Some(Programme::parse(text).ok_or_else(|| bad(format!("unknown programme {text:?}")))?),
        };
        let weight = if CORE_CODES.contains(&code.as_str()) { 4.0 } else { 1.0 };
        out.push(Occupation {
            name_zh: cell(name_i)?.to_string(),
            min_level: level(min_i)?,
            max_level: level(max_i)?,
            code,
            programme,
            weight,
        });
    }
    if out.is_empty() || out.len() > 250 {
        return Err(DatagenError::Reference {
            table: "occupations.csv",
            line: 0,
            problem: format!("expected 1 to 250 occupations, found {}", out.len()),
        });
    }
    Ok(out)
}

/// Weights of the 19 reporting units, in the order of [`ReportingUnit::UNITS`].
///
/// Source: the 新增技能 column of the 2022 city table in seed 000 (共青团河南省委, 豫青字〔2022〕5号, 附件
/// 《2022年“人人持证、青年当先”技能培训目标任务分解表》), transcribed to `datasets/reference/targets.csv` as the
/// `youth_league_new_skilled` rows. The 2022 table has no row for 郑州航空港区 (then counted within 郑州), so 300 of
/// 郑州's 1,600 are given to it.
pub(crate) const UNIT_WEIGHTS: [f64; 19] = [
    1300.0, // 410100 郑州 (1,600 less the airport zone's share)
    930.0,  // 410200 开封
    1350.0, // 410300 洛阳
    930.0,  // 410400 平顶山
    1000.0, // 410500 安阳
    400.0,  // 410600 鹤壁
    1100.0, // 410700 新乡
    850.0,  // 410800 焦作
    800.0,  // 410900 濮阳
    970.0,  // 411000 许昌
    600.0,  // 411100 漯河
    500.0,  // 411200 三门峡
    1450.0, // 411300 南阳
    1350.0, // 411400 商丘
    1200.0, // 411500 信阳
    1400.0, // 411600 周口
    1250.0, // 411700 驻马店
    320.0,  // 419001 济源示范区
    300.0,  // 410173 郑州航空港区
];

/// The short name of a reporting unit (without 市), for synthetic agency names.
pub(crate) fn unit_short_name(unit: usize) -> &'static str {
    let name = ReportingUnit::UNITS[unit].name_zh;
    match name {
        "济源示范区" => "济源",
        "郑州航空港区" => "郑州航空港",
        _ => name.strip_suffix('市').unwrap_or(name),
    }
}

/// The 户籍 region codes (county level) of IDs from a reporting unit: its own code's first four digits and a
/// district or county suffix. The airport zone is a statistical code only, so its residents hold 郑州 IDs.
pub(crate) fn hukou_code(unit: usize, suffix_pick: usize) -> String {
    const SUFFIXES: [&str; 9] = ["02", "03", "04", "05", "21", "22", "23", "26", "81"];
    let code = ReportingUnit::UNITS[unit].code;
    match code {
        "419001" => code.to_string(),
        "410173" => format!("4101{}", SUFFIXES[suffix_pick % SUFFIXES.len()]),
        _ => format!("{}{}", &code[..4], SUFFIXES[suffix_pick % SUFFIXES.len()]),
    }
}

/// 户籍 regions outside Henan (migrant workers and graduates certified in Henan).
pub(crate) const OTHER_PROVINCE_HUKOU: [&str; 10] =
    ["110105", "310104", "420102", "340102", "370102", "130102", "610102", "510104", "320102", "360102"];

/// Common surnames, most frequent first.
pub(crate) const SURNAMES: [&str; 48] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾",
    "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
];

/// Characters of given names.
pub(crate) const GIVEN_CHARS: [&str; 60] = [
    "伟", "芳", "娜", "秀", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "兰",
    "霞", "平", "刚", "桂", "英", "华", "鹏", "辉", "玲", "建", "国", "红", "文", "斌", "宇", "浩", "凯", "欣", "怡",
    "婷", "雪", "晨", "阳", "博", "豪", "梓", "涵", "子", "轩", "佳", "琪", "俊", "峰", "亮", "飞", "春", "海", "志",
    "振", "玉", "金",
];

/// Brand syllables for agency names.
pub(crate) const BRANDS: [&str; 24] = [
    "中原", "黄河", "嵩山", "伏牛", "豫龙", "天瑞", "宏达", "恒信", "金水", "瑞丰", "华夏", "卫华", "中联", "安泰",
    "鼎盛", "新航", "鸿运", "兴豫", "博远", "汇通", "神马", "万基", "明泰", "永安",
];

/// Industries of enterprise agencies.
pub(crate) const INDUSTRIES: [&str; 12] =
    ["机械", "电力", "重工", "食品", "纺织", "建设", "化工", "汽车", "物流", "煤业", "电气", "智能装备"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupation_table_holds_the_design_list_with_its_levels() {
        let occ = occupations().expect("occupations parse");
        for code in CORE_CODES {
            assert!(occ.iter().any(|o| o.code == code), "{code}");
        }
        let home = occ.iter().find(|o| o.code == "4-10-01-06").expect("家政服务员");
        assert!(home.offers(Level::L2) && !home.offers(Level::L1) && home.offers(Level::Chief));
        let robot = occ.iter().find(|o| o.code == "6-30-99-00").expect("工业机器人系统操作员");
        assert!(!robot.offers(Level::L5) && robot.offers(Level::L4));
    }

    #[test]
    fn units_and_weights_line_up() {
        assert_eq!(UNIT_WEIGHTS.len(), ReportingUnit::UNITS.len());
        assert_eq!(UNIT_WEIGHTS.iter().sum::<f64>(), 18_000.0, "the 18 city rows of 新增技能 sum to 18,000");
        assert_eq!(hukou_code(18, 0), "410102");
        assert_eq!(hukou_code(17, 3), "419001");
        assert_eq!(unit_short_name(3), "平顶山");
    }
}
