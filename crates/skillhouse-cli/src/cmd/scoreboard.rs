//! The demo's terminal scoreboard: the published snapshot's headline indicators against their targets, in Chinese
//! and English, in aligned columns (CJK characters count two columns).
//!
//! The figures are read through the server's own loader ([`skillhouse_server::Published`]), typed, so the
//! scoreboard shows exactly what the API and the dashboard page publish — small cells withheld (`—`), never a
//! number the page would not show. Which indicators head the board, and their labels, come from the catalogue
//! (`-- headline:` and `-- short_title_*:` of each indicator's header); a value's target and status, or the
//! reference target and status the build chose for it, come with the value: the board shows decisions, it does not
//! make them. [`load`] reads; [`render`] is a pure function of the [`Board`].

use anyhow::Context;
use skillhouse_server::{Published, Table, ValueRow};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// The indicator of the programmes section.
const PROGRAMME_INDICATOR: &str = "programme_new_high_skilled";
/// The indicator the regions are ranked by, whose years the board offers.
const REGIONS_INDICATOR: &str = "high_skill_share";
/// How many of the regions behind target are listed, furthest behind first.
const REGIONS_LISTED: usize = 5;

const LABEL_WIDTH: usize = 52;
const VALUE_WIDTH: usize = 10;
const TARGET_WIDTH: usize = 11;
const COMPLETION_WIDTH: usize = 8;

/// One published indicator value (a row of `/api/v1/indicators/{id}`), as the server's loader reads it: withheld
/// cells have no value, and target, status, reference and pace are the build's decisions.
pub type Figure = ValueRow;

/// A headline indicator (`-- headline: N` in its header) with its label on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    /// Indicator id.
    pub indicator_id: String,
    /// `short_title_zh short_title_en`, else the titles.
    pub label: String,
}

/// A reporting unit's names (`/api/v1/regions`).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionName {
    /// Region code.
    pub region_code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// `province` for the province.
    pub kind: String,
}

/// A programme's names (`/api/v1/programmes`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeName {
    /// Programme code.
    pub programme: String,
    /// Short Chinese name.
    pub short_name_zh: String,
    /// English name.
    pub name_en: String,
    /// Parent programme of a sub-programme.
    pub parent: Option<String>,
}

#[derive(Debug)]
struct CatalogueEntry {
    indicator_id: String,
    comparator: Option<String>,
    unit: Option<String>,
    headline: Option<i64>,
    title_zh: Option<String>,
    title_en: Option<String>,
    short_title_zh: Option<String>,
    short_title_en: Option<String>,
}

impl CatalogueEntry {
    fn label(&self) -> String {
        let pick =
            |short: &Option<String>, long: &Option<String>| short.clone().or_else(|| long.clone()).unwrap_or_default();
        let (zh, en) = (pick(&self.short_title_zh, &self.title_zh), pick(&self.short_title_en, &self.title_en));
        format!("{zh} {en}").trim().to_string()
    }
}

/// Everything the scoreboard shows, as published.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Board {
    /// Snapshot id.
    pub snapshot_id: String,
    /// As-of date of the snapshot.
    pub as_of: String,
    /// Suppression threshold k.
    pub k: i64,
    /// The headline indicators, in board order.
    pub headlines: Vec<Headline>,
    /// Values of the headline indicators, the ranked one and the programmes.
    pub figures: Vec<Figure>,
    /// Reporting units and the province.
    pub regions: Vec<RegionName>,
    /// Programmes.
    pub programmes: Vec<ProgrammeName>,
    /// Comparator of each indicator (`>=`, `<=`, `~`).
    pub comparators: HashMap<String, String>,
    /// Indicators whose unit is a share.
    pub shares: Vec<String>,
}

/// The catalogue's rows, as the board needs them.
fn catalogue_entries(catalogue: &Table) -> Vec<CatalogueEntry> {
    let text = |name: &str| catalogue.text_column(name);
    let (ids, comparators, units) = (text("indicator_id"), text("comparator"), text("unit"));
    let (titles_zh, titles_en) = (text("title_zh"), text("title_en"));
    let (short_zh, short_en) = (text("short_title_zh"), text("short_title_en"));
    let headlines = catalogue.int_column("headline");
    (0..catalogue.rows.len())
        .filter_map(|row| {
            Some(CatalogueEntry {
                indicator_id: ids[row].clone()?,
                comparator: comparators[row].clone(),
                unit: units[row].clone(),
                headline: headlines[row],
                title_zh: titles_zh[row].clone(),
                title_en: titles_en[row].clone(),
                short_title_zh: short_zh[row].clone(),
                short_title_en: short_en[row].clone(),
            })
        })
        .collect()
}

