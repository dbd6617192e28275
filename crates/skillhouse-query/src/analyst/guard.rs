//! The read-only guard of analyst SQL (DESIGN §10), shared by the REPL and the Postgres wire front end.
//!
//! Every statement is parsed and checked before anything runs; a string of several statements is refused as a whole
//! when any one of them is, so `SELECT 1; DROP TABLE persons` runs nothing. The check walks the whole syntax tree, so
//! a write hidden in a CTE, a subquery or an `EXPLAIN` is found too. Allowed: queries (`SELECT`, `WITH`, `VALUES`),
//! `EXPLAIN` of an allowed statement, `SHOW` and `DESCRIBE`; over the wire also the client settings and transaction
//! statements that psql, JDBC (DBeaver) and SQLAlchemy (Superset) send on their own. Everything else is refused with
//! a [`Refusal`] whose [`RefusalCode`] is stable (tests, logs and clients may match on it).
//!
//! Table names must name warehouse tables: a file path or URL (`'/etc/passwd'`, `'s3://bucket/x.parquet'`) is
//! refused, and so is every table function but the row generators (`generate_series`, `range`, `unnest`) and the
//! catalogue helper clients call. The engine is configured without URL tables as well; the guard says why, clearly, first.
//!
//! Size and depth come before all of that ([`complexity`]): text over [`MAX_SQL_BYTES`] is refused unparsed, and a
//! statement nested deeper than [`MAX_NESTING_DEPTH`] is refused before anything recursive walks it.

use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    ObjectName, ObjectNamePart, Set, Statement, TableFactor, Visit, Visitor, visit_statements,
};
use datafusion::sql::sqlparser::dialect::{Dialect, GenericDialect};
use std::fmt;
use std::ops::ControlFlow;

mod complexity;

pub use complexity::{
    MAX_NESTING_DEPTH, MAX_SQL_BYTES, QUERY_THREAD_STACK, check_depth, check_df_depth, check_size, on_parse_stack,
};

/// Why a statement was refused: a stable, machine-readable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    /// `CREATE`, `DROP`, `ALTER`, `TRUNCATE` and other schema changes.
    Ddl,
    /// `INSERT`, `UPDATE`, `DELETE`, `MERGE`.
    Dml,
    /// `COPY … TO/FROM` (files in or out).
    Copy,
    /// `CREATE EXTERNAL TABLE` (DataFusion's way of reading arbitrary files).
    ExternalTable,
    /// `SET`/`RESET` of an engine option (anything but a known client setting over the wire).
    SetOption,
    /// A file path or URL used as a table name.
    FileTable,
    /// A table function other than the allowed row generators.
    TableFunction,
    /// SQL-level `PREPARE`/`EXECUTE`/`DEALLOCATE` (use the extended protocol's parameters instead).
    PreparedStatement,
    /// `DECLARE`/`FETCH`/`CLOSE` cursors (they would outlive the statement timeout).
    Cursor,
    /// A client-session statement (client settings, transactions) outside the Postgres wire front end.
    SessionStatement,
    /// Any other statement that is not a query.
    NotAQuery,
    /// SQL text longer than [`MAX_SQL_BYTES`] (refused before it is parsed).
    StatementTooLong,
    /// A statement nested deeper than [`MAX_NESTING_DEPTH`] (operator chains, subqueries, set operations).
    TooComplex,
}

impl RefusalCode {
    /// The stable code, as printed in messages: `read_only.ddl`, `read_only.file_table`, ….
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ddl => "read_only.ddl",
            Self::Dml => "read_only.dml",
            Self::Copy => "read_only.copy",
            Self::ExternalTable => "read_only.external_table",
            Self::SetOption => "read_only.set_option",
            Self::FileTable => "read_only.file_table",
            Self::TableFunction => "read_only.table_function",
            Self::PreparedStatement => "read_only.prepared_statement",
            Self::Cursor => "read_only.cursor",
            Self::SessionStatement => "read_only.session_statement",
            Self::NotAQuery => "read_only.not_a_query",
            Self::StatementTooLong => "bounds.statement_size",
            Self::TooComplex => "bounds.nesting_depth",
        }
    }

    /// The SQLSTATE a Postgres client gets: `25006` (read_only_sql_transaction) for what would write or reach
    /// outside the snapshot, `54000` (program_limit_exceeded) for too long a text, `54001`
    /// (statement_too_complex) for too deep a statement.
    pub const fn sqlstate(self) -> &'static str {
        match self {
            Self::StatementTooLong => "54000",
            Self::TooComplex => "54001",
            Self::Ddl
            | Self::Dml
            | Self::Copy
            | Self::ExternalTable
            | Self::SetOption
            | Self::FileTable
            | Self::TableFunction
            | Self::PreparedStatement
            | Self::Cursor
            | Self::SessionStatement
            | Self::NotAQuery => "25006",
        }
    }
}

