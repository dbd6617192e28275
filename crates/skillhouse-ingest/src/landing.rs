//! Finding the files of a batch: landing folders, agency folders or single files, in path order (agency folder,
//! then month; certificates, then training), and the registries next to them. `training/` at the top of a landing
//! folder is reserved (see [`RESERVED`]): it holds the training providers' registry and one folder per provider
//! (DESIGN §16), read with the same rules as agency folders.
//!
//! `revocations.csv|.xlsx` and `renewals.csv|.xlsx` at the top are the HR office's registers (DESIGN §18), listed in
//! [`Discovery::registers`] and read by `revocations.rs`.
//!
//! Every entry under a landing folder is accounted for: a submission becomes a job (loaded, or unreadable with a
//! reason — a name that is not UTF-8 or not `<YYYY-MM>.<ext>`, a file in a sub-folder of an agency folder, a
//! symbolic link leading out of the landing folder, something that is not a regular file), and the rest — hidden
//! and Office lock files, stray files at the top — is listed in [`Discovery::ignored`], which the batch report
//! counts and the CLI prints. Nothing is dropped without a word.
//!
//! Symbolic links are followed only while they stay inside the landing folder (the folder given, or for an agency
//! folder or a file given, the folder above it): a link to `/etc/passwd` or to another tree is refused unread.
//! Paths named by the caller are taken as given.

use crate::error::{IngestError, Result};
use crate::field::Input;
use crate::read::Format;
use crate::revocations::register_input;
use skillhouse_model::normalize_key;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// One submitted file to consider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileJob {
    /// Certificates (`<agency_id>/…`) or training (`training/<provider_id>/…`).
    pub input: Input,
    pub path: PathBuf,
    pub agency_id: String,
    pub period: String,
    pub source_file: String,
    /// The extension as found, lower-case.
    pub extension: String,
    pub format: Option<Format>,
    /// `<YYYY-MM>.withdraw`: the agency withdraws that month on purpose (docs/operations.md).
    pub withdrawal: bool,
    /// Why the name or place does not follow `<agency_id>/<YYYY-MM>.<ext>`; the bytes are still hashed.
    pub name_problem: Option<&'static str>,
    /// Why the entry is refused without being opened (a link leaving the landing folder, not a regular file).
    pub refused: Option<&'static str>,
}

/// An entry of a landing folder that is not a submission and not in the ledger, reported so it is not lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredEntry {
    /// Landing-relative path (not UTF-8 parts shown as U+FFFD).
    pub path: String,
    /// Why it was not read, in words an operator can act on.
    pub reason: &'static str,
}

/// The batch's files and the registries found next to them.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    pub jobs: Vec<FileJob>,
    /// `agencies.csv|.xlsx` files.
    pub registries: Vec<PathBuf>,
    /// `training/providers.csv|.xlsx` files.
    pub provider_registries: Vec<PathBuf>,
    /// The HR office's registers at the top (`revocations.csv|.xlsx`, `renewals.csv|.xlsx`, DESIGN §18), by input.
    pub registers: Vec<(Input, PathBuf)>,
    /// Entries that are neither submissions nor registries.
    pub ignored: Vec<IgnoredEntry>,
}

/// Sub-folders below an agency folder followed at most this deep (their files are recorded, not read).
const MAX_SUBFOLDER_DEPTH: usize = 8;

const NOT_UTF8_FILE: &str = "文件名不是有效的UTF-8文本 / the file name is not valid UTF-8 text: rename it to the month of issue, e.g. 2024-05.csv";
const NOT_UTF8_FOLDER: &str = "机构目录名不是有效的UTF-8文本 / the agency folder name is not valid UTF-8 text: rename the folder to the agency code";
const BAD_FOLDER: &str =
    "机构目录名含控制字符 / the agency folder name has a control character in it: rename the folder to the agency code";
const IN_SUBFOLDER: &str = "文件在机构目录的子目录中，未读取 / files in a sub-folder of an agency folder are not read: \
                            move it up into the agency folder (one file per month) or out of the landing folder";
const LINK_OUTSIDE: &str = "链接指向着陆目录之外，未读取 / a symbolic link leading out of the landing folder is not \
                            followed: put the file itself in the agency folder";
const BROKEN_LINK: &str =
    "链接目标不存在 / a symbolic link whose target does not exist: put the file itself in the agency folder";
const NOT_REGULAR: &str = "不是普通文件，未读取 / not a regular file (a pipe, socket or device) and not read";
const UNSUPPORTED: &str = "文件类型不支持 / unsupported file type: send .csv, .xlsx or .jsonl";
const BAD_PERIOD: &str = "文件名应为发证年月 / the file name must be the month of issue, e.g. 2024-05.csv";