fn region_names(regions: &Table) -> Vec<RegionName> {
    let text = |name: &str| regions.text_column(name);
    let (codes, zh, en, kinds) = (text("region_code"), text("name_zh"), text("name_en"), text("kind"));
    (0..regions.rows.len())
        .filter_map(|row| {
            Some(RegionName {
                region_code: codes[row].clone()?,
                name_zh: zh[row].clone().unwrap_or_default(),
                name_en: en[row].clone().unwrap_or_default(),
                kind: kinds[row].clone().unwrap_or_default(),
            })
        })
        .collect()
}

fn programme_names(programmes: &Table) -> Vec<ProgrammeName> {
    let text = |name: &str| programmes.text_column(name);
    let (codes, zh, en, parents) = (text("programme"), text("short_name_zh"), text("name_en"), text("parent"));
    (0..programmes.rows.len())
        .filter_map(|row| {
            Some(ProgrammeName {
                programme: codes[row].clone()?,
                short_name_zh: zh[row].clone().unwrap_or_default(),
                name_en: en[row].clone().unwrap_or_default(),
                parent: parents[row].clone().filter(|p| !p.is_empty()),
            })
        })
        .collect()
}

/// Reads the warehouse's published snapshot as the server publishes it, with suppression threshold `k`.
pub fn load(warehouse: &Path, k: i64) -> anyhow::Result<Board> {
    let published = Published::open_current(warehouse, k)
        .map_err(|e| anyhow::anyhow!(skillhouse_server::error_chain(&e)))
        .with_context(|| format!("loading the published snapshot of {}", warehouse.display()))?;
    let catalogue = catalogue_entries(published.catalogue());
    let mut listed: Vec<&CatalogueEntry> = catalogue.iter().filter(|entry| entry.headline.is_some()).collect();
    listed.sort_by_key(|entry| (entry.headline, entry.indicator_id.clone()));
    let headlines: Vec<Headline> = listed
        .iter()
        .map(|entry| Headline { indicator_id: entry.indicator_id.clone(), label: entry.label() })
        .collect();
    let mut wanted: Vec<&str> = headlines.iter().map(|h| h.indicator_id.as_str()).collect();
    for extra in [REGIONS_INDICATOR, PROGRAMME_INDICATOR] {
        if !wanted.contains(&extra) {
            wanted.push(extra);
        }
    }
    let mut figures: Vec<Figure> =
        wanted.into_iter().flat_map(|indicator| published.values(indicator).iter().cloned()).collect();
    figures.retain(|figure| figure.agency_type.is_none());
    Ok(Board {
        snapshot_id: published.id.clone(),
        as_of: published.manifest.as_of.clone(),
        k,
        headlines,
        figures,
        regions: region_names(published.regions()),
        programmes: programme_names(published.programmes()),
        comparators: catalogue
            .iter()
            .filter_map(|entry| Some((entry.indicator_id.clone(), entry.comparator.clone()?)))
            .collect(),
        shares: catalogue
            .iter()
            .filter(|entry| entry.unit.as_deref() == Some("share"))
            .map(|entry| entry.indicator_id.clone())
            .collect(),
    })
}

/// A target a value is measured against.
#[derive(Debug, Clone, PartialEq)]
struct Goal {
    value: f64,
    comparator: String,
    /// `Some(year)` when it is the province's target for another region or year, shown as a reference.
    reference_year: Option<i64>,
}

/// How a value stands against its goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Met,
    Behind,
    NoTarget,
    Withheld,
    NoData,
}

impl Standing {
    fn label(self) -> &'static str {
        match self {
            Self::Met => "✓ 达标 met",
            Self::Behind => "✗ 未达标 behind",
            Self::NoTarget => "- 无目标 no target",
            Self::Withheld => "— 已抑制 withheld",
            Self::NoData => "  无数据 no data",
        }
    }
}

impl Board {
    fn province(&self) -> &str {
        self.regions
            .iter()
            .find(|r| r.kind == "province")
            .map_or(skillhouse_model::PROVINCE_CODE, |r| r.region_code.as_str())
    }