impl fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement the guard refused, with its stable code and a sentence saying why and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} [{code}]")]
pub struct Refusal {
    /// The stable code.
    pub code: RefusalCode,
    /// What was refused and why, for the analyst.
    pub message: String,
}

impl Refusal {
    fn new(code: RefusalCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// The same refusal, naming which statement of a multi-statement string it was (1-based).
    fn in_statement(self, index: usize, of: usize) -> Self {
        if of <= 1 {
            return self;
        }
        Self { code: self.code, message: format!("statement {index} of {of}: {}", self.message) }
    }
}

/// What an allowed statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// A query: `SELECT`, `WITH`, `VALUES`, set operations.
    Query,
    /// `EXPLAIN` of an allowed statement, `SHOW`, `DESCRIBE`.
    Describe,
    /// A client setting a Postgres client sends (`SET application_name = …`, `SET TIME ZONE …`); wire only.
    ClientSetting,
    /// `BEGIN`, `COMMIT`, `ROLLBACK`, savepoints: accepted as no-ops over the wire (there is nothing to commit).
    Transaction,
}

impl StatementKind {
    /// Whether the statement only means something to a Postgres client session.
    pub const fn is_session_statement(self) -> bool {
        matches!(self, Self::ClientSetting | Self::Transaction)
    }
}

/// Client settings a Postgres client may `SET`: they change how the wire front end formats results, never the
/// engine. Engine options (`datafusion.*`) are fixed by the server.
const CLIENT_SETTINGS: [&str; 20] = [
    "application_name",
    "bytea_output",
    "client_encoding",
    "client_min_messages",
    "datestyle",
    "default_transaction_isolation",
    "default_transaction_read_only",
    "extra_float_digits",
    "idle_in_transaction_session_timeout",
    "intervalstyle",
    "lc_messages",
    "lc_monetary",
    "lc_numeric",
    "lc_time",
    "lock_timeout",
    "search_path",
    "standard_conforming_strings",
    "statement_timeout",
    "timezone",
    "transaction_isolation",
];

/// Table functions allowed in `FROM`: row generators, `unnest` (psql's `\d+` calls it), and the catalogue helper
/// DBeaver calls. None of them reads a file.
const ALLOWED_TABLE_FUNCTIONS: [&str; 4] = ["generate_series", "range", "unnest", "pg_get_keywords"];

/// File name endings that mark a table name as a file.
const FILE_ENDINGS: [&str; 8] = [".parquet", ".csv", ".json", ".ndjson", ".jsonl", ".avro", ".arrow", ".tsv"];

/// Parses `sql` (DataFusion's dialect, as the REPL runs it) and checks every statement; returns them with their
/// kinds, or the first refusal. Nothing may run unless this returns `Ok`.
pub fn parse_and_check(sql: &str) -> crate::Result<Vec<(DfStatement, StatementKind)>> {
    parse_and_check_with(sql, &GenericDialect {})
}

/// [`parse_and_check`] with a chosen SQL dialect. Text over [`MAX_SQL_BYTES`] is refused unparsed; the parse and
/// the checks run on a stack sized for the text ([`on_parse_stack`]), and a statement nested deeper than
/// [`MAX_NESTING_DEPTH`] is refused there, so what this returns is safe to plan on any thread.
pub fn parse_and_check_with(
    sql: &str,
    dialect: &(dyn Dialect + Sync),
) -> crate::Result<Vec<(DfStatement, StatementKind)>> {
    check_size(sql)?;
    on_parse_stack(sql.len(), || {
        let statements = DFParserBuilder::new(sql)
            .with_dialect(dialect)
            .build()
            .and_then(|mut parser| parser.parse_statements())
            .map_err(|source| crate::QueryError::Sql { source })?;
        let total = statements.len();
        // Depth first, for every statement: the read-only checks below walk the whole tree.
        for (index, statement) in statements.iter().enumerate() {
            check_df_depth(statement).map_err(|r| r.in_statement(index + 1, total))?;
        }
        let mut checked = Vec::with_capacity(total);
        for (index, statement) in statements.into_iter().enumerate() {
            let kind = check_df_statement(&statement).map_err(|r| r.in_statement(index + 1, total))?;
            checked.push((statement, kind));
        }
        Ok(checked)
    })?
}

