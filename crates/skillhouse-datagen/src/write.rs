//! Encoding rows into files (CSV in UTF-8, UTF-8 with BOM or GBK; XLSX; JSON Lines), the unreadable files, the
//! registry and the manifest, and writing them in parallel.

use crate::agency::{self, Agency};
use crate::config::Config;
use crate::encode::{self, Sheet};
use crate::error::{DatagenError, Result};
use crate::manifest::{
    FactSums, FileEntry, FileFacts, Manifest, ManifestArgs, RegistryEntry, Totals, TrainingManifest, YearCalibration,
};
use crate::persons::{Cert, NO_PROGRAMME, REPEAT};
use crate::plan::{FileTask, Plan, UNREGISTERED};
use crate::reference::Occupation;
use crate::render::{self, Cell, Quirks, Renderer};
use crate::rng::Rng;
use crate::training::{self, TrainingPlan};
use chrono::Datelike;
use rayon::prelude::*;
use skillhouse_model::{AgencyType, CertType, Level};
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> DatagenError + 'a {
    move |source| DatagenError::Io { action, path: path.to_path_buf(), source }
}

/// Writes the drop of `plan` under `out` (which must be absent or empty) and returns its manifest.
pub(crate) fn write(
    config: &Config,
    plan: &Plan,
    training: Option<&TrainingPlan>,
    occupations: &[Occupation],
    out: &Path,
) -> Result<Manifest> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io("reading folder", out))?;
        if entries.next().is_some() {
            return Err(DatagenError::OutputNotEmpty { path: out.to_path_buf() });
        }
    }
    std::fs::create_dir_all(out).map_err(io("creating folder", out))?;
    let registry = agency::registry_csv(&plan.agencies, config.seed);
    let registry_path = out.join("agencies.csv");
    std::fs::write(&registry_path, registry).map_err(io("writing", &registry_path))?;
    let renderer = Renderer {
        seed: config.seed,
        as_of: config.resolved_as_of(),
        agencies: &plan.agencies,
        unregistered: &plan.unregistered,
        persons: &plan.persons,
        occupations,
        certs: &plan.certs,
    };
    let entries = write_files(
        &plan.files,
        out,
        |task| render_file(config, plan, &renderer, task),
        |entry: &FileEntry| &entry.path,
    )?;
    let training = match training {
        Some(training) => Some(training::write::write(config, plan, training, occupations, out)?),
        None => None,
    };
    let manifest = manifest(config, plan, entries, training);
    let text = serde_json::to_string_pretty(&manifest).map_err(DatagenError::Manifest)? + "\n";
    let manifest_path = out.join("manifest.json");
    std::fs::write(&manifest_path, text).map_err(io("writing", &manifest_path))?;
    Ok(manifest)
}

/// Renders `tasks` in parallel and writes each under `out` at the landing-relative path its entry names (creating
/// its folder); returns the entries in task order.
pub(crate) fn write_files<E: Send>(
    tasks: &[FileTask],
    out: &Path,
    render: impl Fn(&FileTask) -> Result<(Vec<u8>, E)> + Sync,
    path_of: impl Fn(&E) -> &str + Sync,
) -> Result<Vec<E>> {
    tasks
        .par_iter()
        .map(|task| {
            let (bytes, entry) = render(task)?;
            let path = out.join(path_of(&entry));
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).map_err(io("creating folder", folder))?;
            }
            std::fs::write(&path, bytes).map_err(io("writing", &path))?;
            Ok(entry)
        })
        .collect()
}

fn agency_of(plan: &Plan, index: u16) -> &Agency {
    if index == UNREGISTERED { &plan.unregistered } else { &plan.agencies[usize::from(index)] }
}

fn render_file(config: &Config, plan: &Plan, renderer: &Renderer<'_>, task: &FileTask) -> Result<(Vec<u8>, FileEntry)> {
    let agency = agency_of(plan, task.owner);
    let style = &agency.style;
    let key = (u64::from(task.owner) << 32) | (task.year as u64 * 100 + u64::from(task.month));
    let mut rng = Rng::derive(config.seed, 0xF11E, key);
    let mut entry = FileEntry {
        path: String::new(),
        agency_id: agency.id.clone(),
        period: task.period(),
        facts: FileFacts::of(style),
        duplicate_claims: 0,
        columns: style.columns.iter().map(|(_, h)| (*h).to_string()).collect(),
        date_style: style.date_style_name(),
        level_style: render::spell_level(Level::L5, style.values.level_style),
        quirks: BTreeMap::new(),
    };
    if let Some(kind) = task.unreadable {
        entry.path = format!("{}/{}.{}", agency.id, task.period(), kind.extension());
        entry.facts = FileFacts::unreadable(kind);
        entry.columns.clear();
        entry.date_style.clear();
        entry.level_style.clear();
        let header = "身份证号,姓名,证书编号,证书类型,职业编码,等级,发证日期";
        let bytes = encode::unreadable_bytes(kind, header, style, &sheet(agency, 2024, 1), &entry.path)?;
        return Ok((bytes, entry));
    }
    entry.path = format!("{}/{}.{}", agency.id, task.period(), style.format.extension());
    let certs: &[Cert] = if task.owner == UNREGISTERED {
        &plan.unregistered_certs[task.rows.clone()]
    } else {
        &plan.certs[task.rows.clone()]
    };
    let mut quirks = Quirks::default();
    let rows: Vec<Vec<Cell>> = certs.iter().map(|c| renderer.row(c, task.owner, &mut rng, &mut quirks)).collect();
    for c in certs {
        entry.facts.count(c.reason().map(|r| r.code()));
        if c.flags & REPEAT != 0 {
            entry.duplicate_claims += 1;
        }
    }
    entry.quirks = quirks.counts();
    let sheet = sheet(agency, task.year, task.month);
    let bytes = encode::file_bytes(style, &sheet, &style.header(), &rows, &entry.path, &mut rng)?;
    Ok((bytes, entry))
}

