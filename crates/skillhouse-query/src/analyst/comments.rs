//! Table and column comments for analysts — the Chinese names (技能人才, 高技能人才, 发证日期 …) with an English
//! gloss — kept in one file, `sql/comments.toml`, bundled into the binary. The columns of the warehouse contract —
//! certificates, training records, training providers — take their comments from it
//! (`skillhouse_model::schema::{CERTIFICATE_COLUMNS, TRAINING_COLUMNS, PROVIDER_COLUMNS, REVOCATION_COLUMNS,
//! RENEWAL_COLUMNS}`), so they are written once.
//! Used by the REPL's `\d` and by the Postgres wire front end's `pg_description`.
//!
//! Format: one TOML table per SQL table, `comment = "…"` and a `columns` table of `column = "…"`.

use crate::error::{QueryError, Result};
use serde::Deserialize;
use skillhouse_model::schema::{
    CERTIFICATE_COLUMNS, Column, PROVIDER_COLUMNS, RENEWAL_COLUMNS, REVOCATION_COLUMNS, TRAINING_COLUMNS,
};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The bundled `sql/comments.toml`.
const BUNDLED_COMMENTS: &str = include_str!("../../../../sql/comments.toml");

/// Tables whose columns are records of the warehouse contract, with those records' columns.
const CONTRACT_TABLES: [(&str, &[Column]); 6] = [
    ("certificates", &CERTIFICATE_COLUMNS),
    ("certificate_files", &CERTIFICATE_COLUMNS),
    ("training", &TRAINING_COLUMNS),
    ("providers", &PROVIDER_COLUMNS),
    ("revocations", &REVOCATION_COLUMNS),
    ("renewals", &RENEWAL_COLUMNS),
];

/// Comments of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableComments {
    /// The table's comment.
    pub comment: String,
    /// Comments by column name.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

/// Every table's and column's comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comments {
    tables: BTreeMap<String, TableComments>,
}

impl Comments {
    /// Parses comments from TOML text, adding the contract columns' comments from the warehouse contract.
    pub fn parse(text: &str) -> Result<Self> {
        let mut tables: BTreeMap<String, TableComments> = toml::from_str(text).map_err(|e| QueryError::Header {
            file: "comments.toml".into(),
            line: 0,
            message: e.to_string(),
        })?;
        for (table, columns) in CONTRACT_TABLES {
            let entry = tables.entry(table.to_string()).or_default();
            for column in columns {
                entry
                    .columns
                    .entry(column.name.to_string())
                    .or_insert_with(|| format!("{} — {}", column.comment_zh, column.comment_en));
            }
        }
        Ok(Self { tables })
    }

    /// The bundled comments, parsed once.
    pub fn bundled() -> Result<&'static Self> {
        static BUNDLED: OnceLock<std::result::Result<Comments, String>> = OnceLock::new();
        BUNDLED
            .get_or_init(|| Self::parse(BUNDLED_COMMENTS).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|message| QueryError::Header { file: "comments.toml".into(), line: 0, message: message.clone() })
    }

    /// A table's comment.
    pub fn table(&self, table: &str) -> Option<&str> {
        self.tables.get(table).map(|t| t.comment.as_str()).filter(|c| !c.is_empty())
    }

    /// A column's comment.
    pub fn column(&self, table: &str, column: &str) -> Option<&str> {
        self.tables.get(table).and_then(|t| t.columns.get(column)).map(String::as_str)
    }

    /// Every table with comments, by name.
    pub fn tables(&self) -> &BTreeMap<String, TableComments> {
        &self.tables
    }
}
