//! Writing the training drop — `training/providers.csv` and the trainee files, in parallel — and its part of the
//! manifest.

use super::render::TrainingRenderer;
use super::{TrainingPlan, calibration, provider};
use crate::config::Config;
use crate::encode::{self, Sheet};
use crate::error::Result;
use crate::manifest::{FactSums, FileFacts, RegistryEntry, TrainingFileEntry, TrainingManifest, TrainingTotals};
use crate::plan::{FileTask, Plan, UNREGISTERED};
use crate::reference::Occupation;
use crate::render::{Cell, Quirks};
use crate::rng::Rng;
use crate::style::Format;
use crate::write::{io, write_files};
use std::collections::BTreeMap;
use std::path::Path;

/// The instructions sheet of training workbooks.
const INTRO: [&str; 4] = [
    "填表说明",
    "1. 身份证号填写18位号码，末位X大写。",
    "2. 本表填报当月结业的培训班学员，每名学员每班一行。",
    "3. 本表数据在“花名册”工作表。",
];

/// The CSV header of the unreadable training files that have one.
const UNREADABLE_HEADER: &str = "身份证号,姓名,班级编号,培训类型,开班日期,结业日期,培训结果";

/// Writes the training drop under `out/training` and returns its part of the manifest.
pub(crate) fn write(
    config: &Config,
    plan: &Plan,
    training: &TrainingPlan,
    occupations: &[Occupation],
    out: &Path,
) -> Result<TrainingManifest> {
    let root = out.join("training");
    std::fs::create_dir_all(&root).map_err(io("creating folder", &root))?;
    let registry_path = root.join("providers.csv");
    std::fs::write(&registry_path, provider::registry_csv(&training.providers, config.seed))
        .map_err(io("writing", &registry_path))?;
    let renderer = TrainingRenderer {
        seed: config.seed,
        as_of: config.resolved_as_of(),
        providers: &training.providers,
        unregistered: &training.unregistered,
        classes: &training.classes,
        rows: &training.rows,
        persons: &plan.persons,
        others: &training.others,
        occupations,
    };
    let files = write_files(
        &training.files,
        out,
        |task| render_file(config, training, &renderer, task),
        |entry: &TrainingFileEntry| &entry.path,
    )?;
    let figures = calibration::figures(config, plan, training);
    let sums = FactSums::of(files.iter().map(|f| &f.facts));
    let totals = TrainingTotals {
        providers: training.providers.len() as u64,
        files: files.len() as u64,
        unreadable_files: sums.unreadable_files,
        rows: sums.rows,
        valid_rows: sums.valid_rows,
        defects: sums.defects,
        defect_rows: sums.defect_rows,
        classes: figures.classes,
        trainees: figures.trainees,
        trainees_with_certificates: figures.trainees_with_certificates,
        persons_without_certificates: training.others.len() as u64,
    };
    Ok(TrainingManifest {
        registry: RegistryEntry { path: "training/providers.csv".to_string(), rows: training.providers.len() as u64 },
        unregistered_providers: if training.unregistered_rows.is_empty() {
            Vec::new()
        } else {
            vec![training.unregistered.id.clone()]
        },
        files,
        totals,
        calibration: figures.years,
    })
}

fn sheet(provider: &provider::Provider, year: i32, month: u32) -> Sheet<'_> {
    Sheet {
        organisation: &provider.name,
        title: format!("{}{year}年{month}月职业技能培训结业学员花名册", provider.name),
        intro: &INTRO,
        code: provider.code,
        month,
    }
}

fn render_file(
    config: &Config,
    training: &TrainingPlan,
    renderer: &TrainingRenderer<'_>,
    task: &FileTask,
) -> Result<(Vec<u8>, TrainingFileEntry)> {
    let provider = renderer.provider(task.owner);
    let style = &provider.style;
    let key = (u64::from(task.owner) << 32) | (task.year as u64 * 100 + u64::from(task.month));
    let mut rng = Rng::derive(config.seed, 0x7F1E, key);
    let mut entry = TrainingFileEntry {
        path: format!("training/{}/{}.{}", provider.id, task.period(), style.format.extension()),
        provider_id: provider.id.clone(),
        period: task.period(),
        facts: FileFacts::of(style),
        classes: 0,
        columns: style.header().into_iter().map(str::to_string).collect(),
        date_style: style.date_style_name(),
        numbers: style.values.numbers && matches!(style.format, Format::Xlsx | Format::Jsonl),
        quirks: BTreeMap::new(),
    };
    if let Some(kind) = task.unreadable {
        entry.path = format!("training/{}/{}.{}", provider.id, task.period(), kind.extension());
        entry.facts = FileFacts::unreadable(kind);
        entry.columns.clear();
        entry.date_style.clear();
        entry.numbers = false;
        let bytes = encode::unreadable_bytes(kind, UNREADABLE_HEADER, style, &sheet(provider, 2024, 1), &entry.path)?;
        return Ok((bytes, entry));
    }
    let rows = if task.owner == UNREGISTERED {
        &training.unregistered_rows[task.rows.clone()]
    } else {
        &training.rows[task.rows.clone()]
    };
    let mut quirks = Quirks::default();
    let cells: Vec<Vec<Cell>> = rows.iter().map(|r| renderer.row(r, &mut rng, &mut quirks)).collect::<Result<_>>()?;
    let mut last_class = None;
    for r in rows {
        entry.facts.count(r.reason().map(|r| r.code()));
        // Rows are in class order, so a new class begins where the class index changes.
        if r.defect == 0 && last_class != Some(r.class) {
            entry.classes += 1;
            last_class = Some(r.class);
        }
    }
    entry.quirks = quirks.counts();
    let bytes = encode::file_bytes(
        style,
        &sheet(provider, task.year, task.month),
        &style.header(),
        &cells,
        &entry.path,
        &mut rng,
    )?;
    Ok((bytes, entry))
}