/// The instructions sheet of certificate workbooks.
const CERT_INTRO: [&str; 4] = [
    "填表说明",
    "1. 身份证号填写18位号码，末位X大写。",
    "2. 证书编号按人社鉴发〔2019〕2号规则填写。",
    "3. 本表数据在“花名册”工作表。",
];

fn sheet(agency: &Agency, year: i32, month: u32) -> Sheet<'_> {
    let kind =
        if agency.agency_type == AgencyType::SpecialCompetence { "专项职业能力" } else { "职业技能等级" };
    Sheet {
        organisation: &agency.name,
        title: format!("{}{year}年{month}月{kind}证书发放花名册", agency.name),
        intro: &CERT_INTRO,
        code: agency.code,
        month,
    }
}

fn manifest(config: &Config, plan: &Plan, files: Vec<FileEntry>, training: Option<TrainingManifest>) -> Manifest {
    let sums = FactSums::of(files.iter().map(|f| &f.facts));
    let totals = Totals {
        files: files.len() as u64,
        unreadable_files: sums.unreadable_files,
        rows: sums.rows,
        valid_rows: sums.valid_rows,
        defects: sums.defects,
        defect_rows: sums.defect_rows,
        duplicate_claims: files.iter().map(|f| f.duplicate_claims).sum(),
        persons: config.persons,
    };
    Manifest {
        generator: format!("skillhouse-datagen {}", env!("CARGO_PKG_VERSION")),
        seed: config.seed,
        args: ManifestArgs {
            persons: config.persons,
            years: config.years_text(),
            defect_rate: config.defect_rate,
            agencies: config.resolved_agencies(),
            as_of: config.as_of.map(|d| d.format("%Y-%m-%d").to_string()),
            training: if training.is_some() { config.training } else { 0.0 },
        },
        as_of: config.resolved_as_of().format("%Y-%m-%d").to_string(),
        registry: RegistryEntry { path: "agencies.csv".to_string(), rows: plan.agencies.len() as u64 },
        unregistered_agencies: if plan.unregistered_certs.is_empty() {
            Vec::new()
        } else {
            vec![plan.unregistered.id.clone()]
        },
        files,
        totals,
        calibration: calibration(config, plan),
        training,
    }
}

fn calibration(config: &Config, plan: &Plan) -> Vec<YearCalibration> {
    let years = (config.last_year - config.first_year + 1) as usize;
    let mut certificates = vec![0u64; years];
    let mut level_bearing = vec![0u64; years];
    let mut high = vec![0u64; years];
    let mut mix = vec![0u64; years];
    let mut tagged = vec![0u64; years];
    let none = u16::MAX;
    let mut first_skilled = vec![none; plan.persons.len()];
    let mut first_high = vec![none; plan.persons.len()];
    for c in plan.certs.iter().filter(|c| c.is_clean()) {
        let y = (c.date.year() - config.first_year) as usize;
        let cert_type = c.cert_type();
        certificates[y] += 1;
        if cert_type.bears_level() {
            level_bearing[y] += 1;
            high[y] += u64::from(c.level >= 3);
        }
        mix[y] += u64::from(matches!(cert_type, CertType::SpecialCompetence | CertType::Training));
        let agency = &plan.agencies[usize::from(c.agency)];
        tagged[y] += u64::from(c.programme != NO_PROGRAMME && agency.style.has(crate::agency::Field::Programme));
        if cert_type.is_skill() {
            let p = c.person as usize;
            first_skilled[p] = first_skilled[p].min(y as u16);
            if c.level >= 3 {
                first_high[p] = first_high[p].min(y as u16);
            }
        }
    }
    let mut skilled_by = vec![0u64; years];
    let mut high_by = vec![0u64; years];
    for (s, h) in first_skilled.iter().zip(&first_high) {
        if *s != none {
            skilled_by[usize::from(*s)] += 1;
        }
        if *h != none {
            high_by[usize::from(*h)] += 1;
        }
    }
    let share = |a: u64, b: u64| if b == 0 { 0.0 } else { (a as f64 / b as f64 * 10_000.0).round() / 10_000.0 };
    let (mut skilled, mut high_skilled) = (0u64, 0u64);
    (0..years)
        .map(|y| {
            skilled += skilled_by[y];
            high_skilled += high_by[y];
            YearCalibration {
                year: config.first_year + y as i32,
                certificates: certificates[y],
                level_bearing: level_bearing[y],
                high_level_share: share(high[y], level_bearing[y]),
                competence_and_training_share: share(mix[y], certificates[y]),
                skilled_persons: skilled,
                high_skill_share: share(high_skilled, skilled),
                programme_tagged_share: share(tagged[y], certificates[y]),
            }
        })
        .collect()
}
