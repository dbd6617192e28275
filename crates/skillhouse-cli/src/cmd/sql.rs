//! `skillhouse sql`: the analyst's SQL shell over the published snapshot (`WAREHOUSE/CURRENT`), read-only and
//! bounded (skillhouse-query's guard and bounds).
//!
//! Input comes from `-c SQL`, `-f FILE`, standard input when it is not a terminal, or an interactive prompt with
//! line editing and history. Statements end with `;` and may span lines; backslash commands (`\d`, `\d TABLE`,
//! `\timing`, `\format`, `\q`, `\?`) stand on their own line. Outside the interactive prompt the first error stops
//! the run with exit code 1 and the error message (with the line the statement started on).

use crate::args::{BoundsArgs, OutputFormat, SqlArgs};
use crate::cmd::sql_input::{Input, Splitter, has_code};
use crate::exit::Outcome;
use anyhow::{Context, anyhow};
use rustyline::error::ReadlineError;
use skillhouse_query::datafusion::arrow::array::RecordBatch;
use skillhouse_query::{AnalystSession, QueryConfig, QueryError, ResultFormat, SqlBounds, format_batches};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const HELP: &str = "\
Statements end with ; and may span lines. Only queries run: SELECT, WITH, VALUES, EXPLAIN, SHOW.
  \\d                 list tables, with their Chinese names
  \\d TABLE           columns of TABLE: types and comments
  \\timing [on|off]   show how long each statement takes
  \\format [table|csv|json|markdown]   output format
  \\q                 quit (also Ctrl-D)
  \\?                 this help
Ctrl-C clears the statement being typed, or cancels the one running.";

/// Runs `-c SQL`, `-f FILE`, the statements on standard input, or the interactive shell.
pub fn run(args: SqlArgs) -> anyhow::Result<Outcome> {
    if let Some(engine) = super::distributed::engine(&args.engine)? {
        return super::distributed::sql(args, engine);
    }
    let warehouse = args.warehouse.warehouse;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the query runtime")?;
    let session = runtime
        .block_on(AnalystSession::open(&warehouse, &QueryConfig::default(), sql_bounds(&args.bounds)))
        .with_context(|| format!("opening the published snapshot of {}", warehouse.display()))?;
    let mut shell = Shell { runtime, session, format: result_format(args.format), timing: false, interactive: false };
    let outcome = match (&args.command, &args.file) {
        (Some(text), _) => shell.run_command_text(text),
        (None, Some(path)) => {
            let file = std::fs::File::open(path).with_context(|| format!("reading SQL file {}", path.display()))?;
            shell.run_lines(std::io::BufReader::new(file), &path.display().to_string())
        }
        (None, None) if std::io::stdin().is_terminal() => shell.interactive(),
        (None, None) => shell.run_lines(std::io::stdin().lock(), "standard input"),
    };
    match outcome {
        Ok(()) | Err(Stop::Quit) => Ok(Outcome::Success),
        Err(Stop::Failed(error)) => Err(error),
    }
}

/// The bounds of `--memory-limit` and `--statement-timeout`.
pub fn sql_bounds(args: &BoundsArgs) -> SqlBounds {
    SqlBounds { memory_limit: args.memory_limit, statement_timeout: args.statement_timeout.0 }
}

pub(super) fn result_format(format: OutputFormat) -> ResultFormat {
    match format {
        OutputFormat::Table => ResultFormat::Table,
        OutputFormat::Csv => ResultFormat::Csv,
        OutputFormat::Json => ResultFormat::Json,
        OutputFormat::Markdown => ResultFormat::Markdown,
    }
}

/// Why the shell stopped early.
enum Stop {
    /// `\q`, or standard output closed (`| head`).
    Quit,
    /// An error; outside the interactive prompt it ends the run.
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Stop {
    fn from(error: anyhow::Error) -> Self {
        Self::Failed(error)
    }
}

struct Shell {
    runtime: tokio::runtime::Runtime,
    session: AnalystSession,
    format: ResultFormat,
    timing: bool,
    interactive: bool,
}

impl Shell {
    /// `-c`: one backslash command, or SQL of one or more statements.
    fn run_command_text(&mut self, text: &str) -> Result<(), Stop> {
        if text.trim_start().starts_with('\\') {
            return self.command(text.trim());
        }
        if !has_code(text) {
            return Err(Stop::Failed(anyhow!("-c holds no SQL statement")));
        }
        self.execute(text)
    }