    fn is_share(&self, indicator: &str) -> bool {
        self.shares.iter().any(|s| s == indicator)
    }

    /// The year shown: the as-of year when it has the high-skill share, else the latest year that does.
    fn year(&self) -> Option<i64> {
        let years: Vec<i64> =
            self.figures.iter().filter(|f| f.indicator_id == REGIONS_INDICATOR).filter_map(|f| f.year).collect();
        let as_of_year = self.as_of.get(..4).and_then(|y| y.parse().ok());
        as_of_year.filter(|y| years.contains(y)).or_else(|| years.iter().copied().max())
    }

    fn figure(&self, indicator: &str, region: &str, year: i64, programme: Option<&str>) -> Option<&Figure> {
        self.figures.iter().find(|f| {
            f.indicator_id == indicator
                && f.region_code.as_deref() == Some(region)
                && f.year == Some(year)
                && f.programme.as_deref() == programme
        })
    }

    /// The figure's own target (with its indicator's comparator), else the reference target the build chose for it.
    fn goal(&self, indicator: &str, figure: Option<&Figure>) -> Option<Goal> {
        let figure = figure?;
        if let Some(target) = figure.target {
            let comparator = self.comparators.get(indicator).cloned().unwrap_or_else(|| ">=".into());
            return Some(Goal { value: target, comparator, reference_year: None });
        }
        Some(Goal {
            value: figure.reference_target?,
            comparator: figure.reference_comparator.clone().unwrap_or_else(|| ">=".into()),
            reference_year: figure.reference_year,
        })
    }

    /// The status the build decided: against the figure's own target, else against its reference.
    fn standing(figure: Option<&Figure>, goal: Option<&Goal>) -> Standing {
        let Some(figure) = figure else { return Standing::NoData };
        if figure.suppressed {
            return Standing::Withheld;
        }
        let (Some(_), Some(goal)) = (figure.value, goal) else { return Standing::NoTarget };
        let status = if goal.reference_year.is_some() {
            figure.reference_status.as_deref()
        } else {
            Some(figure.status.as_str())
        };
        match status {
            Some("met") => Standing::Met,
            Some("behind") => Standing::Behind,
            _ => Standing::NoTarget,
        }
    }

    fn value_text(&self, indicator: &str, figure: Option<&Figure>) -> String {
        match figure {
            None => "n/a".into(),
            Some(f) if f.suppressed => "—".into(),
            Some(f) => f.value.map_or_else(|| "—".into(), |v| self.number(indicator, v)),
        }
    }

    fn number(&self, indicator: &str, value: f64) -> String {
        if self.is_share(indicator) { format!("{:.1}%", value * 100.0) } else { grouped(value.round() as i64) }
    }

    fn goal_text(&self, indicator: &str, goal: Option<&Goal>) -> String {
        let Some(goal) = goal else { return "—".into() };
        let sign = match goal.comparator.as_str() {
            "<=" => "≤",
            "~" => "≈",
            _ => "≥",
        };
        let reference = if goal.reference_year.is_some() { "*" } else { "" };
        format!("{sign}{}{reference}", self.number(indicator, goal.value))
    }
}

/// The standing, followed by 序时进度 where the build decided one: the value expected by the as-of date and whether
/// the value is ahead of it, on it or behind it.
fn standing_text(board: &Board, indicator: &str, figure: Option<&Figure>, standing: Standing) -> String {
    let Some(figure) = figure else { return standing.label().to_string() };
    let pace = match figure.pace_status.as_deref() {
        Some("ahead") => "超序时 ahead",
        Some("on_pace") => "达序时 on pace",
        Some("behind_pace") => "落后序时 behind pace",
        _ => return standing.label().to_string(),
    };
    let expected = figure.expected_to_date.map(|e| board.number(indicator, e)).unwrap_or_default();
    format!("{} · 序时进度 {expected} {pace}", standing.label())
}

fn completion(figure: Option<&Figure>, goal: Option<&Goal>) -> String {
    match (figure.filter(|f| !f.suppressed).and_then(|f| f.value), goal) {
        (Some(value), Some(goal)) if goal.comparator != "<=" && goal.value > 0.0 => {
            // Two decimals below 10%, as on the page, so a small completion does not read as zero.
            let percent = value / goal.value * 100.0;
            if percent < 10.0 { format!("{percent:.2}%") } else { format!("{percent:.1}%") }
        }
        _ => String::new(),
    }
}

