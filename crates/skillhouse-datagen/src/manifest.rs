//! `manifest.json`: what a drop holds, file by file, so that tests of the ingestion can assert exact counts.

use crate::plan::Unreadable;
use crate::style::{Format, Style};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The manifest of one drop. Serialised with sorted maps and no timestamps, so it is as deterministic as the files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `skillhouse-datagen <version>`.
    pub generator: String,
    /// The seed.
    pub seed: u64,
    /// The arguments that, with the seed, reproduce the drop.
    pub args: ManifestArgs,
    /// As-of date (`YYYY-MM-DD`): no valid row is dated after it; `issue_date_future` rows are.
    pub as_of: String,
    /// The registry file, `agencies.csv`.
    pub registry: RegistryEntry,
    /// Agency folders absent from the registry (their rows are all `unknown_agency`).
    pub unregistered_agencies: Vec<String>,
    /// Every certificate file, in path order.
    pub files: Vec<FileEntry>,
    /// Sums over the files.
    pub totals: Totals,
    /// Calibration figures of the valid rows (DESIGN §14), per issue year.
    pub calibration: Vec<YearCalibration>,
    /// The training drop (DESIGN §16) under `training/`; absent when the drop was made without training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingManifest>,
}

/// The arguments of a drop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestArgs {
    /// `--persons`.
    pub persons: u64,
    /// `--years`, as `2021-2025`.
    pub years: String,
    /// `--defect-rate`.
    pub defect_rate: f64,
    /// `--agencies` as resolved (registered agencies).
    pub agencies: u32,
    /// `--as-of` as given (`null`: the default, 31 December of the last year).
    pub as_of: Option<String>,
    /// `--training`: training 人次 per person over the years (absent: 0, no training drop).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub training: f64,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

/// The agency registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryEntry {
    /// Landing-relative path.
    pub path: String,
    /// Data rows (agencies).
    pub rows: u64,
}

/// One certificate file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Landing-relative path, `<agency_id>/<YYYY-MM>.<ext>`, with `/` separators.
    pub path: String,
    /// The folder's agency.
    pub agency_id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Format, layout and rows (valid rows include the repeated claims).
    #[serde(flatten)]
    pub facts: FileFacts,
    /// Valid rows repeating an earlier person + occupation + level (flagged `duplicate_claim`, not rejected).
    pub duplicate_claims: u64,
    /// The header cells as written, in order.
    pub columns: Vec<String>,
    /// The agency's date spelling (`yyyy-mm-dd` …), and for XLSX how dates are stored (`text`, `date_cells`,
    /// `serial_numbers`).
    pub date_style: String,
    /// The agency's level spelling, shown for l5.
    pub level_style: String,
    /// Rows with each quirk: `legacy_id` (15 digits), `lower_x`, `full_width`, `stray_space` (cells).
    pub quirks: BTreeMap<String, u64>,
}

/// What any landing file is — format, encoding, workbook layout — and what its rows hold. Flattened into the
/// file entries (the manifest's JSON has these keys on each entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    /// `csv`, `xlsx` or `jsonl`.
    pub format: String,
    /// `utf-8`, `utf-8-bom`, `gbk` or `binary` (XLSX).
    pub encoding: String,
    /// XLSX: a title row (and a 填报单位 line) above the header.
    pub has_title_row: bool,
    /// XLSX: 填表人/备注 rows below the data.
    pub has_notes_rows: bool,
    /// XLSX: the data is on the second sheet, after an instructions sheet.
    pub data_sheet_index: u32,
    /// Data rows written (not the header, title or notes). 0 for an unreadable file.
    pub rows: u64,
    /// Rows an ingest must accept (`rows` less the defect rows).
    pub valid_rows: u64,
    /// Whether the file can be read at all.
    pub readable: bool,
    /// Why not, when unreadable (`<kind>: <explanation>`).
    pub why: Option<String>,
    /// Rows carrying each injected defect: each such row is rejected with exactly this reason code.
    pub defects: BTreeMap<String, u64>,
}

