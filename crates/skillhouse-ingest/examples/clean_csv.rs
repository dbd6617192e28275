//! Rewrites a landing folder as clean UTF-8 CSV (one file per readable source file, canonical headers, names
//! dropped), for the ingestion benchmark: DuckDB converts exactly these files, and `skillhouse ingest` reads the
//! same bytes. Usage: `cargo run --release -p skillhouse-ingest --example clean_csv -- LANDING OUT`.

use skillhouse_ingest::{Field, Format, HeaderAliases, Input, XlsxLimits, is_filler_row, read_file};
use std::io::Write;
use std::path::{Path, PathBuf};

const COLUMNS: [Field; 8] = [
    Field::IdNumber,
    Field::CertNo,
    Field::CertType,
    Field::OccupationCode,
    Field::Level,
    Field::IssueDate,
    Field::AgencyId,
    Field::Programme,
];

fn quote(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [landing, out] = args.as_slice() else {
        return Err("usage: clean_csv LANDING OUT".into());
    };
    let aliases = HeaderAliases::builtin();
    let limits = XlsxLimits::default();
    std::fs::create_dir_all(out)?;
    for registry in ["agencies.csv", "agencies.xlsx"] {
        if landing.join(registry).is_file() {
            std::fs::copy(landing.join(registry), out.join(registry))?;
        }
    }
    let (mut files, mut rows) = (0usize, 0usize);
    let mut agencies: Vec<PathBuf> = std::fs::read_dir(landing)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    agencies.sort();
    for agency in agencies.iter().filter(|p| p.is_dir()) {
        let mut sources: Vec<PathBuf> = std::fs::read_dir(agency)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        sources.sort();
        for source in sources {
            let Some(format) = source.extension().and_then(|e| e.to_str()).and_then(Format::from_extension) else {
                continue;
            };
            let Ok(table) = read_file(&std::fs::read(&source)?, format, Input::Certificates, &aliases, &limits) else {
                continue;
            };
            let stem = source.file_stem().and_then(|s| s.to_str()).unwrap_or("file");
            let dir = out.join(agency.file_name().unwrap_or_default());
            std::fs::create_dir_all(&dir)?;
            let mut writer = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{stem}.csv")))?);
            writeln!(writer, "{}", COLUMNS.map(Field::code).join(","))?;
            let mut failed = None;
            table.for_each_row(|_, cells| {
                if failed.is_some() || is_filler_row(cells) {
                    return;
                }
                rows += 1;
                let line: Vec<String> = COLUMNS.iter().map(|f| quote(cells[f.index()].unwrap_or(""))).collect();
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
    println!("{files} files, {rows} rows written to {}", Path::new(out).display());
    Ok(())
}
