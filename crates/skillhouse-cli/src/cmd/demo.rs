//! `skillhouse demo`: the bundled sample drops → rebuild with a generated key → a scoreboard in the terminal →
//! serve the HTTP API on the new warehouse.
//!
//! Everything lands in one local folder (`demo-warehouse/` by default): the key file beside the warehouse, never
//! inside it. Running the demo again reuses the key; files already in the ledger are skipped.

use crate::args::{DemoArgs, KeyArgs};
use crate::exit::Outcome;
use anyhow::Context;
use serde::Deserialize;
use skillhouse_model::{PROVINCE_CODE, Programme, ReportingUnit};
use skillhouse_query::{ResultFormat, format_batches, open_snapshot};
use std::path::{Path, PathBuf};

pub fn run(args: DemoArgs) -> anyhow::Result<Outcome> {
    let dir = args.dir;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating the demo folder {}", dir.display()))?;
    let key_file = dir.join("demo-key.hex");
    if !key_file.exists() {
        super::generate_key_file(&key_file)?;
        println!("Generated a demo pseudonymisation key in {}", key_file.display());
    }
    let key = super::load_key(&KeyArgs { key_file: Some(key_file) })?;
    let landing = sample_dir()?;
    let reference = super::reference_dir(None)?;
    let as_of = sample_as_of(&landing)?;
    let warehouse = dir.join("warehouse");
    println!("Rebuilding {} from the sample drops in {} (as of {as_of}) …", warehouse.display(), landing.display());
    let settings = super::rebuild::Settings {
        warehouse: warehouse.clone(),
        landing: landing.clone(),
        reference,
        as_of: Some(as_of),
        key,
        keep: 3,
        gate: skillhouse_query::GateConfig::default(),
    };
    let Some(lock) = super::lock_warehouse(&warehouse, "demo")? else { return Ok(Outcome::Locked) };
    let report = super::rebuild::rebuild(&settings, &lock, true)?;
    drop(lock);
    if !report.published {
        anyhow::bail!("the release gate refused the demo's snapshot (see `skillhouse rebuild` for the report)");
    }
    println!(
        "Loaded {} files ({} unreadable, reported): {} rows = {} accepted + {} rejected; snapshot {}.\n",
        report.files_loaded + report.files_unreadable,
        report.files_unreadable,
        report.rows_read,
        report.rows_accepted,
        report.rows_rejected,
        report.snapshot_id
    );
    let rows = province_and_region_rows(&warehouse)?;
    print_scoreboard(&rows);
    println!(
        "\nQuery it yourself:  skillhouse sql --warehouse {} -c \"SELECT * FROM indicators\"",
        warehouse.display()
    );
    if args.no_serve {
        return Ok(Outcome::Success);
    }
    let addr = args.addr;
    println!("\nServing the API at http://{addr}/api/v1/indicators (OpenAPI: /api/v1/openapi.json); Ctrl-C stops.");
    println!("The dashboard page arrives with the dashboard work; the API already serves every number above.");
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the server runtime")?;
    runtime
        .block_on(skillhouse_server::serve(skillhouse_server::ServerConfig::new(warehouse), addr))
        .with_context(|| format!("serving on {addr}"))?;
    Ok(Outcome::Success)
}

/// The bundled sample: `datasets/sample` from the working directory or the source tree.
fn sample_dir() -> anyhow::Result<PathBuf> {
    [PathBuf::from("datasets/sample"), Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/sample")]
        .into_iter()
        .find(|p| p.join("agencies.csv").is_file())
        .context("cannot find the bundled sample drops (datasets/sample); run the demo from the repository")
}

/// The sample's own as-of date, from its manifest, so the demo's numbers never drift with today's date.
fn sample_as_of(landing: &Path) -> anyhow::Result<chrono::NaiveDate> {
    #[derive(Deserialize)]
    struct Manifest {
        as_of: String,
    }
    let path = landing.join("manifest.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    manifest.as_of.parse().with_context(|| format!("as_of {:?} in {}", manifest.as_of, path.display()))
}

/// One row of `indicator_values`, as the scoreboard needs it.
#[derive(Debug, Deserialize)]
struct IndicatorRow {
    indicator_id: String,
    region_code: Option<String>,
    year: i32,
    programme: Option<String>,
    value: Option<f64>,
    target: Option<f64>,
    status: String,
}

/// The latest year's rows of the indicators on the scoreboard.
fn province_and_region_rows(warehouse: &Path) -> anyhow::Result<Vec<IndicatorRow>> {
    const SQL: &str = "SELECT indicator_id, region_code, year, programme, value, target, status
        FROM indicator_values
        WHERE agency_type IS NULL
          AND year = (SELECT MAX(year) FROM indicator_values WHERE indicator_id = 'high_skill_share')";
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let batches = runtime.block_on(async {
        let snapshot = open_snapshot(warehouse).await?;
        snapshot.query(SQL).await
    })?;
    let text = format_batches(&batches, ResultFormat::Json)?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).with_context(|| format!("reading scoreboard row {line}")))
        .collect()
}