impl FileFacts {
    /// A readable file of `style`, before its rows are counted.
    pub(crate) fn of<F, V>(style: &Style<F, V>) -> Self {
        let xlsx = style.format == Format::Xlsx;
        Self {
            format: style.format.name().to_string(),
            encoding: style.format.encoding().to_string(),
            has_title_row: xlsx && style.title_row,
            has_notes_rows: xlsx && style.notes_rows,
            data_sheet_index: u32::from(xlsx && style.intro_sheet),
            rows: 0,
            valid_rows: 0,
            readable: true,
            why: None,
            defects: BTreeMap::new(),
        }
    }

    /// A file of `kind` that cannot be read.
    pub(crate) fn unreadable(kind: Unreadable) -> Self {
        let format = kind.extension();
        Self {
            format: format.to_string(),
            encoding: if format == "xlsx" { "binary" } else { "utf-8" }.to_string(),
            has_title_row: false,
            has_notes_rows: false,
            data_sheet_index: 0,
            rows: 0,
            valid_rows: 0,
            readable: false,
            why: Some(kind.why().to_string()),
            defects: BTreeMap::new(),
        }
    }

    /// Counts one row: valid, or rejected for `reason`.
    pub(crate) fn count(&mut self, reason: Option<&str>) {
        self.rows += 1;
        match reason {
            Some(code) => *self.defects.entry(code.to_string()).or_default() += 1,
            None => self.valid_rows += 1,
        }
    }
}

/// Sums of [`FileFacts`] over files.
#[derive(Default)]
pub(crate) struct FactSums {
    pub unreadable_files: u64,
    pub rows: u64,
    pub valid_rows: u64,
    pub defects: BTreeMap<String, u64>,
    pub defect_rows: u64,
}

impl FactSums {
    pub(crate) fn of<'a>(files: impl Iterator<Item = &'a FileFacts>) -> Self {
        let mut sums = Self::default();
        for f in files {
            sums.unreadable_files += u64::from(!f.readable);
            sums.rows += f.rows;
            sums.valid_rows += f.valid_rows;
            for (reason, n) in &f.defects {
                *sums.defects.entry(reason.clone()).or_default() += n;
                sums.defect_rows += n;
            }
        }
        sums
    }
}

/// Sums over the drop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Certificate files (readable or not).
    pub files: u64,
    /// Files that cannot be read.
    pub unreadable_files: u64,
    /// Data rows in readable files.
    pub rows: u64,
    /// Rows an ingest must accept.
    pub valid_rows: u64,
    /// Rejected rows by reason code.
    pub defects: BTreeMap<String, u64>,
    /// All rejected rows.
    pub defect_rows: u64,
    /// Repeated claims among the valid rows.
    pub duplicate_claims: u64,
    /// Persons generated.
    pub persons: u64,
}

/// Calibration figures for one issue year, over valid rows other than repeated claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearCalibration {
    /// Issue year.
    pub year: i32,
    /// Valid certificates issued in the year.
    pub certificates: u64,
    /// Of which level-bearing (qualification, skill_level).
    pub level_bearing: u64,
    /// Share of the level-bearing ones at 高级工 (l3) or above (target 0.38–0.50).
    pub high_level_share: f64,
    /// Share of special_competence + training among all certificates (cap 0.10).
    pub competence_and_training_share: f64,
    /// Skilled persons at year end (holding any skill certificate issued so far).
    pub skilled_persons: u64,
    /// High-skilled share of them (highest level ≥ l3; rising toward ~0.35).
    pub high_skill_share: f64,
    /// Share of certificates carrying a programme tag in the data (columns absent count as untagged).
    pub programme_tagged_share: f64,
}

/// The training drop (DESIGN §16): what it holds, file by file, and the figures an ingestion and the training
/// indicators must reproduce from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingManifest {
    /// The provider registry, `training/providers.csv`.
    pub registry: RegistryEntry,
    /// Provider folders absent from the registry (their rows are all `unknown_provider`).
    pub unregistered_providers: Vec<String>,
    /// Every training file, in path order.
    pub files: Vec<TrainingFileEntry>,
    /// Sums over the files.
    pub totals: TrainingTotals,
    /// Province figures of the accepted rows per year of class end, as DESIGN §16 defines its indicators.
    pub calibration: Vec<TrainingYear>,
}