/// Checks every statement of a list (as parsed by a front end) before any runs; the first refusal names its
/// position when there are several. The depth of every statement is checked first ([`check_depth`]); a front end
/// that parses on its own should also parse, check and drop on [`on_parse_stack`].
pub fn check_all<'a>(statements: impl IntoIterator<Item = &'a Statement>) -> Result<Vec<StatementKind>, Refusal> {
    let statements: Vec<&Statement> = statements.into_iter().collect();
    let total = statements.len();
    for (index, statement) in statements.iter().enumerate() {
        check_depth(statement).map_err(|r| r.in_statement(index + 1, total))?;
    }
    statements
        .into_iter()
        .enumerate()
        .map(|(index, statement)| check_statement(statement).map_err(|r| r.in_statement(index + 1, total)))
        .collect()
}

/// Checks one statement of DataFusion's parser (which adds `CREATE EXTERNAL TABLE`, `COPY … TO` and `RESET`).
pub fn check_df_statement(statement: &DfStatement) -> Result<StatementKind, Refusal> {
    match statement {
        DfStatement::Statement(inner) => check_statement(inner),
        DfStatement::CreateExternalTable(table) => Err(Refusal::new(
            RefusalCode::ExternalTable,
            format!(
                "CREATE EXTERNAL TABLE {} is not allowed: SkillHouse SQL reads the published snapshot only",
                table.name
            ),
        )),
        DfStatement::CopyTo { .. } => Err(copy_refusal()),
        DfStatement::Explain(explain) => match check_df_statement(&explain.statement)? {
            StatementKind::Query | StatementKind::Describe => Ok(StatementKind::Describe),
            StatementKind::ClientSetting | StatementKind::Transaction => {
                Err(Refusal::new(RefusalCode::NotAQuery, "EXPLAIN works on queries only".to_string()))
            }
        },
        DfStatement::Reset(reset) => Err(Refusal::new(
            RefusalCode::SetOption,
            format!("{reset} is not allowed: engine options are fixed by the server"),
        )),
    }
}

/// Checks one statement of the SQL parser: its own kind, then every statement, table and table function inside it.
pub fn check_statement(statement: &Statement) -> Result<StatementKind, Refusal> {
    let kind = classify(statement)?;
    // Statements nested anywhere (a DML in a CTE, the statement under EXPLAIN) must be allowed too; session
    // statements cannot nest, so only queries and descriptions may appear inside.
    let nested = visit_statements(statement, |inner| {
        if std::ptr::eq(inner, statement) {
            return ControlFlow::Continue(());
        }
        match classify(inner) {
            Ok(StatementKind::Query | StatementKind::Describe) => ControlFlow::Continue(()),
            Ok(StatementKind::ClientSetting | StatementKind::Transaction) => ControlFlow::Break(Refusal::new(
                RefusalCode::NotAQuery,
                format!("`{inner}` cannot appear inside another statement"),
            )),
            Err(refusal) => ControlFlow::Break(refusal),
        }
    });
    if let ControlFlow::Break(refusal) = nested {
        return Err(refusal);
    }
    let mut tables = TableCheck;
    if let ControlFlow::Break(refusal) = statement.visit(&mut tables) {
        return Err(refusal);
    }
    Ok(kind)
}

fn copy_refusal() -> Refusal {
    Refusal::new(
        RefusalCode::Copy,
        "COPY is not allowed: results leave SkillHouse only as query output (use the REPL's --format csv, or your \
         client's export)",
    )
}

fn read_only(code: RefusalCode, what: &str) -> Refusal {
    Refusal::new(code, format!("{what} is not allowed: SkillHouse SQL is read-only (the published snapshot)"))
}