const HIDDEN: &str = "隐藏文件或Office临时文件，未读取 / hidden file or Office lock file, not read";
const AT_TOP: &str = "着陆目录顶层的文件未读取 / a file at the top of the landing folder is not read: submissions go in \
                      a folder named after the agency";
const TOO_DEEP: &str = "子目录层级过深，未列出 / sub-folders nested too deep, not listed";
const CANNOT_LIST: &str = "目录无法读取，未列出 / a folder that cannot be listed (check its permissions), not read";
const LOOP: &str = "目录已列出（链接循环） / a folder already listed (a link loop), not listed again";

const TRAINING_AT_TOP: &str = "training目录顶层的文件未读取 / a file at the top of the training folder is not read: \
                               submissions go in a folder named after the provider, the registry is providers.csv";

/// What a reserved name at the top of a landing folder holds: another input, never an agency folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reserved {
    /// `training/`: the training providers' registry and folders (DESIGN §16).
    Training,
    /// `reported/`: reported-figures files (DESIGN §17), read by `crate::reported` after the batch.
    Reported,
}

/// The names at the top of a landing folder that are not agency folders. Every input besides certificates gets its
/// name here (§18's `revocations.csv` joins when it is read), so that the certificate reader never takes one of
/// them for an agency.
const RESERVED: [(&str, Reserved); 2] = [("training", Reserved::Training), ("reported", Reserved::Reported)];

/// The reserved meaning of a top-level name, if it has one.
fn reserved(name: &OsStr) -> Option<Reserved> {
    RESERVED.iter().find(|(reserved, _)| name.to_str() == Some(*reserved)).map(|(_, what)| *what)
}

/// Whether a folder is a training folder (`training/`, by its name).
fn is_training_folder(path: &Path) -> bool {
    path.file_name().and_then(reserved) == Some(Reserved::Training)
}

/// Whether a folder is a reported-figures folder (`reported/`, by its name; DESIGN §17).
pub(crate) fn is_reported_folder(path: &Path) -> bool {
    path.file_name().and_then(reserved) == Some(Reserved::Reported)
}

/// The landing-relative prefix of an input's submissions.
fn prefix(input: Input) -> &'static str {
    match input {
        Input::Certificates => "",
        Input::Training => "training/",
        Input::Reported => "reported/",
        // The registers are single files at the top.
        Input::Revocations | Input::Renewals => "",
    }
}

/// Whether a file is a registry named `stem` (`agencies`, `providers`) with a registry's extension.
fn is_named_registry(path: &Path, stem_wanted: &str) -> bool {
    let stem = path.file_stem().and_then(|s| s.to_str()).map(str::to_ascii_lowercase);
    let ext = path.extension().and_then(|s| s.to_str()).map(str::to_ascii_lowercase);
    stem.as_deref() == Some(stem_wanted) && matches!(ext.as_deref(), Some("csv" | "xlsx"))
}

fn is_registry(path: &Path) -> bool {
    is_named_registry(path, "agencies")
}

/// `providers.csv|.xlsx` in a training folder.
fn is_provider_registry(path: &Path) -> bool {
    is_named_registry(path, "providers") && path.parent().is_some_and(is_training_folder)
}

/// Hidden files and Office lock files (`~$…`), by a name that is UTF-8 (other names are reported as such).
fn is_hidden(name: &OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.') || n.starts_with("~$"))
}

fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<std::io::Result<_>>()?;
    entries.sort();
    Ok(entries)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    list(dir).map_err(|e| IngestError::io(dir, e))
}

fn registries_in(dir: &Path) -> Vec<PathBuf> {
    ["agencies.csv", "agencies.xlsx"].iter().map(|n| dir.join(n)).filter(|p| p.is_file()).collect()
}