/// One training file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingFileEntry {
    /// Landing-relative path, `training/<provider_id>/<YYYY-MM>.<ext>`, with `/` separators.
    pub path: String,
    /// The folder's provider.
    pub provider_id: String,
    /// `YYYY-MM`: the month in which the file's classes ended.
    pub period: String,
    /// Format, layout and rows (defects by §16 reason code).
    #[serde(flatten)]
    pub facts: FileFacts,
    /// Classes among the accepted rows (distinct class numbers).
    pub classes: u64,
    /// The header cells as written, in order.
    pub columns: Vec<String>,
    /// The provider's date spelling (`yyyy-mm-dd` …), and for XLSX how dates are stored (`text`, `date_cells`,
    /// `serial_numbers`).
    pub date_style: String,
    /// Whether hours (and whole satisfaction values) are numbers rather than text: numeric cells in XLSX, JSON
    /// numbers in JSON Lines.
    pub numbers: bool,
    /// Rows with each quirk: `legacy_id` (15 digits), `lower_x`, `full_width`, `stray_space` (cells).
    pub quirks: BTreeMap<String, u64>,
}

/// Sums over the training drop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingTotals {
    /// Registered providers.
    pub providers: u64,
    /// Training files (readable or not).
    pub files: u64,
    /// Files that cannot be read.
    pub unreadable_files: u64,
    /// Data rows in readable files.
    pub rows: u64,
    /// Rows an ingest must accept.
    pub valid_rows: u64,
    /// Rejected rows by §16 reason code.
    pub defects: BTreeMap<String, u64>,
    /// All rejected rows.
    pub defect_rows: u64,
    /// Classes among the accepted rows (provider + class number).
    pub classes: u64,
    /// Distinct persons among the accepted rows.
    pub trainees: u64,
    /// Of whom hold a valid skill certificate (any occupation, any date) in the certificate drop.
    pub trainees_with_certificates: u64,
    /// Persons generated who hold no certificate (trainees only).
    pub persons_without_certificates: u64,
}

/// Province figures for one year of class end, over accepted rows, as the §16 indicators define them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingYear {
    /// Year of the classes' end date.
    pub year: i32,
    /// Accepted rows (人次), completed or not.
    pub rows: u64,
    /// `training_persons`: completed rows (passed or failed).
    pub completed: u64,
    /// `subsidised_training`: completed rows with subsidised = yes.
    pub subsidised_completed: u64,
    /// `youth_league_training`: completed rows organised by the Youth League.
    pub youth_league_completed: u64,
    /// `apprenticeship_training`: distinct persons with a completed apprenticeship row.
    pub apprenticeship_persons: u64,
    /// `gold_collar_training`: distinct persons with a completed gold-collar row.
    pub gold_collar_persons: u64,
    /// `vouchers_used`: distinct voucher numbers on accepted rows.
    pub vouchers_used: u64,
    /// Classes (accepted rows sharing provider and class number) ending in the year.
    pub classes: u64,
    /// Classes of more than 80 trainees.
    pub oversize_classes: u64,
    /// Classes with practical hours under 60% of the total.
    pub practical_short_classes: u64,
    /// Classes whose lowest reported satisfaction is under 85.
    pub unsatisfied_classes: u64,
    /// Classes of kind `other` with no occupation and under 40 hours.
    pub short_certificate_course_classes: u64,
    /// `noncompliant_classes` numerator: classes with at least one flag.
    pub flagged_classes: u64,
    /// `subsidised_in_noncompliant`: completed subsidised rows in flagged classes.
    pub subsidised_in_noncompliant: u64,
    /// `training_certification_rate` denominator: distinct persons with a passed row that has an occupation.
    pub certification_denominator: u64,
    /// Its numerator: those of them with a valid skill certificate (not a repeated claim) in the same occupation
    /// issued from the class's start to 180 days after its end (and not after the as-of date).
    pub certification_numerator: u64,
    /// Numerator ÷ denominator, rounded to four decimals (0 without a denominator).
    pub certification_rate: f64,
    /// `repeat_subsidised_persons`: distinct persons with accepted subsidised rows in two or more classes of the
    /// same occupation ending in the year (rows without an occupation are left out: no occupation is not a
    /// "same occupation").
    pub repeat_subsidised_persons: u64,
}
