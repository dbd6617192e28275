//! The SQL definitions: models (`sql/models/*.sql`), indicators (`sql/indicators/*.sql`), the join of every
//! indicator row with its targets and status (`sql/values/indicator_values.sql`) and the release gate's data tests
//! (`sql/checks/*.sql`), one object per file, with metadata in leading `-- key: value` comment lines.
//!
//! The header is the run of lines at the top of the file that look like `-- key: value` with a lower-case key; the
//! first other line ends it. A key may repeat (`-- description:` over several lines); the values are joined with a
//! space. Models need `id` (equal to the file stem), `title_zh`, `title_en` and `grain`; indicators need also
//! `unit`, `target`, `comparator`, `source` (use `—` where there is none) and `disclosure` (what suppression needs:
//! see [`Disclosure`]); checks need `id`, `title_zh`, `title_en` and `description`.
//!
//! An indicator's header is also where the rest of its publishing rules live, so that a new indicator is one file:
//! `-- headline: N` puts it on the scoreboard and the dashboard page at position N (absent or `—`: not a headline),
//! with `-- short_title_zh:` / `-- short_title_en:` as its label there; `-- gate: compare` has the release gate
//! compare its province values with the previous snapshot's (for stocks, which a night moves by a fraction of a
//! percent); `-- kind: flow|stock|share|cumulative` says what sort of number it is (a `flow`'s yearly target is
//! also judged against the calendar, 序时进度: `sql/values/indicator_values.sql`). All of them are carried into the
//! `indicators` table. A check returns the rows that break it (dbt style): none means it passes.
//! A model with `-- partition_by: year` is stored one file per value of its `year` column
//! (`models/<id>/<year>.parquet`), so queries filtering on the year read only that file, and returns only the years
//! from `$from_year` on: the build takes the earlier years over from the previous snapshot (see `carry.rs`).
//!
//! Files may use the named parameters of [`crate::BuildParams`] (`$as_of`, `$youth_min_age`, `$youth_max_age`,
//! `$province_code`, `$from_year`), always inside a `CAST(… AS type)` so their type never depends on inference; values are bound
//! with DataFusion's `ParamValues`, never spliced into the text.

use crate::disclosure::Disclosure;
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
    /// `sql/values/indicator_values.sql`: every indicator row (`indicator_rows`) joined with its target, gap, status
    /// and reference target — the rows of `indicator_values`.
    Values,
}

