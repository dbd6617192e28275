//! Finding the files of a batch: landing folders, agency folders or single files, in path order (agency folder,
//! then month), and the registries next to them.

use crate::error::{IngestError, Result};
use crate::read::Format;
use std::path::{Path, PathBuf};

/// One submitted file to consider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileJob {
    pub path: PathBuf,
    pub agency_id: String,
    pub period: String,
    pub source_file: String,
    /// The extension as found, lower-case.
    pub extension: String,
    pub format: Option<Format>,
    /// Why the name does not follow `<agency_id>/<YYYY-MM>.<ext>`.
    pub name_problem: Option<&'static str>,
}

/// The batch's files and the registries found next to them.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    pub jobs: Vec<FileJob>,
    pub registries: Vec<PathBuf>,
}

fn is_registry(path: &Path) -> bool {
    let stem = path.file_stem().and_then(|s| s.to_str()).map(str::to_ascii_lowercase);
    let ext = path.extension().and_then(|s| s.to_str()).map(str::to_ascii_lowercase);
    stem.as_deref() == Some("agencies") && matches!(ext.as_deref(), Some("csv" | "xlsx"))
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.') || n.starts_with("~$"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IngestError::io(dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| IngestError::io(dir, e))?;
    entries.retain(|p| !is_hidden(p));
    entries.sort();
    Ok(entries)
}

fn registries_in(dir: &Path) -> Vec<PathBuf> {
    ["agencies.csv", "agencies.xlsx"].iter().map(|n| dir.join(n)).filter(|p| p.is_file()).collect()
}

/// Whether `stem` is `YYYY-MM` with a real month.
fn valid_period(stem: &str) -> bool {
    let b = stem.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(stem[5..].parse::<u32>(), Ok(1..=12))
}

fn job(path: &Path) -> FileJob {
    let agency_id = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let stem = path.file_stem().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    let format = Format::from_extension(&extension);
    let name_problem = if format.is_none() {
        Some("文件类型不支持 / unsupported file type: send .csv, .xlsx or .jsonl")
    } else if !valid_period(&stem) {
        Some("文件名应为发证年月 / the file name must be the month of issue, e.g. 2024-05.csv")
    } else {
        None
    };
    FileJob {
        path: path.to_path_buf(),
        source_file: format!("{agency_id}/{file_name}"),
        agency_id,
        period: stem,
        extension,
        format,
        name_problem,
    }
}

/// Expands the paths of a batch. A folder with sub-folders (or an `agencies.*` file) is a landing folder, each
/// sub-folder an agency; a folder of files is one agency's folder; a file is one submission (or a registry).
pub(crate) fn discover(paths: &[PathBuf]) -> Result<Discovery> {
    let mut out = Discovery::default();
    let add_agency_folder = |dir: &Path, out: &mut Discovery| -> Result<()> {
        for file in sorted_entries(dir)? {
            if file.is_file() {
                out.jobs.push(job(&file));
            }
        }
        Ok(())
    };
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| IngestError::io(path, e))?;
        if meta.is_file() {
            if is_registry(path) {
                out.registries.push(path.clone());
            } else {
                out.jobs.push(job(path));
                if let Some(landing) = path.parent().and_then(Path::parent) {
                    out.registries.extend(registries_in(landing));
                }
            }
            continue;
        }
        let entries = sorted_entries(path)?;
        let is_landing = entries.iter().any(|e| e.is_dir() || is_registry(e));
        if is_landing {
            out.registries.extend(registries_in(path));
            for entry in entries {
                if entry.is_dir() {
                    add_agency_folder(&entry, &mut out)?;
                } else if !is_registry(&entry) && entry.file_name().is_none_or(|n| n != "manifest.json") {
                    tracing::warn!(path = %entry.display(), "file at the top of a landing folder ignored");
                }
            }
        } else {
            add_agency_folder(path, &mut out)?;
            if let Some(landing) = path.parent() {
                out.registries.extend(registries_in(landing));
            }
        }
    }
    out.jobs.sort_by(|a, b| (&a.agency_id, &a.period, &a.path).cmp(&(&b.agency_id, &b.period, &b.path)));
    out.jobs.dedup_by(|a, b| a.path == b.path);
    out.registries.sort();
    out.registries.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert!(valid_period("2024-05"));
        assert!(!valid_period("2024-13"));
        assert!(!valid_period("202405"));
        assert!(!valid_period("2024-5"));
    }

    #[test]
    fn names() {
        let j = job(Path::new("/l/A001/2024-05.CSV"));
        assert_eq!(
            (j.agency_id.as_str(), j.period.as_str(), j.source_file.as_str()),
            ("A001", "2024-05", "A001/2024-05.CSV")
        );
        assert_eq!(j.format, Some(Format::Csv));
        assert!(j.name_problem.is_none());
        assert!(job(Path::new("/l/A001/may.csv")).name_problem.is_some());
        assert!(job(Path::new("/l/A001/2024-05.xls")).name_problem.is_some());
    }
}
