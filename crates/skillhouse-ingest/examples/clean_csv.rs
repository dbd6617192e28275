//! Rewrites a landing folder as clean UTF-8 CSV (one file per readable source file, canonical headers, names
//! dropped), for the ingestion benchmarks: DuckDB converts exactly these files, and `skillhouse ingest` reads the
//! same bytes. Usage: `cargo run --release -p skillhouse-ingest --example clean_csv -- [--training] LANDING OUT`.
//!
//! Without `--training`: the certificate files, `LANDING/<agency_id>/<YYYY-MM>.<ext>` → `OUT/<agency_id>/<YYYY-MM>.csv`
//! with the agency registry copied (the `training/` and `reported/` folders are left out). With `--training`: the
//! training files of DESIGN §16, `LANDING/training/<provider_id>/<YYYY-MM>.<ext>` →
//! `OUT/training/<provider_id>/<YYYY-MM>.csv` with the provider registry copied to `OUT/training/`.

use skillhouse_ingest::{Field, Format, HeaderAliases, Input, XlsxLimits, is_filler_row, read_file};
use std::io::Write;
use std::path::{Path, PathBuf};

const CERTIFICATE_COLUMNS: [Field; 8] = [
    Field::IdNumber,
    Field::CertNo,
    Field::CertType,
    Field::OccupationCode,
    Field::Level,
    Field::IssueDate,
    Field::AgencyId,
    Field::Programme,
];

/// Folders of a landing that are not an agency's.
const NOT_AGENCIES: [&str; 2] = ["training", "reported"];

fn quote(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    Ok(entries)
}

/// Rewrites every readable file of every owner folder under `landing` into `out`; returns (files, rows).
fn rewrite(
    landing: &Path,
    out: &Path,
    input: Input,
    columns: &[Field],
) -> Result<(usize, usize), Box<dyn std::error::Error>> {
    let aliases = HeaderAliases::builtin();
    let limits = XlsxLimits::default();
    let (mut files, mut rows) = (0usize, 0usize);
    for owner in sorted_entries(landing)?.iter().filter(|p| p.is_dir()) {
        let name = owner.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if input == Input::Certificates && NOT_AGENCIES.contains(&name) {
            continue;
        }
        for source in sorted_entries(owner)? {
            let Some(format) = source.extension().and_then(|e| e.to_str()).and_then(Format::from_extension) else {
                continue;
            };
            let Ok(table) = read_file(&std::fs::read(&source)?, format, input, &aliases, &limits) else {
                continue;
            };
            let stem = source.file_stem().and_then(|s| s.to_str()).unwrap_or("file");
            let dir = out.join(name);
            std::fs::create_dir_all(&dir)?;
            let mut writer = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{stem}.csv")))?);
            writeln!(writer, "{}", columns.iter().map(|f| f.code()).collect::<Vec<_>>().join(","))?;
            let mut failed = None;
            table.for_each_row(|_, cells| {
                if failed.is_some() || is_filler_row(cells) {
                    return;
                }
                rows += 1;
                let line: Vec<String> = columns.iter().map(|f| quote(cells[f.index()].unwrap_or(""))).collect();
                if let Err(e) = writeln!(writer, "{}", line.join(",")) {
                    failed = Some(e);
                }
            })?;
            if let Some(e) = failed {
                return Err(e.into());
            }
            writer.flush()?;
            files += 1;
        }
    }
    Ok((files, rows))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let training = args.first().is_some_and(|a| a.as_os_str() == "--training");
    if training {
        args.remove(0);
    }
    let [landing, out] = args.as_slice() else {
        return Err("usage: clean_csv [--training] LANDING OUT".into());
    };
    let (from, to, input, registries, columns): (PathBuf, PathBuf, Input, [&str; 2], Vec<Field>) = if training {
        let columns = Field::TRAINING.into_iter().filter(|f| *f != Field::Name).collect();
        (landing.join("training"), out.join("training"), Input::Training, ["providers.csv", "providers.xlsx"], columns)
    } else {
        (
            landing.clone(),
            out.clone(),
            Input::Certificates,
            ["agencies.csv", "agencies.xlsx"],
            CERTIFICATE_COLUMNS.to_vec(),
        )
    };
    std::fs::create_dir_all(&to)?;
    for registry in registries {
        if from.join(registry).is_file() {
            std::fs::copy(from.join(registry), to.join(registry))?;
        }
    }
    let (files, rows) = rewrite(&from, &to, input, &columns)?;
    println!("{files} files, {rows} rows written to {}", Path::new(&to).display());
    Ok(())
}
