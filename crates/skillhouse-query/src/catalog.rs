//! The SQL definitions: models (`sql/models/*.sql`), indicators (`sql/indicators/*.sql`) and the release gate's data
//! tests (`sql/checks/*.sql`), one object per file, with metadata in leading `-- key: value` comment lines.
//!
//! The header is the run of lines at the top of the file that look like `-- key: value` with a lower-case key; the
//! first other line ends it. A key may repeat (`-- description:` over several lines); the values are joined with a
//! space. Models need `id` (equal to the file stem), `title_zh`, `title_en` and `grain`; indicators need also
//! `unit`, `target`, `comparator` and `source` (use `—` where there is none); checks need `id`, `title_zh`,
//! `title_en` and `description`. A check returns the rows that break it (dbt style): none means it passes.
//! A model with `-- partition_by: year` is stored one file per value of its `year` column
//! (`models/<id>/<year>.parquet`), so queries filtering on the year read only that file, and returns only the years
//! from `$from_year` on: the build takes the earlier years over from the previous snapshot (see `carry.rs`).
//!
//! Files may use the named parameters of [`crate::BuildParams`] (`$as_of`, `$youth_min_age`, `$youth_max_age`,
//! `$province_code`, `$from_year`), always inside a `CAST(… AS type)` so their type never depends on inference; values are bound
//! with DataFusion's `ParamValues`, never spliced into the text.

use crate::error::{QueryError, Result};
use std::collections::BTreeMap;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/bundled_sql.rs"));

/// Whether a file defines a model (a derived table) or an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SqlKind {
    /// `sql/models/*.sql`: a derived table stored as `models/<id>.parquet`, or `models/<id>/<year>.parquet`.
    Model,
    /// `sql/indicators/*.sql`: rows of `indicator_values`.
    Indicator,
    /// `sql/checks/*.sql`: a data test of the release gate, returning the rows that fail it.
    Check,
}

impl SqlKind {
    /// Folder name under `sql/`.
    pub const fn folder(self) -> &'static str {
        match self {
            Self::Model => "models",
            Self::Indicator => "indicators",
            Self::Check => "checks",
        }
    }

    /// Word used in messages.
    pub const fn noun(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Indicator => "indicator",
            Self::Check => "check",
        }
    }

    const fn required_keys(self) -> &'static [&'static str] {
        match self {
            Self::Model => &["id", "title_zh", "title_en", "grain"],
            Self::Indicator => &["id", "title_zh", "title_en", "unit", "grain", "target", "comparator", "source"],
            Self::Check => &["id", "title_zh", "title_en", "description"],
        }
    }
}

/// One `.sql` file: its header and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFile {
    /// Model or indicator.
    pub kind: SqlKind,
    /// Path relative to `sql/` (`indicators/new_skilled.sql`).
    pub file: String,
    /// The header keys and values (`id`, `title_zh`, …).
    pub header: BTreeMap<String, String>,
    /// The whole file, header included (comments are valid SQL).
    pub sql: String,
}

impl SqlFile {
    /// Parses a file's text, checking the header.
    pub fn parse(kind: SqlKind, file_name: &str, sql: &str) -> Result<Self> {
        let file = format!("{}/{file_name}", kind.folder());
        let mut header: BTreeMap<String, String> = BTreeMap::new();
        for line in sql.lines() {
            let Some((key, value)) = header_line(line) else { break };
            header
                .entry(key.to_string())
                .and_modify(|v| {
                    v.push(' ');
                    v.push_str(value);
                })
                .or_insert_with(|| value.to_string());
        }
        for key in kind.required_keys() {
            if header.get(*key).is_none_or(|v| v.is_empty()) {
                return Err(QueryError::Header {
                    file,
                    line: 0,
                    message: format!("the header has no `-- {key}: …` line"),
                });
            }
        }
        let stem = file_name.strip_suffix(".sql").unwrap_or(file_name);
        if header.get("id").map(String::as_str) != Some(stem) {
            return Err(QueryError::Header {
                file,
                line: 1,
                message: format!("`-- id:` must equal the file name `{stem}`"),
            });
        }
        Ok(Self { kind, file, header, sql: sql.to_string() })
    }

