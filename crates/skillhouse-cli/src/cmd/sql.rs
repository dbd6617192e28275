//! `skillhouse sql`: read-only SQL over the published snapshot (`WAREHOUSE/CURRENT`).

use crate::args::{OutputFormat, SqlArgs};
use crate::exit::Outcome;
use anyhow::Context;
use skillhouse_query::{QueryError, ResultFormat, format_batches, open_snapshot};

/// Runs `-c SQL` or the statements of `-f FILE` and prints each statement's result; without either, the
/// interactive shell is not available yet.
pub fn run(args: SqlArgs) -> anyhow::Result<Outcome> {
    let sql = match (&args.command, &args.file) {
        (Some(sql), _) => sql.clone(),
        (None, Some(path)) => {
            std::fs::read_to_string(path).with_context(|| format!("reading SQL file {}", path.display()))?
        }
        (None, None) => return super::unavailable("sql (interactive)"),
    };
    let format = match args.format {
        OutputFormat::Table => ResultFormat::Table,
        OutputFormat::Csv => ResultFormat::Csv,
        OutputFormat::Json => ResultFormat::Json,
        OutputFormat::Markdown => ResultFormat::Markdown,
    };
    let warehouse = args.warehouse.warehouse;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the query runtime")?;
    let results = runtime.block_on(async {
        let snapshot = open_snapshot(&warehouse)
            .await
            .with_context(|| format!("opening the published snapshot of {}", warehouse.display()))?;
        snapshot.query_script(&sql).await.map_err(analyst_error)
    })?;
    for batches in &results {
        let text = format_batches(batches, format).context("formatting the result")?;
        if text.is_empty() {
            continue;
        }
        print!("{text}");
        if !text.ends_with('\n') {
            println!();
        }
    }
    Ok(Outcome::Success)
}

/// An analyst's SQL error as one line: DataFusion nests the same message in several wrappers, so print the root.
fn analyst_error(error: QueryError) -> anyhow::Error {
    match error {
        QueryError::Sql { source } => anyhow::anyhow!("{}", source.find_root().strip_backtrace()),
        other => anyhow::Error::new(other).context("running SQL"),
    }
}