/// `1234567` → `1,234,567`.
fn grouped(number: i64) -> String {
    let digits = number.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if number < 0 { format!("-{out}") } else { out }
}

/// Columns a character takes in a terminal: two for East Asian wide and full-width characters, else one
/// (ambiguous-width characters such as `—` and `≥` count one, as in most terminals).
fn char_width(c: char) -> usize {
    match c as u32 {
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// The terminal width of a string.
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// Left-aligned in `width` columns.
fn left(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(display_width(text))))
}

/// Right-aligned in `width` columns.
fn right(text: &str, width: usize) -> String {
    format!("{}{text}", " ".repeat(width.saturating_sub(display_width(text))))
}

fn line(out: &mut String, label: &str, value: &str, goal: &str, completion: &str, standing: &str) {
    let row = format!(
        "  {}{}  {}  {}  {standing}",
        left(label, LABEL_WIDTH),
        right(value, VALUE_WIDTH),
        right(goal, TARGET_WIDTH),
        right(completion, COMPLETION_WIDTH),
    );
    let _ = writeln!(out, "{}", row.trim_end());
}

/// A blank line, the section's title, and its column headings.
fn section(out: &mut String, title: &str, first_column: &str) {
    let _ = writeln!(out, "\n{title}");
    line(out, first_column, "数值 value", "目标 target", "完成率", "状态 status");
}