impl SqlKind {
    /// Folder name under `sql/`.
    pub const fn folder(self) -> &'static str {
        match self {
            Self::Model => "models",
            Self::Indicator => "indicators",
            Self::Check => "checks",
            Self::Values => "values",
        }
    }

    /// Word used in messages.
    pub const fn noun(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Indicator => "indicator",
            Self::Check => "check",
            Self::Values => "values join",
        }
    }

    const fn required_keys(self) -> &'static [&'static str] {
        match self {
            Self::Model => &["id", "title_zh", "title_en", "grain"],
            Self::Indicator => {
                &["id", "title_zh", "title_en", "unit", "grain", "target", "comparator", "source", "disclosure"]
            }
            Self::Check | Self::Values => &["id", "title_zh", "title_en", "description"],
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
        let mut first_lines: BTreeMap<String, usize> = BTreeMap::new();
        for (number, line) in sql.lines().enumerate() {
            let Some((key, value)) = header_line(line) else { break };
            first_lines.entry(key.to_string()).or_insert(number + 1);
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
        let parsed = Self { kind, file, header, sql: sql.to_string() };
        if kind == SqlKind::Indicator {
            parsed.check_publishing_rules(&first_lines)?;
        }
        Ok(parsed)
    }

    /// Checks an indicator's `disclosure`, `headline` and `gate` lines: suppression, the page and the gate read them
    /// from the catalogue, so a malformed one must stop the build, not fall back to something.
    fn check_publishing_rules(&self, lines: &BTreeMap<String, usize>) -> Result<()> {
        let line = |key: &str| lines.get(key).copied().unwrap_or(0);
        let refuse =
            |key: &str, message: String| QueryError::Header { file: self.file.clone(), line: line(key), message };
        let disclosure = Disclosure::parse(self.get("disclosure"), &self.file, line("disclosure"))?;
        let share_unit = self.get("unit") == "share";
        if disclosure.is_share() != share_unit && disclosure != Disclosure::Public {
            return Err(refuse(
                "disclosure",
                format!(
                    "`-- disclosure: {disclosure}` does not fit `-- unit: {}`: a share discloses `share <numerator> / \
                     <denominator>`, anything else `count <quantity>` (or `public`)",
                    self.get("unit")
                ),
            ));
        }
        let headline = self.get("headline");
        if !is_none_word(headline) && !headline.parse::<u32>().is_ok_and(|n| n > 0) {
            return Err(refuse("headline", format!("`-- headline: {headline}` is not a position (1, 2, …) or `—`")));
        }
        let gate = self.get("gate");
        if !is_none_word(gate) && gate != GATE_COMPARE {
            return Err(refuse("gate", format!("`-- gate: {gate}` is not `{GATE_COMPARE}` or `—`")));
        }
        let kind = self.get("kind");
        if !is_none_word(kind) && !INDICATOR_KINDS.contains(&kind) {
            return Err(refuse("kind", format!("`-- kind: {kind}` is not one of {}", INDICATOR_KINDS.join(", "))));
        }
        Ok(())
    }

    /// What an indicator's values disclose (`-- disclosure:`); `None` for models and checks.
    pub fn disclosure(&self) -> Option<Disclosure> {
        Disclosure::parse(self.get("disclosure"), &self.file, 0).ok()
    }

    /// An indicator's position among the headline indicators (`-- headline: N`), if it is one.
    pub fn headline(&self) -> Option<u32> {
        self.get("headline").parse().ok().filter(|n| *n > 0)
    }

    /// Whether the release gate compares the indicator's province values with the previous snapshot's
    /// (`-- gate: compare`).
    pub fn gate_compares(&self) -> bool {
        self.get("gate") == GATE_COMPARE
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

/// The values of `-- kind:`: `flow` (counted within the year; a yearly target of a flow is judged against the
/// calendar too, 序时进度), `stock` (at the year end), `share` (a ratio), `cumulative` (counted over several years).
pub const INDICATOR_KINDS: [&str; 4] = ["flow", "stock", "share", "cumulative"];

/// The value of `-- gate:` that has the release gate compare an indicator with the previous snapshot.
pub const GATE_COMPARE: &str = "compare";

/// An absent optional value, or the `—` (or `-`) that says "none".
fn is_none_word(value: &str) -> bool {
    matches!(value, "" | "—" | "-")
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
    /// Derived tables, built first, in file-name order. A model reads base tables, dimensions and the models before
    /// it (`persons` reads `certificate_terms`).
    pub models: Vec<SqlFile>,
    /// Indicators, built after the models; they read models, dimensions and base tables.
    pub indicators: Vec<SqlFile>,
    /// Data tests run by the release gate on a candidate snapshot (base tables, dimensions, `indicator_values`).
    pub checks: Vec<SqlFile>,
    /// The join that turns the indicators' rows into `indicator_values` (`values/indicator_values.sql`).
    pub indicator_values: Option<SqlFile>,
}

impl SqlCatalog {
    /// The definitions compiled into this binary from the repository's `sql/` folder.
    pub fn bundled() -> Result<Self> {
        let mut catalog = Self::default();
        for (folder, name, sql) in BUNDLED_SQL {
            let kind = match *folder {
                "models" => SqlKind::Model,
                "indicators" => SqlKind::Indicator,
                "values" => SqlKind::Values,
                _ => SqlKind::Check,
            };
            catalog.push(SqlFile::parse(kind, name, sql)?);
        }
        Ok(catalog)
    }

    /// The definitions in a folder laid out like the repository's `sql/` (`models/`, `indicators/`, `values/`, and
    /// optionally `checks/`).
    pub fn load_dir(sql_dir: &Path) -> Result<Self> {
        let mut catalog = Self::default();
        for kind in [SqlKind::Model, SqlKind::Indicator, SqlKind::Values, SqlKind::Check] {
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
            SqlKind::Values => self.indicator_values = Some(file),
        }
    }

    /// Every file: models, indicators, the values join, checks.
    pub fn files(&self) -> impl Iterator<Item = &SqlFile> {
        self.models.iter().chain(&self.indicators).chain(&self.indicator_values).chain(&self.checks)
    }

    /// The values join, or an error naming the file the build needs.
    pub fn values_join(&self) -> Result<&SqlFile> {
        self.indicator_values.as_ref().ok_or_else(|| QueryError::Header {
            file: format!("{}/indicator_values.sql", SqlKind::Values.folder()),
            line: 0,
            message: "the file is missing: the build joins the indicators' rows with their targets through it".into(),
        })
    }

    /// The headline indicators (`-- headline: N`), in their order.
    pub fn headlines(&self) -> Vec<&SqlFile> {
        let mut headlines: Vec<&SqlFile> = self.indicators.iter().filter(|i| i.headline().is_some()).collect();
        headlines.sort_by_key(|i| (i.headline(), i.id().to_string()));
        headlines
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

    fn indicator(extra: &str) -> String {
        format!(
            "-- id: x\n-- title_zh: 甲\n-- title_en: X\n-- unit: share\n-- grain: g\n-- target: —\n-- comparator: —\n\
             -- source: s\n{extra}SELECT 1"
        )
    }

    #[test]
    fn an_indicator_without_what_suppression_needs_is_refused() {
        let missing = SqlFile::parse(SqlKind::Indicator, "x.sql", &indicator(""));
        assert!(
            matches!(&missing, Err(QueryError::Header { message, .. }) if message.contains("disclosure")),
            "{missing:?}"
        );
        // A share that says it is a count would share no cells with its numerator's and denominator's indicators.
        let wrong = SqlFile::parse(SqlKind::Indicator, "x.sql", &indicator("-- disclosure: count x\n"));
        assert!(matches!(&wrong, Err(QueryError::Header { line: 9, .. })), "{wrong:?}");
        let malformed = SqlFile::parse(SqlKind::Indicator, "x.sql", &indicator("-- disclosure: share x\n"));
        assert!(matches!(&malformed, Err(QueryError::Header { line: 9, .. })), "{malformed:?}");
        let file = SqlFile::parse(SqlKind::Indicator, "x.sql", &indicator("-- disclosure: share a / b\n"))
            .expect("a share with its quantities");
        assert_eq!(file.disclosure(), Some(Disclosure::Share { numerator: "a".into(), denominator: Some("b".into()) }));
        assert_eq!((file.headline(), file.gate_compares()), (None, false));
    }

    #[test]
    fn headline_and_gate_lines_are_checked() {
        let rules = "-- disclosure: public\n-- headline: 2\n-- gate: compare\n";
        let file = SqlFile::parse(SqlKind::Indicator, "x.sql", &indicator(rules)).expect("valid rules");
        assert_eq!((file.headline(), file.gate_compares()), (Some(2), true));
        for bad in ["-- disclosure: public\n-- headline: first\n", "-- disclosure: public\n-- gate: yes\n"] {
            let refused = SqlFile::parse(SqlKind::Indicator, "x.sql", &indicator(bad));
            assert!(matches!(&refused, Err(QueryError::Header { line: 10, .. })), "{bad}: {refused:?}");
        }
    }

    #[test]
    fn the_bundled_catalogue_parses() {
        let catalog = SqlCatalog::bundled().expect("bundled SQL parses");
        assert!(catalog.models.iter().any(|m| m.id() == "persons"));
        assert!(catalog.indicators.len() >= 16);
        let mut headlines: Vec<(u32, &str)> =
            catalog.indicators.iter().filter_map(|i| Some((i.headline()?, i.id()))).collect();
        headlines.sort_unstable();
        let ids: Vec<&str> = headlines.iter().map(|(_, id)| *id).collect();
        assert_eq!(
            ids,
            [
                "high_skill_share",
                "new_high_skilled",
                "new_youth_technicians",
                "youth_share_new_top_grades",
                "cert_mix_share"
            ]
        );
        let compared: Vec<&str> = catalog.indicators.iter().filter(|i| i.gate_compares()).map(SqlFile::id).collect();
        assert_eq!(compared, ["high_skill_share", "high_skilled_persons", "skilled_persons"]);
    }
}
