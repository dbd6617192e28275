//! Deterministic synthetic agency drops for SkillHouse, calibrated to the Henan policy documents.
//!
//! [`generate`] writes a landing folder exactly as DESIGN §4 describes it — the agency registry `agencies.csv`
//! and one file per agency and month of issue, `<agency_id>/<YYYY-MM>.<csv|xlsx|jsonl>` — that looks like what
//! real evaluation agencies send: CSV in UTF-8, UTF-8 with BOM or GBK, workbooks with and without title rows and
//! notes rows and with dates stored as text, dates or serial numbers, JSON Lines; header spellings that vary by
//! agency; every date, level, certificate-type and programme spelling; stray spaces, full-width digits, lower-case
//! x and 15-digit legacy IDs. Behind the files are synthetic persons with certificate histories over the years
//! (levels climbing, several agencies and cities, the odd enterprise appointment to 特级技师/首席技师), agencies
//! in Pingdingshan's type mix spread over the reporting units by the 2022 city table, and calibration to the public
//! figures of DESIGN §14.
//!
//! With training on ([`Config::training`]), the drop also holds training records as DESIGN §16 describes them:
//! `training/providers.csv` and `training/<provider_id>/<YYYY-MM>.<ext>`, trainees of the classes that ended in
//! that month, in the same variety of formats and quirks, many of them the certificate persons so that 持证率 is
//! realistic. Certificate files do not change with training on or off.
//!
//! With a defect rate above zero, rows carry exactly one known defect each — every reason code of DESIGN §6, each
//! crafted so that under the checking order it is the row's only reason — and the drop also holds an unregistered
//! agency's folder, repeated claims (valid rows flagged `duplicate_claim` later) and a few files that cannot be
//! read at all. `manifest.json` states, file by file, the rows written, the defects injected by reason code and
//! the repeated claims, so that tests of the ingestion can assert exact counts.
//!
//! The same [`Config`] gives byte-identical files: randomness comes from a self-written xoshiro256** generator
//! with one independent stream per task, never from thread timing or hash-map order, and workbooks carry a fixed
//! creation date. Persons are generated in parallel chunks, grouped by agency and month, and files are written in
//! parallel (rayon).
//!
//! This crate depends on the model crate for the domain vocabulary and on the format writers; it knows nothing of
//! ingestion, Parquet, polars or DataFusion, and must not: its output is the contract the ingestion is tested
//! against, so it never borrows the ingestion's own reading of the files.

mod agency;
mod config;
mod encode;
mod error;
mod manifest;
mod persons;
mod picker;
mod plan;
mod reference;
mod render;
mod rng;
mod style;
mod training;
mod write;

pub use config::{Config, DEFAULT_TRAINING, MAX_AGENCIES, MAX_PERSONS};
pub use error::{DatagenError, Result};
pub use manifest::{
    FileEntry, FileFacts, Manifest, ManifestArgs, RegistryEntry, Totals, TrainingFileEntry, TrainingManifest,
    TrainingTotals, TrainingYear, YearCalibration,
};

use std::path::Path;

/// Generates the drop of `config` into `out` (created if absent; refused if not empty) and returns its manifest,
/// which is also written as `out/manifest.json`.
pub fn generate(config: &Config, out: &Path) -> Result<Manifest> {
    config.validate()?;
    let occupations = reference::occupations()?;
    let plan = plan::build(config)?;
    let training = (config.training > 0.0).then(|| training::build(config, &plan, &occupations));
    write::write(config, &plan, training.as_ref(), &occupations, out)
}

/// The configuration recorded in a manifest, to regenerate the same drop.
pub fn config_of(manifest: &Manifest) -> Result<Config> {
    let (first_year, last_year) = Config::parse_years(&manifest.args.years)?;
    let as_of = match &manifest.args.as_of {
        Some(text) => Some(
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|e| DatagenError::InvalidArgument { argument: "as_of", problem: format!("{text:?}: {e}") })?,
        ),
        None => None,
    };
    Ok(Config {
        persons: manifest.args.persons,
        seed: manifest.seed,
        first_year,
        last_year,
        defect_rate: manifest.args.defect_rate,
        agencies: Some(manifest.args.agencies),
        as_of,
        training: manifest.args.training,
    })
}