fn find<'a>(rows: &'a [IndicatorRow], id: &str, region: &str, programme: Option<&str>) -> Option<&'a IndicatorRow> {
    rows.iter().find(|r| {
        r.indicator_id == id && r.region_code.as_deref() == Some(region) && r.programme.as_deref() == programme
    })
}

fn show(value: Option<f64>, share: bool) -> String {
    match value {
        None => "—".to_string(),
        Some(v) if share => format!("{:.1}%", v * 100.0),
        Some(v) => format!("{v:.0}"),
    }
}

/// Pads to a terminal width, counting CJK and full-width characters as two columns.
fn pad(text: &str, width: usize) -> String {
    let used: usize = text
        .chars()
        .map(|c| if matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6) { 2 } else { 1 })
        .sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

fn status_zh(status: &str) -> &'static str {
    match status {
        "met" => "达标 met",
        "behind" => "未达标 behind",
        _ => "无目标 n/a",
    }
}

fn line(rows: &[IndicatorRow], id: &str, label: &str, share: bool) {
    let Some(row) = find(rows, id, PROVINCE_CODE, None) else {
        println!("  {} (no value)", pad(label, 48));
        return;
    };
    println!(
        "  {} {:>10}   target {:>10}   {}",
        pad(label, 48),
        show(row.value, share),
        show(row.target, share),
        status_zh(&row.status)
    );
}

fn print_scoreboard(rows: &[IndicatorRow]) {
    let year = rows.first().map(|r| r.year).unwrap_or_default();
    println!("技能河南 记分牌 · Skilled Henan scoreboard — 河南省 Henan province, {year}");
    println!("  (synthetic sample data: a few thousand certificates, far below province-scale targets)");
    line(rows, "high_skill_share", "高技能人才占比 High-skill share (≈35%)", true);
    line(rows, "new_high_skilled", "新增高技能人才 New high-skilled", false);
    line(rows, "new_youth_technicians", "新增青年技师 New youth technicians", false);
    line(rows, "youth_share_new_top_grades", "新增特级/首席技师青年占比 Youth share (≥20%)", true);
    line(rows, "cert_mix_share", "专项能力+培训证书占比 Certificate mix (≤10%)", true);

    println!("\n十个专项 新增高技能人才 · Ten programmes, new high-skilled");
    for programme in Programme::ALL.iter().filter(|p| p.parent().is_none()) {
        let row = find(rows, "programme_new_high_skilled", PROVINCE_CODE, Some(programme.code()));
        let label = format!("{:>2} {} {}", programme.code(), programme.short_name_zh(), programme.name_en());
        println!(
            "  {} {:>10}   target {:>10}",
            pad(&label, 48),
            show(row.and_then(|r| r.value), false),
            show(row.and_then(|r| r.target), false)
        );
    }

    println!("\n高技能人才占比最低的地区 · Regions furthest behind on the high-skill share");
    let mut regions: Vec<&IndicatorRow> = rows
        .iter()
        .filter(|r| r.indicator_id == "high_skill_share" && r.region_code.as_deref() != Some(PROVINCE_CODE))
        .filter(|r| r.value.is_some())
        .collect();
    regions.sort_by(|a, b| a.value.partial_cmp(&b.value).unwrap_or(std::cmp::Ordering::Equal));
    for row in regions.iter().take(5) {
        let code = row.region_code.as_deref().unwrap_or_default();
        let name = ReportingUnit::parse(code).map(|u| format!("{} {}", u.name_zh, u.name_en)).unwrap_or_default();
        println!("  {code} {} {:>10}", pad(&name, 41), show(row.value, true));
    }
}