fn provider_registries_in(training: &Path) -> Vec<PathBuf> {
    ["providers.csv", "providers.xlsx"].iter().map(|n| training.join(n)).filter(|p| p.is_file()).collect()
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

/// What an entry is, links resolved only while they stay inside the landing folder.
enum Kind {
    File,
    Folder,
    /// A link leaving the landing folder, a broken link, or not a regular file: refused with this reason.
    Refused(&'static str),
}

/// The landing folder entries must stay inside: its canonical path.
struct Boundary {
    root: Option<PathBuf>,
}

impl Boundary {
    fn new(landing: Option<&Path>) -> Self {
        Self { root: landing.and_then(|p| std::fs::canonicalize(p).ok()) }
    }

    /// Classifies an entry found by listing a folder. A symbolic link counts as what it points to when that is
    /// inside the landing folder, and is refused otherwise.
    fn kind(&self, path: &Path) -> Kind {
        let Ok(meta) = std::fs::symlink_metadata(path) else { return Kind::Refused(BROKEN_LINK) };
        let target_meta = if meta.file_type().is_symlink() {
            let Ok(target) = std::fs::canonicalize(path) else { return Kind::Refused(BROKEN_LINK) };
            if self.root.as_ref().is_some_and(|root| !target.starts_with(root)) {
                return Kind::Refused(LINK_OUTSIDE);
            }
            match std::fs::metadata(&target) {
                Ok(m) => m,
                Err(_) => return Kind::Refused(BROKEN_LINK),
            }
        } else {
            meta
        };
        if target_meta.is_dir() {
            Kind::Folder
        } else if target_meta.is_file() {
            Kind::File
        } else {
            Kind::Refused(NOT_REGULAR)
        }
    }
}

/// Text of a path part for messages and the ledger (not UTF-8 bytes as U+FFFD).
fn lossy(part: &OsStr) -> String {
    part.to_string_lossy().into_owned()
}

/// A job for `path`, a file `relative` (one name, or sub-folders and a name) inside the folder of `agency` (an
/// agency, or for training a provider).
fn job(input: Input, path: &Path, agency: &OsStr, relative: &Path) -> FileJob {
    let agency_text = agency.to_str().map(normalize_key);
    let agency_id = match &agency_text {
        Some(Ok(id)) => id.to_string(),
        _ => lossy(agency),
    };
    let relative_text: Vec<String> = relative.iter().map(lossy).collect();
    let file_name = relative.file_name().unwrap_or_default();
    let stem = Path::new(file_name).file_stem().map(lossy).unwrap_or_default();
    let extension = Path::new(file_name).extension().map(lossy).unwrap_or_default().to_ascii_lowercase();
    let format = Format::from_extension(&extension);
    let withdrawal = extension == "withdraw";
    let name_problem = if agency_text.is_none() {
        Some(NOT_UTF8_FOLDER)
    } else if matches!(agency_text, Some(Err(_))) {
        Some(BAD_FOLDER)
    } else if relative.to_str().is_none() {
        Some(NOT_UTF8_FILE)
    } else if relative_text.len() > 1 {
        Some(IN_SUBFOLDER)
    } else if format.is_none() && !withdrawal {
        Some(UNSUPPORTED)
    } else if !valid_period(&stem) {
        Some(BAD_PERIOD)
    } else {
        None
    };
    FileJob {
        input,
        path: path.to_path_buf(),
        source_file: format!("{}{}/{}", prefix(input), lossy(agency), relative_text.join("/")),
        agency_id,
        period: stem,
        extension,
        format,
        withdrawal,
        name_problem,
        refused: None,
    }
}

/// A job for an entry refused unread.
fn refused_job(input: Input, path: &Path, agency: &OsStr, relative: &Path, reason: &'static str) -> FileJob {
    FileJob { refused: Some(reason), ..job(input, path, agency, relative) }
}

/// Lists the batch's entries, keeping every one accounted for.
struct Walker {
    boundary: Boundary,
    out: Discovery,
    /// Canonical folders listed, so a link loop is listed once.
    listed: HashSet<PathBuf>,
}

impl Walker {
    fn ignore(&mut self, path: String, reason: &'static str) {
        self.out.ignored.push(IgnoredEntry { path, reason });
    }

    /// An agency folder (for training, a provider folder): its files are jobs; files in its sub-folders are jobs
    /// recorded as misplaced.
    fn agency_folder(&mut self, input: Input, dir: &Path, agency: &OsStr) -> Result<()> {
        self.folder(input, dir, agency, Path::new(""), 0)
    }

    fn folder(&mut self, input: Input, dir: &Path, agency: &OsStr, relative: &Path, depth: usize) -> Result<()> {
        let shown = || format!("{}{}/{}", prefix(input), lossy(agency), relative.display());
        // A folder that cannot be listed (permissions) is reported, not a reason to stop the whole batch.
        let Ok((canonical, entries)) = std::fs::canonicalize(dir).and_then(|c| Ok((c, list(dir)?))) else {
            self.ignore(shown(), CANNOT_LIST);
            return Ok(());
        };
        if !self.listed.insert(canonical) {
            self.ignore(shown(), LOOP);
            return Ok(());
        }
        if depth > MAX_SUBFOLDER_DEPTH {
            self.ignore(shown(), TOO_DEEP);
            return Ok(());
        }
        for entry in entries {
            let Some(name) = entry.file_name() else { continue };
            let inner = relative.join(name);
            if is_hidden(name) {
                self.ignore(format!("{}{}/{}", prefix(input), lossy(agency), inner.display()), HIDDEN);
                continue;
            }
            match self.boundary.kind(&entry) {
                Kind::File => self.out.jobs.push(job(input, &entry, agency, &inner)),
                Kind::Folder => self.folder(input, &entry, agency, &inner, depth + 1)?,
                Kind::Refused(reason) => self.out.jobs.push(refused_job(input, &entry, agency, &inner, reason)),
            }
        }
        Ok(())
    }

    /// A training folder: the provider registry at the top, a folder per provider (DESIGN §16).
    fn training(&mut self, dir: &Path) -> Result<()> {
        let Ok(entries) = list(dir) else {
            self.ignore(prefix(Input::Training).to_string(), CANNOT_LIST);
            return Ok(());
        };
        self.out.provider_registries.extend(provider_registries_in(dir));
        for entry in entries {
            let Some(name) = entry.file_name() else { continue };
            let shown = format!("{}{}", prefix(Input::Training), lossy(name));
            if is_hidden(name) {
                self.ignore(shown, HIDDEN);
                continue;
            }
            match self.boundary.kind(&entry) {
                Kind::Folder => self.agency_folder(Input::Training, &entry, name)?,
                Kind::File if is_provider_registry(&entry) => {}
                Kind::File => self.ignore(shown, TRAINING_AT_TOP),
                Kind::Refused(reason) => self.out.jobs.push(FileJob {
                    input: Input::Training,
                    path: entry.clone(),
                    agency_id: lossy(name),
                    period: String::new(),
                    source_file: shown,
                    extension: String::new(),
                    format: None,
                    withdrawal: false,
                    name_problem: None,
                    refused: Some(reason),
                }),
            }
        }
        Ok(())
    }

    /// A landing folder: registries at the top, a folder per agency.
    fn landing(&mut self, dir: &Path, entries: Vec<PathBuf>) -> Result<()> {
        self.out.registries.extend(registries_in(dir));
        for entry in entries {
            let Some(name) = entry.file_name() else { continue };
            if is_hidden(name) {
                self.ignore(lossy(name), HIDDEN);
                continue;
            }
            match self.boundary.kind(&entry) {
                Kind::Folder if reserved(name) == Some(Reserved::Training) => self.training(&entry)?,
                // Read after the batch by `crate::reported`, which accounts for its entries.
                Kind::Folder if reserved(name) == Some(Reserved::Reported) => {}
                Kind::Folder => self.agency_folder(Input::Certificates, &entry, name)?,
                Kind::File if is_registry(&entry) => {}
                Kind::File if let Some(input) = register_input(&entry) => self.out.registers.push((input, entry)),
                // The generator's description of a synthetic drop (skillhouse datagen), not a submission.
                Kind::File if name == "manifest.json" => {}
                Kind::File => self.ignore(lossy(name), AT_TOP),
                Kind::Refused(reason) => {
                    // A link at the top stands where an agency folder would: recorded under its own name.
                    self.out.jobs.push(FileJob {
                        input: Input::Certificates,
                        path: entry.clone(),
                        agency_id: lossy(name),
                        period: String::new(),
                        source_file: lossy(name),
                        extension: String::new(),
                        format: None,
                        withdrawal: false,
                        name_problem: None,
                        refused: Some(reason),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Expands the paths of a batch. A folder with sub-folders (or an `agencies.*` file) is a landing folder, each
/// sub-folder an agency; a folder of files is one agency's folder; a file is one submission (or a registry).
pub(crate) fn discover(paths: &[PathBuf]) -> Result<Discovery> {
    let mut walker = Walker { boundary: Boundary { root: None }, out: Discovery::default(), listed: HashSet::new() };
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| IngestError::io(path, e))?;
        let parent = path.parent();
        // `reported/` or a file in it: read after the batch by `crate::reported`.
        if is_reported_folder(path) || (meta.is_file() && parent.is_some_and(is_reported_folder)) {
            continue;
        }
        if meta.is_file() {
            if is_registry(path) {
                walker.out.registries.push(path.clone());
            } else if let Some(input) = register_input(path) {
                walker.out.registers.push((input, path.clone()));
            } else if is_provider_registry(path) {
                walker.out.provider_registries.push(path.clone());
            } else {
                let agency = parent.and_then(Path::file_name).unwrap_or_default();
                let name = path.file_name().unwrap_or_default();
                let above = parent.and_then(Path::parent);
                if let Some(training) = above.filter(|p| is_training_folder(p)) {
                    walker.out.jobs.push(job(Input::Training, path, agency, Path::new(name)));
                    walker.out.provider_registries.extend(provider_registries_in(training));
                } else {
                    walker.out.jobs.push(job(Input::Certificates, path, agency, Path::new(name)));
                    if let Some(landing) = above {
                        walker.out.registries.extend(registries_in(landing));
                    }
                }
            }
            continue;
        }
        if is_training_folder(path) {
            // `landing/training` given on its own.
            walker.boundary = Boundary::new(Some(path));
            walker.training(path)?;
            continue;
        }
        if let Some(training) = parent.filter(|p| is_training_folder(p)) {
            // One provider's folder.
            walker.boundary = Boundary::new(Some(training));
            walker.agency_folder(Input::Training, path, path.file_name().unwrap_or_default())?;
            walker.out.provider_registries.extend(provider_registries_in(training));
            continue;
        }
        let entries = sorted_entries(path)?;
        let landing_boundary = Boundary::new(Some(path));
        let is_landing = entries.iter().any(|e| {
            !e.file_name().is_some_and(is_hidden)
                && (matches!(landing_boundary.kind(e), Kind::Folder) || is_registry(e) || register_input(e).is_some())
        });
        if is_landing {
            walker.boundary = landing_boundary;
            walker.landing(path, entries)?;
        } else {
            walker.boundary = Boundary::new(parent);
            let agency = path.file_name().unwrap_or_default();
            walker.agency_folder(Input::Certificates, path, agency)?;
            if let Some(landing) = parent {
                walker.out.registries.extend(registries_in(landing));
            }
        }
    }
    let mut out = walker.out;
    out.jobs
        .sort_by(|a, b| (a.input, &a.agency_id, &a.period, &a.path).cmp(&(b.input, &b.agency_id, &b.period, &b.path)));
    out.jobs.dedup_by(|a, b| a.path == b.path);
    for registries in [&mut out.registries, &mut out.provider_registries] {
        registries.sort();
        registries.dedup();
    }
    out.registers.sort();
    out.registers.dedup();
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

    fn job_at(path: &str) -> FileJob {
        let path = Path::new(path);
        let agency = path.parent().and_then(Path::file_name).unwrap_or_default();
        job(Input::Certificates, path, agency, Path::new(path.file_name().unwrap_or_default()))
    }

    #[test]
    fn names() {
        let j = job_at("/l/A001/2024-05.CSV");
        assert_eq!(
            (j.agency_id.as_str(), j.period.as_str(), j.source_file.as_str()),
            ("A001", "2024-05", "A001/2024-05.CSV")
        );
        assert_eq!(j.format, Some(Format::Csv));
        assert!(j.name_problem.is_none());
        assert!(job_at("/l/A001/may.csv").name_problem.is_some());
        assert!(job_at("/l/A001/2024-05.xls").name_problem.is_some());
        let withdrawal = job_at("/l/A001/2024-05.withdraw");
        assert!(withdrawal.withdrawal && withdrawal.name_problem.is_none());
        assert_eq!(job_at("/l/Ａ００１/2024-05.csv").agency_id, "A001", "folder codes are keys in normal form");
        let nested = job(
            Input::Certificates,
            Path::new("/l/A001/old/2024-05.csv"),
            OsStr::new("A001"),
            Path::new("old/2024-05.csv"),
        );
        assert_eq!((nested.source_file.as_str(), nested.name_problem), ("A001/old/2024-05.csv", Some(IN_SUBFOLDER)));
        let training =
            job(Input::Training, Path::new("/l/training/P1/2024-05.xlsx"), OsStr::new("P1"), Path::new("2024-05.xlsx"));
        assert_eq!((training.source_file.as_str(), training.agency_id.as_str()), ("training/P1/2024-05.xlsx", "P1"));
    }

    #[test]
    fn training_is_reserved_at_the_top() {
        assert_eq!(reserved(OsStr::new("training")), Some(Reserved::Training));
        assert_eq!(reserved(OsStr::new("A001")), None);
        assert!(is_provider_registry(Path::new("/l/training/providers.csv")));
        assert!(!is_provider_registry(Path::new("/l/providers.csv")), "only inside the training folder");
    }
}