/// The kind of one statement, ignoring what is nested inside it.
fn classify(statement: &Statement) -> Result<StatementKind, Refusal> {
    use RefusalCode as C;
    match statement {
        Statement::Query { .. } => Ok(StatementKind::Query),
        Statement::Explain { .. } | Statement::ExplainTable { .. } => Ok(StatementKind::Describe),
        Statement::ShowFunctions { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowCreate { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowCharset { .. }
        | Statement::ShowObjects { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowCollation { .. } => Ok(StatementKind::Describe),
        Statement::Set(set) => classify_set(set),
        Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. } => Ok(StatementKind::Transaction),
        Statement::Insert { .. } => Err(read_only(C::Dml, "INSERT")),
        Statement::Update { .. } => Err(read_only(C::Dml, "UPDATE")),
        Statement::Delete { .. } => Err(read_only(C::Dml, "DELETE")),
        Statement::Merge { .. } => Err(read_only(C::Dml, "MERGE")),
        Statement::Copy { .. } | Statement::CopyIntoSnowflake { .. } | Statement::Unload { .. } => Err(copy_refusal()),
        Statement::Prepare { .. } | Statement::Execute { .. } | Statement::Deallocate { .. } => Err(Refusal::new(
            C::PreparedStatement,
            "SQL-level PREPARE/EXECUTE/DEALLOCATE is not allowed: bind parameters through your client (the Postgres \
             extended protocol) instead",
        )),
        Statement::Declare { .. } | Statement::Fetch { .. } | Statement::Close { .. } => Err(Refusal::new(
            C::Cursor,
            "cursors (DECLARE/FETCH/CLOSE) are not supported: use LIMIT/OFFSET, or your client's fetch size",
        )),
        Statement::Reset { .. } => {
            Err(Refusal::new(C::SetOption, "RESET is not allowed: engine options are fixed by the server"))
        }
        Statement::CreateTable { .. }
        | Statement::CreateView { .. }
        | Statement::CreateVirtualTable { .. }
        | Statement::CreateIndex { .. }
        | Statement::CreateRole { .. }
        | Statement::CreateSecret { .. }
        | Statement::CreateServer { .. }
        | Statement::CreatePolicy { .. }
        | Statement::CreateConnector { .. }
        | Statement::CreateOperator { .. }
        | Statement::CreateOperatorFamily { .. }
        | Statement::CreateOperatorClass { .. }
        | Statement::CreateExtension { .. }
        | Statement::CreateCollation { .. }
        | Statement::CreateSchema { .. }
        | Statement::CreateDatabase { .. }
        | Statement::CreateFunction { .. }
        | Statement::CreateTrigger { .. }
        | Statement::CreateProcedure { .. }
        | Statement::CreateMacro { .. }
        | Statement::CreateStage { .. }
        | Statement::CreateSequence { .. }
        | Statement::CreateDomain { .. }
        | Statement::CreateType { .. }
        | Statement::CreateUser { .. } => Err(read_only(C::Ddl, "CREATE")),
        Statement::AlterTable { .. }
        | Statement::AlterSchema { .. }
        | Statement::AlterIndex { .. }
        | Statement::AlterView { .. }
        | Statement::AlterFunction { .. }
        | Statement::AlterType { .. }
        | Statement::AlterCollation { .. }
        | Statement::AlterOperator { .. }
        | Statement::AlterOperatorFamily { .. }
        | Statement::AlterOperatorClass { .. }
        | Statement::AlterRole { .. }
        | Statement::AlterPolicy { .. }
        | Statement::AlterConnector { .. }
        | Statement::AlterSession { .. }
        | Statement::AlterUser { .. }
        | Statement::RenameTable { .. } => Err(read_only(C::Ddl, "ALTER")),
        Statement::Drop { .. }
        | Statement::DropFunction { .. }
        | Statement::DropDomain { .. }
        | Statement::DropProcedure { .. }
        | Statement::DropSecret { .. }
        | Statement::DropPolicy { .. }
        | Statement::DropConnector { .. }
        | Statement::DropExtension { .. }
        | Statement::DropOperator { .. }
        | Statement::DropOperatorFamily { .. }
        | Statement::DropOperatorClass { .. }
        | Statement::DropTrigger { .. } => Err(read_only(C::Ddl, "DROP")),
        Statement::Truncate { .. } => Err(read_only(C::Ddl, "TRUNCATE")),
        Statement::Comment { .. } => Err(read_only(C::Ddl, "COMMENT ON")),
        other => {
            let text = other.to_string();
            let verb = text.split_whitespace().next().unwrap_or("this statement").to_uppercase();
            Err(Refusal::new(
                C::NotAQuery,
                format!("{verb} is not allowed: only queries (SELECT, WITH, VALUES), EXPLAIN and SHOW can run"),
            ))
        }
    }
}

fn classify_set(set: &Set) -> Result<StatementKind, Refusal> {
    let refuse = |what: String| {
        Refusal::new(
            RefusalCode::SetOption,
            format!(
                "SET {what} is not allowed: engine options are fixed by the server; only client settings (such as \
                 application_name, DateStyle, statement_timeout) may be set, over the Postgres wire"
            ),
        )
    };
    match set {
        Set::SingleAssignment { hivevar: false, variable, .. } => {
            let name = variable.to_string().to_ascii_lowercase();
            if CLIENT_SETTINGS.contains(&name.as_str()) {
                Ok(StatementKind::ClientSetting)
            } else {
                Err(refuse(variable.to_string()))
            }
        }
        Set::SetTimeZone { .. } | Set::SetNames { .. } | Set::SetNamesDefault {} | Set::SetTransaction { .. } => {
            Ok(StatementKind::ClientSetting)
        }
        Set::SingleAssignment { variable, .. } => Err(refuse(variable.to_string())),
        Set::ParenthesizedAssignments { variables, .. } => {
            Err(refuse(variables.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")))
        }
        Set::MultipleAssignments { assignments } => {
            Err(refuse(assignments.iter().map(|a| a.name.to_string()).collect::<Vec<_>>().join(", ")))
        }
        Set::SetSessionAuthorization(_) => Err(refuse("SESSION AUTHORIZATION".into())),
        Set::SetSessionParam(_) => Err(refuse("session parameters".into())),
        Set::SetRole { .. } => Err(refuse("ROLE".into())),
    }
}

/// Walks the table factors of a statement: file paths, URLs and table functions.
struct TableCheck;

impl Visitor for TableCheck {
    type Break = Refusal;

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Refusal> {
        let outcome = match factor {
            TableFactor::Table { name, args: None, .. } => check_table_name(name),
            TableFactor::Table { name, args: Some(_), .. } | TableFactor::Function { name, .. } => {
                check_table_function(name)
            }
            TableFactor::TableFunction { expr, .. } => Err(Refusal::new(
                RefusalCode::TableFunction,
                format!("TABLE({expr}) is not allowed: query the warehouse tables (\\d lists them)"),
            )),
            _ => Ok(()),
        };
        match outcome {
            Ok(()) => ControlFlow::Continue(()),
            Err(refusal) => ControlFlow::Break(refusal),
        }
    }
}

fn check_table_name(name: &ObjectName) -> Result<(), Refusal> {
    for part in &name.0 {
        let ObjectNamePart::Identifier(ident) = part else {
            return Err(Refusal::new(
                RefusalCode::TableFunction,
                format!("`{name}` is not a table name: query the warehouse tables (\\d lists them)"),
            ));
        };
        let value = ident.value.to_ascii_lowercase();
        let looks_like_file = ident.quote_style == Some('\'')
            || value.contains('/')
            || value.contains('\\')
            || value.contains("://")
            || value.starts_with('~')
            || FILE_ENDINGS.iter().any(|ending| value.ends_with(ending));
        if looks_like_file {
            return Err(Refusal::new(
                RefusalCode::FileTable,
                format!(
                    "{name} looks like a file path or URL: SkillHouse SQL reads the warehouse tables only, never \
                     files (\\d lists the tables)"
                ),
            ));
        }
    }
    Ok(())
}

fn check_table_function(name: &ObjectName) -> Result<(), Refusal> {
    let last = name.0.last().and_then(ObjectNamePart::as_ident).map(|i| i.value.to_ascii_lowercase());
    let schema_ok = match name.0.len() {
        1 => true,
        2 => name
            .0
            .first()
            .and_then(ObjectNamePart::as_ident)
            .is_some_and(|i| i.value.eq_ignore_ascii_case("pg_catalog")),
        _ => false,
    };
    match last {
        Some(function) if schema_ok && ALLOWED_TABLE_FUNCTIONS.contains(&function.as_str()) => Ok(()),
        _ => Err(Refusal::new(
            RefusalCode::TableFunction,
            format!(
                "table function {name} is not allowed: only {} may appear in FROM (file readers such as \
                 read_parquet never)",
                ALLOWED_TABLE_FUNCTIONS.join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests;