/// The scoreboard as text.
pub fn render(board: &Board) -> String {
    let mut out = String::new();
    let province = board.province();
    let province_name = board
        .regions
        .iter()
        .find(|r| r.region_code == province)
        .map_or_else(|| province.to_string(), |r| format!("{} {}", r.name_zh, r.name_en));
    let Some(year) = board.year() else {
        let _ = writeln!(out, "技能河南 记分牌 · Skilled Henan scoreboard: the snapshot has no high-skill share yet.");
        return out;
    };
    let _ = writeln!(out, "技能河南 记分牌 · Skilled Henan scoreboard");
    let _ = writeln!(
        out,
        "{province_name} · {year}年 · 快照 snapshot {} · 数据截至 as of {}",
        board.snapshot_id, board.as_of
    );
    // 序时进度: the clock every yearly flow target of the as-of year is read against.
    if let Some(elapsed) = board.figures.iter().find_map(|f| f.elapsed_share.filter(|_| f.year == Some(year))) {
        let _ = writeln!(
            out,
            "时间进度 {:.1}%（序时进度 = 目标 × 时间进度）· {:.1}% of the year elapsed (pace: expected = target × elapsed)",
            elapsed * 100.0,
            elapsed * 100.0
        );
    }
    let mut references = Vec::new();

    section(&mut out, "主要指标 · Headline indicators", "指标 indicator");
    for Headline { indicator_id, label } in &board.headlines {
        let indicator = indicator_id.as_str();
        let figure = board.figure(indicator, province, year, None);
        let goal = board.goal(indicator, figure);
        if let Some(reference) = goal.as_ref().and_then(|g| g.reference_year) {
            references.push(reference);
        }
        let standing = Board::standing(figure, goal.as_ref());
        line(
            &mut out,
            label,
            &board.value_text(indicator, figure),
            &board.goal_text(indicator, goal.as_ref()),
            &completion(figure, goal.as_ref()),
            &standing_text(board, indicator, figure, standing),
        );
    }

    section(&mut out, "十个专项 新增高技能人才 · Ten programmes, new high-skilled", "专项 programme");
    let mut programmes: Vec<&ProgrammeName> =
        board.programmes.iter().filter(|p| p.parent.as_deref().is_none_or(str::is_empty)).collect();
    programmes.sort_by_key(|p| p.programme.parse::<u32>().unwrap_or(u32::MAX));
    for programme in programmes {
        let figure = board.figure(PROGRAMME_INDICATOR, province, year, Some(&programme.programme));
        let goal =
            figure.and_then(|f| f.target).map(|value| Goal { value, comparator: ">=".into(), reference_year: None });
        let label = format!("{:>2} {} {}", programme.programme, programme.short_name_zh, programme.name_en);
        line(
            &mut out,
            &label,
            &board.value_text(PROGRAMME_INDICATOR, figure),
            &board.goal_text(PROGRAMME_INDICATOR, goal.as_ref()),
            &completion(figure, goal.as_ref()),
            &standing_text(board, PROGRAMME_INDICATOR, figure, Board::standing(figure, goal.as_ref())),
        );
    }

    let province_share = board.figure(REGIONS_INDICATOR, province, year, None);
    let share_goal = board.goal(REGIONS_INDICATOR, province_share);
    let mut published: Vec<(&RegionName, &Figure, f64, Option<Goal>)> = board
        .regions
        .iter()
        .filter(|r| r.region_code != province)
        .filter_map(|r| {
            let figure = board.figure(REGIONS_INDICATOR, &r.region_code, year, None)?;
            let value = figure.value.filter(|_| !figure.suppressed)?;
            Some((r, figure, value, board.goal(REGIONS_INDICATOR, Some(figure))))
        })
        .collect();
    published.sort_by(|a, b| a.2.total_cmp(&b.2).then_with(|| a.0.region_code.cmp(&b.0.region_code)));
    let (behind, on_target): (Vec<_>, Vec<_>) = published
        .into_iter()
        .partition(|(_, figure, _, goal)| Board::standing(Some(figure), goal.as_ref()) == Standing::Behind);
    let withheld = board
        .regions
        .iter()
        .filter(|r| r.region_code != province)
        .filter(|r| board.figure(REGIONS_INDICATOR, &r.region_code, year, None).is_none_or(|f| f.suppressed))
        .count();
    let title = format!(
        "高技能人才占比最低的地区 · Regions furthest behind on the high-skill share ({})",
        board.goal_text(REGIONS_INDICATOR, share_goal.as_ref())
    );
    section(&mut out, &title, "地区 region");
    for (region, figure, _, goal) in behind.iter().take(REGIONS_LISTED) {
        let label = format!("{} {} {}", region.region_code, region.name_zh, region.name_en);
        line(
            &mut out,
            &label,
            &board.value_text(REGIONS_INDICATOR, Some(figure)),
            &board.goal_text(REGIONS_INDICATOR, goal.as_ref()),
            &completion(Some(figure), goal.as_ref()),
            Board::standing(Some(figure), goal.as_ref()).label(),
        );
        if let Some(reference) = goal.as_ref().and_then(|g| g.reference_year) {
            references.push(reference);
        }
    }
    let _ = writeln!(
        out,
        "  未达标 {} 个，达标 {} 个，数据已抑制 {withheld} 个 · {} behind, {} on target, {withheld} withheld (fewer than {})",
        behind.len(),
        on_target.len(),
        behind.len(),
        on_target.len(),
        board.k
    );

    let _ = writeln!(out);
    references.sort_unstable();
    references.dedup();
    if !references.is_empty() {
        let years: Vec<String> = references.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "* 参照全省目标（{}年）· reference: the province's target of {}",
            years.join("、"),
            years.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "— 已抑制：小于 {k} 的数据不公布，与看板一致 · withheld: fewer than {k}, as on the dashboard (not zero)",
        k = board.k
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(
        indicator: &str,
        region: &str,
        programme: Option<&str>,
        value: Option<f64>,
        target: Option<f64>,
    ) -> Figure {
        let status = match (value, target) {
            (Some(v), Some(t)) if v >= t => "met",
            (Some(_), Some(_)) => "behind",
            _ => "n/a",
        };
        Figure {
            indicator_id: indicator.into(),
            region_code: Some(region.into()),
            year: Some(2025),
            programme: programme.map(Into::into),
            value,
            target,
            status: status.into(),
            ..Figure::default()
        }
    }

    /// A figure with the 序时进度 the build decided for it.
    fn paced(figure: Figure, elapsed: f64, status: &str) -> Figure {
        let expected = figure.target.map(|t| t * elapsed);
        Figure { elapsed_share: Some(elapsed), expected_to_date: expected, pace_status: Some(status.into()), ..figure }
    }

    /// A figure without a target of its own, with the reference target and status the build decided for it.
    fn referenced(figure: Figure, target: f64, comparator: &str, year: i64, status: &str) -> Figure {
        Figure {
            reference_target: Some(target),
            reference_comparator: Some(comparator.into()),
            reference_year: Some(year),
            reference_status: Some(status.into()),
            ..figure
        }
    }

    fn withheld(indicator: &str, region: &str) -> Figure {
        Figure { value: None, status: "n/a".into(), suppressed: true, ..figure(indicator, region, None, None, None) }
    }

    fn headline(indicator_id: &str, label: &str) -> Headline {
        Headline { indicator_id: indicator_id.into(), label: label.into() }
    }

    fn region(code: &str, zh: &str, en: &str, kind: &str) -> RegionName {
        RegionName { region_code: code.into(), name_zh: zh.into(), name_en: en.into(), kind: kind.into() }
    }

    /// A province, three cities (one withheld) and two programmes, worked out by hand.
    fn board() -> Board {
        Board {
            snapshot_id: "S1".into(),
            as_of: "2025-12-31".into(),
            k: 10,
            headlines: vec![
                headline("high_skill_share", "高技能人才占比 High-skill share"),
                headline("new_high_skilled", "新增高技能人才 New high-skilled"),
                headline("new_youth_technicians", "新增青年技师 New youth technicians"),
                headline("youth_share_new_top_grades", "特级/首席技师青年占比 Youth share, new top grades"),
                headline("cert_mix_share", "证书结构占比 Certificate mix (competence+training)"),
            ],
            figures: vec![
                figure("high_skill_share", "410000", None, Some(0.30), Some(0.35)),
                referenced(figure("high_skill_share", "410100", None, Some(0.40), None), 0.35, "~", 2025, "met"),
                referenced(figure("high_skill_share", "410200", None, Some(0.25), None), 0.35, "~", 2025, "behind"),
                withheld("high_skill_share", "410300"),
                paced(figure("new_high_skilled", "410000", None, Some(1_300.0), Some(650_000.0)), 0.5, "behind_pace"),
                withheld("new_youth_technicians", "410000"),
                figure("youth_share_new_top_grades", "410000", None, Some(0.5), Some(0.2)),
                // No 2025 cap: the build chose the 2022 cap as the reference.
                referenced(figure("cert_mix_share", "410000", None, Some(0.12), None), 0.10, "<=", 2022, "behind"),
                paced(figure(PROGRAMME_INDICATOR, "410000", Some("1"), Some(650.0), Some(60_000.0)), 0.5, "ahead"),
                withheld(PROGRAMME_INDICATOR, "410000"),
            ],
            regions: vec![
                region("410000", "河南省", "Henan Province", "province"),
                region("410100", "郑州市", "Zhengzhou", "city"),
                region("410200", "开封市", "Kaifeng", "city"),
                region("410300", "洛阳市", "Luoyang", "city"),
            ],
            programmes: vec![
                ProgrammeName {
                    programme: "1".into(),
                    short_name_zh: "先进制造业".into(),
                    name_en: "Advanced manufacturing".into(),
                    parent: None,
                },
                ProgrammeName {
                    programme: "10".into(),
                    short_name_zh: "重点群体".into(),
                    name_en: "Key groups".into(),
                    parent: None,
                },
                ProgrammeName {
                    programme: "2.1".into(),
                    short_name_zh: "康养托育".into(),
                    name_en: "Care".into(),
                    parent: Some("2".into()),
                },
            ],
            comparators: [
                ("high_skill_share", "~"),
                ("new_high_skilled", ">="),
                ("new_youth_technicians", ">="),
                ("youth_share_new_top_grades", ">="),
                ("cert_mix_share", "<="),
                (PROGRAMME_INDICATOR, ">="),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
            shares: vec!["high_skill_share".into(), "youth_share_new_top_grades".into(), "cert_mix_share".into()],
        }
    }

    fn row<'a>(text: &'a str, starts: &str) -> &'a str {
        text.lines().find(|l| l.trim_start().starts_with(starts)).unwrap_or_else(|| panic!("no line {starts}:\n{text}"))
    }

    #[test]
    fn cjk_characters_take_two_columns() {
        assert_eq!(display_width("高技能 ab"), 9);
        assert_eq!(display_width("—≥"), 2);
        assert_eq!(display_width(&left("郑州市", 10)), 10);
        assert_eq!(display_width(&right("35.0%", 8)), 8);
    }

    #[test]
    fn the_board_shows_values_targets_and_standing_in_aligned_columns() {
        let text = render(&board());
        assert!(text.contains("河南省 Henan Province · 2025年 · 快照 snapshot S1"), "{text}");
        let share = row(&text, "高技能人才占比");
        assert!(share.contains("30.0%") && share.contains("≈35.0%") && share.contains("85.7%"), "{share}");
        assert!(share.ends_with("✗ 未达标 behind"), "{share}");
        let new_high = row(&text, "新增高技能人才");
        assert!(
            new_high.contains("1,300") && new_high.contains("≥650,000") && new_high.contains("0.20%"),
            "{new_high}"
        );
        // 序时进度 beside the year-end status: half the year gone, 325,000 expected by now, and behind it.
        assert!(new_high.ends_with("✗ 未达标 behind · 序时进度 325,000 落后序时 behind pace"), "{new_high}");
        assert!(text.contains("时间进度 50.0%"), "{text}");
        // Withheld is shown as such, not as a zero.
        let youth = row(&text, "新增青年技师");
        assert!(youth.contains(" — ") && youth.ends_with("— 已抑制 withheld") && !youth.contains(" 0 "), "{youth}");
        assert!(row(&text, "特级/首席技师青年占比").ends_with("✓ 达标 met"));
        // No 2025 cap: the 2022 cap the build chose as the reference, marked as such; 12% is over it.
        let mix = row(&text, "证书结构占比");
        assert!(mix.contains("≤10.0%*") && mix.ends_with("✗ 未达标 behind"), "{mix}");
        assert!(text.contains("* 参照全省目标（2022、2025年）"), "{text}");

        let first = row(&text, "1 先进制造业 Advanced manufacturing");
        assert!(first.contains("650") && first.contains("≥60,000") && first.contains("1.08%"), "{first}");
        // The status shown is the build's, whatever the numbers: here it said ahead.
        assert!(first.ends_with("序时进度 30,000 超序时 ahead"), "{first}");
        assert!(text.find("1 先进制造业").unwrap_or(0) < text.find("10 重点群体").unwrap_or(0), "programmes in order");
        assert!(!text.contains("康养托育"), "sub-programmes roll up and are not listed");

        // Regions behind the province's 35%: Kaifeng (25%) is listed; Zhengzhou (40%) is on target and Luoyang
        // withheld, and both are only counted.
        assert!(text.contains("(≈35.0%)"), "the province's own 2025 target heads the list: {text}");
        assert!(text.contains("410200 开封市") && !text.contains("410100 郑州市"), "{text}");
        assert!(!text.contains("410300 洛阳市"), "a withheld region is not ranked");
        assert!(text.contains("未达标 1 个，达标 1 个，数据已抑制 1 个 · 1 behind, 1 on target, 1 withheld"), "{text}");

        // A region is measured against the province's target, marked as a reference.
        let kaifeng_row = row(&text, "410200 开封市");
        assert!(kaifeng_row.contains("25.0%") && kaifeng_row.contains("≈35.0%*"), "{kaifeng_row}");

        // Every row's value column ends at the same terminal column, whatever the mix of CJK and Latin.
        let value_end = |label: &str, value: &str| {
            let line = row(&text, label);
            let end = line.find(value).unwrap_or_else(|| panic!("{value} in {line}")) + value.len();
            display_width(&line[..end])
        };
        let ends = [
            value_end("指标 indicator", "数值 value"),
            value_end("高技能人才占比", "30.0%"),
            value_end("新增高技能人才", "1,300"),
            value_end("特级/首席技师青年占比", "50.0%"),
            value_end("1 先进制造业", "650"),
            value_end("410200 开封市", "25.0%"),
        ];
        assert!(ends.windows(2).all(|w| w[0] == w[1]), "value columns {ends:?}:\n{text}");
    }

    #[test]
    fn the_board_shows_the_decisions_it_is_given() {
        // Whatever the numbers look like, the status shown is the one the build decided and the API serves.
        let mut board = board();
        for figure in &mut board.figures {
            if figure.indicator_id == "cert_mix_share" {
                figure.reference_status = Some("met".into());
            }
            if figure.indicator_id == "youth_share_new_top_grades" {
                figure.status = "behind".into();
            }
        }
        let text = render(&board);
        assert!(row(&text, "证书结构占比").ends_with("✓ 达标 met"), "{text}");
        assert!(row(&text, "特级/首席技师青年占比").ends_with("✗ 未达标 behind"), "{text}");
        // The headlines and their labels are the board's: reordered, renamed, shown so.
        board.headlines.reverse();
        board.headlines[0].label = "证书结构 Mix".into();
        let text = render(&board);
        let (mix, share) = (text.find("证书结构 Mix"), text.find("高技能人才占比 High-skill share"));
        assert!(mix.is_some() && share.is_some() && mix < share, "{text}");
    }

    #[test]
    fn grouping_digits() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(650_000), "650,000");
        assert_eq!(grouped(-1_234_567), "-1,234,567");
    }
}