    /// `-f` and standard input: line by line, stopping at the first error.
    fn run_lines(&mut self, reader: impl BufRead, source: &str) -> Result<(), Stop> {
        let mut splitter = Splitter::default();
        for line in reader.lines() {
            let line = line.with_context(|| format!("reading {source}"))?;
            for input in splitter.push_line(&line) {
                self.input(input, source)?;
            }
        }
        match splitter.finish() {
            Some(input) => self.input(input, source),
            None => Ok(()),
        }
    }

    fn input(&mut self, input: Input, source: &str) -> Result<(), Stop> {
        let (outcome, line) = match input {
            Input::Statement { sql, line } => (self.execute(&sql), line),
            Input::Command { text, line } => (self.command(&text), line),
        };
        outcome.map_err(|stop| match stop {
            Stop::Failed(error) => Stop::Failed(error.context(format!("{source}, line {line}"))),
            Stop::Quit => Stop::Quit,
        })
    }

    /// The interactive prompt: errors are printed and the shell goes on.
    fn interactive(&mut self) -> Result<(), Stop> {
        self.interactive = true;
        let mut editor = rustyline::DefaultEditor::new().context("starting the line editor")?;
        let history = history_file();
        if let Some(path) = &history {
            // A missing history file is the normal first run.
            let _ = editor.load_history(path);
        }
        let snapshot = self.session.snapshot();
        println!(
            "skillhouse sql — snapshot {} (as of {}), read-only. \\? for help, \\d for tables, \\q to quit.",
            snapshot.id, snapshot.manifest.as_of
        );
        let mut splitter = Splitter::default();
        let mut pending = String::new();
        let result = loop {
            let prompt = if splitter.in_statement() { "skillhouse-> " } else { "skillhouse=> " };
            let line = match editor.readline(prompt) {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => {
                    splitter.clear();
                    pending.clear();
                    continue;
                }
                Err(ReadlineError::Eof) => break Ok(()),
                Err(error) => break Err(Stop::Failed(anyhow::Error::new(error).context("reading input"))),
            };
            if !pending.is_empty() {
                pending.push('\n');
            }
            pending.push_str(&line);
            let inputs = splitter.push_line(&line);
            if !splitter.in_statement() {
                if !pending.trim().is_empty() {
                    let _ = editor.add_history_entry(pending.as_str());
                }
                pending.clear();
            }
            let mut quit = false;
            for input in inputs {
                let outcome = match input {
                    Input::Statement { sql, .. } => self.execute(&sql),
                    Input::Command { text, .. } => self.command(&text),
                };
                match outcome {
                    Ok(()) => {}
                    Err(Stop::Quit) => quit = true,
                    Err(Stop::Failed(error)) => eprintln!("error: {error:#}"),
                }
                if quit {
                    break;
                }
            }
            if quit {
                break Ok(());
            }
        };
        if let Some(path) = &history {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Err(error) = editor.save_history(path) {
                eprintln!("warning: could not save the history to {}: {error}", path.display());
            }
        }
        result
    }

    /// Checks every statement of `sql` (nothing runs if one is refused), then runs and prints each.
    fn execute(&mut self, sql: &str) -> Result<(), Stop> {
        let statements = self.session.check(sql).map_err(sql_error)?;
        for statement in statements {
            let started = Instant::now();
            let session = &self.session;
            let batches = if self.interactive {
                self.runtime.block_on(async {
                    tokio::select! {
                        result = session.run(statement) => result.map_err(sql_error),
                        _ = tokio::signal::ctrl_c() => Err(anyhow!("canceling statement due to user request")),
                    }
                })?
            } else {
                self.runtime.block_on(session.run(statement)).map_err(sql_error)?
            };
            self.print_result(&batches, started.elapsed())?;
        }
        Ok(())
    }