    /// The id (`persons`, `new_skilled`) — also the table name of a model.
    pub fn id(&self) -> &str {
        self.header.get("id").map_or("", String::as_str)
    }

    /// A header value, or `""`.
    pub fn get(&self, key: &str) -> &str {
        self.header.get(key).map_or("", String::as_str)
    }
}

/// `-- key: value` with a lower-case ASCII key.
fn header_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("--")?.trim_start();
    let (key, value) = rest.split_once(':')?;
    let is_key = !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    is_key.then(|| (key, value.trim()))
}

/// Every model, indicator and check, each sorted by file name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlCatalog {
    /// Derived tables, built first, in file-name order. A model reads base tables and dimensions only.
    pub models: Vec<SqlFile>,
    /// Indicators, built after the models; they read models, dimensions and base tables.
    pub indicators: Vec<SqlFile>,
    /// Data tests run by the release gate on a candidate snapshot (base tables, dimensions, `indicator_values`).
    pub checks: Vec<SqlFile>,
}

impl SqlCatalog {
    /// The definitions compiled into this binary from the repository's `sql/` folder.
    pub fn bundled() -> Result<Self> {
        let mut catalog = Self::default();
        for (folder, name, sql) in BUNDLED_SQL {
            let kind = match *folder {
                "models" => SqlKind::Model,
                "indicators" => SqlKind::Indicator,
                _ => SqlKind::Check,
            };
            catalog.push(SqlFile::parse(kind, name, sql)?);
        }
        Ok(catalog)
    }

    /// The definitions in a folder laid out like the repository's `sql/` (`models/`, `indicators/`, and
    /// optionally `checks/`).
    pub fn load_dir(sql_dir: &Path) -> Result<Self> {
        let mut catalog = Self::default();
        for kind in [SqlKind::Model, SqlKind::Indicator, SqlKind::Check] {
            let dir = sql_dir.join(kind.folder());
            if kind == SqlKind::Check && !dir.is_dir() {
                continue;
            }
            let entries = std::fs::read_dir(&dir).map_err(|e| QueryError::io("listing", &dir, e))?;
            let mut paths = Vec::new();
            for entry in entries {
                let path = entry.map_err(|e| QueryError::io("listing", &dir, e))?.path();
                if path.extension().is_some_and(|e| e == "sql") {
                    paths.push(path);
                }
            }
            paths.sort();
            for path in paths {
                let text = std::fs::read_to_string(&path).map_err(|e| QueryError::io("reading", &path, e))?;
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                catalog.push(SqlFile::parse(kind, name, &text)?);
            }
        }
        Ok(catalog)
    }

    fn push(&mut self, file: SqlFile) {
        match file.kind {
            SqlKind::Model => self.models.push(file),
            SqlKind::Indicator => self.indicators.push(file),
            SqlKind::Check => self.checks.push(file),
        }
    }

    /// Every file: models, indicators, checks.
    pub fn files(&self) -> impl Iterator<Item = &SqlFile> {
        self.models.iter().chain(&self.indicators).chain(&self.checks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_stops_at_the_first_other_line_and_joins_repeats() {
        let sql = "-- id: x\n-- title_zh: 甲\n-- title_en: X\n-- grain: g\n-- description: one\n-- description: two\n\
                   --\n-- note: not header\nSELECT 1";
        let file = SqlFile::parse(SqlKind::Model, "x.sql", sql).expect("valid header");
        assert_eq!(file.get("description"), "one two");
        assert_eq!(file.get("note"), "");
    }

    #[test]
    fn missing_keys_and_wrong_ids_are_refused() {
        let missing = SqlFile::parse(SqlKind::Indicator, "x.sql", "-- id: x\nSELECT 1");
        assert!(matches!(missing, Err(QueryError::Header { .. })));
        let wrong = SqlFile::parse(SqlKind::Model, "x.sql", "-- id: y\n-- title_zh: a\n-- title_en: b\n-- grain: c\n");
        assert!(matches!(wrong, Err(QueryError::Header { line: 1, .. })));
    }

    #[test]
    fn the_bundled_catalogue_parses() {
        let catalog = SqlCatalog::bundled().expect("bundled SQL parses");
        assert!(catalog.models.iter().any(|m| m.id() == "persons"));
        assert!(catalog.indicators.len() >= 16);
    }
}