    fn print_result(&self, batches: &[RecordBatch], elapsed: Duration) -> Result<(), Stop> {
        let mut text = format_batches(batches, self.format).context("formatting the result")?;
        if self.format == ResultFormat::Table {
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("({rows} {})\n", if rows == 1 { "row" } else { "rows" }));
        }
        if self.timing {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("Time: {:.3} ms\n", elapsed.as_secs_f64() * 1000.0));
        }
        write_out(&text)
    }

    /// A backslash command.
    fn command(&mut self, text: &str) -> Result<(), Stop> {
        let mut words = text.split_whitespace();
        let name = words.next().unwrap_or_default();
        let argument: Vec<&str> = words.collect();
        match (name, argument.as_slice()) {
            ("\\q" | "\\quit", []) => Err(Stop::Quit),
            ("\\?" | "\\help", []) => write_out(&format!("{HELP}\n")),
            ("\\d" | "\\dt" | "\\d+" | "\\dt+", []) => {
                let tables = self.session.tables().map_err(sql_error)?;
                self.print_listing(&[tables])
            }
            ("\\d" | "\\d+", [table]) => {
                let columns = self.runtime.block_on(self.session.columns(table)).map_err(|error| match error {
                    QueryError::Sql { .. } => anyhow!("no table `{table}` (\\d lists the tables)"),
                    other => sql_error(other),
                })?;
                self.print_listing(&[columns])
            }
            ("\\timing", []) => self.set_timing(!self.timing),
            ("\\timing", ["on"]) => self.set_timing(true),
            ("\\timing", ["off"]) => self.set_timing(false),
            ("\\format", []) => write_out(&format!("Output format is {}.\n", format_name(self.format))),
            ("\\format", [format]) => {
                self.format = match *format {
                    "table" | "aligned" => ResultFormat::Table,
                    "csv" => ResultFormat::Csv,
                    "json" => ResultFormat::Json,
                    "markdown" | "md" => ResultFormat::Markdown,
                    other => bail_stop(format!("unknown format `{other}`: use table, csv, json or markdown"))?,
                };
                if self.interactive {
                    write_out(&format!("Output format is {}.\n", format_name(self.format)))?;
                }
                Ok(())
            }
            _ => bail_stop(format!("unknown or malformed command `{text}` (\\? lists the commands)")),
        }
    }

    fn set_timing(&mut self, on: bool) -> Result<(), Stop> {
        self.timing = on;
        write_out(&format!("Timing is {}.\n", if on { "on" } else { "off" }))
    }

    /// `\d` output: like a result, without a row count or timing.
    fn print_listing(&self, batches: &[RecordBatch]) -> Result<(), Stop> {
        let mut text = format_batches(batches, self.format).context("formatting the listing")?;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        write_out(&text)
    }
}

fn bail_stop<T>(message: String) -> Result<T, Stop> {
    Err(Stop::Failed(anyhow!(message)))
}

fn format_name(format: ResultFormat) -> &'static str {
    match format {
        ResultFormat::Table => "table",
        ResultFormat::Csv => "csv",
        ResultFormat::Json => "json",
        ResultFormat::Markdown => "markdown",
    }
}

/// Writes to standard output; a closed pipe (`skillhouse sql … | head`) ends the shell quietly.
fn write_out(text: &str) -> Result<(), Stop> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Err(Stop::Quit),
        Err(error) => Err(Stop::Failed(anyhow::Error::new(error).context("writing the result"))),
    }
}

/// An analyst's SQL error as one line: DataFusion nests the same message in several wrappers, so print the root.
fn sql_error(error: QueryError) -> anyhow::Error {
    match error {
        QueryError::Sql { source } => anyhow!("{}", source.find_root().strip_backtrace()),
        refused @ (QueryError::Refused(_) | QueryError::Timeout { .. } | QueryError::MemoryLimit { .. }) => {
            anyhow!("{refused}")
        }
        other => anyhow::Error::new(other).context("running SQL"),
    }
}

/// The history file: `$SKILLHOUSE_HISTORY`, else `$XDG_DATA_HOME/skillhouse/history` or
/// `~/.local/share/skillhouse/history`; none without a home directory.
fn history_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SKILLHOUSE_HISTORY") {
        return Some(PathBuf::from(path));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))?;
    Some(data.join("skillhouse").join("history"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_file_follows_the_environment() {
        // Only checks the shape: the environment of the test process is not changed (tests run in parallel).
        if std::env::var_os("SKILLHOUSE_HISTORY").is_none() && std::env::var_os("HOME").is_some() {
            let path = history_file().expect("a history file under the home directory");
            assert!(path.ends_with("skillhouse/history"), "{}", path.display());
        }
    }

    #[test]
    fn engine_errors_print_their_root_cause_once() {
        let error = QueryError::Sql {
            source: skillhouse_query::datafusion::error::DataFusionError::Context(
                "outer".into(),
                Box::new(skillhouse_query::datafusion::error::DataFusionError::Plan("table 'x' not found".into())),
            ),
        };
        assert_eq!(sql_error(error).to_string(), "Error during planning: table 'x' not found");
    }
}
